#!/bin/sh
# An orphan whose peer never sends its FIN: with net.ipv4.tcp_fin_timeout
# 3 it stays in FIN_WAIT2 about 3 s and is gone (the NIC frees its slot),
# without a reset, as on the host stack.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
fin0=$(cat /proc/sys/net/ipv4/tcp_fin_timeout)
sysctl -qw net.ipv4.tcp_fin_timeout=3
off0=$(hp_stat offloaded)
scenarios() {
	sc_run fin_wait2 $((base + 1))
}
sc_on_off 6900 scenarios
sysctl -qw net.ipv4.tcp_fin_timeout=$fin0
[ "$(hp_stat offloaded)" -le "$off0" ] || fail "the NIC still holds the orphan"
dmesg_check
