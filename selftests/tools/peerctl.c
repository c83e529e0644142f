// SPDX-License-Identifier: GPL-2.0
/*
 * peerctl - run a shell command on the test's host peer, from the guest.
 *
 *   peerctl HOST:PORT 'command...'
 *
 * The peer agent (selftests/peer_agent.py) runs the command in the host
 * network namespace and sends back its output and a last line
 * "__EXIT__ <status>".  peerctl prints the output and exits with the
 * command's status (255 if the agent cannot be reached).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	static char out[1 << 20];
	size_t len = 0;
	char *colon, *mark;
	int fd, tries;
	ssize_t n;

	if (argc != 3 || !(colon = strchr(argv[1], ':'))) {
		fprintf(stderr, "usage: peerctl HOST:PORT 'command'\n");
		return 255;
	}
	*colon = '\0';
	a.sin_port = htons(atoi(colon + 1));
	if (inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
		fprintf(stderr, "peerctl: bad address %s\n", argv[1]);
		return 255;
	}
	for (tries = 0;; tries++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof(a)))
			break;
		if (fd >= 0)
			close(fd);
		if (tries == 50) {
			perror("peerctl: connect");
			return 255;
		}
		usleep(200 * 1000);
	}
	if (write(fd, argv[2], strlen(argv[2])) < 0 || write(fd, "\n", 1) < 0) {
		perror("peerctl: write");
		return 255;
	}
	shutdown(fd, SHUT_WR);
	while (len < sizeof(out) - 1 &&
	       (n = read(fd, out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	close(fd);
	mark = strstr(out, "__EXIT__ ");
	if (!mark) {
		fputs(out, stdout);
		fprintf(stderr, "peerctl: no exit status from the agent\n");
		return 255;
	}
	*mark = '\0';
	fputs(out, stdout);
	return atoi(mark + 9);
}
