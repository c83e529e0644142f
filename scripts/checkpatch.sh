#!/usr/bin/env bash
# The kernel's own scripts/checkpatch.pl (from Debian's linux-source-6.1,
# extracted once into the cache) on every file of the two modules.
# KTAP to OUT (default build/results/checkpatch.tap), one result per file;
# exits 1 if any file has a warning or an error.
#
# One exception, per file and documented: bp_intercept.c keeps copies of
# TCP's struct proto_ops that it writes at load and unload (as kTLS's
# tls_proto_ops), which checkpatch's CONST_STRUCT cannot know.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$REPO/build/results/checkpatch.tap}
CACHE=${HANDOFF_CACHE:-/var/cache/handoff-nic}
tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n 1 || true)
if [ -z "$tarball" ]; then
	echo "checkpatch.sh: no /usr/src/linux-source-6.1.tar.* (make deps)" >&2
	exit 1
fi
key=$(stat -c '%s-%Y' "$tarball")
dir=$CACHE/checkpatch-$key
if [ ! -x "$dir/scripts/checkpatch.pl" ]; then
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
	tar -xf "$tarball" -C "$dir.tmp" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi

declare -A ignore=([bypass_proto/bp_intercept.c]=CONST_STRUCT)
cd "$REPO"
files=(bypass_proto/*.[ch] handoff_if/*.[ch])
mkdir -p "$(dirname "$OUT")"
{
	echo "TAP version 13"
	echo "1..${#files[@]}"
	n=0 bad=0
	for f in "${files[@]}"; do
		n=$((n + 1))
		args=(--no-tree --terse --file --show-types)
		[ -n "${ignore[$f]:-}" ] && args+=(--ignore "${ignore[$f]}")
		if out=$("$dir/scripts/checkpatch.pl" "${args[@]}" "$f" 2>&1) &&
		   ! grep -qE '(ERROR|WARNING):' <<<"$out"; then
			echo "ok $n checkpatch $f"
		else
			grep -E '(ERROR|WARNING):' <<<"$out" | sed 's/^/# /'
			echo "not ok $n checkpatch $f"
			bad=1
		fi
	done
	exit $bad
} >"$OUT"
