#!/usr/bin/env bash
# dkms as a user would run it, for every kernel whose headers are here:
# add the source (a copy of the module's files under /usr/src), build,
# check each .ko's vermagic and version, then remove it all again.
# Needs root and dkms (make deps).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' "$REPO/dkms.conf")
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$REPO/dkms.conf")
grep -q "HANDOFF_VERSION='\"$ver\"'" "$REPO/Kbuild" ||
	{ echo "dkms-check: dkms.conf's $ver is not Kbuild's HANDOFF_VERSION" >&2; exit 1; }
src=/usr/src/$name-$ver
cleanup() { dkms remove -m "$name" -v "$ver" --all >/dev/null 2>&1 || true; rm -rf "$src"; }
trap cleanup EXIT
cleanup
mkdir -p "$src"
(cd "$REPO" && cp -r Kbuild dkms.conf bypass_proto handoff_if "$src/")
find "$src" -name '*.o' -o -name '*.cmd' -o -name '*.ko' | xargs rm -f
dkms add -m "$name" -v "$ver"
rc=0
for hdr in /usr/src/linux-headers-*-amd64; do
	k=${hdr#/usr/src/linux-headers-}
	if ! dkms build -m "$name" -v "$ver" -k "$k" >/tmp/dkms-$k.log 2>&1; then
		tail -20 "/tmp/dkms-$k.log"
		echo "not ok dkms build for $k"
		rc=1
		continue
	fi
	for m in handoff_nic handoff; do
		ko=/var/lib/dkms/$name/$ver/$k/x86_64/module/$m.ko
		[ -f "$ko" ] || ko=$ko.xz
		magic=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
		mver=$(modinfo -F version "$ko")
		if [ "$magic" = "$k" ] && [ "$mver" = "$ver" ]; then
			echo "ok dkms $m for $k (version $mver)"
		else
			echo "not ok dkms $m for $k: vermagic $magic, version $mver"
			rc=1
		fi
	done
done
exit $rc
