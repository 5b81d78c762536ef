# SPDX-License-Identifier: GPL-2.0
# TAP for the test scripts: source it, call `ok STATUS DESCRIPTION` per
# check (STATUS 0 passes) and `tap_summary` last, which prints the plan and
# the closing "N passed, N failed" and fails when any check failed.
tests=0
failures=0

ok() {
	tests=$((tests + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tests - $2"
	else
		failures=$((failures + 1))
		echo "not ok $tests - $2"
	fi
}

tap_summary() {
	echo "1..$tests"
	echo "$((tests - failures)) passed, $failures failed"
	[ "$failures" -eq 0 ]
}
