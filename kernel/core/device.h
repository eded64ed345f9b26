/*
 * device: what driver Tasks need from the kernel, as capabilities.
 *   IRQ     arg = mask of interrupt lines; irq_bind turns a line into a
 *           Signal bit of the caller; the line stays masked after each
 *           interrupt until the driver acknowledges it (irq_ack).
 *   IOPORT  arg = base | count << 16: io_in/io_out on ports inside it.
 *   DEBUG   the kernel console (debug_write).
 * MMIO is a device Reticle: retype gives uncached FRAME capabilities.
 *
 * Lines 0..15 are the legacy (ISA) lines, through the I/O APIC or the
 * PICs; the rest are message-signalled (MSI, MSI-X): irq_bind returns the
 * message the device must send and, given the device's configuration
 * page, has the IOMMU accept that message from that device only; since
 * only the device can mask such a line, the kernel latches one that
 * arrives while the last is unacknowledged and raises the bit again at
 * the ack.
 *
 * Invariant: lines[l].task, when set, is a live Task that bound line l
 * and still holds an IRQ capability for it; a legacy line is unmasked
 * exactly when bound and not awaiting its ack; an MSI line raises its bit
 * at most once per ack.
 */
#ifndef CORE_DEVICE_H
#define CORE_DEVICE_H

#include "core/task.h"

#define NLINES V_IRQ_LINES
#define IRQ_KERNEL_LINES ((1u << 0) | (1u << 2))   /* timer, PIC cascade */

void irq_unbind_task(struct task *t);
void irq_deliver(unsigned line);
void irq_cap_gone(const struct cap *gone);

#endif
