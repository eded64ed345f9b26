/*
 * multiboot.c: the boot seam. Turns a Multiboot 1 (QEMU -kernel) or
 * Multiboot 2 (GRUB) information structure into struct boot_info.
 *
 * The structure is read through the boot page tables' direct map of the
 * first 1 GiB, before anything else has touched memory; everything we keep
 * is copied out, so later code never dereferences the loader's pointers.
 * RAM regions come back page-aligned inwards, sorted and disjoint.
 */
#include "arch.h"
#include "acpi/acpi.h"

#define MB1_BOOT_MAGIC 0x2BADB002
#define MB2_BOOT_MAGIC 0x36d76289
#define EARLY_MAP_LIMIT (1ull << 30)

static bool early_ok(paddr_t p, uint64_t n)
{
    return p < EARLY_MAP_LIMIT && n <= EARLY_MAP_LIMIT - p;
}

static void copy_str(char *dst, size_t cap, paddr_t src)
{
    size_t i = 0;
    if (src && early_ok(src, 1)) {
        const char *s = arch_phys_to_virt(src);
        for (; i + 1 < cap && early_ok(src + i, 1) && s[i]; i++)
            dst[i] = s[i];
    }
    dst[i] = 0;
}

static void add_ram(struct boot_info *bi, uint64_t base, uint64_t len)
{
    uint64_t lo = ALIGN_UP(base, PAGE_SIZE);
    uint64_t hi = base + len < base ? ~0ull : base + len;
    hi = ALIGN_DOWN(hi, PAGE_SIZE);
    if (hi > DIRECT_MAX)
        hi = DIRECT_MAX;
    if (lo >= hi || bi->nram == BOOT_MAX_REGIONS)
        return;
    /* insert sorted; loaders may list regions in any order */
    unsigned i = bi->nram++;
    while (i > 0 && bi->ram[i - 1].base > lo) {
        bi->ram[i] = bi->ram[i - 1];
        i--;
    }
    bi->ram[i].base = lo;
    bi->ram[i].size = hi - lo;
}

/* Overlapping entries (seen on some firmware) are merged, so later code
 * can rely on disjoint regions. */
static void normalise(struct boot_info *bi)
{
    unsigned out = 0;
    for (unsigned i = 0; i < bi->nram; i++) {
        struct boot_region r = bi->ram[i];
        if (out && r.base <= bi->ram[out - 1].base + bi->ram[out - 1].size) {
            uint64_t end = r.base + r.size;
            struct boot_region *p = &bi->ram[out - 1];
            if (end > p->base + p->size)
                p->size = end - p->base;
        } else {
            bi->ram[out++] = r;
        }
    }
    bi->nram = out;
}

static void add_module(struct boot_info *bi, paddr_t start, paddr_t end, paddr_t name)
{
    if (bi->nmodules == BOOT_MAX_MODULES) {
        if (!bi->dropped_modules++)
            copy_str(bi->first_dropped, sizeof bi->first_dropped, name);
        return;
    }
    struct boot_module *m = &bi->modules[bi->nmodules++];
    m->base = start;
    m->size = end > start ? end - start : 0;
    copy_str(m->name, sizeof m->name, name);
}

static bool parse_mb1(paddr_t info, struct boot_info *bi)
{
    if (!early_ok(info, 52))
        return false;
    const uint32_t *w = arch_phys_to_virt(info);
    uint32_t flags = w[0];
    bi->protocol = "multiboot1";
    bi->info_base = info;
    bi->info_size = 116;
    if (flags & (1u << 2))
        copy_str(bi->cmdline, sizeof bi->cmdline, w[4]);
    if (flags & (1u << 3)) {
        uint32_t count = w[5], addr = w[6];
        for (uint32_t i = 0; i < count && early_ok(addr + 16ull * i, 16); i++) {
            const uint32_t *m = arch_phys_to_virt(addr + 16ull * i);
            add_module(bi, m[0], m[1], m[2]);
        }
    }
    if (flags & (1u << 6)) {
        uint32_t len = w[11], addr = w[12];
        uint64_t p = addr, end = (uint64_t)addr + len;
        while (p + 24 <= end && early_ok(p, 24)) {
            const uint8_t *e = arch_phys_to_virt(p);
            uint32_t size = *(const uint32_t *)e;
            uint64_t base = *(const uint64_t *)(e + 4);
            uint64_t length = *(const uint64_t *)(e + 12);
            uint32_t type = *(const uint32_t *)(e + 20);
            if (type == 1)
                add_ram(bi, base, length);
            if (size < 20)
                break;
            p += size + 4ull;
        }
    } else if (flags & 1u) {
        add_ram(bi, 0, (uint64_t)w[1] << 10);
        add_ram(bi, 1 << 20, (uint64_t)w[2] << 10);
    }
    return true;
}

static void keep_rsdp(struct boot_info *bi, paddr_t at, uint64_t len)
{
    if (len > sizeof bi->rsdp)
        len = sizeof bi->rsdp;
    memcpy(bi->rsdp, arch_phys_to_virt(at), len);
    bi->rsdp_len = (uint32_t)len;
    bi->rsdp_at = at;
}

static bool parse_mb2(paddr_t info, struct boot_info *bi)
{
    if (!early_ok(info, 8))
        return false;
    uint32_t total = *(const uint32_t *)arch_phys_to_virt(info);
    if (total < 8 || !early_ok(info, total))
        return false;
    bi->protocol = "multiboot2";
    bi->info_base = info;
    bi->info_size = total;
    uint64_t p = info + 8, end = info + total;
    while (p + 8 <= end) {
        const uint32_t *t = arch_phys_to_virt(p);
        uint32_t type = t[0], size = t[1];
        if (type == 0 || size < 8 || p + size > end)
            break;
        if (type == 1) {
            copy_str(bi->cmdline, sizeof bi->cmdline, p + 8);
        } else if (type == 3 && size >= 16) {
            add_module(bi, t[2], t[3], p + 16);
        } else if ((type == 14 || type == 15) && size > 8 && !bi->rsdp_len) {
            keep_rsdp(bi, p + 8, size - 8);     /* ACPI old/new RSDP: a copy inside the tag */
        } else if (type == 6 && size >= 16) {
            uint32_t esize = t[2];
            if (esize >= 24)
                for (uint64_t e = p + 16; e + esize <= p + size; e += esize) {
                    const uint8_t *ent = arch_phys_to_virt(e);
                    if (*(const uint32_t *)(ent + 16) == 1)
                        add_ram(bi, *(const uint64_t *)ent, *(const uint64_t *)(ent + 8));
                }
        }
        p += ALIGN_UP((uint64_t)size, 8);
    }
    return true;
}

/* BIOS firmware's RSDP, for loaders that give none (Multiboot 1, QEMU
 * -kernel): on a 16-byte boundary in the first KiB of the EBDA or in
 * 0xE0000-0xFFFFF (ACPI 6.5 5.2.5.1). One 64-bit compare a candidate;
 * lib/acpi validates the one found (checksums, revision, length). */
static void find_rsdp(struct boot_info *bi)
{
    const uint64_t sig = 0x2052545020445352ull;     /* "RSD PTR " */
    uint64_t ebda = (uint64_t)*(const uint16_t *)arch_phys_to_virt(0x40e) << 4;
    const struct { uint64_t lo, hi; } area[] = {{ebda, ebda + 1024}, {0xe0000, 0x100000}};
    for (unsigned k = 0; k < ARRAY_LEN(area); k++) {
        if (area[k].lo < 0x80000 || area[k].hi > 0x100000)
            continue;                               /* no EBDA pointer worth believing */
        for (uint64_t p = area[k].lo; p + 20 <= area[k].hi; p += 16) {
            if (*(const uint64_t *)arch_phys_to_virt(p) != sig)
                continue;
            uint32_t len = (uint32_t)(area[k].hi - p < 36 ? area[k].hi - p : 36);
            struct acpi_rsdp r;
            if (acpi_rsdp_parse(arch_phys_to_virt(p), len, p, &r) == ACPI_OK) {
                keep_rsdp(bi, p, len);
                return;
            }
        }
    }
}

bool arch_boot_info(uint32_t magic, paddr_t info, struct boot_info *bi)
{
    bool ok;
    if (magic == MB1_BOOT_MAGIC)
        ok = parse_mb1(info, bi);
    else if (magic == MB2_BOOT_MAGIC)
        ok = parse_mb2(info, bi);
    else {
        kprintf("boot: unknown boot loader (magic %#x); need Multiboot 1 or 2\n", magic);
        return false;
    }
    if (!ok) {
        kprintf("boot: %s information at %#lx is unreadable\n",
                magic == MB1_BOOT_MAGIC ? "multiboot1" : "multiboot2", info);
        return false;
    }
    normalise(bi);
    if (!bi->rsdp_len)
        find_rsdp(bi);
    return true;
}
