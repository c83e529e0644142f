#!/usr/bin/env bash
# Judge a guest console log from the debug kernel: KTAP on stdout, one test
# per kind of report; a failing test quotes each report (the line and the
# 40 after it).  Usage: debug-splats.sh CONSOLE.log.  Exits 1 on any.
set -uo pipefail

log=$1
clean=$(mktemp)
trap 'rm -f "$clean"' EXIT
tr -d '\r' <"$log" >"$clean"

# name and extended regex, in the order of the KTAP results
checks=(
	"lockdep|possible (circular|recursive) locking|inconsistent lock state|possible irq lock inversion|lock held when returning|bad unlock balance|held lock freed|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|INFO: lockdep is turned off"
	"kasan|BUG: KASAN:"
	"atomic_sleep|BUG: sleeping function called from invalid context|BUG: scheduling while atomic|BUG: workqueue leaked lock"
	"debugobjects|ODEBUG:"
	"kmemleak|unreferenced object 0x|kmemleak: .*new suspected memory leaks"
	"bug_warning_oops|BUG:|WARNING:|Oops|general protection fault|Kernel panic"
)

echo "TAP version 13"
echo "1..$((${#checks[@]} + 1))"
i=0 bad=0
for c in "${checks[@]}"; do
	i=$((i + 1))
	name=${c%%|*} re=${c#*|}
	if grep -qE "$re" "$clean"; then
		grep -nE "$re" "$clean" | head -n 20 | sed 's/^/# /'
		# the first report in full
		first=$(grep -nE "$re" "$clean" | head -n 1 | cut -d: -f1)
		sed -n "$first,$((first + 40))p" "$clean" | sed 's/^/# | /'
		echo "not ok $i $name"
		bad=1
	else
		echo "ok $i $name"
	fi
done
# kmemleak's verdict counts only if the guest got to its scan
i=$((i + 1))
if grep -q '^KMEMLEAK-END' "$clean"; then
	echo "ok $i kmemleak_scanned"
else
	echo "# no KMEMLEAK-END on the console: the guest did not finish"
	echo "not ok $i kmemleak_scanned"
	bad=1
fi
exit "$bad"
