/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The XDP classifier's loader: loads the program embedded in the daemon
 * (bpf/wraith_xdp.bpf.c, through its bpftool skeleton) for one interface,
 * attaches it, configures the addresses it steers and reads its counters.
 *
 * One struct wgw_xdp per interface: each has its own program instance and
 * maps, because an XSKMAP entry can only take packets from the device its
 * socket is bound to.  When WAN and LAN are the same interface, one instance
 * carries the VIPs and the NAT range alike.
 *
 * Two ways onto an interface (enum wgw_xdp_share):
 *  - EXCLUSIVE: the program alone, through a bpf_link, so it goes away with
 *    the last file descriptor: a SIGKILLed gateway leaves nothing on the
 *    interface.  No other XDP program can share the interface meanwhile.
 *  - SHARED: through libxdp, which puts the program into its multi-program
 *    dispatcher (freplace), next to other libxdp users' programs (xdp-filter,
 *    xdpdump, ...).  The gateway runs at its priority and passes on what it
 *    does not steer (XDP_RUN_CONFIG in bpf/wraith_xdp.bpf.c).  Where the
 *    kernel refuses the dispatcher (freplace not allowed, no bpffs), libxdp
 *    attaches the program alone through netlink.  Either way the attachment
 *    outlives a SIGKILLed gateway; the next start finds it (below).
 * AUTO is SHARED when the interface already carries a libxdp dispatcher and
 * EXCLUSIVE otherwise.  The SHARED instance is a second load of the same
 * object whose maps are the first one's, so everything below (destinations,
 * XSKMAP, counters) is the same whichever way it was attached.
 *
 * Not thread-safe: the caller serialises calls on one instance, except for
 * wgw_xdp_read_counters() and the fd getters, which may run concurrently
 * with anything but wgw_xdp_close().
 */
#ifndef WGW_XDP_H
#define WGW_XDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/wraith_shared.h"
#include "gateway/addr.h"

struct wgw_xdp;

enum wgw_xdp_share {
	WGW_XDP_SHARE_AUTO = 0,
	WGW_XDP_SHARE_EXCLUSIVE,
	WGW_XDP_SHARE_SHARED,
};

/* How an instance ended up attached. */
enum wgw_xdp_how {
	WGW_XDP_HOW_NONE = 0,
	WGW_XDP_HOW_LINK,	/* alone, bpf_link */
	WGW_XDP_HOW_DISPATCHER,	/* in libxdp's dispatcher */
	WGW_XDP_HOW_SINGLE,	/* through libxdp, alone (no dispatcher here) */
};

enum wgw_xdp_mode {
	WGW_XDP_MODE_NONE = 0,	/* not attached (only reported) */
	WGW_XDP_MODE_NATIVE,	/* driver mode, XDP_FLAGS_DRV_MODE */
	WGW_XDP_MODE_GENERIC,	/* SKB mode, XDP_FLAGS_SKB_MODE */
};

/*
 * Route libbpf's and libxdp's messages through the daemon's logger
 * (gateway/log.h); once is enough, more calls do nothing.  wgw_xdp_open()
 * calls it; call it first where libbpf or libxdp is used before that
 * (AF_XDP sockets, a probe).
 */
void wgw_xdp_log_init(void);

/* "native", "generic", "none". */
const char *wgw_xdp_mode_name(enum wgw_xdp_mode mode);

/*
 * Load the embedded program and its maps for interface ifindex (0: load
 * only, for BPF_PROG_TEST_RUN; attaching then fails with -EINVAL).  Nothing
 * is attached yet.  0 or a negative errno (-EPERM without CAP_BPF/CAP_SYS_ADMIN,
 * -ENOMEM, or what the verifier said, logged).
 */
int wgw_xdp_open(struct wgw_xdp **out, int ifindex);

/*
 * How the next wgw_xdp_attach() goes on the interface, and the priority in
 * libxdp's dispatcher (lower runs first; libxdp's default is 50).  Default:
 * AUTO, 50.  -EALREADY when attached, -EINVAL for a bad value.
 */
#define WGW_XDP_MAX_PRIORITY 10000
int wgw_xdp_set_share(struct wgw_xdp *x, enum wgw_xdp_share share, unsigned int priority);

/* How this instance is attached now; "bpf_link", "libxdp dispatcher",
 * "libxdp, no dispatcher", "none". */
enum wgw_xdp_how wgw_xdp_attached_how(const struct wgw_xdp *x);
const char *wgw_xdp_how_name(enum wgw_xdp_how how);

/* Detach (when attached) and free everything.  NULL is ignored. */
void wgw_xdp_close(struct wgw_xdp *x);

/*
 * Attach in the given mode (NATIVE or GENERIC), after looking at what the
 * interface already has:
 *  - nothing: attach;
 *  - our program attached through netlink or inside a libxdp dispatcher,
 *    with no process holding a file descriptor of it (a gateway that was
 *    SIGKILLed in SHARED mode, or a tool): stale; detached (guarded by its
 *    id, so a concurrent change is not undone), logged, then attach;
 *  - our program held by a live bpf_link, or by another process's file
 *    descriptor: -EBUSY (another gateway runs);
 *  - a libxdp dispatcher: joined in SHARED and AUTO (stale gateway programs
 *    in it removed first as above); -EEXIST in EXCLUSIVE;
 *  - any other program: -EEXIST, logged with its name and id; untouched.
 * Other results: -EALREADY (this instance is attached), -EOPNOTSUPP (the
 * driver has no native XDP: the caller may try GENERIC), -EINVAL (ifindex 0,
 * bad mode), -ENODEV, -EPERM (inspecting a program already attached needs
 * CAP_SYS_ADMIN; an empty interface needs only CAP_BPF + CAP_NET_ADMIN), or
 * another negative errno from the kernel (-EBUSY too, should a program be
 * attached between the inspection and the attach).
 */
int wgw_xdp_attach(struct wgw_xdp *x, enum wgw_xdp_mode mode);

/* The pid of a running wraith-gatewayd (other than this one) holding the
 * XDP program prog_id, or 0 (none, or another kind of process). */
int wgw_xdp_gateway_holding(uint32_t prog_id);

/* Detach; 0 when detached or never attached. */
int wgw_xdp_detach(struct wgw_xdp *x);

/*
 * Takeover (an upgrade in place).  The running daemon hands its bpf_link
 * over (wgw_xdp_link_fd(); -1 when attached otherwise); the new one puts
 * its own program, configured, on that link in one step
 * (wgw_xdp_adopt_link(): BPF_LINK_UPDATE, so the interface is never without
 * a program) and owns the link from then on; the old one, if the new one
 * fails, puts its program back (wgw_xdp_relink()), or, once the new one
 * serves, lets go of the link without detaching it (wgw_xdp_disown()).
 * 0 or a negative errno; adopt leaves link_fd to the caller on failure.
 */
int wgw_xdp_link_fd(const struct wgw_xdp *x);
int wgw_xdp_adopt_link(struct wgw_xdp *x, int link_fd, enum wgw_xdp_mode mode);
int wgw_xdp_relink(struct wgw_xdp *x);
void wgw_xdp_disown(struct wgw_xdp *x);

/*
 * Ask the kernel in which mode this instance's program is attached to its
 * interface (NONE when it is not, e.g. after the interface went away).
 * 0 or a negative errno.
 */
int wgw_xdp_query_mode(struct wgw_xdp *x, enum wgw_xdp_mode *mode);

/*
 * Destinations the program steers: address + inclusive host-order port
 * range, with a role (WGW_XDP_ROLE_VIP on the WAN side, WGW_XDP_ROLE_NAT on
 * the LAN side).  Every change is written to the map before it returns and
 * applies to the next packet; a replaced set is written new-entries-first,
 * so a destination present before and after never stops being steered.
 *
 * Errors: -EINVAL (port 0, lo > hi, bad role), -EEXIST (overlaps a range on
 * the same address, whatever its role), -ENOSPC (more than
 * WGW_XDP_MAX_DESTS addresses or WGW_XDP_MAX_RANGES ranges on one address),
 * -ENOENT (del of a range not configured), or a map update's errno.  On
 * error the configuration is unchanged.
 */
struct wgw_xdp_dst {
	union wgw_addr addr;
	uint16_t port_lo, port_hi;
};

int wgw_xdp_add_dst(struct wgw_xdp *x, enum wgw_xdp_role role,
		    const union wgw_addr *a, uint16_t port_lo, uint16_t port_hi);
int wgw_xdp_del_dst(struct wgw_xdp *x, enum wgw_xdp_role role,
		    const union wgw_addr *a, uint16_t port_lo, uint16_t port_hi);
/* Replace every destination of one role by the n in v (n == 0: remove). */
int wgw_xdp_set_dsts(struct wgw_xdp *x, enum wgw_xdp_role role,
		     const struct wgw_xdp_dst *v, size_t n);

static inline int wgw_xdp_add_vip(struct wgw_xdp *x, const union wgw_addr *a,
				  uint16_t port_lo, uint16_t port_hi)
{
	return wgw_xdp_add_dst(x, WGW_XDP_ROLE_VIP, a, port_lo, port_hi);
}

static inline int wgw_xdp_clear_vips(struct wgw_xdp *x)
{
	return wgw_xdp_set_dsts(x, WGW_XDP_ROLE_VIP, NULL, 0);
}

/* The NAT address and port range (replaces the previous one). */
static inline int wgw_xdp_set_nat(struct wgw_xdp *x, const union wgw_addr *a,
				  uint16_t port_lo, uint16_t port_hi)
{
	struct wgw_xdp_dst d = { .addr = *a, .port_lo = port_lo, .port_hi = port_hi };

	return wgw_xdp_set_dsts(x, WGW_XDP_ROLE_NAT, &d, 1);
}

/*
 * Handshake flood protection (bpf/wraith_shared.h): at most burst
 * handshakes at once, then rate_per_s per second, from one source (an
 * IPv4 address or an IPv6 /64) to the VIPs of this instance; the excess
 * is dropped in XDP and counted as WGW_XDP_CNT_VIP_DROP_HS_RATE.
 * rate_per_s == 0 turns the limit off (the default); burst == 0 means one
 * second's worth (burst = rate_per_s).  Applies to the next packet; the
 * buckets of known sources are kept.  0, -EINVAL (rate_per_s over
 * 1000000000), or the map update's errno.
 */
int wgw_xdp_set_handshake_limit(struct wgw_xdp *x, uint32_t rate_per_s, uint32_t burst);

/*
 * The program steers only frames sent to the MAC address of the interface
 * they arrived on (bpf/wraith_shared.h wgw_ifmacs).  wgw_xdp_attach() reads
 * the instance's interface's MAC from the kernel and sets it.  When it
 * changes (RTM_NEWLINK with a new IFLA_ADDRESS), call
 * wgw_xdp_refresh_mac(), or wgw_xdp_set_if_mac() with the new address:
 * until then frames to the new MAC go to the kernel's path (counted
 * pass_otherhost), nothing is lost.
 *
 * wgw_xdp_set_if_mac(): set the MAC of ifindex (any interface this object
 * serves; tests use the loopback's index, which BPF_PROG_TEST_RUN reports
 * as the ingress), mac NULL to remove it.  0, -EINVAL (ifindex <= 0, a
 * group address), -EBUSY (another interface holds the slot of ifindex:
 * ifindex % WGW_XDP_MAX_IFS), or the map's errno.
 * wgw_xdp_refresh_mac(): read and set the instance's own interface's MAC.
 * 0, -EINVAL (opened with ifindex 0), -ENXIO/-ENODEV (no such interface),
 * -EPFNOSUPPORT (not Ethernet), or the map update's errno.
 */
int wgw_xdp_set_if_mac(struct wgw_xdp *x, int ifindex, const uint8_t mac[6]);
int wgw_xdp_refresh_mac(struct wgw_xdp *x);

/* File descriptors, owned by the instance (do not close). */
int wgw_xdp_xskmap_fd(const struct wgw_xdp *x);	/* xsk_socket__update_xskmap() */
int wgw_xdp_prog_fd(const struct wgw_xdp *x);	/* bpf_prog_test_run_opts() */
/* The program attached to the interface (the same as wgw_xdp_prog_fd() for
 * a bpf_link, the second load sharing its maps through libxdp); -1 when not
 * attached. */
int wgw_xdp_attached_prog_fd(const struct wgw_xdp *x);
int wgw_xdp_ifindex(const struct wgw_xdp *x);

/*
 * The program's counters summed over CPUs, indexed by enum wgw_xdp_counter
 * (bpf/wraith_shared.h).  0 or a negative errno.
 */
int wgw_xdp_read_counters(const struct wgw_xdp *x, uint64_t out[WGW_XDP_CNT_MAX]);

/* "pass", "vip_redirect", ...; NULL when idx >= WGW_XDP_CNT_MAX. */
const char *wgw_xdp_counter_name(unsigned int idx);
/* The verdict counter (PASS, DROP or REDIRECT) that counter idx belongs to;
 * WGW_XDP_CNT_MAX when idx is out of range. */
unsigned int wgw_xdp_counter_verdict(unsigned int idx);

/*
 * Capture of the program's drops (wraith_shared.h wgw_capture): on, the
 * program copies every frame it drops, up to snaplen bytes, with its
 * reason, into its ring buffer; off, it only pays one array lookup per
 * drop.  0 or a negative errno.
 */
int wgw_xdp_capture_set(struct wgw_xdp *x, bool on, uint32_t snaplen);
/* The ring buffer map's descriptor (BPF_MAP_TYPE_RINGBUF of struct
 * wgw_xdp_cap_rec), owned by x. */
int wgw_xdp_capture_ring_fd(const struct wgw_xdp *x);
/* The flag map's descriptor (struct wgw_xdp_capture at key 0), owned by x. */
int wgw_xdp_capture_flag_fd(const struct wgw_xdp *x);
/* wgw_xdp_capture_set() on the flag map fd (a descriptor of one's own:
 * the program may be gone); *lost (unless NULL) gets the records the
 * program lost to a full ring so far. */
int wgw_xdp_capture_flag(int fd, bool on, uint32_t snaplen, uint64_t *lost);

#endif
