/* The system-call surface as a whole. */
#include "ktest.h"

KCASE(SYS0001, 1, "what if a Task makes a system call that does not exist?")
{
    K_ERR(v_syscall6(V_NSYSCALLS, 0, 0, 0, 0, 0, 0), V_ENOSYS);
    K_ERR(v_syscall6(1000, 0, 0, 0, 0, 0, 0), V_ENOSYS);
    K_ERR(v_syscall6(~0ull, 0, 0, 0, 0, 0, 0), V_ENOSYS);
    K_ERR(v_syscall6(1ull << 63, 0, 0, 0, 0, 0, 0), V_ENOSYS);
}

/* kt_fuzz_calls in all (100 000; "fuzz=N" on the command line for make
 * fuzz's 10^6), over 8 seeds, each child in a fresh Reticle; the suite's
 * harness then checks the test Reticle's bytes are exactly back, and the
 * last case still makes an ordinary request and reply. */
KCASE(SYS0002, 1, "what if children make 100 000 system calls with random arguments? (8 seeds)")
{
    uint64_t made = 0;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        struct rt_child c;
        /* a LabelCap of its own, so label_own and LabelCap minting are reached */
        v_handle lab = (v_handle)v_cap_mint(LABELS, V_SLOT_ANY, V_R_ALL, 0xff).val;
        struct rt_bundle_item it[1] = {{"labels", lab, true}};
        SPAWN(M_FUZZ, (seed * 7919 & 0xffffff) | (kt_fuzz_calls / 8) << 24, 1, it, 1, &c);
        struct v_taskinfo i;
        for (int w = 0; w < 100 && !kt_wait(&c, &i); w++)
            ;
        /* the fuzzer never touches its own frames, so it must end by itself */
        if (i.state != V_TASK_DEAD || i.exit_code != 0) {
            kt_fail(__LINE__, "seed %llu: state %u exit %ld fault vector %lu at %#lx",
                    (unsigned long long)seed, i.state, i.exit_code, i.fault.vector, i.fault.ip);
            rt_child_destroy(&c);
            return;
        }
        for (unsigned k = 0; k < V_NCLASSES; k++)
            made += i.syscalls[k];
        K_EQ(rt_child_destroy(&c), 0);
    }
    printf("KTEST NOTE SYS0002 %lu random calls asked, %lu reached a handler (the rest: numbers "
           "past the table)\n", kt_fuzz_calls / 8 * 8, made);
    K_TRUE(made >= kt_fuzz_calls / 8 * 8 * 8 / 10);
}

KCASE(SYS0003, 0, "a null system call (yield with nothing else to run) returns at once")
{
    for (int i = 0; i < 1000; i++)
        K_OK(v_yield());
}

KCASE(SYS0004, 1, "what if a user pointer straddles the end of user space?")
{
    K_ERR(v_cap_info(TAB, V_USER_TOP - 1), V_EFAULT);
    K_ERR(v_debug_write(DEBUG, V_USER_TOP - 2, 4), V_EFAULT);
    K_ERR(v_debug_write(DEBUG, ~0ull - 2, 8), V_EFAULT);
}

KCASE(SYS0005, 0, "a user pointer may be misaligned")
{
    uint8_t buf[sizeof(struct v_capinfo) + 3];
    K_OK(v_cap_info(TAB, (uint64_t)(buf + 3)));
}

KCASE(SYS0006, 0, "the root Task's Bundle lists its resources by name")
{
    K_TRUE(SELF && TAB && AS && DEBUG && IRQ && IOPORTS);
    K_TRUE(rt_cap("reticle0") != 0);
    struct v_capinfo i;
    K_OK(v_cap_info(rt_cap("reticle0"), (uint64_t)&i));
    K_EQ(i.type, V_TYPE_RETICLE);
    K_TRUE(i.size > 100ull << 20);
    K_EQ(rt_cap("nonsense"), 0);
}

/* What if every call that takes a capability is handed one of the wrong
 * type? Each must answer V_ETYPE (or another refusal), never succeed. */
KCASE(SYS0007, 1, "what if every system call is given a capability of the wrong type?")
{
    v_handle wrong = DEBUG;
    static const unsigned calls[] = {
        V_SYS_cap_grant, V_SYS_retype, V_SYS_task_config, V_SYS_task_start, V_SYS_task_suspend,
        V_SYS_task_resume, V_SYS_task_kill, V_SYS_task_info, V_SYS_as_map, V_SYS_as_unmap,
        V_SYS_signal_mint, V_SYS_signal_raise, V_SYS_signal_call, V_SYS_ring_bind,
        V_SYS_ring_notify, V_SYS_ring_send_cap, V_SYS_ring_recv_cap, V_SYS_bundle_add,
        V_SYS_irq_bind, V_SYS_irq_ack, V_SYS_io_in, V_SYS_io_out,
    };
    for (unsigned i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        struct v_ret r = v_syscall6(calls[i], wrong, SCRATCH_VA, 1, 1, 1, 1);
        if (r.err != V_ETYPE) {
            kt_fail(__LINE__, "call %u: got %s, expected V_ETYPE", calls[i], rt_errname(r.err));
            return;
        }
    }
    K_ERR(v_debug_write(SELF, SCRATCH_VA, 1), V_ETYPE);
}

KCASE(SYS0008, 0, "re-arming the one-shot timer replaces the earlier deadline")
{
    K_OK(v_timer_set(22, 500000));
    K_OK(v_timer_set(22, 3000));
    uint64_t t0 = K_OK(v_clock());
    K_EQ(K_OK(v_signal_wait(1ull << 22, 1000000)), 1ull << 22);
    K_TRUE(K_OK(v_clock()) - t0 < 400000);
    K_ERR(v_signal_wait(1ull << 22, 20000), V_ETIMEOUT);
}

/* Handles are 32 bits; a wider argument names no capability. Every call
 * decodes its handles through cap_lookup, which refuses high bits, so a
 * valid handle of the right type with a high bit set is V_EHANDLE in
 * every position, never the capability it would name when truncated. */
KCASE(SYS0009, 1, "what if a call is given a valid handle of the right type with high bits set?")
{
    v_handle task = (v_handle)K_OK(v_retype(T, V_TYPE_TASK, 0, V_SLOT_ANY));
    uint64_t ring = K_OK(v_retype(T, V_TYPE_RING_SEND, V_RING_PARAM(2, 6), V_SLOT_ANY));
    v_handle snd = (v_handle)ring, rcv = V_RING_RECV_END(ring);
    v_handle f = kt_frame();
    static const uint64_t hi[] = {1ull << 32, 1ull << 40, 1ull << 63};
    for (unsigned k = 0; k < 3; k++) {
        uint64_t H = hi[k];
        struct { unsigned sys; uint64_t a[6]; } c[] = {
            {V_SYS_debug_write, {DEBUG | H, SCRATCH_VA, 0}},
            {V_SYS_cap_info, {TAB | H, SCRATCH_VA}},
            {V_SYS_cap_copy, {TAB | H, V_SLOT_ANY}},
            {V_SYS_cap_mint, {TAB | H, V_SLOT_ANY, 1, 0}},
            {V_SYS_cap_move, {f | H, V_SLOT_ANY}},
            {V_SYS_cap_delete, {f | H}},
            {V_SYS_cap_revoke, {f | H}},
            {V_SYS_cap_grant, {TAB | H, f, V_SLOT_ANY, 0}},
            {V_SYS_cap_grant, {TAB, f | H, V_SLOT_ANY, 0}},
            {V_SYS_retype, {T | H, V_TYPE_FRAME, 0, V_SLOT_ANY}},
            {V_SYS_task_config, {task | H, TAB, AS, 0, 0, 0}},
            {V_SYS_task_config, {task, TAB | H, AS, 0, 0, 0}},
            {V_SYS_task_config, {task, TAB, AS | H, 0, 0, 0}},
            {V_SYS_task_config, {task, TAB, AS, 0, SIGF | H, 0}},
            {V_SYS_task_config, {task, TAB, AS, 0, 0, f | H}},
            {V_SYS_task_start, {task | H, 0x400000, 0x500000, 0}},
            {V_SYS_task_suspend, {task | H}},
            {V_SYS_task_resume, {task | H}},
            {V_SYS_task_kill, {task | H}},
            {V_SYS_task_info, {task | H, SCRATCH_VA}},
            {V_SYS_as_map, {AS | H, f, SCRATCH_VA, V_R_READ}},
            {V_SYS_as_map, {AS, f | H, SCRATCH_VA, V_R_READ}},
            {V_SYS_as_unmap, {f | H}},
            {V_SYS_signal_mint, {SELF | H, 1, V_SLOT_ANY}},
            {V_SYS_signal_raise, {SIGF | H, 1ull << FAULT_BIT}},
            {V_SYS_signal_call, {SIGF | H, 1ull << FAULT_BIT, 1, 0}},
            {V_SYS_ring_bind, {snd | H, SCRATCH_VA, 3}},
            {V_SYS_ring_notify, {snd | H}},
            {V_SYS_ring_send_cap, {snd | H, f, 0}},
            {V_SYS_ring_send_cap, {snd, f | H, 0}},
            {V_SYS_ring_recv_cap, {rcv | H, V_SLOT_ANY}},
            {V_SYS_bundle_add, {task | H, SCRATCH_VA, 1, f, 0}},
            {V_SYS_bundle_add, {task, SCRATCH_VA, 1, f | H, 0}},
            {V_SYS_irq_bind, {IRQ | H, 5, 40}},
            {V_SYS_irq_bind, {IRQ, V_IRQ_MSI_FIRST + 5, 40, f | H}},
            {V_SYS_irq_ack, {IRQ | H, 5}},
            {V_SYS_io_in, {IOPORTS | H, 0x80, 1}},
            {V_SYS_io_out, {IOPORTS | H, 0x80, 1, 0}},
            {V_SYS_frame_load, {T | H, 1, 0, SCRATCH_VA, 0, V_SLOT_ANY}},
        };
        for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++) {
            struct v_ret r = v_syscall6(c[i].sys, c[i].a[0], c[i].a[1], c[i].a[2], c[i].a[3],
                                        c[i].a[4], c[i].a[5]);
            if (r.err != V_EHANDLE) {
                kt_fail(__LINE__, "call %u (case %u, bit %u): got %s, expected V_EHANDLE",
                        c[i].sys, i, __builtin_ctzll(H), rt_errname(r.err));
                return;
            }
        }
    }
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(snd));
    K_OK(v_cap_delete(rcv));
    K_OK(v_cap_delete(task));
}
