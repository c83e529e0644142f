#!/bin/sh
# Urgent data, as Linux does it: the peer's urgent byte raises POLLPRI
# and SIGURG, a read stops at the mark, sockatmark says so, recv(MSG_OOB)
# takes it (and with SO_OOBINLINE it is in the stream); ours reaches the
# peer out of band.  On the NIC the first makes the firmware ask for the
# connection back (restore_asked_urgent) before it takes the segment, the
# second restores before TCP sends it (restored_call): no byte is lost.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
urg0=$(hp_stat restore_asked_urgent); call0=$(hp_stat restored_call)
scenarios() {
	sc_run urgent_in $((base + 1))
	sc_run urgent_out $((base + 2))
}
sc_on_off 6300 scenarios
[ "$(hp_stat restore_asked_urgent)" -eq $((urg0 + 1)) ] ||
	fail "restore_asked_urgent $urg0 -> $(hp_stat restore_asked_urgent), expected one more"
[ "$(hp_stat restored_call)" -ge $((call0 + 1)) ] ||
	fail "send(MSG_OOB) did not restore first"
dmesg_check
