// SPDX-License-Identifier: GPL-2.0-only
/*
 * The XDP program's side of a capture (wraith_shared.h wgw_capture): the
 * flag that makes the program copy what it drops into its ring buffer,
 * and that ring buffer's descriptor for the capture thread to read.
 */
#include "config.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>

#include "bpf/wraith_xdp.skel.h"
#include "gateway/xdp.h"
#include "gateway/xdp_internal.h"

int wgw_xdp_capture_flag(int fd, bool on, uint32_t snaplen, uint64_t *lost)
{
	struct wgw_xdp_capture v = { 0 };
	__u32 key = 0;

	/* The program adds to lost between the two calls only while a
	 * capture was on: a few records miscounted at a start or stop. */
	if (bpf_map_lookup_elem(fd, &key, &v))
		return -errno;
	if (lost)
		*lost = v.lost;
	v.on = on;
	v.snaplen = snaplen < WGW_XDP_CAP_SNAP ? snaplen : WGW_XDP_CAP_SNAP;
	if (bpf_map_update_elem(fd, &key, &v, BPF_ANY))
		return -errno;
	return 0;
}

int wgw_xdp_capture_set(struct wgw_xdp *x, bool on, uint32_t snaplen)
{
	return wgw_xdp_capture_flag(bpf_map__fd(x->skel->maps.wgw_capture), on, snaplen, NULL);
}

int wgw_xdp_capture_ring_fd(const struct wgw_xdp *x)
{
	return bpf_map__fd(x->skel->maps.wgw_cap_ring);
}

int wgw_xdp_capture_flag_fd(const struct wgw_xdp *x)
{
	return bpf_map__fd(x->skel->maps.wgw_capture);
}
