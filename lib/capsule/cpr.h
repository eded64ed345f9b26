/*
 * cpr: a small, strict reader for canonical Cap'n Proto messages, as the
 * capsule verifier needs it (manifests, certificate bodies, policies).
 *
 * Why its own: the verifier must run freestanding in init before anything
 * else, and it must refuse every message that is not canonical, so that a
 * VCID names exactly one manifest. The general runtime in lib/capnp/ may
 * replace the accessors below; the canonical check stays either way. All
 * field access by the verifier goes through manifest.c and policy.c, so a
 * switch touches those two files only.
 *
 * Contract:
 *   - cpr_open() accepts only a canonical single-segment message without a
 *     segment table ("flat" canonical form): every object lies at the place
 *     a preorder walk puts it, with no gaps, overlaps or sharing; struct
 *     sections are truncated (last data word non-zero, last pointer
 *     non-null; for struct lists the largest element decides); padding is
 *     zero; no far or capability pointers; nesting at most CPR_MAX_DEPTH.
 *     Its cost is linear in the message size.
 *   - after cpr_open() succeeds, the accessors still check every pointer
 *     they decode (kind, element size, bounds), so a caller that asks for
 *     the wrong type gets an error, never a wild read.
 *   - nothing here allocates; views point into the caller's buffer, which
 *     must stay alive and unchanged while they are used.
 */
#ifndef CAPSULE_CPR_H
#define CAPSULE_CPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPR_MAX_DEPTH 16
#define CPR_MAX_WORDS (1u << 24) /* 128 MiB: far above any manifest */

enum cpr_err {
    CPR_OK = 0,
    CPR_E_SIZE,      /* empty, not a multiple of 8, or too large */
    CPR_E_POINTER,   /* far/capability pointer, or out of bounds */
    CPR_E_LAYOUT,    /* not at the canonical (preorder, packed) place */
    CPR_E_TRUNCATE,  /* a struct section is not truncated */
    CPR_E_PADDING,   /* non-zero padding in a list */
    CPR_E_DEPTH,     /* nested too deeply */
    CPR_E_TYPE,      /* a field holds another kind of pointer */
    CPR_E_TEXT,      /* Text without its NUL, or with a NUL inside */
};

struct cpr_msg {
    const uint8_t *base;
    uint32_t nwords;
};

struct cpr_struct {
    const struct cpr_msg *m;
    uint32_t data;     /* word index of the data section */
    uint16_t ndata;    /* data words */
    uint16_t nptrs;    /* pointer words, after the data */
};

/* A list of structs, of pointers (Text/Data/struct lists) or of bytes. */
struct cpr_list {
    const struct cpr_msg *m;
    uint32_t start;    /* word index of element 0 */
    uint32_t count;
    uint8_t esize;     /* 2 = bytes, 6 = pointers, 7 = structs */
    uint16_t ndata;    /* for structs */
    uint16_t nptrs;
};

struct cpr_bytes {
    const uint8_t *p;  /* Text: NUL-terminated, len excludes the NUL */
    uint32_t len;
};

enum cpr_err cpr_open(struct cpr_msg *m, const void *buf, size_t len);
enum cpr_err cpr_root(const struct cpr_msg *m, struct cpr_struct *out);

/* Data fields by byte offset in the data section; absent fields read 0. */
uint8_t cpr_u8(const struct cpr_struct *s, uint32_t byte_off);
uint16_t cpr_u16(const struct cpr_struct *s, uint32_t byte_off);
uint32_t cpr_u32(const struct cpr_struct *s, uint32_t byte_off);
uint64_t cpr_u64(const struct cpr_struct *s, uint32_t byte_off);

/* Pointer fields. A null pointer reads as empty (text "", empty list,
 * struct with no sections), so optional fields need no special casing. */
enum cpr_err cpr_text(const struct cpr_struct *s, uint16_t ptr, struct cpr_bytes *out);
enum cpr_err cpr_data(const struct cpr_struct *s, uint16_t ptr, struct cpr_bytes *out);
enum cpr_err cpr_struct_field(const struct cpr_struct *s, uint16_t ptr, struct cpr_struct *out);
enum cpr_err cpr_list_field(const struct cpr_struct *s, uint16_t ptr, uint8_t want_esize,
                            struct cpr_list *out);

enum cpr_err cpr_list_struct(const struct cpr_list *l, uint32_t i, struct cpr_struct *out);
enum cpr_err cpr_list_text(const struct cpr_list *l, uint32_t i, struct cpr_bytes *out);

#endif
