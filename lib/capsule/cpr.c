/*
 * cpr.c: the canonical Cap'n Proto reader (see cpr.h for the contract).
 *
 * The canonical check is one preorder walk with a cursor: every non-empty
 * object must begin exactly at the cursor, which then moves past it, and
 * the walk must end exactly at the end of the message. This rules out gaps,
 * overlaps, sharing and out-of-order objects in one rule, and bounds the
 * work by the message size (every pointer visited is a distinct word).
 * Empty lists point at the cursor; empty structs use offset -1, as the
 * reference implementation writes them.
 */
#include "capsule/cpr.h"

static uint64_t ld64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t word(const struct cpr_msg *m, uint32_t i)
{
    return ld64(m->base + (size_t)i * 8);
}

/* Decoded pointer fields. */
struct ptr {
    uint32_t kind;     /* 0 struct, 1 list, 2 far, 3 other */
    int32_t off;
    uint16_t nd, np;   /* struct sections */
    uint8_t es;        /* list element size code */
    uint32_t count;    /* list element count (words for composite) */
};

static struct ptr decode(uint64_t p)
{
    struct ptr d;
    d.kind = (uint32_t)p & 3;
    d.off = (int32_t)(uint32_t)p >> 2;
    d.nd = (uint16_t)(p >> 32);
    d.np = (uint16_t)(p >> 48);
    d.es = (uint8_t)((p >> 32) & 7);
    d.count = (uint32_t)(p >> 35);
    return d;
}

/* Words and padding of a list of primitive elements (es 0..5). */
static uint64_t prim_bits(uint8_t es)
{
    static const uint8_t bits[6] = {0, 1, 8, 16, 32, 64};
    return bits[es];
}

struct walk {
    const struct cpr_msg *m;
    uint32_t cursor;
};

static enum cpr_err walk_ptr(struct walk *w, uint32_t at, int depth);

static enum cpr_err walk_ptrs(struct walk *w, uint32_t first, uint32_t n, int depth)
{
    for (uint32_t i = 0; i < n; i++) {
        enum cpr_err e = walk_ptr(w, first + i, depth);
        if (e)
            return e;
    }
    return CPR_OK;
}

static bool zero_bits(const struct cpr_msg *m, uint64_t from_bit, uint64_t to_bit)
{
    for (uint64_t b = from_bit; b < to_bit; b++)
        if (m->base[b / 8] & (1u << (b % 8)))
            return false;
    return true;
}

static enum cpr_err walk_list(struct walk *w, struct ptr d, uint32_t target, int depth)
{
    const struct cpr_msg *m = w->m;
    if (d.es <= 5) {
        uint64_t bits = (uint64_t)d.count * prim_bits(d.es);
        uint64_t words = (bits + 63) / 64;
        if (target + words > m->nwords)
            return CPR_E_POINTER;
        w->cursor = (uint32_t)(target + words);
        if (!zero_bits(m, (uint64_t)target * 64 + bits, (target + words) * 64))
            return CPR_E_PADDING;
        return CPR_OK;
    }
    if (d.es == 6) {
        if ((uint64_t)target + d.count > m->nwords)
            return CPR_E_POINTER;
        w->cursor = target + d.count;
        return walk_ptrs(w, target, d.count, depth + 1);
    }
    /* composite: a tag word in struct-pointer form, then the elements */
    if ((uint64_t)target + 1 + d.count > m->nwords)
        return CPR_E_POINTER;
    struct ptr tag = decode(word(m, target));
    if (tag.kind != 0)
        return CPR_E_POINTER;
    uint32_t n = ((uint32_t)word(m, target) >> 2) & 0x3fffffffu;
    uint32_t esz = (uint32_t)tag.nd + tag.np;
    if ((uint64_t)n * esz != d.count)
        return CPR_E_LAYOUT;
    w->cursor = target + 1 + d.count;
    if (n == 0 || esz == 0)
        return (n == 0 && esz != 0) ? CPR_E_TRUNCATE : CPR_OK;
    bool data_used = tag.nd == 0, ptr_used = tag.np == 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t el = target + 1 + i * esz;
        if (tag.nd && word(m, el + tag.nd - 1))
            data_used = true;
        if (tag.np && word(m, el + esz - 1))
            ptr_used = true;
    }
    if (!data_used || !ptr_used)
        return CPR_E_TRUNCATE;
    for (uint32_t i = 0; i < n; i++) {
        enum cpr_err e = walk_ptrs(w, target + 1 + i * esz + tag.nd, tag.np, depth + 1);
        if (e)
            return e;
    }
    return CPR_OK;
}

static enum cpr_err walk_ptr(struct walk *w, uint32_t at, int depth)
{
    const struct cpr_msg *m = w->m;
    uint64_t p = word(m, at);
    if (p == 0)
        return CPR_OK;
    if (depth > CPR_MAX_DEPTH)
        return CPR_E_DEPTH;
    struct ptr d = decode(p);
    if (d.kind >= 2)
        return CPR_E_POINTER;
    int64_t target = (int64_t)at + 1 + d.off;
    if (d.kind == 0 && d.nd == 0 && d.np == 0)
        return d.off == -1 ? CPR_OK : CPR_E_LAYOUT;
    if (target != (int64_t)w->cursor)
        return CPR_E_LAYOUT;
    if (d.kind == 1)
        return walk_list(w, d, (uint32_t)target, depth);
    uint64_t end = (uint64_t)target + d.nd + d.np;
    if (end > m->nwords)
        return CPR_E_POINTER;
    if (d.nd && word(m, (uint32_t)target + d.nd - 1) == 0)
        return CPR_E_TRUNCATE;
    if (d.np && word(m, (uint32_t)end - 1) == 0)
        return CPR_E_TRUNCATE;
    w->cursor = (uint32_t)end;
    return walk_ptrs(w, (uint32_t)target + d.nd, d.np, depth + 1);
}

enum cpr_err cpr_open(struct cpr_msg *m, const void *buf, size_t len)
{
    m->base = buf;
    m->nwords = 0;
    if (len == 0 || len % 8 || len / 8 > CPR_MAX_WORDS)
        return CPR_E_SIZE;
    m->nwords = (uint32_t)(len / 8);
    struct walk w = {m, 1};
    enum cpr_err e = walk_ptr(&w, 0, 0);
    if (e)
        return e;
    if (word(m, 0) == 0 && m->nwords != 1)
        return CPR_E_LAYOUT;
    return w.cursor == m->nwords || word(m, 0) == 0 ? CPR_OK : CPR_E_LAYOUT;
}

/* ---- accessors: each re-checks what it decodes ---- */

static enum cpr_err get_struct(const struct cpr_msg *m, uint32_t at, struct cpr_struct *out)
{
    uint64_t p = word(m, at);
    out->m = m;
    out->data = 0;
    out->ndata = out->nptrs = 0;
    if (p == 0)
        return CPR_OK;
    struct ptr d = decode(p);
    if (d.kind != 0)
        return CPR_E_TYPE;
    int64_t target = (int64_t)at + 1 + d.off;
    if (target < 0 || target + d.nd + d.np > (int64_t)m->nwords)
        return CPR_E_POINTER;
    out->data = (uint32_t)target;
    out->ndata = d.nd;
    out->nptrs = d.np;
    return CPR_OK;
}

enum cpr_err cpr_root(const struct cpr_msg *m, struct cpr_struct *out)
{
    return get_struct(m, 0, out);
}

static uint64_t rd(const struct cpr_struct *s, uint32_t off, uint32_t size)
{
    if ((uint64_t)off + size > (uint64_t)s->ndata * 8)
        return 0;
    const uint8_t *p = s->m->base + (size_t)s->data * 8 + off;
    uint64_t v = 0;
    for (uint32_t i = size; i-- > 0;)
        v = (v << 8) | p[i];
    return v;
}

uint8_t cpr_u8(const struct cpr_struct *s, uint32_t o) { return (uint8_t)rd(s, o, 1); }
uint16_t cpr_u16(const struct cpr_struct *s, uint32_t o) { return (uint16_t)rd(s, o, 2); }
uint32_t cpr_u32(const struct cpr_struct *s, uint32_t o) { return (uint32_t)rd(s, o, 4); }
uint64_t cpr_u64(const struct cpr_struct *s, uint32_t o) { return rd(s, o, 8); }

static enum cpr_err get_list(const struct cpr_msg *m, uint32_t at, uint8_t want,
                             struct cpr_list *out)
{
    uint64_t p = word(m, at);
    out->m = m;
    out->start = 0;
    out->count = 0;
    out->esize = want;
    out->ndata = out->nptrs = 0;
    if (p == 0)
        return CPR_OK;
    struct ptr d = decode(p);
    if (d.kind != 1 || d.es != want)
        return CPR_E_TYPE;
    int64_t target = (int64_t)at + 1 + d.off;
    if (target < 0)
        return CPR_E_POINTER;
    if (want == 7) {
        if (target + 1 + (int64_t)d.count > (int64_t)m->nwords)
            return CPR_E_POINTER;
        struct ptr tag = decode(word(m, (uint32_t)target));
        uint32_t n = ((uint32_t)word(m, (uint32_t)target) >> 2) & 0x3fffffffu;
        if (tag.kind != 0 || (uint64_t)n * ((uint32_t)tag.nd + tag.np) != d.count)
            return CPR_E_POINTER;
        out->start = (uint32_t)target + 1;
        out->count = n;
        out->ndata = tag.nd;
        out->nptrs = tag.np;
        return CPR_OK;
    }
    uint64_t words = want == 6 ? d.count : ((uint64_t)d.count * prim_bits(want) + 63) / 64;
    if (target + (int64_t)words > (int64_t)m->nwords)
        return CPR_E_POINTER;
    out->start = (uint32_t)target;
    out->count = d.count;
    return CPR_OK;
}

enum cpr_err cpr_list_field(const struct cpr_struct *s, uint16_t ptr, uint8_t want,
                            struct cpr_list *out)
{
    if (ptr >= s->nptrs) {
        struct cpr_list empty = {s->m, 0, 0, want, 0, 0};
        *out = empty;
        return CPR_OK;
    }
    return get_list(s->m, s->data + s->ndata + ptr, want, out);
}

static enum cpr_err get_bytes(const struct cpr_msg *m, uint32_t at, bool text,
                              struct cpr_bytes *out)
{
    struct cpr_list l;
    enum cpr_err e = get_list(m, at, 2, &l);
    out->p = (const uint8_t *)"";
    out->len = 0;
    if (e)
        return e;
    if (l.count == 0)
        return text && word(m, at) != 0 ? CPR_E_TEXT : CPR_OK;
    const uint8_t *p = m->base + (size_t)l.start * 8;
    uint32_t n = l.count;
    if (text) {
        if (p[n - 1] != 0)
            return CPR_E_TEXT;
        n--;
        for (uint32_t i = 0; i < n; i++)
            if (p[i] == 0)
                return CPR_E_TEXT;
    }
    out->p = p;
    out->len = n;
    return CPR_OK;
}

enum cpr_err cpr_text(const struct cpr_struct *s, uint16_t ptr, struct cpr_bytes *out)
{
    if (ptr >= s->nptrs) {
        out->p = (const uint8_t *)"";
        out->len = 0;
        return CPR_OK;
    }
    return get_bytes(s->m, s->data + s->ndata + ptr, true, out);
}

enum cpr_err cpr_data(const struct cpr_struct *s, uint16_t ptr, struct cpr_bytes *out)
{
    if (ptr >= s->nptrs) {
        out->p = (const uint8_t *)"";
        out->len = 0;
        return CPR_OK;
    }
    return get_bytes(s->m, s->data + s->ndata + ptr, false, out);
}

enum cpr_err cpr_struct_field(const struct cpr_struct *s, uint16_t ptr, struct cpr_struct *out)
{
    if (ptr >= s->nptrs) {
        out->m = s->m;
        out->data = 0;
        out->ndata = out->nptrs = 0;
        return CPR_OK;
    }
    return get_struct(s->m, s->data + s->ndata + ptr, out);
}

enum cpr_err cpr_list_struct(const struct cpr_list *l, uint32_t i, struct cpr_struct *out)
{
    if (l->esize != 7 || i >= l->count)
        return CPR_E_TYPE;
    out->m = l->m;
    out->data = l->start + i * ((uint32_t)l->ndata + l->nptrs);
    out->ndata = l->ndata;
    out->nptrs = l->nptrs;
    return CPR_OK;
}

enum cpr_err cpr_list_text(const struct cpr_list *l, uint32_t i, struct cpr_bytes *out)
{
    if (l->esize != 6 || i >= l->count)
        return CPR_E_TYPE;
    return get_bytes(l->m, l->start + i, true, out);
}
