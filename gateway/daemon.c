// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "fallback/tun.h"
#include "fallback/udp.h"
#include "gateway/ctl.h"
#include "gateway/daemon.h"
#include "gateway/stats.h"
#include "gateway/privs.h"
#include "gateway/reload.h"
#include "gateway/engine.h"
#include "gateway/hslimit.h"
#include "gateway/log.h"
#include "gateway/worker.h"
#include "gateway/xdp.h"
#include "gateway/xsk.h"

#define CTL_TICK_MS 10		/* control loop wake-up, milliseconds */
#define NH_REFRESH_MS 1000	/* re-ask for pending next hops, milliseconds */
#define NH_GC_S 60		/* next-hop garbage collection period, seconds */
#define NH_IDLE_S 300		/* next-hop entry idle lifetime, seconds */
#define EXPIRE_PASSES_S 5	/* full expiry pass over the tables, seconds */
#define DP_RETRY_S 5		/* a degraded interface retries XDP, seconds */
#define DP_HEALTH_MS 250	/* fast-path health check period, milliseconds */


const char *wgw_sides_name(unsigned sides)
{
	switch (sides) {
	case WGW_SIDE_WAN:
		return "wan";
	case WGW_SIDE_LAN:
		return "lan";
	case WGW_SIDE_WAN | WGW_SIDE_LAN:
		return "wan+lan";
	default:
		return "none";
	}
}

static enum wgw_rung mode_to_rung(enum wgw_mode m)
{
	switch (m) {
	case WGW_MODE_XDP_ZEROCOPY:
		return WGW_RUNG_XDP_ZEROCOPY;
	case WGW_MODE_XDP_COPY:
		return WGW_RUNG_XDP_COPY;
	case WGW_MODE_XDP_GENERIC:
		return WGW_RUNG_XDP_GENERIC;
	default:
		return WGW_RUNG_FALLBACK;
	}
}

static uint32_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ pid file */

/*
 * One gateway per pid file: the lock is held for the daemon's life, so a
 * second start fails at once with the first one's pid, and a pid file left
 * by a killed daemon is simply taken over.
 */
static int pidfile_open(struct wgw_daemon *d)
{
	char buf[32];
	ssize_t n;
	int fd;

	d->pidfd = -1;
	if (!d->cfg.pidfile[0])
		return 0;
	fd = open(d->cfg.pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		wgw_err("pid file %s: %s", d->cfg.pidfile, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = errno;

		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (err == EWOULDBLOCK)
			wgw_err("another wraith-gatewayd is running (pid %s, pid file %s)",
				buf[0] ? buf : "?", d->cfg.pidfile);
		else
			wgw_err("pid file %s: lock: %s", d->cfg.pidfile, strerror(err));
		close(fd);
		return -EBUSY;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n) {
		wgw_err("pid file %s: write: %s", d->cfg.pidfile, strerror(errno));
		close(fd);
		return -EIO;
	}
	d->pidfd = fd;
	return 0;
}

static void pidfile_close(struct wgw_daemon *d)
{
	if (d->pidfd < 0)
		return;
	unlink(d->cfg.pidfile);
	close(d->pidfd);
	d->pidfd = -1;
}

/* ------------------------------------------------------- undo journal */

/*
 * What the gateway changed in the kernel that does not go away with the
 * process (sysctls, the NAT address's route and proxy entry, NIC settings)
 * is written to a journal next to the pid file before it matters, and the
 * journal is removed after a clean exit.  A daemon that was SIGKILLed
 * leaves it behind; the next start (which holds the pid-file lock, so the
 * old one is gone) puts everything back first.  The XDP program needs no
 * entry: a bpf_link dies with its process.
 */
#define JOURNAL_MAGIC 0x57474a31u /* "WGJ1" */

struct journal {
	uint32_t magic;
	uint32_t size;		/* sizeof(struct journal): layout check */
	struct wgw_sysctls sysctls;
	struct wgw_nl_claim claim;
	uint32_t claimed;
	struct wgw_nl_confine confine;
	uint32_t nprep;
	struct wgw_ifprep prep[2];
};

static void journal_path(const struct wgw_daemon *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s.state", d->cfg.pidfile);
}

static void journal_write(struct wgw_daemon *d)
{
	char path[WGW_PATH_LEN + 16], tmp[WGW_PATH_LEN + 32];
	struct journal *j;
	int fd;

	if (!d->cfg.pidfile[0])
		return;
	j = calloc(1, sizeof(*j));
	if (!j)
		return;
	j->magic = JOURNAL_MAGIC;
	j->size = sizeof(*j);
	j->sysctls = d->sysctls;
	j->claim = d->claim;
	j->claimed = d->claimed;
	j->confine = d->confine;
	for (unsigned i = 0; i < d->nifs; i++)
		if (d->ifs[i].prep_applied)
			j->prep[j->nprep++] = d->ifs[i].prep;
	journal_path(d, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, j, sizeof(*j)) != (ssize_t)sizeof(*j) ||
	    fsync(fd) || rename(tmp, path))
		wgw_warn("undo journal %s: %s (a crash would leave settings behind)",
			 path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(j);
}

static void journal_remove(struct wgw_daemon *d)
{
	char path[WGW_PATH_LEN + 16];

	if (!d->cfg.pidfile[0])
		return;
	journal_path(d, path, sizeof(path));
	unlink(path);
}

/* Undo what a gateway that died without cleaning up left behind. */
static void journal_recover(struct wgw_daemon *d)
{
	char path[WGW_PATH_LEN + 16];
	struct journal *j;
	ssize_t n;
	int fd;

	if (!d->cfg.pidfile[0])
		return;
	journal_path(d, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	j = calloc(1, sizeof(*j));
	n = j ? read(fd, j, sizeof(*j)) : -1;
	close(fd);
	if (!j || n != (ssize_t)sizeof(*j) || j->magic != JOURNAL_MAGIC ||
	    j->size != sizeof(*j) || j->nprep > 2 || j->sysctls.n > WGW_SYSCTL_MAX) {
		wgw_warn("undo journal %s is not one this version wrote: ignored", path);
		free(j);
		unlink(path);
		return;
	}
	wgw_notice("a previous gateway did not stop cleanly: undoing what it left "
		   "(%u sysctls, %s, %u interface settings)", j->sysctls.n,
		   j->claimed ? "the NAT address" : "no NAT address", j->nprep);
	if (j->claimed)
		wgw_nl_release(d->nl, &j->claim);
	wgw_sysctl_restore(&j->sysctls);
	/* After the forwarding switches: the rules are what kept the host
	 * from being a router while they were on. */
	j->confine.ifname[sizeof(j->confine.ifname) - 1] = '\0';
	if (j->confine.added && j->confine.ifname[0])
		wgw_nl_unconfine(d->nl, &j->confine);
	for (unsigned i = j->nprep; i-- > 0;)
		wgw_ifprep_restore(&d->genl, &j->prep[i]);
	free(j);
	unlink(path);
}

/* ---------------------------------------------------------- interfaces */

static int iface_init(struct wgw_daemon *d, struct wgw_iface *ifc, const char *name,
		      unsigned sides, enum wgw_mode want)
{
	struct wgw_nl_link link;
	char why[160];
	int err;

	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	ifc->sides = sides;
	ifc->want = want;
	err = wgw_nl_link_by_name(d->nl, name, &link);
	if (err) {
		wgw_err("interface %s: %s", name,
			err == -ENODEV ? "no such interface" : strerror(-err));
		return err;
	}
	ifc->ifindex = link.ifindex;
	ifc->mtu = link.mtu;
	memcpy(ifc->mac, link.mac, 6);
	err = wgw_probe(name, d->cfg.frame_size, d->cfg.headroom, &ifc->probe);
	if (err) {
		wgw_err("interface %s: probe: %s", name, strerror(-err));
		return err;
	}
	ifc->numa_node = ifc->probe.numa_node;
	ifc->queues = ifc->probe.queues ? ifc->probe.queues : 1;
	/* Where the ladder starts: a forced rung, or the best the probe
	 * allows (zero-copy only when the driver says it can). */
	if (want != WGW_MODE_AUTO) {
		ifc->rung = mode_to_rung(want);
	} else {
		ifc->rung = wgw_probe_rung(&ifc->probe, 0, why, sizeof(why));
		if (ifc->rung != WGW_RUNG_XDP_ZEROCOPY)
			snprintf(ifc->why, sizeof(ifc->why), "probe: %s", why);
	}
	return 0;
}

static int iface_prepare(struct wgw_daemon *d, struct wgw_iface *ifc)
{
	struct wgw_ifprep_cfg pc = {
		.queues = d->cfg.queues,
		.rx_ring = d->cfg.nic_rx_ring,
		.tx_ring = d->cfg.nic_tx_ring,
		.coalesce = (enum wgw_coalesce_profile)d->cfg.coalesce,
		.features_off = NULL,
	};
	static const char *const none[] = { NULL };
	int err;

	if (d->cfg.keep_offloads)
		pc.features_off = none;
	err = wgw_ifprep_apply(&d->genl, ifc->ifindex, ifc->name, &pc, &ifc->prep);
	if (err) {
		wgw_err("interface %s: preparation failed: %s", ifc->name, strerror(-err));
		return err;
	}
	ifc->prep_applied = true;
	if (d->cfg.queues) {
		/* Re-read: the queue count may have changed. */
		if (!wgw_probe(ifc->name, d->cfg.frame_size, d->cfg.headroom, &ifc->probe) &&
		    ifc->probe.queues)
			ifc->queues = ifc->probe.queues;
	}
	if (ifc->rung != WGW_RUNG_FALLBACK &&
	    wgw_xdp_mtu_check(ifc->mtu, d->cfg.frame_size, d->cfg.headroom)) {
		wgw_err("interface %s: MTU %u does not fit a %u-byte AF_XDP frame with "
			"%u bytes of headroom (largest MTU %u): lower the MTU or raise --frame-size",
			ifc->name, ifc->mtu, d->cfg.frame_size, d->cfg.headroom,
			wgw_xdp_max_mtu(d->cfg.frame_size, d->cfg.headroom));
		return -EMSGSIZE;
	}
	return 0;
}

static void iface_restore(struct wgw_daemon *d, struct wgw_iface *ifc)
{
	if (ifc->prep_applied) {
		wgw_ifprep_restore(&d->genl, &ifc->prep);
		ifc->prep_applied = false;
	}
}

/* ----------------------------------------------------------- data path */

/*
 * Per worker, ports in the order the worker prefers them for sending:
 *   WAN: the AF_XDP socket when the WAN runs an XDP rung, then the VIP UDP
 *        sockets (in XDP mode they catch what the program passed to the
 *        kernel: fragments reassembled by the kernel, queues without a
 *        socket);
 *   LAN: the AF_XDP socket when the LAN runs an XDP rung, then the TUN
 *        queue (the TUN owns the NAT address in every mode, so the kernel
 *        answers ARP/NDP for it and hands it what XDP passed).
 * The first port of a side is the worker's egress for that side.
 */

static void dp_down(struct wgw_daemon *d)
{
	for (unsigned i = 0; i < d->nworkers; i++) {
		struct wgw_worker *w = &d->workers[i];

		wgw_worker_destroy(w);
		for (unsigned k = 0; k < 2; k++) {
			if (w->umems[k])
				wgw_xsk_umem_destroy(w->umems[k]);
			w->umems[k] = NULL;
			if (w->pools[k].area)
				wgw_pool_fini(&w->pools[k]);
		}
	}
	for (unsigned i = 0; i < d->nifs; i++) {
		wgw_xdp_close(d->ifs[i].xdp);
		d->ifs[i].xdp = NULL;
	}
}

static void why_add(struct wgw_iface *ifc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void why_add(struct wgw_iface *ifc, const char *fmt, ...)
{
	size_t n = strlen(ifc->why);
	va_list ap;

	if (n + 3 >= sizeof(ifc->why))
		return;
	if (n) {
		memcpy(ifc->why + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(ifc->why + n, sizeof(ifc->why) - n, fmt, ap);
	va_end(ap);
}

static int dp_attach(struct wgw_daemon *d, struct wgw_iface *ifc)
{
	enum wgw_xdp_mode mode = ifc->rung == WGW_RUNG_XDP_GENERIC ?
		WGW_XDP_MODE_GENERIC : WGW_XDP_MODE_NATIVE;
	int err;

	err = wgw_xdp_open(&ifc->xdp, ifc->ifindex);
	if (err) {
		why_add(ifc, "%s: loading the XDP program: %s", wgw_rung_name(ifc->rung),
			strerror(-err));
		return err;
	}
	err = wgw_xdp_set_share(ifc->xdp, (enum wgw_xdp_share)d->cfg.xdp_attach,
				d->cfg.xdp_priority);
	if (err)
		return err;
	err = wgw_xdp_attach(ifc->xdp, mode);
	if (err) {
		const char *what = strerror(-err);

		if (err == -EEXIST)
			what = "another program is attached (left in place)";
		else if (err == -EBUSY)
			what = "another wraith-gatewayd holds this interface";
		why_add(ifc, "%s: attaching in %s mode: %s", wgw_rung_name(ifc->rung),
			wgw_xdp_mode_name(mode), what);
		return err;
	}
	if (ifc->sides & WGW_SIDE_WAN) {
		err = wgw_xdp_set_handshake_limit(ifc->xdp, d->cfg.handshake_rate,
						  d->cfg.handshake_burst);
		if (err)
			return err;
		for (unsigned i = 0; i < d->cfg.n_vips; i++) {
			const struct wgw_vip *v = &d->cfg.vips[i];

			err = wgw_xdp_add_vip(ifc->xdp, &v->addr, v->port_lo, v->port_hi);
			if (err)
				return err;
		}
	}
	if (ifc->sides & WGW_SIDE_LAN) {
		err = wgw_xdp_set_nat(ifc->xdp, &d->cfg.nat, d->cfg.nat_port_lo,
				      d->cfg.nat_port_hi);
		if (err)
			return err;
	}
	return 0;
}

/* Frames a pool needs so that the fill rings can be kept full while frames
 * sit in RX rings, TX rings, completion rings and the hold queue, and the
 * socket ports have a batch each in hand. */
static uint32_t dp_pool_frames(const struct wgw_config *c, unsigned nxsk, unsigned nother)
{
	uint64_t n = (uint64_t)nxsk * (c->fill_ring + c->rx_ring + c->tx_ring) +
		     (uint64_t)nother * 2 * c->batch + WGW_HOLD_MAX +
		     (uint64_t)c->batch * WGW_WORKER_MAX_PORTS;

	if (c->umem_frames && c->umem_frames > n)
		return c->umem_frames;
	return (uint32_t)n;
}

static int dp_add_port(struct wgw_worker *w, struct wgw_port *port, unsigned sides,
		       const uint8_t *mac)
{
	int err;

	port->sides = sides;
	if (mac)
		memcpy(port->mac, mac, 6);
	err = wgw_worker_add_port(w, port);
	if (err)
		port->ops->destroy(port);
	return err;
}

static struct wgw_iface *iface_of(struct wgw_daemon *d, unsigned side)
{
	return d->nifs == 2 && side == WGW_SIDE_LAN ? &d->ifs[1] : &d->ifs[0];
}

/*
 * The VIP sockets' settings.  With XDP on the WAN they only catch
 * leftovers, and the VIP need not be an address of this host
 * (IP_FREEBIND).  On the fallback path they are the data path: a VIP the
 * host does not own would receive nothing, so binding it must fail loudly
 * at start (but not when the fast path failed at run time: limping beats
 * stopping).
 */
static struct wgw_udp_cfg vip_socket_cfg(struct wgw_daemon *d)
{
	const struct wgw_iface *wan = iface_of(d, WGW_SIDE_WAN);

	return (struct wgw_udp_cfg){
		.freebind = wan->rung != WGW_RUNG_FALLBACK || wan->degraded,
		.hs = d->hs,
	};
}

static int dp_up(struct wgw_daemon *d, struct wgw_iface **failed)
{
	struct wgw_xsk_cfg xc = {
		.fill_size = d->cfg.fill_ring,
		.comp_size = d->cfg.comp_ring,
		.rx_size = d->cfg.rx_ring,
		.tx_size = d->cfg.tx_ring,
		.wait = d->cfg.wait,
		.busy_poll_usecs = d->cfg.busy_poll_usecs,
		.busy_poll_budget = d->cfg.busy_poll_budget,
	};
	struct wgw_udp_cfg uc = vip_socket_cfg(d);
	bool xdp[2] = { false, false }, shared;
	unsigned nxdp = 0;
	int err;

	*failed = NULL;
	for (unsigned i = 0; i < d->nifs; i++) {
		struct wgw_iface *ifc = &d->ifs[i];

		if (ifc->rung == WGW_RUNG_FALLBACK)
			continue;
		err = dp_attach(d, ifc);
		if (err) {
			*failed = ifc;
			return err;
		}
		xdp[i] = true;
		nxdp++;
	}
	/*
	 * One UMEM for both interfaces when they run the same kind of
	 * socket: a UMEM shared across devices takes the bind mode of its
	 * first socket, so zero-copy on one side and copy on the other need
	 * a UMEM each (and a copy between them, in the TX path).
	 */
	shared = nxdp < 2 || (d->ifs[0].rung == WGW_RUNG_XDP_ZEROCOPY) ==
			     (d->ifs[1].rung == WGW_RUNG_XDP_ZEROCOPY);

	for (unsigned wi = 0; wi < d->nworkers; wi++) {
		struct wgw_worker *w = &d->workers[wi];
		struct wgw_port *port;

		/* Buffer pools (registered as UMEMs when AF_XDP uses them). */
		for (unsigned k = 0; k < (shared ? 1u : 2u); k++) {
			unsigned nx = shared ? nxdp : 1;
			int node = d->ifs[shared ? 0 : k].numa_node;

			err = wgw_pool_init(&w->pools[k], dp_pool_frames(&d->cfg, nx, 2),
					    d->cfg.frame_size, d->cfg.headroom, node);
			if (err) {
				wgw_err("worker %u: buffer pool: %s", wi, strerror(-err));
				return err;
			}
		}
		for (unsigned i = 0; i < d->nifs; i++) {
			struct wgw_iface *ifc = &d->ifs[i];
			unsigned k = shared ? 0 : i;

			if (!xdp[i])
				continue;
			xc.zerocopy = ifc->rung == WGW_RUNG_XDP_ZEROCOPY;
			if (!w->umems[k]) {
				w->umems[k] = wgw_xsk_umem_create(&w->pools[k], &xc);
				if (!w->umems[k]) {
					err = -errno;
					wgw_err("worker %u: UMEM registration: %s%s", wi,
						strerror(errno), errno == ENOBUFS ?
						" (locked memory: needs CAP_IPC_LOCK)" : "");
					return err;
				}
			}
			port = wgw_xsk_port_create(w->umems[k], ifc->name, ifc->ifindex, wi,
						   wgw_xdp_xskmap_fd(ifc->xdp), &xc);
			if (!port) {
				err = -errno;
				why_add(ifc, "%s: AF_XDP %s bind on queue %u: %s",
					wgw_rung_name(ifc->rung),
					xc.zerocopy ? "zero-copy" : "copy-mode", wi,
					strerror(-err));
				*failed = ifc;
				return err;
			}
			err = dp_add_port(w, port, ifc->sides, ifc->mac);
			if (err)
				return err;
		}
		/* The socket ports, after the AF_XDP ones. */
		port = wgw_udp_port_create(&w->pools[0], d->cfg.vips, d->cfg.n_vips, &uc);
		if (!port) {
			err = -errno;
			wgw_err("worker %u: VIP sockets: %s%s", wi, strerror(errno),
				err == -EADDRNOTAVAIL ? " (on the fallback path every VIP "
				"must be an address of this host)" : "");
			*failed = NULL;
			return err;
		}
		err = dp_add_port(w, port, WGW_SIDE_WAN, NULL);
		if (err)
			return err;
		port = wgw_tun_port_create(d->tun, wi, &w->pools[shared ? 0 : d->nifs - 1],
					   &d->cfg.nat, 1);
		if (!port) {
			err = -errno;
			wgw_err("worker %u: TUN queue: %s", wi, strerror(errno));
			return err;
		}
		err = dp_add_port(w, port, WGW_SIDE_LAN, NULL);
		if (err)
			return err;
	}
	return 0;
}

_Static_assert((int)WGW_XDP_ATTACH_AUTO == (int)WGW_XDP_SHARE_AUTO &&
	       (int)WGW_XDP_ATTACH_EXCLUSIVE == (int)WGW_XDP_SHARE_EXCLUSIVE &&
	       (int)WGW_XDP_ATTACH_SHARED == (int)WGW_XDP_SHARE_SHARED,
	       "config values are the loader's");
_Static_assert(WGW_XDP_MAX_PRIORITY == 10000, "xdp-priority's bound in options.c");

/* Did an interface join a libxdp dispatcher?  (privs.h: CAP_SYS_ADMIN) */
static bool dp_in_dispatcher(const struct wgw_daemon *d)
{
	for (unsigned i = 0; i < d->nifs; i++)
		if (d->ifs[i].xdp &&
		    wgw_xdp_attached_how(d->ifs[i].xdp) == WGW_XDP_HOW_DISPATCHER)
			return true;
	return false;
}

static void dp_report(struct wgw_daemon *d)
{
	for (unsigned i = 0; i < d->nifs; i++) {
		struct wgw_iface *ifc = &d->ifs[i];

		enum wgw_xdp_how how = ifc->xdp ? wgw_xdp_attached_how(ifc->xdp) :
						  WGW_XDP_HOW_NONE;

		wgw_notice("interface %s (%s): mode %s%s%s%s%s%s", ifc->name,
			   wgw_sides_name(ifc->sides), wgw_rung_name(ifc->rung),
			   ifc->why[0] ? " (" : "", ifc->why, ifc->why[0] ? ")" : "",
			   how != WGW_XDP_HOW_NONE ? ", XDP attached through " : "",
			   how != WGW_XDP_HOW_NONE ? wgw_xdp_how_name(how) : "");
	}
}

/* Walk the ladder until every interface has a rung that works. */
static int dp_ladder(struct wgw_daemon *d)
{
	struct wgw_iface *failed;
	int err;

	for (;;) {
		err = dp_up(d, &failed);
		if (!err)
			break;
		dp_down(d);
		if (!failed)
			return err;
		if (failed->want != WGW_MODE_AUTO) {
			wgw_err("interface %s: mode %s was forced and cannot be had: %s",
				failed->name, wgw_rung_name(failed->rung), failed->why);
			return err;
		}
		failed->rung++;
		wgw_info("interface %s: trying %s", failed->name, wgw_rung_name(failed->rung));
	}
	dp_report(d);
	return 0;
}

/*
 * Tell every port the MTU of the interface its egress frames leave by
 * (port.h): an AF_XDP port sends on its own interface, the TUN port's
 * packets leave by the LAN interface.  The VIP sockets get none: the
 * kernel fragments what they send.  At start and on every MTU change.
 */
static void ports_follow_mtu(struct wgw_daemon *d)
{
	const struct wgw_iface *lan = iface_of(d, WGW_SIDE_LAN);

	for (unsigned w = 0; w < d->nworkers; w++) {
		for (unsigned p = 0; p < d->workers[w].nports; p++) {
			struct wgw_port *port = d->workers[w].ports[p];
			uint32_t mtu = 0;

			if (wgw_port_is_tun(port))
				mtu = lan->mtu;
			else if (!wgw_port_is_udp(port))
				for (unsigned i = 0; i < d->nifs; i++)
					if (d->ifs[i].ifindex == port->ifindex)
						mtu = d->ifs[i].mtu;
			atomic_store_explicit(&port->mtu, mtu, memory_order_relaxed);
		}
	}
}

static int workers_start(struct wgw_daemon *d)
{
	int err;

	ports_follow_mtu(d);
	for (unsigned i = 0; i < d->nworkers; i++) {
		err = wgw_worker_start(&d->workers[i]);
		if (err) {
			wgw_err("worker %u: %s", i, strerror(-err));
			return err;
		}
	}
	d->workers_running = true;
	return 0;
}

static void workers_stop(struct wgw_daemon *d)
{
	for (unsigned i = 0; i < d->nworkers; i++)
		wgw_worker_stop(&d->workers[i]);
	d->workers_running = false;
}

/*
 * Rebuild the data path with new rungs while the engine and its sessions
 * stay: workers stop (packets in flight on the old rings are lost, a
 * few milliseconds' worth), ports are rebuilt, workers start again.
 */
static int dp_rebuild(struct wgw_daemon *d)
{
	int err;

	workers_stop(d);
	dp_down(d);
	for (unsigned i = 0; i < d->nifs; i++)
		d->ifs[i].why[0] = '\0';
	err = dp_ladder(d);
	if (err)
		return err;
	return workers_start(d);
}

/*
 * A new VIP set: swap every worker's VIP socket port for one bound to the
 * new set.  Only the socket ports change: the workers pause (joined and
 * started again, a millisecond or so) while their AF_XDP sockets stay
 * bound and the kernel keeps queueing on their rings, so the fast path
 * loses nothing.  The new sockets are bound before the old ones close
 * (SO_REUSEPORT), so a VIP in both sets never stops being served.
 */
static int dp_replace_vip_ports(struct wgw_daemon *d)
{
	struct wgw_udp_cfg uc = vip_socket_cfg(d);
	struct wgw_port **fresh;
	int err = 0;

	fresh = calloc(d->nworkers, sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	for (unsigned wi = 0; wi < d->nworkers; wi++) {
		fresh[wi] = wgw_udp_port_create(&d->workers[wi].pools[0], d->cfg.vips,
						d->cfg.n_vips, &uc);
		if (!fresh[wi]) {
			err = -errno;
			wgw_err("reload: VIP sockets: %s", strerror(errno));
			goto out;
		}
		fresh[wi]->sides = WGW_SIDE_WAN;
	}
	workers_stop(d);
	for (unsigned wi = 0; wi < d->nworkers; wi++) {
		struct wgw_worker *w = &d->workers[wi];

		for (unsigned p = 0; p < w->nports; p++) {
			struct wgw_port *old = w->ports[p];

			if (!wgw_port_is_udp(old))
				continue;
			w->ports[p] = fresh[wi];
			if (w->egress_wan == old)
				w->egress_wan = fresh[wi];
			fresh[wi] = old;	/* destroyed below */
			break;
		}
	}
	err = workers_start(d);
out:
	for (unsigned wi = 0; wi < d->nworkers; wi++)
		if (fresh[wi])
			fresh[wi]->ops->destroy(fresh[wi]);
	free(fresh);
	return err;
}

int wgw_daemon_reloaded(struct wgw_daemon *d, bool vips_changed)
{
	for (unsigned i = 0; i < d->nifs; i++) {
		struct wgw_iface *ifc = &d->ifs[i];
		int err;

		if (!(ifc->sides & WGW_SIDE_WAN) || !ifc->xdp)
			continue;
		err = wgw_xdp_set_handshake_limit(ifc->xdp, d->cfg.handshake_rate,
						  d->cfg.handshake_burst);
		if (err)
			return err;
	}
	/* The same limit for what reaches the VIP sockets. */
	if (d->hs)
		wgw_hslimit_set(d->hs, d->cfg.handshake_rate, d->cfg.handshake_burst);
	/* The UDP sockets are bound per VIP port when a port is built. */
	return vips_changed ? dp_replace_vip_ports(d) : 0;
}

/*
 * An interface that was deleted exists again: take its new index and
 * address, set up the NAT address on it again if it is the LAN side, drop
 * next hops that pointed at the old device, and let the ladder try its
 * best rung.  Returns 0, or -errno (logged) to try again later.
 */
static int nat_reclaim(struct wgw_daemon *d);

static int iface_take_back(struct wgw_daemon *d, struct wgw_iface *ifc)
{
	struct wgw_nl_link l;
	int err;

	err = wgw_nl_link_by_name(d->nl, ifc->name, &l);
	if (err)
		return err;
	ifc->ifindex = l.ifindex;
	ifc->mtu = l.mtu;
	memcpy(ifc->mac, l.mac, 6);
	ifc->gone = ifc->back = false;
	if (ifc->sides & WGW_SIDE_LAN) {
		err = nat_reclaim(d);
		if (err)
			wgw_err("interface %s: NAT address: %s (retrying)", ifc->name,
				strerror(-err));
	}
	wgw_nh_flush(&d->nh);
	ifc->rung = ifc->rung_best;
	ifc->degraded = false;
	wgw_notice("interface %s: back on %s", ifc->name, wgw_rung_name(ifc->rung));
	return 0;
}

/*
 * Run-time health of the fast path, from the control loop: an interface
 * whose program is gone (detached by someone else, the device reset) or
 * whose socket failed moves to the fallback path; a degraded one tries its
 * XDP rung again every DP_RETRY_S seconds.  Returns 0 or a fatal -errno.
 */
static int dp_check(struct wgw_daemon *d, uint32_t now)
{
	static uint32_t next_retry;
	bool rebuild = false;

	for (unsigned i = 0; i < d->nifs; i++) {
		struct wgw_iface *ifc = &d->ifs[i];
		enum wgw_xdp_mode mode;
		const char *why = NULL;

		if (ifc->back) {
			if (iface_take_back(d, ifc))
				continue;
			rebuild = true;
			continue;
		}
		if (ifc->rung == WGW_RUNG_FALLBACK || !ifc->xdp)
			continue;
		if (ifc->gone) {
			why = "the interface was deleted";
		} else if (wgw_xdp_query_mode(ifc->xdp, &mode) == 0 && mode == WGW_XDP_MODE_NONE) {
			char name[IF_NAMESIZE];

			/* A deleted device takes its link with it, maybe
			 * before netlink has told us: ask the kernel. */
			if (!if_indextoname((unsigned)ifc->ifindex, name)) {
				why = "the interface was deleted";
				ifc->gone = true;
			} else {
				why = "the XDP program was removed from the interface";
			}
		}
		for (unsigned w = 0; !why && w < d->nworkers; w++) {
			if (!d->workers[w].nports)
				continue;
			int fp = atomic_load(&d->workers[w].failed_port);

			if (fp > 0 && d->workers[w].ports[fp - 1]->ifindex == ifc->ifindex)
				why = "an AF_XDP socket failed";
		}
		if (!why)
			continue;
		wgw_warn("interface %s: %s: moving it to the fallback path (sessions kept)",
			 ifc->name, why);
		snprintf(ifc->degraded_why, sizeof(ifc->degraded_why), "%s", why);
		ifc->degraded = true;
		ifc->rung = WGW_RUNG_FALLBACK;
		rebuild = true;
	}
	if (!rebuild && now >= next_retry) {
		next_retry = now + DP_RETRY_S;
		for (unsigned i = 0; i < d->nifs; i++) {
			if (!d->ifs[i].degraded || d->ifs[i].gone)
				continue;
			d->ifs[i].rung = d->ifs[i].rung_best;
			rebuild = true;
		}
		if (rebuild) {
			int err = dp_rebuild(d);

			for (unsigned i = 0; i < d->nifs; i++) {
				struct wgw_iface *ifc = &d->ifs[i];

				if (!ifc->degraded)
					continue;
				if (ifc->rung == ifc->rung_best) {
					ifc->degraded = false;
					wgw_notice("interface %s: back on %s", ifc->name,
						   wgw_rung_name(ifc->rung));
				}
			}
			return err;
		}
		return 0;
	}
	if (!rebuild)
		return 0;
	return dp_rebuild(d);
}

/* ---------------------------------------------------------- next hops */

static int nh_resolve(void *ctx, const union wgw_addr *dst, int *ifindex,
		      union wgw_addr *via, uint8_t mac[6])
{
	struct wgw_daemon *d = ctx;
	struct wgw_nexthop nh;
	int err;

	err = wgw_nl_nexthop(d->nl, dst, &nh);
	if (err && err != -EAGAIN && err != -EHOSTUNREACH)
		return err;
	*ifindex = nh.ifindex;
	*via = nh.via;
	if (err)
		return -EAGAIN;	/* a new resolution was started */
	memcpy(mac, nh.dst_mac, 6);
	return 0;
}

static void nl_changed(const struct wgw_nl_change *c, void *arg)
{
	struct wgw_daemon *d = arg;

	switch (c->event) {
	case WGW_NL_EV_NEIGH:
		/* Only what goes to or through that neighbour changes. */
		if (d->nh_init)
			wgw_nh_refresh_neigh(&d->nh, nh_resolve, d, &c->addr);
		break;
	case WGW_NL_EV_ROUTE:
	case WGW_NL_EV_RESYNC:
		d->nh_dirty = true;
		break;
	case WGW_NL_EV_LINK:
		for (unsigned i = 0; i < d->nifs; i++) {
			struct wgw_iface *ifc = &d->ifs[i];

			if (ifc->ifindex != c->ifindex) {
				struct wgw_nl_link l;

				/* Our interface, deleted earlier, created again
				 * (a new ifindex under the same name). */
				if (ifc->gone && !ifc->back && c->action != WGW_NL_REMOVED &&
				    !wgw_nl_link_get(d->nl, c->ifindex, &l) &&
				    !strcmp(l.name, ifc->name)) {
					wgw_notice("interface %s is back (index %d)",
						   ifc->name, c->ifindex);
					ifc->back = true;
				}
				continue;
			}
			if (c->action == WGW_NL_REMOVED) {
				wgw_warn("interface %s went away", ifc->name);
				ifc->gone = true;
			} else if (c->link_changed & (WGW_NL_LINK_UP_CHANGED |
						       WGW_NL_LINK_CARRIER_CHANGED)) {
				wgw_notice("interface %s is %s%s", ifc->name,
					   c->up ? "up" : "down",
					   c->up && !c->carrier ? " (no carrier)" : "");
				/* Taking a link down flushes its proxy
				 * neighbour entries with the rest. */
				if ((ifc->sides & WGW_SIDE_LAN) && c->up &&
				    (c->link_changed & WGW_NL_LINK_UP_CHANGED))
					d->reclaim = true;
			}
			if ((c->link_changed & WGW_NL_LINK_MTU_CHANGED) && c->mtu &&
			    c->mtu != ifc->mtu) {
				wgw_notice("interface %s: MTU %u -> %u", ifc->name,
					   ifc->mtu, c->mtu);
				ifc->mtu = c->mtu;
				if ((ifc->sides & WGW_SIDE_LAN) && d->tun &&
				    wgw_tun_set_mtu(d->tun, c->mtu))
					wgw_warn("%s: cannot follow the MTU of %s",
						 wgw_tun_name(d->tun), ifc->name);
				ports_follow_mtu(d);
			}
			if (c->link_changed & WGW_NL_LINK_MAC_CHANGED) {
				wgw_notice("interface %s: MAC address changed", ifc->name);
				memcpy(ifc->mac, c->mac, 6);
				/* The XDP program steers only frames sent to the
				 * interface's own MAC: until it has the new one,
				 * they take the kernel's path (pass_otherhost). */
				if (ifc->xdp && wgw_xdp_set_if_mac(ifc->xdp, ifc->ifindex, c->mac))
					wgw_warn("interface %s: the XDP program keeps the old MAC "
						 "address: its traffic takes the kernel's path",
						 ifc->name);
				for (unsigned w = 0; w < d->nworkers; w++)
					for (unsigned p = 0; p < d->workers[w].nports; p++)
						if (d->workers[w].ports[p]->ifindex == ifc->ifindex)
							memcpy(d->workers[w].ports[p]->mac, c->mac, 6);
			}
			d->nh_dirty = true;
		}
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ counters */

static void log_counters(struct wgw_daemon *d)
{
	struct wgw_stats *st = wgw_stats_collect(d);

	if (!st) {
		wgw_err("counters: %s", strerror(errno));
		return;
	}
	wgw_stats_log(st);
	wgw_stats_free(st);
}

/* ------------------------------------------------------------ run */

static int engine_up(struct wgw_daemon *d)
{
	struct wgw_vip vips[WGW_MAX_VIPS];
	struct wgw_engine_cfg ec = { 0 };
	uint64_t key[6];
	char err_buf[256];
	int err;

	for (unsigned i = 0; i < d->cfg.n_vips; i++)
		vips[i] = d->cfg.vips[i];
	ec.vips = vips;
	ec.n_vips = d->cfg.n_vips;
	ec.nat_addr = d->cfg.nat;
	ec.nat_port_lo = d->cfg.nat_port_lo;
	ec.nat_port_hi = d->cfg.nat_port_hi;
	ec.n_threads = d->nworkers;
	ec.max_cids = d->cfg.max_sessions;
	ec.max_mappings = d->cfg.max_mappings;
	ec.cid_idle_s = d->cfg.session_timeout_s;
	ec.map_idle_s = d->cfg.mapping_timeout_s;
	ec.max_maps_per_source = d->cfg.max_mappings_per_source;
	ec.max_cids_per_source = d->cfg.max_cids_per_source;
	/* The tables' hash key is random per run (it only has to be
	 * unpredictable); the backend choice has its own fixed key. */
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		wgw_err("getrandom: %s", strerror(errno));
		return -EIO;
	}
	ec.hash_key = key;
	if (wgw_engine_cfg_validate(&ec, err_buf, sizeof(err_buf))) {
		wgw_err("%s", err_buf);
		return -EINVAL;
	}
	d->engine = wgw_engine_create(&ec);
	if (!d->engine) {
		wgw_err("engine: %s", strerror(errno));
		return -errno;
	}
	d->hs = wgw_hslimit_create(d->cfg.handshake_rate, d->cfg.handshake_burst);
	if (!d->hs) {
		wgw_err("handshake limiter: %s", strerror(errno));
		return -errno;
	}
	for (unsigned i = 0; i < d->cfg.n_backends; i++) {
		const struct wgw_backend *b = &d->cfg.backends[i];
		char a[INET6_ADDRSTRLEN];

		err = wgw_engine_backend_add(d->engine, &b->addr, b->port, b->weight);
		if (err < 0) {
			wgw_err("backend %s:%u: %s", wgw_addr_str(&b->addr, a, sizeof(a)),
				b->port, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* The gateway owns the NAT address on the LAN: a host route that keeps it
 * off the LAN itself, a proxy neighbour entry so backends' ARP/NDP for it
 * is answered, and the per-interface sysctls that make the kernel answer. */
/*
 * The neighbour settings that make the kernel answer for the NAT address
 * at once and always:
 *  - proxy_delay 0: a proxied ARP/NS answer is otherwise held back by a
 *    random delay of up to 0.8 s meant for routers;
 *  - IPv6 conf.all.proxy_ndp: a backend's unicast NUD probe is addressed
 *    to G itself, so the kernel takes it down the forwarding path, and
 *    ip6_forward() answers proxied addresses only when the "all" switch
 *    is on (the per-interface one is not looked at there).  Without it
 *    the backends' entry for G goes FAILED every half minute and the
 *    replies queued behind it are lost.  It applies only where a proxy
 *    entry exists, and it is restored at exit like every other setting.
 */
static int nat_proxy_sysctls(struct wgw_daemon *d, const char *lan, bool v4)
{
	char path[WGW_SYSCTL_PATH_LEN];
	int err;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/neigh/%.16s/proxy_delay",
		 v4 ? "ipv4" : "ipv6", lan);
	err = wgw_sysctl_path_set(&d->sysctls, path, "0");
	if (err)
		wgw_warn("%s: %s: proxy answers will be delayed", path, strerror(-err));
	if (!v4) {
		err = wgw_sysctl_path_set(&d->sysctls,
					  "/proc/sys/net/ipv6/conf/all/proxy_ndp", "1");
		if (err) {
			wgw_err("net.ipv6.conf.all.proxy_ndp: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

/*
 * Owning G needs forwarding on the LAN interface, and forwarding is per
 * receiving interface: without more, every LAN host could route through
 * the gateway to any address it knows (clients included, un-NATed).  The
 * rules of netlink/confine.c go in first, so that from the LAN only G is
 * ever forwarded.  An interface that already forwards was made a router
 * by its operator: that is left as it is, and said.
 */
static int nat_confine(struct wgw_daemon *d, const char *lan, bool v4)
{
	char path[WGW_SYSCTL_PATH_LEN], val[WGW_SYSCTL_VAL_LEN];
	int err;

	err = wgw_sysctl_if_path(path, sizeof(path), v4 ? "ipv4" : "ipv6", lan, "forwarding");
	if (!err)
		err = wgw_sysctl_read(path, val, sizeof(val));
	if (!err && strcmp(val, "0")) {
		wgw_notice("%s already forwards (net.%s.conf.%s.forwarding=%s): the host routes "
			   "for the LAN by its operator's choice, the gateway adds no rules",
			   lan, v4 ? "ipv4" : "ipv6", lan, val);
		return 0;
	}
	err = wgw_nl_confine(d->nl, &d->confine, lan, &d->cfg.nat);
	if (err) {
		wgw_err("NAT address: cannot confine forwarding on %s to it: %s", lan,
			strerror(-err));
		return err;
	}
	journal_write(d);
	return 0;
}

static int nat_claim(struct wgw_daemon *d)
{
	struct wgw_iface *lan = iface_of(d, WGW_SIDE_LAN);
	bool v4 = wgw_addr_is_v4(&d->cfg.nat);
	char a[INET6_ADDRSTRLEN];
	const char *tun;
	int err;

	/* The TUN device owns G in every mode: the kernel answers ARP/NDP
	 * for G on the LAN because its route leaves by another interface,
	 * and what XDP does not steer reaches the fallback port. */
	d->tun = wgw_tun_open("wgw%d", d->nworkers, lan->mtu);
	if (!d->tun) {
		wgw_err("TUN device for the NAT address: %s", strerror(errno));
		return -errno;
	}
	tun = wgw_tun_name(d->tun);
	err = nat_confine(d, lan->name, v4);
	if (err)
		return err;
	err = wgw_sysctl_inside_owner(&d->sysctls, lan->name, tun, v4, !v4);
	if (err) {
		wgw_err("NAT address: interface settings on %s and %s: %s", lan->name, tun,
			err == -EOPNOTSUPP ? "this kernel has no per-interface IPv6 "
			"force_forwarding (needs 6.17)" : strerror(-err));
		return err;
	}
	err = nat_proxy_sysctls(d, lan->name, v4);
	if (err)
		return err;
	journal_write(d);
	err = wgw_nl_claim(d->nl, &d->claim, &d->cfg.nat, wgw_tun_ifindex(d->tun),
			   lan->ifindex);
	if (err) {
		wgw_err("NAT address %s on %s: %s", wgw_addr_str(&d->cfg.nat, a, sizeof(a)),
			lan->name, strerror(-err));
		return err;
	}
	d->claimed = true;
	return 0;
}

static void nat_release(struct wgw_daemon *d)
{
	if (d->claimed) {
		wgw_nl_release(d->nl, &d->claim);
		d->claimed = false;
	}
	wgw_sysctl_restore(&d->sysctls);
	wgw_nl_unconfine(d->nl, &d->confine);
	if (d->tun) {
		wgw_tun_close(d->tun);
		d->tun = NULL;
	}
}

/* The LAN device was created again: its per-interface settings and the
 * proxy entry went with the old one. */
static int nat_reclaim(struct wgw_daemon *d)
{
	struct wgw_iface *lan = iface_of(d, WGW_SIDE_LAN);
	bool v4 = wgw_addr_is_v4(&d->cfg.nat);
	int err;

	err = wgw_sysctl_inside_owner(&d->sysctls, lan->name, wgw_tun_name(d->tun), v4, !v4);
	if (err)
		return err;
	err = nat_proxy_sysctls(d, lan->name, v4);
	if (err)
		return err;
	if (d->claimed) {
		wgw_nl_release(d->nl, &d->claim);
		d->claimed = false;
	}
	journal_write(d);
	err = wgw_nl_claim(d->nl, &d->claim, &d->cfg.nat, wgw_tun_ifindex(d->tun),
			   lan->ifindex);
	if (err)
		return err;
	d->claimed = true;
	journal_write(d);
	return 0;
}

static int signals_open(struct wgw_daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGPIPE);
	/* Blocked in every thread created from here on; read from a
	 * signalfd by the control loop. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -errno;
	sigdelset(&set, SIGPIPE);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -errno;
	return 0;
}

static void cpus_for_workers(struct wgw_daemon *d, int *cpus)
{
	int avail[CPU_SETSIZE], n = 0;
	char path[128], buf[512];
	cpu_set_t set;
	FILE *f;

	CPU_ZERO(&set);
	if (d->cfg.n_cpus) {
		set = d->cfg.cpus;
	} else if (d->ifs[0].numa_node >= 0) {
		/* Default: the CPUs of the NIC's NUMA node. */
		unsigned n_cpus = 0;

		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist",
			 d->ifs[0].numa_node);
		f = fopen(path, "r");
		if (f) {
			char why[64];

			if (fgets(buf, sizeof(buf), f)) {
				buf[strcspn(buf, "\n")] = '\0';
				wgw_parse_cpulist(buf, &set, &n_cpus, why, sizeof(why));
			}
			fclose(f);
		}
	}
	if (!CPU_COUNT(&set))
		sched_getaffinity(0, sizeof(set), &set);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			avail[n++] = c;
	for (unsigned i = 0; i < d->nworkers; i++)
		cpus[i] = n ? avail[i % (unsigned)n] : -1;
}

static void workers_config(struct wgw_daemon *d)
{
	int cpus[WGW_MAX_QUEUES];

	cpus_for_workers(d, cpus);
	for (unsigned i = 0; i < d->nworkers; i++) {
		struct wgw_worker *w = &d->workers[i];

		w->cfg.id = i;
		w->cfg.cpu = cpus[i];
		w->cfg.batch = d->cfg.batch;
		w->cfg.spin = d->cfg.wait != WGW_WAIT_POLL;
		w->cfg.nat_addr = d->cfg.nat;
		w->engine = d->engine;
		w->nh = &d->nh;
	}
}

static int control_loop(struct wgw_daemon *d)
{
	uint64_t now_ms = mono_ms(), next_refresh = now_ms + NH_REFRESH_MS;
	uint64_t next_expire = now_ms, next_health = now_ms + DP_HEALTH_MS;
	uint32_t next_gc = mono_s() + NH_GC_S;
	uint32_t expire_budget;
	struct pollfd fds[3 + WGW_CTL_MAX_POLLFDS];
	int nctl = 0;
	int rc = 0;

	/* A full pass over both tables every EXPIRE_PASSES_S seconds. */
	expire_budget = (d->cfg.max_sessions + d->cfg.max_mappings) /
			(EXPIRE_PASSES_S * 1000 / 100) + 64;
	fds[0] = (struct pollfd){ .fd = d->sigfd, .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = wgw_nl_watcher_fd(d->nl), .events = POLLIN };
	fds[2] = (struct pollfd){ .fd = wgw_nh_wake_fd(&d->nh), .events = POLLIN };
	for (;;) {
		if (d->ctl)
			nctl = wgw_ctl_fill_pollfds(d->ctl, fds + 3, WGW_CTL_MAX_POLLFDS);
		if (poll(fds, 3 + (nfds_t)nctl, CTL_TICK_MS) < 0) {
			if (errno != EINTR) {
				wgw_err("poll: %s", strerror(errno));
				return -errno;
			}
			for (int i = 0; i < 3 + nctl; i++)
				fds[i].revents = 0;
		}
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
				switch (si.ssi_signo) {
				case SIGTERM:
				case SIGINT:
					wgw_notice("%s: shutting down",
						   si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
					return rc;
				case SIGUSR1:
					log_counters(d);
					break;
				case SIGHUP: {
					char msg[512];

					if (wgw_daemon_reload(d, msg, sizeof(msg)))
						wgw_err("SIGHUP: reload refused: %s", msg);
					else
						wgw_notice("SIGHUP: reloaded: %s", msg);
					break;
				}
				}
			}
		}
		if (fds[1].revents & POLLIN) {
			int n = wgw_nl_watcher_process(d->nl);

			if (n < 0)
				wgw_log_ratelimited(LOG_WARNING, "netlink: %s", strerror(-n));
		}
		if (fds[2].revents & POLLIN)
			wgw_nh_wake_clear(&d->nh);
		if (d->reclaim && d->claimed) {
			int err = wgw_nl_claim(d->nl, &d->claim, &d->cfg.nat,
					       d->claim.route_ifindex, d->claim.proxy_ifindex);

			d->reclaim = false;
			if (err)
				wgw_err("NAT address: proxy entry after link up: %s",
					strerror(-err));
			else
				wgw_info("NAT address: proxy entry set again after link up");
		}
		if (d->ctl)
			wgw_ctl_handle(d->ctl, fds + 3, nctl);
		now_ms = mono_ms();
		wgw_nh_process(&d->nh, nh_resolve, d, mono_s());
		if (d->nh_dirty) {
			d->nh_dirty = false;
			wgw_nh_refresh(&d->nh, nh_resolve, d, false);
		} else if (now_ms >= next_refresh) {
			wgw_nh_refresh(&d->nh, nh_resolve, d, true);
		}
		if (now_ms >= next_refresh)
			next_refresh = now_ms + NH_REFRESH_MS;
		if (now_ms >= next_expire) {
			wgw_engine_expire(d->engine, mono_s(), expire_budget);
			next_expire = now_ms + 100;
		}
		if (mono_s() >= next_gc) {
			wgw_nh_gc(&d->nh, mono_s(), NH_IDLE_S);
			next_gc = mono_s() + NH_GC_S;
		}
		for (unsigned i = 0; i < d->nworkers; i++) {
			int fp = atomic_load(&d->workers[i].failed_port);

			if (fp < 0) {
				wgw_err("worker %u stopped", i);
				return -EIO;
			}
		}
		if (now_ms >= next_health) {
			next_health = now_ms + DP_HEALTH_MS;
			if (dp_check(d, mono_s())) {
				wgw_err("the data path cannot be rebuilt: stopping");
				return -EIO;
			}
		}
	}
}

int wgw_daemon_run(const struct wgw_config *cfg, int argc, char **argv)
{
	struct wgw_daemon *d;
	int err, ret = 1;

	d = calloc(1, sizeof(*d));
	if (!d) {
		wgw_err("out of memory");
		return 1;
	}
	d->cfg = *cfg;
	d->argc = argc;
	d->argv = argv;
	d->sigfd = -1;
	d->pidfd = -1;
	d->started = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &d->started_mono);

	if (cfg->verbose) {
		char *buf = NULL, *line, *save;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		if (f) {
			wgw_config_print(cfg, f);
			fclose(f);
			for (line = strtok_r(buf, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save))
				if (line[0] && line[0] != '#')
					wgw_info("config: %s", line);
			free(buf);
		}
	}
	err = signals_open(d);
	if (err) {
		wgw_err("signals: %s", strerror(-err));
		goto out_free;
	}
	if (pidfile_open(d))
		goto out_signals;
	d->nl = wgw_nl_watcher_open(nl_changed, d);
	if (!d->nl) {
		wgw_err("netlink: %s", strerror(errno));
		goto out_pidfile;
	}
	err = wgw_genl_open(&d->genl);
	if (err) {
		wgw_err("generic netlink: %s", strerror(-err));
		goto out_watcher;
	}
	d->genl_open = true;
	journal_recover(d);

	d->nifs = strcmp(cfg->wan, wgw_config_lan(cfg)) ? 2 : 1;
	if (d->nifs == 1) {
		if (iface_init(d, &d->ifs[0], cfg->wan, WGW_SIDE_WAN | WGW_SIDE_LAN,
			       wgw_config_wan_mode(cfg)))
			goto out_genl;
	} else {
		if (iface_init(d, &d->ifs[0], cfg->wan, WGW_SIDE_WAN,
			       wgw_config_wan_mode(cfg)) ||
		    iface_init(d, &d->ifs[1], wgw_config_lan(cfg), WGW_SIDE_LAN,
			       wgw_config_lan_mode(cfg)))
			goto out_genl;
	}
	for (unsigned i = 0; i < d->nifs; i++) {
		if (iface_prepare(d, &d->ifs[i]))
			goto out_ifaces;
		journal_write(d);
	}

	/* One worker per queue index that both interfaces have; queues past
	 * that get no AF_XDP socket and XDP passes their packets to the
	 * kernel. */
	d->nworkers = d->ifs[0].queues;
	if (d->nifs == 2 && d->ifs[1].queues < d->nworkers)
		d->nworkers = d->ifs[1].queues;
	if (d->nworkers > WGW_MAX_QUEUES)
		d->nworkers = WGW_MAX_QUEUES;
	d->workers = calloc(d->nworkers, sizeof(*d->workers));
	if (!d->workers) {
		wgw_err("out of memory");
		goto out_ifaces;
	}
	if (engine_up(d))
		goto out_engine;
	err = wgw_nh_init(&d->nh, cfg->max_mappings + cfg->n_backends + 64, d->nworkers);
	if (err) {
		wgw_err("next-hop table: %s", strerror(-err));
		goto out_engine;
	}
	d->nh_init = true;
	if (nat_claim(d))
		goto out_claim;
	journal_write(d);
	workers_config(d);
	if (dp_ladder(d))
		goto out_dp;
	for (unsigned i = 0; i < d->nifs; i++)
		d->ifs[i].rung_best = d->ifs[i].rung;
	/* Backends' next hops before the first packet needs them. */
	for (unsigned i = 0; i < cfg->n_backends; i++)
		wgw_nh_resolve_one(&d->nh, &cfg->backends[i].addr, nh_resolve, d, mono_s());
	if (d->cfg.control_socket[0]) {
		d->ctl = wgw_ctl_open(d, d->cfg.control_socket, d->cfg.control_mode);
		if (!d->ctl)	/* wgw_ctl_open() said why */
			goto out_dp;
	}
	/* Workers inherit the reduced capability set. */
	err = wgw_privs_drop(&d->cfg, dp_in_dispatcher(d));
	if (err) {
		wgw_err("dropping privileges: %s", strerror(-err));
		goto out_ctl;
	}
	if (workers_start(d))
		goto out_ctl;
	wgw_notice("running: %u worker%s, %u VIP%s, %u backend%s", d->nworkers,
		   d->nworkers == 1 ? "" : "s", cfg->n_vips, cfg->n_vips == 1 ? "" : "s",
		   cfg->n_backends, cfg->n_backends == 1 ? "" : "s");

	if (!control_loop(d))
		ret = 0;
	log_counters(d);

out_ctl:
	if (d->ctl) {
		wgw_ctl_close(d->ctl);
		d->ctl = NULL;
	}
out_dp:
	workers_stop(d);
	dp_down(d);
out_claim:
	nat_release(d);
out_engine:
	if (d->nh_init)
		wgw_nh_fini(&d->nh);
	if (d->engine)
		wgw_engine_destroy(d->engine);
	wgw_hslimit_destroy(d->hs);
	d->hs = NULL;
	free(d->workers);
out_ifaces:
	for (unsigned i = 0; i < d->nifs; i++)
		iface_restore(d, &d->ifs[i]);
	journal_remove(d);
out_genl:
	wgw_genl_close(&d->genl);
out_watcher:
	wgw_nl_watcher_close(d->nl);
out_pidfile:
	pidfile_close(d);
out_signals:
	if (d->sigfd >= 0)
		close(d->sigfd);
out_free:
	free(d);
	if (ret == 0)
		wgw_notice("stopped cleanly");
	return ret;
}
