/*
 * capnp/canon.c: deep copy, and the canonical form.
 *
 * The encoding spec defines a message's canonical form so that equal
 * values have equal bytes (and so one hash):
 *   - one segment, no far pointers, no segment table;
 *   - the root struct right after the root pointer, and every object laid
 *     out in pre-order: an object's own words first, then the objects its
 *     pointers lead to, depth first, in pointer order (for a struct list:
 *     all elements' sections, then element 0's pointers, element 1's...);
 *   - struct data sections without trailing zero words, pointer sections
 *     without trailing null pointers; a struct list uses the largest
 *     truncated sizes among its elements;
 *   - an empty struct is a pointer with offset -1; an empty list points at
 *     the next free word; unused bits of bit lists and padding are zero.
 * The copier below reads through the checked reader (so the depth limit
 * and traversal budget bound its work and recursion) and writes with the
 * bump allocator, which is exactly pre-order when it is called depth first.
 */
#include "capnp/internal.h"

struct copier {
    struct capnp_builder *b;
    bool canonical;
};

/*
 * The pointers still to copy after an object's own words are written: for
 * a struct one group of pointers, for a list one group per element. Kept
 * apart from the (non-recursive) work of laying out the object, so that
 * the recursion's stack frame stays small: copying nests once per level
 * of the message, up to the depth limit, in kernel stacks too.
 */
struct children {
    const struct capnp_segment *seg;   /* source segment of the pointers */
    const uint8_t *src;                /* first source pointer */
    uint8_t *dst;                      /* first destination pointer */
    uint32_t groups, per;              /* elements, pointers copied per element */
    uint32_t src_step, dst_step;       /* bytes from one element to the next */
    uint32_t depth;                    /* nesting left below the object */
};

static void copy_ptr(struct copier *c, uint8_t *dst, struct capnp_ptr src);

static bool zero_word(const uint8_t *p)
{
    return ld64(p) == 0;
}

static uint32_t data_words_used(const uint8_t *data, uint32_t dw)
{
    while (dw > 0 && zero_word(data + (size_t)(dw - 1) * 8))
        dw--;
    return dw;
}

static uint32_t ptrs_used(const uint8_t *ptrs, uint32_t pc)
{
    while (pc > 0 && zero_word(ptrs + (size_t)(pc - 1) * 8))
        pc--;
    return pc;
}

static uint32_t min32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* Writes struct s at dst (data copied, pointers to follow in *k). */
static void lay_out_struct(struct copier *c, uint8_t *dst, struct capnp_struct s,
                           struct children *k)
{
    uint32_t dw = s.data_bytes / 8, pc = s.ptr_count;
    if (c->canonical) {
        dw = data_words_used(s.data, dw);
        pc = ptrs_used(s.ptrs, pc);
    }
    struct capnp_slot slot = {c->b, dst};
    struct capnp_sbuilder d = capnp_slot_init_struct(slot, (uint16_t)dw, (uint16_t)pc);
    if (!d.b)
        return;
    if (min32(s.data_bytes, d.data_bytes))
        __builtin_memcpy(d.data, s.data, min32(s.data_bytes, d.data_bytes));
    k->src = s.ptrs;
    k->dst = d.ptrs;
    k->groups = 1;
    k->per = min32(s.ptr_count, d.ptr_count);
    k->depth = s.depth;
}

/* Writes list l at dst (element data copied, pointers to follow in *k). */
static void lay_out_list(struct copier *c, uint8_t *dst, struct capnp_list l, struct children *k)
{
    struct capnp_slot slot = {c->b, dst};
    struct capnp_lbuilder d;

    k->depth = l.depth;
    if (l.esize == CAPNP_ESIZE_COMPOSITE) {
        uint32_t dw = l.data_bits / 64, pc = l.ptr_count;
        if (c->canonical) {
            uint32_t mdw = 0, mpc = 0;
            for (uint32_t i = 0; i < l.len; i++) {
                struct capnp_struct e = capnp_list_struct(l, i);
                uint32_t edw = data_words_used(e.data, dw), epc = ptrs_used(e.ptrs, pc);
                mdw = edw > mdw ? edw : mdw;
                mpc = epc > mpc ? epc : mpc;
            }
            dw = mdw;
            pc = mpc;
        }
        d = capnp_slot_init_struct_list(slot, l.len, (uint16_t)dw, (uint16_t)pc);
        if (!d.b)
            return;
        /* Every element's data now; the pointers' targets come after all
         * the elements, element by element (pre-order). */
        for (uint32_t i = 0; i < l.len; i++) {
            struct capnp_struct e = capnp_list_struct(l, i);
            struct capnp_sbuilder de = capnp_lstruct(d, i);
            if (min32(e.data_bytes, de.data_bytes))
                __builtin_memcpy(de.data, e.data, min32(e.data_bytes, de.data_bytes));
        }
        k->src = l.start + l.data_bits / 8;
        k->dst = d.start + (size_t)dw * 8;
        k->groups = l.len;
        k->per = min32(l.ptr_count, pc);
        k->src_step = l.step / 8;
        k->dst_step = d.step / 8;
        return;
    }

    d = capnp_slot_init_list(slot, l.esize, l.len);
    if (!d.b)
        return;
    if (l.esize == CAPNP_ESIZE_POINTER) {
        k->src = l.start;
        k->dst = d.start;
        k->groups = l.len;
        k->per = 1;
        k->src_step = k->dst_step = 8;
        return;
    }
    /* Primitive elements: copy the used bits; padding stays zero. */
    uint64_t bits = (uint64_t)l.len * l.step;
    if (bits / 8)
        __builtin_memcpy(d.start, l.start, (size_t)(bits / 8));
    if (bits % 8)
        d.start[bits / 8] = (uint8_t)(l.start[bits / 8] & ((1u << (bits % 8)) - 1));
}

/* Follows src, writes what it leads to at dst, and fills *k with the
 * pointers left to copy. Not inlined: its locals stay off the recursion. */
__attribute__((noinline)) static void lay_out(struct copier *c, uint8_t *dst,
                                              struct capnp_ptr src, struct children *k)
{
    struct capnp_target t;
    if (capnp_resolve(src, &t) != CAPNP_OK)
        return;
    k->seg = t.seg;
    switch (ptr_kind(t.word)) {
    case CAPNP_KIND_STRUCT: {
        struct capnp_struct s;
        if (capnp_deref_struct(src, &t, &s) == CAPNP_OK)
            lay_out_struct(c, dst, s, k);
        return;
    }
    case CAPNP_KIND_LIST: {
        struct capnp_list l;
        if (capnp_deref_list(src, &t, CAPNP_ESIZE_ANY, &l) == CAPNP_OK)
            lay_out_list(c, dst, l, k);
        return;
    }
    default:
        if ((uint32_t)t.word != CAPNP_KIND_OTHER) {
            msg_fail(src.msg, CAPNP_ERESERVED);
            return;
        }
        st64(dst, t.word);      /* capability: index travels as is */
        return;
    }
}

static void copy_ptr(struct copier *c, uint8_t *dst, struct capnp_ptr src)
{
    struct children k = {0, 0, 0, 0, 0, 0, 0, 0};
    if (capnp_ptr_is_null(src) || c->b->err || src.msg->err)
        return;
    lay_out(c, dst, src, &k);
    for (uint32_t g = 0; g < k.groups; g++) {
        for (uint32_t j = 0; j < k.per; j++) {
            if (c->b->err || src.msg->err)
                return;
            struct capnp_ptr p = {src.msg, k.seg,
                                  k.src + (size_t)g * k.src_step + (size_t)j * 8, k.depth};
            copy_ptr(c, k.dst + (size_t)g * k.dst_step + (size_t)j * 8, p);
        }
    }
}

void capnp_slot_copy(struct capnp_slot p, struct capnp_ptr src)
{
    struct copier c = {p.b, false};
    if (!p.b || !src.msg)
        return;
    if (src.msg->err) {
        builder_fail(p.b, src.msg->err);
        return;
    }
    copy_ptr(&c, p.loc, src);
    if (src.msg->err)
        builder_fail(p.b, src.msg->err);
}

int capnp_canonicalize_ptr(struct capnp_ptr p, void *out, size_t cap, size_t *len)
{
    struct capnp_builder b;
    struct copier c = {&b, true};
    capnp_builder_init(&b, out, cap);
    if (b.err)
        return b.err;
    if (!p.msg)
        return CAPNP_EINVAL;
    if (p.msg->err)
        return p.msg->err;
    copy_ptr(&c, b.buf, p);
    if (p.msg->err)
        return p.msg->err;
    if (b.err)
        return b.err;
    *len = (size_t)b.used * 8;
    return CAPNP_OK;
}

int capnp_canonicalize(struct capnp_msg *m, void *out, size_t cap, size_t *len)
{
    struct capnp_ptr root = capnp_msg_root_ptr(m);
    if (m->err)
        return m->err;
    /* The root of a message is a struct; a null root is the empty struct. */
    if (capnp_ptr_is_null(root)) {
        struct capnp_builder b;
        capnp_builder_init(&b, out, cap);
        capnp_builder_root(&b, 0, 0);
        if (b.err)
            return b.err;
        *len = (size_t)b.used * 8;
        return CAPNP_OK;
    }
    struct capnp_target t;
    if (capnp_resolve(root, &t) != CAPNP_OK)
        return m->err;
    if (ptr_kind(t.word) != CAPNP_KIND_STRUCT)
        return msg_fail(m, CAPNP_EKIND);
    return capnp_canonicalize_ptr(root, out, cap, len);
}
