/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Dropping privileges after set-up.  The daemon stays uid 0 (it owns files
 * under /run and writes per-interface sysctls under /proc/sys/net, which
 * uid 0 may do as their owner without a capability) but keeps only the
 * capabilities the running gateway uses (WGW_PRIVS_KEEP):
 *
 *   CAP_NET_ADMIN  netlink changes while running and at exit: re-confirming
 *                  next hops (RTM_NEWNEIGH with NTF_USE), deleting the NAT
 *                  address's route and proxy neighbour entry, restoring
 *                  the NIC settings (ethtool netlink) and, in fallback
 *                  mode, the TUN device's routes.
 *
 * Everything else is needed only before the workers start and is dropped
 * (measured on kernel 6.18: maps whose fds the daemon holds are read and
 * updated, and bpf_links released, without any capability):
 *   CAP_BPF, CAP_SYS_ADMIN  loading the XDP program, creating its maps,
 *                  inspecting a program already on the interface;
 *   CAP_NET_RAW    creating AF_XDP sockets;
 *   CAP_IPC_LOCK   registering a UMEM larger than RLIMIT_MEMLOCK;
 *   CAP_NET_BIND_SERVICE  binding VIP sockets and the metrics listener to
 *                  ports below 1024;
 *   and every other capability root has.
 *
 * Capabilities are per thread: call this on the thread that will create
 * the workers, before it creates them, so that they inherit the reduced
 * set.  The bounding set is cleared too (when CAP_SETPCAP allows it; under
 * systemd the unit's CapabilityBoundingSet= already did), and no_new_privs
 * is set, so nothing the daemon runs can get the capabilities back.
 */
#ifndef WGW_PRIVS_H
#define WGW_PRIVS_H

#include <linux/capability.h>

#define WGW_PRIVS_KEEP_NAMES "cap_net_admin"
/* CapEff as /proc/PID/status shows it. */
#define WGW_PRIVS_KEEP_MASK (1ull << CAP_NET_ADMIN)

/* 0, or a negative errno (the daemon then stops: it would run with more
 * privileges than documented). */
int wgw_privs_drop(void);

#endif
