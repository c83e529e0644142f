# 64 concurrent TCP flows each way, every byte verified.
. /selftests/lib.sh
hnd_up
xfer_to_peer 5101 1M 21 64
xfer_from_peer 5102 1M 22 64
