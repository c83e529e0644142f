#!/usr/bin/env bash
# Count the results of every KTAP file given; print one closing line.
# Exits 1 if any test failed or a file has fewer results than its plan.
passed=0 failed=0 skipped=0
for tap in "$@"; do
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap" | head -n 1)
	ok=$(grep -c '^ok ' "$tap")
	skip=$(grep -c '^ok .*# SKIP' "$tap")
	bad=$(grep -c '^not ok ' "$tap")
	if [ -z "$plan" ] || [ $((ok + bad)) -lt "$plan" ]; then
		echo "$(basename "$tap"): $((ok + bad)) results for plan ${plan:-none}"
		bad=$((bad + ${plan:-1} - ok - bad))
	fi
	passed=$((passed + ok - skip))
	skipped=$((skipped + skip))
	failed=$((failed + bad))
done
echo "check: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
