/*
 * start.c: from crt0 to main and back: runs main and exits with its
 * status, so returning from main is a clean exit.
 */
#include "rt.h"

int main(void);
void rt_start(uint64_t arg);

void rt_start(uint64_t arg)
{
    rt_exit(main());
}

void rt_exit(int status)
{
    v_task_exit((uint64_t)(int64_t)status);
    for (;;)
        __asm__ volatile("ud2");
}

void rt_puts(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    v_debug_write(0, (uint64_t)s, n);
}
