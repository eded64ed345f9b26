/*
 * virtio: the virtio 1.x "modern" PCI transport as the driver sees it
 * (virtio 1.2 §3.1 device initialisation, §4.1.4.3 common configuration),
 * plus the device-type structures Vectra's drivers need (virtio-blk,
 * virtio-rng, the virtio-net header). Split queues: virtq.h.
 *
 * How it reaches the device: the common configuration region (found by
 * pci_virtio_layout_read) behind a virtio_regs accessor doing 1-, 2- and
 * 4-byte accesses at offsets below VIRTIO_COMMON_LEN. The kernel or a
 * driver Task passes its MMIO mapping; host tests a simulated device.
 *
 * Invariants:
 *   - Legacy is refused: a device that does not offer VIRTIO_F_VERSION_1
 *     is VIRTIO_ELEGACY, and the driver never accepts a feature it did
 *     not ask for, whatever the device offers.
 *   - Every failure after the handshake began sets FAILED in the device
 *     status (§3.1.1 step 8 says the driver should), so the device stops.
 *   - Values read from the device are checked before use: queue numbers
 *     against num_queues, sizes against the split-queue rules, read-back
 *     of FEATURES_OK and of MSI-X vectors; DEVICE_NEEDS_RESET is reported.
 *   - Device registers are read once per decision: a device that changes
 *     its answer between two reads cannot make the driver act on two
 *     different values.
 */
#ifndef LIB_VIRTIO_H
#define LIB_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio/virtq.h"

enum virtio_err {
    VIRTIO_OK = 0,
    VIRTIO_ELEGACY,      /* VERSION_1 not offered: a legacy-only device */
    VIRTIO_EFEATURES,    /* a feature the driver requires is not offered */
    VIRTIO_EREFUSED,     /* the device cleared FEATURES_OK: it rejects our subset */
    VIRTIO_ENEEDS_RESET, /* the device set DEVICE_NEEDS_RESET */
    VIRTIO_ETIMEOUT,     /* reset did not read back 0 within the spin budget */
    VIRTIO_EQUEUE,       /* queue index >= num_queues, or the queue is unavailable */
    VIRTIO_ESTATE,       /* the queue is already enabled, or a step out of order */
    VIRTIO_EMSIX,        /* the device refused the MSI-X vector (read back NO_VECTOR) */
    VIRTIO_EINVAL,       /* caller's argument (queue size not a power of two, ...) */
};

const char *virtio_err_name(enum virtio_err e);

/* Device status bits (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* Reserved feature bits (§6). */
#define VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define VIRTIO_F_EVENT_IDX (1ull << 29)
#define VIRTIO_F_VERSION_1 (1ull << 32)
#define VIRTIO_F_ACCESS_PLATFORM (1ull << 33)  /* device DMA goes through the IOMMU */
#define VIRTIO_F_RING_PACKED (1ull << 34)

/* struct virtio_pci_common_cfg (§4.1.4.3), byte offsets. */
#define VIRTIO_COMMON_DFSELECT 0x00   /* u32 device_feature_select */
#define VIRTIO_COMMON_DF 0x04         /* u32 device_feature */
#define VIRTIO_COMMON_GFSELECT 0x08   /* u32 driver_feature_select */
#define VIRTIO_COMMON_GF 0x0c         /* u32 driver_feature */
#define VIRTIO_COMMON_MSIX 0x10       /* u16 config_msix_vector */
#define VIRTIO_COMMON_NUMQ 0x12       /* u16 num_queues */
#define VIRTIO_COMMON_STATUS 0x14     /* u8  device_status */
#define VIRTIO_COMMON_CFGGEN 0x15     /* u8  config_generation */
#define VIRTIO_COMMON_Q_SELECT 0x16   /* u16 queue_select */
#define VIRTIO_COMMON_Q_SIZE 0x18     /* u16 queue_size */
#define VIRTIO_COMMON_Q_MSIX 0x1a     /* u16 queue_msix_vector */
#define VIRTIO_COMMON_Q_ENABLE 0x1c   /* u16 queue_enable */
#define VIRTIO_COMMON_Q_NOFF 0x1e     /* u16 queue_notify_off */
#define VIRTIO_COMMON_Q_DESC 0x20     /* u64 queue_desc */
#define VIRTIO_COMMON_Q_DRIVER 0x28   /* u64 queue_driver (available ring) */
#define VIRTIO_COMMON_Q_DEVICE 0x30   /* u64 queue_device (used ring) */
#define VIRTIO_COMMON_LEN 0x38
#define VIRTIO_MSI_NO_VECTOR 0xffffu

struct virtio_regs {
    uint32_t (*read)(void *ctx, uint32_t off, unsigned width);              /* width 1, 2, 4 */
    void (*write)(void *ctx, uint32_t off, unsigned width, uint32_t val);
    void *ctx;
};

/* Write 0 to the status and wait (at most `spins` reads) for it to read 0. */
enum virtio_err virtio_reset(const struct virtio_regs *r, uint32_t spins);

/*
 * §3.1.1 steps 2-6 after a reset: ACKNOWLEDGE, DRIVER, read the device's
 * 64 feature bits, accept offered & (supported | required | VERSION_1),
 * write them, set FEATURES_OK and check that it stuck. *accepted gets the
 * accepted set (also on VIRTIO_EREFUSED, for the log).
 */
enum virtio_err virtio_negotiate(const struct virtio_regs *r, uint64_t supported, uint64_t required,
                                 uint64_t *accepted);

struct virtio_queue_info {
    uint16_t size;         /* the size to use: min(wanted, device max), a power of two */
    uint16_t notify_off;   /* give to pci_virtio_notify_at */
};

/* Select queue `index`, check it exists and is not enabled, and choose a size. */
enum virtio_err virtio_queue_probe(const struct virtio_regs *r, uint16_t index, uint16_t wanted,
                                   struct virtio_queue_info *out);

/* Program the queue's size, ring addresses (device-visible) and MSI-X
 * vector (VIRTIO_MSI_NO_VECTOR for none), then enable it. */
enum virtio_err virtio_queue_enable(const struct virtio_regs *r, uint16_t index, uint16_t size, uint64_t desc,
                                    uint64_t driver, uint64_t device, uint16_t msix_vector);

/* Set DRIVER_OK (§3.1.1 step 8). */
enum virtio_err virtio_driver_ok(const struct virtio_regs *r);

/* Set FAILED: the driver gives up on the device. */
void virtio_fail(const struct virtio_regs *r);

/*
 * A consistent read of device-specific configuration (§4.1.4.3.1): calls
 * read(ctx) between two reads of config_generation until they agree, at
 * most `tries` times (VIRTIO_ETIMEOUT otherwise).
 */
enum virtio_err virtio_config_read(const struct virtio_regs *r, void (*read)(void *ctx), void *ctx,
                                   uint32_t tries);

/* ---- Device types (§5) ------------------------------------------------ */

#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_RNG 4

/* virtio-blk (§5.2) */
#define VIRTIO_BLK_F_SIZE_MAX (1ull << 1)
#define VIRTIO_BLK_F_SEG_MAX (1ull << 2)
#define VIRTIO_BLK_F_GEOMETRY (1ull << 4)
#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ull << 6)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)
#define VIRTIO_BLK_F_TOPOLOGY (1ull << 10)
#define VIRTIO_BLK_F_CONFIG_WCE (1ull << 11)
#define VIRTIO_BLK_F_MQ (1ull << 12)
#define VIRTIO_BLK_F_DISCARD (1ull << 13)
#define VIRTIO_BLK_F_WRITE_ZEROES (1ull << 14)

#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_T_OUT 1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_T_GET_ID 8u
#define VIRTIO_BLK_T_DISCARD 11u
#define VIRTIO_BLK_T_WRITE_ZEROES 13u

#define VIRTIO_BLK_S_OK 0u
#define VIRTIO_BLK_S_IOERR 1u
#define VIRTIO_BLK_S_UNSUPP 2u

#define VIRTIO_BLK_SECTOR 512u    /* sector numbers are always in 512-byte units */
#define VIRTIO_BLK_ID_BYTES 20u

/* The request header: device-readable, first in every request. The data
 * follows, then one device-writable status byte. */
struct virtio_blk_req {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};
_Static_assert(sizeof(struct virtio_blk_req) == 16, "virtio_blk_req layout");

/* Device configuration (§5.2.4), as far as Vectra reads it. */
struct virtio_blk_config {
    uint64_t capacity;         /* 512-byte sectors */
    uint32_t size_max;
    uint32_t seg_max;
    struct { uint16_t cylinders; uint8_t heads, sectors; } geometry;
    uint32_t blk_size;
    struct { uint8_t physical_block_exp, alignment_offset; uint16_t min_io_size; uint32_t opt_io_size; } topology;
    uint8_t writeback;
    uint8_t unused0;
    uint16_t num_queues;
    uint32_t max_discard_sectors, max_discard_seg, discard_sector_alignment;
    uint32_t max_write_zeroes_sectors, max_write_zeroes_seg;
    uint8_t write_zeroes_may_unmap;
    uint8_t unused1[3];
};
_Static_assert(__builtin_offsetof(struct virtio_blk_config, write_zeroes_may_unmap) == 56, "virtio_blk_config layout");
_Static_assert(__builtin_offsetof(struct virtio_blk_config, blk_size) == 20, "blk_size offset");
_Static_assert(__builtin_offsetof(struct virtio_blk_config, num_queues) == 34, "num_queues offset");

/*
 * The three segments of a read, write or flush request (header, data,
 * status), checked against the disk: sectors within capacity without
 * overflow, data a whole number of sectors and non-empty for IN/OUT,
 * none for FLUSH. Returns VIRTIO_EINVAL or fills segs[3] (device
 * addresses), *nout and *nin, ready for virtq_add.
 */
enum virtio_err virtio_blk_segs(uint32_t type, uint64_t sector, uint64_t capacity, uint64_t hdr_addr,
                                uint64_t data_addr, uint32_t data_len, uint64_t status_addr,
                                struct virtq_seg segs[3], unsigned *nout, unsigned *nin);

/* virtio-rng (§5.4): no feature bits, no configuration, one queue
 * (requestq, index 0) of device-writable buffers filled with entropy. */
#define VIRTIO_RNG_QUEUE 0u

/* virtio-net (§5.1): the header before every packet on both queues (with
 * VERSION_1 it always has num_buffers). */
#define VIRTIO_NET_F_CSUM (1ull << 0)
#define VIRTIO_NET_F_MTU (1ull << 3)
#define VIRTIO_NET_F_MAC (1ull << 5)
#define VIRTIO_NET_F_MRG_RXBUF (1ull << 15)
#define VIRTIO_NET_F_STATUS (1ull << 16)
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1u
#define VIRTIO_NET_HDR_GSO_NONE 0u

struct virtio_net_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;
};
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr layout");

struct virtio_net_config {
    uint8_t mac[6];
    uint16_t status;
    uint16_t max_virtqueue_pairs;
    uint16_t mtu;
};
_Static_assert(sizeof(struct virtio_net_config) == 12, "virtio_net_config layout");

#endif
