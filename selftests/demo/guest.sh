# The demo, guest side: busybox httpd serves a file through the handoff
# NIC and the host peer fetches it with curl, once with offload on and
# once off; both ends hash it.  While the offloaded download runs, its
# connection is listed in /proc/net/handoff; afterwards, what each
# download cost the guest in instructions (our TCG plugin, read through
# the peer), side by side.
. /selftests/lib.sh
hnd_up
size=${HND_DEMO_MB:-32}
mkdir -p /var/www
head -c $((size << 20)) /dev/urandom >/var/www/file.bin
want=$(sha256sum /var/www/file.bin | cut -d' ' -f1)
httpd -p 80 -h /var/www || fail "httpd did not start"
have_marks=
command -v insn_mark >/dev/null && peer "test -e insn_marks.txt" >/dev/null &&
	have_marks=1

# the guest's instructions so far: kernel and user, from the last marker
marks_now() {
	insn_mark || fail "insn_mark"
	peer "tail -n 1 insn_marks.txt" | awk '/^insn_mark/ { print $6, $8 }'
}

# download MODE [RATE]: one curl of file.bin; sets K and U, the guest's
# kernel and user instructions for it.  With RATE the download is slowed
# and, offloaded, its connection listed while it runs.
download() {
	local mode=$1 rate=${2:-} n=0 out curl
	if [ "$mode" = on ]; then
		sysctl -qw net.handoff.enable=1
	else
		sysctl -qw net.handoff.enable=0
	fi
	echo "== offload $mode: the host fetches file.bin with curl${rate:+ (at $rate/s, to watch it)}"
	curl="curl -s ${rate:+--limit-rate $rate} -o file.bin -w '%{size_download} bytes in %{time_total} s\n' http://$GUEST_ADDR/file.bin >curl.out 2>&1; sha256sum file.bin >>curl.out"
	set -- 0 0
	[ -n "$have_marks" ] && set -- $(marks_now)
	k0=$1 u0=$2
	if [ -z "$rate" ]; then
		peer "$curl" >/dev/null || fail "curl failed"
	else
		peer "rm -f curl.out; ($curl; echo done >>curl.out) >/dev/null 2>&1 &" ||
			fail "curl did not start"
		while ! peer "grep -q ^done curl.out" >/dev/null; do
			if [ "$mode" = on ] && [ $n -lt 2 ] &&
			   sed '1,/^connections:/d' /proc/net/handoff | grep -q ':80 '; then
				echo "-- /proc/net/handoff while it runs:"
				sed -n '/^connections:/,$p' /proc/net/handoff
				n=$((n + 1))
			fi
			usleep 500000
		done
	fi
	set -- 0 0
	[ -n "$have_marks" ] && set -- $(marks_now)
	K=$(($1 - k0)) U=$(($2 - u0))
	out=$(peer "cat curl.out")
	echo "$out" | grep -v '^done' | sed 's/^/   /'
	echo "$out" | grep -q "$want" || fail "the host got different bytes"
	echo "   sha256 equal at both ends"
}

echo "== guest: busybox httpd on $GUEST_ADDR:80, serving file.bin (${size} MiB, sha256 $want)"
bp_defaults
ok0=$(hp_stat handoff_ok)
download on 8M
[ $(( $(hp_stat handoff_ok) - ok0 )) -ge 1 ] || fail "the connection was not offloaded"
k_on=$K u_on=$U
echo "-- httpd's connection was handed off after accept():"
grep -E '^(handoff_tried|handoff_ok|msg_send|msg_os_ack|restored) ' /proc/net/handoff
download on
k_fast=$K u_fast=$U
download off
k_off=$K u_off=$U
bp_defaults

if [ -n "$have_marks" ]; then
	kb=$((size << 10))
	echo "== what serving ${size} MiB cost the guest (instructions per KB, the full-speed runs)"
	awk -v kon="$k_fast" -v uon="$u_fast" -v koff="$k_off" -v uoff="$u_off" -v kb="$kb" 'BEGIN {
		printf "   %-10s %12s %12s %8s\n", "", "offload", "host stack", "ratio"
		printf "   %-10s %12.0f %12.0f %8.2f\n", "kernel", kon / kb, koff / kb, kon / koff
		printf "   %-10s %12.0f %12.0f %8.2f\n", "user", uon / kb, uoff / kb, uon / uoff
		printf "   %-10s %12.0f %12.0f %8.2f\n", "total", (kon + uon) / kb, (koff + uoff) / kb, (kon + uon) / (koff + uoff) }'
	echo "   (the rate-limited offloaded run: $(( (k_on + u_on) / kb )) per KB; make bench has the method)"
else
	echo "== no instruction counter (make bench-plugin): counts skipped"
fi
echo "== ten more requests, each its own connection"
peer "for i in 1 2 3 4 5 6 7 8 9 10; do curl -s -o /dev/null http://$GUEST_ADDR/file.bin; done" >/dev/null
grep -E '^(handoff_tried|handoff_ok|conns_closed|restored) ' /proc/net/handoff
