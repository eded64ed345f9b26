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
/* batch.c: if t waits in a batched call, write the result into its
 * batch entry (and the batch's own result into its registers). */
bool batch_wait_done(struct task *t, int64_t err, uint64_t val);

#endif
