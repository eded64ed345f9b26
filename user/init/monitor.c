/*
 * monitor.c: behavioural profiles.
 *
 * A capsule's signed intent profile says which syscall classes it uses,
 * how much memory it retypes at most (mem_max) and at what rates it does
 * things. The kernel keeps cheap per-Task counters (task_info: calls by
 * class, bytes retyped, signals raised, faults); every TICK_US (a
 * deadline), while a capsule service with a profile exists, init reads
 * them and compares:
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
 * readiness window is rolled back instead, by the hook upgrade.c sets.
 *
 * Owns: watch_all()[] (each service's buckets and last counters) and the tick.
 */
#include <stdio.h>
#include <string.h>

#include "capsvc.h"

bool (*monitor_window_deviation)(struct service *s, const char *why);

static struct {
    uint64_t task, us;           /* the instance measured, and when */
    uint64_t last[NCOUNTERS];
    int64_t tokens[MAX_RATES];   /* token buckets, in millionths */
    char counters[160];          /* the instance's counters, last seen */
} *watch_tab;

/* One entry per service (svc_table), made at the first use, once the
 * manifest has said how many there are. */
static typeof(watch_tab) watch_all(void)
{
    if (!watch_tab)
        watch_tab = svc_table(sizeof *watch_tab);
    return watch_tab;
}
static struct deadline tick;

const char *monitor_counters(const struct service *s) { return watch_all()[s - svcs].counters; }

/* Has a profile to check. Services that are not running count too, so
 * the tick keeps going whoever starts them again. */
static bool watched(const struct service *s)
{
    int k = capsule_cur(s);
    if (k < 0 || s->state == S_REFUSED)
        return false;
    const struct profile *p = &capsule_at(k)->prof;
    return p->classes_declared || p->mem_max || p->nrates;
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

/* ---- profiles ---------------------------------------------------------------- */

static void quarantine(struct service *s, const char *why)
{
    v_task_suspend(s->child.task);      /* first: it does nothing more */
    struct v_taskinfo ti;
    if (!v_task_info(s->child.task, (uint64_t)&ti).err)
        counters_line(&ti, watch_all()[s - svcs].counters, sizeof watch_all()[0].counters);
    uint64_t task = s->task_id;
    const struct capsule *c = capsule_at(capsule_cur(s));
    svc_end(s, S_QUARANTINED, why);     /* every capability it held goes with it */
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
static bool deviates(struct service *s, uint64_t t, char *why, size_t n)
{
    struct v_taskinfo ti;
    if (v_task_info(s->child.task, (uint64_t)&ti).err || ti.state == V_TASK_DEAD ||
        ti.state == V_TASK_FAULTED)
        return false;           /* supervise.c deals with it */
    const struct profile *p = &capsule_at(capsule_cur(s))->prof;
    typeof(&watch_all()[0]) cs = &watch_all()[s - svcs];
    if (cs->task != s->task_id) {       /* a new instance: fresh buckets */
        cs->task = s->task_id;
        memset(cs->last, 0, sizeof cs->last);
        cs->us = t - TICK_US;
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
    uint64_t dt = t - cs->us;
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
    cs->us = t;
    return why[0] != 0;
}

static void tick_fire(struct deadline *d)
{
    (void)d;
    uint64_t t = now_us();
    for (int i = 0; i < nsvc; i++) {
        struct service *s = &svcs[i];
        char why[96], msg[120];
        if (!watched(s) || s->state != S_RUNNING || !deviates(s, t, why, sizeof why))
            continue;
        snprintf(msg, sizeof msg, "broke its intent profile: %s", why);
        if (!monitor_window_deviation || !monitor_window_deviation(s, msg))
            quarantine(s, why);
    }
    monitor_arm();
}

void monitor_arm(void)
{
    bool any = false;
    for (int i = 0; i < nsvc && !any; i++)
        any = watched(&svcs[i]);
    if (!any)
        deadline_cancel(&tick);
    else if (!tick.armed) {
        tick.fire = tick_fire;
        deadline_set(&tick, now_us() + TICK_US);
    }
}
