// SPDX-License-Identifier: GPL-2.0-only
/*
 * The XDP program's maps (see gateway/xdp.h): the destinations it steers,
 * the handshake limit, the interfaces' MAC addresses and the counters.
 *
 * The destination map is driven from a shadow copy kept in the instance:
 * every change builds the complete new configuration, validates it, writes
 * the map (updates first, deletions last) and only then becomes the shadow,
 * so a failed change leaves both the map and the shadow as they were.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/libbpf.h>

#include "bpf/wraith_xdp.skel.h"
#include "gateway/log.h"
#include "gateway/xdp_internal.h"

/* The program derives NAT reasons from VIP reasons by a fixed offset. */
#define NAT_OFF (WGW_XDP_CNT_NAT_REDIRECT - WGW_XDP_CNT_VIP_REDIRECT)
_Static_assert(WGW_XDP_CNT_NAT_NO_XSK == WGW_XDP_CNT_VIP_NO_XSK + NAT_OFF, "layout");
_Static_assert(WGW_XDP_CNT_NAT_DROP_UDP_LEN == WGW_XDP_CNT_VIP_DROP_UDP_LEN + NAT_OFF, "layout");
_Static_assert(WGW_XDP_CNT_NAT_DROP_SHORT == WGW_XDP_CNT_VIP_DROP_SHORT + NAT_OFF, "layout");
_Static_assert(WGW_XDP_CNT_NAT_DROP_CID0 == WGW_XDP_CNT_VIP_DROP_CID0 + NAT_OFF, "layout");
/* ... and the appended block by another. */
#define NAT_OFF2 (WGW_XDP_CNT_NAT_DROP_IP_CSUM - WGW_XDP_CNT_VIP_DROP_IP_CSUM)
_Static_assert(WGW_XDP_CNT_NAT_DROP_TTL == WGW_XDP_CNT_VIP_DROP_TTL + NAT_OFF2, "layout");
_Static_assert(WGW_XDP_CNT_NAT_DROP_MARTIAN == WGW_XDP_CNT_VIP_DROP_MARTIAN + NAT_OFF2, "layout");
_Static_assert(WGW_XDP_CNT_NAT_DROP_SPOOFED == WGW_XDP_CNT_VIP_DROP_SPOOFED + NAT_OFF2, "layout");
_Static_assert(WGW_XDP_CNT_NAT_DROP_UDP_CSUM0 == WGW_XDP_CNT_VIP_DROP_UDP_CSUM0 + NAT_OFF2,
	       "layout");
_Static_assert(sizeof(struct wgw_xdp_dest_key) == sizeof(union wgw_addr), "key is an address");
_Static_assert(WGW_XDP_OWN_FILTER_BITS == 1u << 12, "wgw_xdp_own_hash() gives 12 bits");
_Static_assert((WGW_XDP_MAX_IFS & (WGW_XDP_MAX_IFS - 1)) == 0, "slots: a power of two");

static const char *const counter_names[WGW_XDP_CNT_MAX] = {
	WGW_XDP_COUNTERS(WGW_XDP__CNT_NAME)
};

static const unsigned char counter_verdicts[WGW_XDP_CNT_MAX] = {
	WGW_XDP_COUNTERS(WGW_XDP__CNT_VERDICT)
};

const char *wgw_xdp_counter_name(unsigned int idx)
{
	return idx < WGW_XDP_CNT_MAX ? counter_names[idx] : NULL;
}

unsigned int wgw_xdp_counter_verdict(unsigned int idx)
{
	return idx < WGW_XDP_CNT_MAX ? counter_verdicts[idx] : WGW_XDP_CNT_MAX;
}

/* ------------------------------------------------------------ destinations */

static int range_cmp(const void *a, const void *b)
{
	const struct wgw_xdp_range *ra = a, *rb = b;

	return (int)ra->port_lo - (int)rb->port_lo;
}

/* Group the entries by address into map values, sorted by port. */
struct dest_set {
	struct wgw_xdp_dest_key key[WGW_XDP_MAX_DESTS];
	struct wgw_xdp_dest val[WGW_XDP_MAX_DESTS];
	size_t n;
};

static int build_dests(const struct dst_entry *e, size_t n, struct dest_set *s)
{
	size_t i, k;
	__u32 j;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < n; i++) {
		for (k = 0; k < s->n; k++)
			if (!memcmp(s->key[k].b, e[i].addr.b, 16))
				break;
		if (k == s->n) {
			if (s->n == WGW_XDP_MAX_DESTS)
				return -ENOSPC;
			memcpy(s->key[k].b, e[i].addr.b, 16);
			s->n++;
		}
		if (s->val[k].nr_ranges == WGW_XDP_MAX_RANGES)
			return -ENOSPC;
		for (j = 0; j < s->val[k].nr_ranges; j++) {
			const struct wgw_xdp_range *r = &s->val[k].r[j];

			if (e[i].lo <= r->port_hi && r->port_lo <= e[i].hi)
				return -EEXIST;
		}
		s->val[k].r[j].port_lo = e[i].lo;
		s->val[k].r[j].port_hi = e[i].hi;
		s->val[k].r[j].role = e[i].role;
		s->val[k].nr_ranges++;
	}
	for (k = 0; k < s->n; k++)
		qsort(s->val[k].r, s->val[k].nr_ranges, sizeof(s->val[k].r[0]),
		      range_cmp);
	return 0;
}

/* Write x->cfg to wgw_cfg: 0 or a negative errno. */
static int cfg_write(struct wgw_xdp *x)
{
	__u32 key = 0;

	if (bpf_map_update_elem(bpf_map__fd(x->skel->maps.wgw_cfg), &key, &x->cfg, BPF_ANY))
		return -errno;
	return 0;
}

/* Set the own_filter bits of the addresses of s in f. */
static void filter_add(__u32 f[WGW_XDP_OWN_FILTER_BITS / 32], const struct dest_set *s)
{
	size_t k;

	for (k = 0; k < s->n; k++) {
		__u32 h = wgw_xdp_own_hash(&s->key[k]);

		f[h / 32] |= 1u << (h % 32);
	}
}

/*
 * Make the map and the shadow hold exactly e[0..n).
 *
 * The own-address filter is a prefilter, so a superset of the right bits
 * is always correct: it takes the union of old and new before the map
 * changes, and exactly the new bits once the map has them.
 */
static int commit(struct wgw_xdp *x, const struct dst_entry *e, size_t n)
{
	struct dest_set *next, *prev;
	int fd = bpf_map__fd(x->skel->maps.wgw_dests);
	size_t i, k;
	int err;

	next = malloc(sizeof(*next));
	prev = malloc(sizeof(*prev));
	if (!next || !prev) {
		err = -ENOMEM;
		goto out;
	}
	err = build_dests(e, n, next);
	if (err)
		goto out;
	err = build_dests(x->dst, x->ndst, prev);
	if (err) /* cannot happen: the shadow was valid */
		goto out;
	filter_add(x->cfg.own_filter, next);
	err = cfg_write(x);
	if (err) {
		wgw_err("xdp: cannot update the configuration map: %s", strerror(-err));
		goto out;
	}

	for (k = 0; k < next->n; k++) {
		if (bpf_map_update_elem(fd, &next->key[k], &next->val[k], BPF_ANY)) {
			err = -errno;
			wgw_err("xdp: cannot update the destination map: %s",
				strerror(-err));
			goto undo;
		}
	}
	for (i = 0; i < prev->n; i++) {
		for (k = 0; k < next->n; k++)
			if (!memcmp(prev->key[i].b, next->key[k].b, 16))
				break;
		if (k == next->n && bpf_map_delete_elem(fd, &prev->key[i]) &&
		    errno != ENOENT) {
			/* Deleting a preallocated-free hash entry does not
			 * fail short of a kernel bug; keep going so the map
			 * does not end up half old, half new. */
			wgw_warn("xdp: cannot remove a destination: %s",
				 strerror(errno));
		}
	}
	memmove(x->dst, e, n * sizeof(*e));
	x->ndst = n;
	memset(x->cfg.own_filter, 0, sizeof(x->cfg.own_filter));
	filter_add(x->cfg.own_filter, next);
	if (cfg_write(x))	/* the superset written above stays right */
		wgw_warn("xdp: cannot narrow the own-address filter: %s", strerror(errno));
	goto out;

undo:
	/* Put back what the shadow says, drop what was only new. */
	for (i = 0; i < prev->n; i++)
		bpf_map_update_elem(fd, &prev->key[i], &prev->val[i], BPF_ANY);
	for (k = 0; k < next->n; k++) {
		for (i = 0; i < prev->n; i++)
			if (!memcmp(prev->key[i].b, next->key[k].b, 16))
				break;
		if (i == prev->n)
			bpf_map_delete_elem(fd, &next->key[k]);
	}
out:
	free(next);
	free(prev);
	return err;
}

static bool role_ok(enum wgw_xdp_role role)
{
	return role == WGW_XDP_ROLE_VIP || role == WGW_XDP_ROLE_NAT;
}

int wgw_xdp_add_dst(struct wgw_xdp *x, enum wgw_xdp_role role,
		    const union wgw_addr *a, uint16_t port_lo, uint16_t port_hi)
{
	struct dst_entry *e;
	int err;

	if (!role_ok(role) || port_lo == 0 || port_lo > port_hi)
		return -EINVAL;
	if (x->ndst == MAX_ENTRIES)
		return -ENOSPC;
	e = malloc((x->ndst + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	memcpy(e, x->dst, x->ndst * sizeof(*e));
	e[x->ndst] = (struct dst_entry){ .addr = *a, .lo = port_lo,
					 .hi = port_hi, .role = role };
	err = commit(x, e, x->ndst + 1);
	free(e);
	return err;
}

int wgw_xdp_del_dst(struct wgw_xdp *x, enum wgw_xdp_role role,
		    const union wgw_addr *a, uint16_t port_lo, uint16_t port_hi)
{
	struct dst_entry *e;
	size_t i, n = 0;
	bool found = false;
	int err;

	if (!role_ok(role))
		return -EINVAL;
	e = malloc((x->ndst ? x->ndst : 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (i = 0; i < x->ndst; i++) {
		const struct dst_entry *d = &x->dst[i];

		if (!found && d->role == role && d->lo == port_lo &&
		    d->hi == port_hi && wgw_addr_eq(&d->addr, a)) {
			found = true;
			continue;
		}
		e[n++] = *d;
	}
	err = found ? commit(x, e, n) : -ENOENT;
	free(e);
	return err;
}

int wgw_xdp_set_dsts(struct wgw_xdp *x, enum wgw_xdp_role role,
		     const struct wgw_xdp_dst *v, size_t n)
{
	struct dst_entry *e;
	size_t i, m = 0;
	int err;

	if (!role_ok(role))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (v[i].port_lo == 0 || v[i].port_lo > v[i].port_hi)
			return -EINVAL;
	if (n > MAX_ENTRIES)
		return -ENOSPC;
	e = malloc((x->ndst + n + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (i = 0; i < x->ndst; i++)
		if (x->dst[i].role != role)
			e[m++] = x->dst[i];
	for (i = 0; i < n; i++)
		e[m++] = (struct dst_entry){ .addr = v[i].addr, .lo = v[i].port_lo,
					     .hi = v[i].port_hi, .role = role };
	err = m > MAX_ENTRIES ? -ENOSPC : commit(x, e, m);
	free(e);
	return err;
}

/* ------------------------------------------------------------ handshakes */

#define NSEC_PER_SEC 1000000000ULL

int wgw_xdp_set_handshake_limit(struct wgw_xdp *x, uint32_t rate_per_s, uint32_t burst)
{
	struct wgw_xdp_cfg old = x->cfg;
	int err;

	if (rate_per_s > NSEC_PER_SEC)
		return -EINVAL;
	x->cfg.hs_interval_ns = 0;
	x->cfg.hs_tolerance_ns = 0;
	if (rate_per_s) {
		if (!burst)
			burst = rate_per_s;
		/* 1e9 / rate >= 1 ns; (2^32 - 1) * 1e9 ns fits in 64 bits. */
		x->cfg.hs_interval_ns = NSEC_PER_SEC / rate_per_s;
		x->cfg.hs_tolerance_ns = (__u64)(burst - 1) * x->cfg.hs_interval_ns;
	}
	err = cfg_write(x);
	if (err) {
		x->cfg = old;
		wgw_err("xdp: cannot set the handshake limit: %s", strerror(-err));
		return err;
	}
	return 0;
}

/* ------------------------------------------------------------ interface MAC */

int wgw_xdp_set_if_mac(struct wgw_xdp *x, int ifindex, const uint8_t mac[6])
{
	int fd = bpf_map__fd(x->skel->maps.wgw_ifmacs);
	struct wgw_xdp_ifmac v, cur;
	char ifn[IF_NAMESIZE];
	__u32 slot;

	if (ifindex <= 0)
		return -EINVAL;
	/* The group bit: such an address is never an interface's own, and
	 * the program passes those frames before it looks. */
	if (mac && (mac[0] & 1))
		return -EINVAL;
	slot = (__u32)ifindex % WGW_XDP_MAX_IFS;
	if (bpf_map_lookup_elem(fd, &slot, &cur))
		return -errno;
	if (cur.ifindex && cur.ifindex != (__u32)ifindex) {
		if (!mac)
			return 0;
		wgw_err("xdp: %s: its MAC slot is taken by interface %s (one program "
			"object serves at most one interface per ifindex modulo %u)",
			wgw_xdp_ifname(ifindex, ifn), wgw_xdp_ifname((int)cur.ifindex, (char[IF_NAMESIZE]){ 0 }),
			WGW_XDP_MAX_IFS);
		return -EBUSY;
	}
	memset(&v, 0, sizeof(v));
	if (mac) {
		v.ifindex = (__u32)ifindex;
		memcpy(v.addr, mac, sizeof(v.addr));
	} else if (!cur.ifindex) {
		return 0;
	}
	if (bpf_map_update_elem(fd, &slot, &v, BPF_ANY)) {
		int err = -errno;

		wgw_err("xdp: %s: cannot set the interface's MAC address: %s",
			wgw_xdp_ifname(ifindex, ifn), strerror(-err));
		return err;
	}
	return 0;
}

/* The current MAC address of ifindex, from the kernel. */
static int if_mac(int ifindex, uint8_t mac[6])
{
	char ifn[IF_NAMESIZE];
	struct ifreq ifr;
	int fd, err = 0;

	if (!if_indextoname((unsigned int)ifindex, ifn))
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifn, sizeof(ifr.ifr_name));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		err = -EPFNOSUPPORT;	/* the program parses Ethernet only */
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

int wgw_xdp_refresh_mac(struct wgw_xdp *x)
{
	char ifn[IF_NAMESIZE];
	uint8_t mac[6];
	int err;

	if (x->ifindex <= 0)
		return -EINVAL;
	err = if_mac(x->ifindex, mac);
	if (err) {
		wgw_err("xdp: %s: cannot read the interface's MAC address: %s",
			wgw_xdp_ifname(x->ifindex, ifn),
			err == -EPFNOSUPPORT ? "not an Ethernet interface" : strerror(-err));
		return err;
	}
	return wgw_xdp_set_if_mac(x, x->ifindex, mac);
}

/* ------------------------------------------------------------ counters */

int wgw_xdp_read_counters(const struct wgw_xdp *x, uint64_t out[WGW_XDP_CNT_MAX])
{
	struct wgw_xdp_counters *pc;
	__u32 key = 0;
	int cpu, i, err = 0;

	/* Per-CPU values come out padded to 8 bytes each: the struct is. */
	pc = calloc((size_t)x->ncpus, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(x->skel->maps.wgw_counters), &key, pc)) {
		err = -errno;
		goto out;
	}
	memset(out, 0, sizeof(uint64_t) * WGW_XDP_CNT_MAX);
	for (cpu = 0; cpu < x->ncpus; cpu++)
		for (i = 0; i < WGW_XDP_CNT_MAX; i++)
			out[i] += pc[cpu].c[i];
out:
	free(pc);
	return err;
}
