# 100 MB each direction through the host TCP stack; sha256 equal at both
# ends, every byte checked against the sender's stream.
. /selftests/lib.sh
hnd_up
segs0=$(hnd_stat dev_tx_tso_segs)
xfer_to_peer 5001 100M 11
xfer_from_peer 5002 100M 12
segs1=$(hnd_stat dev_tx_tso_segs)
log "TSO segments made by the device: $((segs1 - segs0))"
[ "$segs1" -gt "$segs0" ] || fail "TSO was not used"
[ "$(hnd_stat dev_rx_csum_ok)" -gt 0 ] || fail "no RX checksum verified"
