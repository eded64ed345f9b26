/*
 * ktest.h: the kernel's in-guest test suite, on the framework in
 * user/tests/suite/suite.h (sel4test's manner). Each case has an ID and a
 * sentence (hostile ones phrased as the question they answer), asserts
 * exact error codes, and must leave the test Reticle's free bytes and the
 * root table's free slots exactly as it found them. Output, one line per
 * case, read by the QEMU harness:
 *     KTEST PASS <ID> <sentence>
 *     KTEST FAIL <ID> <sentence>: <why>
 */
#ifndef KTEST_H
#define KTEST_H

#include <stdio.h>
#include <string.h>

#include "../kchild/kchild.h"
#include "../suite/suite.h"
#include "rt.h"

/* Object-like aliases, so that #cond still names what the case wrote. */
#define KCASE SUITE_CASE
#define K_TRUE SUITE_TRUE
#define K_EQ SUITE_EQ
#define kt_fail suite_fail

/* Expect an exact error code from a call. */
#define K_ERR(call, expect)                                                             \
    do {                                                                                \
        struct v_ret r_ = (call);                                                       \
        if (r_.err != (expect)) {                                                       \
            kt_fail(__LINE__, "%s: got %s, expected %s", #call, rt_errname(r_.err),     \
                    rt_errname(expect));                                                \
            return;                                                                     \
        }                                                                               \
    } while (0)
/* Expect success; the value is the call's result. */
#define K_OK(call)                                                                      \
    ({                                                                                  \
        struct v_ret r_ = (call);                                                       \
        if (r_.err) {                                                                   \
            kt_fail(__LINE__, "%s: got %s", #call, rt_errname(r_.err));                 \
            return;                                                                     \
        }                                                                               \
        r_.val;                                                                         \
    })
/* The environment every case may use. */
extern v_handle T;          /* the test Reticle: every case allocates from here */
extern v_handle SELF, TAB, AS, DEBUG, IRQ, IOPORTS, SIGF, MMIO, LABELS;
extern uint64_t kt_spawn_label;     /* kt_spawn: the child's label (0: none) */
extern v_handle kt_spawn_own;       /* ... and a LabelCap its space owns (0: none) */
#define FAULT_BIT RT_SIG_FAULT
#define SCRATCH_VA 0x30000000ull
extern uint64_t kt_fuzz_calls;      /* SYS0002: "fuzz=N" on the command line */
extern uint64_t kt_soak_cycles;     /* SOK0001: "soak=N" on the command line */
extern uint64_t kt_revoke_nodes;    /* PRE0001: "revoke=N" on the command line */
extern bool kt_revoke_strict;       /* ... and its deadline is checked */
extern const void *child_elf;
extern size_t child_len;

/* Helpers (ktest.c). */
v_handle kt_frame(void);
v_handle kt_cfg_page(unsigned devfn);
uint64_t kt_free(v_handle reticle);
uint64_t kt_table_free(void);
int kt_spawn(unsigned mode, uint64_t param, unsigned prio, const struct rt_bundle_item *items,
             unsigned n, struct rt_child *c);
/* Wait until the child is dead or faulted; its info in *out. 0 on timeout. */
int kt_wait(struct rt_child *c, struct v_taskinfo *out);
void kt_sleep_ms(uint64_t ms);
/* n request/reply round trips with a child echo server (t_ring.c). */
void echo_roundtrips(int n, int *ok);

#define SPAWN(mode, param, prio, items, n, c)                                           \
    do {                                                                                \
        int e_ = kt_spawn(mode, param, prio, items, n, c);                              \
        if (e_) {                                                                       \
            kt_fail(__LINE__, "spawn: %s", rt_errname(e_));                             \
            return;                                                                     \
        }                                                                               \
    } while (0)
#define WAIT(c, info)                                                                   \
    do {                                                                                \
        if (!kt_wait(c, info)) {                                                        \
            kt_fail(__LINE__, "child did not finish");                                  \
            rt_child_destroy(c);                                                        \
            return;                                                                     \
        }                                                                               \
    } while (0)

#endif
