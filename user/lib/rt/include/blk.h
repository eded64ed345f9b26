/*
 * blk.h: a client of a block device (schema/block.capnp).
 *
 * blk_open asks for the device's size and attaches a frame of the
 * caller's (a copy is sent; the caller keeps its own and its mapping):
 * every transfer moves data between that frame and the disk, at byte
 * offsets the caller names. Up to Block.maxInFlight requests may be in
 * flight; blk_submit returns a ticket and blk_wait its result.
 *
 * Invariants: each ticket gets exactly one result. If the driver dies,
 * the connection closes and every request in flight ends with
 * BLK_EDISCONNECTED (it may or may not have reached the disk: never
 * "done"); the struct blk is then closed and blk_open must be called on a
 * new connection (and attaches again).
 */
#ifndef RT_BLK_H
#define RT_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc.h"

enum blk_err {
    BLK_OK = 0,
    BLK_EIO,            /* the device reported an error */
    BLK_EUNSUPP,        /* the device cannot do it (flush) */
    BLK_EINVAL,         /* past the end, bad count, or outside the buffer */
    BLK_EBUFFER,        /* the driver refused the buffer */
    BLK_EBUSY,          /* too many requests in flight */
    BLK_EDEVICE,        /* the driver reset a misbehaving device; not done */
    BLK_EDISCONNECTED,  /* the driver is gone; not done */
    BLK_EPROTO,         /* a reply that makes no sense */
    BLK_ETIMEOUT,
};
const char *blk_strerror(int e);

#define BLK_MAX_INFLIGHT 4

struct blk {
    struct ipc_conn *c;
    bool closed;
    uint32_t buffer;
    uint64_t buffer_bytes;
    uint64_t sectors;
    uint32_t sector_size, max_transfer;
    bool read_only;
    struct blk_pending {
        uint64_t id;
        bool live, done;
        int result;
    } pend[BLK_MAX_INFLIGHT];
};

int blk_open(struct blk *b, struct ipc_conn *c, v_handle frame, uint64_t timeout_us);
/* The driver's time stamp when it last woke for its interrupt (info's
 * irqWakeTsc; 0: never), for benchmarks. */
int blk_irq_wake_tsc(struct blk *b, uint64_t *tsc, uint64_t timeout_us);
/* Queue count sectors from `sector` to (write: from) the buffer at offset. */
int blk_submit(struct blk *b, bool write, uint64_t offset, uint64_t sector, uint32_t count,
               uint64_t *ticket);
int blk_submit_flush(struct blk *b, uint64_t *ticket);
/* The result of ticket, waiting up to timeout_us for it. */
int blk_wait(struct blk *b, uint64_t ticket, uint64_t timeout_us);
/* submit + wait */
int blk_read(struct blk *b, uint64_t offset, uint64_t sector, uint32_t count, uint64_t timeout_us);
int blk_write(struct blk *b, uint64_t offset, uint64_t sector, uint32_t count, uint64_t timeout_us);
int blk_flush(struct blk *b, uint64_t timeout_us);

#endif
