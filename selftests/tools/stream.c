// SPDX-License-Identifier: GPL-2.0
/* stream.c - see stream.h.  Byte i of flow f is byte i % 8 of
 * splitmix64(key(seed, f) + i / 8). */
#include <string.h>

#include "stream.h"

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void stream_bytes(uint64_t seed, int flow, unsigned long long off,
		  uint8_t *buf, size_t n)
{
	uint64_t key = splitmix64(seed) ^ ((uint64_t)flow << 40);
	size_t i = 0;

	while (i < n) {
		uint64_t w = splitmix64(key + (off + i) / 8);
		unsigned int b = (off + i) % 8;

		for (; b < 8 && i < n; b++, i++)
			buf[i] = w >> (8 * b);
	}
}

long long stream_check(uint64_t seed, int flow, unsigned long long off,
		       const uint8_t *buf, size_t n)
{
	uint8_t want[4096];
	size_t done = 0;

	while (done < n) {
		size_t k = n - done < sizeof(want) ? n - done : sizeof(want);
		size_t i;

		stream_bytes(seed, flow, off + done, want, k);
		if (memcmp(buf + done, want, k)) {
			for (i = 0; buf[done + i] == want[i]; i++)
				;
			return (long long)(off + done + i);
		}
		done += k;
	}
	return -1;
}
