#!/usr/bin/env bash
# Build the debug kernel: Debian's 6.1 source (linux-source-6.1) with
# Debian's config, every module turned off but DEBUG_KERNEL_MODULES (tls),
# then scripts/debug-kernel.config merged over it (lockdep, KASAN,
# kmemleak, DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS; no debug info).
#
# The tree lives outside the clone in $HANDOFF_CACHE (default
# /var/cache/handoff-nic)/debug-kernel-<key>, the key hashing the source
# package's version, Debian's config, the fragment, the module list and
# this script.  It is built in place, so the tree itself is the KDIR for
# out-of-tree modules (make modules_prepare is part of the build).  Under
# flock; idempotent: a finished tree is only reported, an interrupted one
# is resumed (make picks up where it stopped).
#
# The machine's cores are shared: make runs under nice -n 19 with
# JOBS (default 2) jobs.
#
# Usage: build-debug-kernel.sh.  Prints the tree's path on its last line;
# in it: arch/x86/boot/bzImage, net/tls/tls.ko, and build-time.txt.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${HANDOFF_CACHE:-/var/cache/handoff-nic}
JOBS=${JOBS:-2}
FRAGMENT=$REPO/scripts/debug-kernel.config
MODULES=${DEBUG_KERNEL_MODULES:-tls}
TARBALL=/usr/src/linux-source-6.1.tar.xz
BASE_CONFIG=${DEBUG_KERNEL_BASE_CONFIG:-$(ls /boot/config-6.1.*-amd64 2>/dev/null | sort -V | tail -n 1)}

log() { echo "build-debug-kernel: $*" >&2; }

[ -f "$TARBALL" ] || { log "missing $TARBALL (apt-get install linux-source-6.1)"; exit 1; }
[ -f "$BASE_CONFIG" ] || { log "no Debian 6.1 config in /boot (linux-image-amd64)"; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)

key=$( (echo "$srcver $MODULES"; cat "$BASE_CONFIG" "$FRAGMENT" "$0") |
	sha256sum | cut -c1-12)
dir=$CACHE/debug-kernel-$key
tree=$dir/linux

mkdir -p "$CACHE"
exec 9>"$CACHE/debug-kernel.lock"
if ! flock -n 9; then
	log "waiting for another build of the debug kernel"
	flock 9
fi

if [ -f "$dir/complete" ]; then
	log "cached: $dir"
	echo "$tree"
	exit 0
fi

start=$(date +%s)
# 1. The source, extracted once.
if [ ! -f "$dir/extracted" ]; then
	log "extracting $TARBALL ($srcver) into $dir"
	rm -rf "$dir" && mkdir -p "$dir"
	tar -C "$dir" -xf "$TARBALL"
	mv "$dir/linux-source-6.1" "$tree"
	touch "$dir/extracted"
fi

# 2. Configure once: Debian's config, modules trimmed to $MODULES, the
#    fragment over it.
if [ ! -f "$dir/configured" ]; then
	log "configuring from $BASE_CONFIG"
	cp "$BASE_CONFIG" "$tree/.config"
	# localmodconfig keeps the modules of an lsmod listing, nothing else
	{ echo "Module Size Used by"; for m in $MODULES; do echo "$m 1 0"; done; } \
		>"$dir/lsmod"
	make -C "$tree" -s LSMOD="$dir/lsmod" localmodconfig </dev/null >&2
	(cd "$tree" && scripts/kconfig/merge_config.sh -m .config "$FRAGMENT" >&2)
	make -C "$tree" -s olddefconfig >&2
	# every line of the fragment must have survived olddefconfig
	bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) grep -qxF "$line" "$tree/.config" || { log "not taken: $line"; bad=1; } ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			! grep -q "^$sym=" "$tree/.config" || { log "not taken: $line"; bad=1; } ;;
		esac
	done <"$FRAGMENT"
	[ "$bad" -eq 0 ] || exit 1
	touch "$dir/configured"
fi

# 3. Build: the image, the modules (tls), and what out-of-tree modules need.
log "building in $tree (nice -n 19, -j$JOBS); log in $dir/build.log"
if ! nice -n 19 make -C "$tree" -j"$JOBS" bzImage modules modules_prepare \
	>"$dir/build.log" 2>&1; then
	tail -n 30 "$dir/build.log" >&2
	exit 1
fi
for m in $MODULES; do
	find "$tree" -name "$m.ko" | grep -q . || { log "module $m.ko not built"; exit 1; }
done
end=$(date +%s)
echo "$(date -u +%FT%TZ) built in $((end - start)) s (-j$JOBS, nice 19)" >>"$dir/build-time.txt"
touch "$dir/complete"
log "done in $((end - start)) s: $dir"
echo "$tree"
