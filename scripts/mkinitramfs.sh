#!/usr/bin/env bash
# Build the guest's initramfs: busybox, the module, the selftests and the
# tools they use.  Usage: mkinitramfs.sh OUT.cpio.gz [MODDIR [EXTRA.ko...]]
# MODDIR holds handoff_nic.ko and handoff.ko (default: the clone's top,
# where make module leaves them); EXTRA.ko go to /lib/modules too (make
# check-debug: the debug kernel's tls.ko).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$REPO/build
OUT=${1:-$BUILD/initramfs.cpio.gz}
MODDIR=${2:-$REPO}
extra_ko=("${@:3}")
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

cp "$MODDIR/handoff_nic.ko" "$MODDIR/handoff.ko" "${extra_ko[@]}" "$root/lib/modules/"
cp "$BUILD"/tools/guest/* "$root/usr/bin/"
mkdir -p "$root/selftests"
cp "$REPO"/selftests/lib.sh "$REPO"/selftests/run_suite.sh "$root/selftests/"
for d in "$REPO"/selftests/*/; do
	[ "$(basename "$d")" = tools ] || cp -r "$d" "$root/selftests/"
done
cp "$REPO/selftests/guest_init.sh" "$root/init"
chmod +x "$root/init" "$root"/selftests/*.sh
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "initramfs: $OUT ($(du -h "$OUT" | cut -f1))"
