// SPDX-License-Identifier: GPL-2.0-only
/* Netlink request/ack over libmnl with extended ACK reporting. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include "gateway/log.h"
#include "netlink/nlsock.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int wgw_nlsock_open(struct wgw_nlsock *s, int bus)
{
	int one = 1;
	int err;

	memset(s, 0, sizeof(*s));
	s->bus = bus;
	s->buf = malloc(WGW_NL_BUF_SIZE);
	if (!s->buf)
		return -ENOMEM;
	s->nl = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!s->nl) {
		err = -errno;
		goto err_free_buf;
	}
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto err_close;
	}
	/* Both are best effort: without them we still get the errno. */
	mnl_socket_setsockopt(s->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = (uint32_t)time(NULL);
	return 0;

err_close:
	mnl_socket_close(s->nl);
	s->nl = NULL;
err_free_buf:
	free(s->buf);
	s->buf = NULL;
	return err;
}

void wgw_nlsock_close(struct wgw_nlsock *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	free(s->buf);
	s->nl = NULL;
	s->buf = NULL;
}

struct nlmsghdr *wgw_nlsock_msg(struct wgw_nlsock *s, uint16_t type,
				uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(s->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++s->seq;
	return nlh;
}

bool wgw_nl_attr_ok(const struct nlattr *a, enum mnl_attr_data_type t)
{
	return mnl_attr_validate(a, t) >= 0;
}

int wgw_nl_parse_payload(const void *payload, size_t len, mnl_attr_cb_t cb,
			 void *data)
{
	const struct nlattr *a = payload;
	long rem = (long)len;
	int ret;

	if (len > INT32_MAX)
		return -EBADMSG;
	while (rem >= (long)sizeof(struct nlattr)) {
		if (!mnl_attr_ok(a, (int)rem))
			return -EBADMSG;
		ret = cb(a, data);
		if (ret == MNL_CB_ERROR)
			return -EBADMSG;
		if (ret == MNL_CB_STOP)
			return 0;
		rem -= MNL_ALIGN(a->nla_len);
		a = (const struct nlattr *)((const char *)a +
					    MNL_ALIGN(a->nla_len));
	}
	/* The last attribute's padding may be left out; nothing else may. */
	return rem == 0 || (rem < 0 && rem > -MNL_ALIGNTO) ? 0 : -EBADMSG;
}

int wgw_nl_parse(const struct nlmsghdr *nlh, size_t offset, mnl_attr_cb_t cb,
		 void *data)
{
	size_t hdr = MNL_NLMSG_HDRLEN + MNL_ALIGN(offset);

	if (nlh->nlmsg_len < hdr)
		return -EBADMSG;
	return wgw_nl_parse_payload((const char *)nlh + hdr,
				    nlh->nlmsg_len - hdr, cb, data);
}

int wgw_nl_parse_nested(const struct nlattr *nest, mnl_attr_cb_t cb,
			void *data)
{
	return wgw_nl_parse_payload(mnl_attr_get_payload(nest),
				    mnl_attr_get_payload_len(nest), cb, data);
}

static int ack_attr_cb(const struct nlattr *a, void *data)
{
	struct wgw_nl_ack *ack = data;
	const char *msg;
	uint16_t len;

	switch (mnl_attr_get_type(a)) {
	case NLMSGERR_ATTR_MSG:
		/* Must be NUL-terminated inside its payload. */
		len = mnl_attr_get_payload_len(a);
		msg = mnl_attr_get_payload(a);
		if (len == 0 || !memchr(msg, '\0', len))
			return MNL_CB_ERROR;
		snprintf(ack->msg, sizeof(ack->msg), "%s", msg);
		break;
	case NLMSGERR_ATTR_OFFS:
		if (!wgw_nl_attr_ok(a, MNL_TYPE_U32))
			return MNL_CB_ERROR;
		ack->bad_offset = mnl_attr_get_u32(a);
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (!wgw_nl_attr_ok(a, MNL_TYPE_U32))
			return MNL_CB_ERROR;
		ack->missing_type = mnl_attr_get_u32(a);
		break;
	default:
		break;	/* cookie, policy: not needed */
	}
	return MNL_CB_OK;
}

int wgw_nl_parse_ack(const struct nlmsghdr *nlh, struct wgw_nl_ack *ack)
{
	const struct nlmsgerr *e;
	size_t off, len;

	memset(ack, 0, sizeof(*ack));
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
		return -EBADMSG;
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error > 0 || e->error < -4095)
		return -EBADMSG;
	ack->error = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	/* The TLVs follow the echoed request, which is only its header when
	 * the ACK is capped (NETLINK_CAP_ACK) and the whole message when not. */
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < sizeof(struct nlmsghdr))
			return -EBADMSG;
		off += MNL_ALIGN(e->msg.nlmsg_len) - sizeof(struct nlmsghdr);
	}
	len = nlh->nlmsg_len - NLMSG_HDRLEN;
	if (off > len)
		return -EBADMSG;
	if (wgw_nl_parse_payload((const char *)e + off, len - off,
				   ack_attr_cb, ack) < 0)
		return -EBADMSG;
	return 0;
}

const char *wgw_nlsock_why(const struct wgw_nlsock *s)
{
	static _Thread_local char why[WGW_NL_EXTACK_LEN + 3];

	if (!s->ack.msg[0])
		return "";
	snprintf(why, sizeof(why), ": %s", s->ack.msg);
	return why;
}

static int err_cb(const struct nlmsghdr *nlh, void *data)
{
	struct wgw_nlsock *s = data;
	int err = wgw_nl_parse_ack(nlh, &s->ack);

	if (err) {
		s->ack.error = err;
		errno = -err;
		return MNL_CB_ERROR;
	}
	if (s->ack.error) {
		errno = -s->ack.error;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static int noop_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_OK;
}

static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_STOP;
}

int wgw_nlsock_request(struct wgw_nlsock *s, struct nlmsghdr *nlh,
		       mnl_cb_t cb, void *data)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = noop_cb,
		[NLMSG_ERROR] = err_cb,
		[NLMSG_DONE] = done_cb,
		[NLMSG_OVERRUN] = noop_cb,
	};
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int ret;

	memset(&s->ack, 0, sizeof(s->ack));
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* libmnl hands the same pointer to the data and control callbacks;
	 * NLMSG_ERROR needs s, the data callback needs data, so errors are
	 * dispatched here and everything else through mnl_cb_run2().  Data
	 * callbacks set errno before returning MNL_CB_ERROR. */
	for (;;) {
		n = mnl_socket_recvfrom(s->nl, s->buf, WGW_NL_BUF_SIZE);
		if (n < 0)
			return -errno;
		const struct nlmsghdr *h = (const struct nlmsghdr *)s->buf;
		int len = (int)n;
		bool stop = false;

		for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			if (!mnl_nlmsg_seq_ok(h, seq) ||
			    !mnl_nlmsg_portid_ok(h, s->portid))
				continue;	/* a stale reply: not ours */
			if (h->nlmsg_type == NLMSG_ERROR) {
				ret = err_cb(h, s);
				if (ret == MNL_CB_ERROR)
					return s->ack.error ? s->ack.error
							    : -EBADMSG;
				stop = true;
				break;
			}
			errno = 0;
			ret = mnl_cb_run2(h, h->nlmsg_len, seq, s->portid,
					  cb, data, ctl, NLMSG_MIN_TYPE);
			if (ret == MNL_CB_ERROR)
				return errno ? -errno : -EBADMSG;
			if (ret == MNL_CB_STOP) {
				stop = true;
				break;
			}
		}
		if (len > 0 && !stop)
			return -EBADMSG;	/* trailing bytes */
		if (stop)
			return 0;
	}
}
