/*
 * dma: DMA spaces, the addresses one PCI function may reach.
 *
 * A DMA space is created for one function (its PCI source id) by whoever
 * holds that function's configuration page with the control right: the
 * device manager, or the driver it handed a read-only copy to. The
 * object is one page (the IOMMU's top table for the device), carved from
 * the creating Reticle, which also pays for every lower table; frames are
 * mapped into it by the driver and the kernel answers with the address
 * the device must use. Without an IOMMU the space is unconfined: mapping
 * only reports the frame's physical address, and the device could reach
 * anything (the platform flags say so, and the device manager refuses
 * drivers that require confinement).
 *
 * Invariants:
 *   - spaces[i] is live exactly while the original DMA capability naming
 *     it exists; at most one live space per source id;
 *   - a confined space's source id is attached in the IOMMU exactly while
 *     it is live, and the space's tables map only frames whose mapping
 *     records (FRAME_MAP_DMA | i, generation) are still held by a frame
 *     capability: a record outliving its space matches no live generation;
 *   - every table below the top is counted in ntables and live in the
 *     space's Reticle until the space is destroyed.
 */
#ifndef CORE_DMA_H
#define CORE_DMA_H

#include "core/cap.h"

/* A FRAME's mapping record (its arg) names a DMA space instead of an
 * address space when this bit is set: device address | bit | index. */
#define FRAME_MAP_DMA 0x800ull
#define FRAME_MAP_DMA_INDEX 0x3full
_Static_assert(V_MAX_DMA <= FRAME_MAP_DMA_INDEX + 1, "index fits the record");
_Static_assert(V_MAX_ASPACES <= FRAME_MAP_DMA, "ASIDs stay below the DMA bit");

void dma_init(void);
/* The original DMA capability went: detach, free the tables. */
void dma_destroy(const struct cap *gone);
/* A frame's DMA mapping went (its holder unmapped it, or it was deleted):
 * the device loses the pages before this returns. */
void dma_mapping_gone(const struct cap *frame);
/* Called by the IOMMU seam for every recorded fault. */
void dma_fault(uint16_t source, uint64_t addr, unsigned reason, bool write);
void dma_info(const struct cap *c, struct v_capinfo *info);
bool dma_confining(void);
struct aspace;
/* as's labels changed (label_enforce): every DMA space it made that
 * exposes a category it no longer owns, or any frame now that its write
 * label is not empty, is cut before this returns. */
void dma_label_changed(const struct aspace *as);
/* as is being destroyed, and its ownership with it: the DMA spaces it
 * made that expose labelled frames are cut. */
void dma_space_gone(const struct aspace *as);

/* The PCI function (bus << 8 | devfn, segment 0) whose configuration
 * page the FRAME capability fc is, if it is one (dma_create's authority
 * over a device, and irq_bind's). */
bool dma_config_source(const struct cap *fc, uint16_t *source);

#endif
