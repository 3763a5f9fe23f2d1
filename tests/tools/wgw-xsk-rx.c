// SPDX-License-Identifier: GPL-2.0-only
/*
 * wgw-xsk-rx: a small AF_XDP test tool around the gateway's XDP loader.
 *
 *   wgw-xsk-rx rx -i IFACE -v ADDR:PORT[-PORT] [-q QUEUE] [-m native|generic]
 *                 [-t SECONDS] [-n COUNT] [-r READYFILE]
 *	Attach the classifier to IFACE with one VIP, bind a copy-mode AF_XDP
 *	socket to QUEUE, receive until COUNT packets or SECONDS have passed
 *	(or SIGINT/SIGTERM), check that each is a WRAITH datagram to the VIP,
 *	print what it got and the program's counters, detach.  READYFILE is
 *	created once packets can flow.
 *
 *   wgw-xsk-rx send -d ADDR:PORT [-n COUNT] [-s PAYLOAD] [-c CID] [-p USEC]
 *	Send COUNT UDP datagrams of PAYLOAD bytes (the first 8 the CID,
 *	big-endian) through an ordinary socket, USEC microseconds apart.
 *
 *   wgw-xsk-rx listen -b ADDR:PORT [-t SECONDS] [-n COUNT] [-r READYFILE]
 *	Count UDP datagrams reaching a kernel socket.
 *
 *   wgw-xsk-rx ping -d ADDR [-n COUNT] [-t SECONDS]
 *	ICMP / ICMPv6 echo through a raw socket (the box has no ping(8)):
 *	count the replies from ADDR.
 *
 * Output: "key=value" lines on stdout, for scripts.  Exit status 0 when
 * everything received was as expected and COUNT (if given) was reached.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include "gateway/log.h"
#include "gateway/xdp.h"

#define NUM_FRAMES 2048		/* UMEM frames */
#define FRAME_SIZE 2048		/* bytes */
#define RX_BATCH 64		/* descriptors per peek */
#define POLL_MS 100		/* ms between deadline checks */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: wgw-xsk-rx rx -i IFACE -v ADDR:PORT[-PORT] [-q QUEUE] [-m native|generic]\n"
		"                     [-t SECONDS] [-n COUNT] [-r READYFILE]\n"
		"       wgw-xsk-rx send -d ADDR:PORT [-n COUNT] [-s PAYLOAD] [-c CID] [-p USEC]\n"
		"       wgw-xsk-rx listen -b ADDR:PORT [-t SECONDS] [-n COUNT] [-r READYFILE]\n"
		"       wgw-xsk-rx ping -d ADDR [-n COUNT] [-t SECONDS]\n");
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "1.2.3.4:P", "[v6]:P" with an optional "-P2": address (IPv4-mapped for
 * IPv4, like union wgw_addr) and port range.  Returns the family or -1. */
static int parse_endpoint(const char *s, union wgw_addr *a, uint16_t *lo, uint16_t *hi)
{
	char buf[128], *host, *port, *dash, *end;
	unsigned long p1, p2;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if (buf[0] == '[') {
		host = buf + 1;
		end = strchr(host, ']');
		if (!end || end[1] != ':')
			return -1;
		*end = '\0';
		port = end + 2;
	} else {
		host = buf;
		port = strrchr(buf, ':');
		if (!port)
			return -1;
		*port++ = '\0';
	}
	dash = strchr(port, '-');
	if (dash)
		*dash++ = '\0';
	p1 = strtoul(port, &end, 10);
	if (*end || p1 == 0 || p1 > 65535)
		return -1;
	p2 = p1;
	if (dash) {
		p2 = strtoul(dash, &end, 10);
		if (*end || p2 < p1 || p2 > 65535)
			return -1;
	}
	*lo = (uint16_t)p1;
	if (hi)
		*hi = (uint16_t)p2;
	else if (dash)
		return -1;
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET6, host, a->b) == 1)
		return AF_INET6;
	a->w[2] = htonl(0xffff);
	if (inet_pton(AF_INET, host, &a->w[3]) == 1)
		return AF_INET;
	return -1;
}

static void sockaddr_of(const union wgw_addr *a, uint16_t port,
			struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (wgw_addr_is_v4(a)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = wgw_addr_v4(a);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = a->in6;
		*len = sizeof(*sin6);
	}
}

static int make_ready(const char *path)
{
	int fd;

	if (!path)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		fprintf(stderr, "wgw-xsk-rx: %s: %s\n", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* ------------------------------------------------------------ rx */

struct vip {
	union wgw_addr addr;
	uint16_t lo, hi;
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Is this frame a WRAITH datagram to the VIP?  An independent, simple
 * parser: what the program steered must pass it.  Returns NULL or why not.
 */
static const char *check_frame(const uint8_t *f, uint32_t len, const struct vip *v)
{
	union wgw_addr d;
	uint32_t off = 14, ihl, l4, ulen, iplen;
	uint16_t type;
	uint64_t cid = 0;
	int i;

	if (len < 14)
		return "short ethernet";
	type = rd16(f + 12);
	if (type == ETH_P_8021Q || type == ETH_P_8021AD) {
		if (len < 18)
			return "short vlan";
		type = rd16(f + 16);
		off = 18;
	}
	memset(&d, 0, sizeof(d));
	if (type == ETH_P_IP) {
		if (len < off + 20 || (f[off] >> 4) != 4)
			return "bad ipv4";
		ihl = (uint32_t)(f[off] & 0xf) * 4;
		iplen = rd16(f + off + 2);
		if (ihl < 20 || iplen < ihl || off + iplen > len)
			return "bad ipv4 length";
		if (f[off + 9] != IPPROTO_UDP)
			return "not udp";
		if (rd16(f + off + 6) & 0x3fff)
			return "fragment";
		d.w[2] = htonl(0xffff);
		memcpy(&d.w[3], f + off + 16, 4);
		l4 = off + ihl;
		iplen -= ihl;
	} else if (type == ETH_P_IPV6) {
		if (len < off + 40 || (f[off] >> 4) != 6)
			return "bad ipv6";
		if (f[off + 6] != IPPROTO_UDP)
			return "not udp";
		iplen = rd16(f + off + 4);
		if (off + 40 + iplen > len)
			return "bad ipv6 length";
		memcpy(d.b, f + off + 24, 16);
		l4 = off + 40;
	} else {
		return "not ip";
	}
	if (iplen < 8)
		return "short udp";
	ulen = rd16(f + l4 + 4);
	if (ulen < 8 || ulen > iplen)
		return "bad udp length";
	if (!wgw_addr_eq(&d, &v->addr))
		return "not to the vip address";
	if (rd16(f + l4 + 2) < v->lo || rd16(f + l4 + 2) > v->hi)
		return "not to the vip port";
	if (ulen - 8 < WRAITH_MIN_PAYLOAD)
		return "payload < 24";
	for (i = 0; i < 8; i++)
		cid = cid << 8 | f[l4 + 8 + i];
	if (!cid)
		return "cid 0";
	return NULL;
}

static void print_counters(const struct wgw_xdp *x)
{
	uint64_t c[WGW_XDP_CNT_MAX];
	unsigned int i;

	if (wgw_xdp_read_counters(x, c)) {
		fprintf(stderr, "wgw-xsk-rx: cannot read the counters\n");
		return;
	}
	for (i = 0; i < WGW_XDP_CNT_MAX; i++)
		printf("xdp.%s=%llu\n", wgw_xdp_counter_name(i), (unsigned long long)c[i]);
}

static int cmd_rx(int argc, char **argv)
{
	struct xsk_socket_config xcfg = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = 0,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP,
	};
	struct xsk_umem_config ucfg = {
		.fill_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.comp_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.frame_size = FRAME_SIZE,
		.frame_headroom = 0,
	};
	const char *ifname = NULL, *ready = NULL, *why;
	enum wgw_xdp_mode mode = WGW_XDP_MODE_NATIVE, got;
	unsigned long queue = 0, count = 0, bad = 0, ok = 0;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq, rx;
	struct xsk_umem *umem = NULL;
	struct xsk_socket *xsk = NULL;
	struct wgw_xdp *x = NULL;
	double seconds = 10, deadline;
	struct vip v;
	bool have_vip = false;
	size_t size = (size_t)NUM_FRAMES * FRAME_SIZE;
	void *buf = MAP_FAILED;
	uint32_t idx = 0, i;
	int opt, err, ifindex, rc = 1;

	while ((opt = getopt(argc, argv, "i:v:q:m:t:n:r:")) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 'v':
			if (parse_endpoint(optarg, &v.addr, &v.lo, &v.hi) < 0) {
				fprintf(stderr, "wgw-xsk-rx: bad VIP '%s' (ADDR:PORT[-PORT])\n",
					optarg);
				return 2;
			}
			have_vip = true;
			break;
		case 'q':
			queue = strtoul(optarg, NULL, 10);
			break;
		case 'm':
			if (!strcmp(optarg, "native"))
				mode = WGW_XDP_MODE_NATIVE;
			else if (!strcmp(optarg, "generic"))
				mode = WGW_XDP_MODE_GENERIC;
			else
				usage();
			break;
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			ready = optarg;
			break;
		default:
			usage();
		}
	}
	if (!ifname || !have_vip || optind != argc)
		usage();
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		fprintf(stderr, "wgw-xsk-rx: no interface '%s'\n", ifname);
		return 1;
	}

	err = wgw_xdp_open(&x, ifindex);
	if (err) {
		fprintf(stderr, "wgw-xsk-rx: load: %s\n", strerror(-err));
		return 1;
	}
	err = wgw_xdp_add_vip(x, &v.addr, v.lo, v.hi);
	if (err) {
		fprintf(stderr, "wgw-xsk-rx: vip: %s\n", strerror(-err));
		goto out;
	}
	err = wgw_xdp_attach(x, mode);
	if (err) {
		fprintf(stderr, "wgw-xsk-rx: attach (%s): %s\n", wgw_xdp_mode_name(mode),
			strerror(-err));
		goto out;
	}
	err = wgw_xdp_query_mode(x, &got);
	if (err) {
		fprintf(stderr, "wgw-xsk-rx: query: %s\n", strerror(-err));
		goto out;
	}
	printf("mode=%s\n", wgw_xdp_mode_name(got));

	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		fprintf(stderr, "wgw-xsk-rx: mmap: %s\n", strerror(errno));
		goto out;
	}
	err = xsk_umem__create(&umem, buf, size, &fq, &cq, &ucfg);
	if (err) {
		fprintf(stderr, "wgw-xsk-rx: umem: %s\n", strerror(-err));
		umem = NULL;
		goto out;
	}
	err = xsk_socket__create(&xsk, ifname, (uint32_t)queue, umem, &rx, NULL, &xcfg);
	if (err) {
		fprintf(stderr, "wgw-xsk-rx: socket on %s queue %lu: %s\n", ifname, queue,
			strerror(-err));
		xsk = NULL;
		goto out;
	}
	err = xsk_socket__update_xskmap(xsk, wgw_xdp_xskmap_fd(x));
	if (err) {
		fprintf(stderr, "wgw-xsk-rx: xskmap: %s\n", strerror(-err));
		goto out;
	}
	/* Hand every frame to the kernel: the fill ring is as big as the UMEM. */
	if (xsk_ring_prod__reserve(&fq, ucfg.fill_size, &idx) != ucfg.fill_size) {
		fprintf(stderr, "wgw-xsk-rx: cannot fill the fill ring\n");
		goto out;
	}
	for (i = 0; i < ucfg.fill_size; i++)
		*xsk_ring_prod__fill_addr(&fq, idx + i) = (uint64_t)i * FRAME_SIZE;
	xsk_ring_prod__submit(&fq, ucfg.fill_size);

	if (make_ready(ready))
		goto out;
	printf("ready=1\n");
	fflush(stdout);

	deadline = now_s() + seconds;
	while (!stop && now_s() < deadline && (!count || ok + bad < count)) {
		struct pollfd pfd = { .fd = xsk_socket__fd(xsk), .events = POLLIN };
		uint32_t n, fidx = 0;

		if (xsk_ring_prod__needs_wakeup(&fq))
			recvfrom(pfd.fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		n = xsk_ring_cons__peek(&rx, RX_BATCH, &idx);
		if (!n) {
			if (poll(&pfd, 1, POLL_MS) < 0 && errno != EINTR) {
				fprintf(stderr, "wgw-xsk-rx: poll: %s\n", strerror(errno));
				goto out;
			}
			continue;
		}
		/* Every frame taken from RX goes straight back to the fill
		 * ring: the fill ring can never be short by more than n. */
		while (xsk_ring_prod__reserve(&fq, n, &fidx) != n)
			;
		for (i = 0; i < n; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&rx, idx + i);
			const uint8_t *f = xsk_umem__get_data(buf, d->addr);

			why = d->len > FRAME_SIZE ? "descriptor too long" :
				check_frame(f, d->len, &v);
			if (why) {
				if (bad < 5)
					fprintf(stderr, "wgw-xsk-rx: unexpected frame (%u bytes): %s\n",
						d->len, why);
				bad++;
			} else {
				ok++;
			}
			*xsk_ring_prod__fill_addr(&fq, fidx + i) =
				xsk_umem__extract_addr(d->addr);
		}
		xsk_ring_prod__submit(&fq, n);
		xsk_ring_cons__release(&rx, n);
	}
	printf("rx_packets=%lu\nrx_wraith_ok=%lu\nrx_bad=%lu\n", ok + bad, ok, bad);
	print_counters(x);
	rc = bad || (count && ok < count) ? 1 : 0;
out:
	if (xsk)
		xsk_socket__delete(xsk);
	if (umem)
		xsk_umem__delete(umem);
	if (buf != MAP_FAILED)
		munmap(buf, size);
	wgw_xdp_close(x);
	fflush(stdout);
	return rc;
}

/* ------------------------------------------------------------ send */

static int cmd_send(int argc, char **argv)
{
	unsigned long count = 1, plen = 64, pace_us = 0, n, sent = 0;
	unsigned long long cid = 0x0123456789abcdefULL;
	struct sockaddr_storage ss;
	union wgw_addr a;
	uint8_t payload[9000];
	bool have_dst = false;
	socklen_t sl = 0;
	uint16_t port;
	int opt, fd, i;

	while ((opt = getopt(argc, argv, "d:n:s:c:p:")) != -1) {
		switch (opt) {
		case 'd':
			if (parse_endpoint(optarg, &a, &port, NULL) < 0) {
				fprintf(stderr, "wgw-xsk-rx: bad destination '%s' (ADDR:PORT)\n",
					optarg);
				return 2;
			}
			have_dst = true;
			break;
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 's':
			plen = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			cid = strtoull(optarg, NULL, 16);
			break;
		case 'p':
			pace_us = strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (!have_dst || optind != argc || plen > sizeof(payload))
		usage();
	sockaddr_of(&a, port, &ss, &sl);
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		fprintf(stderr, "wgw-xsk-rx: socket: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < (int)sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	for (i = 0; i < 8; i++)
		payload[i] = (uint8_t)(cid >> (56 - 8 * i));
	for (n = 0; n < count; n++) {
		if (sendto(fd, payload, plen, 0, (struct sockaddr *)&ss, sl) == (ssize_t)plen)
			sent++;
		else
			fprintf(stderr, "wgw-xsk-rx: sendto: %s\n", strerror(errno));
		if (pace_us)
			usleep((useconds_t)pace_us);
	}
	close(fd);
	printf("sent=%lu\n", sent);
	return sent == count ? 0 : 1;
}

/* ------------------------------------------------------------ listen */

static int cmd_listen(int argc, char **argv)
{
	unsigned long count = 0, got = 0;
	const char *ready = NULL;
	struct sockaddr_storage ss;
	double seconds = 10, deadline;
	union wgw_addr a;
	bool have_addr = false;
	socklen_t sl = 0;
	uint16_t port;
	uint8_t buf[65536];
	int opt, fd, one = 1;

	while ((opt = getopt(argc, argv, "b:t:n:r:")) != -1) {
		switch (opt) {
		case 'b':
			if (parse_endpoint(optarg, &a, &port, NULL) < 0) {
				fprintf(stderr, "wgw-xsk-rx: bad address '%s' (ADDR:PORT)\n",
					optarg);
				return 2;
			}
			have_addr = true;
			break;
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			ready = optarg;
			break;
		default:
			usage();
		}
	}
	if (!have_addr || optind != argc)
		usage();
	sockaddr_of(&a, port, &ss, &sl);
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, sl)) {
		fprintf(stderr, "wgw-xsk-rx: bind: %s\n", strerror(errno));
		return 1;
	}
	if (make_ready(ready))
		return 1;
	deadline = now_s() + seconds;
	while (!stop && now_s() < deadline && (!count || got < count)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, POLL_MS) <= 0)
			continue;
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
			got++;
	}
	close(fd);
	printf("udp_received=%lu\n", got);
	return count && got < count ? 1 : 0;
}

/* ------------------------------------------------------------ ping */

static uint16_t csum16(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int cmd_ping(int argc, char **argv)
{
	unsigned long count = 3, got = 0, n;
	struct sockaddr_storage ss, from;
	double seconds = 5, deadline;
	uint16_t id = (uint16_t)getpid(), port = 0, c;
	union wgw_addr a;
	bool v4, have = false;
	socklen_t sl = 0, fl;
	uint8_t pkt[64], buf[2048];
	char abuf[128];
	int opt, fd;

	while ((opt = getopt(argc, argv, "d:n:t:")) != -1) {
		switch (opt) {
		case 'd':
			/* An address alone: reuse the endpoint parser. */
			snprintf(abuf, sizeof(abuf), strchr(optarg, ':') ? "[%s]:1" : "%s:1",
				 optarg);
			if (parse_endpoint(abuf, &a, &port, NULL) < 0) {
				fprintf(stderr, "wgw-xsk-rx: bad address '%s'\n", optarg);
				return 2;
			}
			have = true;
			break;
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		default:
			usage();
		}
	}
	if (!have || optind != argc)
		usage();
	v4 = wgw_addr_is_v4(&a);
	sockaddr_of(&a, 0, &ss, &sl);
	fd = socket(ss.ss_family, SOCK_RAW, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0) {
		fprintf(stderr, "wgw-xsk-rx: raw socket: %s\n", strerror(errno));
		return 1;
	}
	deadline = now_s() + seconds;
	for (n = 0; n < count && !stop; n++) {
		double wait_until = now_s() + 1;

		memset(pkt, 0, sizeof(pkt));
		pkt[0] = v4 ? 8 : 128;	/* echo request */
		pkt[4] = id >> 8;
		pkt[5] = id & 0xff;
		pkt[6] = (uint8_t)(n >> 8);
		pkt[7] = (uint8_t)n;
		if (v4) {	/* the kernel sums ICMPv6 itself */
			c = csum16(pkt, sizeof(pkt));
			pkt[2] = c >> 8;
			pkt[3] = c & 0xff;
		}
		if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss, sl) < 0)
			fprintf(stderr, "wgw-xsk-rx: sendto: %s\n", strerror(errno));
		while (!stop && now_s() < wait_until && now_s() < deadline) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			const uint8_t *icmp = buf;
			ssize_t r;

			if (poll(&pfd, 1, POLL_MS) <= 0)
				continue;
			fl = sizeof(from);
			r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
			if (r <= 0)
				continue;
			if (v4) {	/* IPv4 raw sockets see the IP header */
				size_t ihl = (size_t)(buf[0] & 0xf) * 4;

				if ((size_t)r < ihl + 8)
					continue;
				icmp = buf + ihl;
				r -= (ssize_t)ihl;
			}
			if (r >= 8 && icmp[0] == (v4 ? 0 : 129) &&
			    rd16(icmp + 4) == id && rd16(icmp + 6) == (uint16_t)n) {
				got++;
				break;
			}
		}
	}
	close(fd);
	(void)port;
	printf("ping_replies=%lu\n", got);
	return got == count ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	if (argc < 2)
		usage();
	wgw_log_init("wgw-xsk-rx", 0, getenv("WGW_VERBOSE") ? LOG_DEBUG : LOG_INFO);
	wgw_xdp_log_init();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!strcmp(argv[1], "rx"))
		return cmd_rx(argc - 1, argv + 1);
	if (!strcmp(argv[1], "send"))
		return cmd_send(argc - 1, argv + 1);
	if (!strcmp(argv[1], "listen"))
		return cmd_listen(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ping"))
		return cmd_ping(argc - 1, argv + 1);
	usage();
	return 2;
}
