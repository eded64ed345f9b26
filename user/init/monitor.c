/*
 * monitor.c: behavioural profiles, readiness windows, and init's one timer.
 *
 * A capsule's signed intent profile says which syscall classes it uses,
 * how much memory it retypes at most (mem_max) and at what rates it does
 * things. The kernel keeps cheap per-Task counters (task_info: calls by
 * class, bytes retyped, signals raised, faults); every TICK_US, while a
 * capsule service with a profile runs, init reads them and compares:
 *   - a call in a class the profile does not declare (an empty list
 *     declares nothing and checks nothing);
 *   - more bytes retyped than mem_max (0: undeclared);
 *   - a rate: a token bucket per rule, holding `burst` and refilled at
 *     `per_sec`; a tick that takes more than the bucket holds is a
 *     deviation. Rates name a class, "syscalls", "signals" or "retyped";
 *     other words are shown as not measured.
 * A deviation quarantines the service: its Task is suspended at once,
 * the counters are kept, and its Reticle is destroyed, which revokes
 * every capability it held (connections, accept Ring copy, IRQ and port
 * grants) since all of them live in its table; the service is marked
 * quarantined with the reason, an event is logged, and only an operator
 * (capsule start, or rollback) runs it again. A version still in its
 * readiness window is rolled back instead.
 *
 * Readiness: after an upgrade, capsule.c gives the new instance
 * READY_US. If the capsule provides a service, init connects to it
 * through its accept Ring and sends one READY_PROBE request, a method no
 * interface defines; any reply (IPC_ERROR included) proves the instance
 * accepts connections and serves them. The probe's doorbell is among the
 * server's extra bits, so its answer is timed when it arrives.
 *
 * A Task has one timer: restarts (supervise.c), monitor ticks and
 * window ends share it through timer_arm(), which arms it for the
 * earliest of them on bit 62.
 */
#include <stdio.h>
#include <string.h>

#include "capsvc.h"

static uint64_t next_tick;

/* Has a profile to check (or a window to close). Services that are not
 * running count too, so the tick keeps going whoever starts them again. */
static bool watched(const struct service *s, const struct capsvc *cs)
{
    if (!cs->used || cs->cur < 0 || s->state == S_REFUSED)
        return false;
    const struct profile *p = &capsules[cs->cur].prof;
    return cs->probation || p->classes_declared || p->mem_max || p->nrates;
}

static uint64_t deadline(void)
{
    uint64_t d = 0;
    bool any = false;
    for (int i = 0; i < nsvc; i++) {
        if (!watched(&svcs[i], &capsvcs[i]))
            continue;
        any = true;
        if (capsvcs[i].probation && (!d || capsvcs[i].until < d))
            d = capsvcs[i].until;
    }
    if (!any) {
        next_tick = 0;
        return 0;
    }
    if (!next_tick)
        next_tick = now_us() + TICK_US;
    return !d || next_tick < d ? next_tick : d;
}

void timer_arm(uint64_t restart_at)
{
    uint64_t next = restart_at, m = deadline();
    if (m && (!next || m < next))
        next = m;
    if (!next)
        return;
    uint64_t t = now_us();
    v_timer_set(62, next > t ? next - t : 1);
}

void counters_line(const struct v_taskinfo *ti, char *buf, size_t n)
{
    size_t k = 0;
    for (int c = 0; c < V_NCLASSES; c++)
        k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "%s%s=%llu", c ? " " : "",
                              class_name(c), (unsigned long long)ti->syscalls[c]);
    snprintf(buf + k, k < n ? n - k : 0, "; retyped %llu; signals %llu; faults %llu",
             (unsigned long long)ti->retyped, (unsigned long long)ti->signals,
             (unsigned long long)ti->faults);
}

/* ---- the readiness probe --------------------------------------------------- */

void probe_start(struct service *s)
{
    struct capsvc *cs = &capsvcs[s - svcs];
    cs->probing = cs->answered = false;
    cs->ready_cycles = 0;
    memset(&cs->probe, 0, sizeof cs->probe);
    if (!capsule_manifest_count(&capsules[cs->cur].m, CAPSULE_PROVIDES))
        return;                 /* nothing to ask: staying alive is enough */
    cs->probing = true;         /* from here on, an answer is needed */
    v_handle client[2];
    if (ipc_introduce(init_memory, s->accept_tx, "init", client) != IPC_OK)
        return;
    if (ipc_attach(&cs->probe, client[0], client[1]) != IPC_OK) {
        ipc_detach(&cs->probe);
        return;
    }
    if (ipc_send(&cs->probe, READY_PROBE, 1, 0, 0, 0, 0, 0) != IPC_OK) {
        ipc_detach(&cs->probe);
        return;
    }
    ring_set_sleeping(&cs->probe.in, true);
    if (init_server)
        init_server->extra_bits |= ipc_bits(&cs->probe);
}

static void probe_poll(struct capsvc *cs)
{
    if (!cs->probing || cs->answered || !cs->probe.rx)
        return;
    static struct ipc_msg m;
    int st = ipc_try_recv(&cs->probe, &m);
    if (st == IPC_OK) {
        for (unsigned i = 0; i < m.ncaps; i++)
            v_cap_delete(m.caps[i]);
        if (m.hdr.kind & IPC_REPLY) {
            cs->answered = true;
            cs->ready_cycles = rdtsc() - cs->t0;
        }
    }
    if (!cs->answered)
        ring_set_sleeping(&cs->probe.in, true);
}

void probe_stop(struct capsvc *cs)
{
    if (cs->probe.tx || cs->probe.rx) {
        if (init_server)
            init_server->extra_bits &= ~ipc_bits(&cs->probe);
        ipc_detach(&cs->probe);
    }
    memset(&cs->probe, 0, sizeof cs->probe);
    cs->probing = false;
}

/* ---- profiles ---------------------------------------------------------------- */

static void quarantine(struct service *s, struct capsvc *cs, const char *why)
{
    v_task_suspend(s->child.task);      /* first: it does nothing more */
    struct v_taskinfo ti;
    if (!v_task_info(s->child.task, (uint64_t)&ti).err)
        counters_line(&ti, cs->counters, sizeof cs->counters);
    uint64_t task = s->task_id;
    rt_child_destroy(&s->child);        /* every capability it held goes with it */
    s->task_id = 0;
    s->restart_at = 0;
    s->state = S_QUARANTINED;
    snprintf(s->reason, sizeof s->reason, "%s", why);
    const struct capsule *c = &capsules[cs->cur];
    printf("init: quarantined service '%s' (capsule %s %s, task %llu): %s; suspended, its "
           "capabilities revoked\n", s->name, c->name, c->ver, (unsigned long long)task, why);
    event(s->name, "quarantined (%s): %.70s", c->ver, why);
}

static uint64_t counter(const struct v_taskinfo *ti, int k)
{
    if (k < V_NCLASSES)
        return ti->syscalls[k];
    if (k == CTR_SYSCALLS) {
        uint64_t n = 0;
        for (int c = 0; c < V_NCLASSES; c++)
            n += ti->syscalls[c];
        return n;
    }
    return k == CTR_SIGNALS ? ti->signals : ti->retyped;
}

/* A deviation, in why; false if the instance keeps to its profile. */
static bool deviates(struct service *s, struct capsvc *cs, uint64_t t, char *why, size_t n)
{
    struct v_taskinfo ti;
    if (v_task_info(s->child.task, (uint64_t)&ti).err || ti.state == V_TASK_DEAD ||
        ti.state == V_TASK_FAULTED)
        return false;           /* supervise.c deals with it */
    const struct profile *p = &capsules[cs->cur].prof;
    if (cs->mon_task != s->task_id) {   /* a new instance: fresh buckets */
        cs->mon_task = s->task_id;
        memset(cs->last, 0, sizeof cs->last);
        cs->mon_us = t - TICK_US;
        for (unsigned r = 0; r < p->nrates; r++)
            cs->tokens[r] = (int64_t)p->rate[r].burst * 1000000;
    }
    counters_line(&ti, cs->counters, sizeof cs->counters);
    why[0] = 0;
    for (int c = 0; p->classes_declared && c < V_NCLASSES && !why[0]; c++)
        if (ti.syscalls[c] && !(p->classes & (1u << c)))
            snprintf(why, n, "made %llu %s-class system calls, a class its profile lacks",
                     (unsigned long long)ti.syscalls[c], class_name(c));
    if (!why[0] && p->mem_max && ti.retyped > p->mem_max)
        snprintf(why, n, "retyped %llu bytes, above its mem_max of %llu",
                 (unsigned long long)ti.retyped, (unsigned long long)p->mem_max);
    uint64_t dt = t - cs->mon_us;
    for (unsigned r = 0; r < p->nrates; r++) {
        int k = p->rate[r].counter;
        if (k < 0)
            continue;
        uint64_t delta = counter(&ti, k) - cs->last[k];
        int64_t tok = cs->tokens[r] + (int64_t)((uint64_t)p->rate[r].per_sec * dt) -
                      (int64_t)(delta * 1000000);
        if (tok < 0 && !why[0])
            snprintf(why, n, "%llu %s in %llu ms, above its rate of %u/s (burst %u)",
                     (unsigned long long)delta, p->rate[r].what,
                     (unsigned long long)(dt / 1000), p->rate[r].per_sec, p->rate[r].burst);
        int64_t cap = (int64_t)p->rate[r].burst * 1000000;
        cs->tokens[r] = tok > cap ? cap : tok < 0 ? 0 : tok;
    }
    for (int k = 0; k < NCOUNTERS; k++)
        cs->last[k] = counter(&ti, k);
    cs->mon_us = t;
    return why[0] != 0;
}

void monitor_tick(void)
{
    uint64_t t = now_us();
    for (int i = 0; i < nsvc; i++) {
        struct service *s = &svcs[i];
        struct capsvc *cs = &capsvcs[i];
        if (!cs->used || !cs->probation)
            continue;
        probe_poll(cs);
        if (s->state != S_RUNNING)
            capsule_cancel(s, "was stopped in its readiness window");
        else if (s->task_id != cs->task)
            capsule_settle(s, false, "was restarted in its readiness window");
    }
    if (next_tick && t >= next_tick) {
        next_tick = t + TICK_US;
        for (int i = 0; i < nsvc; i++) {
            struct service *s = &svcs[i];
            struct capsvc *cs = &capsvcs[i];
            char why[96], msg[120];
            if (!watched(s, cs) || s->state != S_RUNNING || !deviates(s, cs, t, why, sizeof why))
                continue;
            if (cs->probation) {
                snprintf(msg, sizeof msg, "broke its intent profile: %s", why);
                capsule_settle(s, false, msg);
            } else {
                quarantine(s, cs, why);
            }
        }
    }
    for (int i = 0; i < nsvc; i++) {
        struct service *s = &svcs[i];
        struct capsvc *cs = &capsvcs[i];
        if (!cs->used || !cs->probation || t < cs->until)
            continue;
        if (cs->probing && !cs->answered)
            capsule_settle(s, false, "did not answer its readiness probe within 300 ms");
        else
            capsule_settle(s, true, 0);
    }
}
