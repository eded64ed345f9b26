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

#define VREQ_MAX 64u

enum vreq_err {
    VREQ_OK = 0,
    VREQ_EFULL,     /* every slot is in flight */
    VREQ_ETOKEN,    /* the token names no request in flight (range, generation, done) */
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
