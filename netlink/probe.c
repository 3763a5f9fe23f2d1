// SPDX-License-Identifier: GPL-2.0-only
/*
 * Capability probe: link (rtnetlink), driver (ETHTOOL_GDRVINFO: the one
 * thing ethtool-netlink has no message for), NUMA node (sysfs), channels,
 * rings, coalescing, features (ethtool-netlink), xdp-features (netdev
 * family), and the rung of the mode ladder; text and JSON output.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/netdev.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>

#include "gateway/doc.h"
#include "gateway/log.h"
#include "netlink/probe.h"
#include "netlink/rtnl.h"
#include "netlink/sysctl.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* <linux/if.h>, which clashes with <net/if.h> */
#endif

static const char *const rung_names[] = { WGW_RUNG_NAME_LIST };
_Static_assert(sizeof(rung_names) / sizeof(rung_names[0]) == WGW_RUNG_FALLBACK + 1,
	       "a name for every rung");

const char *wgw_rung_name(enum wgw_rung r)
{
	return r <= WGW_RUNG_FALLBACK ? rung_names[r] : "?";
}

int wgw_rung_parse(const char *s, enum wgw_rung *r)
{
	unsigned i;

	for (i = 0; i <= WGW_RUNG_FALLBACK; i++) {
		if (!strcmp(s, rung_names[i])) {
			*r = (enum wgw_rung)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ----------------------------------------------------- driver and NUMA */

static void driver_query(const char *ifname, struct wgw_probe *p)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&di;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0) {
		di.driver[sizeof(di.driver) - 1] = '\0';
		di.bus_info[sizeof(di.bus_info) - 1] = '\0';
		snprintf(p->driver, sizeof(p->driver), "%s", di.driver);
		snprintf(p->bus_info, sizeof(p->bus_info), "%s", di.bus_info);
	}
	close(fd);
}

/* sysfs shows the namespace it was mounted in, not necessarily ours: trust
 * it only when the ifindex there is the one netlink gave. */
static int numa_query(const char *ifname, int ifindex)
{
	char path[96], buf[16];
	int node;

	snprintf(path, sizeof(path), "/sys/class/net/%s/ifindex", ifname);
	if (wgw_sysctl_read(path, buf, sizeof(buf)) || atoi(buf) != ifindex)
		return -1;
	snprintf(path, sizeof(path), "/sys/class/net/%s/device/numa_node",
		 ifname);
	if (wgw_sysctl_read(path, buf, sizeof(buf)))
		return -1;
	node = atoi(buf);
	return node >= 0 ? node : -1;
}

/* ------------------------------------------------------------ decision */

enum wgw_rung wgw_probe_rung(const struct wgw_probe *p, uint32_t own_prog_id,
			     char *why, size_t len)
{
	uint64_t f = p->xdp.xdp_features;

	if (p->netdev_err) {
		snprintf(why, len, "xdp-features unknown (netdev family: %s)",
			 strerror(-p->netdev_err));
		return WGW_RUNG_FALLBACK;
	}
	if (p->link.arptype != ARPHRD_ETHER) {
		snprintf(why, len, "not an Ethernet device (type %u)",
			 p->link.arptype);
		return WGW_RUNG_FALLBACK;
	}
	if (p->link.xdp_prog_id && p->link.xdp_prog_id != own_prog_id) {
		snprintf(why, len, "foreign XDP program id %u attached",
			 p->link.xdp_prog_id);
		return WGW_RUNG_FALLBACK;
	}
	if (!p->mtu_ok) {
		snprintf(why, len, "MTU %u above %u, the most a %u-byte AF_XDP frame with %u "
			 "bytes of headroom holds", p->link.mtu, p->xdp_max_mtu, p->frame_size,
			 p->frame_headroom);
		return WGW_RUNG_FALLBACK;
	}
	if (f & NETDEV_XDP_ACT_XSK_ZEROCOPY) {
		snprintf(why, len, "driver supports AF_XDP zero-copy");
		return WGW_RUNG_XDP_ZEROCOPY;
	}
	if ((f & NETDEV_XDP_ACT_BASIC) && (f & NETDEV_XDP_ACT_REDIRECT)) {
		snprintf(why, len, "native XDP with redirect, no zero-copy");
		return WGW_RUNG_XDP_COPY;
	}
	snprintf(why, len, "no native XDP redirect: generic (SKB) XDP");
	return WGW_RUNG_XDP_GENERIC;
}

/* RX queues an AF_XDP socket can bind.  ethtool counts rx-only and
 * combined channels separately, but veth reports combined = min(rx, tx) on
 * top of rx: a sum above the allocated queue count means overlap. */
static uint32_t queue_count(uint32_t rx, uint32_t combined, uint32_t alloc)
{
	uint32_t sum = rx + combined;

	if (alloc && sum > alloc)
		return rx > combined ? rx : combined;
	return sum;
}

int wgw_probe(const char *ifname, uint32_t frame_size, uint32_t frame_headroom,
	      struct wgw_probe *p)
{
	struct wgw_genl g;
	int err;

	memset(p, 0, sizeof(*p));
	p->numa_node = -1;
	if (strlen(ifname) >= IF_NAMESIZE)
		return -ENODEV;
	err = wgw_rtnl_link_query(ifname, &p->link);
	if (err)
		return err == -ENODEV || err == -ENOENT ? -ENODEV : err;
	driver_query(ifname, p);
	p->numa_node = numa_query(ifname, p->link.ifindex);

	err = wgw_genl_open(&g);
	if (err)
		return err;
	p->channels_err = wgw_ethtool_get(&g, WGW_ETHNL_CHANNELS,
					  p->link.ifindex, &p->channels);
	p->rings_err = wgw_ethtool_get(&g, WGW_ETHNL_RINGS, p->link.ifindex,
				       &p->rings);
	p->coalesce_err = wgw_ethtool_get(&g, WGW_ETHNL_COALESCE,
					  p->link.ifindex, &p->coalesce);
	p->linkinfo_err = wgw_ethtool_get(&g, WGW_ETHNL_LINKINFO,
					  p->link.ifindex, &p->linkinfo);
	p->features_err = wgw_ethtool_features_get(&g, p->link.ifindex,
						   &p->features);
	p->netdev_err = wgw_netdev_get(&g, p->link.ifindex, &p->xdp);
	wgw_genl_close(&g);

	if (!p->channels_err) {
		const struct wgw_ethnl_vals *c = &p->channels;

		p->queues = queue_count(
			wgw_ethnl_get(c, ETHTOOL_A_CHANNELS_RX_COUNT),
			wgw_ethnl_get(c, ETHTOOL_A_CHANNELS_COMBINED_COUNT),
			p->link.num_rx_queues);
		p->queues_max = queue_count(
			wgw_ethnl_get(c, ETHTOOL_A_CHANNELS_RX_MAX),
			wgw_ethnl_get(c, ETHTOOL_A_CHANNELS_COMBINED_MAX),
			p->link.num_rx_queues);
	}
	if (!p->queues) {
		/* No channels API: one queue per allocated RX queue. */
		p->queues = p->link.num_rx_queues ? p->link.num_rx_queues : 1;
		p->queues_max = p->queues;
	}
	p->zerocopy = !p->netdev_err &&
		      (p->xdp.xdp_features & NETDEV_XDP_ACT_XSK_ZEROCOPY);
	p->frame_size = frame_size;
	p->frame_headroom = frame_headroom;
	p->xdp_max_mtu = wgw_xdp_max_mtu(frame_size, frame_headroom);
	p->mtu_ok = p->link.mtu <= p->xdp_max_mtu;
	p->rung = wgw_probe_rung(p, 0, p->reason, sizeof(p->reason));
	return 0;
}

/* ------------------------------------------------------------- output */

/* Features worth showing for an XDP gateway. */
static const char *const shown_features[] = {
	"rx-lro", "rx-gro-hw", "rx-gro", "rx-gro-list", "rx-udp-gro-forwarding", "rx-checksum",
	"tx-checksum-ip-generic", "rx-vlan-hw-parse", "tx-udp-segmentation",
	NULL,
};

/* bits as an array of their names (str writes them space-separated). */
static void doc_bits(struct wgw_doc *d, const char *key, uint64_t bits,
		     const char *(*str)(uint64_t, char *, size_t))
{
	char buf[256], *tok, *save = NULL;

	wgw_doc_arr(d, key);
	if (bits) {
		str(bits, buf, sizeof(buf));
		for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			wgw_doc_str(d, NULL, tok);
	}
	wgw_doc_close(d);
}

/* The attributes of a simple message as text words. */
static void print_vals(FILE *f, enum wgw_ethnl_kind k, const struct wgw_ethnl_vals *v)
{
	bool first = true;
	unsigned a;

	for (a = 2; a <= WGW_ETHNL_MAX_ATTR; a++) {
		if (!wgw_ethnl_has(v, a))
			continue;
		fprintf(f, "%s%s %u", first ? "" : ", ", wgw_ethtool_attr_name(k, a), v->v[a]);
		first = false;
	}
	if (first)
		fputs("(none reported)", f);
}

/* The probe as one JSON object on one line, through the document writer
 * the control socket uses. */
static int print_json(const struct wgw_probe *p, FILE *f)
{
	const struct wgw_ethnl_vals *sections[] = { &p->channels, &p->rings,
						    &p->coalesce, &p->linkinfo };
	const int errs[] = { p->channels_err, p->rings_err, p->coalesce_err,
			     p->linkinfo_err };
	const char *names[] = { "channels", "rings", "coalesce", "linkinfo" };
	const enum wgw_ethnl_kind kinds[] = { WGW_ETHNL_CHANNELS,
					      WGW_ETHNL_RINGS,
					      WGW_ETHNL_COALESCE,
					      WGW_ETHNL_LINKINFO };
	struct wgw_strbuf sb;
	struct wgw_doc d;
	int fi, err = 0;

	wgw_strbuf_init(&sb, 1 << 16);
	wgw_doc_begin(&d, &sb, WGW_CTL_FMT_JSON);
	wgw_doc_str(&d, "interface", p->link.name);
	wgw_doc_i64(&d, "ifindex", p->link.ifindex);
	wgw_doc_str(&d, "driver", p->driver);
	wgw_doc_str(&d, "kind", p->link.kind);
	wgw_doc_i64(&d, "numa_node", p->numa_node);
	wgw_doc_bool(&d, "up", p->link.flags & IFF_UP);
	wgw_doc_bool(&d, "carrier", p->link.flags & IFF_LOWER_UP);
	wgw_doc_u64(&d, "mtu", p->link.mtu);
	wgw_doc_u64(&d, "frame_size", p->frame_size);
	wgw_doc_u64(&d, "frame_headroom", p->frame_headroom);
	wgw_doc_u64(&d, "xdp_max_mtu", p->xdp_max_mtu);
	wgw_doc_bool(&d, "mtu_ok", p->mtu_ok);
	wgw_doc_obj(&d, "queues");
	wgw_doc_u64(&d, "current", p->queues);
	wgw_doc_u64(&d, "max", p->queues_max);
	wgw_doc_close(&d);
	for (unsigned i = 0; i < 4; i++) {
		wgw_doc_obj(&d, names[i]);
		wgw_doc_bool(&d, "supported", !errs[i]);
		if (errs[i]) {
			wgw_doc_str(&d, "error", strerror(-errs[i]));
		} else {
			for (unsigned a = 2; a <= WGW_ETHNL_MAX_ATTR; a++)
				if (wgw_ethnl_has(sections[i], a))
					wgw_doc_u64(&d, wgw_ethtool_attr_name(kinds[i], a),
						    sections[i]->v[a]);
		}
		wgw_doc_close(&d);
	}
	wgw_doc_obj(&d, "features");
	for (unsigned i = 0; !p->features_err && shown_features[i]; i++) {
		fi = wgw_features_index(&p->features, shown_features[i]);
		if (fi < 0)
			continue;
		wgw_doc_obj(&d, shown_features[i]);
		wgw_doc_bool(&d, "on", p->features.active & (1ULL << fi));
		wgw_doc_bool(&d, "fixed", p->features.nochange & (1ULL << fi));
		wgw_doc_close(&d);
	}
	wgw_doc_close(&d);
	if (p->netdev_err)
		wgw_doc_null(&d, "xdp_features");
	else
		doc_bits(&d, "xdp_features", p->xdp.xdp_features, wgw_xdp_features_str);
	if (p->xdp.have & WGW_NETDEV_HAVE_ZC_MAX_SEGS)
		wgw_doc_u64(&d, "xdp_zc_max_segs", p->xdp.zc_max_segs);
	else
		wgw_doc_null(&d, "xdp_zc_max_segs");
	if (p->xdp.have & WGW_NETDEV_HAVE_XSK_FEATURES)
		doc_bits(&d, "xsk_features", p->xdp.xsk_features, wgw_xsk_features_str);
	else
		wgw_doc_null(&d, "xsk_features");
	if (p->link.xdp_prog_id) {
		wgw_doc_obj(&d, "xdp_program");
		wgw_doc_u64(&d, "id", p->link.xdp_prog_id);
		wgw_doc_u64(&d, "attach_mode", p->link.xdp_attached);
		wgw_doc_close(&d);
	} else {
		wgw_doc_null(&d, "xdp_program");
	}
	wgw_doc_bool(&d, "zerocopy", p->zerocopy);
	wgw_doc_str(&d, "rung", wgw_rung_name(p->rung));
	wgw_doc_str(&d, "reason", p->reason);
	wgw_doc_end(&d);
	if (sb.overflow)
		err = -ENOMEM;
	else if (fwrite(sb.p, 1, sb.len, f) != sb.len)
		err = -EIO;
	wgw_strbuf_free(&sb);
	return err;
}

static const char *xdp_mode_name(uint8_t m)
{
	switch (m) {
	case XDP_ATTACHED_DRV:
		return "native";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offload";
	case XDP_ATTACHED_MULTI:
		return "multi";
	default:
		return "none";
	}
}

static void print_text(const struct wgw_probe *p, FILE *f)
{
	char buf[256];
	unsigned i;
	int fi;

	fprintf(f, "interface:     %s (index %d)\n", p->link.name,
		p->link.ifindex);
	fprintf(f, "driver:        %s%s%s%s\n", p->driver[0] ? p->driver : "unknown",
		p->link.kind[0] ? " (kind " : "", p->link.kind,
		p->link.kind[0] ? ")" : "");
	if (p->numa_node >= 0)
		fprintf(f, "numa node:     %d\n", p->numa_node);
	else
		fprintf(f, "numa node:     none\n");
	fprintf(f, "state:         %s, carrier %s\n",
		(p->link.flags & IFF_UP) ? "up" : "down",
		(p->link.flags & IFF_LOWER_UP) ? "on" : "off");
	fprintf(f, "mtu:           %u (AF_XDP %u-byte frames with %u bytes of headroom "
		"hold up to %u: %s)\n", p->link.mtu, p->frame_size, p->frame_headroom, p->xdp_max_mtu,
		p->mtu_ok ? "ok" : "too large");
	fprintf(f, "queues:        %u (max %u)\n", p->queues, p->queues_max);
	fprintf(f, "channels:      ");
	if (p->channels_err)
		fprintf(f, "not supported (%s)\n", strerror(-p->channels_err));
	else {
		print_vals(f, WGW_ETHNL_CHANNELS, &p->channels);
		fputc('\n', f);
	}
	fprintf(f, "rings:         ");
	if (p->rings_err)
		fprintf(f, "not supported (%s)\n", strerror(-p->rings_err));
	else {
		print_vals(f, WGW_ETHNL_RINGS, &p->rings);
		fputc('\n', f);
	}
	fprintf(f, "coalescing:    ");
	if (p->coalesce_err)
		fprintf(f, "not supported (%s)\n", strerror(-p->coalesce_err));
	else {
		print_vals(f, WGW_ETHNL_COALESCE, &p->coalesce);
		fputc('\n', f);
	}
	fprintf(f, "link info:     ");
	if (p->linkinfo_err)
		fprintf(f, "not supported (%s)\n", strerror(-p->linkinfo_err));
	else {
		print_vals(f, WGW_ETHNL_LINKINFO, &p->linkinfo);
		fputc('\n', f);
	}
	fprintf(f, "features:      ");
	if (p->features_err) {
		fprintf(f, "unknown (%s)", strerror(-p->features_err));
	} else {
		bool first = true;

		for (i = 0; shown_features[i]; i++) {
			fi = wgw_features_index(&p->features, shown_features[i]);
			if (fi < 0)
				continue;
			fprintf(f, "%s%s %s%s", first ? "" : ", ",
				shown_features[i],
				(p->features.active & (1ULL << fi)) ? "on"
								    : "off",
				(p->features.nochange & (1ULL << fi))
					? " [fixed]" : "");
			first = false;
		}
	}
	fputc('\n', f);
	if (p->netdev_err)
		fprintf(f, "xdp-features:  unknown (%s)\n",
			strerror(-p->netdev_err));
	else
		fprintf(f, "xdp-features:  %s\n",
			wgw_xdp_features_str(p->xdp.xdp_features, buf,
					     sizeof(buf)));
	if (p->xdp.have & WGW_NETDEV_HAVE_ZC_MAX_SEGS)
		fprintf(f, "xdp-zc-max-segs: %u\n", p->xdp.zc_max_segs);
	if (p->xdp.have & WGW_NETDEV_HAVE_XSK_FEATURES)
		fprintf(f, "xsk-features:  %s\n",
			wgw_xsk_features_str(p->xdp.xsk_features, buf,
					     sizeof(buf)));
	if (p->link.xdp_prog_id)
		fprintf(f, "xdp program:   id %u (%s)\n", p->link.xdp_prog_id,
			xdp_mode_name(p->link.xdp_attached));
	else
		fprintf(f, "xdp program:   none\n");
	fprintf(f, "zero-copy:     %s\n", p->zerocopy ? "possible" : "no");
	fprintf(f, "mode:          %s (%s)\n", wgw_rung_name(p->rung),
		p->reason);
}

int wgw_probe_print(const struct wgw_probe *p, FILE *f, bool json)
{
	int err = 0;

	if (json)
		err = print_json(p, f);
	else
		print_text(p, f);
	return err ? err : ferror(f) ? -EIO : 0;
}
