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

#include "fuzz_conn.h"
#include "../nfw_pkt.h"

static size_t fuzz_tcp_frame(uint8_t *f, const uint8_t *tcp, size_t len)
{
	uint8_t *ip = f + 14, *th = ip + 20;
	uint32_t sum;

	if (len > 1500 - 20)
		len = 1500 - 20;
	memcpy(f, "\x52\x54\x00\x12\x34\x56\x52\x54\x00\x00\x00\x01\x08\x00", 14);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	nfw_put_be16(ip + 2, 20 + len);
	ip[8] = 64;
	ip[9] = NFW_IPPROTO_TCP;
	memcpy(ip + 12, FUZZ_PADDR, 4);
	memcpy(ip + 16, FUZZ_LADDR, 4);
	nfw_put_be16(ip + 10, ~nfw_csum_fold(nfw_csum_add(0, ip, 20)));
	memcpy(th, tcp, len);
	if (len >= 20) {
		nfw_put_be16(th, FUZZ_PPORT);
		nfw_put_be16(th + 2, FUZZ_LPORT);
		nfw_put_be16(th + 16, 0);
		sum = nfw_csum_add(0, ip + 12, 8) + NFW_IPPROTO_TCP + len;
		sum = nfw_csum_add(sum, th, len);
		nfw_put_be16(th + 16, ~nfw_csum_fold(sum));
	}
	return 14 + 20 + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[2048];
	struct fw_host h;
	size_t off = 1;

	if (!size)
		return 0;
	fuzz_setup(&h);
	while (off + 2 <= size) {
		size_t len = data[off] | data[off + 1] << 8;

		off += 2;
		if (len > size - off)
			len = size - off;
		if (len > sizeof(frame) - 64)
			len = sizeof(frame) - 64;
		if (data[0] & 1) {
			size_t n = fuzz_tcp_frame(frame, data + off, len);

			nfw_rx_frame(h.fw, frame, n);
		} else {
			memcpy(frame, data + off, len);
			nfw_rx_frame(h.fw, frame, len);
		}
		off += len;
		fuzz_drain(&h);
	}
	host_fini(&h);
	return 0;
}
