/*
 * pmem: physical memory during boot, before any Reticle exists.
 *
 * pmem_init() starts from the loader's RAM map and removes everything in
 * use: the first MiB (firmware), the kernel image, the boot modules and
 * the loader's information structure. Boot-time allocations (kernel page
 * tables, the root Task's objects) are taken page by page from the low
 * end of the lowest region; whatever remains afterwards is handed to the
 * root Task as Reticles, and the boot allocator is never used again
 * (pmem_seal). That is the whole of the kernel's allocator.
 */
#ifndef CORE_PMEM_H
#define CORE_PMEM_H

#include "arch.h"

#define PMEM_MAX_REGIONS (BOOT_MAX_REGIONS + 2 * BOOT_MAX_MODULES + 8)

struct pmem_region {
    paddr_t base, size;
};

void pmem_init(const struct boot_info *bi);
paddr_t pmem_alloc_page(void *unused);        /* zeroed; 0 when exhausted */
paddr_t pmem_alloc(uint64_t size, uint64_t align);   /* zeroed; 0 when exhausted */
void pmem_seal(void);
unsigned pmem_regions(const struct pmem_region **out);
uint64_t pmem_free_bytes(void);

#endif
