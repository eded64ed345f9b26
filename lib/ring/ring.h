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

/* The payload copy ring_push and ring_pop use, for writers and readers in
 * place: by words, any alignment, dst and src disjoint. Out of line: inline
 * it grew every program by about 4 KiB (and every capsule, whose
 * verification costs by the byte) for a few instructions of ipc_rtt. */
void ring_copy(void *dst, const void *src, uint32_t n);

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
