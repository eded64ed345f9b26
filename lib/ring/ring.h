/*
 * ring: the user-space half of a Vectra Ring — sending and receiving
 * through the shared control block and slots, with no kernel call.
 *
 * The producer owns ctl->tail, the consumer ctl->head; both are free-
 * running 32-bit counters. A slot is published by a release store of the
 * new tail and consumed after an acquire load of it (and symmetrically
 * for head), which is the single fence the design promises.
 *
 * The memory is shared with the peer, who may be hostile or broken, so
 * every value read from it is checked before use: a tail that runs ahead
 * of head by more than the slot count, or a length larger than a slot,
 * is RING_CORRUPT, never an out-of-bounds access. Sizes come from the
 * kernel-written ctl->slots and ctl->slot_size, which are re-validated
 * at ring_view_init and then kept in the view (the peer could change
 * them afterwards; the view does not re-read them).
 *
 * Doorbells: before sleeping on its Signal bit an end sets its
 * "sleeping" word, then re-checks; after publishing, the other end
 * rings (ring_notify) only if that word is set. A full fence between the
 * publish and the check (and between setting the word and re-checking)
 * makes a lost wake-up impossible.
 */
#ifndef LIB_RING_H
#define LIB_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vectra/abi.h>

/* Every slot starts with this header; the payload follows. */
struct ring_slot {
    uint32_t len;       /* payload bytes */
    uint16_t kind;      /* message kind (protocol method / reply) */
    uint16_t ncaps;     /* capabilities sent alongside through the transfer queue */
    uint64_t id;        /* request id, echoed in the reply */
};
#define RING_SLOT_HDR ((uint32_t)sizeof(struct ring_slot))

enum ring_status {
    RING_OK = 0,
    RING_EMPTY,
    RING_FULL,
    RING_CLOSED,
    RING_CORRUPT,       /* the peer wrote indices or a length that cannot be */
    RING_TOOBIG,        /* message larger than a slot's payload */
    RING_EINVAL,        /* the control block itself is malformed */
};

struct ring_view {
    struct v_ring_ctl *ctl;
    uint8_t *slots;
    uint32_t nslots, slot_size;
    bool producer;
};

enum ring_status ring_view_init(struct ring_view *v, void *base, size_t mapped, bool producer);

/* Producer side: copy in (push), or reserve the next slot to fill in
 * place and commit it. */
enum ring_status ring_push(struct ring_view *v, const struct ring_slot *hdr, const void *payload);
static inline enum ring_status ring_reserve(struct ring_view *v, struct ring_slot **slot);
static inline void ring_commit(struct ring_view *v);

/* Consumer side: copy out (pop), or look in place and release. */
enum ring_status ring_pop(struct ring_view *v, struct ring_slot *hdr, void *buf, size_t cap);
static inline enum ring_status ring_peek(struct ring_view *v, const struct ring_slot **slot);
static inline void ring_release(struct ring_view *v);


/* The small operations every message makes are inline: a call costs as
 * much as each of them (they are a load or two and a compare). */
#define RING_LOAD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define RING_LOAD_RLX(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define RING_STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define RING_FENCE() __atomic_thread_fence(__ATOMIC_SEQ_CST)

static inline uint32_t ring_payload_max(const struct ring_view *v)
{
    return v->slot_size - RING_SLOT_HDR;
}

static inline bool ring_closed(const struct ring_view *v)
{
    return RING_LOAD_ACQ(&v->ctl->closed) != 0;
}

static inline struct ring_slot *ring_slot_at_(const struct ring_view *v, uint32_t idx)
{
    return (struct ring_slot *)(v->slots + (size_t)(idx & (v->nslots - 1)) * v->slot_size);
}

/* How many messages are waiting (consumer) or free slots (producer). */
static inline uint32_t ring_count(const struct ring_view *v)
{
    uint32_t used = RING_LOAD_ACQ(&v->ctl->tail) - RING_LOAD_ACQ(&v->ctl->head);
    if (used > v->nslots)
        return 0;
    return v->producer ? v->nslots - used : used;
}

static inline enum ring_status ring_reserve(struct ring_view *v, struct ring_slot **slot)
{
    if (ring_closed(v))
        return RING_CLOSED;
    uint32_t tail = RING_LOAD_RLX(&v->ctl->tail);
    uint32_t head = RING_LOAD_ACQ(&v->ctl->head);
    uint32_t used = tail - head;
    if (used > v->nslots)
        return RING_CORRUPT;
    if (used == v->nslots)
        return RING_FULL;
    *slot = ring_slot_at_(v, tail);
    return RING_OK;
}

static inline void ring_commit(struct ring_view *v)
{
    RING_STORE_REL(&v->ctl->tail, RING_LOAD_RLX(&v->ctl->tail) + 1);
    RING_FENCE();    /* order the publish before reading the peer's sleeping word */
}

static inline enum ring_status ring_peek(struct ring_view *v, const struct ring_slot **slot)
{
    uint32_t head = RING_LOAD_RLX(&v->ctl->head);
    uint32_t tail = RING_LOAD_ACQ(&v->ctl->tail);
    uint32_t used = tail - head;
    if (used > v->nslots)
        return RING_CORRUPT;
    if (used == 0)
        return ring_closed(v) ? RING_CLOSED : RING_EMPTY;
    const struct ring_slot *s = ring_slot_at_(v, head);
    if (RING_LOAD_RLX(&s->len) > ring_payload_max(v))
        return RING_CORRUPT;
    *slot = s;
    return RING_OK;
}

static inline void ring_release(struct ring_view *v)
{
    RING_STORE_REL(&v->ctl->head, RING_LOAD_RLX(&v->ctl->head) + 1);
    RING_FENCE();
}

/* The payload copy ring_push and ring_pop use, for writers and readers in
 * place: by words, any alignment, dst and src disjoint. */
/*
 * Payload copies by 8-byte words, four a turn. A slot's payload starts 16
 * bytes into a slot of at least 64, so the Ring side is always 8-byte
 * aligned; the caller's buffer may not be, and x86 loads and stores any
 * alignment (__builtin_memcpy of a word is one mov, not a call). The tail
 * of fewer than 32 bytes goes as 16, 8, 4, 2 and 1 bytes by its bits. Measured under
 * icount (ring_echo_4k, four copies of 4 080 bytes a round trip): 5 028
 * instructions, against 11 106 with vs_memcpy's one-word loop and 90 535
 * with the byte loop this replaces; gcc turns the four words into two
 * 16-byte SSE moves in user code, 7 instructions per 32 bytes.
 * Inline: most messages are a few words, and a call would cost as much as
 * the copy (ipc_rtt).
 */
static inline uint64_t ring_ld64_(const uint8_t *p)
{
    uint64_t w;
    __builtin_memcpy(&w, p, 8);
    return w;
}

static inline void ring_st64_(uint8_t *p, uint64_t w) { __builtin_memcpy(p, &w, 8); }

static inline void ring_copy(void *dst, const void *src, uint32_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (; n >= 32; n -= 32, d += 32, s += 32) {
        uint64_t a = ring_ld64_(s), b = ring_ld64_(s + 8);
        uint64_t c = ring_ld64_(s + 16), e = ring_ld64_(s + 24);
        ring_st64_(d, a);
        ring_st64_(d + 8, b);
        ring_st64_(d + 16, c);
        ring_st64_(d + 24, e);
    }
    if (n & 16) {
        uint64_t a = ring_ld64_(s), b = ring_ld64_(s + 8);
        ring_st64_(d, a);
        ring_st64_(d + 8, b);
        d += 16;
        s += 16;
    }
    if (n & 8) {
        ring_st64_(d, ring_ld64_(s));
        d += 8;
        s += 8;
    }
    if (n & 4) {
        __builtin_memcpy(d, s, 4);
        d += 4;
        s += 4;
    }
    if (n & 2) {
        __builtin_memcpy(d, s, 2);
        d += 2;
        s += 2;
    }
    if (n & 1)
        *d = *s;
}

/* Consumer side: tail has not moved past head (nothing waiting, and no
 * corrupt indices to report either). */
static inline bool ring_drained(const struct ring_view *v)
{
    return RING_LOAD_ACQ(&v->ctl->tail) == RING_LOAD_RLX(&v->ctl->head);
}

/* Doorbell protocol. */
static inline void ring_set_sleeping(struct ring_view *v, bool sleeping)
{
    uint32_t *w = v->producer ? &v->ctl->prod_sleeping : &v->ctl->cons_sleeping;
    __atomic_store_n(w, sleeping ? 1u : 0u, __ATOMIC_SEQ_CST);
    RING_FENCE();
}

static inline bool ring_peer_sleeping(const struct ring_view *v)
{
    const uint32_t *w = v->producer ? &v->ctl->cons_sleeping : &v->ctl->prod_sleeping;
    return RING_LOAD_ACQ(w) != 0;
}

#endif
