/*
 * device: what driver Tasks need from the kernel, as capabilities.
 *   IRQ     arg = mask of interrupt lines; irq_bind turns a line into a
 *           Signal bit of the caller; the line stays masked after each
 *           interrupt until the driver acknowledges it (irq_ack).
 *   IOPORT  arg = base | count << 16: io_in/io_out on ports inside it.
 *   DEBUG   the kernel console (debug_write).
 * MMIO is a device Reticle: retype gives uncached FRAME capabilities.
 *
 * Invariant: lines[l].task, when set, is a live Task that bound line l
 * and still holds an IRQ capability for it; the line is unmasked exactly
 * when bound and not awaiting its ack.
 */
#ifndef CORE_DEVICE_H
#define CORE_DEVICE_H

#include "core/task.h"

#define NLINES 16
#define IRQ_KERNEL_LINES ((1u << 0) | (1u << 2))   /* timer, PIC cascade */

void irq_unbind_task(struct task *t);
void irq_deliver(unsigned line);
void irq_cap_gone(const struct cap *gone);

#endif
