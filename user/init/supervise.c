/*
 * supervise.c: the lifecycle of services. This file owns the run-time
 * half of every struct service (init.h): nothing else changes a
 * service's state, instance or restart schedule but through the
 * functions here.
 *
 * Every child's fault or exit raises init's SIG_CHILD (the children's
 * fault signal); init then looks at each running service's Task. What
 * happens next is the service's restart policy: never, on-failure (a
 * fault or a non-zero exit), always, unless the `ended` hook takes the
 * end over (a new capsule version in its readiness window is rolled back
 * instead). Restarts back off exponentially (100 ms doubling to 3.2 s),
 * each a deadline; five failures within ten seconds is a crash loop, and
 * the service is marked failed and left stopped. Every exit, fault,
 * restart and refusal is an event.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"

#define LOOP_FAILURES 5
#define LOOP_WINDOW_US 10000000ull
#define BACKOFF_BASE_US 100000ull

bool (*svc_ended_hook)(struct service *s, const char *fault, int64_t status);
void (*svc_started_hook)(struct service *s);
static bool booted;                 /* start_all is over: starts are restarts */
static struct deadline *restart_at_tab;

/* One per service (svc_table), made at the first use, once the manifest
 * has said how many there are. */
static struct deadline *restart_at_all(void)
{
    if (!restart_at_tab)
        restart_at_tab = svc_table(sizeof *restart_at_tab);
    return restart_at_tab;
}

void svc_refuse(struct service *s, const char *fmt, ...)
{
    if (s->state == S_REFUSED)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->reason, sizeof s->reason, fmt, ap);
    va_end(ap);
    s->state = S_REFUSED;
    printf("init: refusing service '%s': %s\n", s->name, s->reason);
    event(s->name, "refused: %s", s->reason);
}

void svc_set_binary(struct service *s, const void *elf, size_t len)
{
    s->elf = elf;
    s->elf_len = len;
}

static const char *const fault_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
    "device not available", "double fault", "?", "invalid TSS", "segment not present",
    "stack fault", "general protection", "page fault", "?", "x87 error", "alignment check",
    "machine check", "SIMD error",
};


int svc_spawn(const struct service *s, const void *elf, size_t len, struct rt_child *child,
              uint64_t *task_id, char *why, size_t n)
{
    const struct rt_bundle_item *items;
    unsigned nitems;
    if (svc_bundle(s, &items, &nitems, why, n))
        return -1;
    struct rt_spawn_args a = {
        .elf = elf, .elf_len = len, .name = s->name, .reticle = init_memory,
        .memory = s->memory, .prio = s->prio, .stack_pages = 16, .table_bits = 7,
        .fault_signal = init_fault_signal, .items = items, .nitems = nitems,
        .give_memory = true, .arg = s->arg, .label = s->label,
    };
    *child = (struct rt_child){0};
    int e = rt_spawn(&a, child);
    if (e) {
        snprintf(why, n, "spawn failed: %s", rt_errname(e));
        for (unsigned i = 0; i < nitems; i++)    /* not handed over: still ours */
            v_cap_delete(items[i].cap);
        return -1;
    }
    struct v_taskinfo ti;
    v_task_info(child->task, (uint64_t)&ti);
    *task_id = ti.id;
    return 0;
}

static void running(struct service *s)
{
    s->state = S_RUNNING;
    s->reason[0] = 0;
    deadline_cancel(&restart_at_all()[s - svcs]);
}

void svc_announce(struct service *s)
{
    if (booted && svc_started_hook)
        svc_started_hook(s);
}

int svc_start(struct service *s)
{
    if (!s->accept_tx) {
        struct v_ret r = v_retype(init_memory, V_TYPE_RING_SEND, IPC_RING_PARAM, V_SLOT_ANY);
        if (r.err) {
            snprintf(s->reason, sizeof s->reason, "no memory for its accept Ring: %s",
                     rt_errname(r.err));
            return -1;
        }
        s->accept_tx = (v_handle)r.val;
        s->accept_rx = V_RING_RECV_END(r.val);
    }
    if (svc_spawn(s, s->elf, s->elf_len, &s->child, &s->task_id, s->reason, sizeof s->reason))
        goto fail;
    running(s);
    svc_announce(s);
    return 0;
fail:
    s->state = S_FAILED;
    event(s->name, "could not start: %s", s->reason);
    printf("init: could not start '%s': %s\n", s->name, s->reason);
    return -1;
}

int svc_start_fresh(struct service *s)
{
    s->nfail = 0;
    return svc_start(s);
}

int svc_restart(struct service *s)
{
    if (s->state == S_RUNNING)
        svc_stop(s, "restart");
    s->restarts++;
    return svc_start_fresh(s);
}

void svc_adopt(struct service *s, const struct rt_child *child, uint64_t task_id)
{
    s->child = *child;
    s->task_id = task_id;
    v_task_resume(s->child.task);
    running(s);
}

void svc_end(struct service *s, enum svc_state st, const char *why)
{
    if (why)
        snprintf(s->reason, sizeof s->reason, "%s", why);
    if (s->child.reticle)
        rt_child_destroy(&s->child);
    s->task_id = 0;
    deadline_cancel(&restart_at_all()[s - svcs]);
    s->state = st;
}

void svc_stop(struct service *s, const char *why)
{
    svc_end(s, S_STOPPED, 0);
    event(s->name, "stopped (%s)", why);
}

/* A restart whose backoff has passed. */
static void restart_due(struct deadline *d)
{
    struct service *s = &svcs[d - restart_at_all()];
    if (s->state != S_WAITING)
        return;
    s->restarts++;
    if (svc_start(s) == 0) {
        event(s->name, "restarted (restart %u)", s->restarts);
        printf("init: restarted service '%s' (restart %u)\n", s->name, s->restarts);
    }
}

static void schedule_restart(struct service *s, bool failure)
{
    uint64_t t = now_us(), delay = BACKOFF_BASE_US;
    if (failure) {
        s->failures[s->nfail++ % 8] = t;
        unsigned recent = 0;
        for (unsigned i = 0; i < 8 && i < s->nfail; i++)
            if (t - s->failures[i] < LOOP_WINDOW_US)
                recent++;
        if (recent >= LOOP_FAILURES) {
            s->state = S_FAILED;
            snprintf(s->reason, sizeof s->reason,
                     "crash loop: %u failures within 10 s; not restarting", recent);
            event(s->name, "%s", s->reason);
            printf("init: service '%s' is in a crash loop (%u failures in 10 s): stopped\n",
                   s->name, recent);
            return;
        }
        delay <<= recent > 5 ? 5 : recent - 1;
    }
    s->state = S_WAITING;
    struct deadline *d = &restart_at_all()[s - svcs];
    d->fire = restart_due;
    deadline_set(d, t + delay);
}

/* A child raised SIG_CHILD: find who, record, apply the policy. */
void supervise_check(void)
{
    for (int i = 0; i < nsvc; i++) {
        struct service *s = &svcs[i];
        if (s->state != S_RUNNING)
            continue;
        struct v_taskinfo ti;
        if (v_task_info(s->child.task, (uint64_t)&ti).err)
            continue;
        bool failure;
        if (ti.state == V_TASK_FAULTED) {
            failure = true;
            const char *what = ti.fault.vector < 32 && fault_names[ti.fault.vector]
                                   ? fault_names[ti.fault.vector] : "fault";
            snprintf(s->reason, sizeof s->reason, "%s at rip %#llx (address %#llx)", what,
                     (unsigned long long)ti.fault.ip, (unsigned long long)ti.fault.addr);
            event(s->name, "faulted: %s", s->reason);
            printf("init: service '%s' faulted: %s\n", s->name, s->reason);
        } else if (ti.state == V_TASK_DEAD) {
            failure = ti.exit_code != 0;
            s->last_exit = ti.exit_code;
            event(s->name, "exited with status %lld", (long long)ti.exit_code);
            printf("init: service '%s' exited with status %lld\n", s->name,
                   (long long)ti.exit_code);
        } else {
            continue;
        }
        rt_child_destroy(&s->child);
        s->task_id = 0;
        if (svc_ended_hook &&
            svc_ended_hook(s, ti.state == V_TASK_FAULTED ? s->reason : 0, ti.exit_code))
            continue;
        if (s->policy == P_ALWAYS || (s->policy == P_ON_FAILURE && failure))
            schedule_restart(s, failure);
        else
            s->state = S_EXITED;
    }
}

/* Each introduce grant gets an accept Ring of its own into its provider,
 * made before anything starts (the provider may start first). */
static void prepare_introductions(void)
{
    static bool done;           /* once: svc_start_early may have run it */
    if (done)
        return;
    done = true;
    for (int i = 0; i < nsvc; i++)
        for (int k = 0; k < svcs[i].ngrants; k++) {
            struct grant *g = &svcs[i].grants[k];
            if (g->type != G_INTRODUCE || svcs[i].state == S_REFUSED)
                continue;
            struct v_ret r = v_retype(init_memory, V_TYPE_RING_SEND, IPC_RING_PARAM, V_SLOT_ANY);
            if (r.err)
                continue;
            g->a = (v_handle)r.val;
            g->b = V_RING_RECV_END(r.val);
        }
}

/* Service i and, first, everything it depends on, before start_all (which
 * then counts them as started): for what init needs before it binds the
 * capsule services (the install policy's memory in the store, policy.c).
 * Only services of boot modules: one that runs a capsule, or is refused,
 * fails the whole start. 0 when i runs. */
int svc_start_early(int i)
{
    static int depth;
    struct service *s = &svcs[i];
    if (s->state == S_RUNNING)
        return 0;
    if (s->state != S_WAITING || s->ref.used || !s->elf || depth > nsvc)
        return -1;
    prepare_introductions();
    depth++;
    int e = 0;
    for (int d = 0; d < s->ndeps && !e; d++)
        e = svc_start_early(s->dep[d]);
    depth--;
    if (e || svc_start(s) != 0)
        return -1;
    event(s->name, "started (task %llu)", (unsigned long long)s->task_id);
    return 0;
}

/* In dependency order: a service starts when everything it depends on
 * has. The order is the one repeated passes over the manifest would give
 * (pass p starts, in manifest order, every waiting service whose
 * dependencies started in an earlier pass or earlier in this one), found
 * in one walk of svc_order instead: service i's pass is the largest, over
 * its dependencies d, of d's pass (d before i in the manifest) or d's
 * pass + 1 (d after i); then a counting sort by pass, stable in manifest
 * order. Linear in services and dependencies. */
void start_all(void)
{
    prepare_introductions();
    bool *started = svc_table(sizeof *started);
    int *pass = svc_table(sizeof *pass);        /* 0: never starts */
    int *count = calloc((size_t)nsvc + 2, sizeof *count);
    int *order = svc_table(sizeof *order);
    if (!count)
        rt_die("init: no memory to order %d services", nsvc);
    for (int k = 0; k < norder; k++) {
        int i = svc_order[k], p = 1;
        if (svcs[i].state == S_RUNNING) {
            /* started early (svc_start_early): as if in the first pass,
             * but not started again */
            pass[i] = 1;
            started[i] = true;
            continue;
        }
        if (svcs[i].state != S_WAITING)
            continue;
        for (int d = 0; d < svcs[i].ndeps && p; d++) {
            int j = svcs[i].dep[d];
            int pj = pass[j] ? pass[j] + (j > i) : 0;
            p = pj ? (pj > p ? pj : p) : 0;
        }
        pass[i] = p;
        if (p)
            count[p + 1]++;     /* one that never starts takes no place in order[] */
    }
    for (int p = 1; p <= nsvc; p++)
        count[p + 1] += count[p];
    int nstart = count[nsvc + 1];
    for (int i = 0; i < nsvc; i++)
        if (pass[i] && !started[i])
            order[count[pass[i]]++] = i;
    for (int k = 0; k < nstart; k++) {
        struct service *s = &svcs[order[k]];
        started[order[k]] = true;
        if (s->policy == P_TOOL)
            s->state = S_STOPPED;       /* the shell runs it (Supervisor.run) */
        else if (svc_start(s) == 0)
            event(s->name, "started (task %llu)", (unsigned long long)s->task_id);
    }
    free(order);
    free(count);
    free(pass);
    for (int i = 0; i < nsvc; i++)
        if (svcs[i].state == S_WAITING && !started[i]) {
            svcs[i].state = S_FAILED;
            snprintf(svcs[i].reason, sizeof svcs[i].reason, "a dependency did not start");
            event(svcs[i].name, "not started: %s", svcs[i].reason);
        }
    free(started);
    booted = true;
}
