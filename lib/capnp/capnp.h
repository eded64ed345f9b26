/*
 * capnp: the freestanding Cap'n Proto runtime (reader, builder, framing,
 * packing, canonical form). Generated code (tools/capnpc-c) is a thin typed
 * layer over the functions here; docs/CAPNP.md describes both.
 *
 * Reading. A message is one or more segments of 8-byte words. Readers are
 * small values (struct capnp_struct, capnp_list, capnp_ptr) that point into
 * the segments and carry the message they came from. Every pointer is
 * checked before it is followed: its target must lie inside its segment,
 * far pointers must name an existing segment and a well-formed landing pad,
 * nesting may not exceed the depth limit, and each object followed is
 * charged against a traversal budget (words), so a hostile message that
 * points many times at the same bytes, or at itself, runs out of budget
 * instead of looping or amplifying. A failed check records the first error
 * in the message (capnp_msg_error) and the read returns the field's default
 * value; a reader never faults, whatever the bytes.
 *
 * Building. A builder lays out a single-segment message in memory the caller
 * provides (no allocation); when it is full every later call is a no-op and
 * capnp_builder_error() says CAPNP_ENOSPACE. Builder values
 * (capnp_sbuilder, capnp_lbuilder, capnp_slot) point into that memory.
 *
 * Canonical form (capnp_canonicalize) is the encoding spec's: one segment,
 * objects in pre-order, struct sections without trailing zero words or null
 * pointers, no far pointers. It is what signatures and hashes are made over.
 *
 * Invariant: every byte address a reader forms lies inside the segment it
 * came from (or a default value compiled into the program). Values are
 * loaded byte by byte, so buffers need no particular alignment.
 */
#ifndef LIB_CAPNP_H
#define LIB_CAPNP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Errors: X(name, meaning). Every failure has its own code. */
#define CAPNP_ERRORS(X)                                                              \
    X(CAPNP_OK,         "success")                                                   \
    X(CAPNP_ETRUNC,     "input shorter than its framing says, or not whole words")   \
    X(CAPNP_ESEGCOUNT,  "segment table declares more segments than allowed")         \
    X(CAPNP_ETOOBIG,    "message or value larger than the encoding or a limit allows") \
    X(CAPNP_ENOROOT,    "first segment is empty: no root pointer")                   \
    X(CAPNP_EBOUNDS,    "pointer target lies outside its segment")                   \
    X(CAPNP_ESEGMENT,   "far pointer names a segment that does not exist")           \
    X(CAPNP_ELANDING,   "far pointer landing pad is malformed")                      \
    X(CAPNP_EDEPTH,     "objects nested deeper than the depth limit")                \
    X(CAPNP_ETRAVERSAL, "traversal budget exhausted (too many words read)")          \
    X(CAPNP_EKIND,      "pointer of the wrong kind (e.g. list where struct expected)") \
    X(CAPNP_ELISTTYPE,  "list element size incompatible with the schema's type")     \
    X(CAPNP_ELISTTAG,   "struct-list tag malformed or larger than the list")         \
    X(CAPNP_ETEXT,      "text is not a NUL-terminated byte list")                    \
    X(CAPNP_ERESERVED,  "reserved pointer kind (not struct, list, far or capability)") \
    X(CAPNP_EPACKED,    "packed stream malformed")                                   \
    X(CAPNP_ENOSPACE,   "builder or output buffer is full")                          \
    X(CAPNP_EINVAL,     "invalid argument")

enum capnp_err {
#define CAPNP_X_ENUM(name, text) name,
    CAPNP_ERRORS(CAPNP_X_ENUM)
#undef CAPNP_X_ENUM
    CAPNP_ERR_COUNT
};

const char *capnp_strerror(int err);
/* The enumerator's name, e.g. "CAPNP_EBOUNDS" (for logs and tests). */
const char *capnp_errname(int err);

/* Limits a reader applies unless told otherwise (capnp_msg_set_limits). */
#define CAPNP_DEFAULT_DEPTH      64
#define CAPNP_DEFAULT_TRAVERSAL  (8u * 1024 * 1024)   /* words = 64 MiB */
#define CAPNP_MAX_SEGMENT_WORDS  (1u << 29)           /* offsets are 29/30 bits */
#define CAPNP_MAX_LIST_COUNT     ((1u << 29) - 1)
#define CAPNP_NO_CAP             0xffffffffu

/* Element sizes as encoded in a list pointer. */
enum capnp_esize {
    CAPNP_ESIZE_VOID = 0,
    CAPNP_ESIZE_BIT = 1,
    CAPNP_ESIZE_BYTE = 2,
    CAPNP_ESIZE_TWO = 3,
    CAPNP_ESIZE_FOUR = 4,
    CAPNP_ESIZE_EIGHT = 5,
    CAPNP_ESIZE_POINTER = 6,
    CAPNP_ESIZE_COMPOSITE = 7,
    CAPNP_ESIZE_ANY = 8,       /* reader: accept any list (untyped access) */
};

/* Pointer kinds (low two bits of a pointer word). */
enum capnp_kind {
    CAPNP_KIND_STRUCT = 0,
    CAPNP_KIND_LIST = 1,
    CAPNP_KIND_FAR = 2,
    CAPNP_KIND_OTHER = 3,
};

struct capnp_segment {
    const uint8_t *data;
    uint32_t words;
};

/* A message being read. Fields other than segs/nsegs change as it is read. */
struct capnp_msg {
    const struct capnp_segment *segs;
    uint32_t nsegs;
    uint32_t depth_limit;
    uint64_t traversal_left;       /* words that may still be read */
    int err;                       /* first error met, CAPNP_OK if none */
    struct capnp_segment seg0;     /* storage for single-segment messages */
};

/* An untyped pointer inside a message (a struct field or list element). */
struct capnp_ptr {
    struct capnp_msg *msg;
    const struct capnp_segment *seg;
    const uint8_t *loc;            /* the pointer word; NULL = absent (null) */
    uint32_t depth;                /* nesting left for what it points to */
};

struct capnp_struct {
    struct capnp_msg *msg;
    const struct capnp_segment *seg;
    const uint8_t *data;           /* data section (data_bytes long) */
    const uint8_t *ptrs;           /* pointer section (ptr_count words) */
    uint32_t data_bytes;
    uint16_t ptr_count;
    uint32_t depth;
};

struct capnp_list {
    struct capnp_msg *msg;
    const struct capnp_segment *seg;
    const uint8_t *start;          /* first element */
    uint32_t len;                  /* elements */
    uint32_t step;                 /* bits from one element to the next */
    uint32_t data_bits;            /* data bits per element */
    uint16_t ptr_count;            /* pointers per element (after the data) */
    uint8_t esize;                 /* element size as encoded */
    uint32_t depth;
};

struct capnp_text {
    const char *str;               /* NUL-terminated at str[len] */
    uint32_t len;                  /* bytes, without the NUL */
};

struct capnp_data {
    const uint8_t *ptr;
    uint32_t len;
};

/* ---- messages --------------------------------------------------------- */

/* Read segments the caller has already located. */
void capnp_msg_init(struct capnp_msg *m, const struct capnp_segment *segs, uint32_t nsegs);
/* Read a single-segment message with no segment table (e.g. canonical
 * bytes, a ring payload). len must be a multiple of 8 and at least 8. */
int capnp_msg_init_flat(struct capnp_msg *m, const void *buf, size_t len);
/* Read one message in the standard stream framing (segment table, then
 * segments). segs[max_segs] is caller storage for the segment descriptors;
 * *used (optional) receives the bytes the message occupies in buf. */
int capnp_msg_init_stream(struct capnp_msg *m, struct capnp_segment *segs, uint32_t max_segs,
                          const void *buf, size_t len, size_t *used);
void capnp_msg_set_limits(struct capnp_msg *m, uint64_t traversal_words, uint32_t depth);
static inline int capnp_msg_error(const struct capnp_msg *m) { return m->err; }

struct capnp_ptr capnp_msg_root_ptr(struct capnp_msg *m);
struct capnp_struct capnp_msg_root(struct capnp_msg *m);

/* ---- reading structs ---------------------------------------------------- */

/* Data-section loads: offsets in bytes (bits for bool); a field beyond the
 * section (an older or smaller struct) reads as 0. */
uint8_t capnp_get_u8(struct capnp_struct s, uint32_t off);
uint16_t capnp_get_u16(struct capnp_struct s, uint32_t off);
uint32_t capnp_get_u32(struct capnp_struct s, uint32_t off);
uint64_t capnp_get_u64(struct capnp_struct s, uint32_t off);
bool capnp_get_bool(struct capnp_struct s, uint32_t bit);
/* Pointer idx of s (absent if idx >= ptr_count, or if !present). */
struct capnp_ptr capnp_get_ptr(struct capnp_struct s, uint32_t idx);
struct capnp_ptr capnp_get_ptr_if(struct capnp_struct s, uint32_t idx, bool present);

/* ---- following pointers ------------------------------------------------- */

bool capnp_ptr_is_null(struct capnp_ptr p);
/* dflt: a single-segment message whose root is the field's default value,
 * or NULL for "empty". */
struct capnp_struct capnp_ptr_struct(struct capnp_ptr p, const struct capnp_segment *dflt);
/* expect: the element size the schema's type uses (CAPNP_ESIZE_*); the
 * runtime accepts the compatible encodings the spec allows. */
struct capnp_list capnp_ptr_list(struct capnp_ptr p, unsigned expect,
                                 const struct capnp_segment *dflt);
struct capnp_text capnp_ptr_text(struct capnp_ptr p, const char *dflt, uint32_t dflt_len);
struct capnp_data capnp_ptr_data(struct capnp_ptr p, const uint8_t *dflt, uint32_t dflt_len);
/* Capability index of an interface pointer, CAPNP_NO_CAP if null. */
uint32_t capnp_ptr_cap(struct capnp_ptr p);

/* ---- reading lists ------------------------------------------------------ */

static inline uint32_t capnp_list_len(struct capnp_list l) { return l.len; }
bool capnp_list_bool(struct capnp_list l, uint32_t i);
uint8_t capnp_list_u8(struct capnp_list l, uint32_t i);
uint16_t capnp_list_u16(struct capnp_list l, uint32_t i);
uint32_t capnp_list_u32(struct capnp_list l, uint32_t i);
uint64_t capnp_list_u64(struct capnp_list l, uint32_t i);
struct capnp_struct capnp_list_struct(struct capnp_list l, uint32_t i);
struct capnp_ptr capnp_list_ptr(struct capnp_list l, uint32_t i);
static inline struct capnp_text capnp_list_text(struct capnp_list l, uint32_t i)
{
    return capnp_ptr_text(capnp_list_ptr(l, i), "", 0);
}
static inline struct capnp_data capnp_list_data(struct capnp_list l, uint32_t i)
{
    return capnp_ptr_data(capnp_list_ptr(l, i), 0, 0);
}
static inline struct capnp_list capnp_list_list(struct capnp_list l, uint32_t i, unsigned expect)
{
    return capnp_ptr_list(capnp_list_ptr(l, i), expect, 0);
}

/* ---- building ----------------------------------------------------------- */

struct capnp_builder {
    uint8_t *buf;
    uint32_t cap;                  /* words available */
    uint32_t used;                 /* words allocated so far */
    int err;                       /* first error, CAPNP_OK if none */
};

/* A struct being built; b == NULL makes every operation a no-op. */
struct capnp_sbuilder {
    struct capnp_builder *b;
    uint8_t *data;
    uint8_t *ptrs;
    uint32_t data_bytes;
    uint16_t ptr_count;
};

struct capnp_lbuilder {
    struct capnp_builder *b;
    uint8_t *start;
    uint32_t len;
    uint32_t step;                 /* bits */
    uint32_t data_bits;
    uint16_t ptr_count;
    uint8_t esize;
};

/* A pointer word being built (a struct field or list element). */
struct capnp_slot {
    struct capnp_builder *b;
    uint8_t *loc;
};

/* Zeroes buf and reserves the root pointer. bytes is rounded down to words. */
void capnp_builder_init(struct capnp_builder *b, void *buf, size_t bytes);
static inline int capnp_builder_error(const struct capnp_builder *b) { return b->err; }
/* The message as flat single-segment bytes (root pointer first). */
const uint8_t *capnp_builder_bytes(const struct capnp_builder *b, size_t *len);
struct capnp_slot capnp_builder_root_slot(struct capnp_builder *b);
struct capnp_sbuilder capnp_builder_root(struct capnp_builder *b, uint16_t data_words,
                                         uint16_t ptr_count);

void capnp_set_u8(struct capnp_sbuilder s, uint32_t off, uint8_t v);
void capnp_set_u16(struct capnp_sbuilder s, uint32_t off, uint16_t v);
void capnp_set_u32(struct capnp_sbuilder s, uint32_t off, uint32_t v);
void capnp_set_u64(struct capnp_sbuilder s, uint32_t off, uint64_t v);
void capnp_set_bool(struct capnp_sbuilder s, uint32_t bit, bool v);
struct capnp_slot capnp_slot(struct capnp_sbuilder s, uint32_t idx);

struct capnp_sbuilder capnp_slot_init_struct(struct capnp_slot p, uint16_t data_words,
                                             uint16_t ptr_count);
/* Lists of VOID..POINTER elements. */
struct capnp_lbuilder capnp_slot_init_list(struct capnp_slot p, unsigned esize, uint32_t n);
struct capnp_lbuilder capnp_slot_init_struct_list(struct capnp_slot p, uint32_t n,
                                                  uint16_t data_words, uint16_t ptr_count);
void capnp_slot_set_text(struct capnp_slot p, const char *s, size_t len);
void capnp_slot_set_data(struct capnp_slot p, const void *d, size_t len);
void capnp_slot_set_cap(struct capnp_slot p, uint32_t index);
void capnp_slot_clear(struct capnp_slot p);
/* Deep-copies what src points to (any kind) into the builder. */
void capnp_slot_copy(struct capnp_slot p, struct capnp_ptr src);

void capnp_lset_bool(struct capnp_lbuilder l, uint32_t i, bool v);
void capnp_lset_u8(struct capnp_lbuilder l, uint32_t i, uint8_t v);
void capnp_lset_u16(struct capnp_lbuilder l, uint32_t i, uint16_t v);
void capnp_lset_u32(struct capnp_lbuilder l, uint32_t i, uint32_t v);
void capnp_lset_u64(struct capnp_lbuilder l, uint32_t i, uint64_t v);
struct capnp_sbuilder capnp_lstruct(struct capnp_lbuilder l, uint32_t i);
struct capnp_slot capnp_lslot(struct capnp_lbuilder l, uint32_t i);

/* ---- framing, packing, canonical form ----------------------------------- */

/* Writes the stream framing (segment table + segments). */
int capnp_write_stream(const struct capnp_segment *segs, uint32_t nsegs, void *out,
                       size_t cap, size_t *len);
/* Packs whole words (in_len a multiple of 8). */
int capnp_pack(const void *in, size_t in_len, void *out, size_t cap, size_t *len);
/* Unpacks all of in; fails rather than write more than cap bytes. */
int capnp_unpack(const void *in, size_t in_len, void *out, size_t cap, size_t *len);
/* Unpacks exactly one stream-framed message from the front of in (as
 * written by capnp_pack over capnp_write_stream output); *used receives
 * the packed bytes it occupied. */
int capnp_unpack_message(const void *in, size_t in_len, void *out, size_t cap, size_t *len,
                         size_t *used);

/* Writes the canonical form of m's root (flat: root pointer first, no
 * segment table) into out. Reads m with its limits. */
int capnp_canonicalize(struct capnp_msg *m, void *out, size_t cap, size_t *len);
/* Canonical form of the object p points to, as the root of a new message. */
int capnp_canonicalize_ptr(struct capnp_ptr p, void *out, size_t cap, size_t *len);

#endif
