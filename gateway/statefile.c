// SPDX-License-Identifier: GPL-2.0-only
/*
 * The state file (state.h): encoding, the checks of a read, the atomic
 * write.
 *
 * Layout, little-endian, fixed-size records (no length field to trust):
 *
 *   header   64 bytes: "WGWSTATE", version u32, flags u32 (0), written_s
 *            u64, NAT address 16, NAT ports lo u16 hi u16, counts of
 *            backends, mappings and CIDs u32 each, count of the NAT pool's
 *            other addresses u64 (0 with one address, as before pools)
 *   pool     16 bytes each: the NAT pool's other addresses, in order
 *   backends 24 bytes each: address 16, port u16, flags u8, 0 u8, weight u32
 *   mappings 52 bytes each: client 16, VIP 16, client port u16, VIP port
 *            u16, NAT port u16, NAT address u16 (0: the header's, k: the
 *            pool's k-th), backend index u32, idle_s u32, age_s u32
 *   CIDs     20 bytes each: CID u64, backend index u32, mapping u32 (1 +
 *            index, 0: none), idle_s u32
 *   trailer  FNV-1a 64 of everything before it, u64
 *
 * The size must be exactly what the counts say, and the counts within the
 * tables' capacity, before anything else is read; then every record is
 * checked (index ranges, ports, address family, reserved bytes), so a file
 * that decodes is one the engine can take record by record.  The checksum
 * catches a torn or flipped file; it is no defence against a forger, who
 * needs root on the host anyway (the file is 0600 in a root-only directory).
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/packet.h"
#include "gateway/state.h"

#define MAGIC		"WGWSTATE"
#define HDR_LEN		64
#define BE_LEN		24
#define MAP_LEN		52
#define CID_LEN		20
#define TRAILER_LEN	8
#define MAX_WEIGHT	65535
#define MAX_BACKENDS	256
#define MAX_NAT		256	/* NAT addresses */
#define MAX_FILE	(1u << 30)	/* bytes: far above 2^26 CIDs' worth */

void wgw_state_free(struct wgw_state *st)
{
	free(st->backends);
	free(st->maps);
	free(st->cids);
	free(st->nat_pool);
	memset(st, 0, sizeof(*st));
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ---- encode ------------------------------------------------------------ */

struct wr {
	uint8_t *p;
};

static void put(struct wr *w, const void *v, size_t n)
{
	memcpy(w->p, v, n);
	w->p += n;
}

static void put16(struct wr *w, uint16_t v)
{
	v = htole16(v);
	put(w, &v, 2);
}

static void put32(struct wr *w, uint32_t v)
{
	v = htole32(v);
	put(w, &v, 4);
}

static void put64(struct wr *w, uint64_t v)
{
	v = htole64(v);
	put(w, &v, 8);
}

static size_t file_len(uint64_t np, uint64_t nb, uint64_t nm, uint64_t nc)
{
	return (size_t)(HDR_LEN + np * 16 + nb * BE_LEN + nm * MAP_LEN + nc * CID_LEN +
			TRAILER_LEN);
}

int wgw_state_encode(const struct wgw_state *st, uint8_t **buf, size_t *len)
{
	size_t n = file_len(st->n_nat_pool, st->n_backends, st->n_maps, st->n_cids);
	struct wr w;

	*buf = calloc(1, n);
	if (!*buf)
		return -ENOMEM;
	w.p = *buf;
	put(&w, MAGIC, 8);
	put32(&w, WGW_STATE_VERSION);
	put32(&w, 0);
	put64(&w, st->written_s);
	put(&w, st->nat.b, 16);
	put16(&w, st->nat_port_lo);
	put16(&w, st->nat_port_hi);
	put32(&w, st->n_backends);
	put32(&w, st->n_maps);
	put32(&w, st->n_cids);
	put64(&w, st->n_nat_pool);
	for (uint32_t i = 0; i < st->n_nat_pool; i++)
		put(&w, st->nat_pool[i].b, 16);
	for (uint32_t i = 0; i < st->n_backends; i++) {
		const struct wgw_state_backend *b = &st->backends[i];

		put(&w, b->addr.b, 16);
		put16(&w, b->port);
		*w.p++ = b->flags;
		*w.p++ = 0;
		put32(&w, b->weight);
	}
	for (uint32_t i = 0; i < st->n_maps; i++) {
		const struct wgw_state_map *m = &st->maps[i];

		put(&w, m->client.b, 16);
		put(&w, m->vip.b, 16);
		put16(&w, m->cport);
		put16(&w, m->vport);
		put16(&w, m->nat_port);
		put16(&w, m->nat_k);
		put32(&w, m->backend);
		put32(&w, m->idle_s);
		put32(&w, m->age_s);
	}
	for (uint32_t i = 0; i < st->n_cids; i++) {
		const struct wgw_state_cid *c = &st->cids[i];

		put64(&w, c->cid);
		put32(&w, c->backend);
		put32(&w, c->map);
		put32(&w, c->idle_s);
	}
	put64(&w, fnv1a(*buf, n - TRAILER_LEN));
	*len = n;
	return 0;
}

/* ---- decode ------------------------------------------------------------ */

struct rd {
	const uint8_t *p;
};

static void get(struct rd *r, void *v, size_t n)
{
	memcpy(v, r->p, n);
	r->p += n;
}

static uint16_t get16(struct rd *r)
{
	uint16_t v;

	get(r, &v, 2);
	return le16toh(v);
}

static uint32_t get32(struct rd *r)
{
	uint32_t v;

	get(r, &v, 4);
	return le32toh(v);
}

static uint64_t get64(struct rd *r)
{
	uint64_t v;

	get(r, &v, 8);
	return le64toh(v);
}

__attribute__((format(printf, 3, 4)))
static int bad(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An address a record may hold: of the NAT address's family, and neither
 * unspecified nor multicast. */
static bool addr_ok(const union wgw_addr *a, bool v4)
{
	static const union wgw_addr zero;

	if (wgw_addr_is_v4(a) != v4 || wgw_addr_eq(a, &zero))
		return false;
	if (v4)
		return a->w[3] != 0 && (a->b[12] & 0xf0) != 0xe0;
	return a->b[0] != 0xff;
}

static int decode_records(struct rd *r, struct wgw_state *st, bool v4, char *why,
			  size_t whylen)
{
	for (uint32_t i = 0; i < st->n_nat_pool; i++) {
		get(r, st->nat_pool[i].b, 16);
		if (!addr_ok(&st->nat_pool[i], v4))
			return bad(why, whylen, "NAT address %u: bad address", i + 1);
	}
	for (uint32_t i = 0; i < st->n_backends; i++) {
		struct wgw_state_backend *b = &st->backends[i];

		get(r, b->addr.b, 16);
		b->port = get16(r);
		b->flags = *r->p++;
		if (*r->p++ != 0)
			return bad(why, whylen, "backend %u: reserved byte set", i);
		b->weight = get32(r);
		if (!addr_ok(&b->addr, v4) || !b->port)
			return bad(why, whylen, "backend %u: bad address or port", i);
		if (b->flags & ~(WGW_STATE_BE_RUNTIME | WGW_STATE_BE_DRAIN | WGW_STATE_BE_WEIGHT |
				 WGW_STATE_BE_FORCED))
			return bad(why, whylen, "backend %u: unknown flags 0x%x", i, b->flags);
		if (!b->weight || b->weight > MAX_WEIGHT)
			return bad(why, whylen, "backend %u: weight %u", i, b->weight);
		for (uint32_t j = 0; j < i; j++)
			if (st->backends[j].port == b->port &&
			    wgw_addr_eq(&st->backends[j].addr, &b->addr))
				return bad(why, whylen, "backend %u: listed twice", i);
	}
	for (uint32_t i = 0; i < st->n_maps; i++) {
		struct wgw_state_map *m = &st->maps[i];

		get(r, m->client.b, 16);
		get(r, m->vip.b, 16);
		m->cport = get16(r);
		m->vport = get16(r);
		m->nat_port = get16(r);
		m->nat_k = get16(r);
		if (m->nat_k > st->n_nat_pool)
			return bad(why, whylen, "mapping %u: NAT address %u of %u", i, m->nat_k,
				   st->n_nat_pool + 1);
		m->backend = get32(r);
		m->idle_s = get32(r);
		m->age_s = get32(r);
		if (!addr_ok(&m->client, v4) || !addr_ok(&m->vip, v4) || !m->cport || !m->vport)
			return bad(why, whylen, "mapping %u: bad endpoint", i);
		if (m->nat_port < st->nat_port_lo || m->nat_port > st->nat_port_hi)
			return bad(why, whylen, "mapping %u: NAT port %u outside %u-%u", i,
				   m->nat_port, st->nat_port_lo, st->nat_port_hi);
		if (m->backend >= st->n_backends)
			return bad(why, whylen, "mapping %u: backend %u of %u", i, m->backend,
				   st->n_backends);
	}
	for (uint32_t i = 0; i < st->n_cids; i++) {
		struct wgw_state_cid *c = &st->cids[i];

		c->cid = get64(r);
		c->backend = get32(r);
		c->map = get32(r);
		c->idle_s = get32(r);
		if (c->cid == WRAITH_CID_INVALID || wraith_cid_is_special(c->cid))
			return bad(why, whylen, "CID %u: reserved value", i);
		if (c->backend >= st->n_backends || c->map > st->n_maps)
			return bad(why, whylen, "CID %u: index out of range", i);
	}
	return 0;
}

int wgw_state_decode(const uint8_t *buf, size_t len, uint32_t max_maps, uint32_t max_cids,
		     struct wgw_state *st, char *why, size_t whylen)
{
	struct rd r = { buf };
	uint32_t version, flags;
	bool v4;
	int err;

	memset(st, 0, sizeof(*st));
	if (len < HDR_LEN + TRAILER_LEN)
		return bad(why, whylen, "%zu bytes: shorter than a header", len);
	if (memcmp(buf, MAGIC, 8))
		return bad(why, whylen, "not a wraith-gateway state file");
	r.p += 8;
	version = get32(&r);
	flags = get32(&r);
	if (version != WGW_STATE_VERSION)
		return bad(why, whylen, "format version %u, this daemon reads %u", version,
			   WGW_STATE_VERSION);
	if (flags)
		return bad(why, whylen, "unknown flags 0x%x", flags);
	st->written_s = get64(&r);
	get(&r, st->nat.b, 16);
	st->nat_port_lo = get16(&r);
	st->nat_port_hi = get16(&r);
	st->n_backends = get32(&r);
	st->n_maps = get32(&r);
	st->n_cids = get32(&r);
	{
		uint64_t np = get64(&r);

		if (np >= MAX_NAT) {
			err = bad(why, whylen, "%" PRIu64 " more NAT addresses: at most %u", np,
				  MAX_NAT - 1);
			goto fail;
		}
		st->n_nat_pool = (uint32_t)np;
	}
	if (st->n_backends > MAX_BACKENDS || st->n_maps > max_maps || st->n_cids > max_cids) {
		err = bad(why, whylen, "%u backends, %u mappings, %u CIDs: above the "
			  "capacity (%u, %u, %u)", st->n_backends, st->n_maps, st->n_cids,
			  MAX_BACKENDS, max_maps, max_cids);
		goto fail;
	}
	if (len != file_len(st->n_nat_pool, st->n_backends, st->n_maps, st->n_cids)) {
		err = bad(why, whylen, "%zu bytes where its counts make %zu: truncated or "
			  "padded", len,
			  file_len(st->n_nat_pool, st->n_backends, st->n_maps, st->n_cids));
		goto fail;
	}
	{
		uint64_t sum;

		memcpy(&sum, buf + len - TRAILER_LEN, 8);
		if (le64toh(sum) != fnv1a(buf, len - TRAILER_LEN)) {
			err = bad(why, whylen, "checksum mismatch: the file is damaged");
			goto fail;
		}
	}
	v4 = wgw_addr_is_v4(&st->nat);
	if (!addr_ok(&st->nat, v4) || !st->nat_port_lo || st->nat_port_lo > st->nat_port_hi) {
		err = bad(why, whylen, "bad NAT address or port range");
		goto fail;
	}
	st->backends = calloc(st->n_backends + 1, sizeof(*st->backends));
	st->maps = calloc(st->n_maps + 1, sizeof(*st->maps));
	st->cids = calloc(st->n_cids + 1, sizeof(*st->cids));
	st->nat_pool = calloc(st->n_nat_pool + 1, sizeof(*st->nat_pool));
	if (!st->backends || !st->maps || !st->cids || !st->nat_pool) {
		err = -ENOMEM;
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	err = decode_records(&r, st, v4, why, whylen);
	if (err)
		goto fail;
	return 0;
fail:
	wgw_state_free(st);
	return err;
}

/* ---- files ------------------------------------------------------------- */

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int wgw_state_write(const char *path, const struct wgw_state *st)
{
	char tmp[4096], dir[4096];
	uint8_t *buf;
	size_t len;
	int fd, dfd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	err = wgw_state_encode(st, &buf, &len);
	if (err)
		return err;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = write_all(fd, buf, len);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		goto out;
	}
	/* The rename is durable once the directory is. */
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) < 0)
			err = -errno;
		close(dfd);
	}
out:
	free(buf);
	return err;
}

int wgw_state_read(const char *path, uint32_t max_maps, uint32_t max_cids,
		   struct wgw_state *st, char *why, size_t whylen)
{
	struct stat sb;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd, err = 0;

	memset(st, 0, sizeof(*st));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "%s", strerror(errno));
		return err;
	}
	if (fstat(fd, &sb) < 0) {
		err = -errno;
		snprintf(why, whylen, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		err = bad(why, whylen, "not a regular file");
		goto out;
	}
	if ((uint64_t)sb.st_size > MAX_FILE ||
	    (size_t)sb.st_size > file_len(MAX_NAT, MAX_BACKENDS, max_maps, max_cids)) {
		err = bad(why, whylen, "%lld bytes: larger than the tables can hold",
			  (long long)sb.st_size);
		goto out;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		err = -ENOMEM;
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	/* Read one byte more than fstat said: a file that grows under us is
	 * caught by the size check of the decode. */
	while (got < (size_t)sb.st_size + 1) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			snprintf(why, whylen, "%s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	err = wgw_state_decode(buf, got, max_maps, max_cids, st, why, whylen);
out:
	free(buf);
	close(fd);
	return err;
}
