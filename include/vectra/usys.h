/*
 * vectra/usys.h: user-side system call stubs, generated from V_SYSCALLS.
 * v_<name>(args...) returns struct v_ret {err, val}; rax:rdx carry it.
 */
#ifndef VECTRA_USYS_H
#define VECTRA_USYS_H

#include <vectra/abi.h>

static inline struct v_ret v_syscall6(uint64_t n, uint64_t a0, uint64_t a1, uint64_t a2,
                                      uint64_t a3, uint64_t a4, uint64_t a5)
{
    register uint64_t r10 __asm__("r10") = a3;
    register uint64_t r8 __asm__("r8") = a4;
    register uint64_t r9 __asm__("r9") = a5;
    uint64_t err, val;
    __asm__ volatile("syscall"
                     : "=a"(err), "=d"(val), "+D"(a0), "+S"(a1), "+r"(r10), "+r"(r8), "+r"(r9)
                     : "a"(n), "d"(a2)
                     : "rcx", "r11", "memory");
    return (struct v_ret){(int64_t)err, val};
}

#define V_PARAMS_0 void
#define V_PARAMS_1 uint64_t a0
#define V_PARAMS_2 uint64_t a0, uint64_t a1
#define V_PARAMS_3 uint64_t a0, uint64_t a1, uint64_t a2
#define V_PARAMS_4 uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3
#define V_PARAMS_5 uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4
#define V_PARAMS_6 uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5
#define V_ARGS_0 0, 0, 0, 0, 0, 0
#define V_ARGS_1 a0, 0, 0, 0, 0, 0
#define V_ARGS_2 a0, a1, 0, 0, 0, 0
#define V_ARGS_3 a0, a1, a2, 0, 0, 0
#define V_ARGS_4 a0, a1, a2, a3, 0, 0
#define V_ARGS_5 a0, a1, a2, a3, a4, 0
#define V_ARGS_6 a0, a1, a2, a3, a4, a5

#define V_X(num, name, nargs, cls)                                         \
    static inline struct v_ret v_##name(V_PARAMS_##nargs)               \
    {                                                                   \
        return v_syscall6(num, V_ARGS_##nargs);                         \
    }
V_SYSCALLS(V_X)
#undef V_X

#endif
