#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The boot cost of module authentication with Debian's module set (issue
# 12, item 6): a benchmark, not a test. One kernel, two guests that differ
# only in how their modules are authenticated:
#   proofs   the packages as built: in-tree modules carry Merkle proofs
#   pkcs7    the same modules with PKCS#7 signatures of the test key in
#            place of their proofs (resign-modules.sh), the initrd rebuilt
# Each boots ROUNDS times, alternating, under module.sig_enforce=1 with
# function_graph timing every module_sig_check() (depth 1: nothing under
# it is traced, so the tracer adds one entry and one exit per module);
# guest/boot-cost-report sends the durations back.
#
#   boot-cost.sh [DEBDIR]     default build/debian-scale/out (scale-build.sh)
#   boot-cost.sh --report     parse the reports of the last run again
#
# The kernel must trust the test key (tools/debian/oot/test-cert.pem in
# CONFIG_SYSTEM_TRUSTED_KEYS): scale-build.sh builds it so. TCG
# (BOOT_COST_ACCEL=kvm where KVM works); ROUNDS (default 3).
# Results: build/debian/boot-cost/results, also on standard output.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tools/debian/lib.sh
source "$top/tools/debian/lib.sh"
here=$top/tools/debian
die() { echo "boot-cost: error: $*" >&2; exit 1; }
out=$work/boot-cost
report_only=
[ "${1:-}" != --report ] || { report_only=yes; shift; }
debdir=$(cd "${1:-$top/build/debian-scale/out}" && pwd) || die "no package directory"
rounds=${ROUNDS:-3}
# TCG unless asked: on these machines /dev/kvm opens and a paused QEMU
# starts, but the guest kernel then stops with "KVM internal error ...
# emulation failure" (seen 2026-12-06), so KVM cannot be probed cheaply.
accel=${BOOT_COST_ACCEL:-tcg}

# summarize VARIANT ROUND: one line from that boot's report.
summarize() {
	local variant=$1 round=$2
	# function_graph prints "DURATION us | module_sig_check();", the
	# duration after a marker (+ ! # * @ $) when it is long; a call
	# interrupted by another traced event is printed as an opening line
	# and "DURATION us | } /* module_sig_check */".
	awk -v variant="$variant" -v round="$round" '
		$1 == "loaded" { loaded = $2 } $1 == "tainted" { tainted = $2 }
		$1 == "lost" { lost = $2 }
		/module_sig_check\(\);|\} \/\* module_sig_check \*\// && match($0, /[0-9.]+ us/) {
			d = substr($0, RSTART, RLENGTH - 3) + 0; t[n++] = d; sum += d
		}
		END {
			asort(t)
			printf "%-6s boot %d: %4d calls, total %8.1f ms, mean %7.1f us, median %7.1f us, max %8.1f us; %d modules loaded, tainted=%s, lost events %s\n",
				variant, round, n, sum / 1000, n ? sum / n : 0, n ? t[int((n + 1) / 2)] : 0, n ? t[n] : 0, loaded, tainted, lost
		}' "$out/$variant/cost$round.tap"
}

# --report: the lines of the boots already made, parsed again.
if [ -n "$report_only" ]; then
	for round in $(seq "$rounds"); do
		for variant in proofs pkcs7; do
			[ ! -f "$out/$variant/cost$round.tap" ] || summarize $variant "$round"
		done
	done
	exit 0
fi

"$here/image.sh" >&2
rm -rf "$out"
mkdir -p "$out"
for variant in proofs pkcs7; do
	hook=
	[ $variant = proofs ] || hook="$here/resign-modules.sh $debdir"
	echo "boot-cost: installing the $variant guest" >&2
	DEBIAN_CHECKS=$here/guest/boot-cost-report DEBIAN_HOOK=$hook \
		"$here/install.sh" "$debdir" "$out/$variant" >"$out/$variant.install.tap" ||
		die "install.sh failed for $variant: $out/$variant.install.tap"
done


trace="ftrace=function_graph ftrace_graph_filter=module_sig_check ftrace_graph_max_depth=1 trace_buf_size=2M"
results=$out/results
{
	echo "kernel $(cat "$out/proofs/version"), $(cd "$debdir" && echo linux-image-*.deb)"
	echo "QEMU -accel $accel, -smp 2 -m 1024, module.sig_enforce=1, $rounds boots each"
} | tee "$results"
for round in $(seq "$rounds"); do
	for variant in proofs pkcs7; do
		name=cost$round
		# Under TCG with two vCPUs, function_graph's patching of every
		# function at boot now and then meets a CPU that runs the code being
		# patched ("Oops: int3" in the scheduler, before any module loads):
		# such a boot is said and done again, once.
		for attempt in 1 2; do
			echo "boot-cost: boot $round of $variant, attempt $attempt" >&2
			DEBIAN_ACCEL=$accel "$here/boot.sh" "$out/$variant" "$name" $trace &&
				grep -qx end "$out/$variant/$name.tap" && break
			oops=$(grep -m1 -o 'Oops: .*\|RIP: .*' "$out/$variant/$name.console.log" | head -n 2 | paste -sd' ')
			echo "$variant boot $round, attempt $attempt: no report (${oops:-no oops in the console})" | tee -a "$results"
			[ $attempt = 1 ] || die "boot $round of $variant failed twice (console: $out/$variant/$name.console.log)"
			mv "$out/$variant/$name.console.log" "$out/$variant/$name.failed.console.log"
		done
		summarize $variant $round | tee -a "$results"
	done
done
