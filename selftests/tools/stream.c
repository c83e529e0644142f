// SPDX-License-Identifier: GPL-2.0
/* stream.c - see stream.h.  Byte i of flow f is byte i % 8 of
 * splitmix64(key(seed, f) + i / 8). */
#include <stdio.h>
#include <string.h>

#include "stream.h"

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t stream_key(uint64_t seed, int flow)
{
	return splitmix64(seed) ^ ((uint64_t)flow << 40);
}

void stream_bytes(uint64_t seed, int flow, unsigned long long off,
		  uint8_t *buf, size_t n)
{
	uint64_t key = stream_key(seed, flow);
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

/* The stream offset (a multiple of 8) whose word is w, searched near. */
static long long stream_find_word(uint64_t key, uint64_t w,
				  unsigned long long near, unsigned long long span)
{
	unsigned long long lo = near > span ? (near - span) / 8 : 0;
	unsigned long long hi = (near + span) / 8, i;

	for (i = lo; i <= hi; i++)
		if (splitmix64(key + i) == w)
			return (long long)(i * 8);
	return -1;
}

void stream_explain(uint64_t seed, int flow, int nflows,
		    unsigned long long off, const uint8_t *buf, size_t n)
{
	long long bad = stream_check(seed, flow, off, buf, n);
	size_t at, run, zeros = 0, i;
	unsigned long long pos;
	uint64_t w = 0;
	int f;

	if (bad < 0)
		return;
	at = (size_t)(bad - off);
	/* the wrong run: up to the next 64 bytes that match again */
	for (run = 0; at + run < n; run++) {
		uint8_t want;

		stream_bytes(seed, flow, off + at + run, &want, 1);
		if (buf[at + run] == want &&
		    stream_check(seed, flow, off + at + run, buf + at + run,
				 n - at - run > 64 ? 64 : n - at - run) < 0)
			break;
	}
	for (i = 0; i < run; i++)
		zeros += !buf[at + i];
	fprintf(stderr, "stream: flow %d wrong from %lld for %zu bytes (%zu zero)%s\n",
		flow, bad, run, zeros, at + run == n ? ", to the end of the read" : "");
	/* the first whole stream word inside the run */
	pos = (off + at + 7) & ~7ULL;
	if (pos + 8 > off + at + run)
		return;
	for (i = 0; i < 8; i++)
		w |= (uint64_t)buf[pos - off + i] << (8 * i);
	for (f = 0; f < nflows; f++) {
		long long from = stream_find_word(stream_key(seed, f), w, pos,
						  f == flow ? 4ULL << 20 : 1ULL << 20);

		if (from >= 0) {
			fprintf(stderr, "stream: bytes at %llu are flow %d's bytes at %lld (%+lld)\n",
				pos, f, from, from - (long long)pos);
			return;
		}
	}
	fprintf(stderr, "stream: bytes at %llu match no flow nearby\n", pos);
}
