/*
 * root.c: build the root Task from the first boot module.
 *
 * This is the only ELF loading the kernel does: the root Task (init)
 * loads every other program itself. The module is validated whole by
 * lib/elf before a single page is mapped; anything wrong with it is a
 * clear boot error, never a fault. Every page the root Task gets here
 * comes from boot memory (pmem), before the rest of RAM is handed to it.
 */
#include "core/root.h"
#include "core/pmem.h"
#include "core/sched.h"
#include "elf/elf.h"

#define ROOT_STACK_PAGES 16
#define ROOT_PRIO 16

static bool module_in_ram(const struct boot_info *bi, const struct boot_module *m)
{
    for (unsigned i = 0; i < bi->nram; i++) {
        const struct boot_region *r = &bi->ram[i];
        if (m->base >= r->base && m->size <= r->base + r->size - m->base)
            return true;
    }
    return false;
}

static bool map_new_page(paddr_t root, uint64_t va, unsigned flags, paddr_t *out)
{
    paddr_t p = pmem_alloc_page(0);
    if (!p || arch_pt_map(root, va, p, flags | MAP_USER, pmem_alloc_page, 0) != V_OK)
        return false;
    *out = p;
    return true;
}

struct task *root_create(const struct boot_info *bi)
{
    if (bi->nmodules == 0) {
        kprintf("boot: no boot modules: the first module must be the root task (an ELF "
                "executable)\n");
        return 0;
    }
    const struct boot_module *m = &bi->modules[0];
    if (m->size == 0 || !module_in_ram(bi, m)) {
        kprintf("boot: module 0 '%s' at %#lx (%lu bytes) is empty or outside RAM\n", m->name,
                m->base, m->size);
        return 0;
    }
    const uint8_t *file = arch_phys_to_virt(m->base);
    struct elf_image img;
    uint64_t stack_lo = V_STACK_TOP - ROOT_STACK_PAGES * PAGE_SIZE;
    enum elf_err e = elf_parse(file, m->size, V_USER_BASE, stack_lo, &img);
    if (e != ELF_OK) {
        kprintf("boot: module 0 '%s' is not a valid root task: %s\n", m->name,
                elf_strerror(e));
        return 0;
    }

    paddr_t as = pmem_alloc_page(0);
    paddr_t tp = pmem_alloc_page(0);
    if (!as || !tp)
        goto nomem;
    arch_as_init(as);
    for (unsigned i = 0; i < img.nseg; i++) {
        const struct elf_segment *s = &img.seg[i];
        unsigned flags = MAP_R | (s->flags & ELF_W ? MAP_W : 0) | (s->flags & ELF_X ? MAP_X : 0);
        for (uint64_t va = ALIGN_DOWN(s->vaddr, PAGE_SIZE); va < s->vaddr + s->memsz;
             va += PAGE_SIZE) {
            paddr_t p;
            if (!map_new_page(as, va, flags, &p))
                goto nomem;
            /* copy the part of the file image that falls in this page */
            uint64_t lo = va > s->vaddr ? va : s->vaddr;
            uint64_t hi = va + PAGE_SIZE < s->vaddr + s->filesz ? va + PAGE_SIZE
                                                                : s->vaddr + s->filesz;
            if (lo < hi)
                memcpy((uint8_t *)arch_phys_to_virt(p) + (lo - va),
                       file + s->offset + (lo - s->vaddr), hi - lo);
        }
    }
    for (uint64_t va = stack_lo; va < V_STACK_TOP; va += PAGE_SIZE) {
        paddr_t p;
        if (!map_new_page(as, va, MAP_R | MAP_W, &p))
            goto nomem;
    }

    struct task *t = arch_phys_to_virt(tp);
    _Static_assert(sizeof(struct task) <= PAGE_SIZE, "root TCB fits a page");
    const char *base = m->name;
    for (const char *c = m->name; *c; c++)
        if (*c == '/')
            base = c + 1;
    task_init(t, *base ? base : "root", ROOT_PRIO, as);
    arch_regs_init_user(&t->regs, img.entry, V_STACK_TOP, 0);
    return t;

nomem:
    kprintf("boot: out of memory building the root task\n");
    return 0;
}
