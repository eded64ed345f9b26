/*
 * capnp/internal.h: helpers shared by the runtime's files (not an API).
 *
 * Loads and stores go byte by byte, little-endian, so buffers need no
 * alignment and the code says what the wire format is regardless of host.
 */
#ifndef LIB_CAPNP_INTERNAL_H
#define LIB_CAPNP_INTERNAL_H

#include "capnp/capnp.h"

static inline uint16_t ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static inline uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t ld64(const uint8_t *p)
{
    return (uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32;
}

static inline void st16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void st32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void st64(uint8_t *p, uint64_t v)
{
    st32(p, (uint32_t)v);
    st32(p + 4, (uint32_t)(v >> 32));
}

/* Pointer word fields. */
static inline unsigned ptr_kind(uint64_t w) { return (unsigned)(w & 3); }
/* Signed 30-bit word offset of struct/list pointers. */
static inline int64_t ptr_offset(uint64_t w) { return (int64_t)((int32_t)(uint32_t)w >> 2); }
static inline uint16_t ptr_struct_dw(uint64_t w) { return (uint16_t)(w >> 32); }
static inline uint16_t ptr_struct_pc(uint64_t w) { return (uint16_t)(w >> 48); }
static inline unsigned ptr_list_esize(uint64_t w) { return (unsigned)(w >> 32) & 7; }
static inline uint32_t ptr_list_count(uint64_t w) { return (uint32_t)(w >> 35); }

/* Bits per element of the non-composite element sizes (pointer: 64). */
extern const uint8_t capnp_esize_bits[8];

/* Records the first error of a message and returns it. */
static inline int msg_fail(struct capnp_msg *m, int err)
{
    if (m && m->err == CAPNP_OK)
        m->err = err;
    return err;
}

static inline int builder_fail(struct capnp_builder *b, int err)
{
    if (b && b->err == CAPNP_OK)
        b->err = err;
    return err;
}

/*
 * Where a (possibly far) pointer leads: the segment and word index of the
 * object's first word, and the word describing it (the pointer itself, the
 * landing pad or the double-far tag). For capabilities only `word` is set.
 */
struct capnp_target {
    const struct capnp_segment *seg;
    uint64_t start;
    uint64_t word;
};

/* Resolves p (which must be non-null); 0 or an error recorded in p.msg. */
int capnp_resolve(struct capnp_ptr p, struct capnp_target *t);
/* Follows p to a struct / list (kind already known from the target). */
int capnp_deref_struct(struct capnp_ptr p, const struct capnp_target *t, struct capnp_struct *out);
int capnp_deref_list(struct capnp_ptr p, const struct capnp_target *t, unsigned expect,
                     struct capnp_list *out);

/* Builder internals used by the copier. */
int64_t capnp_alloc(struct capnp_builder *b, uint64_t words);
void capnp_write_ptr(struct capnp_builder *b, uint8_t *slot, uint64_t target, uint64_t word);

#endif
