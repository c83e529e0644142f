# 100,000 NOP commands round-trip through the command and event rings:
# none lost, none duplicated.
. /selftests/lib.sh
hnd_up
d=$(hnd_debugfs)
echo 100000 >"$d/nop_test" || fail "nop_test write"
res=$(cat "$d/nop_test")
log "$res"
echo "$res" | grep -q 'answered 100000 lost 0 duplicated 0 bad 0' || fail "NOPs lost or duplicated"
