/*
 * capnp/build.c: building single-segment messages in caller memory.
 *
 * The buffer is zeroed once; objects are bump-allocated after the root
 * pointer, so a message built top-down (parent before children, fields in
 * order) comes out in the same pre-order the canonical form uses. When an
 * allocation does not fit, the builder records CAPNP_ENOSPACE, the pointer
 * being set stays null, and every later allocation fails too, so a caller
 * may build blindly and check capnp_builder_error() once at the end.
 *
 * Setting a pointer that is already set leaves the old object behind as
 * unreachable bytes (the message stays valid, but is no longer minimal;
 * canonicalize it if that matters).
 */
#include "capnp/internal.h"

void capnp_builder_init(struct capnp_builder *b, void *buf, size_t bytes)
{
    uint64_t words = bytes / 8;
    if (words > CAPNP_MAX_SEGMENT_WORDS)
        words = CAPNP_MAX_SEGMENT_WORDS;
    b->buf = buf;
    b->cap = (uint32_t)words;
    b->used = 0;
    b->err = CAPNP_OK;
    if (words)
        __builtin_memset(buf, 0, (size_t)words * 8);
    if (words < 1)
        b->err = CAPNP_ENOSPACE;
    else
        b->used = 1;            /* the root pointer */
}

const uint8_t *capnp_builder_bytes(const struct capnp_builder *b, size_t *len)
{
    *len = (size_t)b->used * 8;
    return b->buf;
}

int64_t capnp_alloc(struct capnp_builder *b, uint64_t words)
{
    if (b->err)
        return -1;
    if (words > b->cap - b->used) {
        builder_fail(b, CAPNP_ENOSPACE);
        return -1;
    }
    int64_t at = b->used;
    b->used += (uint32_t)words;
    return at;
}

/* Stores pointer word `word` (kind and upper half filled in) at slot,
 * aimed at word index `target` of the buffer. */
void capnp_write_ptr(struct capnp_builder *b, uint8_t *slot, uint64_t target, uint64_t word)
{
    int64_t here = (slot - b->buf) / 8;
    int64_t off = (int64_t)target - here - 1;
    uint32_t lo = ((uint32_t)off << 2) | ((uint32_t)word & 3);
    st64(slot, (word & 0xffffffff00000000ull) | lo);
}

struct capnp_slot capnp_builder_root_slot(struct capnp_builder *b)
{
    struct capnp_slot p = {0, 0};
    if (b->cap >= 1) {
        p.b = b;
        p.loc = b->buf;
    }
    return p;
}

struct capnp_sbuilder capnp_builder_root(struct capnp_builder *b, uint16_t data_words,
                                         uint16_t ptr_count)
{
    return capnp_slot_init_struct(capnp_builder_root_slot(b), data_words, ptr_count);
}

/* ---- struct fields -------------------------------------------------------- */

void capnp_set_u8(struct capnp_sbuilder s, uint32_t off, uint8_t v)
{
    if (s.b && (uint64_t)off + 1 <= s.data_bytes)
        s.data[off] = v;
}

void capnp_set_u16(struct capnp_sbuilder s, uint32_t off, uint16_t v)
{
    if (s.b && (uint64_t)off + 2 <= s.data_bytes)
        st16(s.data + off, v);
}

void capnp_set_u32(struct capnp_sbuilder s, uint32_t off, uint32_t v)
{
    if (s.b && (uint64_t)off + 4 <= s.data_bytes)
        st32(s.data + off, v);
}

void capnp_set_u64(struct capnp_sbuilder s, uint32_t off, uint64_t v)
{
    if (s.b && (uint64_t)off + 8 <= s.data_bytes)
        st64(s.data + off, v);
}

void capnp_set_bool(struct capnp_sbuilder s, uint32_t bit, bool v)
{
    if (!s.b || bit / 8 >= s.data_bytes)
        return;
    uint8_t mask = (uint8_t)(1u << (bit % 8));
    if (v)
        s.data[bit / 8] |= mask;
    else
        s.data[bit / 8] &= (uint8_t)~mask;
}

struct capnp_slot capnp_slot(struct capnp_sbuilder s, uint32_t idx)
{
    struct capnp_slot p = {0, 0};
    if (s.b && idx < s.ptr_count) {
        p.b = s.b;
        p.loc = s.ptrs + (size_t)idx * 8;
    }
    return p;
}

/* ---- pointers ------------------------------------------------------------- */

struct capnp_sbuilder capnp_slot_init_struct(struct capnp_slot p, uint16_t data_words,
                                             uint16_t ptr_count)
{
    struct capnp_sbuilder s = {0, 0, 0, 0, 0};
    if (!p.b || p.b->err)
        return s;
    uint64_t words = (uint64_t)data_words + ptr_count;
    uint64_t word = CAPNP_KIND_STRUCT | (uint64_t)data_words << 32 | (uint64_t)ptr_count << 48;
    int64_t at;
    if (words == 0) {
        /* An empty struct points at itself (offset -1), so it is not null. */
        at = (p.loc - p.b->buf) / 8;
    } else if ((at = capnp_alloc(p.b, words)) < 0) {
        return s;
    }
    capnp_write_ptr(p.b, p.loc, (uint64_t)at, word);
    s.b = p.b;
    s.data = p.b->buf + at * 8;
    s.ptrs = s.data + (size_t)data_words * 8;
    s.data_bytes = (uint32_t)data_words * 8;
    s.ptr_count = ptr_count;
    return s;
}

struct capnp_lbuilder capnp_slot_init_list(struct capnp_slot p, unsigned esize, uint32_t n)
{
    struct capnp_lbuilder l = {0, 0, 0, 0, 0, 0, 0};
    if (!p.b || p.b->err)
        return l;
    if (esize > CAPNP_ESIZE_POINTER) {
        builder_fail(p.b, CAPNP_EINVAL);
        return l;
    }
    if (n > CAPNP_MAX_LIST_COUNT) {
        builder_fail(p.b, CAPNP_ETOOBIG);
        return l;
    }
    uint64_t bits = capnp_esize_bits[esize];
    int64_t at = capnp_alloc(p.b, ((uint64_t)n * bits + 63) / 64);
    if (at < 0)
        return l;
    capnp_write_ptr(p.b, p.loc, (uint64_t)at,
                    CAPNP_KIND_LIST | (uint64_t)esize << 32 | (uint64_t)n << 35);
    l.b = p.b;
    l.start = p.b->buf + at * 8;
    l.len = n;
    l.step = (uint32_t)bits;
    l.data_bits = esize == CAPNP_ESIZE_POINTER ? 0 : (uint32_t)bits;
    l.ptr_count = esize == CAPNP_ESIZE_POINTER;
    l.esize = (uint8_t)esize;
    return l;
}

struct capnp_lbuilder capnp_slot_init_struct_list(struct capnp_slot p, uint32_t n,
                                                  uint16_t data_words, uint16_t ptr_count)
{
    struct capnp_lbuilder l = {0, 0, 0, 0, 0, 0, 0};
    if (!p.b || p.b->err)
        return l;
    uint64_t per = (uint64_t)data_words + ptr_count;
    uint64_t words = (uint64_t)n * per;
    if (n > CAPNP_MAX_LIST_COUNT || words > CAPNP_MAX_LIST_COUNT) {
        builder_fail(p.b, CAPNP_ETOOBIG);
        return l;
    }
    int64_t at = capnp_alloc(p.b, words + 1);
    if (at < 0)
        return l;
    uint8_t *tag = p.b->buf + at * 8;
    st64(tag, CAPNP_KIND_STRUCT | (uint64_t)n << 2 | (uint64_t)data_words << 32 |
                  (uint64_t)ptr_count << 48);
    capnp_write_ptr(p.b, p.loc, (uint64_t)at,
                    CAPNP_KIND_LIST | (uint64_t)CAPNP_ESIZE_COMPOSITE << 32 | words << 35);
    l.b = p.b;
    l.start = tag + 8;
    l.len = n;
    l.step = (uint32_t)(per * 64);
    l.data_bits = (uint32_t)data_words * 64;
    l.ptr_count = ptr_count;
    l.esize = CAPNP_ESIZE_COMPOSITE;
    return l;
}

static void set_bytes(struct capnp_slot p, const void *d, size_t len, size_t extra)
{
    if (!p.b || p.b->err)
        return;
    if (len > CAPNP_MAX_LIST_COUNT - extra) {
        builder_fail(p.b, CAPNP_ETOOBIG);
        return;
    }
    struct capnp_lbuilder l = capnp_slot_init_list(p, CAPNP_ESIZE_BYTE, (uint32_t)(len + extra));
    if (l.b && len)
        __builtin_memcpy(l.start, d, len);
}

void capnp_slot_set_text(struct capnp_slot p, const char *s, size_t len)
{
    set_bytes(p, s, len, 1);    /* the NUL is already there: memory is zeroed */
}

void capnp_slot_set_data(struct capnp_slot p, const void *d, size_t len)
{
    set_bytes(p, d, len, 0);
}

void capnp_slot_set_cap(struct capnp_slot p, uint32_t index)
{
    if (p.b && !p.b->err)
        st64(p.loc, CAPNP_KIND_OTHER | (uint64_t)index << 32);
}

void capnp_slot_clear(struct capnp_slot p)
{
    if (p.b)
        st64(p.loc, 0);
}

/* ---- list elements -------------------------------------------------------- */

static uint8_t *lelem(struct capnp_lbuilder l, uint32_t i)
{
    return l.start + (uint64_t)i * l.step / 8;
}

void capnp_lset_bool(struct capnp_lbuilder l, uint32_t i, bool v)
{
    if (!l.b || i >= l.len || l.data_bits < 1)
        return;
    uint64_t bit = (uint64_t)i * l.step;
    uint8_t mask = (uint8_t)(1u << (bit % 8));
    if (v)
        l.start[bit / 8] |= mask;
    else
        l.start[bit / 8] &= (uint8_t)~mask;
}

void capnp_lset_u8(struct capnp_lbuilder l, uint32_t i, uint8_t v)
{
    if (l.b && i < l.len && l.data_bits >= 8)
        lelem(l, i)[0] = v;
}

void capnp_lset_u16(struct capnp_lbuilder l, uint32_t i, uint16_t v)
{
    if (l.b && i < l.len && l.data_bits >= 16)
        st16(lelem(l, i), v);
}

void capnp_lset_u32(struct capnp_lbuilder l, uint32_t i, uint32_t v)
{
    if (l.b && i < l.len && l.data_bits >= 32)
        st32(lelem(l, i), v);
}

void capnp_lset_u64(struct capnp_lbuilder l, uint32_t i, uint64_t v)
{
    if (l.b && i < l.len && l.data_bits >= 64)
        st64(lelem(l, i), v);
}

struct capnp_sbuilder capnp_lstruct(struct capnp_lbuilder l, uint32_t i)
{
    struct capnp_sbuilder s = {0, 0, 0, 0, 0};
    if (!l.b || i >= l.len || l.esize == CAPNP_ESIZE_BIT)
        return s;
    s.b = l.b;
    s.data = lelem(l, i);
    s.data_bytes = l.data_bits / 8;
    s.ptrs = s.data + s.data_bytes;
    s.ptr_count = l.ptr_count;
    return s;
}

struct capnp_slot capnp_lslot(struct capnp_lbuilder l, uint32_t i)
{
    struct capnp_slot p = {0, 0};
    if (l.b && i < l.len && l.ptr_count >= 1) {
        p.b = l.b;
        p.loc = lelem(l, i) + l.data_bits / 8;
    }
    return p;
}
