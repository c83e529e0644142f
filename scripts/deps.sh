#!/usr/bin/env bash
# Install what the build and the tests need, from Debian's archive.
# Idempotent and non-interactive: packages already present are skipped.
set -euo pipefail

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: needs root to install packages (apt-get)" >&2
		exit 1
	fi
}

# Packages for the module, the guest, the tests and the QEMU build.
PKGS=(
	build-essential bc kmod cpio gzip xz-utils ca-certificates
	linux-image-amd64 linux-headers-amd64 sparse
	busybox-static ethtool iproute2 iputils-ping curl socat iperf3 procps
	# the apps suite: nginx and haproxy run in the guest only (on a host
	# with an init system their packages also start services there,
	# which the tests do not use), wrk on the peer
	nginx-light haproxy wrk
	dpkg-dev meson ninja-build pkg-config libglib2.0-dev libpixman-1-dev
	libslirp-dev libfdt-dev flex bison python3 python3-venv python3-cryptography
	seabios qemu-system-data ipxe-qemu
	clang llvm libclang-rt-14-dev valgrind
	linux-source-6.1 dkms libelf-dev
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

# Debian's qemu source needs a deb-src entry for bookworm.
src_list=/etc/apt/sources.list.d/handoff-src.sources
if [ ! -f "$src_list" ]; then
	need_root
	cat >"$src_list" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	stamp_update=1
fi

if [ ${#missing[@]} -gt 0 ] || [ -n "${stamp_update:-}" ]; then
	need_root
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps.sh: installing ${missing[*]}"
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
