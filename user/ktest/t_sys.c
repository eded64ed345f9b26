/* The system-call surface as a whole. */
#include "ktest.h"

KCASE(SYS0001, 1, "what if a Task makes a system call that does not exist?")
{
    K_ERR(v_syscall6(V_NSYSCALLS, 0, 0, 0, 0, 0, 0), V_ENOSYS);
    K_ERR(v_syscall6(1000, 0, 0, 0, 0, 0, 0), V_ENOSYS);
    K_ERR(v_syscall6(~0ull, 0, 0, 0, 0, 0, 0), V_ENOSYS);
    K_ERR(v_syscall6(1ull << 63, 0, 0, 0, 0, 0, 0), V_ENOSYS);
}

KCASE(SYS0002, 1, "what if a child makes 3000 system calls with random arguments? (x8 seeds)")
{
    for (uint64_t seed = 1; seed <= 8; seed++) {
        struct rt_child c;
        SPAWN(M_FUZZ, seed * 7919, 1, 0, 0, &c);
        struct v_taskinfo i;
        WAIT(&c, &i);
        if (i.state != V_TASK_DEAD && i.state != V_TASK_FAULTED) {
            kt_fail(__LINE__, "seed %llu: state %u", (unsigned long long)seed, i.state);
            return;
        }
        K_EQ(rt_child_destroy(&c), 0);
    }
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
