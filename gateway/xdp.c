// SPDX-License-Identifier: GPL-2.0-only
/*
 * The XDP classifier's loader (see gateway/xdp.h): open and close, the
 * attach strategies (a bpf_link alone, or libxdp with or without its
 * dispatcher), detach and the mode query.  What is on the interface already
 * is looked at in xdp_inspect.c, the maps are driven from xdp_maps.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/libbpf.h>

#include "bpf/wraith_xdp.skel.h"
#include "gateway/log.h"
#include "gateway/xdp_internal.h"

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

const char *wgw_xdp_ifname(int ifindex, char buf[IF_NAMESIZE])
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
	wgw_xdp_log_init();
	if (ifindex < 0)
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->ifindex = ifindex;
	x->link_fd = -1;
	x->share = WGW_XDP_SHARE_AUTO;
	x->priority = XDP_DEFAULT_RUN_PRIO;
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

int wgw_xdp_attached_prog_fd(const struct wgw_xdp *x)
{
	switch (x->how) {
	case WGW_XDP_HOW_LINK:
		return wgw_xdp_prog_fd(x);
	case WGW_XDP_HOW_DISPATCHER:
	case WGW_XDP_HOW_SINGLE:
		return xdp_program__fd(x->att_prog);
	case WGW_XDP_HOW_NONE:
		break;
	}
	return -1;
}

int wgw_xdp_set_share(struct wgw_xdp *x, enum wgw_xdp_share share, unsigned int priority)
{
	if (x->how != WGW_XDP_HOW_NONE)
		return -EALREADY;
	if ((unsigned int)share > WGW_XDP_SHARE_SHARED || priority > WGW_XDP_MAX_PRIORITY)
		return -EINVAL;
	x->share = share;
	x->priority = priority;
	return 0;
}

enum wgw_xdp_how wgw_xdp_attached_how(const struct wgw_xdp *x)
{
	return x->how;
}

const char *wgw_xdp_how_name(enum wgw_xdp_how how)
{
	switch (how) {
	case WGW_XDP_HOW_LINK:
		return "bpf_link";
	case WGW_XDP_HOW_DISPATCHER:
		return "libxdp dispatcher";
	case WGW_XDP_HOW_SINGLE:
		return "libxdp, no dispatcher";
	case WGW_XDP_HOW_NONE:
		break;
	}
	return "none";
}

/* ------------------------------------------------------------ attach */

/* A driver without the mode is the ladder's business (it tries the next
 * rung): said at info level; anything else is an error. */
static void attach_failed(struct wgw_xdp *x, enum wgw_xdp_mode mode, int err, const char *via)
{
	char ifn[IF_NAMESIZE];

	if (err == -EOPNOTSUPP)
		wgw_info("xdp: %s: the driver has no %s XDP", wgw_xdp_ifname(x->ifindex, ifn),
			 wgw_xdp_mode_name(mode));
	else
		wgw_err("xdp: %s: cannot attach in %s mode%s: %s", wgw_xdp_ifname(x->ifindex, ifn),
			wgw_xdp_mode_name(mode), via, strerror(-err));
}

static int attach_link(struct wgw_xdp *x, enum wgw_xdp_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts);
	int fd, err;

	lopts.flags = mode == WGW_XDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(wgw_xdp_prog_fd(x), x->ifindex, BPF_XDP, &lopts);
	if (fd < 0) {
		err = -errno;
		attach_failed(x, mode, err, "");
		return err;
	}
	x->link_fd = fd;
	x->how = WGW_XDP_HOW_LINK;
	return 0;
}

/*
 * Is our libxdp-loaded program in the dispatcher attached to the interface
 * in this mode?  1 or 0 from a clean reading, or a negative errno: -EPERM
 * without CAP_SYS_ADMIN (libxdp reads the dispatcher by program id),
 * -EAGAIN when the dispatcher changed under libxdp's reading twice (it then
 * reads as a lone program: another libxdp user swapping dispatchers), or
 * another errno.  Never 0 on a reading it could not trust.
 */
static int dispatcher_has(struct wgw_xdp *x, enum wgw_xdp_mode mode)
{
	__u32 id = xdp_program__id(x->att_prog), top;
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int err = 0, tries;

	for (tries = 0; tries < 2; tries++) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		if (bpf_xdp_query(x->ifindex, 0, &q))
			return errno == ENODEV ? 0 : -errno;
		top = mode == WGW_XDP_MODE_NATIVE ? q.drv_prog_id : q.skb_prog_id;
		if (!top)
			return 0;
		mp = xdp_multiprog__get_from_ifindex(x->ifindex);
		err = (int)libxdp_get_error(mp);
		if (!err && !mp)
			err = -ENOENT;
		if (!err) {
			if (xdp_multiprog__is_legacy(mp)) {
				err = -EAGAIN;
			} else {
				for (p = xdp_multiprog__next_prog(NULL, mp); p;
				     p = xdp_multiprog__next_prog(p, mp))
					if (xdp_program__id(p) == id) {
						err = 1;
						break;
					}
			}
			xdp_multiprog__close(mp);
		}
		if (err >= 0 || err == -EPERM)
			return err;
	}
	return err;
}

static void libxdp_release(struct wgw_xdp *x)
{
	/* The program came from our object: closing it leaves the object,
	 * which goes with the skeleton. */
	xdp_program__close(x->att_prog);
	wraith_xdp__destroy(x->att_skel);
	x->att_prog = NULL;
	x->att_skel = NULL;
}

/*
 * A second load of the embedded object, its maps those of the first load,
 * handed to libxdp: libxdp loads it as an extension of a dispatcher slot
 * where the kernel allows, as a plain XDP program otherwise.
 */
static int attach_libxdp(struct wgw_xdp *x, enum wgw_xdp_mode mode)
{
	struct bpf_map *m;
	char ifn[IF_NAMESIZE];
	int err;

	x->att_skel = wraith_xdp__open();
	if (!x->att_skel) {
		err = -errno;
		wgw_err("xdp: cannot open the embedded program: %s", strerror(-err));
		return err;
	}
	bpf_object__for_each_map(m, x->att_skel->obj) {
		const struct bpf_map *orig;

		orig = bpf_object__find_map_by_name(x->skel->obj, bpf_map__name(m));
		err = orig ? bpf_map__reuse_fd(m, bpf_map__fd(orig)) : -ENOENT;
		if (err) {
			wgw_err("xdp: cannot share map %s with the second load: %s",
				bpf_map__name(m), strerror(-err));
			goto err_release;
		}
	}
	x->att_prog = xdp_program__from_bpf_obj(x->att_skel->obj, NULL);
	err = (int)libxdp_get_error(x->att_prog);
	if (err) {
		x->att_prog = NULL;
		wgw_err("xdp: libxdp cannot take the program: %s", strerror(-err));
		goto err_release;
	}
	err = xdp_program__set_run_prio(x->att_prog, x->priority);
	if (err) {
		wgw_err("xdp: libxdp refused priority %u: %s", x->priority, strerror(-err));
		goto err_release;
	}
	err = xdp_program__attach(x->att_prog, x->ifindex,
				  mode == WGW_XDP_MODE_NATIVE ? XDP_MODE_NATIVE : XDP_MODE_SKB, 0);
	if (err) {
		attach_failed(x, mode, err, " through libxdp");
		goto err_release;
	}
	/* libxdp says in its log why it went without a dispatcher; ask the
	 * kernel which way it went: our program itself on the interface, or
	 * a dispatcher that must hold it. */
	{
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		__u32 top = 0;

		if (!bpf_xdp_query(x->ifindex, 0, &q))
			top = mode == WGW_XDP_MODE_NATIVE ? q.drv_prog_id : q.skb_prog_id;
		if (top && top == xdp_program__id(x->att_prog)) {
			x->how = WGW_XDP_HOW_SINGLE;
			return 0;
		}
	}
	err = dispatcher_has(x, mode);
	if (err == 1) {
		x->how = WGW_XDP_HOW_DISPATCHER;
		return 0;
	}
	wgw_err("xdp: %s: libxdp attached the program, but it is neither alone on "
		"the interface nor found in a dispatcher (%s)", wgw_xdp_ifname(x->ifindex, ifn),
		err < 0 ? strerror(-err) : "not there");
	xdp_program__detach(x->att_prog, x->ifindex,
			    mode == WGW_XDP_MODE_NATIVE ? XDP_MODE_NATIVE : XDP_MODE_SKB, 0);
	err = -EPROTO;
err_release:
	libxdp_release(x);	/* NULL program and skeleton are ignored */
	return err;
}

int wgw_xdp_attach(struct wgw_xdp *x, enum wgw_xdp_mode mode)
{
	char ifn[IF_NAMESIZE];
	enum wgw_xdp_mode got;
	bool dispatcher;
	int err;

	if (x->how != WGW_XDP_HOW_NONE)
		return -EALREADY;
	if (x->ifindex <= 0)
		return -EINVAL;
	if (mode != WGW_XDP_MODE_NATIVE && mode != WGW_XDP_MODE_GENERIC)
		return -EINVAL;
	/* Without its MAC the program steers nothing on this interface:
	 * better to say so now than to run on the slow path unnoticed. */
	err = wgw_xdp_refresh_mac(x);
	if (err)
		return err;
	err = wgw_xdp_clear_way(x, mode, &dispatcher);
	if (err)
		return err;
	if (x->share == WGW_XDP_SHARE_SHARED ||
	    (x->share == WGW_XDP_SHARE_AUTO && dispatcher))
		err = attach_libxdp(x, mode);
	else
		err = attach_link(x, mode);
	if (err)
		return err;
	x->att_mode = mode;

	/* Trust what the kernel says is attached, not what we asked for. */
	err = wgw_xdp_query_mode(x, &got);
	if (!err && got != mode) {
		wgw_err("xdp: %s: asked for %s mode, the kernel reports %s",
			wgw_xdp_ifname(x->ifindex, ifn), wgw_xdp_mode_name(mode),
			wgw_xdp_mode_name(got));
		err = -EPROTO;
	}
	if (err) {
		wgw_xdp_detach(x);
		return err;
	}
	if (x->how == WGW_XDP_HOW_LINK)
		wgw_info("xdp: %s: attached in %s mode (bpf_link)",
			 wgw_xdp_ifname(x->ifindex, ifn), wgw_xdp_mode_name(mode));
	else if (x->how == WGW_XDP_HOW_DISPATCHER)
		wgw_info("xdp: %s: attached in %s mode in libxdp's dispatcher "
			 "(priority %u)", wgw_xdp_ifname(x->ifindex, ifn),
			 wgw_xdp_mode_name(mode), x->priority);
	else
		wgw_notice("xdp: %s: attached in %s mode through libxdp without a "
			   "dispatcher (the kernel or bpffs does not allow one: see "
			   "libxdp's message above); the program runs alone",
			   wgw_xdp_ifname(x->ifindex, ifn), wgw_xdp_mode_name(mode));
	return 0;
}

int wgw_xdp_detach(struct wgw_xdp *x)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, dopts);
	char ifn[IF_NAMESIZE];
	int err = 0;

	switch (x->how) {
	case WGW_XDP_HOW_NONE:
		return 0;
	case WGW_XDP_HOW_LINK:
		/* Detach explicitly: closing our fd would not, should a copy
		 * of it live on somewhere.  ENOLINK: the interface went away
		 * first. */
		if (bpf_link_detach(x->link_fd) && errno != ENOLINK) {
			err = -errno;
			wgw_warn("xdp: %s: detach: %s", wgw_xdp_ifname(x->ifindex, ifn),
				 strerror(-err));
		}
		close(x->link_fd);
		x->link_fd = -1;
		break;
	case WGW_XDP_HOW_SINGLE:
		/* Through netlink, guarded by our program's id, which needs
		 * no more than CAP_NET_ADMIN (libxdp's detach would inspect
		 * the interface by id: CAP_SYS_ADMIN). */
		dopts.old_prog_fd = xdp_program__fd(x->att_prog);
		if (bpf_xdp_detach(x->ifindex, x->att_mode == WGW_XDP_MODE_NATIVE ?
				   XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE, &dopts) &&
		    errno != ENODEV && errno != EEXIST) {
			/* EEXIST: something else is attached by now. */
			err = -errno;
			wgw_warn("xdp: %s: detach: %s", wgw_xdp_ifname(x->ifindex, ifn),
				 strerror(-err));
		}
		libxdp_release(x);
		break;
	case WGW_XDP_HOW_DISPATCHER:
		/* libxdp rebuilds the dispatcher without us, or removes it
		 * when we were its last program. */
		err = xdp_program__detach(x->att_prog, x->ifindex,
					  x->att_mode == WGW_XDP_MODE_NATIVE ?
					  XDP_MODE_NATIVE : XDP_MODE_SKB, 0);
		/* ENOENT: libxdp did not find it, which is fine only when
		 * the dispatcher really lacks it. */
		if (err == -ENODEV || (err == -ENOENT && dispatcher_has(x, x->att_mode) == 0))
			err = 0;
		if (err)
			wgw_warn("xdp: %s: removing our program from libxdp's "
				 "dispatcher: %s", wgw_xdp_ifname(x->ifindex, ifn), strerror(-err));
		libxdp_release(x);
		break;
	}
	x->how = WGW_XDP_HOW_NONE;
	return err;
}

int wgw_xdp_link_fd(const struct wgw_xdp *x)
{
	return x->how == WGW_XDP_HOW_LINK ? x->link_fd : -1;
}

int wgw_xdp_adopt_link(struct wgw_xdp *x, int link_fd, enum wgw_xdp_mode mode)
{
	char ifn[IF_NAMESIZE];
	enum wgw_xdp_mode got;
	int err;

	if (x->how != WGW_XDP_HOW_NONE)
		return -EALREADY;
	err = wgw_xdp_refresh_mac(x);
	if (err)
		return err;
	if (bpf_link_update(link_fd, wgw_xdp_prog_fd(x), NULL)) {
		err = -errno;
		wgw_err("xdp: %s: putting our program on the running daemon's link: %s",
			wgw_xdp_ifname(x->ifindex, ifn), strerror(-err));
		return err;
	}
	x->link_fd = link_fd;
	x->how = WGW_XDP_HOW_LINK;
	x->att_mode = mode;
	err = wgw_xdp_query_mode(x, &got);
	if (!err && got != mode)
		err = -EPROTO;
	if (err) {
		wgw_err("xdp: %s: the handed-over link is not in %s mode",
			wgw_xdp_ifname(x->ifindex, ifn), wgw_xdp_mode_name(mode));
		x->link_fd = -1;
		x->how = WGW_XDP_HOW_NONE;
		return err;
	}
	wgw_info("xdp: %s: our program replaced the previous daemon's on its link (%s mode)",
		 wgw_xdp_ifname(x->ifindex, ifn), wgw_xdp_mode_name(mode));
	return 0;
}

int wgw_xdp_relink(struct wgw_xdp *x)
{
	if (x->how != WGW_XDP_HOW_LINK)
		return -EINVAL;
	return bpf_link_update(x->link_fd, wgw_xdp_prog_fd(x), NULL) ? -errno : 0;
}

void wgw_xdp_disown(struct wgw_xdp *x)
{
	if (!x || x->how != WGW_XDP_HOW_LINK)
		return;
	close(x->link_fd);
	x->link_fd = -1;
	x->how = WGW_XDP_HOW_NONE;
}

int wgw_xdp_query_mode(struct wgw_xdp *x, enum wgw_xdp_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info;
	int fd, err;

	*mode = WGW_XDP_MODE_NONE;
	if (x->ifindex <= 0)
		return 0;
	if (x->how == WGW_XDP_HOW_DISPATCHER) {
		/* Only a clean reading that lacks our program says it is gone:
		 * the daemon moves the interface to the fallback path on NONE. */
		err = dispatcher_has(x, x->att_mode);
		if (err == -EPERM) {
			/* Without CAP_SYS_ADMIN libxdp cannot look inside; a
			 * program in our mode is taken for our dispatcher. */
			*mode = x->att_mode;
			return 0;
		}
		if (err < 0)
			return err;
		if (err)
			*mode = x->att_mode;
		return 0;
	}
	fd = x->how == WGW_XDP_HOW_NONE ? wgw_xdp_prog_fd(x) : wgw_xdp_attached_prog_fd(x);
	err = wgw_xdp_prog_info(fd, &info, NULL, 0);
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
