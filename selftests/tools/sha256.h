/* SPDX-License-Identifier: GPL-2.0 */
/* sha256.h - SHA-256 (FIPS 180-4) for the test tools: both ends of every
 * transfer hash the stream, so integrity is checked, not assumed. */
#ifndef SELFTEST_SHA256_H
#define SELFTEST_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[32]);
void sha256_hex(const uint8_t dig[32], char hex[65]);

#endif
