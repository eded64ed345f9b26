/*
 * supervise.c: starting services and watching them.
 *
 * Every child's fault or exit raises init's bit 63 (the child's fault
 * signal); init then looks at each running service's Task. What happens
 * next is the service's restart policy: never, on-failure (a fault or a
 * non-zero exit), always. Restarts back off exponentially (100 ms
 * doubling to 3.2 s); five failures within ten seconds is a crash loop,
 * and the service is marked failed and left stopped. Every exit, fault,
 * restart and refusal is an event (the shell's `events`, and the log).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "init.h"
#include "console.h"
#include "logc.h"

#define LOOP_FAILURES 5
#define LOOP_WINDOW_US 10000000ull
#define BACKOFF_BASE_US 100000ull

v_handle init_memory;
extern v_handle init_accept_tx, sigf;
struct event_rec events[MAX_EVENTS];
uint64_t nevents;

uint64_t now_us(void) { return v_clock().val; }

/* init logs its events through the log service once it runs, and again
 * after every restart of it (the old connection died with it). */
static bool log_connected;

void init_log_connect(void)
{
    int i = svc_find("log");
    v_handle client[2];
    if (i < 0 || svcs[i].state != S_RUNNING ||
        ipc_introduce(init_memory, svcs[i].accept_tx, "init", client) != IPC_OK)
        return;
    log_connected = rt_log_use(client[0], client[1]) == IPC_OK;
    /* what happened before the log existed (or while it restarted): the
     * service stamps records with their arrival, so each says when it
     * happened */
    for (uint64_t k = nevents > MAX_EVENTS ? nevents - MAX_EVENTS : 0; k < nevents; k++) {
        const struct event_rec *e = &events[k % MAX_EVENTS];
        rt_log(RT_LOG_INFO, "%s: %s [event at %llu.%06llu s]", e->service, e->text,
               (unsigned long long)(e->time / 1000000), (unsigned long long)(e->time % 1000000));
    }
}

/* Likewise init's own output goes to the console service ("serial") once
 * it runs: the kernel's console is for before that, and for panics. */
void init_console_connect(void)
{
    int i = svc_find("serial");
    v_handle client[2];
    if (i < 0 || svcs[i].state != S_RUNNING ||
        ipc_introduce(init_memory, svcs[i].accept_tx, "init", client) != IPC_OK)
        return;
    if (rt_console_use(client[0], client[1]) != 0)
        rt_set_output(0);       /* back to the kernel console */
}

static void reconnect(const struct service *s)
{
    if (!strcmp(s->name, "log"))
        init_log_connect();
    if (!strcmp(s->name, "serial"))
        init_console_connect();
}

void event(const char *service, const char *fmt, ...)
{
    struct event_rec *e = &events[nevents % MAX_EVENTS];
    e->seq = ++nevents;
    e->time = now_us();
    snprintf(e->service, sizeof e->service, "%s", service);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
    if (log_connected && strcmp(service, "log") &&
        rt_log(strstr(e->text, "fault") || strstr(e->text, "crash") ? RT_LOG_WARN : RT_LOG_INFO,
               "%s: %s", e->service, e->text) != 0)
        log_connected = false;
}

static const char *const fault_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
    "device not available", "double fault", "?", "invalid TSS", "segment not present",
    "stack fault", "general protection", "page fault", "?", "x87 error", "alignment check",
    "machine check", "SIMD error",
};

/* The Bundle items svc_start has room for: the accept Ring, one accept
 * Ring per other service that introduces into this one, and two ends per
 * grant; more (several introduce grants from one service) is refused. */
#define MAX_ITEMS (1 + (MAX_SVC - 1) + DEV_ITEMS * MAX_GRANTS)

/* Add the capability a copy or mint just made (made) to the Bundle being
 * built. False, with s->reason set, if it could not be made or there is no
 * room (then it is deleted): a service starts with every grant its
 * manifest promised or not at all. */
static bool add_item(struct service *s, struct rt_bundle_item *items, unsigned *n,
                     const char *name, struct v_ret made)
{
    static char names[MAX_ITEMS][V_BUNDLE_NAME];
    if (made.err) {
        snprintf(s->reason, sizeof s->reason, "grant '%s': %s", name, rt_errname(made.err));
        return false;
    }
    if (*n == MAX_ITEMS) {          /* more introducers than one per service */
        v_cap_delete((v_handle)made.val);
        snprintf(s->reason, sizeof s->reason, "grant '%s': more than %d Bundle items", name,
                 MAX_ITEMS);
        return false;
    }
    snprintf(names[*n], V_BUNDLE_NAME, "%s", name);
    items[*n] = (struct rt_bundle_item){names[*n], (v_handle)made.val, true};
    (*n)++;
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
 * connection there is one init made in svc_start (grant_connect), and the
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
    struct rt_bundle_item items[MAX_ITEMS];
    unsigned n = 0;
    char rxname[V_BUNDLE_NAME + 4];
    if (!add_item(s, items, &n, "listen", v_cap_copy(s->accept_rx, V_SLOT_ANY)))
        goto fail;
    int self = (int)(s - svcs);
    for (int j = 0; j < nsvc; j++)
        for (int k = 0; k < svcs[j].ngrants; k++) {
            const struct grant *g = &svcs[j].grants[k];
            if (g->type == G_INTRODUCE && g->svc == self && g->b && svcs[j].state != S_REFUSED) {
                snprintf(rxname, sizeof rxname, "listen.%s", svcs[j].name);
                if (!add_item(s, items, &n, rxname, v_cap_copy((v_handle)g->b, V_SLOT_ANY)))
                    goto fail;
            }
        }
    for (int k = 0; k < s->ngrants; k++) {
        struct grant *g = &s->grants[k];
        v_handle client[2];
        bool ok = true;
        switch (g->type) {
        case G_SERVICE: {
            if (grant_connect(s, g, client) != IPC_OK) {
                snprintf(s->reason, sizeof s->reason, "cannot connect '%s' to '%s'", g->name,
                         g->source);
                goto fail;
            }
            snprintf(rxname, sizeof rxname, "%s.rx", g->name);
            ok = add_item(s, items, &n, g->name, (struct v_ret){V_OK, client[0]});
            if (!ok)
                v_cap_delete(client[1]);
            else
                ok = add_item(s, items, &n, rxname, (struct v_ret){V_OK, client[1]});
            break;
        }
        case G_INTRODUCE:
            /* this service's own accept Ring into the provider (a Ring has
             * one producer: init introduces through another) */
            ok = add_item(s, items, &n, g->name, v_cap_copy((v_handle)g->a, V_SLOT_ANY));
            break;
        case G_IRQ:
            ok = add_item(s, items, &n, g->name,
                          v_cap_mint(rt_cap("irq"), V_SLOT_ANY, V_R_CONTROL | V_R_GRANT,
                                     1ull << g->a));
            break;
        case G_IOPORT:
            ok = add_item(s, items, &n, g->name,
                          v_cap_mint(rt_cap("ioports"), V_SLOT_ANY,
                                     V_R_READ | V_R_WRITE | V_R_GRANT, g->a | g->b << 16));
            break;
        case G_CONSOLE:
            ok = add_item(s, items, &n, g->name, v_cap_copy(rt_cap("debug"), V_SLOT_ANY));
            break;
        case G_MEMORY:
            break;
        case G_DEVICE:
        case G_PLATFORM: {
            struct dev_item di[DEV_ITEMS];
            unsigned nd;
            ok = device_grant(s, g, di, &nd);
            for (unsigned q = 0; q < nd; q++)
                if (!ok)
                    v_cap_delete(di[q].cap);
                else
                    ok = add_item(s, items, &n, di[q].name, (struct v_ret){V_OK, di[q].cap});
            break;
        }
        }
        if (!ok)
            goto fail;
    }
    struct rt_spawn_args a = {
        .elf = s->elf, .elf_len = s->elf_len, .name = s->name, .reticle = init_memory,
        .memory = s->memory, .prio = s->prio, .stack_pages = 16, .table_bits = 7,
        .fault_signal = sigf, .items = items, .nitems = n, .give_memory = true, .arg = s->arg,
    };
    int e = rt_spawn(&a, &s->child);
    if (e) {
        snprintf(s->reason, sizeof s->reason, "spawn failed: %s", rt_errname(e));
        goto fail;
    }
    struct v_taskinfo ti;
    v_task_info(s->child.task, (uint64_t)&ti);
    s->task_id = ti.id;
    s->state = S_RUNNING;
    s->reason[0] = 0;
    s->restart_at = 0;
    return 0;
fail:
    /* items not handed over are still ours */
    for (unsigned i = 0; i < n; i++)
        v_cap_delete(items[i].cap);
    s->state = S_FAILED;
    event(s->name, "could not start: %s", s->reason);
    printf("init: could not start '%s': %s\n", s->name, s->reason);
    return -1;
}

void svc_stop(struct service *s, const char *why)
{
    if (s->child.reticle)
        rt_child_destroy(&s->child);
    s->task_id = 0;
    s->restart_at = 0;
    s->state = S_STOPPED;
    event(s->name, "stopped (%s)", why);
}

static void schedule_restart(struct service *s, bool failure)
{
    uint64_t t = now_us();
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
        unsigned shift = recent > 5 ? 5 : recent - 1;
        s->restart_at = t + (BACKOFF_BASE_US << shift);
    } else {
        s->restart_at = t + BACKOFF_BASE_US;
    }
    s->state = S_WAITING;
}

/* A child raised our fault bit: find who, record, apply the policy. */
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
        if (capsule_ended(s, ti.state == V_TASK_FAULTED ? s->reason : 0, ti.exit_code))
            continue;   /* a new version in its readiness window: rolled back */
        if (s->policy == P_ALWAYS || (s->policy == P_ON_FAILURE && failure)) {
            schedule_restart(s, failure);
        } else {
            s->state = S_EXITED;
        }
    }
    supervise_timers();     /* arm the timer for any restart just scheduled */
}

/* Restarts whose backoff has passed; arms the timer for the next one. */
void supervise_reconnect(const struct service *s) { reconnect(s); }

void supervise_timers(void)
{
    uint64_t t = now_us(), next = 0;
    for (int i = 0; i < nsvc; i++) {
        struct service *s = &svcs[i];
        if (s->state != S_WAITING || !s->restart_at)
            continue;
        if (s->restart_at <= t) {
            s->restarts++;
            if (svc_start(s) == 0) {
                reconnect(s);
                event(s->name, "restarted (restart %u)", s->restarts);
                printf("init: restarted service '%s' (restart %u)\n", s->name, s->restarts);
            }
        } else if (!next || s->restart_at < next) {
            next = s->restart_at;
        }
    }
    timer_arm(next);    /* shared with the capsule monitor (monitor.c) */
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
}
