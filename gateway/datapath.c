// SPDX-License-Identifier: GPL-2.0-only
/*
 * The data path (daemon_internal.h): the interfaces, the XDP program and
 * the ports of every worker, built by the mode ladder, rebuilt when the
 * fast path fails or comes back, and the workers started and stopped on
 * their CPUs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fallback/tun.h"
#include "fallback/udp.h"
#include "gateway/daemon.h"
#include "gateway/daemon_internal.h"
#include "gateway/hslimit.h"
#include "gateway/log.h"
#include "gateway/takeover.h"
#include "gateway/worker.h"
#include "gateway/xdp.h"
#include "gateway/xsk.h"

#define DP_RETRY_S 5		/* a degraded interface retries XDP, seconds */

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

/* ---------------------------------------------------------- interfaces */

int wgw_iface_init(struct wgw_daemon *d, struct wgw_iface *ifc, const char *name,
		      unsigned sides, enum wgw_mode want)
{
	struct wgw_nl_link link;
	char why[160];
	int err, other;

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
	} else if (!d->handed && ifc->probe.link.xdp_prog_id &&
		   (other = wgw_xdp_gateway_holding(ifc->probe.link.xdp_prog_id))) {
		/* Another gateway serves this interface: a second one on the
		 * fallback path beside it would take a share of its traffic
		 * and confuse both.  Forcing a mode runs it anyway.  (A
		 * takeover replaces it: its rungs are the running one's.) */
		wgw_err("interface %s carries the XDP program of another wraith-gatewayd "
			"(pid %d): not starting beside it; stop it first, or force a mode "
			"(--mode fallback) to run beside it", name, other);
		return -EBUSY;
	} else {
		ifc->rung = wgw_probe_rung(&ifc->probe, 0, why, sizeof(why));
		if (ifc->rung != WGW_RUNG_XDP_ZEROCOPY)
			snprintf(ifc->why, sizeof(ifc->why), "probe: %s", why);
	}
	return 0;
}

int wgw_iface_prepare(struct wgw_daemon *d, struct wgw_iface *ifc)
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

void wgw_iface_restore(struct wgw_daemon *d, struct wgw_iface *ifc)
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

void wgw_dp_ports_down(struct wgw_daemon *d)
{
	for (unsigned i = 0; i < d->nworkers; i++) {
		struct wgw_dp_mem *m = &d->mem[i];

		wgw_worker_destroy(&d->workers[i]);
		for (unsigned k = 0; k < 2; k++) {
			if (m->umems[k])
				wgw_xsk_umem_destroy(m->umems[k]);
			m->umems[k] = NULL;
			if (m->pools[k].area)
				wgw_pool_fini(&m->pools[k]);
		}
	}
}

void wgw_dp_down(struct wgw_daemon *d)
{
	wgw_dp_ports_down(d);
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

/* The NAT addresses, the pool's first one first, in nat[]. */
static const union wgw_addr *dp_nat_pool(const struct wgw_daemon *d, union wgw_addr *nat)
{
	nat[0] = d->cfg.nat;
	memcpy(nat + 1, d->cfg.nat_pool, d->cfg.n_nat_pool * sizeof(*nat));
	return nat;
}

/* What the program steers on ifc: the VIPs on the WAN side, the NAT
 * addresses' port range on the LAN side. */
static int dp_xdp_config(struct wgw_daemon *d, struct wgw_iface *ifc)
{
	int err;

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
		struct wgw_xdp_dst nat[WGW_MAX_NAT];
		union wgw_addr a[WGW_MAX_NAT];

		dp_nat_pool(d, a);
		for (unsigned i = 0; i <= d->cfg.n_nat_pool; i++)
			nat[i] = (struct wgw_xdp_dst){ .addr = a[i], .port_lo = d->cfg.nat_port_lo,
						       .port_hi = d->cfg.nat_port_hi };
		err = wgw_xdp_set_dsts(ifc->xdp, WGW_XDP_ROLE_NAT, nat, d->cfg.n_nat_pool + 1);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Load the program, configure it, then attach it: configured first, so it
 * steers everything from its first packet.  In a takeover the running
 * daemon's link is handed over (link_fd >= 0) and our program replaces its
 * program on it in one step; with no AF_XDP socket in our map yet, what it
 * would steer goes to the kernel path (the handed-over sockets and TUN).
 */
int wgw_dp_attach(struct wgw_daemon *d, struct wgw_iface *ifc, int link_fd)
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
	if (!err)
		err = dp_xdp_config(d, ifc);
	if (err)
		return err;
	if (link_fd >= 0)
		return wgw_xdp_adopt_link(ifc->xdp, link_fd, mode);
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
		       unsigned mtu_sides, const uint8_t *mac)
{
	int err;

	port->sides = sides;
	port->mtu_sides = mtu_sides;
	if (mac)
		memcpy(port->mac, mac, 6);
	err = wgw_worker_add_port(w, port);
	if (err)
		port->ops->destroy(port);
	return err;
}

struct wgw_iface *wgw_iface_of(struct wgw_daemon *d, unsigned side)
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
	const struct wgw_iface *wan = wgw_iface_of(d, WGW_SIDE_WAN);

	return (struct wgw_udp_cfg){
		.freebind = wan->rung != WGW_RUNG_FALLBACK || wan->degraded,
		.hs = d->hs,
	};
}

/* Worker wi's share of the VIP sockets a takeover received, duplicated:
 * the port owns what it is given, and a failed attempt must leave the
 * originals for the next. */
static int dp_inherit_udp(struct wgw_daemon *d, unsigned wi, struct wgw_udp_cfg *uc)
{
	const struct wgw_handover *h = d->handed;
	unsigned n = h->udp_per_worker;
	int *fds = calloc(n ? n : 1, sizeof(*fds));

	if (!fds)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		fds[i] = fcntl(h->udp_fds[(size_t)wi * n + i], F_DUPFD_CLOEXEC, 0);
		if (fds[i] < 0) {
			int err = -errno;

			while (i--)
				close(fds[i]);
			free(fds);
			return err;
		}
	}
	uc->inherit = fds;
	uc->n_inherit = n;
	return 0;
}

static int dp_up(struct wgw_daemon *d, struct wgw_iface **failed)
{
	union wgw_addr nat[WGW_MAX_NAT];
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
		/* Attached already: by a takeover, or kept while the ports
		 * are rebuilt (wgw_dp_ports_up()). */
		err = ifc->xdp ? 0 : wgw_dp_attach(d, ifc, -1);
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
		struct wgw_dp_mem *m = &d->mem[wi];
		struct wgw_port *port;

		/* Buffer pools (registered as UMEMs when AF_XDP uses them). */
		for (unsigned k = 0; k < (shared ? 1u : 2u); k++) {
			unsigned nx = shared ? nxdp : 1;
			int node = d->ifs[shared ? 0 : k].numa_node;

			err = wgw_pool_init(&m->pools[k], dp_pool_frames(&d->cfg, nx, 2),
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
			if (!m->umems[k]) {
				m->umems[k] = wgw_xsk_umem_create(&m->pools[k], &xc);
				if (!m->umems[k]) {
					err = -errno;
					wgw_err("worker %u: UMEM registration: %s%s", wi,
						strerror(errno), errno == ENOBUFS ?
						" (locked memory: needs CAP_IPC_LOCK)" : "");
					return err;
				}
			}
			port = wgw_xsk_port_create(m->umems[k], ifc->name, ifc->ifindex, wi,
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
			err = dp_add_port(w, port, ifc->sides, ifc->sides, ifc->mac);
			if (err)
				return err;
		}
		/* The socket ports, after the AF_XDP ones (a takeover's are
		 * the previous daemon's, bound, with what they queued). */
		if (d->handed) {
			err = dp_inherit_udp(d, wi, &uc);
			if (err)
				return err;
		}
		port = wgw_udp_port_create(&m->pools[0], d->cfg.vips, d->cfg.n_vips, &uc);
		free((void *)uc.inherit);
		uc.inherit = NULL;
		if (!port) {
			err = -errno;
			wgw_err("worker %u: VIP sockets: %s%s", wi, strerror(errno),
				err == -EADDRNOTAVAIL ? " (on the fallback path every VIP "
				"must be an address of this host)" : "");
			*failed = NULL;
			return err;
		}
		err = dp_add_port(w, port, WGW_SIDE_WAN, 0, NULL);
		if (err)
			return err;
		port = wgw_tun_port_create(d->tun, wi, &m->pools[shared ? 0 : d->nifs - 1],
					   dp_nat_pool(d, nat), d->cfg.n_nat_pool + 1);
		if (!port) {
			err = -errno;
			wgw_err("worker %u: TUN queue: %s", wi, strerror(errno));
			return err;
		}
		err = dp_add_port(w, port, WGW_SIDE_LAN, WGW_SIDE_LAN, NULL);
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
bool wgw_dp_in_dispatcher(const struct wgw_daemon *d)
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

/* The ports again on the rungs in use, the programs kept attached. */
int wgw_dp_ports_up(struct wgw_daemon *d)
{
	struct wgw_iface *failed;
	int err = dp_up(d, &failed);

	if (err)
		wgw_dp_ports_down(d);
	return err;
}

/* Walk the ladder until every interface has a rung that works. */
int wgw_dp_ladder(struct wgw_daemon *d)
{
	struct wgw_iface *failed;
	int err;

	for (;;) {
		err = dp_up(d, &failed);
		if (!err)
			break;
		wgw_dp_down(d);
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
static void port_follow_mtu(struct wgw_port *port, void *arg)
{
	struct wgw_daemon *d = arg;
	uint32_t mtu = port->mtu_sides ? wgw_iface_of(d, port->mtu_sides)->mtu : 0;

	atomic_store_explicit(&port->mtu, mtu, memory_order_relaxed);
}

void wgw_ports_follow_mtu(struct wgw_daemon *d)
{
	for (unsigned w = 0; w < d->nworkers; w++)
		wgw_worker_visit_ports(&d->workers[w], port_follow_mtu, d);
}

int wgw_workers_start(struct wgw_daemon *d)
{
	int err;

	wgw_ports_follow_mtu(d);
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

void wgw_workers_stop(struct wgw_daemon *d)
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

	wgw_workers_stop(d);
	wgw_dp_down(d);
	for (unsigned i = 0; i < d->nifs; i++)
		d->ifs[i].why[0] = '\0';
	err = wgw_dp_ladder(d);
	if (err)
		return err;
	return wgw_workers_start(d);
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
		fresh[wi] = wgw_udp_port_create(&d->mem[wi].pools[0], d->cfg.vips,
						d->cfg.n_vips, &uc);
		if (!fresh[wi]) {
			err = -errno;
			wgw_err("reload: VIP sockets: %s", strerror(errno));
			goto out;
		}
		fresh[wi]->sides = WGW_SIDE_WAN;
		fresh[wi]->mtu_sides = 0;
	}
	wgw_workers_stop(d);
	for (unsigned wi = 0; wi < d->nworkers; wi++) {
		struct wgw_port *old;

		/* Stopped: applied at once, it cannot fail but for a
		 * worker without a VIP port (then the fresh one is freed). */
		if (!wgw_worker_replace_port(&d->workers[wi], fresh[wi], &old))
			fresh[wi] = old;	/* destroyed below */
	}
	err = wgw_workers_start(d);
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
		/* the backends were held unjudged while it was away */
		wgw_daemon_health_lan(d, true);
		err = wgw_nat_reclaim(d);
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
int wgw_dp_check(struct wgw_daemon *d, uint32_t now)
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
			const struct wgw_port *fp = wgw_worker_failed_port(&d->workers[w]);

			if (fp && fp->ifindex == ifc->ifindex)
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

void wgw_workers_config(struct wgw_daemon *d)
{
	int cpus[WGW_MAX_QUEUES];

	cpus_for_workers(d, cpus);
	for (unsigned i = 0; i < d->nworkers; i++) {
		struct wgw_worker_cfg wc = {
			.id = i,
			.cpu = cpus[i],
			.batch = d->cfg.batch,
			.spin = d->cfg.wait != WGW_WAIT_POLL,
			.nat_addr = d->cfg.nat,
		};

		wgw_worker_init(&d->workers[i], &wc, d->engine, &d->nh);
	}
}
