#!/bin/sh
# nginx (Debian's nginx-light, unmodified) with sendfile, tcp_nopush,
# tcp_nodelay and keep-alive serves a 64 MB file and 1000 small ones: curl
# on the peer fetches them all (8 keep-alive connections for the small
# ones), and every file's SHA-256 must be the guest's; then wrk for 10 s
# with keep-alive and with "Connection: close": no socket error, no
# non-2xx response.  With offload on every connection is offloaded and
# none refused; then the same with offload off.
. /selftests/lib.sh
app_need nginx
hnd_up
dmesg_mark
d=/tmp/nginx
www=$d/www
mkdir -p $www/s
head -c $((64 << 20)) /dev/urandom >$www/big
i=0
while [ $i -lt 1000 ]; do
	head -c $(( i * 7919 % 16384 + 1 )) /dev/urandom >$www/s/f$i
	i=$((i + 1))
done
(cd $www && sha256sum big s/*) | sort -k2 >$d/sums
cat >$d/nginx.conf <<CONF
user root root;
worker_processes 1;
daemon off;
pid $d/nginx.pid;
events { worker_connections 1024; }
http {
	access_log off;
	default_type application/octet-stream;
	sendfile on;
	tcp_nopush on;
	tcp_nodelay on;
	keepalive_timeout 65;
	keepalive_requests 1000000;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	server {
		listen 8080;
		root $www;
	}
}
CONF
# killed however the test ends: holding our stdout it would hang the runner
nginx -c $d/nginx.conf -e $d/error.log >$d/out 2>&1 &
npid=$!
trap 'kill $npid 2>/dev/null' EXIT
app_listening 8080 $d/out $d/error.log
url=http://$GUEST_ADDR:8080
# the big file, then the small ones over at most 8 keep-alive connections
get_big="curl -sSf --max-time 300 -o big $url/big 2>>curl.err"
get_small="curl -sSf --max-time 300 --parallel --parallel-max 8 -o 's/f#1' '$url/s/f[0-999]' 2>>curl.err"

# wrk_run WHAT [WRK OPTIONS]: 10 s on one small file, 16 connections;
# prints the requests made (in WRK_REQS)
wrk_run() {
	local what=$1 out
	shift
	out=$(peer "wrk -t2 -c16 -d10s --timeout 10s $* $url/s/f500 2>&1") ||
		{ echo "$out"; fail "wrk ($what) failed"; }
	echo "$out" | grep -E 'requests in|Socket errors|Non-2xx|Requests/sec'
	WRK_REQS=$(echo "$out" | awk '/requests in/ { print $1 }')
	[ "${WRK_REQS:-0}" -gt 0 ] || fail "wrk ($what): no request answered"
	echo "$out" | grep -q 'Socket errors' && fail "wrk ($what): socket errors"
	echo "$out" | grep -q 'Non-2xx' && fail "wrk ($what): non-2xx responses"
	return 0
}

for mode in on off; do
	app_mode $mode
	app_mark
	# (the agent runs one line)
	peer "rm -rf ng && mkdir -p ng/s && cd ng && $get_big && $get_small && sha256sum big s/* | LC_ALL=C sort -k2" >$d/sums.peer ||
		{ peer "tail -5 ng/curl.err"; tail -3 $d/sums.peer; fail "curl failed"; }
	cmp -s $d/sums $d/sums.peer || {
		diff $d/sums $d/sums.peer | head -20
		fail "the files curl fetched differ from the guest's"
	}
	echo "curl: $(wc -l <$d/sums.peer) files fetched, SHA-256 equal to the guest's"
	# one for the big file, up to 8 for the small ones
	app_offloaded "curl" 2 9
	peer "rm -rf ng"

	app_mark
	wrk_run keep-alive
	# wrk's 16, and the one it opens first to see that the server answers
	app_offloaded "wrk keep-alive" 17
	app_mark
	wrk_run "Connection: close" -H "'Connection: close'"
	# one per request, that first one, and up to 16 cut short at the end
	app_offloaded "wrk Connection: close" $((WRK_REQS + 1)) $((WRK_REQS + 17))
done
app_alive $npid || { cat $d/out $d/error.log; fail "nginx died"; }
app_stop $npid
grep -E '\[(alert|crit|emerg)\]' $d/error.log && fail "nginx complained (above)"
grep -E '^(msg_|late_|events_refused|command_errors|restored|conns_)' /proc/net/handoff | grep -v ' 0$'
dmesg_check
app_done
