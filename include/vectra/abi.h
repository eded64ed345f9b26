/*
 * vectra/abi.h: the one source of Vectra's kernel ABI.
 *
 * Kernel, user runtime, host tools and docs/ABI.md's check all read this
 * file. System call numbers, error codes, object types and rights are each
 * one X-macro list; everything else (dispatch table, user stubs, name
 * tables, the doc check) is generated from them, so they cannot drift.
 *
 * Calling convention (x86_64): `syscall` with the number in rax and up to
 * six arguments in rdi, rsi, rdx, r10, r8, r9. The kernel returns an error
 * code in rax (V_OK = 0) and one result word in rdx; every other register
 * except rcx and r11 (clobbered by the instruction) is preserved. A user
 * stub returns struct v_ret, which the SysV ABI returns in rax:rdx, so the
 * stub is just the instruction.
 */
#ifndef VECTRA_ABI_H
#define VECTRA_ABI_H

#ifndef __ASSEMBLY__
#include <stdint.h>
#endif

/* ---- errors: X(name, value, meaning) ---------------------------------- */
#define V_ERRORS(X)                                                              \
    X(V_OK,            0,  "success")                                            \
    X(V_ENOSYS,        1,  "no such system call")                                \
    X(V_EHANDLE,       2,  "handle names no capability (empty or out of range)") \
    X(V_ESTALE,        3,  "handle's generation is stale: the slot was reused")  \
    X(V_ETYPE,         4,  "capability has the wrong type for this call")        \
    X(V_ERIGHTS,       5,  "capability lacks a right this call needs")           \
    X(V_EINVAL,        6,  "an argument value is invalid")                       \
    X(V_EFAULT,        7,  "a user pointer is unmapped, kernel, or non-canonical") \
    X(V_ENOMEM,        8,  "the Reticle has too little free memory")             \
    X(V_EOCCUPIED,     9,  "destination slot is occupied")                       \
    X(V_EFULL,         10, "table or queue is full")                             \
    X(V_EEMPTY,        11, "queue is empty")                                     \
    X(V_EALIGN,        12, "address or size is misaligned")                      \
    X(V_ERANGE,        13, "address or index is outside the allowed range")      \
    X(V_EEXIST,        14, "something is already mapped or bound there")         \
    X(V_ENOTMAPPED,    15, "nothing is mapped there")                            \
    X(V_ESTATE,        16, "the object is in the wrong state for this call")     \
    X(V_ETIMEOUT,      17, "the wait timed out")                                 \
    X(V_EDISCONNECTED, 18, "the other end of the Ring is gone")                  \
    X(V_EWIDEN,        19, "rights or signal bits may only narrow")              \
    X(V_EBUSY,         20, "the object is in use")                               \
    X(V_ENOTFOUND,     21, "no such entry")                                      \
    X(V_ETOOBIG,       22, "size exceeds a limit")                               \
    X(V_EWX,           23, "a mapping may not be both writable and executable")  \
    X(V_EDEADLOCK,     24, "the call would wait for itself")

/* ---- system calls: X(number, name, argument count) --------------------
 * Grouped by primitive; docs/ABI.md documents each one.                  */
#define V_SYSCALLS(X)                         \
    X(0,  debug_write,     3)                 \
    X(1,  yield,           0)                 \
    X(2,  task_exit,       1)

/* ---- object (capability) types: X(name, value) ------------------------ */
#define V_TYPES(X)          \
    X(V_TYPE_NULL,     0)   \
    X(V_TYPE_DEBUG,    1)

#ifndef __ASSEMBLY__

enum v_err {
#define V_X(name, val, text) name = val,
    V_ERRORS(V_X)
#undef V_X
    V_NERRORS
};

enum v_sysno {
#define V_X(num, name, nargs) V_SYS_##name = num,
    V_SYSCALLS(V_X)
#undef V_X
    V_NSYSCALLS
};

enum v_type {
#define V_X(name, val) name = val,
    V_TYPES(V_X)
#undef V_X
    V_NTYPES
};

/* Result of every system call: rax:rdx. */
struct v_ret {
    int64_t err;
    uint64_t val;
};

/* A capability handle: slot index in the low 16 bits, the slot's
 * generation above it. Handle 0 never names a capability. */
typedef uint32_t v_handle;
#define V_HANDLE_SLOT(h) ((h) & 0xffffu)
#define V_HANDLE_GEN(h)  ((h) >> 16)
#define V_HANDLE(slot, gen) ((v_handle)(((uint32_t)(gen) << 16) | (slot)))

/* What the kernel records when a Task faults (task_info reads it).
 * vector and error are the architecture's (x86_64: exception vector and
 * error code); addr is the faulting data address where there is one. */
struct v_fault {
    uint64_t vector, error, ip, sp, addr;
};

#endif /* __ASSEMBLY__ */

/* ---- user address-space layout ---------------------------------------- */
/* User addresses are [V_USER_BASE, V_USER_TOP). The top page below the
 * canonical hole is never mapped, so a `syscall` can never return to a
 * non-canonical address (the SYSRET erratum). */
#define V_USER_BASE      0x0000000000001000ull
#define V_USER_TOP       0x00007ffffffff000ull
#define V_STACK_TOP      0x00007fff00000000ull  /* root and default stacks end here */
#define V_PAGE_SIZE      4096

#endif
