/*
 * task.c: Task lifecycle and the task_* system calls. See task.h.
 *
 * States: INACTIVE --start--> RUNNABLE <--> BLOCKED (signal_wait)
 *                              |   fault -> FAULTED --start--> RUNNABLE
 *                              |   exit/kill -> DEAD  --start--> RUNNABLE
 * suspend/resume hold a RUNNABLE or BLOCKED Task off the run queue
 * without changing its state.
 */
#include "core/task.h"
#include "core/aspace.h"
#include "core/device.h"
#include "core/label.h"
#include "core/object.h"
#include "core/ring.h"
#include "core/sched.h"
#include "core/signal.h"
#include "core/syscall.h"

static uint64_t next_id = TASK_ROOT_ID;

void task_init(struct task *t, const char *name, uint8_t prio)
{
    t->id = next_id++;
    size_t i = 0;
    for (; name[i] && i + 1 < sizeof t->name; i++)
        t->name[i] = name[i];
    t->prio = prio;
    t->state = TASK_INACTIVE;
    t->wait_node.task = t;
    t->timer_node.task = t;
    t->timer_node.is_timer = 1;
    cap_place(&t->table, 4, CAP_IN_TASK);
    arch_fpu_init_image(t->fpu);
}

static bool configured(struct task *t)
{
    return !cap_empty(&t->table) && !cap_empty(&t->aspace);
}

/* Take t off every queue: it will not run until started again. */
static void stop(struct task *t)
{
    signal_cancel(t);
    sched_remove(t);
    t->suspended = 0;
}

static void notify_supervisor(struct task *t)
{
    if (!cap_empty(&t->faultsig))
        signal_deliver(t->faultsig.obj, t->faultsig.arg);
}

void task_fault(struct task *t, const struct v_fault *f)
{
    t->fault = *f;
    t->nfaults++;
    stop(t);
    t->state = TASK_FAULTED;
    if (!kopt_quiet || cap_empty(&t->faultsig))
        kprintf("fault: task %lu '%s' %s (vector %lu) error=%#lx rip=%#lx rsp=%#lx addr=%#lx\n",
                t->id, t->name, arch_fault_name(f->vector), f->vector, f->error, f->ip,
                f->sp, f->addr);
    if (cap_empty(&t->faultsig)) {
        arch_dump_regs(&t->regs);
        if (task_is_root(t)) {
            kprintf("kernel: the root task faulted; nothing left to supervise\n");
            kernel_halt(EXIT_FAIL);
        }
    }
    notify_supervisor(t);
}

static void finish(struct task *t, int64_t code)
{
    stop(t);
    t->state = TASK_DEAD;
    t->exit_code = code;
    if (task_is_root(t)) {
        /* the root's end is the system's end */
        kprintf("kernel: root task exited with status %ld\n", code);
        kernel_halt(code == 0 ? EXIT_PASS : EXIT_FAIL);
    }
}

/* One of t's own slots was revoked because its object went away. Losing
 * the table or address space leaves t unable to run: it is killed. */
void task_slot_gone(struct task *t, struct cap *slot)
{
    if ((slot == &t->table || slot == &t->aspace) && t->state != TASK_DEAD &&
        t->state != TASK_INACTIVE)
        finish(t, -1);
}

void task_destroy(struct task *t)
{
    finish(t, -1);
    sched_forget(t);
    cap_adopt_reap(t);      /* the deleter's call finishes what t's left */
    ring_unbind_task(t);
    irq_unbind_task(t);
    /* The embedded slots are copies (never originals) without children
     * of their own: emptying them queues nothing, and whoever is deleting
     * this Task drains. */
    struct cap *mine[] = {&t->table, &t->aspace, &t->faultsig, &t->bundle};
    for (unsigned i = 0; i < ARRAY_LEN(mine); i++)
        if (!cap_empty(mine[i]))
            cap_delete_leaf(mine[i]);
    t->state = TASK_DEAD;
}

static int lookup_task(struct task *self, uint64_t h, uint32_t rights, struct task **out)
{
    struct cap *c;
    int e = cap_lookup(task_table(self), h, V_TYPE_TASK, rights, &c);
    if (e)
        return e;
    /* controlling a Task (its registers, its state) is telling it things */
    if ((rights & V_R_CONTROL) && !task_flows(self, c->obj))
        return V_EFLOW;
    *out = c->obj;
    return V_OK;
}

/* task_config(task, table, aspace, prio, fault signal or 0, bundle frame or 0) */
struct v_ret sys_task_config(struct task *self, const struct sys_args *a)
{
    struct captable *tab = task_table(self);
    struct task *t;
    struct cap *tc, *ac, *fc = 0, *bc = 0;
    int e = lookup_task(self, a->a[0], V_R_CONTROL, &t);
    if (e || (e = cap_lookup(tab, a->a[1], V_TYPE_CAPTABLE, V_R_CONTROL, &tc)) ||
        (e = cap_lookup(tab, a->a[2], V_TYPE_ASPACE, V_R_CONTROL, &ac)))
        return sys_err(e);
    if (a->a[4] && (e = cap_lookup(tab, a->a[4], V_TYPE_SIGNAL, V_R_WRITE, &fc)))
        return sys_err(e);
    if (a->a[5] && (e = cap_lookup(tab, a->a[5], V_TYPE_FRAME, V_R_READ, &bc)))
        return sys_err(e);
    if (a->a[3] > self->prio)
        return sys_err(V_ERANGE);
    /* once only: a Task that lost part of its configuration is not
     * configured again (all four slots must be empty) */
    if (t->state != TASK_INACTIVE || !cap_empty(&t->table) || !cap_empty(&t->aspace) ||
        !cap_empty(&t->faultsig) || !cap_empty(&t->bundle))
        return sys_err(V_ESTATE);
    struct aspace *as = aspace_of(ac->obj);
    if (!label_flows(task_lw(self), as->lr) || (bc && !label_flows(label_of_frame(bc), as->lr)))
        return sys_err(V_EFLOW);
    struct map_plan plan;
    if (bc) {
        if ((bc->arg2 & FRAME_DEVICE) || frame_pages(bc) != 1)
            return sys_err(V_EINVAL);
        if ((e = aspace_can_map(as, V_BUNDLE_ADDR, 1, &plan)))
            return sys_err(e);
    }

    cap_insert(&t->table, tc, V_TYPE_CAPTABLE, tc->rights, tc->obj, 0, 0, 0);
    cap_insert(&t->aspace, ac, V_TYPE_ASPACE, ac->rights, ac->obj, 0, 0, 0);
    if (fc)
        cap_insert(&t->faultsig, fc, V_TYPE_SIGNAL, fc->rights, fc->obj, fc->arg, 0, 0);
    if (bc) {
        cap_insert(&t->bundle, bc, V_TYPE_FRAME, V_R_READ, bc->obj, 0, bc->arg2, 0);
        aspace_map(as, &plan, V_BUNDLE_ADDR, frame_phys(bc), 1, MAP_R);
        frame_set_mapped(&t->bundle, as, V_BUNDLE_ADDR);
        /* Only the header: entries are written whole as they are added,
         * and nothing reads past count. */
        struct v_bundle *b = arch_phys_to_virt(frame_phys(bc));
        b->magic = V_BUNDLE_MAGIC;
        b->count = 0;
        b->reserved = 0;
    }
    t->prio = (uint8_t)a->a[3];
    return sys_ok(0);
}

/* task_start(task, ip, sp, arg): run (or run again) from ip. */
struct v_ret sys_task_start(struct task *self, const struct sys_args *a)
{
    struct task *t;
    int e = lookup_task(self, a->a[0], V_R_CONTROL, &t);
    if (e)
        return sys_err(e);
    if (!configured(t))
        return sys_err(V_ESTATE);
    if (t->state == TASK_RUNNABLE || t->state == TASK_BLOCKED)
        return sys_err(V_ESTATE);
    if (a->a[1] < V_USER_BASE || a->a[1] >= V_USER_TOP || a->a[2] > V_USER_TOP)
        return sys_err(V_ERANGE);
    arch_regs_init_user(&t->regs, a->a[1], a->a[2], a->a[3]);
    t->reap_owed = 0;       /* its interrupted call will not be made again */
    arch_fpu_init_image(t->fpu);
    t->pending = 0;
    t->suspended = 0;
    sched_make_runnable(t);
    return sys_ok(0);
}

struct v_ret sys_task_suspend(struct task *self, const struct sys_args *a)
{
    struct task *t;
    int e = lookup_task(self, a->a[0], V_R_CONTROL, &t);
    if (e)
        return sys_err(e);
    if ((t->state != TASK_RUNNABLE && t->state != TASK_BLOCKED) || t->suspended)
        return sys_err(V_ESTATE);
    sched_remove(t);
    t->suspended = 1;
    return sys_ok(0);
}

struct v_ret sys_task_resume(struct task *self, const struct sys_args *a)
{
    struct task *t;
    int e = lookup_task(self, a->a[0], V_R_CONTROL, &t);
    if (e)
        return sys_err(e);
    if (!t->suspended)
        return sys_err(V_ESTATE);
    t->suspended = 0;
    if (t->state == TASK_RUNNABLE)
        sched_make_runnable(t);
    return sys_ok(0);
}

struct v_ret sys_task_kill(struct task *self, const struct sys_args *a)
{
    struct task *t;
    int e = lookup_task(self, a->a[0], V_R_CONTROL, &t);
    if (e)
        return sys_err(e);
    if (t->state == TASK_DEAD)
        return sys_err(V_ESTATE);
    finish(t, -1);
    return sys_ok(0);
}

struct v_ret sys_task_exit(struct task *self, const struct sys_args *a)
{
    finish(self, (int64_t)a->a[0]);
    notify_supervisor(self);
    return sys_ok(0);
}

/* task_info(task, struct v_taskinfo *) */
struct v_ret sys_task_info(struct task *self, const struct sys_args *a)
{
    struct task *t;
    int e = lookup_task(self, a->a[0], V_R_READ, &t);
    if (e)
        return sys_err(e);
    struct v_taskinfo info = {
        .id = t->id, .state = t->suspended ? V_TASK_SUSPENDED : t->state, .prio = t->prio,
        .exit_code = t->exit_code, .faults = t->nfaults, .fault = t->fault,
        .retyped = t->ctr_retyped, .signals = t->ctr_signals,
    };
    memcpy(info.syscalls, t->ctr_class, sizeof info.syscalls);
    memcpy(info.name, t->name, sizeof info.name);
    if (!cap_empty(&t->aspace)) {
        struct aspace *as = aspace_of(t->aspace.obj);
        info.label = as->label;
        info.own = as->lr & ~as->lw;
    }
    /* What the Task did is its data: a caller it may not flow to sees
     * only that it is, and in which state (docs/LABELS.md: covert). */
    if (!task_flows(t, self)) {
        info.exit_code = 0;
        info.faults = 0;
        info.retyped = info.signals = 0;
        memset(&info.fault, 0, sizeof info.fault);
        memset(info.syscalls, 0, sizeof info.syscalls);
    }
    if (arch_copy_to_user(a->a[1], &info, sizeof info))
        return sys_err(V_EFAULT);
    return sys_ok(0);
}
