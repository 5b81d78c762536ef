#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Checks patches/kmod/: kmod's modinfo describing the Merkle proof trailer
# (id_type 3) of hash-authenticated modules.
#
#  1. fetches Debian's kmod 34.2 source (trixie) into build/kmod/dl/, through
#     a private apt configuration over the archive the host's apt sources
#     name; the checksums come from the signed Sources index; later runs
#     reuse the download and need no network
#  2. builds it three times with the meson options of Debian's build: as
#     Debian ships it (the reference), with the patch, and with the patch
#     under AddressSanitizer and UBSan
#  3. runs kmod's own test suite on the patched tree (its test modules are
#     built against the host's kernel headers, linux-headers-ARCH)
#  4. runs modinfo over modules with valid, malformed and truncated proof
#     trailers, and over one signed by the scripts/sign-file of a kernel
#     build tree (build/obj-*/) when there is one, and asserts the output
#
# Modules: those of a kernel build (build/out*/modules/) when there are
# some with a proof, and always a few small ELF objects that stand in for
# modules, with a tree over them built by tools/module-hashes.
# Prints TAP lines and closes with "N passed, N failed".
#
# Usage: tools/kmod-check.sh
# Environment: KMOD_ARCHIVE overrides the Debian archive URL;
# KMOD_CHECK_MODULES=DIR takes the modules of DIR (an installed
# lib/modules/VERSION with modules.order) instead of build/out*/modules/.
set -u -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/tap.sh
. "$top/tools/tap.sh"
# shellcheck source=tools/debian-archive.sh
. "$top/tools/debian-archive.sh"

kmod_upstream=34.2
# Debian's kmod_34.2.orig.tar.xz, which the patch is made against.
orig_sha256=012d16e2099115486d8aa9f2c2a23d058d3d0cad83113a60512647d25d3869e8
suite=trixie

cache=$top/build/kmod
dl=$cache/dl
work=$cache/work
patches=("$top"/patches/kmod/0001-*.patch)
patch_file=${patches[0]}
tool=$top/tools/module-hashes/target/release/module-hashes
skipped=0

die() {
	echo "kmod-check: error: $*" >&2
	exit 1
}

note() {
	echo "# $*"
}

skip() {
	skipped=$((skipped + 1))
	echo "# skip: $*"
}

now() {
	date +%s.%N
}

elapsed() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

[ -f "$patch_file" ] || die "no patches/kmod/0001-*.patch"
mkdir -p "$dl"

# --- packages ---------------------------------------------------------------

install_packages() {
	local missing=() p sudo=""

	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	note "installing ${missing[*]}"
	timeout 300 $sudo apt-get update -qq >/dev/null 2>&1
	DEBIAN_FRONTEND=noninteractive timeout 900 $sudo apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
}

arch=$(dpkg --print-architecture)
build_deps=(meson ninja-build pkgconf gcc make patch git curl xz-utils zstd openssl
	python3 libssl-dev liblzma-dev libzstd-dev)
install_packages "${build_deps[@]}" ||
	die "cannot install the build dependencies: ${build_deps[*]}"

# --- source -----------------------------------------------------------------

# Checks that FILE has SHA256.
sha256_is() {
	[ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

# Downloads the source package into $dl, or reuses an earlier download.
# $dl/source records the Debian version and the files with their checksums.
fetch_source() {
	local archive aptdir opts log version name sum found=0

	if [ -f "$dl/source" ]; then
		found=1
		while read -r sum name; do
			sha256_is "$dl/$name" "$sum" || found=0
		done < <(tail -n +2 "$dl/source")
		if [ $found -eq 1 ]; then
			note "source: cached in ${dl#"$top"/} ($(head -n 1 "$dl/source"))"
			return 0
		fi
	fi

	archive=$(DEBIAN_ARCHIVE=${KMOD_ARCHIVE:-${DEBIAN_ARCHIVE:-}} debian_archive) ||
		die "no Debian archive to fetch kmod from; set KMOD_ARCHIVE"
	aptdir=$cache/apt
	rm -rf "$aptdir"
	mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/parts"
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $archive $suite main" \
		>"$aptdir/sources.list"
	opts=(-o Dir::Etc::sourcelist="$aptdir/sources.list"
		-o Dir::Etc::sourceparts="$aptdir/parts"
		-o Dir::State::Lists="$aptdir/lists"
		-o Dir::Cache="$aptdir/cache"
		-o APT::Sandbox::User=root
		-o Acquire::Retries=1
		-o Acquire::http::Timeout=20 -o Acquire::https::Timeout=20)
	log=$cache/apt-update.log
	note "source: reading $suite's Sources index from $archive"
	timeout 180 apt-get "${opts[@]}" update >"$log" 2>&1
	if ! compgen -G "$aptdir/lists/*_Sources*" >/dev/null; then
		sed 's/^/#   /' "$log" | tail -n 5
		die "cannot read $suite's Sources index from $archive (network?); see ${log#"$top"/}"
	fi
	# "version sha256 name" for every file of every kmod source in the index.
	apt-cache "${opts[@]}" showsrc kmod 2>/dev/null | awk '
		/^Package: / { pkg = $2 }
		/^Version: / { ver = $2 }
		/^[A-Za-z0-9-]+:/ { sums = ($1 == "Checksums-Sha256:") }
		/^ / && sums && pkg == "kmod" { print ver, $1, $3 }
	' | sort -u >"$cache/index"
	version=$(awk -v up="$kmod_upstream" 'index($1, up "-") == 1 { print $1 }' "$cache/index" |
		sort -u | sort -V | tail -n 1)
	[ -n "$version" ] ||
		die "$suite has no kmod $kmod_upstream any more ($(cut -d' ' -f1 "$cache/index" | sort -u | tr '\n' ' ')); the patch is made against $kmod_upstream"
	rm -f "$dl/source"
	while read -r _ sum name; do
		case $name in
		*.orig.tar.* | *.debian.tar.*) ;;
		*) continue ;;
		esac
		if ! sha256_is "$dl/$name" "$sum"; then
			note "source: downloading $name"
			timeout 300 curl -fsS --connect-timeout 20 --max-time 280 \
				-o "$dl/$name.part" "$archive/pool/main/k/kmod/$name" ||
				die "cannot download $archive/pool/main/k/kmod/$name"
			sha256_is "$dl/$name.part" "$sum" || die "$name: checksum does not match the index"
			mv "$dl/$name.part" "$dl/$name"
		fi
		echo "$sum $name" >>"$dl/source.new"
	done < <(awk -v v="$version" '$1 == v' "$cache/index")
	if ! grep -q '\.orig\.tar\.' "$dl/source.new" || ! grep -q '\.debian\.tar\.' "$dl/source.new"; then
		die "the index lists no orig and debian tarball for kmod $version"
	fi
	{ echo "kmod $version"; cat "$dl/source.new"; } >"$dl/source"
	rm -f "$dl/source.new"
}

t0=$(now)
fetch_source
orig=$dl/$(awk '/\.orig\.tar\./ { print $2 }' "$dl/source")
debian=$dl/$(awk '/\.debian\.tar\./ { print $2 }' "$dl/source")
sha256_is "$orig" "$orig_sha256" ||
	die "$(basename "$orig") is not the tarball the patch was made against"
t_download=$(elapsed "$t0")

# --- trees ------------------------------------------------------------------

# unpack DIR WITH_PATCH: Debian's source (orig + debian/patches) in DIR,
# with patches/kmod/ applied to the pristine orig first when WITH_PATCH=1.
# Kept while the inputs are the same, so that ninja stays incremental.
unpack() {
	local dir=$1 with_patch=$2 stamp p

	stamp="$(cat "$dl/source")"
	[ "$with_patch" -eq 0 ] || stamp="$stamp $(sha256sum "$patch_file")"
	if [ -f "$dir.stamp" ] && [ "$(cat "$dir.stamp")" = "$stamp" ] && [ -d "$dir" ]; then
		return 0
	fi
	rm -rf "$dir" "$dir.stamp" "$dir.build"
	mkdir -p "$dir"
	tar -xf "$orig" -C "$dir" --strip-components=1 || die "cannot unpack $orig"
	if [ "$with_patch" -eq 1 ]; then
		(
			cd "$dir" && git init -q && git add -A &&
				git -c user.name=kmod-check -c user.email=kmod-check@localhost \
					commit -q -m "kmod $kmod_upstream (Debian orig)" &&
				git -c user.name=kmod-check -c user.email=kmod-check@localhost \
					am -q "$patch_file"
		) >"$dir.log" 2>&1 || {
			cat "$dir.log" >&2
			die "$(basename "$patch_file") does not apply to kmod $kmod_upstream"
		}
	fi
	tar -xf "$debian" -C "$dir" || die "cannot unpack $debian"
	if [ -f "$dir/debian/patches/series" ]; then
		while read -r p _; do
			case $p in '' | '#'*) continue ;; esac
			patch -d "$dir" -p1 -s <"$dir/debian/patches/$p" ||
				die "Debian's patch $p does not apply"
		done <"$dir/debian/patches/series"
	fi
	echo "$stamp" >"$dir.stamp"
}

# build SRC BUILDDIR [MESON OPTION...]: Debian's configuration (debian/rules,
# the deb flavour) without the documentation. With -Dbuild-tests=true the
# build includes kmod's test suite and its test modules, built against the
# kernel headers in $KDIR.
build() {
	local src=$1 out=$2 opts
	shift 2

	opts=(--buildtype=debugoptimized -Dopenssl=enabled -Ddlopen=all -Dzlib=disabled
		-Dxz=enabled -Dzstd=enabled -Ddocs=false -Dmanpages=false "$@")
	if [ ! -f "$out/build.ninja" ] || [ "$(cat "$out.opts" 2>/dev/null)" != "${opts[*]}" ]; then
		rm -rf "$out" "$out.opts"
		meson setup "$out" "$src" "${opts[@]}" >"$out.log" 2>&1 ||
			{ tail -n 20 "$out.log" >&2; return 1; }
		echo "${opts[*]}" >"$out.opts"
	fi
	KDIR=$kdir ninja -C "$out" >>"$out.log" 2>&1 || { tail -n 20 "$out.log" >&2; return 1; }
}

# kmod's test suite builds its test modules against kernel headers: the
# host's linux-headers-ARCH (and pahole, which Debian's kmod build wants
# for them).
headers_pkg=linux-headers-$arch
kdir=""
if install_packages "$headers_pkg" pahole 2>/dev/null; then
	kdir=$(find /usr/src -maxdepth 1 -name "linux-headers-*-$arch" | sort -V | tail -n 1)
fi

t0=$(now)
unpack "$cache/src-ref" 0
unpack "$cache/src-patched" 1
build "$cache/src-ref" "$cache/src-ref.build" -Dbuild-tests=false || die "building kmod failed"
build "$cache/src-patched" "$cache/src-patched.build" -Dbuild-tests="$([ -n "$kdir" ] &&
	echo true || echo false)" || die "building patched kmod failed"
build "$cache/src-patched" "$cache/src-patched.build-asan" -Dbuild-tests=false \
	-Db_sanitize=address,undefined -Db_lundef=false ||
	die "building patched kmod with sanitizers failed"
t_build=$(elapsed "$t0")
ref=$cache/src-ref.build/modinfo
pat=$cache/src-patched.build/modinfo
asan=$cache/src-patched.build-asan/modinfo
note "kmod $(head -n 1 "$dl/source" | cut -d' ' -f2): reference ${ref#"$top"/}, patched ${pat#"$top"/}"

# --- kmod's test suite ------------------------------------------------------

t0=$(now)
if [ -z "$kdir" ]; then
	skip "kmod's test suite: it builds its test modules against kernel headers, and $headers_pkg cannot be installed"
else
	note "kmod's test suite, test modules built against ${kdir}"
	log=$cache/suite.log
	KDIR=$kdir timeout 900 meson test -C "$cache/src-patched.build" --print-errorlogs \
		>"$log" 2>&1
	suite_rc=$?
	n=0
	bad=0
	while read -r name result; do
		n=$((n + 1))
		[ "$result" = OK ] || bad=$((bad + 1))
		[ "$result" = OK ]
		ok $? "kmod test suite: $name"
	done < <(sed -nE -e '/^Summary of Failures/q' \
		-e 's/^ *[0-9]+\/[0-9]+ +([^ ]+) +([A-Z]+) .*/\1 \2/p' "$log")
	if [ $bad -gt 0 ] || [ $n -eq 0 ] || [ $suite_rc -ne 0 ]; then
		tail -n 30 "$log" | sed 's/^/#   /'
	fi
	# A suite that failed without naming a failed test still failed.
	if [ $n -eq 0 ] || { [ $suite_rc -ne 0 ] && [ $bad -eq 0 ]; }; then
		ok 1 "kmod test suite ran (exit $suite_rc, $n tests; log ${log#"$top"/})"
	fi
	grep -q 'PASSED: test_modinfo_merkle_sig_id' "$cache/src-patched.build/meson-logs/testlog.txt"
	ok $? "kmod test suite ran the patch's Merkle proof cases"
fi
t_suite=$(elapsed "$t0")

# --- modules ----------------------------------------------------------------

t0=$(now)
cargo build --release --offline -q --manifest-path "$top/tools/module-hashes/Cargo.toml" ||
	cargo build --release -q --manifest-path "$top/tools/module-hashes/Cargo.toml" ||
	die "cannot build tools/module-hashes"
rm -rf "$work"
mkdir -p "$work"

# inspect_field FILE FIELD: a line "FIELD: value" of module-hashes inspect.
inspect_field() {
	"$tool" inspect "$1" | sed -n "s/^$2: //p"
}

# The stand-ins: ELF objects with a .modinfo section, five in a tree of
# three levels.
synth=$work/synth
mkdir -p "$synth"
for i in 0 1 2 3 4; do
	cat >"$synth/m$i.c" <<EOF
static const char modinfo[] __attribute__((section(".modinfo"), used)) =
	"license=GPL\0description=kmod-check stand-in module $i\0name=kmodcheck$i";
int kmodcheck${i}_value = $i;
EOF
	gcc -c -O2 -o "$synth/m$i.ko" "$synth/m$i.c" || die "gcc failed"
	echo "m$i.o" >>"$synth/modules.order"
done
(cd "$synth" && "$tool" build --order modules.order --suffix .ko --root-bin root.bin) \
	>"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; die "module-hashes build failed"; }

# The modules of a kernel build, if one has proofs: the first, a middle and
# the last of modules.order, uncompressed copies beside the originals.
real=()
real_pos=()
moddirs=("$top"/build/out/modules/lib/modules/* "$top"/build/out-*/modules/lib/modules/*)
[ -z "${KMOD_CHECK_MODULES:-}" ] || moddirs=("${KMOD_CHECK_MODULES%/}")
for moddir in "${moddirs[@]}"; do
	[ -f "$moddir/modules.order" ] || continue
	count=$(wc -l <"$moddir/modules.order")
	[ "$count" -gt 0 ] || continue
	for idx in 0 $((count / 2)) $((count - 1)); do
		line=$(sed -n "$((idx + 1))p" "$moddir/modules.order")
		for ext in "" .xz .zst .gz; do
			f=$moddir/$line$ext
			[ -f "$f" ] || continue
			dst=$work/real$idx-$(basename "$line")
			cp "$f" "$dst$ext" || continue
			case $ext in
			.xz) xz -dc "$dst$ext" >"$dst" ;;
			.zst) zstd -qdc "$dst$ext" >"$dst" ;;
			.gz) gzip -dc "$dst$ext" >"$dst" ;;
			esac || continue
			if [[ $("$tool" inspect "$dst") == *"trailer: Merkle proof"* ]]; then
				real+=("$dst$ext")
				real_pos+=("$idx")
			fi
			break
		done
	done
	if [ ${#real[@]} -gt 0 ]; then
		note "modules: ${#real[@]} of ${moddir#"$top"/} ($count in modules.order), and 5 stand-ins"
		break
	fi
done
[ ${#real[@]} -gt 0 ] ||
	note "modules: none with proofs in ${KMOD_CHECK_MODULES:-build/out*/modules/lib/modules/*}: only the 5 stand-ins"

# --- modinfo ----------------------------------------------------------------

# UBSan reports go to stderr, which must stay empty; ASan ends the program.
# One report is kmod 34's own, not the patch's: kmod_module_info_new()
# passes a NULL value to memcpy() with length 0 for the empty signer and
# key of a legacy (id_type 0 or 1) trailer. It is suppressed.
printf 'nonnull-attribute:kmod_module_info_new\n' >"$cache/ubsan.supp"
export UBSAN_OPTIONS=print_stacktrace=1:suppressions=$cache/ubsan.supp

# run NAME MODINFO ARGS...: runs modinfo, output in $work/NAME.{out,err,rc}.
run() {
	local name=$1
	shift
	"$@" >"$work/$name.out" 2>"$work/$name.err"
	echo $? >"$work/$name.rc"
}

rc_of() {
	cat "$work/$1.rc"
}

# show_diff EXPECTED ACTUAL: the difference as TAP comments.
show_diff() {
	diff -u "$1" "$2" | sed 's/^/#   /' | head -n 40
}

# proof_lines POSITION LEVELS: what the patched modinfo adds for a proof.
proof_lines() {
	printf 'sig_id:         Merkle proof\n'
	printf 'sig_hashalgo:   sha256\n'
	printf 'proof_position: %s\n' "$1"
	printf 'proof_levels:   %s\n' "$2"
}

sig_fields=(sig_id signer sig_key sig_hashalgo signature proof_position proof_levels)

# check_proof LABEL FILE POSITION LEVELS [FULL]: exact output for a module
# with a valid proof; FULL is the whole expected output when known.
check_proof() {
	local label=$1 file=$2 pos=$3 levels=$4 full=${5:-} field want

	run ref "$ref" "$file"
	run pat "$pat" "$file"
	[ "$(rc_of ref)" -eq 0 ] && ! grep -Eq '^(sig_|signer|signature|proof_)' "$work/ref.out"
	ok $? "$label: unpatched modinfo shows no signature information"
	{ cat "$work/ref.out"; proof_lines "$pos" "$levels"; } >"$work/want.out"
	[ "$(rc_of pat)" -eq 0 ] && cmp -s "$work/want.out" "$work/pat.out"
	ok $? "$label: modinfo = unpatched output + sig_id, sig_hashalgo, proof_position $pos, proof_levels $levels" ||
		show_diff "$work/want.out" "$work/pat.out"
	if [ -n "$full" ]; then
		printf '%s\n' "$full" >"$work/want.out"
		cmp -s "$work/want.out" "$work/pat.out"
		ok $? "$label: whole modinfo output exact" || show_diff "$work/want.out" "$work/pat.out"
	fi
	for field in "${sig_fields[@]}"; do
		case $field in
		sig_id) want="Merkle proof" ;;
		sig_hashalgo) want=sha256 ;;
		proof_position) want=$pos ;;
		proof_levels) want=$levels ;;
		*) want="" ;;
		esac
		run field "$pat" -F "$field" "$file"
		printf '%s' "${want:+$want$'\n'}" >"$work/want.out"
		[ "$(rc_of field)" -eq 0 ] && cmp -s "$work/want.out" "$work/field.out"
		ok $? "$label: modinfo -F $field prints ${want:-nothing}" ||
			show_diff "$work/want.out" "$work/field.out"
	done
	run asan "$asan" "$file"
	[ "$(rc_of asan)" -eq 0 ] && [ ! -s "$work/asan.err" ] && cmp -s "$work/pat.out" "$work/asan.out"
	ok $? "$label: same under ASan/UBSan, no report" || sed 's/^/#   /' "$work/asan.err" | head -n 20
}

# Stand-in m3: position 3, three levels.
m3=$synth/m3.ko
"$tool" verify --root "$synth/root.bin" "$m3" >/dev/null 2>&1
ok $? "stand-in m3.ko: module-hashes verify accepts its proof"
pos=$(inspect_field "$m3" position)
levels=$(inspect_field "$m3" levels)
[ "$pos" = 3 ] && [ "$levels" = 3 ]
ok $? "stand-in m3.ko: module-hashes inspect: position 3, levels 3 (got $pos, $levels)"
check_proof "stand-in m3.ko" "$m3" "$pos" "$levels" "$(printf '%-16s%s\n' \
	filename: "$m3" license: GPL description: "kmod-check stand-in module 3" \
	name: kmodcheck3
	proof_lines "$pos" "$levels")"
xz -k -T1 "$m3"
run xzpat "$pat" "$m3.xz"
sed "1s|.*|filename:       $m3.xz|" "$work/pat.out" >"$work/want.out"
[ "$(rc_of xzpat)" -eq 0 ] && cmp -s "$work/want.out" "$work/xzpat.out"
ok $? "stand-in m3.ko.xz: same output as m3.ko" || show_diff "$work/want.out" "$work/xzpat.out"

for i in "${!real[@]}"; do
	f=${real[$i]}
	plain=$f
	case $f in *.xz | *.zst | *.gz) plain=${f%.*} ;; esac
	label=$(basename "$plain")
	label=${label#real*-}
	pos=$(inspect_field "$plain" position)
	levels=$(inspect_field "$plain" levels)
	[ "$pos" = "${real_pos[$i]}" ]
	ok $? "$label: module-hashes inspect position $pos is its line in modules.order (${real_pos[$i]})"
	check_proof "$label" "$plain" "$pos" "$levels"
	if [ "$f" != "$plain" ]; then
		run cpat "$pat" "$f"
		sed "1s|.*|filename:       $f|" "$work/pat.out" >"$work/want.out"
		[ "$(rc_of cpat)" -eq 0 ] && cmp -s "$work/want.out" "$work/cpat.out"
		ok $? "$label${f##"$plain"}: the installed, compressed file shows the same" ||
			show_diff "$work/want.out" "$work/cpat.out"
	fi
done

# Malformed and truncated trailers, made from a module with a proof at a
# position other than 0, so that its byte order shows: the middle real one
# when there are some, else stand-in m3. "none": the patched modinfo prints exactly
# what the unpatched one prints (no proof fields); "proof P L": it adds
# position P and L levels.
base=$m3
[ ${#real[@]} -eq 0 ] || base=${real[${#real[@]} / 2]%.xz}
base=${base%.zst}
base=${base%.gz}
cases=$work/cases
mkdir -p "$cases"
python3 - "$base" "$cases" >"$work/cases.list" <<'EOF' || die "cannot write the malformed cases"
import struct, sys

MARKER = b"~Module signature appended~\n"
data = open(sys.argv[1], "rb").read()
out = sys.argv[2]
info = data[-len(MARKER) - 12:-len(MARKER)]
sig_len = struct.unpack(">I", info[8:])[0]
payload = data[:-len(MARKER) - 12 - sig_len]
proof = data[len(payload):-len(MARKER) - 12]
pos = struct.unpack(">I", proof[:4])[0]
levels = (len(proof) - 4) // 32


def trailer(sig, sig_len=None, id_type=3, fields=(0, 0, 0, 0), pad=b"\0\0\0"):
    algo, hash_, signer_len, key_id_len = fields
    if sig_len is None:
        sig_len = len(sig)
    return sig + struct.pack(">BBBBB3sI", algo, hash_, id_type, signer_len,
                             key_id_len, pad, sig_len) + MARKER


good = payload + trailer(proof)
cases = [
    ("valid", good, f"proof {pos} {levels}"),
    ("stacked-twice", good + trailer(proof), f"proof {pos} {levels}"),
    ("one-hash-short", payload + trailer(proof[:-32]), f"proof {pos} {levels - 1}"),
    ("no-hash", payload + trailer(proof[:4]), f"proof {pos} 0"),
    ("sig-len-one-short", payload + trailer(proof, len(proof) - 1), "none"),
    ("sig-len-one-long", payload + trailer(proof, len(proof) + 1), "none"),
    ("sig-len-0", payload + proof + trailer(b""), "none"),
    ("sig-len-1", payload + proof + trailer(b"", 1), "none"),
    ("sig-len-3", payload + proof + trailer(b"", 3), "none"),
    ("sig-len-whole-module", payload + trailer(proof, len(payload) + len(proof)), "none"),
    ("sig-len-past-file", payload + trailer(proof, len(payload) + len(proof) + 1), "none"),
    ("sig-len-max", payload + trailer(proof, 0xFFFFFFFF), "none"),
    ("algo-1", payload + trailer(proof, fields=(1, 0, 0, 0)), "none"),
    ("hash-1", payload + trailer(proof, fields=(0, 1, 0, 0)), "none"),
    ("hash-4", payload + trailer(proof, fields=(0, 4, 0, 0)), "none"),
    ("signer-len-1", payload + trailer(proof, fields=(0, 0, 1, 0)), "none"),
    ("key-id-len-1", payload + trailer(proof, fields=(0, 0, 0, 1)), "none"),
    ("pad0-1", payload + trailer(proof, pad=b"\1\0\0"), "none"),
    ("pad1-1", payload + trailer(proof, pad=b"\0\1\0"), "none"),
    ("pad2-1", payload + trailer(proof, pad=b"\0\0\1"), "none"),
    ("id-type-0", payload + trailer(proof, id_type=0), "none"),
    ("id-type-1", payload + trailer(proof, id_type=1), "none"),
    ("id-type-2", payload + trailer(proof, id_type=2), "none"),
    ("id-type-4", payload + trailer(proof, id_type=4), "none"),
    ("id-type-255", payload + trailer(proof, id_type=255), "none"),
    ("marker-cut", good[:-1], "none"),
    ("marker-changed", good[:-len(MARKER)] + b"_" + MARKER[1:], "none"),
    ("cut-in-proof", good[:len(payload) + len(proof) // 2], "none"),
    ("cut-in-info", good[:len(payload) + len(proof) + 6], "none"),
    ("info-missing", payload + proof + MARKER, "none"),
    ("marker-alone", MARKER, "none"),
    ("trailer-alone", trailer(proof), "none"),
    ("empty-file", b"", "none"),
]
with open(f"{out}/payload.bin", "wb") as f:
    f.write(payload)
for name, content, expect in cases:
    with open(f"{out}/{name}.ko", "wb") as f:
        f.write(content)
    print(name, expect)
EOF
label=$(basename "$base")
note "malformed trailers, from ${label#real*-}"
while read -r name expect p l; do
	file=$cases/$name.ko
	run ref "$ref" "$file"
	run pat "$pat" "$file"
	run asan "$asan" "$file"
	cp "$work/ref.out" "$work/want.out"
	[ "$expect" = none ] || proof_lines "$p" "$l" >>"$work/want.out"
	msg="nothing added"
	[ "$expect" = none ] || msg="proof_position $p, proof_levels $l"
	rc=$(rc_of pat)
	[ "$rc" -lt 128 ] && [ "$rc" -eq "$(rc_of ref)" ] && cmp -s "$work/want.out" "$work/pat.out" &&
		{ [ "$expect" != none ] || ! grep -Eq '^proof_|Merkle' "$work/pat.out"; }
	ok $? "$name: exit $rc, no signal, output = unpatched + $msg" ||
		show_diff "$work/want.out" "$work/pat.out"
	[ "$(rc_of asan)" -eq "$rc" ] && cmp -s "$work/pat.out" "$work/asan.out" &&
		! grep -Eq 'AddressSanitizer|runtime error|LeakSanitizer' "$work/asan.err"
	ok $? "$name: same under ASan/UBSan, no report" || sed 's/^/#   /' "$work/asan.err" | head -n 20
done <"$work/cases.list"

# PKCS#7: the same module signed by the kernel's sign-file with a throwaway
# key; the patch must not change what modinfo shows.
sign_file=""
for f in "$top"/build/obj-*/scripts/sign-file; do
	if [ -x "$f" ] && [[ $("$f" 2>&1) == *Usage:* ]]; then
		sign_file=$f
		break
	fi
done
if [ -z "$sign_file" ]; then
	skip "PKCS#7 case: no kernel build tree with scripts/sign-file under build/obj-*/"
	note "(kmod's own test suite still checks mod-simple-pkcs7.ko)"
else
	key=$work/key.pem
	openssl req -new -nodes -utf8 -sha256 -days 1 -batch -x509 -newkey rsa:2048 \
		-subj "/CN=kmod-check throwaway key" -keyout "$key" -out "$key" >/dev/null 2>&1 ||
		die "openssl cannot make a key"
	signed=$work/signed.ko
	cp "$cases/payload.bin" "$signed"
	"$sign_file" sha256 "$key" "$key" "$signed" >/dev/null 2>&1
	[[ $("$tool" inspect "$signed") == *"trailer: PKCS#7"* ]]
	ok $? "PKCS#7: ${sign_file#"$top"/} signed the module"
	run ref "$ref" "$signed"
	run pat "$pat" "$signed"
	[ "$(rc_of pat)" -eq 0 ] && cmp -s "$work/ref.out" "$work/pat.out"
	ok $? "PKCS#7: modinfo output identical with and without the patch" ||
		show_diff "$work/ref.out" "$work/pat.out"
	grep -E '^(sig_id|signer|sig_hashalgo|proof_)' "$work/pat.out" >"$work/got.out"
	printf '%-16s%s\n' sig_id: 'PKCS#7' signer: 'kmod-check throwaway key' \
		sig_hashalgo: sha256 >"$work/want.out"
	cmp -s "$work/want.out" "$work/got.out"
	ok $? "PKCS#7: sig_id PKCS#7, the throwaway key's signer, sha256, no proof fields" ||
		show_diff "$work/want.out" "$work/got.out"
	grep -q '^sig_key:' "$work/pat.out" && grep -q '^signature:' "$work/pat.out"
	ok $? "PKCS#7: sig_key and signature still shown"
fi
t_tests=$(elapsed "$t0")

note "timing: source ${t_download} s, builds ${t_build} s, kmod test suite ${t_suite} s, these tests ${t_tests} s"
[ $skipped -eq 0 ] || note "$skipped skipped (reasons above)"
tap_summary
