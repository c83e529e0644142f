#!/usr/bin/env bash
# Build qemu-system-x86_64 from Debian's qemu source with the handoff NIC.
#
# The configured QEMU tree lives outside the clone, in $HANDOFF_CACHE
# (default /var/cache/handoff-nic), keyed on Debian's source version and on
# this script, so a second build only recompiles our device.  Our sources are
# copied into the tree only when their content changed: ninja then sees
# exactly what changed, whichever clone the build runs from.
#
# With OUT, the binary is copied there (and its build directory's path
# into OUT.build) before the lock is let go: clones that build in turn
# from the one tree each run the device and firmware of their own sources.
#
# Usage: build-qemu.sh [OUT].  Prints the binary's path on its last line.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${HANDOFF_CACHE:-/var/cache/handoff-nic}
JOBS=${JOBS:-$(nproc)}
CONFIGURE_FLAGS=(
	--target-list=x86_64-softmmu --without-default-features
	--enable-tcg --enable-kvm --enable-slirp --enable-plugins
	--enable-fdt=system --disable-docs --disable-tools --disable-werror
)

log() { echo "build-qemu: $*" >&2; }

mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock 9

# 1. Debian's source package, newest version the archive offers.
ver=$(apt-cache showsrc qemu 2>/dev/null |
	awk '/^Package: /{p=$2} /^Version: /{if (p == "qemu") print $2}' |
	sort -V | tail -n 1)
if [ -z "$ver" ]; then
	log "apt-cache knows no qemu source package (deb-src missing?)"
	exit 1
fi
tag=${ver//[^A-Za-z0-9.+-]/_}	# the epoch's ':' upsets configure
srcroot="$CACHE/src-$tag"
src=$(ls -d "$srcroot"/qemu-*/ 2>/dev/null | head -n 1 || true)
if [ -z "$src" ]; then
	log "fetching Debian qemu source $ver"
	rm -rf "$srcroot.tmp" && mkdir -p "$srcroot.tmp"
	(cd "$srcroot.tmp" && apt-get source -q "qemu=$ver" >&2)
	rm -rf "$srcroot" && mv "$srcroot.tmp" "$srcroot"
	src=$(ls -d "$srcroot"/qemu-*/ | head -n 1)
fi
src=${src%/}

# 2. Hook our directory into hw/net once (idempotent edits).
dev="$src/hw/net/handoff_nic"
grep -q "subdir('handoff_nic')" "$src/hw/net/meson.build" ||
	echo "subdir('handoff_nic')" >>"$src/hw/net/meson.build"
grep -q "config HANDOFF_NIC" "$src/hw/net/Kconfig" ||
	printf '\nconfig HANDOFF_NIC\n    bool\n    default y if PCI_DEVICES\n    depends on PCI && MSI_NONBROKEN\n' \
		>>"$src/hw/net/Kconfig"

# 3. Copy our sources in where their content differs.
sync_dir() { # sync_dir FROM TO GLOB...
	local from=$1 to=$2 f base
	shift 2
	mkdir -p "$to"
	for f in "$to"/*; do
		[ -e "$f" ] || continue
		base=$(basename "$f")
		[ -e "$from/$base" ] || rm -f "$f"
	done
	for pat in "$@"; do
		for f in "$from"/$pat; do
			[ -f "$f" ] || continue
			cmp -s "$f" "$to/$(basename "$f")" || cp "$f" "$to/"
		done
	done
}
sync_dir "$REPO/qemu_dev" "$dev/qemu_dev" '*.c' '*.h' meson.build
sync_dir "$REPO/nic_fw_model" "$dev/nic_fw_model" '*.c' '*.h'
sync_dir "$REPO/handoff_if" "$dev/handoff_if" chw_abi.h
echo "subdir('qemu_dev')" >"$dev/meson.build.new"
cmp -s "$dev/meson.build.new" "$dev/meson.build" || mv "$dev/meson.build.new" "$dev/meson.build"
rm -f "$dev/meson.build.new"

# 4. Configure once per key; build what changed.
key=$( (echo "$ver ${CONFIGURE_FLAGS[*]}"; cat "$0") | sha256sum | cut -c1-12)
build="$CACHE/build-$tag-$key"
if [ ! -f "$build/build.ninja" ]; then
	log "configuring $build"
	rm -rf "$build" && mkdir -p "$build"
	(cd "$build" && "$src/configure" "${CONFIGURE_FLAGS[@]}" >&2)
fi
log "building (only changed files recompile)"
ninja -C "$build" -j "$JOBS" qemu-system-x86_64 >&2
if [ -n "${1:-}" ]; then
	# a symlink there (older trees) is replaced, never written through
	cp "$build/qemu-system-x86_64" "$1.tmp"
	mv -f "$1.tmp" "$1"
	echo "$build" >"$1.build"
	echo "$1"
else
	echo "$build/qemu-system-x86_64"
fi
