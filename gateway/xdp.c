// SPDX-License-Identifier: GPL-2.0-only
/*
 * The XDP classifier's loader (see gateway/xdp.h).
 *
 * The destination map is driven from a shadow copy kept here: every change
 * builds the complete new configuration, validates it, writes the map
 * (updates first, deletions last) and only then becomes the shadow, so a
 * failed change leaves both the map and the shadow as they were.
 */
#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/wraith_xdp.skel.h"
#include "gateway/log.h"
#include "gateway/xdp.h"

/* The program derives NAT reasons from VIP reasons by a fixed offset. */
#define NAT_OFF (WGW_XDP_CNT_NAT_REDIRECT - WGW_XDP_CNT_VIP_REDIRECT)
_Static_assert(WGW_XDP_CNT_NAT_NO_XSK == WGW_XDP_CNT_VIP_NO_XSK + NAT_OFF, "layout");
_Static_assert(WGW_XDP_CNT_NAT_DROP_UDP_LEN == WGW_XDP_CNT_VIP_DROP_UDP_LEN + NAT_OFF, "layout");
_Static_assert(WGW_XDP_CNT_NAT_DROP_SHORT == WGW_XDP_CNT_VIP_DROP_SHORT + NAT_OFF, "layout");
_Static_assert(WGW_XDP_CNT_NAT_DROP_CID0 == WGW_XDP_CNT_VIP_DROP_CID0 + NAT_OFF, "layout");
_Static_assert(sizeof(struct wgw_xdp_dest_key) == sizeof(union wgw_addr), "key is an address");

#define MAX_ENTRIES (WGW_XDP_MAX_DESTS * WGW_XDP_MAX_RANGES)

/* One configured range: the shadow is a flat list of these. */
struct dst_entry {
	union wgw_addr addr;
	uint16_t lo, hi;
	uint32_t role;
};

struct wgw_xdp {
	struct wraith_xdp *skel;
	int ifindex;
	int link_fd;		/* -1 when not attached */
	int ncpus;		/* possible CPUs, for per-CPU map values */
	struct dst_entry *dst;	/* the shadow, MAX_ENTRIES slots */
	size_t ndst;
};

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

const char *wgw_xdp_mode_name(enum wgw_xdp_mode mode)
{
	switch (mode) {
	case WGW_XDP_MODE_NATIVE:
		return "native";
	case WGW_XDP_MODE_GENERIC:
		return "generic";
	case WGW_XDP_MODE_NONE:
		break;
	}
	return "none";
}

static const char *ifname(int ifindex, char buf[IF_NAMESIZE])
{
	if (ifindex <= 0 || !if_indextoname((unsigned int)ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "#%d", ifindex);
	return buf;
}

/* ------------------------------------------------------------ open/close */

int wgw_xdp_open(struct wgw_xdp **out, int ifindex)
{
	struct wgw_xdp *x;
	int err;

	*out = NULL;
	if (ifindex < 0)
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->ifindex = ifindex;
	x->link_fd = -1;
	x->ncpus = libbpf_num_possible_cpus();
	if (x->ncpus <= 0) {
		err = x->ncpus < 0 ? x->ncpus : -EINVAL;
		goto err_free;
	}
	x->dst = calloc(MAX_ENTRIES, sizeof(*x->dst));
	if (!x->dst) {
		err = -ENOMEM;
		goto err_free;
	}
	x->skel = wraith_xdp__open();
	if (!x->skel) {
		err = -errno;
		wgw_err("xdp: cannot open the embedded program: %s", strerror(-err));
		goto err_free_dst;
	}
	err = wraith_xdp__load(x->skel);
	if (err) {
		wgw_err("xdp: cannot load the program: %s", strerror(-err));
		goto err_destroy;
	}
	*out = x;
	return 0;

err_destroy:
	wraith_xdp__destroy(x->skel);
err_free_dst:
	free(x->dst);
err_free:
	free(x);
	return err;
}

void wgw_xdp_close(struct wgw_xdp *x)
{
	if (!x)
		return;
	wgw_xdp_detach(x);
	wraith_xdp__destroy(x->skel);
	free(x->dst);
	free(x);
}

int wgw_xdp_xskmap_fd(const struct wgw_xdp *x)
{
	return bpf_map__fd(x->skel->maps.wgw_xsks);
}

int wgw_xdp_prog_fd(const struct wgw_xdp *x)
{
	return bpf_program__fd(x->skel->progs.wraith_xdp);
}

int wgw_xdp_ifindex(const struct wgw_xdp *x)
{
	return x->ifindex;
}

/* ------------------------------------------------------------ inspection */

static int prog_info(int fd, struct bpf_prog_info *info, __u32 *map_ids, __u32 nr_maps)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	if (map_ids) {
		info->nr_map_ids = nr_maps;
		info->map_ids = (__u64)(unsigned long)map_ids;
	}
#ifdef HAVE_BPF_PROG_GET_INFO_BY_FD
	return bpf_prog_get_info_by_fd(fd, info, &len) ? -errno : 0;
#else
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
#endif
}

static int map_info_by_id(__u32 id, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);
	int fd, err = 0;

	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		err = -errno;
	close(fd);
	return err;
}

/*
 * Is prog_fd a wraith_xdp program?  Its name alone could be anyone's: it
 * must also use the three maps by name and type.  Old gateways that shared
 * these names are recognised too, which is what stale detection wants.
 */
static bool prog_is_ours(int prog_fd, char name[BPF_OBJ_NAME_LEN])
{
	static const struct {
		const char *name;
		__u32 type;
	} want[] = {
		{ WGW_XDP_MAP_XSKS, BPF_MAP_TYPE_XSKMAP },
		{ WGW_XDP_MAP_DESTS, BPF_MAP_TYPE_HASH },
		{ WGW_XDP_MAP_COUNTERS, BPF_MAP_TYPE_PERCPU_ARRAY },
	};
	struct bpf_prog_info info;
	struct bpf_map_info mi;
	__u32 ids[16], nr, i, j, found = 0;

	name[0] = '\0';
	if (prog_info(prog_fd, &info, NULL, 0))
		return false;
	memcpy(name, info.name, BPF_OBJ_NAME_LEN);
	name[BPF_OBJ_NAME_LEN - 1] = '\0';
	if (info.type != BPF_PROG_TYPE_XDP || strcmp(name, WGW_XDP_PROG_NAME))
		return false;
	nr = info.nr_map_ids;
	if (nr > sizeof(ids) / sizeof(ids[0]))
		return false;
	if (prog_info(prog_fd, &info, ids, nr))
		return false;
	nr = info.nr_map_ids < nr ? info.nr_map_ids : nr;
	for (i = 0; i < nr; i++) {
		if (map_info_by_id(ids[i], &mi))
			continue;
		for (j = 0; j < sizeof(want) / sizeof(want[0]); j++)
			if (mi.type == want[j].type && !strncmp(mi.name, want[j].name,
								 sizeof(mi.name)))
				found |= 1u << j;
	}
	return found == (1u << (sizeof(want) / sizeof(want[0]))) - 1;
}

/*
 * Is prog_id attached to ifindex through a bpf_link?  Returns the link id,
 * 0 when not, or a negative errno.  Links of other namespaces can carry the
 * same ifindex, but not also the id of the program attached here.
 */
static int find_xdp_link(int ifindex, __u32 prog_id)
{
	struct bpf_link_info info;
	__u32 id = 0, len;
	int fd;

	while (!bpf_link_get_next_id(id, &id)) {
		fd = bpf_link_get_fd_by_id(id);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* went away meanwhile */
			return -errno;
		}
		len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			close(fd);
			continue;
		}
		close(fd);
		if (info.type == BPF_LINK_TYPE_XDP && info.prog_id == prog_id &&
		    (int)info.xdp.ifindex == ifindex)
			return (int)id;
	}
	return errno == ENOENT ? 0 : -errno;
}

/*
 * Look at one program attached to our interface in one mode (xdp_flag)
 * and clear the way, or say why not.
 */
static int check_attached(struct wgw_xdp *x, __u32 prog_id, __u32 xdp_flag,
			  const char *how)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, dopts);
	char name[BPF_OBJ_NAME_LEN], ifn[IF_NAMESIZE];
	int fd, link_id, err;
	bool ours;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0; /* detached meanwhile */
		err = -errno;
		/* Attaching to an empty interface needs CAP_BPF and
		 * CAP_NET_ADMIN; looking at someone's program by id needs
		 * CAP_SYS_ADMIN as well. */
		wgw_err("xdp: %s: cannot inspect the %s program id %u already "
			"attached: %s%s", ifname(x->ifindex, ifn), how, prog_id,
			strerror(-err), err == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		return err;
	}
	ours = prog_is_ours(fd, name);
	link_id = find_xdp_link(x->ifindex, prog_id);
	if (link_id < 0) {
		err = link_id;
		wgw_err("xdp: %s: cannot list bpf links: %s%s",
			ifname(x->ifindex, ifn), strerror(-err),
			err == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		goto out;
	}
	if (!ours) {
		err = -EEXIST;
		wgw_err("xdp: %s already has a %s XDP program '%s' (id %u%s): "
			"not ours, left alone",
			ifname(x->ifindex, ifn), how, name, prog_id,
			link_id ? ", held by a bpf_link" : "");
		goto out;
	}
	if (link_id) {
		err = -EBUSY;
		wgw_err("xdp: %s: our program (id %u) is held by live bpf_link "
			"id %d: another gateway is running on this interface",
			ifname(x->ifindex, ifn), prog_id, link_id);
		goto out;
	}
	/* Ours, attached through netlink: nobody owns it any more.  The
	 * expected-id guard (XDP_FLAGS_REPLACE) makes the detach fail rather
	 * than remove a program attached since we looked. */
	dopts.old_prog_fd = fd;
	err = bpf_xdp_detach(x->ifindex, xdp_flag, &dopts);
	if (err) {
		err = -errno;
		wgw_err("xdp: %s: cannot detach stale gateway program id %u: %s",
			ifname(x->ifindex, ifn), prog_id, strerror(-err));
		goto out;
	}
	wgw_notice("xdp: %s: detached stale %s gateway program id %u "
		   "(left by an earlier gateway)", ifname(x->ifindex, ifn), how,
		   prog_id);
out:
	close(fd);
	return err;
}

static int clear_way(struct wgw_xdp *x)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char ifn[IF_NAMESIZE];
	int err;

	err = bpf_xdp_query(x->ifindex, 0, &q);
	if (err) {
		err = -errno;
		wgw_err("xdp: %s: cannot query attached programs: %s",
			ifname(x->ifindex, ifn), strerror(-err));
		return err;
	}
	if (q.hw_prog_id) {
		/* Offloaded programs are never a gateway's. */
		wgw_err("xdp: %s has an offloaded XDP program (id %u): left alone",
			ifname(x->ifindex, ifn), q.hw_prog_id);
		return -EEXIST;
	}
	if (q.drv_prog_id) {
		err = check_attached(x, q.drv_prog_id, XDP_FLAGS_DRV_MODE, "native");
		if (err)
			return err;
	}
	if (q.skb_prog_id) {
		err = check_attached(x, q.skb_prog_id, XDP_FLAGS_SKB_MODE, "generic");
		if (err)
			return err;
	}
	return 0;
}

/* ------------------------------------------------------------ attach */

int wgw_xdp_attach(struct wgw_xdp *x, enum wgw_xdp_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts);
	char ifn[IF_NAMESIZE];
	enum wgw_xdp_mode got;
	int fd, err;

	if (x->link_fd >= 0)
		return -EALREADY;
	if (x->ifindex <= 0)
		return -EINVAL;
	switch (mode) {
	case WGW_XDP_MODE_NATIVE:
		lopts.flags = XDP_FLAGS_DRV_MODE;
		break;
	case WGW_XDP_MODE_GENERIC:
		lopts.flags = XDP_FLAGS_SKB_MODE;
		break;
	default:
		return -EINVAL;
	}
	err = clear_way(x);
	if (err)
		return err;
	fd = bpf_link_create(wgw_xdp_prog_fd(x), x->ifindex, BPF_XDP, &lopts);
	if (fd < 0) {
		err = -errno;
		if (err == -EOPNOTSUPP)
			wgw_info("xdp: %s: the driver has no %s XDP",
				 ifname(x->ifindex, ifn), wgw_xdp_mode_name(mode));
		else
			wgw_err("xdp: %s: cannot attach in %s mode: %s",
				ifname(x->ifindex, ifn), wgw_xdp_mode_name(mode),
				strerror(-err));
		return err;
	}
	x->link_fd = fd;

	/* Trust what the kernel says is attached, not what we asked for. */
	err = wgw_xdp_query_mode(x, &got);
	if (!err && got != mode) {
		wgw_err("xdp: %s: asked for %s mode, the kernel reports %s",
			ifname(x->ifindex, ifn), wgw_xdp_mode_name(mode),
			wgw_xdp_mode_name(got));
		err = -EPROTO;
	}
	if (err) {
		wgw_xdp_detach(x);
		return err;
	}
	wgw_info("xdp: %s: attached in %s mode (bpf_link)",
		 ifname(x->ifindex, ifn), wgw_xdp_mode_name(mode));
	return 0;
}

int wgw_xdp_detach(struct wgw_xdp *x)
{
	char ifn[IF_NAMESIZE];
	int err = 0;

	if (x->link_fd < 0)
		return 0;
	/* Detach explicitly: closing our fd would not, should a copy of it
	 * live on somewhere.  ENOLINK: the interface went away first. */
	if (bpf_link_detach(x->link_fd) && errno != ENOLINK) {
		err = -errno;
		wgw_warn("xdp: %s: detach: %s", ifname(x->ifindex, ifn),
			 strerror(-err));
	}
	close(x->link_fd);
	x->link_fd = -1;
	return err;
}

int wgw_xdp_query_mode(struct wgw_xdp *x, enum wgw_xdp_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info;
	int err;

	*mode = WGW_XDP_MODE_NONE;
	if (x->ifindex <= 0)
		return 0;
	err = prog_info(wgw_xdp_prog_fd(x), &info, NULL, 0);
	if (err)
		return err;
	if (bpf_xdp_query(x->ifindex, 0, &q))
		return errno == ENODEV ? 0 : -errno;
	if (q.drv_prog_id == info.id)
		*mode = WGW_XDP_MODE_NATIVE;
	else if (q.skb_prog_id == info.id)
		*mode = WGW_XDP_MODE_GENERIC;
	return 0;
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

/* Make the map and the shadow hold exactly e[0..n). */
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
	struct wgw_xdp_cfg cfg = { 0 };
	__u32 key = 0;

	if (rate_per_s > NSEC_PER_SEC)
		return -EINVAL;
	if (rate_per_s) {
		if (!burst)
			burst = rate_per_s;
		/* 1e9 / rate >= 1 ns; (2^32 - 1) * 1e9 ns fits in 64 bits. */
		cfg.hs_interval_ns = NSEC_PER_SEC / rate_per_s;
		cfg.hs_tolerance_ns = (__u64)(burst - 1) * cfg.hs_interval_ns;
	}
	if (bpf_map_update_elem(bpf_map__fd(x->skel->maps.wgw_cfg), &key, &cfg, BPF_ANY)) {
		int err = -errno;

		wgw_err("xdp: cannot set the handshake limit: %s", strerror(-err));
		return err;
	}
	return 0;
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
