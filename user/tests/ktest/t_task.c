/* Tasks: lifecycle, faults, supervision, scheduling. */
#include "ktest.h"

KCASE(TSK0001, 0, "a child runs and its exit status reaches the supervisor")
{
    struct rt_child c;
    SPAWN(M_EXIT, 42, 1, 0, 0, &c);
    struct v_taskinfo i;
    WAIT(&c, &i);
    K_EQ(i.state, V_TASK_DEAD);
    K_EQ(i.exit_code, 42);
    K_TRUE(!strcmp(i.name, "kchild"));
    K_EQ(rt_child_destroy(&c), 0);
}

KCASE(TSK0002, 0, "the supervisor's fault bit is raised when its child exits")
{
    struct rt_child c;
    v_signal_wait(1ull << FAULT_BIT, 0);
    SPAWN(M_EXIT, 0, 1, 0, 0, &c);
    K_EQ(K_OK(v_signal_wait(1ull << FAULT_BIT, 2000000)), 1ull << FAULT_BIT);
    K_EQ(rt_child_destroy(&c), 0);
}

/* Every CPU exception a user Task can cause: halted, recorded, reported. */
/* alt: a second vector accepted where QEMU's TCG differs from the SDM
 * (a non-canonical stack access raises #GP rather than #SS; a user iretq
 * reads the kernel-only GDT and takes #PF before its #GP check). */
static const struct {
    unsigned fault;
    uint64_t vector, alt;
} faults[] = {
    {F_DE, 0, 0}, {F_BP, 3, 3}, {F_UD, 6, 6}, {F_HLT, 13, 13}, {F_CLI, 13, 13},
    {F_IN, 13, 13}, {F_WRMSR, 13, 13}, {F_CR3, 13, 13}, {F_LGDT, 13, 13}, {F_INT80, 13, 13},
    {F_NONCANON, 13, 13}, {F_SS, 12, 13}, {F_NULL, 14, 14}, {F_WRITE_CODE, 14, 14},
    {F_EXEC_DATA, 14, 14}, {F_READ_KERNEL, 14, 14}, {F_EXEC_KERNEL, 14, 14},
    {F_TRAPFLAG, 1, 1}, {F_MOVAPS, 13, 13}, {F_X87, 16, 16}, {F_IRET, 13, 14},
    {F_WRITE_BUNDLE, 14, 14}, {F_STACK, 14, 14}, {F_WRITE_RODATA, 14, 14},
};

static void fault_case(unsigned idx)
{
    struct rt_child c;
    SPAWN(M_FAULT, faults[idx].fault, 1, 0, 0, &c);
    struct v_taskinfo i;
    WAIT(&c, &i);
    if (i.state != V_TASK_FAULTED) {
        kt_fail(__LINE__, "state %u exit %lld, expected a fault", i.state, (long long)i.exit_code);
        rt_child_destroy(&c);
        return;
    }
    if (i.fault.vector != faults[idx].vector && i.fault.vector != faults[idx].alt) {
        kt_fail(__LINE__, "vector %llu, expected %llu", (unsigned long long)i.fault.vector,
                (unsigned long long)faults[idx].vector);
        rt_child_destroy(&c);
        return;
    }
    K_EQ(i.faults, 1);
    K_TRUE(i.fault.ip != 0);
    K_EQ(rt_child_destroy(&c), 0);
}

#define FAULT_CASE(ID, IDX, WHAT) \
    KCASE(ID, 1, WHAT) { fault_case(IDX); }
FAULT_CASE(TSK0101, 0, "what if a Task divides by zero? (#DE)")
FAULT_CASE(TSK0102, 1, "what if a Task executes int3? (#BP)")
FAULT_CASE(TSK0103, 2, "what if a Task executes ud2? (#UD)")
FAULT_CASE(TSK0104, 3, "what if a Task executes hlt? (#GP)")
FAULT_CASE(TSK0105, 4, "what if a Task executes cli? (#GP)")
FAULT_CASE(TSK0106, 5, "what if a Task reads an I/O port without a capability? (#GP)")
FAULT_CASE(TSK0107, 6, "what if a Task writes an MSR? (#GP)")
FAULT_CASE(TSK0108, 7, "what if a Task loads CR3? (#GP)")
FAULT_CASE(TSK0109, 8, "what if a Task loads the GDT? (#GP)")
FAULT_CASE(TSK0110, 9, "what if a Task uses int $0x80 (a kernel-only gate)? (#GP)")
FAULT_CASE(TSK0111, 10, "what if a Task reads a non-canonical address? (#GP)")
FAULT_CASE(TSK0112, 11, "what if a Task pushes onto a non-canonical stack? (#SS)")
FAULT_CASE(TSK0113, 12, "what if a Task reads address 0? (#PF)")
FAULT_CASE(TSK0114, 13, "what if a Task writes its own code? (#PF, W^X)")
FAULT_CASE(TSK0115, 14, "what if a Task jumps into its data? (#PF, NX)")
FAULT_CASE(TSK0116, 15, "what if a Task reads kernel memory? (#PF)")
FAULT_CASE(TSK0117, 16, "what if a Task jumps into the kernel? (#PF)")
FAULT_CASE(TSK0118, 17, "what if a Task single-steps itself with the trap flag? (#DB)")
FAULT_CASE(TSK0119, 18, "what if a Task loads SSE data from a misaligned address? (#GP)")
FAULT_CASE(TSK0120, 19, "what if a Task divides by zero with x87 exceptions unmasked? (#MF)")
FAULT_CASE(TSK0121, 20, "what if a Task irets to ring 0? (#GP)")
FAULT_CASE(TSK0122, 21, "what if a Task writes its read-only Bundle? (#PF)")
FAULT_CASE(TSK0123, 22, "what if a Task recurses past the end of its stack? (#PF)")
FAULT_CASE(TSK0124, 23, "what if a Task writes its read-only data? (#PF)")

KCASE(TSK0003, 0, "a faulted child is restarted by its supervisor and then runs to exit")
{
    struct rt_child c;
    SPAWN(M_FAULT, F_UD, 1, 0, 0, &c);
    struct v_taskinfo i;
    WAIT(&c, &i);
    K_EQ(i.state, V_TASK_FAULTED);
    /* same Task object, same memory; a different start argument */
    const uint8_t *elf = child_elf;
    uint64_t entry;
    memcpy(&entry, elf + 24, 8);
    K_OK(v_task_start(c.task, entry, V_STACK_TOP, M_EXIT | 7 << 8));
    WAIT(&c, &i);
    K_EQ(i.state, V_TASK_DEAD);
    K_EQ(i.exit_code, 7);
    K_EQ(i.faults, 1);
    K_EQ(rt_child_destroy(&c), 0);
}

KCASE(TSK0004, 0, "suspend stops a spinning child and resume lets it go on")
{
    v_handle shared = kt_frame();
    K_OK(v_as_map(AS, shared, SCRATCH_VA, V_R_READ | V_R_WRITE));
    volatile uint64_t *counter = (volatile uint64_t *)SCRATCH_VA;
    /* moved, not copied: a copy would be the child of ours and die with it */
    struct rt_bundle_item it = {"shared", 0, true};
    it.cap = (v_handle)K_OK(v_cap_copy(shared, V_SLOT_ANY));
    struct rt_child c;
    SPAWN(M_SPIN, 0, 1, &it, 1, &c);
    kt_sleep_ms(20);
    K_TRUE(*counter > 0);
    K_OK(v_task_suspend(c.task));
    struct v_taskinfo i;
    K_OK(v_task_info(c.task, (uint64_t)&i));
    K_EQ(i.state, V_TASK_SUSPENDED);
    uint64_t a = *counter;
    kt_sleep_ms(20);
    K_EQ(*counter, a);
    K_ERR(v_task_suspend(c.task), V_ESTATE);
    K_OK(v_task_resume(c.task));
    kt_sleep_ms(20);
    K_TRUE(*counter > a);
    K_ERR(v_task_resume(c.task), V_ESTATE);
    K_OK(v_task_kill(c.task));
    K_EQ(rt_child_destroy(&c), 0);
    K_OK(v_cap_delete(shared));
}

KCASE(TSK0005, 1, "what if a Task spins forever at the supervisor's own priority?")
{
    v_handle shared = kt_frame();
    /* moved, not copied: a copy would be the child of ours and die with it */
    struct rt_bundle_item it = {"shared", 0, true};
    it.cap = (v_handle)K_OK(v_cap_copy(shared, V_SLOT_ANY));
    struct rt_child c;
    struct v_taskinfo self;
    K_OK(v_task_info(SELF, (uint64_t)&self));
    SPAWN(M_SPIN, 0, self.prio, &it, 1, &c);
    uint64_t t0 = K_OK(v_clock());
    for (int i = 0; i < 5; i++)
        kt_sleep_ms(10);        /* we still get the CPU: round robin */
    uint64_t t1 = K_OK(v_clock());
    K_TRUE(t1 - t0 >= 50000);
    K_TRUE(t1 - t0 < 2000000);
    K_OK(v_task_kill(c.task));
    K_EQ(rt_child_destroy(&c), 0);
    K_OK(v_cap_delete(shared));
}

KCASE(TSK0006, 1, "what if a Task asks for a child above its own priority?")
{
    v_handle task = (v_handle)K_OK(v_retype(T, V_TYPE_TASK, 0, V_SLOT_ANY));
    v_handle tab = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 5, V_SLOT_ANY));
    v_handle as = (v_handle)K_OK(v_retype(T, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    K_ERR(v_task_config(task, tab, as, V_PRIO_MAX, 0, 0), V_ERANGE);
    K_ERR(v_task_config(task, tab, as, 1000, 0, 0), V_ERANGE);
    K_OK(v_task_config(task, tab, as, 1, 0, 0));
    K_OK(v_cap_delete(task));
    K_OK(v_cap_delete(as));
    K_OK(v_cap_delete(tab));
}

KCASE(TSK0007, 1, "what if a Task is configured twice, or started unconfigured?")
{
    v_handle task = (v_handle)K_OK(v_retype(T, V_TYPE_TASK, 0, V_SLOT_ANY));
    v_handle tab = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 5, V_SLOT_ANY));
    v_handle as = (v_handle)K_OK(v_retype(T, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    K_ERR(v_task_start(task, V_PROGRAM_BASE, V_STACK_TOP, 0), V_ESTATE);
    K_OK(v_task_config(task, tab, as, 1, 0, 0));
    K_ERR(v_task_config(task, tab, as, 1, 0, 0), V_ESTATE);
    K_OK(v_cap_delete(task));
    K_OK(v_cap_delete(as));
    K_OK(v_cap_delete(tab));
}

KCASE(TSK0008, 1, "what if task_config is handed objects of the wrong types, or a Bundle of two pages?")
{
    v_handle task = (v_handle)K_OK(v_retype(T, V_TYPE_TASK, 0, V_SLOT_ANY));
    v_handle tab = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 5, V_SLOT_ANY));
    v_handle as = (v_handle)K_OK(v_retype(T, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    v_handle f = kt_frame();
    K_ERR(v_task_config(tab, tab, as, 1, 0, 0), V_ETYPE);
    K_ERR(v_task_config(task, as, as, 1, 0, 0), V_ETYPE);
    K_ERR(v_task_config(task, tab, tab, 1, 0, 0), V_ETYPE);
    K_ERR(v_task_config(task, tab, as, 1, f, 0), V_ETYPE);
    K_ERR(v_task_config(task, tab, as, 1, 0, tab), V_ETYPE);
    K_ERR(v_task_config(SELF, TAB, AS, 1, 0, 0), V_ESTATE);
    v_handle big = (v_handle)K_OK(v_retype(T, V_TYPE_FRAME, 2, V_SLOT_ANY));
    K_ERR(v_task_config(task, tab, as, 1, 0, big), V_EINVAL);  /* a Bundle is one page */
    K_OK(v_cap_delete(big));
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(task));
    K_OK(v_cap_delete(as));
    K_OK(v_cap_delete(tab));
}

KCASE(TSK0009, 1, "what if a Task is started at a kernel or non-canonical address?")
{
    struct rt_child c;
    SPAWN(M_EXIT, 0, 1, 0, 0, &c);
    struct v_taskinfo i;
    WAIT(&c, &i);
    K_ERR(v_task_start(c.task, 0xffffffff80100000ull, V_STACK_TOP, 0), V_ERANGE);
    K_ERR(v_task_start(c.task, 0x8000000000000000ull, V_STACK_TOP, 0), V_ERANGE);
    K_ERR(v_task_start(c.task, 0, V_STACK_TOP, 0), V_ERANGE);
    K_ERR(v_task_start(c.task, V_PROGRAM_BASE, 0xffff800000000000ull, 0), V_ERANGE);
    K_EQ(rt_child_destroy(&c), 0);
}

KCASE(TSK0010, 0, "a Task that jumps to an unmapped start address faults cleanly")
{
    struct rt_child c;
    SPAWN(M_EXIT, 0, 1, 0, 0, &c);
    struct v_taskinfo i;
    WAIT(&c, &i);
    K_OK(v_task_start(c.task, 0x7000000000ull, V_STACK_TOP, 0));
    WAIT(&c, &i);
    K_EQ(i.state, V_TASK_FAULTED);
    K_EQ(i.fault.vector, 14);
    K_EQ(i.fault.addr, 0x7000000000ull);
    K_EQ(rt_child_destroy(&c), 0);
}

KCASE(TSK0011, 1, "what if a running Task is started again, or killed twice?")
{
    struct rt_child c;
    SPAWN(M_WAITFOREVER, 0, 1, 0, 0, &c);
    K_ERR(v_task_start(c.task, V_PROGRAM_BASE, V_STACK_TOP, 0), V_ESTATE);
    K_OK(v_task_kill(c.task));
    K_ERR(v_task_kill(c.task), V_ESTATE);
    struct v_taskinfo i;
    K_OK(v_task_info(c.task, (uint64_t)&i));
    K_EQ(i.state, V_TASK_DEAD);
    K_EQ(rt_child_destroy(&c), 0);
}

KCASE(TSK0012, 1, "what if task_info writes to a kernel, non-canonical or read-only address?")
{
    K_ERR(v_task_info(SELF, 0xffffffff80000000ull), V_EFAULT);
    K_ERR(v_task_info(SELF, 0x0000800000000000ull), V_EFAULT);
    K_ERR(v_task_info(SELF, (uint64_t)&kt_fail), V_EFAULT);
    K_ERR(v_task_info(SELF, V_USER_TOP - 16), V_EFAULT);
}

KCASE(TSK0013, 1, "what if task calls use a Task capability without the control right?")
{
    v_handle ro = (v_handle)K_OK(v_cap_mint(SELF, V_SLOT_ANY, V_R_READ, 0));
    K_ERR(v_task_suspend(ro), V_ERIGHTS);
    K_ERR(v_task_kill(ro), V_ERIGHTS);
    K_ERR(v_task_start(ro, V_PROGRAM_BASE, V_STACK_TOP, 0), V_ERIGHTS);
    K_ERR(v_signal_mint(ro, 1, V_SLOT_ANY), V_ERIGHTS);
    struct v_taskinfo i;
    K_OK(v_task_info(ro, (uint64_t)&i));
    K_OK(v_cap_delete(ro));
}

KCASE(TSK0014, 0, "deleting a running child's address space kills it cleanly")
{
    struct rt_child c;
    SPAWN(M_WAITFOREVER, 0, 1, 0, 0, &c);
    K_OK(v_cap_delete(c.aspace));
    struct v_taskinfo i;
    K_OK(v_task_info(c.task, (uint64_t)&i));
    K_EQ(i.state, V_TASK_DEAD);
    K_EQ(rt_child_destroy(&c), 0);
}

KCASE(TSK0015, 0, "deleting a running child's capability table kills it cleanly")
{
    struct rt_child c;
    SPAWN(M_WAITFOREVER, 0, 1, 0, 0, &c);
    K_OK(v_cap_delete(c.table));
    struct v_taskinfo i;
    K_OK(v_task_info(c.task, (uint64_t)&i));
    K_EQ(i.state, V_TASK_DEAD);
    K_EQ(rt_child_destroy(&c), 0);
}

KCASE(TSK0016, 0, "deleting a blocked child's Task capability destroys it and its signal caps go stale")
{
    struct rt_child c;
    SPAWN(M_WAITFOREVER, 0, 1, 0, 0, &c);
    v_handle s = (v_handle)K_OK(v_signal_mint(c.task, 1, V_SLOT_ANY));
    K_OK(v_cap_delete(c.task));
    K_ERR(v_signal_raise(s, 1), V_ESTALE);
    K_EQ(rt_child_destroy(&c), 0);
}

KCASE(TSK0017, 0, "task_info counts a child's system calls by class")
{
    struct rt_child c;
    v_handle f = kt_frame();
    struct rt_bundle_item all[2] = {{"debug", DEBUG, false}, {"shared", f, true}};
    struct rt_spawn_args a = {.elf = child_elf, .elf_len = child_len, .name = "counted",
                              .reticle = T, .memory = 256 * 1024, .prio = 1,
                              .fault_signal = SIGF, .arg = M_BUNDLE, .items = all, .nitems = 2};
    K_EQ(rt_spawn(&a, &c), 0);
    struct v_taskinfo i;
    WAIT(&c, &i);
    K_TRUE(i.syscalls[V_CLASS_CAP] >= 2);
    K_TRUE(i.syscalls[V_CLASS_MISC] >= 1);
    K_TRUE(i.syscalls[V_CLASS_TASK] >= 1);
    K_EQ(rt_child_destroy(&c), 0);
}

KCASE(TSK0018, 0, "a child at a lower priority runs only when the supervisor blocks")
{
    v_handle shared = kt_frame();
    K_OK(v_as_map(AS, shared, SCRATCH_VA, V_R_READ | V_R_WRITE));
    volatile uint64_t *counter = (volatile uint64_t *)SCRATCH_VA;
    /* moved, not copied: a copy would be the child of ours and die with it */
    struct rt_bundle_item it = {"shared", 0, true};
    it.cap = (v_handle)K_OK(v_cap_copy(shared, V_SLOT_ANY));
    struct rt_child c;
    SPAWN(M_SPIN, 0, 1, &it, 1, &c);
    uint64_t a = *counter;
    for (volatile int i = 0; i < 2000000; i++)
        ;
    K_EQ(*counter, a);           /* busy at higher priority: the child got nothing */
    kt_sleep_ms(5);
    K_TRUE(*counter > a);
    K_OK(v_task_kill(c.task));
    K_EQ(rt_child_destroy(&c), 0);
    K_OK(v_cap_delete(shared));
}

/* Regression (ABI review, finding 1): task_config on a Task that had lost
 * its table asserted in the kernel. */
KCASE(TSK0020, 1, "what if a configured Task loses its table and is configured again?")
{
    v_handle task = (v_handle)K_OK(v_retype(T, V_TYPE_TASK, 0, V_SLOT_ANY));
    v_handle tab = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 5, V_SLOT_ANY));
    v_handle as = (v_handle)K_OK(v_retype(T, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    K_OK(v_task_config(task, tab, as, 1, 0, 0));
    K_OK(v_cap_delete(tab));
    tab = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 5, V_SLOT_ANY));
    K_ERR(v_task_config(task, tab, as, 1, 0, 0), V_ESTATE);
    K_OK(v_cap_delete(task));
    K_OK(v_cap_delete(as));
    K_OK(v_cap_delete(tab));
}
