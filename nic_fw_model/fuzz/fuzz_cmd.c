// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * fuzz_cmd.c - libFuzzer target: the command decoder.  The input is a
 * series of 16-byte commands; one whose flags byte has bit 7 set is aimed
 * at the live connection (its id and generation filled in), and addresses
 * with bit 63 set are moved into host memory, so the fuzzer reaches the
 * handlers behind the validation as well as the validation itself.
 */
#include <stdint.h>
#include <string.h>

#include "../tests/fw_conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h);
	size_t off;

	for (off = 0; off + 16 <= size; off += 16) {
		struct chw_msg m;

		memcpy(&m, data + off, 16);
		if (m.flags & 0x80)
			m.cid = htole32(cid);
		if (le64toh(m.val) >> 63)
			m.val = htole64(RAM_BASE + (le64toh(m.val) % RAM_SIZE));
		host_post_cmd(&h, &m);
		if ((off / 16) % 8 == 7)
			fw_conn_drain(&h);
	}
	fw_conn_drain(&h);
	host_fini(&h);
	return 0;
}
