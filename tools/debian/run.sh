#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian guest, end to end: the trixie base image (cached), the kernel
# packages of DEBDIR installed into a copy of it with dpkg (Debian's hooks
# build the initrd), then two boots under QEMU that run the module checks
# inside the guest: with module.sig_enforce=1, and once more with
# lockdown=integrity. When DEBDIR has a linux-headers package, an
# out-of-tree module is built against it first (oot-build.sh) for the
# guest's checks to load. One TAP stream on standard output, ending with
# "N passed, N failed, N skipped"; progress on standard error; non-zero
# exit on any failure.
#
#   run.sh [DEBDIR]           DEBDIR defaults to build/debian/out (make debian)
#   run.sh --shell [DEBDIR]   install, then boot once on this terminal
#                             without the checks: a root shell on the
#                             serial console (Ctrl-A x quits QEMU)
#   run.sh --debian-kernel    the same with Debian's own trixie kernel
#                             package (tools/debian/debian-kernel.sh), as a
#                             reference: checks that need
#                             CONFIG_MODULE_HASHES are skipped
#
# Everything of a run is in build/debian/run/, or DEBIAN_RUN (logs of each
# boot: NAME.console.log, NAME.tap, NAME.journal.log; install.log). Environment:
# see boot.sh (DEBIAN_DISK, DEBIAN_NIC, DEBIAN_TIMEOUT) and install.sh
# (DEBIAN_DEBS, KEEP_ROOT).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tools/debian/lib.sh
source "$top/tools/debian/lib.sh"
here=$top/tools/debian
run=${DEBIAN_RUN:-$work/run}

shell=0 debdir=
while [ $# -gt 0 ]; do
	case $1 in
	--shell) shell=1 ;;
	--debian-kernel) debdir=$("$here/debian-kernel.sh") ;;
	-h|--help) sed -n '3,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "usage: $0 [--shell] [--debian-kernel | DEBDIR]" >&2; exit 2 ;;
	*) debdir=$1 ;;
	esac
	shift
done
debdir=${debdir:-$work/out}
if ! ls "$debdir"/linux-image-*.deb >/dev/null 2>&1; then
	echo "debian-run: error: no linux-image-*.deb in $debdir: run 'make debian' (or: $0 --debian-kernel)" >&2
	exit 1
fi

n=0 passed=0 failed=0 skipped=0
emit() {
	n=$((n + 1))
	case $1 in
	ok)
		case $2 in
		*"# SKIP"*) skipped=$((skipped + 1)) ;;
		*) passed=$((passed + 1)) ;;
		esac
		echo "ok $n - $2" ;;
	*)
		failed=$((failed + 1))
		echo "not ok $n - $2" ;;
	esac
}
# merge PHASE: renumbers the TAP lines of standard input into the stream,
# their descriptions prefixed with PHASE; comments pass, plans and summaries
# become comments.
merge() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok "[0-9]*) emit ok "$1: ${line#* - }" ;;
		"not ok "[0-9]*) emit "not ok" "$1: ${line#* - }" ;;
		"#"*) echo "$line" ;;
		"") ;;
		*) echo "# $1: $line" ;;
		esac
	done
}
finish() {
	echo "1..$n"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}
now() { date +%s; }
progress() { echo "debian-run: $*" >&2; }

# 1. The base image.
t0=$(now)
if "$here/image.sh" >&2; then
	emit ok "image: the trixie base image $work/base.tar ($(du -m "$work/base.tar" | cut -f1) MB, $(( $(now) - t0 )) s)"
else
	emit "not ok" "image: the trixie base image (see the message above)"
	finish
fi

# 2. The kernel packages, installed with dpkg; before that, an out-of-tree
# module built against the headers package when there is one.
t1=$(now)
rm -rf "$run"
mkdir -p "$run"
if ls "$debdir"/linux-headers-*.deb >/dev/null 2>&1; then
	progress "building an out-of-tree module against $(cd "$debdir" && echo linux-headers-*.deb)"
	rc=0
	"$here/oot-build.sh" "$debdir" "$run/oot" >"$run/oot.tap" || rc=$?
	merge oot <"$run/oot.tap"
	[ $rc -eq 0 ] || { emit "not ok" "oot: finished (exit $rc, log $run/oot/oot-build.log)"; finish; }
	export DEBIAN_OOT=$run/oot
fi
progress "installing $(cd "$debdir" && echo linux-image-*.deb) into a copy of the image"
rc=0
"$here/install.sh" "$debdir" "$run" >"$run/install.tap" || rc=$?
merge install <"$run/install.tap"
[ $rc -eq 0 ] || { emit "not ok" "install: finished (exit $rc, log $run/install.log)"; finish; }
t2=$(now)

if [ "$shell" = 1 ]; then
	DEBIAN_SHELL=1 exec "$here/boot.sh" "$run" shell
fi

# 3. The boots.
declare -A times=()
boot() {
	local name=$1 start rc=0
	shift
	progress "booting the guest ($name: $*), up to ${DEBIAN_TIMEOUT:-900} s under TCG"
	start=$(now)
	"$here/boot.sh" "$run" "$name" "$@" || rc=$?
	times[$name]=$(( $(now) - start ))
	merge "$name" <"$run/$name.tap"
	if grep -qE '^[0-9]+ passed, [0-9]+ failed' "$run/$name.tap" && [ $rc -eq 0 ]; then
		emit ok "$name: the guest ran its checks and powered off (${times[$name]} s from QEMU's start)"
	else
		case $rc in
		124) why="QEMU timed out after ${DEBIAN_TIMEOUT:-900} s" ;;
		0) why="the checks did not finish" ;;
		*) why="QEMU exit $rc" ;;
		esac
		tail -n 15 "$run/$name.console.log" 2>/dev/null | sed 's/^/# console: /'
		emit "not ok" "$name: the guest ran its checks and powered off ($why; console $run/$name.console.log)"
	fi
}
boot enforce
boot lockdown lockdown=integrity
echo "# times: image $((t1 - t0)) s, install $((t2 - t1)) s, boot enforce ${times[enforce]} s, boot lockdown ${times[lockdown]} s, total $(( $(now) - t0 )) s"
finish
