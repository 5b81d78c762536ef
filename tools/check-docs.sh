#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-docs.sh
#
# Checks every Documentation/**/*.rst of this repository with docutils: any
# message of level WARNING or above fails the file. The documents use plain
# reStructuredText only (no Sphinx or kernel-only directives and roles), so
# docutils alone can judge them. Prints TAP, then "N passed, N failed";
# exits non-zero when a file fails or docutils is missing.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top" || exit 2

# docutils >= 0.19 runs as a module; older ones ship rst2pseudoxml.
if python3 -m docutils --version >/dev/null 2>&1; then
	check() { python3 -m docutils --halt=warning --report=warning "$1" /dev/null; }
elif command -v rst2pseudoxml >/dev/null 2>&1; then
	check() { rst2pseudoxml --halt=warning --report=warning "$1" /dev/null; }
else
	echo "check-docs: docutils is missing (Debian package python3-docutils)" >&2
	exit 2
fi

files=()
if [ -d Documentation ]; then
	mapfile -d '' -t files < <(find Documentation -type f -name '*.rst' -print0 | sort -z)
fi

echo "1..${#files[@]}"
passed=0 failed=0 n=0
for f in "${files[@]}"; do
	n=$((n + 1))
	if out=$(check "$f" 2>&1); then
		echo "ok $n - $f"
		passed=$((passed + 1))
	else
		echo "not ok $n - $f"
		printf '%s\n' "$out" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
