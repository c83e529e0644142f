# ICMP both ways between the guest and the host peer.
. /selftests/lib.sh
hnd_up
ping -c 3 -W 2 "$PEER_ADDR" || fail "guest -> peer"
peer "ping -c 3 -W 2 $GUEST_ADDR" || fail "peer -> guest"
ping -c 2 -s 1472 -W 2 "$PEER_ADDR" || fail "full-size frames guest -> peer"
peer "ping -c 2 -s 1472 -W 2 $GUEST_ADDR" || fail "full-size frames peer -> guest"
