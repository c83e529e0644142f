#!/bin/sh
# The guest's /init: mount, then run what the kernel command line asks:
#   hnd_mode=check hnd_suites=a,b   run suites, KTAP to ttyS1, power off
#   hnd_mode=demo                   run /selftests/demo/guest.sh, power off
#   hnd_mode=bench                  run /selftests/bench/guest.sh (make bench)
#   hnd_mode=shell                  a shell on the console
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug
ip link set lo up
hostname guest
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

arg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
mode=$(arg hnd_mode)

case "$mode" in
check)
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	for suite in $(arg hnd_suites | tr , ' '); do
		echo "KTAP-BEGIN $suite" >/dev/ttyS1
		/selftests/run_suite.sh "$suite" | tee /dev/ttyS1
		echo "KTAP-END $suite" >/dev/ttyS1
	done
	;;
demo)
	sh /selftests/demo/guest.sh
	echo "DEMO-EXIT $?"
	;;
bench)
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	sh /selftests/bench/guest.sh
	echo "BENCH-EXIT $?" | tee /dev/ttyS1
	;;
*)
	echo "handoff guest: /selftests holds the tests; poweroff -f to leave"
	setsid sh -c 'exec sh </dev/ttyS0 >/dev/ttyS0 2>&1'
	;;
esac
# The debug kernel (make check-debug): kmemleak's findings on the console.
# Two scans a few seconds apart: an object is reported once it has been
# unreferenced for 5 s.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	echo "KMEMLEAK-BEGIN"
	cat /sys/kernel/debug/kmemleak
	echo "KMEMLEAK-END"
fi
sync
poweroff -f
