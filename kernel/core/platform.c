/*
 * platform.c: see platform.h.
 */
#include "core/platform.h"

struct platform platform;

/* The tables sit in firmware-reserved RAM, inside the direct map; an
 * address the map does not cover is refused, never followed. */
static const void *map_direct(void *ctx, uint64_t phys, uint64_t len)
{
    uint64_t top = *(const uint64_t *)ctx;
    if (phys >= top || len > top - phys)
        return 0;
    return arch_phys_to_virt(phys);
}

void platform_init(const struct boot_info *bi)
{
    uint64_t top = 0;
    for (unsigned i = 0; i < bi->nram; i++)
        if (bi->ram[i].base + bi->ram[i].size > top)
            top = bi->ram[i].base + bi->ram[i].size;
    top = ALIGN_UP(top, 1ull << 30);        /* the direct map's extent (paging.c) */
    struct acpi_mem mem = {map_direct, &top};
    struct acpi_rsdp rsdp;
    struct acpi_root root;
    enum acpi_err e = ACPI_ENOTFOUND;
    if (bi->rsdp_len &&
        (e = acpi_rsdp_parse(bi->rsdp, bi->rsdp_len, bi->rsdp_at, &rsdp)) == ACPI_OK &&
        (e = acpi_root_open(&mem, &rsdp, &root)) == ACPI_OK)
        e = acpi_platform_read(&mem, &root, &platform.acpi);
    if (e != ACPI_OK) {
        memset(&platform.acpi, 0, sizeof platform.acpi);
        kprintf("platform: no usable ACPI tables (%s): no ECAM, no IOMMU, DMA unconfined\n",
                acpi_err_name(e));
        return;
    }
    platform.has_acpi = true;
    const struct acpi_platform *p = &platform.acpi;
    if (!kopt_quiet || !p->has_dmar)
        kprintf("platform: ACPI %u: %u CPUs, %u I/O APICs, %u ECAM windows, %s\n",
                rsdp.revision, p->ncpus, p->nioapics, p->necam,
                p->has_dmar ? "IOMMU present" : "no IOMMU: DMA is unconfined");
    if (!kopt_quiet)
        for (unsigned i = 0; i < p->necam; i++)
            kprintf("platform: ECAM segment %u buses %u-%u at %#lx\n", p->ecam[i].segment,
                    p->ecam[i].start_bus, p->ecam[i].end_bus,
                    p->ecam[i].base + ((uint64_t)p->ecam[i].start_bus << 20));
}
