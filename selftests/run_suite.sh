#!/bin/sh
# Run one suite of guest tests and print KTAP.
#   run_suite.sh SUITE [TEST...]
# Tests are /selftests/SUITE/NAME.sh, in the order of SUITE/TESTS.  Each
# exits 0 (pass), 4 (skip) or anything else (fail); its output becomes
# KTAP diagnostics.
suite=$1
shift
dir=/selftests/$suite
tests=${*:-$(grep -v '^#' "$dir/TESTS")}
timeout=${HND_TEST_TIMEOUT:-900}

set -- $tests
echo "TAP version 13"
echo "1..$#"
i=0
for t in $tests; do
	i=$((i + 1))
	echo "# $t: start $(date +%s)"
	out=$(cd /tmp && timeout "$timeout" sh "$dir/$t.sh" 2>&1)
	rc=$?
	[ -n "$out" ] && echo "$out" | sed 's/^/# /'
	case $rc in
	0) echo "ok $i $t" ;;
	4) echo "ok $i $t # SKIP" ;;
	*) echo "not ok $i $t # exit $rc" ;;
	esac
done
