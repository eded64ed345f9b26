/*
 * task: the Task, Vectra's unit of isolation, scheduling and failure.
 *
 * A Task is one address space, one capability table, one 64-bit signal
 * mask, scheduling state and a register save area. The kernel keeps no
 * other per-Task state and no kernel stack per Task: a Task that is not
 * running is entirely described by this structure.
 *
 * Fields are changed only by the kernel with interrupts off (one CPU);
 * "immutable" fields are set before the Task first runs.
 */
#ifndef CORE_TASK_H
#define CORE_TASK_H

#include "arch.h"

enum task_state {
    TASK_INACTIVE,    /* created, not started */
    TASK_RUNNABLE,    /* on a run queue (the running Task too) */
    TASK_BLOCKED,     /* waiting for signal bits */
    TASK_SUSPENDED,   /* stopped by its supervisor */
    TASK_FAULTED,     /* halted by a fault; record in .fault */
    TASK_DEAD,        /* exited or killed; never runs again */
};

struct task {
    struct regs regs;                       /* must stay first: see arch_defs.h */
    uint8_t fpu[512] __attribute__((aligned(16)));   /* FXSAVE image */
    struct task *rq_next;                   /* run queue link */
    uint64_t id;                            /* immutable, never reused */
    char name[32];                          /* immutable, for reports */
    enum task_state state;
    uint8_t prio;                           /* 0 (lowest) .. V_PRIO_MAX */
    paddr_t as_root;                        /* page-table root */
    struct v_fault fault;                   /* valid in TASK_FAULTED */
    int64_t exit_code;                      /* valid in TASK_DEAD */
};

void task_init(struct task *t, const char *name, uint8_t prio, paddr_t as_root);
/* The current Task faulted: record, halt it, tell its supervisor. */
void task_fault(struct task *t, const struct v_fault *f);
void task_exit(struct task *t, int64_t code);
const char *task_state_name(enum task_state s);

#endif
