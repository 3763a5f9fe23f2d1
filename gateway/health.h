/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Backend health: is the WRAITH node behind each backend alive?
 *
 * Kept apart from the admin state (up / drain / removed): a backend can be
 * admin up and health down.  Everything here runs on the control thread:
 * wgw_health_tick() from its loop, the probe and ICMP sockets in its poll
 * set.  The data path learns of a change only through the callback given to
 * wgw_health_create(), which the daemon maps to wgw_engine_backend_set_health()
 * (no new endpoints, mappings and CID bindings released).
 *
 * Signals, each one a failed or passed "result" of a round (one round every
 * interval per backend); fall consecutive failures make a backend down, rise
 * consecutive passes healthy again, so one lost probe or one ICMP burst does
 * not flap it.  The first failure makes a healthy backend suspect:
 *  - passive: the workers' per-backend packet counters (which exist anyway):
 *    traffic sent for passive_timeout seconds without one packet back;
 *  - ICMP destination unreachable (port, host, net) quoting a datagram to the
 *    backend's address:port, read from a packet socket on the LAN side;
 *  - the kernel's neighbour state of the backend's next hop (FAILED);
 *  - with check = udp, a probe datagram per round from a connected UDP
 *    socket: an ICMP error (ECONNREFUSED, EHOSTUNREACH, ...) fails, silence
 *    passes (a WRAITH node never answers it: WGW_HEALTH_PROBE_CID).
 */
#ifndef WGW_HEALTH_H
#define WGW_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "gateway/addr.h"

enum wgw_health_state {
	WGW_HEALTH_HEALTHY = 0,
	WGW_HEALTH_SUSPECT,
	WGW_HEALTH_DOWN,
};

/* Why the state last changed. */
enum wgw_health_reason {
	WGW_HREASON_NONE = 0,		/* (start) */
	WGW_HREASON_ALIVE,		/* rise passed rounds */
	WGW_HREASON_PORT_UNREACH,	/* ICMP port unreachable: no node process */
	WGW_HREASON_HOST_UNREACH,	/* ICMP host / net unreachable */
	WGW_HREASON_NEIGH_FAILED,	/* next hop unresolvable */
	WGW_HREASON_NO_REPLIES,		/* passive: traffic sent, nothing back */
	WGW_HREASON_FORCED,		/* backends down ADDR:PORT */
	WGW_HREASON_RELEASED,		/* backends up ADDR:PORT */
	WGW_HREASON_MAX
};

enum wgw_health_check {
	WGW_HEALTH_CHECK_UDP = 0,
	WGW_HEALTH_CHECK_NONE,
};

const char *wgw_health_state_name(enum wgw_health_state s);
const char *wgw_health_reason_name(enum wgw_health_reason r);
/* "udp" / "none" -> 0 and *out, or -EINVAL. */
int wgw_health_check_parse(const char *s, enum wgw_health_check *out);
const char *wgw_health_check_name(enum wgw_health_check c);

struct wgw_health_cfg {
	enum wgw_health_check check;
	uint32_t interval_ms;		/* one round per backend */
	uint32_t fall, rise;		/* consecutive results, >= 1 */
	uint32_t passive_timeout_ms;
};
#define WGW_HEALTH_INTERVAL_S 2		/* seconds */
#define WGW_HEALTH_FALL 2
#define WGW_HEALTH_RISE 2
#define WGW_HEALTH_PASSIVE_TIMEOUT_S 3	/* seconds */
void wgw_health_cfg_default(struct wgw_health_cfg *c);

/*
 * The probe: an 8-byte CID of 0 (WRAITH's "invalid" CID, never a session
 * and never a handshake, so a node drops it before any cryptography) and a
 * 16-byte tag, 24 bytes in all: the protocol's minimum payload, and not the
 * length of a bare Noise message (32, 64, 96), so a node that accepts those
 * does not take it for one either.
 */
#define WGW_HEALTH_PROBE_CID 0x0000000000000000ULL
#define WGW_HEALTH_PROBE_LEN 24
extern const uint8_t wgw_health_probe[WGW_HEALTH_PROBE_LEN];

/* ---- the state machine of one backend (pure) ------------------------- */

struct wgw_health_sm {
	enum wgw_health_state state;
	enum wgw_health_reason reason;
	time_t since;			/* wall clock of the last change */
	uint32_t fails, passes;		/* consecutive */
	bool forced;			/* forced down until released */
	uint64_t transitions;
};

/* Feed one round's result: fail is WGW_HREASON_NONE for a pass, else the
 * reason of the failure.  Returns true when the state changed. */
bool wgw_health_sm_result(struct wgw_health_sm *sm, const struct wgw_health_cfg *cfg,
			  enum wgw_health_reason fail, time_t now);
/* Force down (true) until released (false), which makes the backend
 * healthy at once.  Returns true when the state changed. */
bool wgw_health_sm_force(struct wgw_health_sm *sm, bool down, time_t now);

/* ---- ICMP errors ------------------------------------------------------ */

/* Parse an ICMP destination unreachable about a UDP datagram: buf is the IP
 * packet (IPv4, or with v6 IPv6, header first).  On success fills
 * the quoted datagram's destination and destination port (host order) and
 * returns the reason (port or host unreachable); WGW_HREASON_NONE for
 * anything else (other types, truncated, not UDP). */
enum wgw_health_reason wgw_health_parse_icmp(const uint8_t *buf, size_t len, bool v6,
					     union wgw_addr *dst, uint16_t *dport);
/* The reason for a connected UDP socket's error (errno): none for one that
 * says nothing about the backend. */
enum wgw_health_reason wgw_health_errno_reason(int err);

/* ---- the set of backends ------------------------------------------------ */

struct wgw_health;

struct wgw_health_ops {
	/* Apply "down" (true) or "back" (false) to the data path. */
	int (*apply)(void *arg, const union wgw_addr *a, uint16_t port, bool down);
	/* The next hop's neighbour state: 0 resolved or pending, < 0 failed
	 * (-EHOSTUNREACH, -ENETUNREACH).  May be NULL. */
	int (*neigh)(void *arg, const union wgw_addr *a);
};

/* The counters one backend shows (for `backends`, metrics). */
struct wgw_health_info {
	enum wgw_health_state state;
	enum wgw_health_reason reason;
	time_t since;
	bool forced;
	uint64_t transitions;
	uint64_t probes, probe_fails;	/* probes sent, rounds that failed */
};

/* NULL and errno on failure.  v6: the family of the backends (engine);
 * lan_ifindex: where ICMP errors about them arrive (0: read none).  Needs
 * CAP_NET_RAW for the ICMP reader (created here, before privileges are
 * dropped); without it, probes, neighbours and counters remain. */
struct wgw_health *wgw_health_create(const struct wgw_health_cfg *cfg, bool v6, int lan_ifindex,
				     const struct wgw_health_ops *ops, void *arg);
void wgw_health_destroy(struct wgw_health *h);
/* Reload: takes effect at each backend's next round. */
void wgw_health_set_cfg(struct wgw_health *h, const struct wgw_health_cfg *cfg);

/* Follow the backend set: call with every configured backend and its
 * packet counters (to it, from it) on every tick; backends not seen for a
 * tick are forgotten. */
void wgw_health_begin(struct wgw_health *h);
void wgw_health_seen(struct wgw_health *h, const union wgw_addr *a, uint16_t port,
		     bool admin_up, uint64_t pkts_to, uint64_t pkts_from);
/* Rounds due by now (monotonic ms); returns the ms until the next one. */
uint32_t wgw_health_tick(struct wgw_health *h, uint64_t now_ms);

/* One fd for poll(2) (POLLIN): readable when a socket of the set is. */
int wgw_health_fd(const struct wgw_health *h);
/* Drain every readable socket (ICMP reader, probe errors). */
void wgw_health_process(struct wgw_health *h);

/* No verdict before until_ms (monotonic ms; UINT64_MAX: until called
 * again): the gateway's own LAN link is down or just came back, so failed
 * probes and silence say nothing about the backends.  Rounds start afresh
 * when the hold ends; states (and forced states) are kept. */
void wgw_health_hold(struct wgw_health *h, uint64_t until_ms);

/* Force (down) / release (!down) a backend: 0, -ENOENT. */
int wgw_health_force(struct wgw_health *h, const union wgw_addr *a, uint16_t port, bool down);
/* 0 and *out, or -ENOENT. */
int wgw_health_get(const struct wgw_health *h, const union wgw_addr *a, uint16_t port,
		   struct wgw_health_info *out);

struct wgw_health_stats {
	uint64_t transitions;
	uint64_t probes, probe_fails;
	uint64_t icmp_errors;		/* ICMP errors about a backend */
	uint64_t fail_open;		/* times every up backend was down */
	unsigned n_down;
};
void wgw_health_get_stats(const struct wgw_health *h, struct wgw_health_stats *st);

#endif
