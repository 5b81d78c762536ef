#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The QEMU suite: builds the test kernels, boots each under every command
# line of the matrix with an initramfs that runs modtest (init_module and
# finit_module with exact errno checks), and checks each boot's log for the
# sealed root and for any oops, BUG, WARNING or Rust panic. Prints TAP and a
# closing "N passed, N failed".
#
# Kernels (tools/configs/): "hashes" (hashes only, the default configuration,
# build/out/) and "hashes-sig" (hashes plus MODULE_SIG without
# MODULE_SIG_ALL, build/out-hashes-sig/).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
work=$top/build/qemu
mkdir -p "$work"

. "$top/tools/tap.sh"

# build CONFIG OUTDIR: builds a kernel and installs its modules; one test.
build() {
	local log=$work/build-$1.log start=$SECONDS
	"$top/tools/build-kernel.sh" "$1" "$2" >"$log" 2>&1
	local rc=$?
	ok $rc "kernel $1 builds and installs ($((SECONDS - start)) s)"
	[ $rc -eq 0 ] || tail -n 30 "$log" | sed 's/^/# /'
	return $rc
}

. "$top/tools/qemu-test/lib.sh"
prepare_host_tools || exit 1

# boot CONFIG OUTDIR MODE CMDLINE...: one boot; checks modtest's results
# and the kernel log.
boot() {
	local config=$1 out=$2 mode=$3 log=$work/boot-$1-$3.log
	shift 3
	local start=$SECONDS
	boot_qemu "$config" "$out" "$mode" "$log" "$@"
	local name="$config/$mode"
	echo "# boot $name: $((SECONDS - start)) s, log ${log#"$top"/}"
	# modtest's own TAP lines, renumbered into this stream.
	while IFS= read -r line; do
		case $line in
		"ok "*) ok 0 "$name: ${line#ok * - }" ;;
		"not ok "*)
			local rest=${line#not ok }
			ok 1 "$name: ${rest#* - }"
			;;
		esac
	done < <(grep -E '^(not )?ok [0-9]+ - ' "$log")
	grep -q '^modtest: end' "$log"
	ok $? "$name: modtest ran to the end"
	# modtest's own count must agree with the lines read above, so that a
	# line garbled by interleaved kernel messages cannot go unnoticed.
	local summary seen
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	seen=$(grep -cE '^(not )?ok [0-9]+ - ' "$log")
	[ -n "$summary" ] && [ "${summary#*, }" = "0 failed" ] &&
		[ "${summary%% *}" -eq "$seen" ]
	ok $? "$name: modtest reports ${summary:-no summary}, $seen results read"
	local bad='BUG:|WARNING:|Oops|Kernel panic|panicked at|rust_panic|Call Trace'
	! grep -Eq "$bad" "$log"
	ok $? "$name: no oops, BUG, WARNING or panic in the kernel log"
	grep -E -m 3 -B 2 "$bad" "$log" | sed 's/^/# /'
	# The root the booted bzImage prints is the one sealed into vmlinux.
	local levels hash
	levels=$("$qemu_work/module-hashes" root "$out/vmlinux" | sed -n 's/^levels: //p')
	hash=$("$qemu_work/module-hashes" root "$out/vmlinux" | sed -n 's/^root: //p')
	[ "$levels" -gt 0 ] && grep -q "module_hashes: root: $levels levels, sha256 $hash" "$log"
	ok $? "$name: the kernel prints the root sealed into vmlinux ($levels levels)"
}

# oot_module OBJ: builds tools/qemu-test/oot against the kernel in OBJ and
# signs it with that build's key; prints the signed module's path.
oot_module() {
	local obj=$1 dir=$work/oot
	rm -rf "$dir"
	cp -a "$top/tools/qemu-test/oot" "$dir"
	make -s -C "$obj" M="$dir" LLVM=1 RUSTC=/usr/bin/rustc modules >&2 &&
		"$obj/scripts/sign-file" sha256 "$obj/certs/signing_key.pem" \
			"$obj/certs/signing_key.x509" "$dir/oot_hello.ko" &&
		echo "$dir/oot_hello.ko"
}

# kunit_results LOG: the KTAP of the verifier's KUnit suite (hashes-sig runs
# it at boot): one line per test case or parameter, and a check that their
# number is the suite's own total, with no failure.
kunit_results() {
	local log=$1 status name seen=0 totals
	while IFS=$'\t' read -r status name; do
		ok "$status" "kunit: $name"
		seen=$((seen + 1))
	done < <(awk '
		/^KTAP version 1$/ { on = 1 }
		!on { next }
		{ match($0, /^ */); ind = RLENGTH; line = substr($0, ind + 1) }
		ind == 8 && line ~ /^# Subtest: / { sub_name = substr(line, 12); params = 1; next }
		line ~ /^(not )?ok [0-9]+ / {
			st = (line ~ /^not /) ? 1 : 0
			name = line; sub(/^(not )?ok [0-9]+ /, "", name)
			if (ind == 8) print st "\t" sub_name ": " name
			else if (ind == 4) { if (!params) print st "\t" name; params = 0 }
			else if (ind == 0) exit
		}' "$log")
	totals=$(grep -E '^# Totals: pass:[0-9]+ fail:0 skip:0 total:[0-9]+$' "$log")
	[ -n "$totals" ] && [ "${totals##*total:}" -eq "$seen" ]
	ok $? "kunit: the module_hashes suite ran: ${totals:-no totals line}, $seen results read"
}

echo "TAP version 13"
sig_out=$top/build/out-hashes-sig
sig_obj=$top/build/obj-hashes-sig
sign=(--sign-file "$sig_obj/scripts/sign-file" --key "$sig_obj/certs/signing_key.pem"
	--cert "$sig_obj/certs/signing_key.x509")
# The MODULE_SIG build first: its sign-file and key also make the PKCS#7
# module that the hashes-only kernel must not accept as authenticated.
if build hashes-sig "$sig_out"; then
	oot=$(oot_module "$sig_obj")
	ok $? "an out-of-tree module builds against hashes-sig and is signed with sign-file"
	if make_initramfs hashes-sig "$sig_out" sig,off "${sign[@]}" --oot "$oot" \
		--kernel-has-module-sig; then
		# This boot forces the crypto API driver for SHA-256 (QEMU's TCG
		# runs SIMD slowly, so the timing picks the library elsewhere):
		# the KUnit suite and every load go through the driver path.
		boot hashes-sig "$sig_out" sig module.sig_enforce=1 module_hashes.sha256=driver
		grep -Eq 'module_hashes: SHA-256 by sha256-[a-z0-9]+ \(module_hashes.sha256=driver\)' \
			"$work/boot-hashes-sig-sig.log"
		ok $? "hashes-sig/sig: the verifier hashes through the crypto driver"
		kunit_results "$work/boot-hashes-sig-sig.log"
		boot hashes-sig "$sig_out" off module_hashes.sha256=library
		grep -q 'module_hashes: SHA-256 by the library' "$work/boot-hashes-sig-off.log"
		ok $? "hashes-sig/off: the verifier hashes with the library"
	fi
fi
# kbuild_checks OBJ: incremental builds and modules_install, renumbered.
kbuild_checks() {
	local log=$work/kbuild-checks.log line
	"$top/tools/kbuild-checks.sh" "$1" >"$log" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok "*) ok 0 "kbuild: ${line#ok * - }" ;;
		"not ok "*) line=${line#not ok }; ok 1 "kbuild: ${line#* - }" ;;
		esac
	done <"$log"
	grep -q '^[0-9]* passed, 0 failed$' "$log"
	ok $? "kbuild: all incremental-build checks ran"
}

if build hashes "$top/build/out"; then
	kbuild_checks "$top/build/obj-hashes"
	if make_initramfs hashes "$top/build/out" off,enforce,lockdown "${sign[@]}" \
		--other-moddir "$(echo "$sig_out"/modules/lib/modules/*)"; then
		boot hashes "$top/build/out" off
		grep -Eq 'module_hashes: SHA-256: library [0-9]+ MB/s, sha256-[a-z0-9]+ [0-9]+ MB/s' \
			"$work/boot-hashes-off.log"
		ok $? "hashes/off: the verifier timed the library against the crypto driver"
		boot hashes "$top/build/out" enforce module.sig_enforce=1
		boot hashes "$top/build/out" lockdown lockdown=integrity
	fi
fi

tap_summary
