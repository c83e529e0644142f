# 20 rounds of rmmod/insmod with traffic in between; the kernel never
# complains.
. /selftests/lib.sh
dmesg_mark
for round in $(seq 1 20); do
	hnd_up
	ping -c 1 -W 2 "$PEER_ADDR" >/dev/null || fail "round $round: ping"
	xfer_to_peer $((5300 + round)) 256K $round >/dev/null
	rmmod handoff handoff_nic || fail "round $round: rmmod"
	hnd_ifname >/dev/null && fail "round $round: interface left behind"
done
log "20 rounds done"
hnd_up
dmesg_check
