#!/bin/sh
# Policy changes send connections back.  net.handoff.ports written so that
# a port is no longer listed: its offloaded transfers are restored and
# finish on the host stack, every byte checked (a listed port's are not
# touched).  net.handoff.idle_restore_s: a connection idle that long is
# restored, and data sent after that arrives through the host stack.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
trap 'sysctl -qw net.handoff.idle_restore_s=0; echo >/proc/sys/net/handoff/ports' EXIT
pol0=$(hp_stat restored_policy)
echo "5461 5462" >/proc/sys/net/handoff/ports
ok0=$(hp_stat handoff_ok)
( serve_xfer duplex 5461 4000000 46 8 ) >/tmp/rs_pol1.out 2>&1 &
x1=$!
( serve_xfer duplex 5462 4000000 47 8 ) >/tmp/rs_pol2.out 2>&1 &
x2=$!
wait_for "[ \$(( \$(hp_stat handoff_ok) - $ok0 )) -ge 16 ]" 60 ||
	fail "the 16 connections were not offloaded"
echo 5462 >/proc/sys/net/handoff/ports
wait_for "[ \$(( \$(hp_stat restored_policy) - $pol0 )) -ge 8 ]" 30 ||
	fail "port 5461's connections were not restored"
n=$(( $(hp_stat restored_policy) - pol0 ))
wait $x1 || { cat /tmp/rs_pol1.out; fail "a restored transfer failed"; }
wait $x2 || { cat /tmp/rs_pol2.out; fail "an offloaded transfer failed"; }
cat /tmp/rs_pol1.out /tmp/rs_pol2.out
echo "restored for the policy: $n"
[ "$n" -eq 8 ] || fail "expected exactly port 5461's 8 connections restored"

# idle restore: a connection that says nothing for 2 s goes back
echo >/proc/sys/net/handoff/ports
idle0=$(hp_stat restored_idle)
sysctl -qw net.handoff.idle_restore_s=2
nc -l -p 5463 >/tmp/rs_idle.out 2>&1 &
ncpid=$!
usleep 300000
ok0=$(hp_stat handoff_ok)
peer "python3 -c 'import socket,time; s=socket.create_connection((\"$GUEST_ADDR\",5463)); s.sendall(b\"before\\n\"); time.sleep(6); s.sendall(b\"after-idle\\n\"); time.sleep(1); s.close()' >idle.log 2>&1 &"
wait_for "[ \$(hp_stat handoff_ok) -gt $ok0 ]" 10 || fail "the idle connection was not offloaded"
wait_for "[ \$(hp_stat restored_idle) -gt $idle0 ]" 10 || fail "the idle connection was not restored"
echo "restored for idleness after about 2 s"
wait_for 'grep -q after-idle /tmp/rs_idle.out' 20 ||
	{ cat /tmp/rs_idle.out; fail "data after the restore did not arrive"; }
kill $ncpid 2>/dev/null
[ "$(cat /tmp/rs_idle.out)" = "$(printf 'before\nafter-idle')" ] ||
	{ cat /tmp/rs_idle.out; fail "the idle connection's bytes are wrong"; }
dmesg_check
