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
uint32_t ring_payload_max(const struct ring_view *v);

/* Producer side. */
enum ring_status ring_push(struct ring_view *v, const struct ring_slot *hdr, const void *payload);
/* Reserve the next slot to fill in place; commit publishes it. */
enum ring_status ring_reserve(struct ring_view *v, struct ring_slot **slot);
void ring_commit(struct ring_view *v);

/* Consumer side: copy out, or look in place and release. */
enum ring_status ring_pop(struct ring_view *v, struct ring_slot *hdr, void *buf, size_t cap);
enum ring_status ring_peek(struct ring_view *v, const struct ring_slot **slot);
void ring_release(struct ring_view *v);

/* The payload copy ring_push and ring_pop use, for writers and readers in
 * place: by words, any alignment, dst and src disjoint. */
void ring_copy(void *dst, const void *src, uint32_t n);

/* How many messages are waiting (consumer) or free slots (producer). */
uint32_t ring_count(const struct ring_view *v);
bool ring_closed(const struct ring_view *v);

/* Doorbell protocol. */
void ring_set_sleeping(struct ring_view *v, bool sleeping);
bool ring_peer_sleeping(const struct ring_view *v);

#endif
