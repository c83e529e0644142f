// SPDX-License-Identifier: GPL-2.0
/*
 * sockcheck_peer.c - sockcheck's peer: the client on the host's TCP,
 * which acts when the guest tells it to over the control connection.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockcheck.h"

/* ---- the peer ------------------------------------------------------------ */

/* Read n bytes (0: to EOF); the answer for the guest in ans. */
static void peer_read(uint64_t n, char *ans, size_t size)
{
	uint64_t want = n;
	long long bad = -1;

	while (!want || n) {
		ssize_t r = recv_pat(want ? n : BUF_SIZE, 0, &bad);

		if (r == -2) {
			snprintf(ans, size, "bad byte at %lld", bad);
			return;
		}
		if (r < 0) {
			snprintf(ans, size, "err %s after %llu", errname(errno),
				 (unsigned long long)rx_off);
			return;
		}
		if (r == 0) {
			if (want)
				snprintf(ans, size, "eof after %llu",
					 (unsigned long long)rx_off);
			else
				snprintf(ans, size, "eof %llu ok",
					 (unsigned long long)rx_off);
			return;
		}
		if (want)
			n -= r;
	}
	snprintf(ans, size, "drained %llu ok", (unsigned long long)want);
}

static void peer_send(uint64_t n, char *ans, size_t size)
{
	uint64_t left = n;

	while (left) {
		ssize_t r = send_pat(left, 0);

		if (r <= 0) {
			snprintf(ans, size, "err %s after %llu",
				 errname(errno), (unsigned long long)(n - left));
			return;
		}
		left -= r;
	}
	snprintf(ans, size, "sent %llu", (unsigned long long)n);
}

/* Nothing may arrive within ms: "nodata", or what did. */
static void peer_nodata(uint64_t ms, char *ans, size_t size)
{
	struct timeval tv = { ms / 1000, ms % 1000 * 1000 };
	long long bad = -1;
	ssize_t r;

	setsockopt(d, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r = recv_pat(BUF_SIZE, 0, &bad);
	set_timeo(d, SO_RCVTIMEO, 60);
	if (r < 0 && errno == EAGAIN)
		snprintf(ans, size, "nodata");
	else
		snprintf(ans, size, "got %s", res(r));
}

/*
 * The urgent byte the guest sent at stream offset at: POLLPRI, then
 * recv(MSG_OOB).  It is not in the stream the peer reads.
 */
static void peer_recvoob(uint64_t at, char *ans, size_t size)
{
	struct pollfd p = { .fd = d, .events = POLLPRI };
	unsigned char b;

	if (poll(&p, 1, WAIT_MS) != 1) {
		snprintf(ans, size, "no POLLPRI");
		return;
	}
	if (recv(d, &b, 1, MSG_OOB) != 1) {
		snprintf(ans, size, "err %s", errname(errno));
		return;
	}
	if (b != pat(at)) {
		snprintf(ans, size, "oob byte %u, expected %u", b, pat(at));
		return;
	}
	if (rx_off == at)
		rx_off++;
	snprintf(ans, size, "oob ok");
}

/* "link down" or "link up": the peer vanishes from the network, or returns. */
static void peer_link(const char *how, char *ans, size_t size)
{
	char cmd[128];

	if (!opt.link || (strcmp(how, "down") && strcmp(how, "up"))) {
		snprintf(ans, size, "no --link, or not down/up");
		return;
	}
	snprintf(cmd, sizeof(cmd), "ip link set %s %s", opt.link, how);
	if (system(cmd))
		snprintf(ans, size, "ip link set %.32s %s failed", opt.link,
			 how);
	else
		snprintf(ans, size, "link %s", how);
}

int peer_main(void)
{
	int lfd = tcp_listen(opt.ctl_listen, 0);
	char line[128], ans[128];

	d = tcp_connect(opt.host, opt.port, opt.rcvbuf);
	set_timeo(d, SO_RCVTIMEO, 60);
	set_timeo(d, SO_SNDTIMEO, 60);
	if (opt.presend && send_pat(opt.presend, 0) != opt.presend)
		die("--presend");
	c = tcp_accept(lfd, 30);
	close(lfd);
	set_timeo(c, SO_RCVTIMEO, opt.timeout);
	say("connected");
	while (ctl_get(line, sizeof(line))) {
		unsigned long long n = 0;
		char cmd[32];

		char *l = line;

		if (!strncmp(l, "late ", 5)) {
			msleep(200);
			l += 5;
		}
		if (sscanf(l, "%31s %llu", cmd, &n) < 1)
			cmd[0] = 0;
		if (!strcmp(cmd, "send")) {
			peer_send(n, ans, sizeof(ans));
		} else if (!strcmp(cmd, "drain")) {
			peer_read(n, ans, sizeof(ans));
		} else if (!strcmp(cmd, "readeof")) {
			peer_read(0, ans, sizeof(ans));
		} else if (!strcmp(cmd, "recv")) {
			ssize_t r;

			set_timeo(d, SO_RCVTIMEO, 10);
			r = recv(d, buf, BUF_SIZE, 0);
			set_timeo(d, SO_RCVTIMEO, 60);
			if (r > 0)
				snprintf(ans, sizeof(ans), "data %zd", r);
			else if (r == 0)
				snprintf(ans, sizeof(ans), "eof");
			else
				snprintf(ans, sizeof(ans), "err %s",
					 errname(errno));
		} else if (!strcmp(cmd, "nodata")) {
			peer_nodata(n, ans, sizeof(ans));
		} else if (!strcmp(cmd, "oob")) {
			unsigned char b = pat(tx_off);

			if (send(d, &b, 1, MSG_OOB) == 1)
				snprintf(ans, sizeof(ans), "oob %llu",
					 (unsigned long long)tx_off++);
			else
				snprintf(ans, sizeof(ans), "err %s",
					 errname(errno));
		} else if (!strcmp(cmd, "recvoob")) {
			peer_recvoob(n, ans, sizeof(ans));
		} else if (!strcmp(cmd, "link")) {
			peer_link(l + 5, ans, sizeof(ans));
		} else if (!strcmp(cmd, "shut")) {
			snprintf(ans, sizeof(ans), shutdown(d, SHUT_WR) ?
				 "err %s" : "shut", errname(errno));
		} else if (!strcmp(cmd, "rst")) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(d, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			snprintf(ans, sizeof(ans), close(d) ? "err %s" :
				 "closed", errname(errno));
			d = -1;
		} else if (!strcmp(cmd, "close")) {
			snprintf(ans, sizeof(ans), close(d) ? "err %s" :
				 "closed", errname(errno));
			d = -1;
		} else if (!strcmp(cmd, "bye")) {
			ctl_put("bye");
			break;
		} else {
			snprintf(ans, sizeof(ans), "unknown command '%s'",
				 cmd);
		}
		say("%s -> %s", line, ans);
		ctl_put("%s", ans);
	}
	say("done");
	return 0;
}
