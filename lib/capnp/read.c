/*
 * capnp/read.c: reading messages. Every pointer is checked here and only
 * here: capnp_resolve() finds where a pointer (possibly far, possibly
 * double-far) leads and checks the segment and landing pad; the deref
 * functions check the object's extent, its kind against the schema's, the
 * depth limit, and charge the traversal budget. Readers handed out by this
 * file therefore always describe bytes inside a segment.
 *
 * A failure records the first error in the message and yields the field's
 * default; callers check capnp_msg_error() once, after reading.
 */
#include "capnp/internal.h"

const uint8_t capnp_esize_bits[8] = {0, 1, 8, 16, 32, 64, 64, 0};

static const char *const err_text[] = {
#define X(name, text) text,
    CAPNP_ERRORS(X)
#undef X
};

static const char *const err_name[] = {
#define X(name, text) #name,
    CAPNP_ERRORS(X)
#undef X
};

const char *capnp_strerror(int err)
{
    if (err < 0 || err >= CAPNP_ERR_COUNT)
        return "unknown capnp error";
    return err_text[err];
}

const char *capnp_errname(int err)
{
    if (err < 0 || err >= CAPNP_ERR_COUNT)
        return "CAPNP_E?";
    return err_name[err];
}

/* ---- messages ----------------------------------------------------------- */

void capnp_msg_init(struct capnp_msg *m, const struct capnp_segment *segs, uint32_t nsegs)
{
    m->segs = segs;
    m->nsegs = nsegs;
    m->depth_limit = CAPNP_DEFAULT_DEPTH;
    m->traversal_left = CAPNP_DEFAULT_TRAVERSAL;
    m->err = CAPNP_OK;
    m->seg0.data = 0;
    m->seg0.words = 0;
}

int capnp_msg_init_flat(struct capnp_msg *m, const void *buf, size_t len)
{
    capnp_msg_init(m, &m->seg0, 0);
    if (len % 8 != 0)
        return msg_fail(m, CAPNP_ETRUNC);
    if (len / 8 > CAPNP_MAX_SEGMENT_WORDS)
        return msg_fail(m, CAPNP_ETOOBIG);
    m->seg0.data = buf;
    m->seg0.words = (uint32_t)(len / 8);
    m->nsegs = 1;
    return CAPNP_OK;
}

int capnp_msg_init_stream(struct capnp_msg *m, struct capnp_segment *segs, uint32_t max_segs,
                          const void *buf, size_t len, size_t *used)
{
    const uint8_t *p = buf;
    capnp_msg_init(m, segs, 0);
    if (len < 8)
        return msg_fail(m, CAPNP_ETRUNC);
    uint64_t n = (uint64_t)ld32(p) + 1;
    if (n > max_segs)
        return msg_fail(m, CAPNP_ESEGCOUNT);
    uint64_t off = (4 + 4 * n + 7) & ~(uint64_t)7;
    if (off > len)
        return msg_fail(m, CAPNP_ETRUNC);
    for (uint64_t i = 0; i < n; i++) {
        uint32_t words = ld32(p + 4 + 4 * i);
        if (words > CAPNP_MAX_SEGMENT_WORDS)
            return msg_fail(m, CAPNP_ETOOBIG);
        if (words > (len - off) / 8)
            return msg_fail(m, CAPNP_ETRUNC);
        segs[i].data = p + off;
        segs[i].words = words;
        off += (uint64_t)words * 8;
    }
    m->nsegs = (uint32_t)n;
    if (used)
        *used = (size_t)off;
    return CAPNP_OK;
}

void capnp_msg_set_limits(struct capnp_msg *m, uint64_t traversal_words, uint32_t depth)
{
    m->traversal_left = traversal_words;
    m->depth_limit = depth;
}

struct capnp_ptr capnp_msg_root_ptr(struct capnp_msg *m)
{
    struct capnp_ptr p = {m, 0, 0, 0};
    if (m->nsegs == 0 || m->segs[0].words == 0) {
        msg_fail(m, CAPNP_ENOROOT);
        return p;
    }
    p.seg = &m->segs[0];
    p.loc = m->segs[0].data;
    p.depth = m->depth_limit;
    return p;
}

struct capnp_struct capnp_msg_root(struct capnp_msg *m)
{
    return capnp_ptr_struct(capnp_msg_root_ptr(m), 0);
}

/* ---- resolving pointers ------------------------------------------------- */

static int charge(struct capnp_msg *m, uint64_t words)
{
    if (words == 0)
        words = 1;
    if (words > m->traversal_left) {
        m->traversal_left = 0;
        return msg_fail(m, CAPNP_ETRAVERSAL);
    }
    m->traversal_left -= words;
    return CAPNP_OK;
}

/* Target of an ordinary struct/list pointer word w found at word `here`. */
static int near_target(struct capnp_msg *m, const struct capnp_segment *seg, uint64_t here,
                       uint64_t w, struct capnp_target *t)
{
    int64_t start = (int64_t)here + 1 + ptr_offset(w);
    if (start < 0 || (uint64_t)start > seg->words)
        return msg_fail(m, CAPNP_EBOUNDS);
    t->seg = seg;
    t->start = (uint64_t)start;
    t->word = w;
    return CAPNP_OK;
}

int capnp_resolve(struct capnp_ptr p, struct capnp_target *t)
{
    struct capnp_msg *m = p.msg;
    uint64_t w = ld64(p.loc);
    uint64_t here = (uint64_t)(p.loc - p.seg->data) / 8;

    if (m->err)
        return m->err;
    switch (ptr_kind(w)) {
    case CAPNP_KIND_STRUCT:
    case CAPNP_KIND_LIST:
        return near_target(m, p.seg, here, w, t);
    case CAPNP_KIND_OTHER:
        t->seg = p.seg;
        t->start = 0;
        t->word = w;
        return CAPNP_OK;
    default:
        break;
    }

    /* Far pointer: bit 2 = double-far, bits 3..31 = landing pad word, 32..63 = segment. */
    uint32_t id = (uint32_t)(w >> 32);
    uint64_t pad = (w >> 3) & 0x1fffffff;
    bool dbl = (w >> 2) & 1;
    if (id >= m->nsegs)
        return msg_fail(m, CAPNP_ESEGMENT);
    const struct capnp_segment *s2 = &m->segs[id];
    if (pad + (dbl ? 2 : 1) > s2->words)
        return msg_fail(m, CAPNP_EBOUNDS);
    uint64_t lw = ld64(s2->data + pad * 8);

    if (!dbl) {
        /* The landing pad is an ordinary pointer in segment id. */
        switch (ptr_kind(lw)) {
        case CAPNP_KIND_FAR:
            return msg_fail(m, CAPNP_ELANDING);
        case CAPNP_KIND_OTHER:
            t->seg = s2;
            t->start = 0;
            t->word = lw;
            return CAPNP_OK;
        default:
            return near_target(m, s2, pad, lw, t);
        }
    }

    /* Double-far: the pad is a single far pointer to the object's content,
     * followed by a tag word that describes the object (offset unused). */
    uint64_t tag = ld64(s2->data + pad * 8 + 8);
    if (ptr_kind(lw) != CAPNP_KIND_FAR || ((lw >> 2) & 1) ||
        (ptr_kind(tag) != CAPNP_KIND_STRUCT && ptr_kind(tag) != CAPNP_KIND_LIST))
        return msg_fail(m, CAPNP_ELANDING);
    uint32_t id3 = (uint32_t)(lw >> 32);
    uint64_t start = (lw >> 3) & 0x1fffffff;
    if (id3 >= m->nsegs)
        return msg_fail(m, CAPNP_ESEGMENT);
    if (start > m->segs[id3].words)
        return msg_fail(m, CAPNP_EBOUNDS);
    t->seg = &m->segs[id3];
    t->start = start;
    t->word = tag;
    return CAPNP_OK;
}

int capnp_deref_struct(struct capnp_ptr p, const struct capnp_target *t, struct capnp_struct *out)
{
    struct capnp_msg *m = p.msg;
    uint64_t w = t->word;
    if (ptr_kind(w) != CAPNP_KIND_STRUCT)
        return msg_fail(m, CAPNP_EKIND);
    if (p.depth == 0)
        return msg_fail(m, CAPNP_EDEPTH);
    uint64_t dw = ptr_struct_dw(w), pc = ptr_struct_pc(w);
    if (dw + pc > t->seg->words - t->start)
        return msg_fail(m, CAPNP_EBOUNDS);
    if (charge(m, dw + pc))
        return m->err;
    out->msg = m;
    out->seg = t->seg;
    out->data = t->seg->data + t->start * 8;
    out->ptrs = out->data + dw * 8;
    out->data_bytes = (uint32_t)(dw * 8);
    out->ptr_count = (uint16_t)pc;
    out->depth = p.depth - 1;
    return CAPNP_OK;
}

/* May a list encoded like l be read as a list of `expect` elements? The
 * spec lets a struct list stand for a primitive or pointer list (its first
 * field is the value), any non-bit list stand for a struct list, and wider
 * primitives stand for narrower ones; bit lists stand only for themselves. */
static bool list_compatible(const struct capnp_list *l, unsigned expect)
{
    switch (expect) {
    case CAPNP_ESIZE_ANY:
    case CAPNP_ESIZE_VOID:
        return true;
    case CAPNP_ESIZE_BIT:
        return l->esize == CAPNP_ESIZE_BIT;
    case CAPNP_ESIZE_BYTE:
    case CAPNP_ESIZE_TWO:
    case CAPNP_ESIZE_FOUR:
    case CAPNP_ESIZE_EIGHT:
        return l->esize != CAPNP_ESIZE_BIT && l->data_bits >= capnp_esize_bits[expect];
    case CAPNP_ESIZE_POINTER:
        return l->ptr_count >= 1;
    case CAPNP_ESIZE_COMPOSITE:
        return l->esize != CAPNP_ESIZE_BIT;
    default:
        return false;
    }
}

int capnp_deref_list(struct capnp_ptr p, const struct capnp_target *t, unsigned expect,
                     struct capnp_list *out)
{
    struct capnp_msg *m = p.msg;
    uint64_t w = t->word;
    const struct capnp_segment *seg = t->seg;
    uint64_t avail = seg->words - t->start;
    struct capnp_list l;

    if (ptr_kind(w) != CAPNP_KIND_LIST)
        return msg_fail(m, CAPNP_EKIND);
    if (p.depth == 0)
        return msg_fail(m, CAPNP_EDEPTH);
    l.msg = m;
    l.seg = seg;
    l.esize = (uint8_t)ptr_list_esize(w);
    l.depth = p.depth - 1;
    if (l.esize == CAPNP_ESIZE_COMPOSITE) {
        uint64_t words = ptr_list_count(w);
        if (words + 1 > avail)
            return msg_fail(m, CAPNP_EBOUNDS);
        uint64_t tag = ld64(seg->data + t->start * 8);
        if (ptr_kind(tag) != CAPNP_KIND_STRUCT)
            return msg_fail(m, CAPNP_ELISTTAG);
        uint64_t n = (uint32_t)tag >> 2;
        uint64_t dw = ptr_struct_dw(tag), pc = ptr_struct_pc(tag);
        if (n * (dw + pc) > words)
            return msg_fail(m, CAPNP_ELISTTAG);
        /* Zero-sized elements cost a word each, so a huge count of
         * nothing cannot make a reader loop for free. */
        if (charge(m, words + 1 + (dw + pc == 0 ? n : 0)))
            return m->err;
        l.start = seg->data + (t->start + 1) * 8;
        l.len = (uint32_t)n;
        l.step = (uint32_t)((dw + pc) * 64);
        l.data_bits = (uint32_t)(dw * 64);
        l.ptr_count = (uint16_t)pc;
    } else {
        uint64_t n = ptr_list_count(w);
        uint64_t bits = capnp_esize_bits[l.esize];
        uint64_t words = (n * bits + 63) / 64;
        if (words > avail)
            return msg_fail(m, CAPNP_EBOUNDS);
        if (charge(m, bits == 0 ? n : words))
            return m->err;
        l.start = seg->data + t->start * 8;
        l.len = (uint32_t)n;
        l.step = (uint32_t)bits;
        l.data_bits = l.esize == CAPNP_ESIZE_POINTER ? 0 : (uint32_t)bits;
        l.ptr_count = l.esize == CAPNP_ESIZE_POINTER;
    }
    if (!list_compatible(&l, expect))
        return msg_fail(m, CAPNP_ELISTTYPE);
    *out = l;
    return CAPNP_OK;
}

/* ---- struct fields -------------------------------------------------------- */

uint8_t capnp_get_u8(struct capnp_struct s, uint32_t off)
{
    return (uint64_t)off + 1 <= s.data_bytes ? s.data[off] : 0;
}

uint16_t capnp_get_u16(struct capnp_struct s, uint32_t off)
{
    return (uint64_t)off + 2 <= s.data_bytes ? ld16(s.data + off) : 0;
}

uint32_t capnp_get_u32(struct capnp_struct s, uint32_t off)
{
    return (uint64_t)off + 4 <= s.data_bytes ? ld32(s.data + off) : 0;
}

uint64_t capnp_get_u64(struct capnp_struct s, uint32_t off)
{
    return (uint64_t)off + 8 <= s.data_bytes ? ld64(s.data + off) : 0;
}

bool capnp_get_bool(struct capnp_struct s, uint32_t bit)
{
    if (bit / 8 >= s.data_bytes)
        return false;
    return (s.data[bit / 8] >> (bit % 8)) & 1;
}

struct capnp_ptr capnp_get_ptr(struct capnp_struct s, uint32_t idx)
{
    struct capnp_ptr p = {s.msg, s.seg, 0, s.depth};
    if (idx < s.ptr_count)
        p.loc = s.ptrs + (size_t)idx * 8;
    return p;
}

struct capnp_ptr capnp_get_ptr_if(struct capnp_struct s, uint32_t idx, bool present)
{
    return capnp_get_ptr(s, present ? idx : UINT32_MAX);
}

/* ---- following pointers ------------------------------------------------- */

bool capnp_ptr_is_null(struct capnp_ptr p)
{
    return !p.loc || ld64(p.loc) == 0;
}

static struct capnp_ptr default_root(struct capnp_ptr p, const struct capnp_segment *dflt)
{
    struct capnp_ptr d = {p.msg, dflt, dflt->words ? dflt->data : 0, p.depth};
    return d;
}

struct capnp_struct capnp_ptr_struct(struct capnp_ptr p, const struct capnp_segment *dflt)
{
    /* An absent struct is empty, at the depth the pointer would lead to. */
    struct capnp_struct s = {p.msg, p.seg, 0, 0, 0, 0, p.depth ? p.depth - 1 : 0};
    struct capnp_target t;
    if (!p.msg)
        return s;
    if (!capnp_ptr_is_null(p) && capnp_resolve(p, &t) == CAPNP_OK &&
        capnp_deref_struct(p, &t, &s) == CAPNP_OK)
        return s;
    if (dflt && p.seg != dflt)
        return capnp_ptr_struct(default_root(p, dflt), dflt);
    return s;
}

struct capnp_list capnp_ptr_list(struct capnp_ptr p, unsigned expect,
                                 const struct capnp_segment *dflt)
{
    struct capnp_list l = {p.msg, p.seg, 0, 0, 0, 0, 0, (uint8_t)(expect & 7),
                           p.depth ? p.depth - 1 : 0};
    struct capnp_target t;
    if (!p.msg)
        return l;
    if (!capnp_ptr_is_null(p) && capnp_resolve(p, &t) == CAPNP_OK &&
        capnp_deref_list(p, &t, expect, &l) == CAPNP_OK)
        return l;
    if (dflt && p.seg != dflt)
        return capnp_ptr_list(default_root(p, dflt), expect, dflt);
    return l;
}

/* Text and Data are byte lists; text must end in its NUL. */
static bool byte_list(struct capnp_ptr p, struct capnp_list *l)
{
    struct capnp_target t;
    if (capnp_ptr_is_null(p) || !p.msg || capnp_resolve(p, &t) != CAPNP_OK)
        return false;
    if (ptr_kind(t.word) == CAPNP_KIND_LIST && ptr_list_esize(t.word) != CAPNP_ESIZE_BYTE) {
        msg_fail(p.msg, CAPNP_ELISTTYPE);
        return false;
    }
    return capnp_deref_list(p, &t, CAPNP_ESIZE_BYTE, l) == CAPNP_OK;
}

struct capnp_text capnp_ptr_text(struct capnp_ptr p, const char *dflt, uint32_t dflt_len)
{
    struct capnp_text r = {dflt ? dflt : "", dflt ? dflt_len : 0};
    struct capnp_list l;
    if (!byte_list(p, &l))
        return r;
    if (l.len == 0 || l.start[l.len - 1] != 0) {
        msg_fail(p.msg, CAPNP_ETEXT);
        return r;
    }
    r.str = (const char *)l.start;
    r.len = l.len - 1;
    return r;
}

struct capnp_data capnp_ptr_data(struct capnp_ptr p, const uint8_t *dflt, uint32_t dflt_len)
{
    struct capnp_data r = {dflt, dflt ? dflt_len : 0};
    struct capnp_list l;
    if (!byte_list(p, &l))
        return r;
    r.ptr = l.start;
    r.len = l.len;
    return r;
}

uint32_t capnp_ptr_cap(struct capnp_ptr p)
{
    struct capnp_target t;
    if (capnp_ptr_is_null(p) || !p.msg || capnp_resolve(p, &t) != CAPNP_OK)
        return CAPNP_NO_CAP;
    if (ptr_kind(t.word) != CAPNP_KIND_OTHER) {
        msg_fail(p.msg, CAPNP_EKIND);
        return CAPNP_NO_CAP;
    }
    if ((uint32_t)t.word != CAPNP_KIND_OTHER) {
        msg_fail(p.msg, CAPNP_ERESERVED);
        return CAPNP_NO_CAP;
    }
    return (uint32_t)(t.word >> 32);
}

/* ---- list elements -------------------------------------------------------- */

static const uint8_t *elem(struct capnp_list l, uint32_t i)
{
    return l.start + (uint64_t)i * l.step / 8;
}

bool capnp_list_bool(struct capnp_list l, uint32_t i)
{
    if (i >= l.len || l.data_bits < 1)
        return false;
    uint64_t bit = (uint64_t)i * l.step;
    return (l.start[bit / 8] >> (bit % 8)) & 1;
}

uint8_t capnp_list_u8(struct capnp_list l, uint32_t i)
{
    return i < l.len && l.data_bits >= 8 ? elem(l, i)[0] : 0;
}

uint16_t capnp_list_u16(struct capnp_list l, uint32_t i)
{
    return i < l.len && l.data_bits >= 16 ? ld16(elem(l, i)) : 0;
}

uint32_t capnp_list_u32(struct capnp_list l, uint32_t i)
{
    return i < l.len && l.data_bits >= 32 ? ld32(elem(l, i)) : 0;
}

uint64_t capnp_list_u64(struct capnp_list l, uint32_t i)
{
    return i < l.len && l.data_bits >= 64 ? ld64(elem(l, i)) : 0;
}

struct capnp_struct capnp_list_struct(struct capnp_list l, uint32_t i)
{
    struct capnp_struct s = {l.msg, l.seg, 0, 0, 0, 0, l.depth};
    if (i >= l.len || l.esize == CAPNP_ESIZE_BIT)
        return s;
    s.data = elem(l, i);
    s.data_bytes = l.data_bits / 8;
    s.ptrs = s.data + s.data_bytes;
    s.ptr_count = l.ptr_count;
    return s;
}

struct capnp_ptr capnp_list_ptr(struct capnp_list l, uint32_t i)
{
    struct capnp_ptr p = {l.msg, l.seg, 0, l.depth};
    if (i < l.len && l.ptr_count >= 1)
        p.loc = elem(l, i) + l.data_bits / 8;
    return p;
}
