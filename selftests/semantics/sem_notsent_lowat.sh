#!/bin/sh
# TCP_NOTSENT_LOWAT runs on the NIC (CHW_CC_NOTSENT_LOWAT, its CHW_CC_SENT
# reports), it does not restore: into a peer that does not read, writes
# stop with EAGAIN at the mark, poll says not writable, a blocking write
# waits; as the peer reads, poll says writable and a blocked writer
# wakes.  The same checks with offload on and off; restored_call does
# not grow, and the on run took the NIC's reports (notsent_sent_reports).
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
call0=$(hp_stat restored_call)
scenarios() {
	rep0=$(hp_stat notsent_sent_reports)
	sc_run notsent_lowat $((base + 1)) "" "--rcvbuf 16384"
	reports=$(( $(hp_stat notsent_sent_reports) - rep0 ))
	echo "offload $SC_MODE: $reports CHW_CC_SENT reports"
	if [ "$SC_MODE" = on ]; then
		[ "$reports" -gt 0 ] || fail "the NIC reported nothing sent"
	else
		[ "$reports" -eq 0 ] || fail "reports with offload off"
	fi
}
sc_on_off 7100 scenarios
[ "$(hp_stat restored_call)" -eq "$call0" ] ||
	fail "restored_call grew from $call0 to $(hp_stat restored_call)"
echo "restored_call stayed $call0: the connections stayed on the NIC"
dmesg_check
