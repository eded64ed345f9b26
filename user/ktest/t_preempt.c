/* Preemption of long kernel operations: a revocation of a huge chain by a
 * low-priority Task does not hold off a higher-priority Task's timer. */
#include "ktest.h"

static inline uint64_t tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t)hi << 32 | lo;
}

#define WAKE_BIT 21

/* The plain suite revokes kt_revoke_nodes (default 20 000) and checks
 * the result; the revoke_deadline scenario boots with revoke=1000000
 * under -icount (time is instructions, so the figure is exact) and also
 * holds the timer to its deadline. */
KCASE(PRE0001, 1, "what if a low-priority Task revokes a huge derivation chain while a higher one sleeps 1 ms at a time?")
{
    uint64_t n = kt_revoke_nodes;
    v_handle ready = (v_handle)K_OK(v_signal_mint(SELF, 1ull << REVOKER_READY_BIT, V_SLOT_ANY));
    struct rt_bundle_item items[] = {{"debug", DEBUG, false}, {"parent", ready, false}};
    struct rt_spawn_args a = {
        .elf = child_elf, .elf_len = child_len, .name = "revoker", .reticle = T,
        .memory = ((n * 72 + 4095) & ~4095ull) + (1u << 20), .prio = 1, .fault_signal = SIGF,
        .arg = M_REVOKER | n << 8, .items = items, .nitems = 2, .give_memory = true,
    };
    struct rt_child c;
    int e = rt_spawn(&a, &c);
    if (e) {
        kt_fail(__LINE__, "spawn: %s", rt_errname(e));
        return;
    }
    uint64_t got = K_OK(v_signal_wait(1ull << REVOKER_READY_BIT, 600ull * 1000000));
    K_EQ(got, 1ull << REVOKER_READY_BIT);

    /* TSC ticks per millisecond, against the kernel's clock while quiet */
    uint64_t c0 = K_OK(v_clock()), t0 = tsc();
    kt_sleep_ms(20);
    uint64_t per_ms = (tsc() - t0) * 1000 / (K_OK(v_clock()) - c0);
    K_TRUE(per_ms > 0);

    v_handle go = (v_handle)K_OK(v_signal_mint(c.task, 1ull << REVOKER_GO_BIT, V_SLOT_ANY));
    uint64_t start = tsc(), worst = 0, wakes = 0;
    K_OK(v_signal_raise(go, 1ull << REVOKER_GO_BIT));
    struct v_taskinfo info;
    for (;;) {
        K_OK(v_task_info(c.task, (uint64_t)&info));
        if (info.state == V_TASK_DEAD || info.state == V_TASK_FAULTED)
            break;
        K_OK(v_timer_set(WAKE_BIT, 1000));
        uint64_t w0 = tsc();
        K_EQ(K_OK(v_signal_wait(1ull << WAKE_BIT, 10ull * 1000000)), 1ull << WAKE_BIT);
        uint64_t gap = tsc() - w0;
        if (gap > worst)
            worst = gap;
        wakes++;
    }
    uint64_t took = tsc() - start;
    K_EQ(info.state, V_TASK_DEAD);
    K_EQ((uint64_t)info.exit_code, n > 0x7fffffff ? 0x7fffffff : n);
    printf("KTEST NOTE PRE0001 revoked %lu nodes in %lu us; %lu timer wakes of 1 ms, worst %lu us "
           "(deadline 2 000 us: one tick plus the tick in progress)\n",
           n, took * 1000 / per_ms, wakes, worst * 1000 / per_ms);
    if (kt_revoke_strict)
        K_TRUE(worst <= 3 * per_ms);        /* never more than 1 ms late */
    K_OK(v_cap_delete(go));
    K_OK(v_cap_delete(ready));
    K_EQ(rt_child_destroy(&c), 0);
}
