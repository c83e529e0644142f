/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stream.h - the test byte stream: flow f of seed s is a fixed sequence of
 * bytes any party can regenerate at any offset, so a receiver checks every
 * byte against what the sender must have sent.
 */
#ifndef SELFTEST_STREAM_H
#define SELFTEST_STREAM_H

#include <stddef.h>
#include <stdint.h>

/* The stream that answers seed in a duplex transfer. */
#define STREAM_REPLY_SEED(seed)	((seed) ^ 0x5eed0000ULL)

void stream_bytes(uint64_t seed, int flow, unsigned long long off,
		  uint8_t *buf, size_t n);

/* Offset of the first byte of buf that differs from the stream, or -1. */
long long stream_check(uint64_t seed, int flow, unsigned long long off,
		       const uint8_t *buf, size_t n);

/*
 * Describe to stderr what buf holds from its first wrong byte on: how
 * long the wrong run is, and whether it is zeros, or this stream's (or
 * another flow's) bytes from elsewhere, which names the kind of bug.
 */
void stream_explain(uint64_t seed, int flow, int nflows,
		    unsigned long long off, const uint8_t *buf, size_t n);

#endif
