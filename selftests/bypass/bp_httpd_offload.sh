#!/bin/sh
# Unmodified busybox httpd serves 1000 requests to curl on the host; every
# connection is handed off after accept() (counted by /proc/net/handoff)
# and every response's SHA-256 matches the file served.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
www=/tmp/www
mkdir -p $www
sums=
for i in 0 1 2 3 4 5 6 7 8 9; do
	head -c $((i * i * 9973 + 17)) /dev/urandom >$www/f$i
	sums="$sums [f$i]=$(sha256sum $www/f$i | cut -d' ' -f1)"
done
# killed however the test ends: holding our stdout it would hang the runner
httpd -f -p 8080 -h $www >/dev/null 2>&1 &
hpid=$!
trap 'kill $hpid 2>/dev/null' EXIT
usleep 300000
ok0=$(hp_stat handoff_ok)
tried0=$(hp_stat handoff_tried)
peer "declare -A S=($sums); bad=0; for i in \$(seq 0 999); do f=f\$((i % 10)); s=\$(curl -sf --max-time 30 http://$GUEST_ADDR:8080/\$f | sha256sum | cut -d' ' -f1); [ \"\$s\" = \"\${S[\$f]}\" ] || { bad=\$((bad + 1)); echo \"request \$i (\$f): bad response\" >>httpd.err; }; done; echo \"responses checked 1000 bad \$bad\" >httpd.res 2>&1" >/dev/null &
ppid=$!
wait_for "peer 'test -s httpd.res' >/dev/null" 600 || fail "the peer's curl loop did not finish"
wait $ppid
res=$(peer "cat httpd.err httpd.res 2>/dev/null")
echo "peer: $res"
kill $hpid
tried=$(( $(hp_stat handoff_tried) - tried0 ))
ok=$(( $(hp_stat handoff_ok) - ok0 ))
echo "connections accepted $tried, handed off $ok"
grep -E '^(msg_|late_|events_refused|command_errors|refused)' /proc/net/handoff | grep -v ' 0$'
echo "$res" | grep -q 'bad 0$' || fail "responses differ from the files"
[ "$tried" -eq 1000 ] && [ "$ok" -eq 1000 ] || fail "not every connection was offloaded"
dmesg | grep -E 'handoff|failed' | tail -5
dmesg_check
