/*
 * pmem.c: see pmem.h. Regions are kept sorted and disjoint; reserving a
 * range splits at most one region into two.
 */
#include "core/pmem.h"

static struct pmem_region regions[PMEM_MAX_REGIONS];
static unsigned nregions;
static bool sealed;

extern char _kernel_end[];

static void reserve(paddr_t base, paddr_t size)
{
    paddr_t lo = ALIGN_DOWN(base, PAGE_SIZE);
    paddr_t hi = ALIGN_UP(base + size, PAGE_SIZE);
    for (unsigned i = 0; i < nregions; i++) {
        struct pmem_region *r = &regions[i];
        paddr_t rlo = r->base, rhi = r->base + r->size;
        if (hi <= rlo || lo >= rhi)
            continue;
        if (lo > rlo && hi < rhi) {
            KASSERT(nregions < PMEM_MAX_REGIONS);
            for (unsigned j = nregions; j > i + 1; j--)
                regions[j] = regions[j - 1];
            nregions++;
            regions[i + 1] = (struct pmem_region){hi, rhi - hi};
            r->size = lo - rlo;
            return;
        }
        if (lo <= rlo && hi >= rhi) {
            r->size = 0;
        } else if (lo <= rlo) {
            r->base = hi;
            r->size = rhi - hi;
        } else {
            r->size = lo - rlo;
        }
    }
}

static void compact(void)
{
    unsigned out = 0;
    for (unsigned i = 0; i < nregions; i++)
        if (regions[i].size)
            regions[out++] = regions[i];
    nregions = out;
}

void pmem_init(const struct boot_info *bi)
{
    for (unsigned i = 0; i < bi->nram && nregions < PMEM_MAX_REGIONS; i++)
        regions[nregions++] = (struct pmem_region){bi->ram[i].base, bi->ram[i].size};
    reserve(0, 1 << 20);
    reserve(1 << 20, arch_virt_to_phys(_kernel_end) - (1 << 20));
    for (unsigned i = 0; i < bi->nmodules; i++)
        reserve(bi->modules[i].base, bi->modules[i].size);
    reserve(bi->info_base, bi->info_size);
    compact();
}

paddr_t pmem_alloc(uint64_t size, uint64_t align)
{
    KASSERT(!sealed);
    for (unsigned i = 0; i < nregions; i++) {
        paddr_t at = ALIGN_UP(regions[i].base, align);
        paddr_t end = regions[i].base + regions[i].size;
        if (at >= end || size > end - at)
            continue;
        /* the skipped gap becomes a region of its own, not a leak */
        if (at > regions[i].base && nregions < PMEM_MAX_REGIONS) {
            for (unsigned j = nregions; j > i; j--)
                regions[j] = regions[j - 1];
            nregions++;
            regions[i].size = at - regions[i].base;
            i++;
        }
        regions[i].base = at + size;
        regions[i].size = end - (at + size);
        memset(arch_phys_to_virt(at), 0, size);
        return at;
    }
    return 0;
}

paddr_t pmem_alloc_page(void *unused)
{
    return pmem_alloc(PAGE_SIZE, PAGE_SIZE);
}

void pmem_seal(void)
{
    compact();
    sealed = true;
}

unsigned pmem_regions(const struct pmem_region **out)
{
    *out = regions;
    return nregions;
}

uint64_t pmem_free_bytes(void)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < nregions; i++)
        n += regions[i].size;
    return n;
}
