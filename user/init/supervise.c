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
#include <string.h>

#include "init.h"

#define LOOP_FAILURES 5
#define LOOP_WINDOW_US 10000000ull
#define BACKOFF_BASE_US 100000ull

struct service svcs[MAX_SVC];
int nsvc;

int svc_find(const char *name)
{
    for (int i = 0; i < nsvc; i++)
        if (!strcmp(svcs[i].name, name))
            return i;
    return -1;
}

const char *const svc_state_names[] = {"waiting", "running", "stopped", "exited",
                                       "failed", "refused", "quarantined"};

bool (*svc_ended_hook)(struct service *s, const char *fault, int64_t status);
void (*svc_started_hook)(struct service *s);
static bool booted;                 /* start_all is over: starts are restarts */
static struct deadline restart_at[MAX_SVC];

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

/* The Bundle items svc_spawn has room for: the accept Ring, one accept
 * Ring per other service that introduces into this one, and two ends per
 * grant; more (several introduce grants from one service) is refused. */
#define MAX_ITEMS (1 + (MAX_SVC - 1) + 2 * MAX_GRANTS)

struct items {
    struct rt_bundle_item item[MAX_ITEMS];
    char names[MAX_ITEMS][V_BUNDLE_NAME];
    unsigned n;
    char *why;
    size_t whylen;
};

/* Add the capability a copy or mint just made (made) to the Bundle being
 * built. False, with why set, if it could not be made or there is no
 * room (then it is deleted): a service starts with every grant its
 * manifest promised or not at all. */
static bool add_item(struct items *it, const char *name, struct v_ret made)
{
    if (made.err) {
        snprintf(it->why, it->whylen, "grant '%s': %s", name, rt_errname(made.err));
        return false;
    }
    if (it->n == MAX_ITEMS) {           /* more introducers than one per service */
        v_cap_delete((v_handle)made.val);
        snprintf(it->why, it->whylen, "grant '%s': more than %d Bundle items", name,
                 MAX_ITEMS);
        return false;
    }
    snprintf(it->names[it->n], V_BUNDLE_NAME, "%s", name);
    it->item[it->n] = (struct rt_bundle_item){it->names[it->n], (v_handle)made.val, true};
    it->n++;
    return true;
}

/* A new connection for s's service grant g: a fresh Ring pair whose
 * server ends go through the provider's accept Ring (init's own for
 * "init"), introduced under s's name; the client's ends come back in
 * client. At spawn for every grant, and again for reroot. */
int grant_connect(const struct service *s, const struct grant *g, v_handle client[2])
{
    v_handle accept = g->svc >= 0 ? svcs[g->svc].accept_tx : init_accept_tx;
    if (g->type != G_SERVICE || !accept)
        return IPC_CLOSED;
    return ipc_introduce(init_memory, accept, s->name, client);
}

/* Whose Supervisor connection c is. Only init holds the send end of its
 * accept Ring (an introduce grant into init is refused), so every
 * connection there is one init made in svc_spawn (grant_connect), and the
 * name it arrived with (c->peer, written by init, not by the client) is
 * the service's it was made for. A request still queued from an instance
 * since destroyed is judged against the same manifest entry. 0 if that
 * service is not running. */
struct service *svc_of_conn(const struct ipc_conn *c)
{
    int i = svc_find(c->peer);
    return i >= 0 && svcs[i].state == S_RUNNING ? &svcs[i] : 0;
}

/* s's grant of the naming root called name (a service grant whose name
 * ends in ':'), or 0 if its manifest entry has none. */
const struct grant *svc_root_grant(const struct service *s, const char *name)
{
    size_t n = strlen(name);
    if (n < 2 || name[n - 1] != ':')
        return 0;
    for (int k = 0; k < s->ngrants; k++)
        if (s->grants[k].type == G_SERVICE && !strcmp(s->grants[k].name, name))
            return &s->grants[k];
    return 0;
}

/* One grant's Bundle items. */
static bool add_grant(struct items *it, const struct service *s, const struct grant *g)
{
    v_handle client[2];
    char rxname[V_BUNDLE_NAME + 4];
    switch (g->type) {
    case G_SERVICE:
        if (grant_connect(s, g, client) != IPC_OK) {
            snprintf(it->why, it->whylen, "cannot connect '%s' to '%s'", g->name, g->source);
            return false;
        }
        snprintf(rxname, sizeof rxname, "%s.rx", g->name);
        if (!add_item(it, g->name, (struct v_ret){V_OK, client[0]})) {
            v_cap_delete(client[1]);
            return false;
        }
        return add_item(it, rxname, (struct v_ret){V_OK, client[1]});
    case G_INTRODUCE:
        /* this service's own accept Ring into the provider (a Ring has
         * one producer: init introduces through another) */
        return add_item(it, g->name, v_cap_copy((v_handle)g->a, V_SLOT_ANY));
    case G_IRQ:
        return add_item(it, g->name, v_cap_mint(rt_cap("irq"), V_SLOT_ANY,
                                                V_R_CONTROL | V_R_GRANT, 1ull << g->a));
    case G_IOPORT:
        return add_item(it, g->name, v_cap_mint(rt_cap("ioports"), V_SLOT_ANY,
                                                V_R_READ | V_R_WRITE | V_R_GRANT,
                                                g->a | g->b << 16));
    case G_CONSOLE:
        return add_item(it, g->name, v_cap_copy(rt_cap("debug"), V_SLOT_ANY));
    case G_MEMORY:
        return true;
    }
    return true;
}

int svc_spawn(const struct service *s, const void *elf, size_t len, struct rt_child *child,
              uint64_t *task_id, char *why, size_t n)
{
    static struct items it;
    it.n = 0;
    it.why = why;
    it.whylen = n;
    char rxname[V_BUNDLE_NAME + 4];
    if (!add_item(&it, "listen", v_cap_copy(s->accept_rx, V_SLOT_ANY)))
        goto fail;
    int self = (int)(s - svcs);
    for (int j = 0; j < nsvc; j++)
        for (int k = 0; k < svcs[j].ngrants; k++) {
            const struct grant *g = &svcs[j].grants[k];
            if (g->type == G_INTRODUCE && g->svc == self && g->b && svcs[j].state != S_REFUSED) {
                snprintf(rxname, sizeof rxname, "listen.%s", svcs[j].name);
                if (!add_item(&it, rxname, v_cap_copy((v_handle)g->b, V_SLOT_ANY)))
                    goto fail;
            }
        }
    for (int k = 0; k < s->ngrants; k++)
        if (!add_grant(&it, s, &s->grants[k]))
            goto fail;
    struct rt_spawn_args a = {
        .elf = elf, .elf_len = len, .name = s->name, .reticle = init_memory,
        .memory = s->memory, .prio = s->prio, .stack_pages = 16, .table_bits = 7,
        .fault_signal = init_fault_signal, .items = it.item, .nitems = it.n,
        .give_memory = true, .arg = s->arg,
    };
    *child = (struct rt_child){0};
    int e = rt_spawn(&a, child);
    if (e) {
        snprintf(why, n, "spawn failed: %s", rt_errname(e));
        goto fail;
    }
    struct v_taskinfo ti;
    v_task_info(child->task, (uint64_t)&ti);
    *task_id = ti.id;
    return 0;
fail:
    /* items not handed over are still ours */
    for (unsigned i = 0; i < it.n; i++)
        v_cap_delete(it.item[i].cap);
    return -1;
}

static void running(struct service *s)
{
    s->state = S_RUNNING;
    s->reason[0] = 0;
    deadline_cancel(&restart_at[s - svcs]);
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
        s->accept_rx = (v_handle)(r.val >> 32);
    }
    if (svc_spawn(s, s->elf, s->elf_len, &s->child, &s->task_id, s->reason, sizeof s->reason))
        goto fail;
    running(s);
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

void svc_adopt(struct service *s, const struct rt_child *child, uint64_t task_id)
{
    s->child = *child;
    s->task_id = task_id;
    v_task_resume(s->child.task);
    running(s);
}

void svc_end(struct service *s, enum svc_state st)
{
    if (s->child.reticle)
        rt_child_destroy(&s->child);
    s->task_id = 0;
    deadline_cancel(&restart_at[s - svcs]);
    s->state = st;
}

void svc_stop(struct service *s, const char *why)
{
    svc_end(s, S_STOPPED);
    event(s->name, "stopped (%s)", why);
}

/* A restart whose backoff has passed. */
static void restart_due(struct deadline *d)
{
    struct service *s = &svcs[d - restart_at];
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
    struct deadline *d = &restart_at[s - svcs];
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
    for (int i = 0; i < nsvc; i++)
        for (int k = 0; k < svcs[i].ngrants; k++) {
            struct grant *g = &svcs[i].grants[k];
            if (g->type != G_INTRODUCE || svcs[i].state == S_REFUSED)
                continue;
            struct v_ret r = v_retype(init_memory, V_TYPE_RING_SEND, IPC_RING_PARAM, V_SLOT_ANY);
            if (r.err)
                continue;
            g->a = (v_handle)r.val;
            g->b = (v_handle)(r.val >> 32);
        }
}

/* In dependency order: a service starts when everything it depends on has. */
void start_all(void)
{
    prepare_introductions();
    bool started[MAX_SVC] = {0};
    for (bool progress = true; progress;) {
        progress = false;
        for (int i = 0; i < nsvc; i++) {
            struct service *s = &svcs[i];
            if (started[i] || s->state != S_WAITING)
                continue;
            bool ready = true;
            for (int d = 0; d < s->ndeps; d++)
                if (!started[s->dep[d]])
                    ready = false;
            if (!ready)
                continue;
            started[i] = progress = true;
            if (svc_start(s) == 0)
                event(s->name, "started (task %llu)", (unsigned long long)s->task_id);
        }
    }
    for (int i = 0; i < nsvc; i++)
        if (svcs[i].state == S_WAITING && !started[i]) {
            svcs[i].state = S_FAILED;
            snprintf(svcs[i].reason, sizeof svcs[i].reason, "a dependency did not start");
            event(svcs[i].name, "not started: %s", svcs[i].reason);
        }
    booted = true;
}
