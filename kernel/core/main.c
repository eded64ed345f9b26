/*
 * main.c: kmain, the boot path in order. The kernel does the minimum:
 * console, boot information, memory, CPU tables, interrupts, the root
 * Task; then it only schedules and answers system calls.
 */
#include "arch.h"
#include "core/pmem.h"
#include "core/root.h"
#include "core/sched.h"
#include "core/device.h"
#include "core/dma.h"
#include "core/label.h"
#include "core/platform.h"

bool kopt_test, kopt_quiet;
static struct boot_info bootinfo;

static bool has_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = s; *p; p++)
        if ((p == s || p[-1] == ' ') && !strncmp(p, w, n) && (p[n] == 0 || p[n] == ' '))
            return true;
    return false;
}

void kmain(uint32_t magic, uint32_t info);
void kmain(uint32_t magic, uint32_t info)
{
    uint64_t t0 = arch_cycles();
    arch_console_init();
    kprintf("Vectra kernel booting\n");
    if (!arch_boot_info(magic, info, &bootinfo))
        kernel_halt(EXIT_FAIL);
    struct boot_info *bi = &bootinfo;
    kopt_test = has_word(bi->cmdline, "test");
    kopt_quiet = has_word(bi->cmdline, "quiet");

    uint64_t ram = 0;
    for (unsigned i = 0; i < bi->nram; i++)
        ram += bi->ram[i].size;
    kprintf("boot: %s, %lu MiB RAM in %u regions, %u modules, cmdline '%s'\n", bi->protocol,
            ram >> 20, bi->nram, bi->nmodules, bi->cmdline);
    /* An image with more modules than the boot information can describe
     * is broken: booting it would start a system without some of what it
     * was built with, so the boot stops and says which. */
    if (bi->dropped_modules) {
        kprintf("boot: %u modules, at most %u: '%s' and %u more would be left out; not "
                "booting an incomplete image\n", bi->nmodules + bi->dropped_modules,
                BOOT_MAX_MODULES, bi->first_dropped, bi->dropped_modules - 1);
        kernel_halt(EXIT_FAIL);
    }
    if (!kopt_quiet)
        for (unsigned i = 0; i < bi->nmodules; i++)
            kprintf("boot: module %u '%s' at %#lx, %lu bytes\n", i, bi->modules[i].name,
                    bi->modules[i].base, bi->modules[i].size);

    pmem_init(bi);
    arch_cpu_init();
    arch_paging_init(bi, pmem_alloc_page, 0);
    label_init();
    platform_init(bi);
    arch_irq_init();
    dma_init();
    sched_timer_start();

    struct task *root = root_create(bi, t0);
    if (!root)
        kernel_halt(EXIT_FAIL);
    root_give_memory(bi);
    kprintf("boot: %lu KiB of RAM given to the root task as Reticles\n",
            pmem_free_bytes() >> 10);
    uint64_t t1 = arch_cycles();
    root_set_start_tsc(t1);
    kprintf("boot: starting root task '%s' at tsc +%lu\n", root->name, t1 - t0);
    sched_make_runnable(root);
    sched_run();
}

void kernel_irq(unsigned line)
{
    if (line == 0)
        sched_tick();
    else
        irq_deliver(line);
}
