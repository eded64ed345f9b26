/*
 * virtq: the driver side of a virtio 1.x split virtqueue (virtio 1.2
 * §2.7), over memory the caller provides and shares with the device.
 *
 * The queue memory is one region laid out by virtq_layout: descriptor
 * table, available ring (driver -> device), used ring (device -> driver).
 * The device can write all of it (it is DMA-mapped for the device), so
 * the driver treats everything it reads from the region as hostile and
 * keeps its own state apart, in a caller-provided array of n virtq_slot:
 *
 * Invariants:
 *   - The driver never reads back the descriptor table or the available
 *     ring: the free list, chain lengths, in-flight marks and tokens live
 *     in the private slots; avail_idx is a private shadow.
 *   - From the used ring the driver reads used->idx (acquire) once per
 *     harvest, then one element's id and len once each. It accepts the
 *     element only if: the index moved by at most the number of chains in
 *     flight; id < n; id is the head of a chain in flight; len is at most
 *     the chain's device-writable bytes. Anything else is a named error
 *     and the queue becomes broken (every later call: VIRTQ_EBROKEN), so
 *     no request is completed twice or completed with a length that
 *     overruns its buffers. Indices are free-running uint16_t and wrap.
 *   - After the device has been reset (it no longer touches the queue),
 *     virtq_drain hands back every chain still in flight exactly once,
 *     so the driver can fail each request with a named error.
 *   - The queue size is a power of two in [1, 32768] (§2.7: split queues).
 *
 * Notification suppression (§2.7.7, §2.7.10): with VIRTIO_F_EVENT_IDX
 * the driver kicks only when the device's avail_event lies in the span
 * of entries added since the last kick, and publishes used_event so the
 * device interrupts only when it passes it; without it, the NO_NOTIFY /
 * NO_INTERRUPT flags. Either way the decision follows a full fence after
 * publishing, so a wake-up is never lost.
 *
 * Not supported (not negotiated): indirect descriptors, in-order use,
 * packed queues.
 */
#ifndef LIB_VIRTIO_VIRTQ_H
#define LIB_VIRTIO_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "virtio 1.x rings are little-endian");

enum virtq_err {
    VIRTQ_OK = 0,
    VIRTQ_EINVAL,        /* bad size, memory too small or misaligned, empty/zero-length chain */
    VIRTQ_EFULL,         /* not enough free descriptors for the chain */
    VIRTQ_EMPTY,         /* nothing used (or, from drain, nothing left in flight) */
    VIRTQ_EBROKEN,       /* an earlier device error: reset the device, then drain */
    /* Device misbehaviour, each reported once and then VIRTQ_EBROKEN: */
    VIRTQ_EDEV_IDX,      /* used->idx moved by more than the chains in flight */
    VIRTQ_EDEV_ID,       /* used element id >= queue size */
    VIRTQ_EDEV_NOTINFLIGHT, /* used element id is not the head of a chain in flight */
    VIRTQ_EDEV_LEN,      /* used length larger than the chain's writable bytes */
};

const char *virtq_err_name(enum virtq_err e);

#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY 1u
#define VIRTQ_MAX_SIZE 32768u

/* The shared structures, byte for byte as §2.7 defines them. */
struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];     /* [size], then uint16_t used_event */
};
struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};
struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];  /* [size], then uint16_t avail_event */
};
_Static_assert(sizeof(struct virtq_desc) == 16, "descriptor layout");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "used element layout");
_Static_assert(sizeof(struct virtq_avail) == 4 && sizeof(struct virtq_used) == 4, "ring headers");

struct virtq_layout {
    uint32_t desc_off, avail_off, used_off;   /* from the start of the region */
    uint32_t total;                            /* bytes the region must have */
};

/* Offsets for a queue of `size` entries: descriptors at 0 (16-byte
 * aligned), available ring after them (2-aligned), used ring 4-aligned. */
enum virtq_err virtq_layout(uint16_t size, struct virtq_layout *out);

/* Driver-private state of one descriptor. Owned by the queue. */
struct virtq_slot {
    uint64_t token;      /* head: the caller's cookie */
    uint32_t in_len;     /* head: sum of device-writable lengths */
    uint16_t next;       /* free list, or the next descriptor of the chain */
    uint16_t ndesc;      /* head: descriptors in the chain */
    uint8_t state;       /* free, head in flight, body in flight */
};

struct virtq {
    /* Immutable after virtq_init. */
    uint16_t size;
    bool event_idx;
    struct virtq_desc *desc;        /* shared */
    struct virtq_avail *avail;      /* shared */
    struct virtq_used *used;        /* shared */
    uint16_t *used_event;           /* shared: &avail->ring[size] */
    uint16_t *avail_event;          /* shared: (uint16_t *)&used->ring[size] */
    struct virtq_slot *slot;        /* private, size entries */
    /* Driver state, private. */
    uint16_t free_head, num_free;
    uint16_t avail_idx;             /* next avail->idx to publish */
    uint16_t kicked_idx;            /* avail_idx at the last kick decision */
    uint16_t last_used;             /* next used element to harvest */
    uint16_t inflight;              /* chains */
    uint16_t drain_at;
    bool intr_enabled;
    enum virtq_err broken;          /* VIRTQ_OK, or the device error that broke it */
};

/* One buffer segment, in device-visible (I/O virtual) addresses. */
struct virtq_seg {
    uint64_t addr;
    uint32_t len;
};

struct virtq_done {
    uint64_t token;
    uint32_t len;        /* bytes the device says it wrote (checked <= in_len) */
    uint16_t head;
};

/* mem: the shared region (>= layout.total bytes, 16-byte aligned), zeroed
 * here. slot: n private slots. event_idx: VIRTIO_F_EVENT_IDX negotiated. */
enum virtq_err virtq_init(struct virtq *q, uint16_t size, void *mem, size_t memlen, struct virtq_slot *slot,
                          bool event_idx);

/* Post one chain: segs[0..nout) device-readable, then segs[nout..nout+nin)
 * device-writable. Published to the device at once; then ask virtq_kick_needed. */
enum virtq_err virtq_add(struct virtq *q, const struct virtq_seg *segs, unsigned nout, unsigned nin,
                         uint64_t token, uint16_t *head);

/* Must the driver notify the device now? (Call after one or more adds.) */
bool virtq_kick_needed(struct virtq *q);

/* Harvest one used chain. VIRTQ_EMPTY when there is none. */
enum virtq_err virtq_get(struct virtq *q, struct virtq_done *out);

/* Ask the device not to interrupt (best effort: it may anyway). */
void virtq_disable_intr(struct virtq *q);
/* Ask for interrupts again; true if used entries are already pending, in
 * which case the caller must harvest before sleeping. */
bool virtq_enable_intr(struct virtq *q);

/* After a device reset: the next chain still in flight, freed; VIRTQ_EMPTY
 * when none is left. The caller fails out->token's request. */
enum virtq_err virtq_drain(struct virtq *q, struct virtq_done *out);

uint16_t virtq_free_count(const struct virtq *q);
uint16_t virtq_inflight(const struct virtq *q);

#endif
