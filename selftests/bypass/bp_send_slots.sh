#!/bin/sh
# The NIC always takes CHW_CONN_SEND_SLOTS (64) SENDs outstanding per
# connection, and the OS never posts more.  Small writes to a slow reader
# use them all up: the bytes written after that wait in the send ring
# until an ACK frees a slot (send_slots_full counts it), the writer waits
# when the ring is full, and nothing is lost or refused: the stream
# arrives whole, no command error.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
full0=$(hp_stat send_slots_full)
err0=$(hp_stat command_errors)
ok0=$(hp_stat handoff_ok)
# the guest writes about 300 bytes every 10 ms, the peer reads 15 KB/s
GUEST_XFER_OPTS="--rate 30000" PEER_XFER_OPTS="--rate 15000" \
	serve_xfer send 5481 150000 49
[ $(( $(hp_stat handoff_ok) - ok0 )) -eq 1 ] || fail "the connection was not offloaded"
full=$(( $(hp_stat send_slots_full) - full0 ))
echo "writes that found every SEND slot taken: $full"
[ "$full" -ge 1 ] || fail "the SEND slots never ran out"
[ "$(hp_stat command_errors)" -eq "$err0" ] || fail "the NIC refused commands"
dmesg_check
