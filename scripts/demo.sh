#!/usr/bin/env bash
# make demo: boot the guest, serve a file from busybox httpd through the
# handoff NIC to curl on the host, show what the NIC did.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
exec bash "$REPO/selftests/run_vm.sh" --demo --timeout 900
