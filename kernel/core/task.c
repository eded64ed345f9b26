/*
 * task.c: Task state transitions that are not scheduling: creation,
 * faults and exit. See task.h.
 */
#include "core/task.h"
#include "core/sched.h"

static uint64_t next_id = 1;

const char *task_state_name(enum task_state s)
{
    static const char *const names[] = {"inactive", "runnable", "blocked",
                                        "suspended", "faulted", "dead"};
    return s <= TASK_DEAD ? names[s] : "?";
}

void task_init(struct task *t, const char *name, uint8_t prio, paddr_t as_root)
{
    memset(t, 0, sizeof *t);
    t->id = next_id++;
    size_t i = 0;
    for (; name[i] && i + 1 < sizeof t->name; i++)
        t->name[i] = name[i];
    t->prio = prio;
    t->as_root = as_root;
    t->state = TASK_INACTIVE;
    arch_fpu_init_image(t->fpu);
}

void task_fault(struct task *t, const struct v_fault *f)
{
    t->fault = *f;
    kprintf("fault: task %lu '%s' %s (vector %lu) error=%#lx rip=%#lx rsp=%#lx addr=%#lx\n",
            t->id, t->name, arch_fault_name(f->vector), f->vector, f->error, f->ip, f->sp,
            f->addr);
    arch_dump_regs(&t->regs);
    sched_remove(t);
    t->state = TASK_FAULTED;
    if (t->id == 1) {
        kprintf("kernel: the root task faulted; nothing left to supervise\n");
        kernel_halt(EXIT_FAIL);
    }
}

void task_exit(struct task *t, int64_t code)
{
    sched_remove(t);
    t->state = TASK_DEAD;
    t->exit_code = code;
    if (t->id == 1) {
        kprintf("kernel: root task exited with status %ld\n", code);
        kernel_halt(code == 0 ? EXIT_PASS : EXIT_FAIL);
    }
}
