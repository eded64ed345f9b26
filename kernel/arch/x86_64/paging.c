/*
 * paging.c: the paging seam: 4-level x86_64 page tables.
 *
 * The kernel half (PML4 entries 256..511) is built once at boot and then
 * never changes at the top level: the direct map of RAM with 2 MiB pages
 * and the kernel image with 4 KiB pages and W^X. Every address space's
 * root copies those 256 entries, so kernel mappings are shared and the
 * kernel never needs to touch another space's root to stay mapped.
 *
 * User leaves carry exactly the rights asked for: no NX only when X was
 * asked, W only when asked, and never both (callers enforce W^X; the
 * assertion here is the last line). Intermediate tables allow everything
 * so the leaf alone decides.
 *
 * A tombstone (PTE_TOMB, a bit the CPU ignores) is a leaf that once
 * mapped something revoked under its Task and now maps that space's
 * private tomb page: it is present to the CPU but free to the kernel,
 * which maps over it like an empty entry.
 */
#include "arch.h"

#define PTE_P   (1ull << 0)
#define PTE_W   (1ull << 1)
#define PTE_U   (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS  (1ull << 7)
#define PTE_G   (1ull << 8)
#define PTE_TOMB (1ull << 9)    /* software: a revoked mapping's tombstone */
#define PTE_NX  (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

static paddr_t kernel_root;
static bool have_nx;
/* Boot memory for the kernel's own tables, until pmem is sealed. */
static pt_alloc_fn boot_alloc;
static void *boot_ctx;
/* The kernel's uncached windows onto device registers (the local APIC,
 * the IOMMU), in the last GiB of the address space, handed out upward at
 * boot and never taken back. */
#define KDEV_BASE 0xffffffffc0000000ull
#define KDEV_TOP  0xfffffffff0000000ull
static uint64_t kdev_next = KDEV_BASE;

extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[];
extern char _data_start[], _kernel_end[];

static uint64_t *table(paddr_t p) { return arch_phys_to_virt(p); }

/* The leaf table (level 1) covering va, creating tables on the way if
 * alloc; 0 if one is missing (or cannot be had). */
static uint64_t *leaf_table(paddr_t root, uint64_t va, pt_alloc_fn alloc, void *ctx, bool user)
{
    uint64_t *t = table(root);
    for (int shift = 39; shift > 12; shift -= 9) {
        uint64_t *e = &t[(va >> shift) & 511];
        if (!(*e & PTE_P)) {
            if (!alloc)
                return 0;
            paddr_t p = alloc(ctx);
            if (!p)
                return 0;
            *e = p | PTE_P | PTE_W | (user ? PTE_U : 0);
        }
        KASSERT(!(*e & PTE_PS));
        t = table(*e & PTE_ADDR);
    }
    return t;
}

static unsigned leaf_index(uint64_t va) { return (va >> 12) & 511; }

/* Present and not a tombstone: in use. */
static bool leaf_used(uint64_t e) { return (e & (PTE_P | PTE_TOMB)) == PTE_P; }

static uint64_t leaf_bits(unsigned flags)
{
    KASSERT(!((flags & MAP_W) && (flags & MAP_X)));
    uint64_t b = PTE_P;
    if (flags & MAP_W)
        b |= PTE_W;
    if (flags & MAP_USER)
        b |= PTE_U;
    else
        b |= PTE_G;
    if (!(flags & MAP_X) && have_nx)
        b |= PTE_NX;
    if (flags & MAP_UNCACHED)
        b |= PTE_PCD | PTE_PWT;
    return b;
}

/* Runs look up a leaf table only when they enter one (every 2 MiB),
 * not once per page. */
int arch_pt_map(paddr_t root, uint64_t va, paddr_t pa, unsigned npages, unsigned flags,
                pt_alloc_fn alloc, void *ctx)
{
    uint64_t bits = leaf_bits(flags);
    uint64_t *t = 0;
    for (unsigned i = 0; i < npages; i++, va += PAGE_SIZE, pa += PAGE_SIZE) {
        unsigned x = leaf_index(va);
        if (i == 0 || x == 0) {
            t = leaf_table(root, va, alloc, ctx, flags & MAP_USER);
            if (!t)
                return V_ENOMEM;
        }
        if (leaf_used(t[x]))
            return V_EEXIST;
        bool was_tomb = t[x] & PTE_P;
        t[x] = (pa & PTE_ADDR) | bits;
        if (was_tomb && read_cr3() == root)
            __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
    }
    return V_OK;
}

void arch_paging_init(const struct boot_info *bi, pt_alloc_fn alloc, void *ctx)
{
    uint32_t a, b, c, d;
    cpuid(0x80000001, 0, &a, &b, &c, &d);
    have_nx = d & (1u << 20);

    boot_alloc = alloc;
    boot_ctx = ctx;
    kernel_root = alloc(ctx);
    KASSERT(kernel_root);
    uint64_t *pml4 = table(kernel_root);

    /* Direct map: all of RAM up to its highest address, 2 MiB pages. The
     * holes between regions are mapped too (MMIO among them is never
     * touched through this map; device frames get their own mappings). */
    paddr_t top = 0;
    for (unsigned i = 0; i < bi->nram; i++)
        if (bi->ram[i].base + bi->ram[i].size > top)
            top = bi->ram[i].base + bi->ram[i].size;
    top = ALIGN_UP(top, 1ull << 30);
    paddr_t pdpt = alloc(ctx);
    KASSERT(pdpt);
    pml4[(DIRECT_BASE >> 39) & 511] = pdpt | PTE_P | PTE_W;
    for (paddr_t g = 0; g < top; g += 1ull << 30) {
        paddr_t pd = alloc(ctx);
        KASSERT(pd);
        table(pdpt)[g >> 30] = pd | PTE_P | PTE_W;
        for (unsigned i = 0; i < 512; i++)
            table(pd)[i] = (g + ((uint64_t)i << 21)) | PTE_P | PTE_W | PTE_PS | PTE_G |
                           (have_nx ? PTE_NX : 0);
    }

    /* Kernel image, section by section. */
    struct {
        char *s, *e;
        unsigned f;
    } secs[] = {
        {_text_start, _text_end, MAP_R | MAP_X},
        {_rodata_start, _rodata_end, MAP_R},
        {_data_start, _kernel_end, MAP_R | MAP_W},
    };
    for (unsigned i = 0; i < ARRAY_LEN(secs); i++) {
        uint64_t va = ALIGN_DOWN((uint64_t)secs[i].s, PAGE_SIZE);
        uint64_t n = (ALIGN_UP((uint64_t)secs[i].e, PAGE_SIZE) - va) / PAGE_SIZE;
        KASSERT(arch_pt_map(kernel_root, va, va - KERNEL_VMA, (unsigned)n, secs[i].f, alloc,
                            ctx) == V_OK);
    }

    /* Pre-create every kernel-half PML4 entry that exists, so copying
     * entries 256..511 at address-space creation shares all of them. */
    arch_as_switch(kernel_root);
}

/* One walk per leaf table the run touches (every 2 MiB), not per page:
 * where the leaf table exists its entries are checked, where it does not
 * the missing tables are counted (once each, as neighbouring regions
 * share them). */
bool arch_pt_probe(paddr_t root, uint64_t va, unsigned npages, unsigned *need)
{
    uint64_t seen[3] = {~0ull, ~0ull, ~0ull};     /* last region counted per level */
    uint64_t end = va + (uint64_t)npages * PAGE_SIZE;
    *need = 0;
    while (va < end) {
        uint64_t next = ALIGN_DOWN(va, 1ull << 21) + (1ull << 21);
        uint64_t stop = next < end ? next : end;
        uint64_t *t = table(root);
        bool missing = false;
        for (int level = 0, shift = 39; shift > 12; level++, shift -= 9) {
            uint64_t region = va >> shift;
            if (!missing) {
                uint64_t e = t[region & 511];
                if (e & PTE_P) {
                    t = table(e & PTE_ADDR);
                    continue;
                }
                missing = true;
            }
            if (seen[level] != region) {
                seen[level] = region;
                (*need)++;
            }
        }
        if (!missing)
            for (uint64_t p = va; p < stop; p += PAGE_SIZE)
                if (leaf_used(t[leaf_index(p)]))
                    return true;
        va = stop;
    }
    return false;
}

void *arch_pt_user_ptr(paddr_t root, uint64_t va, bool write)
{
    if (va < V_USER_BASE || va >= V_USER_TOP)
        return 0;
    uint64_t *t = leaf_table(root, va, 0, 0, false);
    uint64_t want = PTE_P | PTE_U | (write ? PTE_W : 0);
    if (!t || (t[leaf_index(va)] & want) != want)
        return 0;
    return (uint8_t *)arch_phys_to_virt(t[leaf_index(va)] & PTE_ADDR) + (va & PAGE_MASK);
}

static bool user_access(paddr_t root, uint64_t va, uint64_t n, uint64_t want)
{
    if (n == 0)
        return true;
    if (va < V_USER_BASE || va >= V_USER_TOP || n > V_USER_TOP - va)
        return false;
    uint64_t *t = 0;
    for (uint64_t p = ALIGN_DOWN(va, PAGE_SIZE); p < va + n; p += PAGE_SIZE) {
        unsigned x = leaf_index(p);
        if (!t || x == 0)
            t = leaf_table(root, p, 0, 0, false);
        if (!t || (t[x] & want) != want)
            return false;
    }
    return true;
}

bool arch_pt_user_readable(paddr_t root, uint64_t va, uint64_t n)
{
    return user_access(root, va, n, PTE_P | PTE_U);
}

bool arch_pt_user_writable(paddr_t root, uint64_t va, uint64_t n)
{
    return user_access(root, va, n, PTE_P | PTE_U | PTE_W);
}

/* Replace each leaf of the run that still maps the expected page (pa + i
 * pages) with entry; leaves mapping anything else are left alone. */
static void replace_leaves(paddr_t root, uint64_t va, paddr_t pa, unsigned npages,
                           uint64_t entry)
{
    bool current = read_cr3() == root;
    uint64_t *t = 0;
    for (unsigned i = 0; i < npages; i++, va += PAGE_SIZE, pa += PAGE_SIZE) {
        unsigned x = leaf_index(va);
        if (i == 0 || x == 0)
            t = leaf_table(root, va, 0, 0, false);
        if (t && leaf_used(t[x]) && (t[x] & PTE_ADDR) == (pa & PTE_ADDR)) {
            t[x] = entry;
            if (current)
                __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
        }
    }
}

void arch_pt_unmap(paddr_t root, uint64_t va, paddr_t pa, unsigned npages)
{
    replace_leaves(root, va, pa, npages, 0);
}

void arch_pt_tombstone(paddr_t root, uint64_t va, paddr_t pa, unsigned npages, paddr_t tomb)
{
    replace_leaves(root, va, pa, npages,
                   (tomb & PTE_ADDR) | PTE_P | PTE_W | PTE_U | PTE_TOMB | (have_nx ? PTE_NX : 0));
}

bool arch_pt_filter(paddr_t root, uint64_t *va, unsigned budget,
                    unsigned (*fn)(paddr_t pa, bool writable, bool device, void *ctx), void *ctx)
{
    bool changed = false;
    /* a position is one leaf table's 2 MiB of addresses: (i, j, k) */
    unsigned i0 = (unsigned)(*va >> 39) & 511, j0 = (unsigned)(*va >> 30) & 511;
    unsigned k0 = (unsigned)(*va >> 21) & 511;
    uint64_t *l4 = table(root);
    for (unsigned i = i0; i < 256; i++) {
        if (!(l4[i] & PTE_P))
            continue;
        uint64_t *l3 = table(l4[i] & PTE_ADDR);
        for (unsigned j = i == i0 ? j0 : 0; j < 512; j++) {
            if (!(l3[j] & PTE_P))
                continue;
            uint64_t *l2 = table(l3[j] & PTE_ADDR);
            for (unsigned k = i == i0 && j == j0 ? k0 : 0; k < 512; k++) {
                if (!(l2[k] & PTE_P))
                    continue;
                if (!budget) {
                    *va = (uint64_t)i << 39 | (uint64_t)j << 30 | (uint64_t)k << 21;
                    goto out;
                }
                budget--;
                uint64_t *l1 = table(l2[k] & PTE_ADDR);
                for (int x = 0; x < 512; x++) {
                    uint64_t e = l1[x];
                    if (!(e & PTE_P) || !(e & PTE_U) || (e & PTE_TOMB))
                        continue;
                    unsigned r = fn(e & PTE_ADDR, e & PTE_W, e & PTE_PCD, ctx);
                    if (r == PT_UNMAP)
                        l1[x] = 0;
                    else if (r == PT_READONLY && (e & PTE_W))
                        l1[x] = e & ~PTE_W;
                    changed |= r != PT_KEEP;
                }
            }
        }
    }
    *va = ARCH_PT_FILTER_DONE;
out:
    if (changed && read_cr3() == root)
        __asm__ volatile("mov %0, %%cr3" ::"r"(root) : "memory");
    return *va == ARCH_PT_FILTER_DONE;
}

void arch_pt_free_tables(paddr_t root, void (*release)(paddr_t, void *), void *ctx)
{
    uint64_t *l4 = table(root);
    for (int i = 0; i < 256; i++) {
        if (!(l4[i] & PTE_P))
            continue;
        uint64_t *l3 = table(l4[i] & PTE_ADDR);
        for (int j = 0; j < 512; j++) {
            if (!(l3[j] & PTE_P))
                continue;
            uint64_t *l2 = table(l3[j] & PTE_ADDR);
            for (int k = 0; k < 512; k++)
                if (l2[k] & PTE_P)
                    release(l2[k] & PTE_ADDR, ctx);
            release(l3[j] & PTE_ADDR, ctx);
        }
        release(l4[i] & PTE_ADDR, ctx);
        l4[i] = 0;
    }
}

paddr_t arch_kernel_root(void) { return kernel_root; }

paddr_t arch_boot_page(void)
{
    return boot_alloc ? boot_alloc(boot_ctx) : 0;
}

/* Under the kernel image's PML4 entry, which every space shares: a
 * window made at boot is visible in every address space made later. */
void *arch_kmap_device(paddr_t pa, unsigned npages)
{
    uint64_t va = kdev_next;
    if (npages == 0 || (uint64_t)npages * PAGE_SIZE > KDEV_TOP - va || pa % PAGE_SIZE)
        return 0;
    if (arch_pt_map(kernel_root, va, pa, npages, MAP_R | MAP_W | MAP_UNCACHED, boot_alloc,
                    boot_ctx) != V_OK)
        return 0;
    kdev_next += (uint64_t)npages * PAGE_SIZE;
    return (void *)va;
}

void arch_as_init(paddr_t root)
{
    uint64_t *t = table(root);
    uint64_t *k = table(kernel_root);
    memset(t, 0, 256 * sizeof *t);
    memcpy(t + 256, k + 256, 256 * sizeof *t);
}

paddr_t arch_as_current(void) { return read_cr3(); }

void arch_as_switch(paddr_t root)
{
    if (read_cr3() != root)
        __asm__ volatile("mov %0, %%cr3" ::"r"(root) : "memory");
}
