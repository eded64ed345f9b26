/*
 * dev.h: a driver Task's device, as init put it in its Bundle for a
 * `device` grant NAME (docs/DEVICES.md):
 *   NAME.cfg    the function's configuration page, READ|CONTROL: mapped
 *               read-only here, and the DMA space is made from it
 *   NAME.irq    the MSI lines the device manager gave it (may be absent)
 *   NAME.barN   a frame for each memory BAR it was given
 * plus "devmgr", a connection to the device manager, to register the DMA
 * space so `devices` can show its mappings and faults.
 *
 * rt_dev_open maps all of it and makes the DMA space; rt_dev_dma_alloc
 * gives driver-private DMA memory (a frame mapped for the CPU and, through
 * a copy, for the device); rt_dev_msix programs one MSI-X entry for a
 * line the driver bound. Invariants: the driver never writes config space
 * (it cannot: the frame has no WRITE); every BAR it touches is one of the
 * frames it holds, so BAR offsets come checked against their size.
 */
#ifndef RT_DEV_H
#define RT_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "pci/pci.h"
#include "rt.h"
#include "virtio/virtio.h"

struct rt_bar {
    v_handle frame;             /* 0: not held */
    volatile uint8_t *va;
    uint64_t phys, size;
};

struct rt_dev {
    v_handle cfg_frame, irq, dma;
    const volatile uint8_t *cfg_va;
    struct pci_cfg cfg;
    struct pci_header hdr;
    struct pci_bar bars[6];     /* what the driver holds, for lib/pci's checks */
    struct rt_bar bar[6];
    uint16_t bdf;
    bool confined;              /* cap_info(dma): the IOMMU confines it */
    uint64_t lines;             /* MSI lines of irq (cap_info arg) */
    uint64_t next_iova;         /* where the next DMA mapping goes */
};

/* Map the grant `name` (e.g. "dev"); 0 or a V_E* code, *why says what failed. */
int rt_dev_open(struct rt_dev *d, const char *name, const char **why);

/* A DMA buffer of pages: zeroed, CPU-mapped read/write at *va, mapped for
 * the device with rights (V_R_READ: the device reads it; V_R_WRITE: writes
 * it); *dev_addr is what the device must be told. */
int rt_dev_dma_alloc(struct rt_dev *d, unsigned pages, unsigned rights, void **va,
                     uint64_t *dev_addr, v_handle *frame);
/* Map someone else's frame (moved to us) for the device only. */
int rt_dev_dma_map(struct rt_dev *d, v_handle frame, unsigned rights, uint64_t *dev_addr);

/* The lowest MSI line of the grant at or after `from`, -1 if none. */
int rt_dev_line(const struct rt_dev *d, int from);
/* Bind line to Signal bit and program MSI-X table entry `entry` with the
 * message the kernel chose, unmasked. */
int rt_dev_msix(struct rt_dev *d, const struct pci_msix *mx, unsigned entry, int line,
                unsigned bit);

/* Tell the device manager about our DMA space (best effort). */
void rt_dev_register(struct rt_dev *d);

/* ---- a virtio 1.x modern PCI device with one queue -------------------- */

struct rt_virtio {
    struct rt_dev dev;
    struct pci_virtio_layout lay;
    struct virtio_regs regs;
    int line;                   /* the queue's MSI line, -1: polling */
    void *ring_va;              /* one page: the split queue */
    uint64_t ring_dev;
    struct virtq q;
    struct virtq_slot *slots;
    volatile uint16_t *notify;
    uint64_t features;
    uint64_t irq_wake_tsc;      /* TSC when rt_virtio_serve last woke for the line */
};

/* Open grant `name`, check it is virtio device `type`, allocate the
 * queue's page and route MSI-X entry 0 to Signal bit `bit`. */
int rt_virtio_open(struct rt_virtio *v, const char *name, uint16_t type, unsigned bit,
                   struct virtq_slot *slots, const char **why);
/* Reset, negotiate `supported` (VERSION_1 always, ACCESS_PLATFORM when
 * offered), queue 0 of at most qsize entries on entry 0, DRIVER_OK. Also
 * after the device was lost. 0, or -1 with *why. */
int rt_virtio_setup(struct rt_virtio *v, uint64_t supported, uint16_t qsize, const char **why);
/* Accesses to a common configuration region mapped at ctx (width 1, 2,
 * 4): the accessor pair of struct virtio_regs, for drivers with more
 * queues than rt_virtio's one (virtio-net). */
uint32_t rt_virtio_common_read(void *ctx, uint32_t off, unsigned w);
void rt_virtio_common_write(void *ctx, uint32_t off, unsigned w, uint32_t v);
volatile uint8_t *rt_virtio_region(const struct rt_virtio *v, const struct pci_virtio_region *r);
uint8_t rt_virtio_status(const struct rt_virtio *v);
void rt_virtio_kick(struct rt_virtio *v);     /* notify if the queue wants it */
/* Serve "listen" forever with handle and on_close; harvest runs on the
 * queue's interrupt on Signal bit `bit` (acknowledged after it), every
 * 1 ms without one, and after every pass. Returns only if there is no
 * "listen" (2). One device per Task. */
struct ipc_server;
struct ipc_conn;
struct ipc_msg;
int rt_virtio_serve(struct rt_virtio *v, struct ipc_server *srv, unsigned bit,
                    void (*handle)(struct ipc_server *, struct ipc_conn *, struct ipc_msg *),
                    void (*on_close)(struct ipc_server *, struct ipc_conn *), void (*harvest)(void));

#endif
