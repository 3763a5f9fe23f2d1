/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Dropping privileges after set-up.  The daemon stays uid 0 (it owns files
 * under /run and writes per-interface sysctls under /proc/sys/net, which
 * uid 0 may do as their owner without a capability) but keeps only the
 * capabilities the running gateway uses.  The running gateway does more
 * than undo its set-up at exit: when an interface is deleted and created
 * again, or its XDP program or an AF_XDP socket fails, the control thread
 * rebuilds the data path (dp_rebuild) by the same steps as the start, so
 * those steps' capabilities stay:
 *
 *   CAP_NET_ADMIN  netlink changes (re-confirming next hops with NTF_USE,
 *                  the NAT address's route and proxy neighbour entry, the
 *                  TUN device, ethtool settings), attaching XDP, and
 *                  undoing all of it at exit;
 *   CAP_BPF        loading the XDP program and creating its maps again on a
 *                  rebuilt interface;
 *   CAP_PERFMON    the verifier refuses that program without it (EACCES:
 *                  the pointer rules for unprivileged programs apply);
 *   CAP_NET_RAW    creating AF_XDP sockets again;
 *   CAP_IPC_LOCK   registering UMEM again past RLIMIT_MEMLOCK;
 *   CAP_NET_BIND_SERVICE  only when a VIP port is below 1024: the UDP
 *                  sockets of the fallback path bind the VIPs again.
 *   CAP_SYS_ADMIN  only with xdp-attach shared, or when an interface joined
 *                  a libxdp dispatcher at start: libxdp reads and rebuilds
 *                  the dispatcher by program id (BPF_PROG_GET_FD_BY_ID),
 *                  also to take our program out of it at exit.
 *
 * Dropped (measured on kernel 6.18: reading and updating the maps whose
 * fds the daemon holds, XDP_STATISTICS, bpf_link release and the
 * rebuilds above need none of them): CAP_SYS_ADMIN otherwise (only to inspect a
 * foreign program already attached: a rebuild without it attaches where
 * nothing is, and refuses, as at start, where something is), CAP_SYS_NICE,
 * CAP_DAC_OVERRIDE, CAP_SYS_MODULE, CAP_SYS_PTRACE, CAP_SETUID and every
 * other capability root has.
 *
 * Capabilities are per thread: call this on the thread that will create
 * the workers, before it creates them, so that they inherit the reduced
 * set.  The bounding set is reduced to the same (when CAP_SETPCAP allows
 * it; under systemd the unit's CapabilityBoundingSet= already bounds it),
 * and no_new_privs is set, so nothing the daemon runs can get more.
 */
#ifndef WGW_PRIVS_H
#define WGW_PRIVS_H

#include <stdint.h>
#include <linux/capability.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38	/* linux/capability.h of Linux >= 5.8 */
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

struct wgw_config;

#include <stdbool.h>

/* The kept set as /proc/PID/status shows CapEff, for this configuration;
 * dispatcher: an interface is in a libxdp dispatcher. */
uint64_t wgw_privs_keep_mask(const struct wgw_config *cfg, bool dispatcher);

/* 0, or a negative errno (the daemon then stops: it would run with more
 * privileges than documented, or without ones it needs). */
int wgw_privs_drop(const struct wgw_config *cfg, bool dispatcher);

#endif
