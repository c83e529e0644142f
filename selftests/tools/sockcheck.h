/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sockcheck.h - what sockcheck's parts share: the two connections, the
 * pattern stream, checks and output, the peer's commands, readiness.
 * sockcheck.c has the overview; each sc_*.c file holds scenarios.
 */
#ifndef SOCKCHECK_H
#define SOCKCHECK_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define BUF_SIZE	(256 * 1024)

#define WAIT_MS		20000	/* for anything the other side does */

#define peer_do(what, want, ...)	do { peer_cmd(__VA_ARGS__); \
					     peer_check(what, want); \
				} while (0)

#define EV_ALL	(POLLIN | POLLRDNORM | POLLPRI | POLLOUT | POLLWRNORM | \
		 POLLRDHUP | POLLHUP | POLLERR)

#define IN_	(POLLIN | POLLRDNORM)

#define OUT_	(POLLOUT | POLLWRNORM)

#define check_err(call, err, what) do { \
		ssize_t r_ = (call); \
		check(r_ < 0 && errno == (err), what, "saw %s", res(r_)); \
	} while (0)

struct sc_opt {
	const char *listen_port, *ctl_listen;
	const char *host, *port;	/* --connect or --ctl */
	int sndbuf, rcvbuf;
	int timeout;
	int presend;			/* bytes the peer writes at connect */
	const char *link;		/* the peer's interface for "link" */
};
extern struct sc_opt opt;

extern int d, c;			/* data and control connections */
extern uint64_t tx_off, rx_off;		/* stream offsets, each way */
extern int fails;
extern unsigned char buf[BUF_SIZE];

enum how { BY_POLL, BY_EPOLL, BY_SELECT };

/* A scenario: one data connection, the guest's side of it. */
struct sc_scenario {
	const char *name;
	void (*run)(void);
};
extern const struct sc_scenario sc_basic[], sc_sem[], sc_ktls[];

void say(const char *fmt, ...);
void check(bool good, const char *what, const char *fmt, ...);
void die(const char *what);
const char *errname(int e);
double now(void);
void msleep(int ms);
unsigned char pat(uint64_t off);
void fill_pat(unsigned char *p, size_t n, uint64_t off);
long long bad_pat(const unsigned char *p, size_t n, uint64_t off);
ssize_t send_pat(size_t n, int flags);
ssize_t recv_pat(size_t n, int flags, long long *bad);
void ctl_put(const char *fmt, ...);
bool ctl_get(char *line, size_t size);
void peer_cmd(const char *fmt, ...);
char *peer_ans(void);
bool peer_check(const char *what, const char *want);
const char *ev_names(unsigned int ev);
unsigned int ready_poll(void);
unsigned int ready_epoll(void);
const char *ready_select(void);
const char *select_of(unsigned int ev);
void check_ready(unsigned int want, const char *what);
bool wait_ready(unsigned int want, int ms, enum how how);
void set_int(int level, int name, int val, const char *what);
int get_int(int level, int name);
void set_nonblock(bool on);
int outq(void);
void send_all(uint64_t n, const char *what);
void recv_exact(uint64_t n, const char *what);
uint64_t fill(int flags, ssize_t *first, int *last_err);
const char *res(ssize_t r);
void check_eof(const char *what);
uint64_t fill_full(int flags, ssize_t *first, const char *what);
void peer_drain(const char *what);
void peer_eof(const char *what);
void set_timeo(int fd, int name, int secs);
int tcp_listen(const char *port, int sndbuf);
int tcp_accept(int lfd, int secs);
int tcp_connect(const char *host, const char *port, int rcvbuf);

/* sockcheck_peer.c */
int peer_main(void);

#endif /* SOCKCHECK_H */
