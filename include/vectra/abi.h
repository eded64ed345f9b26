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
    X(V_EPENDING,      24, "batch result: the call blocked; its result comes when it ends") \
    X(V_EFLOW,         25, "information would flow to a lower label (docs/LABELS.md)")

/* ---- system calls: X(number, name, argument count) --------------------
 * Grouped by primitive; docs/ABI.md documents each one (arguments,
 * result, errors, capability needed). */
#define V_SYSCALLS(X)                                                    \
    /* misc */                                                           \
    X(0,  debug_write,   3, MISC  )   /* (debug, ptr, len) -> len            */   \
    X(1,  yield,         0, MISC  )   /* ()                                  */   \
    X(2,  clock,         0, MISC  )   /* () -> microseconds since boot       */   \
    /* Capability */                                                     \
    X(3,  cap_info,      2, CAP   )   /* (h, struct v_capinfo *)             */   \
    X(4,  cap_copy,      2, CAP   )   /* (h, dst) -> handle                  */   \
    X(5,  cap_mint,      4, CAP   )   /* (h, dst, rights, arg) -> handle     */   \
    X(6,  cap_move,      2, CAP   )   /* (h, dst) -> handle                  */   \
    X(7,  cap_delete,    1, CAP   )   /* (h)                                 */   \
    X(8,  cap_revoke,    1, CAP   )   /* (h)                                 */   \
    X(9,  cap_grant,     4, CAP   )   /* (table, h, dst, flags) -> handle    */   \
    /* Reticle */                                                        \
    X(10, retype,        4, MEM   )   /* (reticle, type, param, dst) -> handle(s) */ \
    /* Task */                                                           \
    X(11, task_config,   6, TASK  )   /* (task, table, aspace, prio, fault, bundle) */ \
    X(12, task_start,    4, TASK  )   /* (task, ip, sp, arg)                 */   \
    X(13, task_suspend,  1, TASK  )   /* (task)                              */   \
    X(14, task_resume,   1, TASK  )   /* (task)                              */   \
    X(15, task_kill,     1, TASK  )   /* (task)                              */   \
    X(16, task_exit,     1, TASK  )   /* (status)                            */   \
    X(17, task_info,     2, TASK  )   /* (task, struct v_taskinfo *)         */   \
    /* address spaces */                                                 \
    X(18, as_map,        4, MEM   )   /* (aspace, frame, vaddr, rights)      */   \
    X(19, as_unmap,      1, MEM   )   /* (frame)                             */   \
    /* Signal mask */                                                    \
    X(20, signal_mint,   3, SIGNAL)   /* (task, bits, dst) -> handle         */   \
    X(21, signal_raise,  2, SIGNAL)   /* (signal, bits)                      */   \
    X(22, signal_wait,   2, SIGNAL)   /* (mask, timeout_us) -> bits          */   \
    X(23, signal_call,   4, SIGNAL)   /* (signal, bits, mask, timeout_us) -> bits */ \
    X(24, timer_set,     2, SIGNAL)   /* (bit, delay_us)                     */   \
    /* Ring */                                                           \
    X(25, ring_bind,     3, RING  )   /* (end, vaddr, bit)                   */   \
    X(26, ring_notify,   1, RING  )   /* (end)                               */   \
    X(27, ring_send_cap, 3, RING  )   /* (send end, h, flags) -> queued      */   \
    X(28, ring_recv_cap, 2, RING  )   /* (recv end, dst) -> handle           */   \
    /* Bundle */                                                         \
    X(29, bundle_add,    5, TASK  )   /* (task, name, len, h, flags) -> child handle */ \
    /* devices */                                                        \
    X(30, irq_bind,      4, DEVICE)   /* (irq, line, bit, cfg)               */   \
    X(31, irq_ack,       2, DEVICE)   /* (irq, line)                         */   \
    X(32, io_in,         3, DEVICE)   /* (ioport, port, width) -> value      */   \
    X(33, io_out,        4, DEVICE)   /* (ioport, port, width, value)        */   \
    /* Reticle: a frame born with contents */                            \
    X(34, frame_load,    6, MEM   )   /* (reticle, pages, offset, src, len, dst) -> handle */ \
    /* many calls in one trap */                                         \
    X(35, batch,         3, MISC  )   /* (calls, n, results) -> calls completed */ \
    /* Ring: a doorbell and a wait in one */                             \
    X(36, ring_call,     3, RING  )   /* (end, mask, timeout_us) -> bits     */ \
    /* DMA spaces: what a device may reach */                            \
    X(37, dma_create,    3, DEVICE)   /* (reticle, cfg frame, dst) -> handle */   \
    X(38, dma_map,       4, DEVICE)   /* (dma, frame, iova, rights) -> device address */ \
    /* information-flow labels (docs/LABELS.md) */                       \
    X(39, label_set,     2, TASK  )   /* (aspace or fresh frame, label)      */   \
    X(40, label_own,     2, TASK  )   /* (aspace, label cap or 0)            */

/* ---- object (capability) types: X(name, value) ------------------------ */
#define V_TYPES(X)              \
    X(V_TYPE_NULL,      0)      \
    X(V_TYPE_RETICLE,   1)      \
    X(V_TYPE_TASK,      2)      \
    X(V_TYPE_CAPTABLE,  3)      \
    X(V_TYPE_ASPACE,    4)      \
    X(V_TYPE_FRAME,     5)      \
    X(V_TYPE_RING_SEND, 6)      \
    X(V_TYPE_RING_RECV, 7)      \
    X(V_TYPE_SIGNAL,    8)      \
    X(V_TYPE_IRQ,       9)      \
    X(V_TYPE_IOPORT,    10)     \
    X(V_TYPE_DEBUG,     11)     \
    X(V_TYPE_DMA,       12)     \
    X(V_TYPE_LABEL,     13)

/* ---- rights ------------------------------------------------------------ */
#define V_RIGHTS(X)                                                        \
    X(V_R_READ,    0x01, "read: map readable, task_info, io_in, receive")  \
    X(V_R_WRITE,   0x02, "write: map writable, io_out, debug_write, send") \
    X(V_R_EXEC,    0x04, "execute: map executable")                        \
    X(V_R_GRANT,   0x08, "grant: may be given to another Task")            \
    X(V_R_CONTROL, 0x10, "control: retype, configure, start, stop, IRQ bind")
#define V_R_ALL 0x1f

/* ---- flags, limits, parameters ---------------------------------------- */
#define V_MOVE            1u      /* cap_grant / ring_send_cap / bundle_add: move, not copy */
#define V_TIMEOUT_NEVER   (~0ull) /* signal_wait: no timeout */
#define V_PRIO_MAX        31
#define V_SLOT_ANY        0       /* dst: the lowest free slot */
#define V_CAPTABLE_MIN_BITS 5     /* retype(CAPTABLE, bits): 32 .. 4096 slots */
#define V_CAPTABLE_MAX_BITS 12
#define V_RING_MAX_SLOTS_LOG2 12
#define V_RING_SLOT_MIN_LOG2 6    /* ring slots are 64 .. 4096 bytes */
#define V_RING_SLOT_MAX_LOG2 12
#define V_RING_XQ         8       /* capabilities in flight per Ring */
#define V_SIGNAL_FAULT    63      /* conventional fault bit for supervisors */
#define V_MAX_ASPACES     1024    /* ASID table size: 1023 live address spaces at once */
/* Interrupt lines: 0..15 the legacy PIC's, then V_IRQ_MSI_COUNT message-
 * signalled lines; irq_bind of an MSI line returns the message to program:
 * data in the low 32 bits, address in the high 32 (upper address 0). */
#define V_IRQ_LEGACY_LINES 16
#define V_IRQ_MSI_FIRST   16
#define V_IRQ_MSI_COUNT   32
#define V_IRQ_LINES       (V_IRQ_MSI_FIRST + V_IRQ_MSI_COUNT)
/* retype(device Reticle, FRAME, V_FRAME_AT(off, pages)): the frame at a
 * page offset instead of the lowest free one. */
#define V_FRAME_AT_FLAG   (1ull << 63)
#define V_FRAME_AT(off, pages) (V_FRAME_AT_FLAG | (uint64_t)(off) << 20 | (uint64_t)(pages))
/* DMA spaces: at most V_MAX_DMA live at once; cap_info's arg is the PCI
 * source id (bus << 8 | device << 3 | function), with V_DMA_CONFINED
 * when an IOMMU confines the device to its mappings. */
#define V_MAX_DMA         64
#define V_DMA_CONFINED    (1ull << 16)
/* ... and V_DMA_CUT once the space was cut because the address space that
 * made it lost the ownership its labelled frames were mapped by, or its
 * write label rose (docs/LABELS.md): detached, dma_map V_EDISCONNECTED. */
#define V_DMA_CUT         (1ull << 17)

/* retype parameters: RETICLE bytes (page multiple); CAPTABLE log2(slots);
 * FRAME pages (0 or 1: one page; at most V_FRAME_MAX_PAGES);
 * RING log2(slots) | log2(slot bytes) << 8; others 0.
 * Object sizes: */
#define V_SIZE_TASK       2048
#define V_SIZE_CAPSLOT    64
#define V_SIZE_ASPACE     8192
#define V_SIZE_FRAME      4096    /* per page */
#define V_FRAME_MAX_PAGES 4096    /* 16 MiB: one frame, one contiguous run */
#define V_RETICLE_HEADER  1024    /* bytes a Reticle keeps for itself */

#ifndef __ASSEMBLY__

enum v_err {
#define V_X(name, val, text) name = val,
    V_ERRORS(V_X)
#undef V_X
    V_NERRORS
};

enum v_sysno {
#define V_X(num, name, nargs, cls) V_SYS_##name = num,
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

enum v_rights {
#define V_X(name, val, text) name = val,
    V_RIGHTS(V_X)
#undef V_X
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

/* The packed parameters, spelled once (docs/ABI.md):
 *   retype(RING_SEND, V_RING_PARAM(log2 slots, log2 slot bytes)) returns
 *   both ends, V_RING_SEND_END / V_RING_RECV_END of its value;
 *   an IOPORT capability's argument (cap_mint, cap_info) is
 *   V_IOPORTS(base, count). */
#define V_RING_PARAM(slots_log2, slot_log2) ((uint64_t)(slots_log2) | (uint64_t)(slot_log2) << 8)
#define V_RING_PARAM_SLOTS(p)  ((p) & 0xff)
#define V_RING_PARAM_SLOT(p)   (((p) >> 8) & 0xff)
#define V_RING_SEND_END(v)     ((v_handle)((v) & 0xffffffffu))
#define V_RING_RECV_END(v)     ((v_handle)((v) >> 32))
#define V_RING_ENDS(send, recv) ((uint64_t)(send) | (uint64_t)(recv) << 32)
#define V_IOPORTS(base, count) ((uint64_t)(base) | (uint64_t)(count) << 16)
#define V_IOPORTS_BASE(a)      ((a) & 0xffff)
#define V_IOPORTS_COUNT(a)     ((a) >> 16)

/* cap_info result. */
struct v_capinfo {
    uint32_t type, rights;
    uint64_t arg;                 /* SIGNAL bits, IRQ lines, IOPORT base | count<<16; RING slots | slot bytes<<32 */
    uint64_t size;                /* object bytes (RETICLE: whole size; RING: shared bytes) */
    uint64_t free;                /* RETICLE: bytes free; CAPTABLE: free slots;
                                     ASPACE: page-table pages in use; RING: free queue slots */
    uint64_t phys;                /* FRAME: physical address (for DMA); RETICLE: base */
    uint64_t mapped;              /* FRAME: mapped vaddr or 0; RETICLE: live objects */
    uint64_t label;               /* FRAME, ASPACE: secrecy label (docs/LABELS.md) */
    uint64_t own;                 /* ASPACE: categories it owns (its bound LabelCap) */
};

enum v_task_state {
    V_TASK_INACTIVE, V_TASK_RUNNABLE, V_TASK_BLOCKED, V_TASK_SUSPENDED,
    V_TASK_FAULTED, V_TASK_DEAD,
};

/* Syscall classes for the per-Task counters (behavioural profiles). */
#define V_CLASS_CAP 0
#define V_CLASS_MEM 1
#define V_CLASS_TASK 2
#define V_CLASS_SIGNAL 3
#define V_CLASS_RING 4
#define V_CLASS_DEVICE 5
#define V_CLASS_MISC 6
#define V_NCLASSES 7

/* What the kernel records when a Task faults (task_info reads it).
 * vector and error are the architecture's (x86_64: exception vector and
 * error code); addr is the faulting data address where there is one. */
struct v_fault {
    uint64_t vector, error, ip, sp, addr;
};

/* task_info result. */
struct v_taskinfo {
    uint64_t id;
    uint32_t state;               /* enum v_task_state */
    uint32_t prio;
    int64_t exit_code;            /* valid in V_TASK_DEAD */
    uint64_t faults;              /* faults since creation */
    struct v_fault fault;         /* the last fault */
    uint64_t syscalls[V_NCLASSES];/* calls by class */
    uint64_t retyped;             /* bytes retyped by this Task */
    uint64_t signals;             /* signals raised by this Task */
    char name[32];
    uint64_t label, own;          /* its address space's label and ownership; exit_code,
                                     fault and counters read as 0 when the Task's label
                                     may not flow to the caller (docs/LABELS.md) */
};

/* batch: a submission array of calls (read by the kernel) and a
 * completion array of results (written by it), as capOS's and io_uring's
 * rings: the caller fills sysno and arg; the kernel writes each call's
 * result into the completion entry of the same index (err V_EPENDING
 * while a call that blocked waits; its result is written there when the
 * wait ends). */
struct v_batch_call {
    uint64_t sysno;
    uint64_t arg[6];
};
struct v_batch_result {
    int64_t err;
    uint64_t val;
};
_Static_assert(sizeof(struct v_batch_call) == 56, "batch call layout");
_Static_assert(sizeof(struct v_batch_result) == 16, "batch result layout");
#define V_BATCH_MAX 256           /* calls in one batch */

/* The Bundle page, mapped read-only into a Task at V_BUNDLE_ADDR. */
#define V_BUNDLE_MAGIC 0x454c444e55425456ull   /* "VTBUNDLE" */
#define V_BUNDLE_NAME 24
struct v_bundle_entry {
    char name[V_BUNDLE_NAME];     /* NUL-padded */
    uint16_t type;
    uint16_t rights;              /* of the capability as granted (V_R_*) */
    v_handle handle;
};
struct v_bundle {
    uint64_t magic;
    uint32_t count, reserved;
    struct v_bundle_entry entry[127];
};
_Static_assert(sizeof(struct v_bundle) <= 4096, "bundle fits a page");

/* The shared control block at the start of a Ring's memory. Indices are
 * free-running; the producer owns tail, the consumer owns head. Each end
 * sets its "sleeping" word before waiting so the other knows to ring. */
struct v_ring_ctl {
    uint32_t slots, slot_size;    /* written by the kernel at retype */
    uint32_t closed;              /* set by the kernel when an end is gone */
    uint32_t pad0[13];
    uint32_t tail;                /* producer: next slot to fill */
    uint32_t prod_sleeping;
    uint32_t pad1[14];
    uint32_t head;                /* consumer: next slot to read */
    uint32_t cons_sleeping;
    uint32_t pad2[14];
};
#define V_RING_CTL_SIZE 192
_Static_assert(sizeof(struct v_ring_ctl) == V_RING_CTL_SIZE, "ring control block");

/* Boot information page for the root Task, at V_BOOTINFO_ADDR. */
struct v_bootmod {
    char name[48];
    uint64_t vaddr, size;
};
/* What the kernel learned from the firmware (ACPI), for the root's
 * device manager: each ECAM window is also the root's device Reticle
 * "ecam<i>", whose first page is bus start_bus's. */
#define V_PLATFORM_ACPI  1u       /* ACPI tables were read */
#define V_PLATFORM_IOMMU 2u       /* an IOMMU confines DMA (VT-d, translation on) */
#define V_PLATFORM_PCAT  4u       /* a pair of 8259s is present */
#define V_PLATFORM_INTREMAP 8u    /* ... and remaps interrupts: devices raise only MSI lines */
#define V_PLATFORM_IOAPIC 16u     /* the legacy lines come through an I/O APIC, the 8259s masked */
#define V_PLATFORM_TICKLESS 32u   /* a one-shot timer: no timer interrupts while idle */
struct v_ecam {
    uint64_t base;                /* physical address of start_bus's configuration space */
    uint16_t segment;
    uint8_t start_bus, end_bus;
    uint32_t reserved;
};
struct v_platform {
    uint32_t flags;               /* V_PLATFORM_* */
    uint32_t necam;
    struct v_ecam ecam[4];
};
struct v_bootinfo {
    uint64_t magic;               /* V_BUNDLE_MAGIC ^ 1 */
    uint32_t nmodules, reserved;
    uint64_t tsc_at_entry;        /* rdtsc at kernel entry */
    uint64_t tsc_at_root;         /* rdtsc just before the root Task ran */
    char cmdline[128];
    struct v_bootmod module[16];
    struct v_platform platform;
};

#endif /* __ASSEMBLY__ */

/* ---- user address-space layout ---------------------------------------- */
/* User addresses are [V_USER_BASE, V_USER_TOP). The top page below the
 * canonical hole is never mapped, so a `syscall` can never return to a
 * non-canonical address (the SYSRET erratum). */
#define V_USER_BASE      0x0000000000001000ull
#define V_USER_TOP       0x00007ffffffff000ull
#define V_STACK_TOP      0x00007fff00000000ull  /* root and default stacks end here */
#define V_BUNDLE_ADDR    0x0000000000200000ull  /* the Bundle page, read-only */
#define V_PROGRAM_BASE   0x0000000000400000ull  /* programs are linked from here up */
#define V_BOOTINFO_ADDR  0x0000000000201000ull  /* root only: struct v_bootinfo */
#define V_MODULES_ADDR   0x0000100000000000ull  /* root only: boot modules, read-only */
#define V_PAGE_SIZE      4096

#endif
