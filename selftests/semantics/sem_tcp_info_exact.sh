#!/bin/sh
# TCP_INFO on an offloaded connection: the NIC's live figures (state,
# RTT, cwnd, segments) and every byte each way counted, those the peer
# wrote before accept() (and so before the handoff) too; the same checks
# pass with offload off.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
info0=$(hp_stat msg_info)
scenarios() {
	sc_run tcp_info $((base + 1)) "--presend 5000" "--presend 5000"
}
sc_on_off 6200 scenarios
[ "$(hp_stat msg_info)" -gt "$info0" ] || fail "TCP_INFO never asked the NIC"
echo "INFO commands: $(( $(hp_stat msg_info) - info0 ))"
dmesg_check
