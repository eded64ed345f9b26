/*
 * ktest.h: the in-guest test suite's framework, in the manner of
 * sel4test. Each case has an ID and a sentence (hostile ones phrased as
 * the question they answer), asserts exact error codes, and must leave
 * the test Reticle's free bytes and the root table's free slots exactly
 * as it found them. Output, one line per case, read by the QEMU harness:
 *     KTEST PASS <ID> <sentence>
 *     KTEST FAIL <ID> <sentence>: <why>
 */
#ifndef KTEST_H
#define KTEST_H

#include <stdio.h>
#include <string.h>

#include "../kchild/kchild.h"
#include "rt.h"

struct kcase {
    const char *id, *what;
    int hostile;
    void (*fn)(void);
};

#define KCASE(ID, HOSTILE, WHAT)                                                        \
    static void ID##_fn(void);                                                          \
    static const struct kcase ID##_case                                                 \
        __attribute__((section("ktest_cases"), used, aligned(8))) = {#ID, WHAT, HOSTILE, \
                                                                     ID##_fn};          \
    static void ID##_fn(void)

void kt_fail(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern int kt_failed;

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
#define K_TRUE(cond)                                                                    \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            kt_fail(__LINE__, "%s is false", #cond);                                    \
            return;                                                                     \
        }                                                                               \
    } while (0)
#define K_EQ(a, b)                                                                      \
    do {                                                                                \
        long long a_ = (long long)(a), b_ = (long long)(b);                             \
        if (a_ != b_) {                                                                 \
            kt_fail(__LINE__, "%s == %s: %lld != %lld", #a, #b, a_, b_);                \
            return;                                                                     \
        }                                                                               \
    } while (0)

/* The environment every case may use. */
extern v_handle T;          /* the test Reticle: every case allocates from here */
extern v_handle SELF, TAB, AS, DEBUG, IRQ, IOPORTS, SIGF, MMIO;
#define FAULT_BIT 63
#define SCRATCH_VA 0x30000000ull
extern const void *child_elf;
extern size_t child_len;

/* Helpers (ktest.c). */
v_handle kt_frame(void);
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
