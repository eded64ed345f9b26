/* batch: many kernel calls in one trap. */
#include "ktest.h"

static struct v_batch_entry q[V_BATCH_MAX + 64] __attribute__((aligned(4096)));

static void entry(unsigned i, uint32_t no, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    q[i] = (struct v_batch_entry){.sysno = no, .err = 12345, .arg = {a0, a1, a2, a3}};
}

KCASE(BAT0001, 0, "a batch gives each call the same result as the direct call, in order")
{
    uint64_t f0 = kt_free(T);
    v_handle f = kt_frame();
    struct v_capinfo direct, batched;
    K_OK(v_cap_info(f, (uint64_t)&direct));
    entry(0, V_SYS_cap_info, f, (uint64_t)&batched, 0, 0);
    entry(1, V_SYS_cap_copy, f, V_SLOT_ANY, 0, 0);
    entry(2, V_SYS_cap_info, V_HANDLE(V_HANDLE_SLOT(f), V_HANDLE_GEN(f) + 1), 0, 0, 0);
    entry(3, V_SYS_retype, T, V_TYPE_FRAME, 0, V_SLOT_ANY);
    entry(4, V_NSYSCALLS, 0, 0, 0, 0);
    entry(5, V_SYS_batch, (uint64_t)q, 1, 0, 0);
    entry(6, V_SYS_clock, 0, 0, 0, 0);
    entry(7, V_SYS_yield, 0, 0, 0, 0);
    entry(8, V_SYS_as_map, AS, f, SCRATCH_VA, V_R_READ | V_R_EXEC | V_R_WRITE);
    K_EQ(K_OK(v_batch((uint64_t)q, 9)), 9);
    K_EQ(q[0].err, V_OK);
    K_EQ(q[0].val, V_TYPE_FRAME);
    K_TRUE(!memcmp(&direct, &batched, sizeof direct));
    K_EQ(q[1].err, V_OK);
    struct v_capinfo ci;
    K_OK(v_cap_info((v_handle)q[1].val, (uint64_t)&ci));     /* a real copy */
    K_EQ(ci.phys, direct.phys);
    K_EQ(q[2].err, V_ESTALE);
    K_EQ(q[3].err, V_OK);
    K_EQ(q[4].err, V_ENOSYS);
    K_EQ(q[5].err, V_EINVAL);                                /* no nesting */
    K_EQ(q[6].err, V_OK);
    K_TRUE(q[6].val > 0);
    K_EQ(q[7].err, V_OK);
    K_EQ(q[8].err, V_EWX);
    K_OK(v_cap_delete((v_handle)q[3].val));
    K_OK(v_cap_delete(f));
    K_EQ(kt_free(T), f0);
}

KCASE(BAT0002, 1, "what if a batch is given a bad array, a bad count, or an array that runs into unmapped memory?")
{
    K_EQ(K_OK(v_batch((uint64_t)q, 0)), 0);
    K_ERR(v_batch((uint64_t)q, V_BATCH_MAX + 1), V_ETOOBIG);
    K_ERR(v_batch((uint64_t)q, ~0ull), V_ETOOBIG);
    K_ERR(v_batch((uint64_t)q + 8, 1), V_EALIGN);
    K_ERR(v_batch(0, 1), V_EFAULT);
    K_ERR(v_batch(0xffffffff80000000ull, 1), V_EFAULT);
    K_ERR(v_batch(0x8000000000000000ull, 1), V_EFAULT);
    K_ERR(v_batch(SCRATCH_VA, 1), V_EFAULT);
    K_ERR(v_batch(V_USER_TOP - 64, 2), V_EFAULT);
    K_ERR(v_batch(V_BUNDLE_ADDR, 1), V_EFAULT);              /* read-only: results cannot go back */
    /* 64 entries in a mapped page, the next 64 in an unmapped one: the
     * first chunk runs and is counted, the second is refused */
    v_handle pg = kt_frame();
    K_OK(v_as_map(AS, pg, SCRATCH_VA, V_R_READ | V_R_WRITE));
    struct v_batch_entry *p = (struct v_batch_entry *)SCRATCH_VA;
    for (unsigned i = 0; i < 64; i++)
        p[i] = (struct v_batch_entry){.sysno = V_SYS_clock, .err = 12345};
    K_EQ(K_OK(v_batch(SCRATCH_VA, 128)), 64);
    for (unsigned i = 0; i < 64; i++)
        K_EQ(p[i].err, V_OK);
    /* garbage entries: every one answered, none crashes anything */
    uint64_t x = 0x243f6a8885a308d3ull;
    for (unsigned i = 0; i < 64; i++) {
        for (unsigned w = 0; w < 8; w++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            ((uint64_t *)&p[i])[w] = x;
        }
        p[i].sysno %= V_NSYSCALLS + 2;
        if (p[i].sysno == V_SYS_task_exit || p[i].sysno == V_SYS_task_kill ||
            p[i].sysno == V_SYS_task_suspend || p[i].sysno == V_SYS_signal_wait ||
            p[i].sysno == V_SYS_signal_call || p[i].sysno == V_SYS_cap_delete ||
            p[i].sysno == V_SYS_cap_revoke || p[i].sysno == V_SYS_as_unmap ||
            p[i].sysno == V_SYS_cap_move || p[i].sysno == V_SYS_cap_grant)
            p[i].sysno = V_SYS_yield;       /* the root's own: tested on their own */
        p[i].arg[0] |= 1ull << 40;          /* no live handle: refused, nothing changes */
    }
    uint64_t ran = K_OK(v_batch(SCRATCH_VA, 64));
    K_EQ(ran, 64);
    K_OK(v_as_unmap(pg));
    K_OK(v_cap_delete(pg));
}

KCASE(BAT0003, 0, "a call that blocks in a batch ends the batch there and its result arrives in its entry")
{
    entry(0, V_SYS_timer_set, 23, 3000, 0, 0);
    entry(1, V_SYS_signal_wait, 1ull << 23, 1000000, 0, 0);
    entry(2, V_SYS_clock, 0, 0, 0, 0);
    K_EQ(K_OK(v_batch((uint64_t)q, 3)), 2);
    K_EQ(q[0].err, V_OK);
    K_EQ(q[1].err, V_OK);
    K_EQ(q[1].val, 1ull << 23);                      /* written when the timer fired */
    K_EQ(q[2].err, 12345);                           /* not run */
    /* a timeout, too */
    entry(0, V_SYS_signal_wait, 1ull << 24, 2000, 0, 0);
    K_EQ(K_OK(v_batch((uint64_t)q, 1)), 1);
    K_EQ(q[0].err, V_ETIMEOUT);
    /* a bit already pending: no block, the batch goes on */
    v_handle me = (v_handle)K_OK(v_signal_mint(SELF, 1ull << 25, V_SLOT_ANY));
    K_OK(v_signal_raise(me, 1ull << 25));
    K_OK(v_cap_delete(me));
    entry(0, V_SYS_signal_wait, 1ull << 25, 0, 0, 0);
    entry(1, V_SYS_clock, 0, 0, 0, 0);
    K_EQ(K_OK(v_batch((uint64_t)q, 2)), 2);
    K_EQ(q[0].val, 1ull << 25);
    K_EQ(q[1].err, V_OK);
}

KCASE(BAT0004, 0, "a batch of 256 runs in four chunks and counts every call in the Task's counters")
{
    struct v_taskinfo a, b;
    K_OK(v_task_info(SELF, (uint64_t)&a));
    for (unsigned i = 0; i < V_BATCH_MAX; i++)
        entry(i, i % 2 ? V_SYS_clock : V_SYS_cap_info, TAB, 0, 0, 0);
    K_EQ(K_OK(v_batch((uint64_t)q, V_BATCH_MAX)), V_BATCH_MAX);
    K_OK(v_task_info(SELF, (uint64_t)&b));
    K_EQ(b.syscalls[V_CLASS_CAP] - a.syscalls[V_CLASS_CAP], V_BATCH_MAX / 2);
    for (unsigned i = 0; i < V_BATCH_MAX; i++)
        K_EQ(q[i].err, i % 2 ? V_OK : V_EFAULT);     /* cap_info to address 0 */
}
