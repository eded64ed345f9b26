/*
 * syscall: the dispatch table, generated from V_SYSCALLS in vectra/abi.h.
 *
 * Each handler validates every argument first and changes state only
 * after validation (STYLE.md rule 2). It returns the result to write into
 * the caller's registers, or SYS_DEFER when the caller is now blocked and
 * its result will be written by whoever wakes it, or SYS_RESTART.
 */
#ifndef CORE_SYSCALL_H
#define CORE_SYSCALL_H

#include "core/task.h"

#define SYS_DEFER (-1)
/* The call stopped at a preemption point with its work partly done and
 * its arguments still naming the rest: it is re-executed when its Task
 * next runs, as if it had not yet been made (seL4's restartable calls). */
#define SYS_RESTART (-2)

struct sys_args {
    uint64_t a[6];
};

typedef struct v_ret (*sys_fn)(struct task *, const struct sys_args *);
extern const sys_fn syscall_table[V_NSYSCALLS];
extern const uint8_t syscall_class[V_NSYSCALLS];

#define V_X(num, name, nargs, cls) struct v_ret sys_##name(struct task *self, const struct sys_args *a);
V_SYSCALLS(V_X)
#undef V_X

static inline struct v_ret sys_ok(uint64_t val) { return (struct v_ret){V_OK, val}; }
static inline struct v_ret sys_err(int64_t err) { return (struct v_ret){err, 0}; }
static inline struct v_ret sys_restart(void) { return (struct v_ret){SYS_RESTART, 0}; }

#endif
