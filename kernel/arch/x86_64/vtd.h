/*
 * vtd.h: inside the x86_64 port only: the IOMMU's fault event, taken on
 * its own vector (trap.c).
 */
#ifndef ARCH_VTD_H
#define ARCH_VTD_H

void vtd_fault_event(void);
/* The remappable-format message of an MSI line, if interrupts are being
 * remapped (else false: the compatibility format is the message). */
bool vtd_msi_message(unsigned line, uint64_t *msg);
uint32_t lapic_apic_id(void);       /* irq.c */
bool ioapic_line_level(unsigned line);   /* irq.c: the legacy line's pin is level-triggered */

#endif
