/* faulter: a root Task that writes to an unmapped page, to check that a
 * user fault is reported and the kernel survives it. */
#include <stdio.h>

#include "rt.h"

int main(void)
{
    rt_puts("faulter: about to write to address 0x10\n");
    fflush(stdout);
    uintptr_t addr = 0x10;
    __asm__ volatile("" : "+r"(addr));     /* hide the constant from the optimiser */
    *(volatile int *)addr = 1;
    rt_puts("faulter: still alive?!\n");
    return 0;
}
