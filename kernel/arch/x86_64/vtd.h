/*
 * vtd.h: inside the x86_64 port only: the IOMMU's fault event, taken on
 * its own vector (trap.c).
 */
#ifndef ARCH_VTD_H
#define ARCH_VTD_H

void vtd_fault_event(void);

#endif
