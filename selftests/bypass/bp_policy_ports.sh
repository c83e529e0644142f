#!/bin/sh
# net.handoff.ports decides: a listed port's connections are offloaded,
# the others stay on the host stack, and both kinds work.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
sysctl -w net.handoff.ports="5401 5410-5412"
[ "$(sysctl -n net.handoff.ports)" = "5401 5410-5412" ] || fail "ports did not read back"
sysctl -qw net.handoff.ports="80,x" 2>/dev/null && fail "a malformed port list was taken"
ok0=$(hp_stat handoff_ok); port0=$(hp_stat refused_port)
serve_xfer duplex 5401 2000000 41
serve_xfer duplex 5411 2000000 42
serve_xfer duplex 5402 2000000 43
ok=$(( $(hp_stat handoff_ok) - ok0 )); port=$(( $(hp_stat refused_port) - port0 ))
echo "offloaded $ok, kept on the host by port $port"
[ "$ok" -eq 2 ] && [ "$port" -eq 1 ] || fail "expected 2 offloaded and 1 refused by port"
sysctl -qw net.handoff.enable=0
dis0=$(hp_stat refused_disabled)
serve_xfer duplex 5401 2000000 44
[ $(( $(hp_stat refused_disabled) - dis0 )) -eq 1 ] || fail "enable=0 did not keep it on the host"
bp_defaults
dmesg_check
