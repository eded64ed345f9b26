/*
 * netpool: the ledger of a lent packet pool (schema/netif.capnp): which
 * Task or device holds each buffer, and the check of every buffer number
 * one side hands the other. The virtio-net driver Task and the network
 * stack each keep one (docs/NETWORK.md, "The driver and the stack").
 *
 * Buffers [0, nrx) receive, [nrx, nrx + ntx) transmit; each buffer has
 * exactly one owner, a small number the caller gives meaning to (the
 * driver: stack, device, outgoing batch; the stack: stack, driver).
 *
 * Invariants: netpool_take moves a buffer only if its number is in the
 * named half, it is owned by `from` now, and (for lengths) the length is
 * within [minlen, maxlen]; anything else is refused by name, counted in
 * bad, and changes nothing. Batch entries are read from the payload once,
 * little-endian, whole entries only (a trailing partial entry is
 * ignored). No state but the struct; no allocation.
 */
#ifndef LIB_VIRTIO_NETPOOL_H
#define LIB_VIRTIO_NETPOOL_H

#include <stdbool.h>
#include <stdint.h>

#define NETPOOL_MAX 256

enum netpool_err {
    NETPOOL_OK = 0,
    NETPOOL_ERANGE,      /* the number is outside the half it must be in */
    NETPOOL_EOWNER,      /* the buffer is not the sender's to give now */
    NETPOOL_ELEN,        /* the length is outside [minlen, maxlen] */
};

const char *netpool_err_name(enum netpool_err e);

struct netpool {
    uint16_t nrx, ntx;
    uint8_t own[NETPOOL_MAX];
    uint64_t bad;
};

/* All buffers owned by `owner`. -1 if nrx or ntx is 0 or the sum is over NETPOOL_MAX. */
int netpool_init(struct netpool *p, unsigned nrx, unsigned ntx, uint8_t owner);

/* Move buffer b (in the receive half if rx, else the transmit half)
 * from `from` to `to`, checking len against [minlen, maxlen] unless
 * len < 0. */
enum netpool_err netpool_take(struct netpool *p, bool rx, unsigned b, uint8_t from, uint8_t to, int32_t len,
                              uint32_t minlen, uint32_t maxlen);

/* Entries of a batch payload of len bytes: u32 (buffer << 16 | length)
 * or u16 (buffer). */
static inline uint32_t netpool_n32(uint32_t len) { return len / 4; }
static inline uint32_t netpool_n16(uint32_t len) { return len / 2; }
void netpool_get32(const uint8_t *payload, uint32_t i, unsigned *buffer, uint32_t *length);
unsigned netpool_get16(const uint8_t *payload, uint32_t i);

/* How many buffers `owner` holds. */
unsigned netpool_count(const struct netpool *p, uint8_t owner);

#endif
