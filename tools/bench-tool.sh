#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# module-hashes build against OpenSSL's SHA-256 and against scripts/sign-file
# on a realistic corpus: the modules of Debian's linux-image-6.12 amd64
# package (downloaded with apt-get download and decompressed under
# build/bench/, not committed). Prints modules, MB, wall time and MB/s of
# each, in one run. SIGN=0 skips the signing comparison (a minute or two).
#
# build always appends each proof to its module, so it cannot hash a tree
# without writing: it runs on a copy of the corpus (build/bench/tree), and
# the corpus itself stays without proofs for openssl and sign-file. The
# first build of a fresh copy rewrites every module; the repeated runs find
# every proof in place, leave the modules alone and write only the root, so
# they measure hashing (of the same bytes openssl hashes: the module
# without its proof) and the tree.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=$top/build/bench
corpus=$work/corpus
runs=${RUNS:-5}
mkdir -p "$work"

if [ ! -f "$corpus/modules.order" ]; then
	cd "$work"
	pkg=$(apt-cache search '^linux-image-6\.12\.[0-9.]+\+deb12-amd64-unsigned' |
		awk '{print $1}' | sort -V | tail -n 1)
	[ -n "$pkg" ] || { echo "bench-tool: no linux-image-6.12 package found (apt-get update?)" >&2; exit 1; }
	echo "bench-tool: corpus from $pkg"
	rm -rf unpacked "$corpus" ./*.deb
	apt-get download -q "$pkg" 2>/dev/null
	dpkg-deb -x ./*.deb unpacked
	moddir=$(echo unpacked/lib/modules/*)
	mkdir -p "$corpus"
	cp -a "$moddir/kernel" "$corpus/"
	# Debian ships xz-compressed modules; the hashed bytes are the .ko.
	find "$corpus" -name '*.ko.xz' -print0 | xargs -0 -P "$(nproc)" -n 64 xz -d
	# kbuild's modules.order order is not in the package: use path order.
	(cd "$corpus" && find kernel -name '*.ko' | LC_ALL=C sort | sed 's/\.ko$/.o/' >modules.order.tmp &&
		mv modules.order.tmp modules.order)
	rm -rf unpacked ./*.deb
fi

cargo build -q --release --manifest-path "$top/tools/module-hashes/Cargo.toml"
tool=$top/tools/module-hashes/target/release/module-hashes
tree=$work/tree
cd "$corpus"
count=$(wc -l <modules.order)
bytes=$(sed 's/\.o$/.ko/' modules.order | tr '\n' '\0' | du -cb --files0-from=- | tail -n 1 | cut -f1)
mb=$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}')
cores=$(nproc)

# best_of N CMD...: the fastest wall time of N runs, in seconds. The files
# are read once before, so every run sees a warm page cache.
best_of() {
	local n=$1 best="" t s e; shift
	for _ in $(seq "$n"); do
		s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
		t=$(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.3f", e - s}')
		if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN {exit !(t < b)}'; then best=$t; fi
	done
	echo "$best"
}
files() { sed 's/\.o$/.ko/' modules.order; }
openssl_one_core() { files | xargs openssl dgst -sha256; }
openssl_all_cores() { files | xargs -P "$cores" -n 200 openssl dgst -sha256; }
tool_build() { (cd "$tree" && "$tool" build --order modules.order --suffix .ko --root-bin root.bin "$@"); }
# A copy of the corpus, its modules without proofs, on disk.
fresh_copy() {
	rm -rf "$tree"
	cp -a "$corpus" "$tree"
	sync
}

files | xargs cat >/dev/null
# A fresh build rewrites every module with its proof appended. It is also
# the comparison with signing below, which rewrites every module too.
fresh=""
for _ in 1 2 3; do
	fresh_copy
	t=$(best_of 1 tool_build)
	if [ -z "$fresh" ] || awk -v t="$t" -v b="$fresh" 'BEGIN {exit !(t < b)}'; then fresh=$t; fi
done
# The floor for that on this file system: writing every module again as a
# new file renamed over the old one, as build does, one at a time.
rewrite_floor=$(cd "$tree" && python3 -c '
import os, time
paths = [l.strip()[:-2] + ".ko" for l in open("modules.order")]
t = time.time()
for p in paths:
    with open(p, "rb") as f:
        data = f.read()
    with open(p + ".floor", "wb") as f:
        f.write(data)
    os.rename(p + ".floor", p)
print("%.3f" % (time.time() - t))')
# The tree of the last fresh build, proofs in place: hashing only.
tool_all=$(best_of "$runs" tool_build)
tool_one=$(best_of "$runs" tool_build --jobs 1)
ossl_one=$(best_of "$runs" openssl_one_core)
ossl_all=$(best_of "$runs" openssl_all_cores)
rate() { awk -v b="$bytes" -v t="$1" 'BEGIN {printf "%.0f", b / 1e6 / t}'; }

# Signing as kbuild does it (modules_sign: one sign-file per module, the
# default SHA-512 and a 4096-bit RSA key from certs/default_x509.genkey),
# against the fresh module-hashes build above, which also rewrites every
# module. Each runs on a fresh copy of the corpus.
if [ "${SIGN:-1}" != 0 ]; then
	ksrc=${KERNEL_SRC:-$top/build/src/linux-source-6.12}
	[ -f "$ksrc/scripts/sign-file.c" ] ||
		{ echo "bench-tool: no kernel source at $ksrc (make kernel unpacks it)" >&2; exit 1; }
	signdir=$work/signing
	mkdir -p "$signdir"
	gcc -O2 -Wno-deprecated-declarations -o "$signdir/sign-file" "$ksrc/scripts/sign-file.c" -lcrypto
	[ -f "$signdir/signing_key.pem" ] ||
		openssl req -new -nodes -utf8 -sha512 -days 36500 -batch -x509 \
			-config "$ksrc/certs/default_x509.genkey" -outform PEM \
			-out "$signdir/signing_key.pem" -keyout "$signdir/signing_key.pem" 2>/dev/null
	sign_one_by_one() {
		(cd "$tree" && files | while read -r m; do
			"$signdir/sign-file" sha512 "$signdir/signing_key.pem" "$signdir/signing_key.pem" "$m" || exit 1
		done)
	}
	sign_parallel() {
		(cd "$tree" && files | xargs -P "$cores" -I{} \
			"$signdir/sign-file" sha512 "$signdir/signing_key.pem" "$signdir/signing_key.pem" {})
	}
	fresh_copy; sign_serial=$(best_of 1 sign_one_by_one)
	fresh_copy; sign_par=$(best_of 1 sign_parallel)
fi
rm -rf "$tree"

echo
echo "corpus: $count modules, $mb MB (Debian linux-image-6.12 amd64, decompressed), $cores cores"
echo "sha256 backend: $(grep -qw sha_ni /proc/cpuinfo && echo sha-ni || echo portable)"
printf '%-52s %8s %8s\n' "what (best of $runs runs; proofs in place)" "wall s" "MB/s"
printf '%-52s %8s %8s\n' "module-hashes build, $cores threads" "$tool_all" "$(rate "$tool_all")"
printf '%-52s %8s %8s\n' "module-hashes build, 1 thread" "$tool_one" "$(rate "$tool_one")"
printf '%-52s %8s %8s\n' "openssl dgst -sha256, 1 process" "$ossl_one" "$(rate "$ossl_one")"
printf '%-52s %8s %8s\n' "openssl dgst -sha256, $cores processes" "$ossl_all" "$(rate "$ossl_all")"
printf 'per-core throughput, tool / openssl: %s\n' \
	"$(awk -v a="$tool_one" -v b="$ossl_one" 'BEGIN {printf "%.2f", b / a}')"
printf 'upstream C tool reference: 0.73 s for 4256 modules; this run: %s s for %s\n' "$tool_all" "$count"
echo
printf '%-52s %8s %8s\n' "rewriting every module (fresh copy each)" "wall s" "MB/s"
printf '%-52s %8s %8s\n' "module-hashes build, fresh, $cores threads" "$fresh" "$(rate "$fresh")"
printf '%-52s %8s\n' "  (python rewriting $count modules: FS floor)" "$rewrite_floor"
if [ "${SIGN:-1}" != 0 ]; then
	printf '%-52s %8s %8s\n' "sign-file sha512 RSA-4096, one by one" "$sign_serial" "$(rate "$sign_serial")"
	printf '%-52s %8s %8s\n' "sign-file, $cores at a time (make -j$cores)" "$sign_par" "$(rate "$sign_par")"
	printf 'signing one by one / module-hashes fresh: %s; / module-hashes (proofs in place): %s\n' \
		"$(awk -v a="$sign_serial" -v b="$fresh" 'BEGIN {printf "%.0fx", a / b}')" \
		"$(awk -v a="$sign_serial" -v b="$tool_all" 'BEGIN {printf "%.0fx", a / b}')"
	printf 'signing %s at a time / module-hashes fresh: %s\n' "$cores" \
		"$(awk -v a="$sign_par" -v b="$fresh" 'BEGIN {printf "%.0fx", a / b}')"
fi
