/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the libFuzzer targets in tests/fuzz/: an assertion that aborts
 * with a message (libFuzzer saves the input as a crash), and a cursor that
 * takes structured values off the fuzzer's bytes.
 *
 * The targets include the code under test directly through the build (the
 * sources are compiled with -fsanitize=fuzzer,address,undefined next to the
 * harness, see tests/fuzz/local.mk), as wireguard-tools' fuzz/ does.
 */
#ifndef WGW_FUZZ_COMMON_H
#define WGW_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not assert(): it must also hold in builds with NDEBUG. */
#define fz_assert(cond, ...)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant '%s' broken: ",	\
				__FILE__, __LINE__, #cond);		\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			abort();					\
		}							\
	} while (0)

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fz_u8(struct fz *f)
{
	uint8_t v;

	if (!f->n)
		return 0;
	v = *f->p++;
	f->n--;
	return v;
}

/* Big-endian; the order of the two calls is sequenced on purpose. */
static inline uint16_t fz_u16(struct fz *f)
{
	uint16_t hi = fz_u8(f);

	return (uint16_t)(hi << 8 | fz_u8(f));
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t hi = fz_u16(f);

	return hi << 16 | fz_u16(f);
}

static inline uint64_t fz_u64(struct fz *f)
{
	uint64_t hi = fz_u32(f);

	return hi << 32 | fz_u32(f);
}

/* Up to want bytes; returns how many it gave. */
static inline size_t fz_bytes(struct fz *f, void *out, size_t want)
{
	size_t n = want < f->n ? want : f->n;

	memcpy(out, f->p, n);
	f->p += n;
	f->n -= n;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
