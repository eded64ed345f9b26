/*
 * platform: what the kernel learns from the firmware's ACPI tables (read
 * by lib/acpi) at boot, and only that: the interrupt controllers it will
 * route device interrupts through, the PCI ECAM windows it hands out as
 * device Reticles, and the IOMMU units that will confine DMA. Enumerating
 * and driving devices is user space's (docs/DEVICES.md).
 *
 * Invariants: read once, before the root Task exists, then immutable; a
 * machine without ACPI (or with tables lib/acpi refuses) boots with
 * has_acpi false, says so, and hands out no ECAM or IOMMU.
 */
#ifndef CORE_PLATFORM_H
#define CORE_PLATFORM_H

#include "arch.h"
#include "acpi/acpi.h"

#define PLATFORM_MAX_SCOPE 64
#define PLATFORM_MAX_BRIDGE 16

struct platform {
    bool has_acpi;
    struct acpi_platform acpi;  /* valid when has_acpi */
    /* The first remapping unit's scope, when it does not take every
     * device: PCI source ids (bus << 8 | devfn) of the endpoints it
     * names directly, and the bridges whose whole sub-hierarchy it takes
     * (QEMU's q35 lists each root port so). A bridge's bus range is read
     * from its configuration page when asked, not at boot: the range the
     * bridge routes by is the one the unit sees requests from. A scope
     * with a path through bridges (npath > 1) is followed at boot through
     * the secondary bus numbers firmware gave those bridges
     * (acpi_dmar_scope_source); a path that leads to no bridge names no
     * device, is reported, and confines nothing. */
    uint32_t nscope, nbridge;
    uint16_t scope[PLATFORM_MAX_SCOPE];
    struct {
        uint16_t bdf;
        volatile const uint8_t *cfg;    /* its ECAM page, mapped uncached */
    } bridge[PLATFORM_MAX_BRIDGE];
    /* The source id the remapping unit sees on the I/O APIC's interrupt
     * messages (the DMAR's I/O APIC scope for the I/O APIC at GSI 0),
     * when has_ioapic_source. */
    bool has_ioapic_source;
    uint16_t ioapic_source;
    /* The HPET's registers (ACPI "HPET" table, memory space), or 0. */
    paddr_t hpet_base;
};

/* Does the first remapping unit take requests from this source id? */
bool platform_iommu_scope(uint16_t source);

extern struct platform platform;
void platform_init(const struct boot_info *bi);

#endif
