# The demo, guest side: busybox httpd serves a file through the handoff
# NIC; the host peer fetches it with curl; both ends hash it.
. /selftests/lib.sh
hnd_up
size=${HND_DEMO_MB:-32}
mkdir -p /var/www
head -c $((size << 20)) /dev/urandom >/var/www/file.bin
want=$(sha256sum /var/www/file.bin | cut -d' ' -f1)
httpd -p 80 -h /var/www || fail "httpd did not start"

echo "== guest: busybox httpd on $GUEST_ADDR:80, serving file.bin (${size} MiB, sha256 $want)"
echo "== offload counters before (/proc/net/handoff)"
grep -E '^(offloaded|handoff_|msg_send|msg_os_ack) ' /proc/net/handoff
echo "== NIC counters before"
ethtool -S "$IF" | grep -E 'dev_(tx|rx)_(frames|bytes)|tso_segs|csum_ok'
echo "== host: curl http://$GUEST_ADDR/file.bin"
out=$(peer "curl -s -o file.bin -w '%{size_download} bytes in %{time_total} s\n' http://$GUEST_ADDR/file.bin && sha256sum file.bin") ||
	fail "curl failed: $out"
echo "$out"
echo "$out" | grep -q "$want" || fail "the host got different bytes"
echo "== sha256 equal at both ends"
echo "== NIC counters after"
ethtool -S "$IF" | grep -E 'dev_(tx|rx)_(frames|bytes)|tso_segs|csum_ok'
echo "== offload counters after: httpd's connection was handed off after accept()"
grep -E '^(offloaded|handoff_|msg_send|msg_os_ack) ' /proc/net/handoff
[ "$(hp_stat handoff_ok)" -ge 1 ] || fail "the connection was not offloaded"
echo "== ten more requests, each its own connection, while one is listed"
peer "for i in 1 2 3 4 5 6 7 8 9 10; do curl -s -o /dev/null http://$GUEST_ADDR/file.bin; done" >/dev/null
sed -n '/^connections:/,$p' /proc/net/handoff | head -5
grep -E '^(handoff_tried|handoff_ok|conns_closed) ' /proc/net/handoff
