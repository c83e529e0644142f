# A TX descriptor, an RX buffer and commands pointing outside guest memory
# (or naming no connection, or no opcode) are refused and counted; the NIC
# keeps working.
. /selftests/lib.sh
hnd_up
dmesg_mark
d=$(hnd_debugfs)
dma0=$(hnd_stat dev_dma_errors)
txe0=$(hnd_stat tx_desc_err)
rxe0=$(hnd_stat rx_desc_err)
cmde0=$(hnd_stat dev_cmd_errors)
drv_cmde0=$(hnd_stat cmd_errors)

echo tx >"$d/inject" || fail "inject tx"
echo rx >"$d/inject" || fail "inject rx"
echo cmd >"$d/inject" || fail "inject cmd"
# the bad RX buffer is posted at the next refill; a ring's worth of
# received frames later the device reaches it
ping -c 3 -W 2 "$PEER_ADDR" >/dev/null
xfer_from_peer 5200 4M 30
wait_for '[ "$(hnd_stat rx_desc_err)" -gt "$rxe0" ]' 10 || fail "bad RX buffer not reported"
wait_for '[ "$(hnd_stat tx_desc_err)" -gt "$txe0" ]' 10 || fail "bad TX descriptor not reported"
wait_for '[ "$(hnd_stat cmd_errors)" -ge $((drv_cmde0 + 3)) ]' 10 || fail "bad commands got no error events"

log "dev_dma_errors $dma0 -> $(hnd_stat dev_dma_errors)"
log "tx_desc_err $txe0 -> $(hnd_stat tx_desc_err), rx_desc_err $rxe0 -> $(hnd_stat rx_desc_err)"
log "dev_cmd_errors $cmde0 -> $(hnd_stat dev_cmd_errors)"
[ "$(hnd_stat dev_dma_errors)" -ge $((dma0 + 2)) ] || fail "device did not count the DMA refusals"
[ "$(hnd_stat dev_cmd_errors)" -ge $((cmde0 + 3)) ] || fail "device did not count the bad commands"

# still a working NIC
ping -c 2 -W 2 "$PEER_ADDR" || fail "ping after bad descriptors"
xfer_to_peer 5201 4M 31
xfer_from_peer 5202 4M 32
dmesg | grep -E 'BUG|Oops|Call Trace' && fail "the kernel complained"
exit 0
