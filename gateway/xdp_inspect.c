// SPDX-License-Identifier: GPL-2.0-only
/*
 * What an interface carries before the gateway attaches (see
 * wgw_xdp_attach() in gateway/xdp.h): is a program ours (by name and maps),
 * is it held by a bpf_link or by a live process (a scan of /proc), and
 * clearing out what a dead gateway left, attached alone or in a libxdp
 * dispatcher.  Anything not ours is left alone.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/libbpf.h>

#include "gateway/log.h"
#include "gateway/xdp_internal.h"

int wgw_xdp_prog_info(int fd, struct bpf_prog_info *info, __u32 *map_ids, __u32 nr_maps)
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
	if (wgw_xdp_prog_info(prog_fd, &info, NULL, 0))
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
	if (wgw_xdp_prog_info(prog_fd, &info, ids, nr))
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

int wgw_xdp_gateway_holding(uint32_t prog_id)
{
	char comm[16] = "";
	pid_t who = 0;

	if (prog_holder(prog_id, &who, comm) <= 0 || strcmp(comm, "wraith-gatewayd"))
		return 0;
	return (int)who;
}

/* Log why a program of ours cannot be taken; -EBUSY or held's errno. */
static int holder_refuse(struct wgw_xdp *x, __u32 prog_id, const char *where, int held,
			 pid_t who, const char *comm)
{
	char ifn[IF_NAMESIZE];

	if (held > 0) {
		wgw_err("xdp: %s: our program (id %u%s) is held by process %d (%s): "
			"another gateway is running on this interface, or a tool "
			"holds its program", wgw_xdp_ifname(x->ifindex, ifn), prog_id, where,
			(int)who, comm);
		return -EBUSY;
	}
	if (held == -EACCES)
		wgw_err("xdp: %s: cannot tell whether our program (id %u%s) is in use: "
			"process %d (%s) cannot be looked at", wgw_xdp_ifname(x->ifindex, ifn),
			prog_id, where, (int)who, comm);
	else
		wgw_err("xdp: %s: cannot tell whether our program (id %u%s) is in use: %s",
			wgw_xdp_ifname(x->ifindex, ifn), prog_id, where, strerror(-held));
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
				"the libxdp dispatcher: %s", wgw_xdp_ifname(x->ifindex, ifn), id,
				strerror(-err));
			return err;
		}
		wgw_notice("xdp: %s: removed stale gateway program id %u from the libxdp "
			   "dispatcher (left by an earlier gateway)", wgw_xdp_ifname(x->ifindex, ifn), id);
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
			"attached: %s%s", wgw_xdp_ifname(x->ifindex, ifn), how, prog_id,
			strerror(-err), err == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		return err;
	}
	ours = prog_is_ours(fd, name);
	if (!ours) {
		err = dispatcher_get(x->ifindex, &mp);
		if (err < 0) {
			wgw_err("xdp: %s: cannot read the %s program id %u through libxdp: %s",
				wgw_xdp_ifname(x->ifindex, ifn), how, prog_id, strerror(-err));
			goto out;
		}
		if (err > 0) {
			int count = xdp_multiprog__program_count(mp);

			if (x->share == WGW_XDP_SHARE_EXCLUSIVE) {
				err = -EEXIST;
				wgw_err("xdp: %s already has a libxdp dispatcher (id %u, %d "
					"program%s): left alone; xdp-attach shared or auto "
					"joins it", wgw_xdp_ifname(x->ifindex, ifn), prog_id, count,
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
					 wgw_xdp_ifname(x->ifindex, ifn), prog_id, how,
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
			wgw_xdp_ifname(x->ifindex, ifn), strerror(-err),
			err == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		goto out;
	}
	if (!ours) {
		err = -EEXIST;
		wgw_err("xdp: %s already has a %s XDP program '%s' (id %u%s): "
			"not ours, left alone",
			wgw_xdp_ifname(x->ifindex, ifn), how, name, prog_id,
			link_id ? ", held by a bpf_link" : "");
		goto out;
	}
	if (link_id) {
		err = -EBUSY;
		/* The link's fd shows the program's id too: its holder is
		 * the gateway that attached it. */
		char of[48] = "";

		if (prog_holder(prog_id, &who, comm) > 0) {
			snprintf(of, sizeof(of), " of process %d (%.15s)", (int)who, comm);
		}
		wgw_err("xdp: %s: our program (id %u) is held by live bpf_link "
			"id %d%s: another gateway is running on this interface",
			wgw_xdp_ifname(x->ifindex, ifn), prog_id, link_id, of);
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
			wgw_xdp_ifname(x->ifindex, ifn), prog_id, strerror(-err));
		goto out;
	}
	wgw_notice("xdp: %s: detached stale %s gateway program id %u "
		   "(left by an earlier gateway)", wgw_xdp_ifname(x->ifindex, ifn), how,
		   prog_id);
out:
	close(fd);
	return err;
}

int wgw_xdp_clear_way(struct wgw_xdp *x, enum wgw_xdp_mode want, bool *dispatcher)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char ifn[IF_NAMESIZE];
	int err;

	*dispatcher = false;
	err = bpf_xdp_query(x->ifindex, 0, &q);
	if (err) {
		err = -errno;
		wgw_err("xdp: %s: cannot query attached programs: %s",
			wgw_xdp_ifname(x->ifindex, ifn), strerror(-err));
		return err;
	}
	if (q.hw_prog_id) {
		/* Offloaded programs are never a gateway's. */
		wgw_err("xdp: %s has an offloaded XDP program (id %u): left alone",
			wgw_xdp_ifname(x->ifindex, ifn), q.hw_prog_id);
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
