#!/bin/sh
# make bench, guest side: the same workloads with offload on and off,
# over the same NIC in the same boot, $rounds rounds of each phase in
# turn, so drift in the machine's load falls on both sides alike.  The
# guest serves: its accepted connections are the ones handed off.
#
#   bulk       the guest sends $mb MB to the host peer over one
#              connection, then receives $mb MB from it; both ends check
#              every byte and compare SHA-256
#   requests   busybox httpd serves $reqs requests for a $req_kb KB file,
#              one connection each, to curl on the host, which checks
#              every response's SHA-256
#
# A phase sits between two instruction-count markers (insn_mark.h),
# which the QEMU plugin bench/insn_count.c answers with the guest's
# count, numbered in order.  bulk: hnd_xfer --bench marks the transfer
# itself, making and checking the stream outside it; the peer's client
# starts first, with a delay, so the peer command stays out of the
# phase.  requests: the insn_mark tool marks around the one peer command
# that runs curl $reqs times.  The NIC's and the bypass protocol's
# counters are read just outside the markers.  Machine-readable lines go
# to ttyS1 for scripts/bench.sh:
#
#   BENCH-CONFIG mb MB reqs N req_kb K rounds R if IF
#   BENCH-PHASE NAME work WORK mode MODE dir DIR round R bytes N conns C
#               handoffs H secs S begin SEQ end SEQ          (one line)
#   BENCH-COUNTERS NAME before|after name value name value ...
#   BENCH-DONE marks SEQ       (how many markers the guest executed)
. /selftests/lib.sh

arg() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" /proc/cmdline; }
mb=$(arg hnd_bench_mb)
mb=${mb:-64}
rounds=$(arg hnd_bench_rounds)
rounds=${rounds:-3}
reqs=$(arg hnd_bench_reqs)
reqs=${reqs:-200}
req_kb=4
bytes=$((mb * 1000000))
# seconds the peer's client waits while the guest makes the stream; if
# it comes early it is refused and retries, a few packets more
delay=$((1 + mb / 64))
seq=0
port=6100

result() { echo "$*" >/dev/ttyS1; echo "$*"; }

# Every numeric "name value" counter the driver, the device and the
# bypass protocol keep, on one line.
counters() {
	{ ethtool -S "$IF" | sed 's/^ *//; s/://'
	  sed -n '/^connections:/q; p' /proc/net/handoff; } |
		awk 'NF == 2 && $2 ~ /^[0-9]+$/ { printf " %s %s", $1, $2 }'
}

offload() { # MODE
	if [ "$1" = offload ]; then
		sysctl -qw net.handoff.enable=1
	else
		sysctl -qw net.handoff.enable=0
	fi
}

# One bulk phase: offload MODE (offload|host), direction DIR (send|recv,
# as seen from the guest), ROUND (0: warm-up); $bytes over one connection.
bulk() { # MODE DIR ROUND
	local mode=$1 dir=$2 round=$3 name=bulk-$1-$2-$3 pdir seed ok0 out
	[ "$dir" = send ] && pdir=recv || pdir=send
	port=$((port + 1))
	seed=$port
	offload "$mode"
	ok0=$(hp_stat handoff_ok)
	peer "(sleep $delay; exec hnd_xfer $pdir --connect $GUEST_ADDR:$port --bytes $bytes --seed $seed) >cli.$port 2>&1 &" ||
		fail "peer: could not start the client"
	result "BENCH-COUNTERS $name before$(counters)"
	hnd_xfer "$dir" --bench --listen "$port" --bytes "$bytes" --seed "$seed" \
		>/tmp/srv.$port 2>&1 || { cat /tmp/srv.$port; fail "$name: the guest's side failed"; }
	result "BENCH-COUNTERS $name after$(counters)"
	seq=$((seq + 2))	# hnd_xfer marked the start and the end

	wait_for "peer 'grep -q ^summary cli.$port' >/dev/null" 60 ||
		fail "$name: the peer did not finish"
	out=$(peer "cat cli.$port")
	echo "$out" | grep -q 'summary.* ok$' || { echo "$out"; fail "$name: the peer saw a broken stream"; }
	same_digests "$(cat /tmp/srv.$port)" "$out"
	result "BENCH-PHASE $name work bulk mode $mode dir $dir round $round" \
		"bytes $bytes conns 1 handoffs $(( $(hp_stat handoff_ok) - ok0 ))" \
		"secs $(sed -n 's/^summary.* secs \([0-9.]*\) .*/\1/p' /tmp/srv.$port)" \
		"begin $((seq - 1)) end $seq"
}

mark() {
	insn_mark || fail "insn_mark"
	seq=$((seq + 1))
}

# One requests phase: offload MODE, ROUND (0: warm-up), N requests.
requests() { # MODE ROUND N
	local mode=$1 round=$2 n=$3 name=requests-$1-$2 ok0 b out
	offload "$mode"
	ok0=$(hp_stat handoff_ok)
	result "BENCH-COUNTERS $name before$(counters)"
	mark
	b=$seq
	out=$(peer "bad=0; t0=\$EPOCHREALTIME; for i in \$(seq $n); do s=\$(curl -sf --max-time 30 http://$GUEST_ADDR:8080/file | sha256sum); [ \"\${s%% *}\" = $req_sum ] || bad=\$((bad + 1)); done; awk -v t0=\$t0 -v t1=\$EPOCHREALTIME -v bad=\$bad 'BEGIN { printf \"bad %d secs %.3f\\n\", bad, t1 - t0 }'")
	mark
	result "BENCH-COUNTERS $name after$(counters)"
	echo "peer: $out"
	echo "$out" | grep -q '^bad 0 ' || fail "$name: bad responses"
	result "BENCH-PHASE $name work requests mode $mode dir none round $round" \
		"bytes $((n * req_kb * 1024)) conns $n handoffs $(( $(hp_stat handoff_ok) - ok0 ))" \
		"secs ${out##* } begin $b end $seq"
}

hnd_up
bp_defaults
dmesg_mark
result "BENCH-CONFIG mb $mb reqs $reqs req_kb $req_kb rounds $rounds if $IF"

mkdir -p /tmp/www
head -c $((req_kb * 1024)) /dev/urandom >/tmp/www/file
req_sum=$(sha256sum /tmp/www/file | cut -d' ' -f1)
httpd -p 8080 -h /tmp/www || fail "httpd did not start"

# Warm up both paths (caches, the peer agent, TCP metrics) unmeasured.
bytes_saved=$bytes
bytes=$((bytes / 8))
bulk offload send 0
bulk host send 0
bytes=$bytes_saved
requests offload 0 20
requests host 0 20

round=1
while [ $round -le $rounds ]; do
	for dir in send recv; do
		bulk offload $dir $round
		bulk host $dir $round
	done
	requests offload $round $reqs
	requests host $round $reqs
	round=$((round + 1))
done

sysctl -qw net.handoff.enable=1
dmesg_check
result "BENCH-DONE marks $seq"
