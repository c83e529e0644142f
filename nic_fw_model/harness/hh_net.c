// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * hh_net.c - namespaces, taps and peers for the harness.
 *
 * A tap or socket belongs to the namespace of the thread that made it, so
 * each is made after a setns() into its namespace, and the thread returns
 * to its own namespace at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hh.h"

/* Run fn(arg) inside network namespace ns; -1 if it cannot be entered. */
int hh_in_ns(const char *ns, int (*fn)(void *), void *arg)
{
	char path[256];
	int self, target, ret;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0 || setns(target, CLONE_NEWNET)) {
		perror("hh: setns");
		if (self >= 0)
			close(self);
		if (target >= 0)
			close(target);
		return -1;
	}
	ret = fn(arg);
	if (setns(self, CLONE_NEWNET))
		perror("hh: setns back");
	close(self);
	close(target);
	return ret;
}

struct hh_tap_arg {
	const char *ifname;
	uint8_t *mac;
};

static int hh_mac_of(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	ret = ioctl(s, SIOCGIFHWADDR, &ifr);
	if (!ret)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);
	return ret;
}

static int hh_tap_open_here(void *p)
{
	struct hh_tap_arg *a = p;
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		perror("hh: /dev/net/tun");
		return -1;
	}
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", a->ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) || hh_mac_of(a->ifname, a->mac)) {
		perror("hh: TUNSETIFF");
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Attach to the (persistent) tap ifname in namespace ns; mac is the MAC
 * the kernel in ns uses on it.
 */
int hh_tap_open(const char *ns, const char *ifname, uint8_t mac[6])
{
	struct hh_tap_arg a = { ifname, mac };

	return hh_in_ns(ns, hh_tap_open_here, &a);
}

struct hh_sock_arg {
	int domain, type;
};

static int hh_socket_here(void *p)
{
	struct hh_sock_arg *a = p;

	return socket(a->domain, a->type | SOCK_CLOEXEC, 0);
}

/* A socket in namespace ns: the OS side's connections. */
int hh_socket_in(const char *ns, int domain, int type)
{
	struct hh_sock_arg a = { domain, type };

	return hh_in_ns(ns, hh_socket_here, &a);
}

/* Start argv with stdout and stderr to out; returns the pid. */
int hh_spawn(char *const argv[], const char *out)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Wait for pid at most timeout_s; kill it then.  Its exit status. */
int hh_wait(int pid, int timeout_s)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int st, i;

	for (i = 0; i < timeout_s * 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return 124;
}
