/*
 * task: the Task, Vectra's unit of isolation, scheduling and failure.
 *
 * A Task is one address space, one capability table, one 64-bit signal
 * mask, scheduling state and a register save area, in one 2 KiB object
 * retyped from a Reticle. The kernel keeps no other per-Task state and no
 * kernel stack per Task: a Task that is not running is entirely described
 * by this structure.
 *
 * The Task names its table, address space, fault handler and Bundle page
 * through capability slots embedded here (children of the capabilities
 * the configuring parent passed), so when any of those objects is
 * destroyed the slot is revoked like any other and the Task learns of it
 * (task_slot_gone). Every other reference to a Task from kernel state —
 * run queue, timer queue, Ring bindings, IRQ lines — is undone by
 * task_release before its memory can be reused.
 *
 * All fields change only in the kernel with interrupts off (one CPU);
 * "immutable" means set at retype.
 */
#ifndef CORE_TASK_H
#define CORE_TASK_H

#include "arch.h"
#include "core/cap.h"

enum task_state {
    TASK_INACTIVE = V_TASK_INACTIVE,   /* not started (or not yet configured) */
    TASK_RUNNABLE = V_TASK_RUNNABLE,   /* on a run queue unless suspended */
    TASK_BLOCKED = V_TASK_BLOCKED,     /* in signal_wait */
    TASK_FAULTED = V_TASK_FAULTED,     /* halted by a fault; record in .fault */
    TASK_DEAD = V_TASK_DEAD,           /* exited or killed; may be started again */
};

struct ring_end;

/* A pending deadline: a wait's timeout or the one-shot timer bit. */
struct tnode {
    struct tnode *next, *prev;
    uint64_t deadline;          /* in ticks; 0: not queued */
    struct task *task;          /* immutable */
    uint8_t is_timer;           /* immutable: timer_node, not wait_node */
};

struct task {
    struct regs regs;                        /* first: see arch_defs.h */
    uint8_t fpu[512] __attribute__((aligned(16)));   /* FXSAVE image */
    struct cap table, aspace, faultsig, bundle;   /* embedded slots (CAP_IN_TASK) */
    struct task *rq_next, *rq_prev;          /* run queue */
    uint64_t id;                             /* immutable, never reused */
    char name[32];
    uint8_t state;                           /* enum task_state */
    uint8_t prio;                            /* 0 .. V_PRIO_MAX */
    uint8_t suspended;                       /* held off the run queue by task_suspend */
    uint8_t timer_bit;
    uint64_t pending;                        /* signal bits raised, not yet taken */
    uint64_t waiting;                        /* mask of an ongoing signal_wait */
    struct tnode wait_node, timer_node;
    struct ring_end *bindings;               /* Ring ends this Task bound */
    struct v_fault fault;
    uint64_t nfaults;
    int64_t exit_code;
    uint64_t batch_wait_va;                  /* the batch entry a blocked batched call fills, or 0 */
    uint64_t batch_done;                     /* ... and the batch's result then */
    struct reap *reap;                       /* destroyed objects whose slots this Task's
                                                deletions still have to empty (cap.c) */
    uint8_t reap_owed;                       /* the call that queued them has taken effect:
                                                once they are emptied it returns V_OK */
    uint64_t ctr_class[V_NCLASSES];          /* syscalls by class */
    uint64_t ctr_retyped, ctr_signals;
};
_Static_assert(sizeof(struct task) <= V_SIZE_TASK, "Task object size is ABI");

void task_init(struct task *t, const char *name, uint8_t prio);
void task_fault(struct task *t, const struct v_fault *f);
void task_slot_gone(struct task *t, struct cap *slot);
void task_destroy(struct task *t);
/* The root Task is the first made (task_init numbers Tasks from 1, and
 * boot makes the root before anything else): its end is the system's. */
#define TASK_ROOT_ID 1
static inline bool task_is_root(const struct task *t) { return t->id == TASK_ROOT_ID; }

static inline struct task *task_of_slot(struct cap *slot)
{
    return (struct task *)ALIGN_DOWN((uint64_t)slot, (uint64_t)V_SIZE_TASK);
}
static inline struct captable *task_table(struct task *t)
{
    return cap_empty(&t->table) ? 0 : (struct captable *)t->table.obj;
}

#endif
