#!/usr/bin/env bash
# Build the guest's initramfs: busybox, the module, the selftests and the
# tools they use.  Usage: mkinitramfs.sh OUT.cpio.gz [MODDIR [KMODDIR]]
# MODDIR holds handoff_nic.ko and handoff.ko (default: the clone's top,
# where make module leaves them); KMODDIR the kernel's modules by their
# path in the source tree (default /lib/modules/$KVER/kernel; make
# check-debug: the debug kernel's tree, for tls.ko).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$REPO/build
OUT=${1:-$BUILD/initramfs.cpio.gz}
MODDIR=${2:-$REPO}
KVER=${KVER:-$(ls /usr/src | sed -n 's/^linux-headers-\(.*-amd64\)$/\1/p' | sort -V | tail -n 1)}
KMODDIR=${3:-/lib/modules/$KVER/kernel}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc,lib/modules,var/www}

# busybox: one static binary, one link per applet
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done

# a dynamic program with the libraries it loads
copy_prog() {
	local prog=$1 dest=$2 lib
	cp "$prog" "$root$dest"
	for lib in $(ldd "$prog" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
copy_prog "$(command -v ethtool)" /usr/sbin/ethtool
# Unmodified Debian servers for the apps suite (scripts/deps.sh installs
# them; a test whose program is missing skips).  Each test writes its own
# configuration under /tmp.
for prog in /usr/sbin/nginx /usr/sbin/haproxy /usr/bin/iperf3 /usr/bin/socat; do
	if [ -x "$prog" ]; then copy_prog "$prog" "$prog"; fi
done

cp "$MODDIR/handoff_nic.ko" "$MODDIR/handoff.ko" "$root/lib/modules/"

# kTLS for sem_ktls_after_accept, from the kernel the guest boots (as
# run_vm.sh picks it, or KMODDIR: make check-debug's tree): tls.ko and the
# AES-GCM it asks the crypto API for, loaded in this order by ktls_load
# (lib.sh).  Missing: the test skips.
mkdir -p "$root/lib/modules/ktls"
for m in crypto/gf128mul crypto/ghash-generic crypto/ctr crypto/gcm net/tls/tls; do
	f=$KMODDIR/$m.ko
	if [ -e "$f" ]; then
		cp "$f" "$root/lib/modules/ktls/"
	else
		echo "mkinitramfs: no $f: sem_ktls_after_accept will skip" >&2
	fi
done
cp "$BUILD"/tools/guest/* "$root/usr/bin/"
mkdir -p "$root/selftests"
cp "$REPO"/selftests/lib.sh "$REPO"/selftests/run_suite.sh "$root/selftests/"
for d in "$REPO"/selftests/*/; do
	[ "$(basename "$d")" = tools ] || cp -r "$d" "$root/selftests/"
done
cp "$REPO/selftests/guest_init.sh" "$root/init"
chmod +x "$root/init" "$root"/selftests/*.sh
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "initramfs: $OUT ($(du -h "$OUT" | cut -f1))"
