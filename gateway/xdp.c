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

#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "bpf/wraith_xdp.skel.h"
#include "gateway/log.h"
#include "gateway/xdp.h"

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
_Static_assert(WGW_XDP_OWN_FILTER_BITS == 1u << 10, "wgw_xdp_own_hash() gives 10 bits");
_Static_assert((WGW_XDP_MAX_IFS & (WGW_XDP_MAX_IFS - 1)) == 0, "slots: a power of two");

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
	int link_fd;		/* -1 when not attached through a link */
	enum wgw_xdp_share share;
	unsigned int priority;	/* in libxdp's dispatcher */
	enum wgw_xdp_how how;
	enum wgw_xdp_mode att_mode;
	/* Attached through libxdp: a second load of the object, sharing the
	 * maps of skel (see xdp.h). */
	struct wraith_xdp *att_skel;
	struct xdp_program *att_prog;
	int ncpus;		/* possible CPUs, for per-CPU map values */
	struct dst_entry *dst;	/* the shadow, MAX_ENTRIES slots */
	size_t ndst;
	struct wgw_xdp_cfg cfg;	/* what wgw_cfg holds */
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
	/* In libxdp's dispatcher the program is loaded as an extension
	 * (freplace) of one of the dispatcher's slots. */
	if ((info.type != BPF_PROG_TYPE_XDP && info.type != BPF_PROG_TYPE_EXT) ||
	    strcmp(name, WGW_XDP_PROG_NAME))
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

/* The command name of a process ("?" when gone). */
static void proc_comm(long pid, char comm[16])
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "re");
	if (!f || !fgets(comm, 16, f))
		strcpy(comm, "?");
	else
		comm[strcspn(comm, "\n")] = '\0';
	if (f)
		fclose(f);
}

/*
 * Does a process other than this one hold a file descriptor of program
 * prog_id (the program's own fd, or a bpf_link's)?  A live gateway holds
 * its program's fd for as long as it runs, whichever way it attached, so
 * this tells a running gateway from a dead one's leftovers.  1 (the pid
 * and its command name in who/comm), 0, or a negative errno: -EACCES when
 * a process named like the daemon could not be looked at (a gateway with
 * capabilities we do not have, or outside our view: nobody can say its
 * program is unused), or /proc's errno.  Other processes whose fds cannot
 * be looked at (a container's init, say) are not gateways: skipped.
 */
static int prog_holder(__u32 prog_id, pid_t *who, char comm[16])
{
	char path[320], line[128], want[32];
	struct dirent *pe, *fe;
	DIR *proc, *fds;
	pid_t self = getpid();
	int n, err = 0;

	n = snprintf(want, sizeof(want), "prog_id:\t%u\n", prog_id);
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((pe = readdir(proc))) {
		char *end;
		long pid = strtol(pe->d_name, &end, 10);

		if (*end || pid <= 0 || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fdinfo", pid);
		fds = opendir(path);
		if (!fds) {
			if (errno != EACCES && errno != EPERM)
				continue;	/* exited meanwhile */
			proc_comm(pid, comm);
			if (!strcmp(comm, "wraith-gatewayd")) {
				*who = (pid_t)pid;
				err = -EACCES;
			}
			continue;
		}
		while ((fe = readdir(fds))) {
			FILE *f;
			bool hit = false;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%ld/fdinfo/%s", pid, fe->d_name);
			f = fopen(path, "re");
			if (!f)
				continue;
			while (fgets(line, sizeof(line), f))
				if (!strncmp(line, want, (size_t)n)) {
					hit = true;
					break;
				}
			fclose(f);
			if (hit) {
				closedir(fds);
				closedir(proc);
				*who = (pid_t)pid;
				proc_comm(pid, comm);
				return 1;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return err;
}

/* Log why a program of ours cannot be taken; -EBUSY or held's errno. */
static int holder_refuse(struct wgw_xdp *x, __u32 prog_id, const char *where, int held,
			 pid_t who, const char *comm)
{
	char ifn[IF_NAMESIZE];

	if (held > 0) {
		wgw_err("xdp: %s: our program (id %u%s) is held by process %d (%s): "
			"another gateway is running on this interface, or a tool "
			"holds its program", ifname(x->ifindex, ifn), prog_id, where,
			(int)who, comm);
		return -EBUSY;
	}
	if (held == -EACCES)
		wgw_err("xdp: %s: cannot tell whether our program (id %u%s) is in use: "
			"process %d (%s) cannot be looked at", ifname(x->ifindex, ifn),
			prog_id, where, (int)who, comm);
	else
		wgw_err("xdp: %s: cannot tell whether our program (id %u%s) is in use: %s",
			ifname(x->ifindex, ifn), prog_id, where, strerror(-held));
	return held;
}

/*
 * The libxdp multi-program state of the interface when it carries a libxdp
 * dispatcher (1, *out set; the caller closes it), 0 when it does not.
 */
static int dispatcher_get(int ifindex, struct xdp_multiprog **out)
{
	struct xdp_multiprog *mp;
	long err;

	*out = NULL;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err || !mp)
		return err == -ENOENT || !err ? 0 : (int)err;
	if (xdp_multiprog__is_legacy(mp)) {
		xdp_multiprog__close(mp);
		return 0;
	}
	*out = mp;
	return 1;
}

/*
 * Remove the gateway programs a dead gateway left in the interface's
 * dispatcher; -EBUSY when one belongs to a live one.
 */
static int dispatcher_clean(struct wgw_xdp *x, struct xdp_multiprog *mp)
{
	char name[BPF_OBJ_NAME_LEN], ifn[IF_NAMESIZE], comm[16];
	struct xdp_program *p;
	pid_t who = 0;
	int err, held;

	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp)) {
		__u32 id = xdp_program__id(p);

		if (!prog_is_ours(xdp_program__fd(p), name))
			continue;
		held = prog_holder(id, &who, comm);
		if (held)
			return holder_refuse(x, id, " in the libxdp dispatcher", held, who, comm);
		err = xdp_program__detach(p, x->ifindex, xdp_multiprog__attach_mode(mp), 0);
		if (err) {
			wgw_err("xdp: %s: cannot remove stale gateway program id %u from "
				"the libxdp dispatcher: %s", ifname(x->ifindex, ifn), id,
				strerror(-err));
			return err;
		}
		wgw_notice("xdp: %s: removed stale gateway program id %u from the libxdp "
			   "dispatcher (left by an earlier gateway)", ifname(x->ifindex, ifn), id);
	}
	return 0;
}

/*
 * Look at one program attached to our interface in one mode (xdp_flag)
 * and clear the way, or say why not.  *dispatcher is set when it is a
 * libxdp dispatcher that this instance may join.
 */
static int check_attached(struct wgw_xdp *x, __u32 prog_id, __u32 xdp_flag,
			  const char *how, enum wgw_xdp_mode want, bool *dispatcher)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, dopts);
	char name[BPF_OBJ_NAME_LEN], ifn[IF_NAMESIZE], comm[16];
	struct xdp_multiprog *mp;
	int fd, link_id, err, held;
	pid_t who = 0;
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
	if (!ours) {
		err = dispatcher_get(x->ifindex, &mp);
		if (err < 0) {
			wgw_err("xdp: %s: cannot read the %s program id %u through libxdp: %s",
				ifname(x->ifindex, ifn), how, prog_id, strerror(-err));
			goto out;
		}
		if (err > 0) {
			int count = xdp_multiprog__program_count(mp);

			if (x->share == WGW_XDP_SHARE_EXCLUSIVE) {
				err = -EEXIST;
				wgw_err("xdp: %s already has a libxdp dispatcher (id %u, %d "
					"program%s): left alone; xdp-attach shared or auto "
					"joins it", ifname(x->ifindex, ifn), prog_id, count,
					count == 1 ? "" : "s");
			} else if (xdp_flag != (want == WGW_XDP_MODE_NATIVE ?
						XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE)) {
				/* libxdp would replace it in the other mode,
				 * which the kernel refuses (EEXIST), and retry
				 * until it gives up with EBUSY.  Not supported in
				 * this mode: the ladder's next rung may join. */
				err = -EOPNOTSUPP;
				wgw_info("xdp: %s: the libxdp dispatcher (id %u) runs in %s "
					 "mode: joining it in %s mode is not possible",
					 ifname(x->ifindex, ifn), prog_id, how,
					 wgw_xdp_mode_name(want));
			} else {
				err = dispatcher_clean(x, mp);
				if (!err)
					*dispatcher = true;
			}
			xdp_multiprog__close(mp);
			goto out;
		}
	}
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
	/* Ours, attached through netlink: a gateway attached it through
	 * libxdp without a dispatcher, or one of old.  Stale unless a process
	 * still holds it. */
	held = prog_holder(prog_id, &who, comm);
	if (held) {
		err = holder_refuse(x, prog_id, "", held, who, comm);
		goto out;
	}
	/* The expected-id guard (XDP_FLAGS_REPLACE) makes the detach fail
	 * rather than remove a program attached since we looked. */
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

static int clear_way(struct wgw_xdp *x, enum wgw_xdp_mode want, bool *dispatcher)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char ifn[IF_NAMESIZE];
	int err;

	*dispatcher = false;
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
		err = check_attached(x, q.drv_prog_id, XDP_FLAGS_DRV_MODE, "native",
				     want, dispatcher);
		if (err)
			return err;
	}
	if (q.skb_prog_id) {
		err = check_attached(x, q.skb_prog_id, XDP_FLAGS_SKB_MODE, "generic",
				     want, dispatcher);
		if (err)
			return err;
	}
	return 0;
}

/* ------------------------------------------------------------ attach */

/* A driver without the mode is the ladder's business (it tries the next
 * rung): said at info level; anything else is an error. */
static void attach_failed(struct wgw_xdp *x, enum wgw_xdp_mode mode, int err, const char *via)
{
	char ifn[IF_NAMESIZE];

	if (err == -EOPNOTSUPP)
		wgw_info("xdp: %s: the driver has no %s XDP", ifname(x->ifindex, ifn),
			 wgw_xdp_mode_name(mode));
	else
		wgw_err("xdp: %s: cannot attach in %s mode%s: %s", ifname(x->ifindex, ifn),
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
		"the interface nor found in a dispatcher (%s)", ifname(x->ifindex, ifn),
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
	err = clear_way(x, mode, &dispatcher);
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
			ifname(x->ifindex, ifn), wgw_xdp_mode_name(mode),
			wgw_xdp_mode_name(got));
		err = -EPROTO;
	}
	if (err) {
		wgw_xdp_detach(x);
		return err;
	}
	if (x->how == WGW_XDP_HOW_LINK)
		wgw_info("xdp: %s: attached in %s mode (bpf_link)",
			 ifname(x->ifindex, ifn), wgw_xdp_mode_name(mode));
	else if (x->how == WGW_XDP_HOW_DISPATCHER)
		wgw_info("xdp: %s: attached in %s mode in libxdp's dispatcher "
			 "(priority %u)", ifname(x->ifindex, ifn),
			 wgw_xdp_mode_name(mode), x->priority);
	else
		wgw_notice("xdp: %s: attached in %s mode through libxdp without a "
			   "dispatcher (the kernel or bpffs does not allow one: see "
			   "libxdp's message above); the program runs alone",
			   ifname(x->ifindex, ifn), wgw_xdp_mode_name(mode));
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
			wgw_warn("xdp: %s: detach: %s", ifname(x->ifindex, ifn),
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
			wgw_warn("xdp: %s: detach: %s", ifname(x->ifindex, ifn),
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
				 "dispatcher: %s", ifname(x->ifindex, ifn), strerror(-err));
		libxdp_release(x);
		break;
	}
	x->how = WGW_XDP_HOW_NONE;
	return err;
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
	err = prog_info(fd, &info, NULL, 0);
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
			ifname(ifindex, ifn), ifname((int)cur.ifindex, (char[IF_NAMESIZE]){ 0 }),
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
			ifname(ifindex, ifn), strerror(-err));
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
			ifname(x->ifindex, ifn),
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
