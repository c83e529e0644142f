# The module loads, binds the device, and its interface comes up.
. /selftests/lib.sh
dmesg_mark
hnd_up
pci=$(readlink "/sys/class/net/$IF/device")
log "interface $IF on ${pci##*/}"
[ -e "/sys/bus/pci/drivers/handoff_nic/${pci##*/}" ] || fail "device not bound"
ethtool -i "$IF" | grep -q '^driver: handoff_nic' || fail "ethtool -i: wrong driver"
ethtool -i "$IF" | sed -n 's/^\(firmware-version\|bus-info\)/&/p'
ethtool -k "$IF" | grep -E '^(tx-checksumming|tcp-segmentation-offload|scatter-gather|rx-checksumming):' 
ethtool -k "$IF" | grep -q '^tcp-segmentation-offload: on' || fail "TSO is off"
[ "$(cat /sys/class/net/$IF/carrier)" = 1 ] || fail "no carrier"
dmesg | grep -q 'handoff NIC' || fail "no probe message"
dmesg_check
