/*
 * signal: the Signal mask. Each Task has 64 pending bits; signal_wait
 * takes the bits of a mask that are pending, clearing them, or blocks
 * until one is raised or a timeout passes. Mutexes, select, timers, IRQs,
 * Ring doorbells and child faults all reduce to raising bits.
 *
 * Invariants: a Task is BLOCKED exactly when waiting != 0, and then
 * (pending & waiting) == 0; its wait_node is queued exactly when it is
 * BLOCKED with a finite timeout; its timer_node is queued exactly when its
 * one-shot timer is armed.
 */
#ifndef CORE_SIGNAL_H
#define CORE_SIGNAL_H

#include "core/task.h"

/* Raise bits on t; wakes it if it waits for any of them. Returns true if
 * t was woken. */
bool signal_deliver(struct task *t, uint64_t bits);
/* Stop any wait or timer of t (t is leaving: killed, faulted, destroyed). */
void signal_cancel(struct task *t);
void signal_tick(uint64_t now);
uint64_t signal_first_deadline(void);   /* the earliest deadline's tick, or 0: none */
/* Raise bits on peer, then wait for mask, handing the CPU straight to the
 * peer when it waits for them at self's priority (signal_call, ring_call);
 * or only wait. Both return as a system call does (SYS_DEFER if blocked). */
struct v_ret signal_call_task(struct task *self, struct task *peer, uint64_t bits,
                              uint64_t mask, uint64_t timeout);
struct v_ret signal_wait_self(struct task *self, uint64_t mask, uint64_t timeout);
/* batch.c: t waits in a batched call (batch_wait_va != 0): write the
 * result into its batch entry, and the batch's own into its registers. */
void batch_wait_done(struct task *t, int64_t err, uint64_t val);

#endif
