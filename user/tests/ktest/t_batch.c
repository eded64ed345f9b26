/* batch: many kernel calls in one trap. */
#include "ktest.h"

static struct v_batch_call q[V_BATCH_MAX + 64];
static struct v_batch_result res[V_BATCH_MAX + 64] __attribute__((aligned(4096)));
#define RQ ((uint64_t)res)

static void entry(unsigned i, uint32_t no, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    q[i] = (struct v_batch_call){.sysno = no, .arg = {a0, a1, a2, a3}};
    res[i] = (struct v_batch_result){.err = 12345};
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
    entry(5, V_SYS_batch, (uint64_t)q, 1, RQ + 4096, 0);
    entry(6, V_SYS_clock, 0, 0, 0, 0);
    entry(7, V_SYS_yield, 0, 0, 0, 0);
    entry(8, V_SYS_as_map, AS, f, SCRATCH_VA, V_R_READ | V_R_EXEC | V_R_WRITE);
    K_EQ(K_OK(v_batch((uint64_t)q, 9, RQ)), 9);
    K_EQ(res[0].err, V_OK);
    K_EQ(res[0].val, V_TYPE_FRAME);
    K_TRUE(!memcmp(&direct, &batched, sizeof direct));
    K_EQ(res[1].err, V_OK);
    struct v_capinfo ci;
    K_OK(v_cap_info((v_handle)res[1].val, (uint64_t)&ci));     /* a real copy */
    K_EQ(ci.phys, direct.phys);
    K_EQ(res[2].err, V_ESTALE);
    K_EQ(res[3].err, V_OK);
    K_EQ(res[4].err, V_ENOSYS);
    K_EQ(res[5].err, V_EINVAL);                                /* no nesting */
    K_EQ(res[6].err, V_OK);
    K_TRUE(res[6].val > 0);
    K_EQ(res[7].err, V_OK);
    K_EQ(res[8].err, V_EWX);
    K_OK(v_cap_delete((v_handle)res[3].val));
    K_OK(v_cap_delete(f));
    K_EQ(kt_free(T), f0);
}

KCASE(BAT0002, 1, "what if a batch is given bad arrays, a bad count, or arrays that run into unmapped memory?")
{
    K_EQ(K_OK(v_batch((uint64_t)q, 0, RQ)), 0);
    K_ERR(v_batch((uint64_t)q, V_BATCH_MAX + 1, RQ), V_ETOOBIG);
    K_ERR(v_batch((uint64_t)q, ~0ull, RQ), V_ETOOBIG);
    K_ERR(v_batch((uint64_t)q + 4, 1, RQ), V_EALIGN);
    K_ERR(v_batch((uint64_t)q, 1, RQ + 8), V_EALIGN);
    static const uint64_t bad[] = {0, 0xffffffff80000000ull, 0x8000000000000000ull, SCRATCH_VA,
                                   V_USER_TOP - 16};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        entry(0, V_SYS_clock, 0, 0, 0, 0);
        K_ERR(v_batch(bad[i], 1, RQ), V_EFAULT);     /* calls unreadable */
        K_ERR(v_batch((uint64_t)q, 2, bad[i]), V_EFAULT);  /* results cannot go back */
        K_EQ(res[0].err, 12345);                         /* nothing ran */
    }
    K_ERR(v_batch((uint64_t)q, 1, V_BUNDLE_ADDR), V_EFAULT);   /* read-only */
    /* 32 results in a mapped page, the next 32 in an unmapped one: the
     * first chunk runs and is counted, the second is refused */
    v_handle pg = kt_frame();
    K_OK(v_as_map(AS, pg, SCRATCH_VA, V_R_READ | V_R_WRITE));
    uint64_t rend = SCRATCH_VA + 4096 - 32 * sizeof(struct v_batch_result);
    struct v_batch_result *r = (struct v_batch_result *)rend;
    for (unsigned i = 0; i < 64; i++)
        entry(i, V_SYS_clock, 0, 0, 0, 0);
    for (unsigned i = 0; i < 32; i++)
        r[i].err = 12345;
    K_EQ(K_OK(v_batch((uint64_t)q, 64, rend)), 32);
    for (unsigned i = 0; i < 32; i++)
        K_EQ(r[i].err, V_OK);
    /* garbage calls: every one answered, none crashes anything */
    uint64_t x = 0x243f6a8885a308d3ull;
    for (unsigned i = 0; i < 64; i++) {
        for (unsigned w = 0; w < 7; w++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            ((uint64_t *)&q[i])[w] = x;
        }
        q[i].sysno %= V_NSYSCALLS + 2;
        if (q[i].sysno == V_SYS_task_exit || q[i].sysno == V_SYS_task_kill ||
            q[i].sysno == V_SYS_task_suspend || q[i].sysno == V_SYS_signal_wait ||
            q[i].sysno == V_SYS_signal_call || q[i].sysno == V_SYS_ring_call ||
            q[i].sysno == V_SYS_cap_delete || q[i].sysno == V_SYS_cap_revoke ||
            q[i].sysno == V_SYS_as_unmap || q[i].sysno == V_SYS_cap_move ||
            q[i].sysno == V_SYS_cap_grant)
            q[i].sysno = V_SYS_yield;       /* the root's own: tested on their own */
        q[i].arg[0] |= 1ull << 40;          /* no live handle: refused, nothing changes */
    }
    K_EQ(K_OK(v_batch((uint64_t)q, 64, RQ)), 64);
    K_OK(v_as_unmap(pg));
    K_OK(v_cap_delete(pg));
}

KCASE(BAT0003, 0, "a call that blocks in a batch ends the batch there and its result arrives in its entry")
{
    entry(0, V_SYS_timer_set, 23, 3000, 0, 0);
    entry(1, V_SYS_signal_wait, 1ull << 23, 1000000, 0, 0);
    entry(2, V_SYS_clock, 0, 0, 0, 0);
    K_EQ(K_OK(v_batch((uint64_t)q, 3, RQ)), 2);
    K_EQ(res[0].err, V_OK);
    K_EQ(res[1].err, V_OK);
    K_EQ(res[1].val, 1ull << 23);                      /* written when the timer fired */
    K_EQ(res[2].err, 12345);                           /* not run */
    /* a timeout, too */
    entry(0, V_SYS_signal_wait, 1ull << 24, 2000, 0, 0);
    K_EQ(K_OK(v_batch((uint64_t)q, 1, RQ)), 1);
    K_EQ(res[0].err, V_ETIMEOUT);
    /* a bit already pending: no block, the batch goes on */
    v_handle me = (v_handle)K_OK(v_signal_mint(SELF, 1ull << 25, V_SLOT_ANY));
    K_OK(v_signal_raise(me, 1ull << 25));
    K_OK(v_cap_delete(me));
    entry(0, V_SYS_signal_wait, 1ull << 25, 0, 0, 0);
    entry(1, V_SYS_clock, 0, 0, 0, 0);
    K_EQ(K_OK(v_batch((uint64_t)q, 2, RQ)), 2);
    K_EQ(res[0].val, 1ull << 25);
    K_EQ(res[1].err, V_OK);
}

KCASE(BAT0004, 0, "a batch of 256 runs chunk by chunk and counts every call in the Task's counters")
{
    struct v_taskinfo a, b;
    K_OK(v_task_info(SELF, (uint64_t)&a));
    for (unsigned i = 0; i < V_BATCH_MAX; i++)
        entry(i, i % 2 ? V_SYS_clock : V_SYS_cap_info, TAB, 0, 0, 0);
    K_EQ(K_OK(v_batch((uint64_t)q, V_BATCH_MAX, RQ)), V_BATCH_MAX);
    K_OK(v_task_info(SELF, (uint64_t)&b));
    K_EQ(b.syscalls[V_CLASS_CAP] - a.syscalls[V_CLASS_CAP], V_BATCH_MAX / 2);
    for (unsigned i = 0; i < V_BATCH_MAX; i++)
        K_EQ(res[i].err, i % 2 ? V_OK : V_EFAULT);     /* cap_info to address 0 */
}
