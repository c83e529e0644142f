// SPDX-License-Identifier: GPL-2.0
/*
 * sc_ktls.c - sockcheck's kTLS scenarios: what a TLS server does after
 * its handshake, on the connection it accepted (offloaded at accept):
 * TCP_ULP "tls", then TLS_TX and TLS_RX with a fixed AES-128-GCM key,
 * and the application's bytes go through kTLS on the host's TCP (the
 * module must restore the connection first; socket-calls.rst).
 *
 * The peer is selftests/tools/ktls_peer.py (the host has no tls module):
 * it speaks sockcheck's control protocol, parses and decrypts the records
 * in user space, checks every tag and byte, and answers with the SHA-256
 * of the plaintext, which the guest compares with its own.
 *
 *   ktls12, ktls13   the same scenario in TLS 1.2 and TLS 1.3
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sha256.h"
#include "sockcheck.h"

#ifndef SOL_TLS
#define SOL_TLS		282
#endif

#define KT_HELLO	517		/* the "ClientHello", plain */
#define KT_REPLY	1200		/* the "server's flight", plain */
#define KT_EARLY	60000		/* before TLS_RX, within TCP's first window */
#define KT_WRITE	(3 << 20)	/* through kTLS with send() */
#define KT_SENDFILE	(1 << 20)	/* and with sendfile() */
#define KT_BACK		(1 << 20)	/* the peer's records after that */

/*
 * The fixed keys, the same in ktls_peer.py: the server's (ours, TX) and
 * the client's (RX).  TLS 1.2 starts at record 1 (the Finished was 0).
 */
static void kt_crypto_info(struct tls12_crypto_info_aes_gcm_128 *ci,
			   int version, bool tx)
{
	int i;

	memset(ci, 0, sizeof(*ci));
	ci->info.version = version;
	ci->info.cipher_type = TLS_CIPHER_AES_GCM_128;
	for (i = 0; i < TLS_CIPHER_AES_GCM_128_KEY_SIZE; i++)
		ci->key[i] = (tx ? 0x10 : 0x20) + i;
	for (i = 0; i < TLS_CIPHER_AES_GCM_128_SALT_SIZE; i++)
		ci->salt[i] = (tx ? 0xa0 : 0xb0) + i;
	for (i = 0; i < TLS_CIPHER_AES_GCM_128_IV_SIZE; i++)
		ci->iv[i] = (tx ? 0xc0 : 0xd0) + i;
	if (version == TLS_1_2_VERSION)
		ci->rec_seq[7] = 1;
}

/* SHA-256 of stream bytes [from, from + n), as hex. */
static const char *kt_digest(uint64_t from, uint64_t n)
{
	static char hex[65];
	struct sha256 s;
	uint8_t dig[32];

	sha256_init(&s);
	while (n) {
		size_t k = n < BUF_SIZE ? n : BUF_SIZE;

		fill_pat(buf, k, from);
		sha256_update(&s, buf, k);
		from += k;
		n -= k;
	}
	sha256_final(&s, dig);
	sha256_hex(dig, hex);
	return hex;
}

/* One recvmsg: the record type kTLS reports, and the bytes (checked). */
static ssize_t kt_recv_typed(unsigned char *type, long long *bad)
{
	char control[CMSG_SPACE(sizeof(unsigned char))];
	struct iovec iov = { .iov_base = buf, .iov_len = BUF_SIZE };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *cm;
	ssize_t r;

	*type = 0;
	r = recvmsg(d, &msg, 0);
	cm = CMSG_FIRSTHDR(&msg);
	if (r >= 0 && cm && cm->cmsg_level == SOL_TLS &&
	    cm->cmsg_type == TLS_GET_RECORD_TYPE)
		*type = *CMSG_DATA(cm);
	if (r > 0 && *type == 23) {
		*bad = bad_pat(buf, r, rx_off);
		rx_off += r;
	}
	return r;
}

/* A close_notify alert record (TLS_SET_RECORD_TYPE 21). */
static ssize_t kt_send_close_notify(void)
{
	char control[CMSG_SPACE(sizeof(unsigned char))] = { 0 };
	unsigned char alert[2] = { 1, 0 };	/* warning, close_notify */
	struct iovec iov = { .iov_base = alert, .iov_len = sizeof(alert) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_TLS;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(sizeof(unsigned char));
	*CMSG_DATA(cm) = 21;
	return sendmsg(d, &msg, MSG_NOSIGNAL);
}

/* n stream bytes with sendfile() from a file that holds them. */
static void kt_sendfile(uint64_t n, const char *what)
{
	char path[] = "/tmp/sockcheck-ktls-XXXXXX";
	int fd = mkstemp(path);
	uint64_t left;
	off_t off = 0;

	if (fd < 0)
		die("mkstemp");
	unlink(path);
	for (left = n; left; ) {
		size_t k = left < BUF_SIZE ? left : BUF_SIZE;

		fill_pat(buf, k, tx_off + (n - left));
		if (write(fd, buf, k) != (ssize_t)k)
			die("write to the sendfile source");
		left -= k;
	}
	while ((uint64_t)off < n) {
		ssize_t r = sendfile(d, fd, &off, n - off);

		if (r <= 0) {
			check(false, what, "sendfile: %s after %lld", res(r),
			      (long long)off);
			close(fd);
			tx_off += off;
			return;
		}
	}
	close(fd);
	tx_off += n;
	say("ok %s", what);
}

static void kt_scenario(int version)
{
	struct tls12_crypto_info_aes_gcm_128 tx, rx;
	char want[160], ulp[16] = "";
	socklen_t len = sizeof(ulp);
	uint64_t from, wire;
	unsigned char type;
	double t0;
	long long bad = -1;
	ssize_t r;
	char *ans;
	int fd;

	/* the handshake's stand-in: plain bytes each way */
	peer_do("the peer says which TLS", version == TLS_1_3_VERSION ?
		"tls 1.3" : "tls 1.2", "tls %s",
		version == TLS_1_3_VERSION ? "13" : "12");
	peer_do("the peer wrote its hello", "sent 517", "send %d", KT_HELLO);
	recv_exact(KT_HELLO, "read the hello, plain");
	send_all(KT_REPLY, "wrote our flight, plain");
	peer_drain("the peer read it");

	/* records the peer sends at once, waiting unread (on the NIC) */
	peer_cmd("tlssend %d", KT_EARLY);
	ans = peer_ans();
	if (sscanf(ans, "tlssent %*u wire %llu", (unsigned long long *)&wire) != 1) {
		check(false, "the peer sent 60000 bytes in records", "'%s'", ans);
		return;
	}
	say("ok the peer sent 60000 bytes in records");
	say("info %llu bytes on the wire", (unsigned long long)wire);
	t0 = now();
	while (ioctl(d, SIOCINQ, &fd) == 0 && (uint64_t)fd < wire &&
	       now() - t0 < WAIT_MS / 1000)
		msleep(20);
	check((uint64_t)fd == wire, "the records are all here, unread",
	      "SIOCINQ %d of %llu", fd, (unsigned long long)wire);

	/* what a TLS server does after its handshake */
	if (setsockopt(d, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls"))) {
		check(false, "setsockopt TCP_ULP tls", "%s", errname(errno));
		return;
	}
	say("ok setsockopt TCP_ULP tls");
	check(!getsockopt(d, IPPROTO_TCP, TCP_ULP, ulp, &len) &&
	      !strcmp(ulp, "tls"), "TCP_ULP reads back tls", "'%s' (%s)",
	      ulp, errname(errno));
	kt_crypto_info(&tx, version, true);
	kt_crypto_info(&rx, version, false);
	if (setsockopt(d, SOL_TLS, TLS_TX, &tx, sizeof(tx))) {
		check(false, "setsockopt TLS_TX AES-128-GCM", "%s",
		      errname(errno));
		return;
	}
	say("ok setsockopt TLS_TX AES-128-GCM");
	if (setsockopt(d, SOL_TLS, TLS_RX, &rx, sizeof(rx))) {
		check(false, "setsockopt TLS_RX AES-128-GCM", "%s",
		      errname(errno));
		return;
	}
	say("ok setsockopt TLS_RX AES-128-GCM");
	/* an administrator's "handoff all" must leave this socket alone */
	fd = open("/proc/net/handoff", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "handoff all\n", 12) < 0)
			say("info handoff all: %s", errname(errno));
		close(fd);
	}

	/* the records that waited, decrypted by kTLS */
	from = rx_off;
	r = kt_recv_typed(&type, &bad);
	check(r > 0 && type == 23 && bad < 0,
	      "the first read: application data, the stream's",
	      "%s, type %u, bad byte %lld", res(r), type, bad);
	recv_exact(KT_EARLY - (rx_off - from),
		   "the 60000 bytes sent before TLS_RX, through kTLS");

	/* our records: write(), then sendfile() */
	from = tx_off;
	peer_cmd("tlsdrain %d", KT_WRITE + KT_SENDFILE);
	send_all(KT_WRITE, "wrote 3 MiB through kTLS");
	kt_sendfile(KT_SENDFILE, "sent 1 MiB through kTLS with sendfile()");
	snprintf(want, sizeof(want), "tlsdrained %d ok sha256 %s",
		 KT_WRITE + KT_SENDFILE, kt_digest(from, KT_WRITE + KT_SENDFILE));
	peer_check("the peer decrypted all 4 MiB: every tag, every byte, the same SHA-256",
		   want);

	/* the peer's records, after ours */
	from = rx_off;
	peer_cmd("tlssend %d", KT_BACK);
	recv_exact(KT_BACK, "read the peer's 1 MiB through kTLS");
	ans = peer_ans();
	if (sscanf(ans, "tlssent %*u wire %*u sha256 %64s", want) != 1)
		want[0] = 0;
	check(!strcmp(want, kt_digest(from, KT_BACK)),
	      "the peer's 1 MiB: the same SHA-256 at both ends",
	      "peer said '%s'", ans);

	/* close_notify each way, then EOF */
	peer_cmd("tlsreadeof");
	r = kt_send_close_notify();
	check(r == 2, "sent close_notify (TLS_SET_RECORD_TYPE 21)", "saw %s",
	      res(r));
	shutdown(d, SHUT_WR);
	peer_check("the peer read close_notify, then EOF",
		   "close_notify then eof");
	peer_do("the peer sent close_notify and shut", "closed notify",
		"tlsclose");
	r = kt_recv_typed(&type, &bad);
	check(r == 2 && type == 21 && buf[0] == 1 && buf[1] == 0,
	      "read the peer's close_notify (record type 21)",
	      "%s, type %u", res(r), type);
	check_eof("then EOF");
}

static void sc_ktls12(void)
{
	kt_scenario(TLS_1_2_VERSION);
}

static void sc_ktls13(void)
{
	kt_scenario(TLS_1_3_VERSION);
}

const struct sc_scenario sc_ktls[] = {
	{ "ktls12", sc_ktls12 },
	{ "ktls13", sc_ktls13 },
	{ NULL, NULL }
};
