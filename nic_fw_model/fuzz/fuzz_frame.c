// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * fuzz_frame.c - libFuzzer target: frames from the wire.  The first input
 * byte chooses: even, the rest is a whole frame (the parser and the lookup
 * layer); odd, the rest is a TCP header and payload sent in a correct
 * Ethernet/IPv4 frame of the live connection with a correct checksum, so
 * the fuzzer drives the TCP engine's input.  Inputs may hold many frames,
 * separated by a two-byte length.
 */
#include <stdint.h>
#include <string.h>

#include "../tests/fw_conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[2048];
	struct fw_host h;
	size_t off = 1;

	if (!size)
		return 0;
	fw_conn_setup(&h);
	while (off + 2 <= size) {
		size_t len = data[off] | data[off + 1] << 8;

		off += 2;
		if (len > size - off)
			len = size - off;
		if (len > sizeof(frame) - 64)
			len = sizeof(frame) - 64;
		if (data[0] & 1) {
			size_t n = fw_conn_frame(frame, data + off, len);

			nfw_rx_frame(h.fw, frame, n);
		} else {
			memcpy(frame, data + off, len);
			nfw_rx_frame(h.fw, frame, len);
		}
		off += len;
		fw_conn_drain(&h);
	}
	host_fini(&h);
	return 0;
}
