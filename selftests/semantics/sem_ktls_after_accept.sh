#!/bin/sh
# kTLS after accept: a server accepts a connection (offloaded at accept),
# reads a plain "hello" and answers it, then does what a TLS server does
# after its handshake: TCP_ULP "tls", TLS_TX and TLS_RX with a fixed
# AES-128-GCM key, TLS 1.2 and 1.3 (sockcheck ktls12, ktls13).  Records
# the peer sent before TLS_RX wait unread and are decrypted after it; 3 MiB
# with send() and 1 MiB with sendfile() go out through kTLS, then the
# peer's 1 MiB comes in, then close_notify each way.  The peer
# (ktls_peer.py: the host has no tls module) decrypts in user space and
# checks every tag and byte; both ends compare SHA-256.  With offload on,
# TCP_ULP restores the connection first (restored_call) and it is never
# handed off again, not even by "handoff all"; with offload off the same
# checks pass.
. /selftests/lib.sh
hnd_up
bp_defaults
ktls_load
dmesg_mark
for mode in on off; do
	base=5600
	[ $mode = on ] || base=5650
	sc_mode $mode
	rc0=$(hp_stat restored_call) ok0=$(hp_stat handoff_ok)
	SC_PEER=ktls_peer sc_run ktls12 $((base + 1))
	SC_PEER=ktls_peer sc_run ktls13 $((base + 2))
	sc_done
	rc=$(( $(hp_stat restored_call) - rc0 ))
	ok=$(( $(hp_stat handoff_ok) - ok0 ))
	echo "offload $mode: restored for the call $rc, handed off $ok"
	want=2
	[ $mode = on ] || want=0
	[ "$rc" -eq "$want" ] && [ "$ok" -eq "$want" ] ||
		{ cat /proc/net/handoff; fail "offload $mode: expected $want restored for the call and $want handoffs"; }
done
sc_same
[ "$(hp_stat offloaded)" -eq 0 ] ||
	{ cat /proc/net/handoff; fail "a kTLS connection is on the NIC"; }
dmesg_check
