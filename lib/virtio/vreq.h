/*
 * vreq: the requests a virtio driver Task has in flight, between the
 * client's message and the device's used-ring entry.
 *
 * lib/virtq already refuses a used entry whose head is not a chain in
 * flight or whose length exceeds the chain's writable bytes. This is the
 * layer above: the token a chain carries names a request slot and that
 * slot's generation, so a token that is out of range, stale (the slot was
 * reused) or already completed is refused here too, and a request is
 * answered exactly once. Owners are connection numbers never reused, so
 * a request whose client went away is simply one whose owner is gone:
 * the caller keeps that client's buffers until vreq_using says the
 * device has given them all back, because the device may be writing
 * into them until then.
 *
 * Invariants:
 *   - vreq_take succeeds at most once per vreq_alloc.
 *   - live == number of slots in use; a slot is reused only after take.
 *   - Nothing here reads shared memory: the status byte the device wrote
 *     is passed in, read once by the caller.
 */
#ifndef LIB_VREQ_H
#define LIB_VREQ_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtq.h"

#define VREQ_MAX 64u

enum vreq_err {
    VREQ_OK = 0,
    VREQ_EFULL,     /* every slot is in flight */
    VREQ_ETOKEN,    /* the token names no request in flight (range, generation, done) */
    VREQ_EMPTY,     /* nothing completed (vreq_next) or nothing left (vreq_drain) */
    VREQ_EDEVICE,   /* the device broke the protocol: reset it, then vreq_drain */
};

struct vreq {
    uint64_t client_id;       /* the client's request id, for the reply */
    uint32_t owner;           /* the connection (a number never reused) */
    uint32_t bytes;           /* data bytes */
    uint16_t buffer;          /* the client's buffer */
    uint8_t op;               /* the driver's operation code */
    bool live;
    uint32_t gen;
};

struct vreq_table {
    struct vreq r[VREQ_MAX];
    uint32_t gen;
    unsigned live;
};

void vreq_init(struct vreq_table *t);
/* A slot for tmpl (live and gen are set here); *token goes into virtq_add. */
enum vreq_err vreq_alloc(struct vreq_table *t, const struct vreq *tmpl, uint64_t *token);
/* The request a completed chain's token names, freed; VREQ_ETOKEN if none. */
enum vreq_err vreq_take(struct vreq_table *t, uint64_t token, struct vreq *out);
/* The driver's completion step: the next used entry of q, checked by
 * lib/virtq (index, id, in flight, length) and then by the table (the
 * token names a live request): *out, its slot (where its status byte is)
 * and the length the device says it wrote. VREQ_EDEVICE on any lie; the
 * queue is then broken and nothing more completes until the reset. */
enum vreq_err vreq_next(struct vreq_table *t, struct virtq *q, struct vreq *out, unsigned *slot,
                        uint32_t *len);
/* After the device was reset: the next request still in flight, freed,
 * each exactly once; VREQ_EMPTY when none is left (the table is then
 * empty: requests whose chain the queue no longer knows are freed too). */
enum vreq_err vreq_drain(struct vreq_table *t, struct virtq *q, struct vreq *out);

/* Requests in flight that use owner's buffer (its frame is kept until 0). */
unsigned vreq_using(const struct vreq_table *t, uint32_t owner, uint16_t buffer);
unsigned vreq_of(const struct vreq_table *t, uint32_t owner);

/* What a virtio-blk request's status byte and used length mean. */
enum vreq_blk {
    VREQ_BLK_OK = 0,
    VREQ_BLK_IOERR,       /* the device said IOERR */
    VREQ_BLK_UNSUPP,      /* the device said UNSUPP */
    VREQ_BLK_LIE,         /* no status written (len 0), or a status that does not exist */
};
enum vreq_blk vreq_blk_result(uint8_t status, uint32_t used_len);

#endif
