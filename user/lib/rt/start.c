/*
 * start.c: a Task's life: crt0 calls rt_start with the start argument;
 * main runs; its return value is the exit status. rt_die prints a reason
 * first, so a Task that gives up says why.
 */
#include "rt.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int main(void);
void rt_start(uint64_t arg);

static uint64_t start_arg;

void rt_start(uint64_t arg)
{
    start_arg = arg;
    rt_exit(main());
}

uint64_t rt_arg(void) { return start_arg; }

void rt_exit(int status)
{
    fflush(stdout);
    v_task_exit((uint64_t)(int64_t)status);
    for (;;)
        __asm__ volatile("ud2");
}

void rt_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    rt_exit(1);
}

const struct v_bundle *rt_bundle(void)
{
    const struct v_bundle *b = (const struct v_bundle *)V_BUNDLE_ADDR;
    return b->magic == V_BUNDLE_MAGIC ? b : 0;
}

v_handle rt_cap(const char *name)
{
    const struct v_bundle *b = rt_bundle();
    if (!b)
        return 0;
    for (uint32_t i = 0; i < b->count && i < 127; i++)
        if (!strncmp(b->entry[i].name, name, V_BUNDLE_NAME))
            return b->entry[i].handle;
    return 0;
}

const char *rt_errname(int64_t err)
{
    static const char *const names[] = {
#define V_X(name, val, text) [val] = #name,
        V_ERRORS(V_X)
#undef V_X
    };
    if (err >= 0 && (uint64_t)err < sizeof names / sizeof names[0] && names[err])
        return names[err];
    return "V_E?";
}
