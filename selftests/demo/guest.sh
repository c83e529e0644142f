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
if [ -r /proc/net/handoff ]; then
	echo "== offloaded connections (/proc/net/handoff)"
	cat /proc/net/handoff
else
	echo "== offloaded connections: none yet (this build carries traffic on the host stack;"
	echo "   connection handoff arrives with the bypass protocol)"
fi
