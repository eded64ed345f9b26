/*
 * upgrade.c: switching a capsule service between versions.
 *
 * Versions are immutable, so an upgrade is a switch: destroy the running
 * instance, start the other version on the same accept Ring (init keeps
 * its original, so clients queued meanwhile wait there and are served by
 * whichever instance binds it next; a Ring has one consumer at a time,
 * so no client ever talks to half of each). The new version then has a
 * readiness window (READY_US, a deadline): it must stay alive, keep to
 * its intent profile and, if it provides a service, answer a probe.
 * Failing any of these switches back automatically; the upgrade's caller
 * gets its answer when the window closes. Switch and rollback costs are
 * measured with rdtsc around the switch, in init.
 *
 * The readiness probe is probe.c's.
 *
 * Preparing a standby and switching instances is switch.c's.
 *
 * Services change only through the lifecycle (svc_end, svc_start,
 * svc_adopt) and capbind (capsule_run, the history). Owns: win_all()[] (each
 * service's window), notes[] (what last happened to each version).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "capsvc.h"
#include "schema/supervisor.capnp.h"

static struct window {
    bool probation;              /* in its readiness window */
    int from;                    /* the version it replaced */
    struct deadline until;       /* the window's end */
    uint64_t task;               /* the new instance's Task id */
    uint64_t t0, switch_cycles;  /* rdtsc at the switch; its cost */
    struct standby standby;      /* the old version, kept warm meanwhile */
    struct ipc_conn *rc;         /* the upgrade call, answered at the end */
    uint64_t rid;
    bool reply;
} *win_tab;

/* One entry per service (svc_table), made at the first use, once the
 * manifest has said how many there are. */
static typeof(win_tab) win_all(void)
{
    if (!win_tab)
        win_tab = svc_table(sizeof *win_tab);
    return win_tab;
}
static char notes[MAX_CAPSULES][120];
void (*upgrade_settled_hook)(struct service *s, bool ok, int from, int to, char *more, size_t n);

const char *upgrade_note(int k) { return notes[k]; }

static void settle(struct service *s, bool ok, const char *why);
static void poll_arm(void);

static void window_over(struct deadline *d)
{
    struct service *s = &svcs[(struct window *)((char *)d - offsetof(struct window, until)) - win_all()];
    if (probe_pending(s))
        settle(s, false, "did not answer its readiness probe within 300 ms");
    else
        settle(s, true, 0);
}

/* Every wake: a probe's answer, and a service that changed under its
 * window (stopped, or restarted by request). */
void upgrade_poll(void)
{
    for (int i = 0; i < nsvc; i++) {
        struct service *s = &svcs[i];
        if (!win_all()[i].probation)
            continue;
        probe_poll(s);
        if (s->state != S_RUNNING)
            upgrade_cancel(s, "was stopped in its readiness window");
        else if (s->task_id != win_all()[i].task)
            settle(s, false, "was restarted in its readiness window");
    }
}

/* While a window is open, init wakes every TICK_US to poll it (the
 * instance may be stopped or restarted by request in between). */
static struct deadline poll_tick;

static void poll_fire(struct deadline *d)
{
    (void)d;
    upgrade_poll();
    poll_arm();
}

static void poll_arm(void)
{
    bool any = false;
    for (int i = 0; i < nsvc && !any; i++)
        any = win_all()[i].probation;
    if (!any)
        deadline_cancel(&poll_tick);
    else if (!poll_tick.armed) {
        poll_tick.fire = poll_fire;
        deadline_set(&poll_tick, now_us() + TICK_US);
    }
}

static bool deviation(struct service *s, const char *why)
{
    if (!win_all()[s - svcs].probation)
        return false;
    settle(s, false, why);
    return true;
}

/* ---- switching --------------------------------------------------------------- */

static uint8_t out[IPC_PAYLOAD_MAX] __attribute__((aligned(8)));

/* A connection init serves has closed: an upgrade's answer cannot go there
 * (the slot may serve another client by the time the window closes). */
static void conn_closed(struct ipc_server *srv, struct ipc_conn *c)
{
    for (int i = 0; i < nsvc; i++)
        if (win_all()[i].rc == c) {
            win_all()[i].rc = 0;
            win_all()[i].reply = false;
        }
}

static void upgrade_reply(struct ipc_conn *c, uint64_t id, enum Supervisor_Status st,
                          uint64_t sw, uint64_t rb, const char *text)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_upgrade_Results_B r = Supervisor_upgrade_Results_build_root(&b);
    Supervisor_upgrade_Results_set_status(r, st);
    Supervisor_upgrade_Results_set_message(r, text, strlen(text));
    Supervisor_upgrade_Results_set_switchCycles(r, sw);
    Supervisor_upgrade_Results_set_rollbackCycles(r, rb);
    ipc_reply_caps(c, Supervisor_method_upgrade, id, &b, 0, 0);
}

/* The end of a readiness window: confirm the new version (the standby of
 * the old one goes), or switch back to the standby. Called when the
 * window's deadline passes (probe unanswered or not), when the monitor
 * finds the profile broken, by upgrade_poll (restarted meanwhile), by
 * ended (the new instance died; its Task is already gone) and by a
 * rollback request. */
static void settle(struct service *s, bool ok, const char *why)
{
    struct window *cs = &win_all()[s - svcs];
    if (!cs->probation)
        return;
    cs->probation = false;
    deadline_cancel(&cs->until);
    uint64_t ready;
    bool answered = probe_answered(s, &ready);
    probe_stop(s);
    int bad = capsule_cur(s), good = cs->from;
    char msg[200];
    uint64_t rb = 0;
    enum Supervisor_Status st;
    if (ok) {
        standby_drop(&cs->standby);
        snprintf(msg, sizeof msg, "%s %s -> %s: switched in %llu cycles", s->ref.name,
                 capsule_at(good)->ver, capsule_at(bad)->ver, (unsigned long long)cs->switch_cycles);
        if (answered) {
            size_t n = strlen(msg);
            snprintf(msg + n, sizeof msg - n, ", answered after %llu cycles",
                     (unsigned long long)ready);
        }
        event(s->name, "upgrade to %s %s confirmed after its readiness window", s->ref.name,
              capsule_at(bad)->ver);
        printf("init: %s %s is ready; upgrade confirmed\n", s->ref.name, capsule_at(bad)->ver);
        st = Supervisor_Status_ok;
    } else {
        capsule_history_pop(s, good);
        snprintf(notes[bad], sizeof notes[0],
                 "failed its readiness check: %.90s", why);
        bool warm = cs->standby.ok;
        int e = switch_to(s, good, &cs->standby, &rb);
        standby_drop(&cs->standby);
        printf("init: %s %s failed its readiness check: %s\n", s->ref.name, capsule_at(bad)->ver, why);
        printf("init: rolled back %s %s -> %s in %llu cycles (%s)%s\n", s->ref.name,
               capsule_at(bad)->ver, capsule_at(good)->ver, (unsigned long long)rb,
               warm ? "warm standby" : "cold start",
               e ? ", but it did not start" : "");
        event(s->name, "rolled back %s -> %s in %llu cycles: %.40s", capsule_at(bad)->ver,
              capsule_at(good)->ver, (unsigned long long)rb, why);
        snprintf(msg, sizeof msg, "%s %s %.80s; rolled back to %s in %llu cycles", s->ref.name,
                 capsule_at(bad)->ver, why, capsule_at(good)->ver, (unsigned long long)rb);
        st = Supervisor_Status_failed;
    }
    if (upgrade_settled_hook) {
        size_t n = strlen(msg);
        upgrade_settled_hook(s, ok, good, bad, msg + n, sizeof msg - n);
    }
    if (cs->reply && cs->rc && !cs->rc->closed)
        upgrade_reply(cs->rc, cs->rid, st, cs->switch_cycles, rb, msg);
    cs->reply = false;
    cs->rc = 0;
}

/* The service was stopped during a readiness window: no switch back (it
 * stays stopped), but the version it will start with is the old one. */
void upgrade_cancel(struct service *s, const char *why)
{
    struct window *cs = &win_all()[s - svcs];
    if (!cs->probation)
        return;
    cs->probation = false;
    deadline_cancel(&cs->until);
    probe_stop(s);
    standby_drop(&cs->standby);
    int bad = capsule_cur(s);
    capsule_history_pop(s, cs->from);
    capsule_run(s, cs->from);
    snprintf(notes[bad], sizeof notes[0], "upgrade abandoned: %.90s", why);
    event(s->name, "upgrade to %s abandoned: %.50s", capsule_at(bad)->ver, why);
    if (upgrade_settled_hook) {
        char none[8];
        upgrade_settled_hook(s, false, cs->from, bad, none, sizeof none);
    }
    if (cs->reply && cs->rc && !cs->rc->closed) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s %s %s; the service will start with %s", s->ref.name,
                 capsule_at(bad)->ver, why, capsule_at(capsule_cur(s))->ver);
        upgrade_reply(cs->rc, cs->rid, Supervisor_Status_failed, cs->switch_cycles, 0, msg);
    }
    cs->reply = false;
    cs->rc = 0;
}

static bool ended(struct service *s, const char *fault, int64_t status)
{
    struct window *cs = &win_all()[s - svcs];
    if (!cs->probation)
        return false;
    char why[120];
    if (fault)
        snprintf(why, sizeof why, "faulted in its readiness window (%s)", fault);
    else
        snprintf(why, sizeof why, "exited with status %lld in its readiness window",
                 (long long)status);
    settle(s, false, why);
    return true;
}

static void rollback_reply(struct ipc_conn *c, const struct ipc_msg *m, enum Supervisor_Status st,
                           uint64_t cycles, const char *text)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_rollback_Results_B r = Supervisor_rollback_Results_build_root(&b);
    Supervisor_rollback_Results_set_status(r, st);
    Supervisor_rollback_Results_set_message(r, text, strlen(text));
    Supervisor_rollback_Results_set_cycles(r, cycles);
    ipc_reply_caps(c, Supervisor_method_rollback, m->hdr.id, &b, 0, 0);
}

void serve_upgrade(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    Supervisor_upgrade_Params_R p = Supervisor_upgrade_Params_read_root(msg);
    struct capnp_text name = Supervisor_upgrade_Params_name(p);
    struct capnp_text ver = Supervisor_upgrade_Params_version(p);
    char text[200];
    struct service *s = capnp_msg_error(msg) ? 0 : service_for(name);
    if (!s)
        return upgrade_reply(c, m->hdr.id, Supervisor_Status_notFound, 0, 0,
                             "no service runs a capsule of that name");
    struct window *cs = &win_all()[s - svcs];
    if (cs->probation) {
        snprintf(text, sizeof text, "%s %s is still in its readiness window", s->ref.name,
                 capsule_at(capsule_cur(s))->ver);
        return upgrade_reply(c, m->hdr.id, Supervisor_Status_badState, 0, 0, text);
    }
    if (s->state == S_REFUSED) {
        snprintf(text, sizeof text, "'%s' was refused: %s", s->name, s->reason);
        return upgrade_reply(c, m->hdr.id, Supervisor_Status_badState, 0, 0, text);
    }
    if (s->state != S_RUNNING) {
        snprintf(text, sizeof text, "'%s' is %s; start it first", s->name, svc_state_names[s->state]);
        return upgrade_reply(c, m->hdr.id, Supervisor_Status_badState, 0, 0, text);
    }
    int to = -1;
    for (int k = 0; ver.str && k < capsule_count(); k++)
        if (!strcmp(capsule_at(k)->name, s->ref.name) && !strcmp(capsule_at(k)->ver, ver.str))
            to = k;
    char why0[160] = "";
    if (to < 0 && ver.str)
        to = capstore_load(s->ref.name, ver.str, why0, sizeof why0);   /* installed on disk */
    if (to < 0) {
        if (why0[0])
            snprintf(text, sizeof text, "%s", why0);
        else
            snprintf(text, sizeof text, "no version '%.40s' of capsule '%s' in the boot image%s",
                     ver.str ? ver.str : "", s->ref.name, capstore_present() ? " or the store" : "");
        return upgrade_reply(c, m->hdr.id, Supervisor_Status_notFound, 0, 0, text);
    }
    enum Supervisor_Status rst;
    if (upgrade_begin(s, to, c, m->hdr.id, &rst, text, sizeof text))
        return upgrade_reply(c, m->hdr.id, rst, 0, 0, text);
}

/* Starts the switch of s to version `to` and its readiness window; the
 * answer goes to c (when not 0) at the window's end. 0, or -1 with the
 * refusal's status and text. */
int upgrade_begin(struct service *s, int to, struct ipc_conn *c, uint64_t id,
                  enum Supervisor_Status *rst, char *text, size_t tn)
{
    struct window *cs = &win_all()[s - svcs];
#define REFUSE(st_, ...) do { *rst = (st_); snprintf(text, tn, __VA_ARGS__); return -1; } while (0)
    if (cs->probation)
        REFUSE(Supervisor_Status_badState, "%s %s is still in its readiness window", s->ref.name,
               capsule_at(capsule_cur(s))->ver);
    if (s->state != S_RUNNING)
        REFUSE(Supervisor_Status_badState, "'%s' is %s; start it first", s->name,
               svc_state_names[s->state]);
    if (!capsule_at(to)->valid)
        REFUSE(Supervisor_Status_denied, "%s %s was refused at boot: %s", s->ref.name,
               capsule_at(to)->ver, capsule_at(to)->reason);
    if (to == capsule_cur(s))
        REFUSE(Supervisor_Status_badState, "'%s' already runs %s %s", s->name, s->ref.name,
               capsule_at(to)->ver);
    char what[96];
    if (!capsule_at(to)->elf || grants_beyond(s, to, what, sizeof what))
        REFUSE(Supervisor_Status_denied, "%s %s: %s", s->ref.name, capsule_at(to)->ver,
               capsule_at(to)->elf ? "it does not require what the service is granted"
                                   : "it has no entry program");
    int from = capsule_cur(s);
    /* the new version, ready to run, while the old one still serves */
    struct standby next;
    char why[96];
    uint64_t p0 = rdtsc();
    bool warm = switch_prepare(s, to, &next, why, sizeof why) == 0;
    uint64_t prep = rdtsc() - p0;
    if (!warm && switch_can_prepare(s)) {
        snprintf(notes[to], sizeof notes[0], "did not start: %.90s", why);
        event(s->name, "upgrade to %s did not start", capsule_at(to)->ver);
        REFUSE(Supervisor_Status_failed, "%s %s did not start (%s); %s keeps running", s->ref.name,
               capsule_at(to)->ver, why, capsule_at(from)->ver);
    }
    uint64_t sw;
    int e = switch_to(s, to, &next, &sw);
    standby_drop(&next);
    if (e) {       /* a cold start that failed: back to the old version */
        uint64_t rb;
        snprintf(notes[to], sizeof notes[0], "did not start: %.90s", s->reason);
        switch_to(s, from, 0, &rb);
        event(s->name, "upgrade to %s failed to start; back on %s", capsule_at(to)->ver,
              capsule_at(from)->ver);
        REFUSE(Supervisor_Status_failed, "%s %s did not start (%s); back on %s in %llu cycles",
               s->ref.name, capsule_at(to)->ver, notes[to], capsule_at(from)->ver,
               (unsigned long long)rb);
    }
    capsule_history_push(s, from);
    notes[to][0] = 0;
    cs->probation = true;
    cs->from = from;
    cs->t0 = rdtsc() - sw;
    cs->switch_cycles = sw;
    cs->task = s->task_id;
    cs->rc = c;
    cs->rid = id;
    cs->reply = c != 0;
    printf("init: switched %s %s -> %s in %llu cycles (%s; prepared in %llu cycles); "
           "readiness window %llu ms\n", s->ref.name, capsule_at(from)->ver, capsule_at(to)->ver,
           (unsigned long long)sw,
           warm ? "warm" : "cold", (unsigned long long)prep,
           (unsigned long long)(READY_US / 1000));
    event(s->name, "switched %s -> %s in %llu cycles (task %llu)", capsule_at(from)->ver,
          capsule_at(to)->ver, (unsigned long long)sw, (unsigned long long)s->task_id);
    probe_start(s, cs->t0);
    /* the old version, kept warm until the new one proves itself */
    switch_prepare(s, from, &cs->standby, why, sizeof why);
    cs->until.fire = window_over;
    deadline_set(&cs->until, now_us() + READY_US);
    poll_arm();
    return 0;
#undef REFUSE
}

void serve_rollback(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    struct capnp_text name = Supervisor_Named_name(Supervisor_Named_read_root(msg));
    char text[200];
    struct service *s = capnp_msg_error(msg) ? 0 : service_for(name);
    if (!s)
        return rollback_reply(c, m, Supervisor_Status_notFound, 0,
                              "no service runs a capsule of that name");
    struct window *cs = &win_all()[s - svcs];
    if (s->state == S_REFUSED || capsule_cur(s) < 0)
        return rollback_reply(c, m, Supervisor_Status_badState, 0, "the service was refused");
    if (cs->probation) {
        /* the operator decides before the window closes */
        settle(s, false, "was rolled back by request");
        snprintf(text, sizeof text, "rolled back %s to %s", s->ref.name, capsule_at(capsule_cur(s))->ver);
        return rollback_reply(c, m, Supervisor_Status_ok, 0, text);
    }
    int hist[HISTORY];
    int nh = capsule_history(s, hist);
    /* With a store whose generation has what runs: its previous version
     * (persistent), else the versions this boot ran (in memory). */
    char swhy[160] = "";
    int sto = capstore_previous(s, swhy, sizeof swhy);
    if (sto < 0 && swhy[0])
        return rollback_reply(c, m, Supervisor_Status_failed, 0, swhy);
    if (!nh && sto < 0) {
        snprintf(text, sizeof text, "%s %s is the first version '%s' ran: nothing to go back to",
                 s->ref.name, capsule_at(capsule_cur(s))->ver, s->name);
        return rollback_reply(c, m, Supervisor_Status_badState, 0, text);
    }
    int from = capsule_cur(s), to = sto >= 0 ? sto : hist[nh - 1];
    struct standby prev;
    char why[96];
    bool running = s->state == S_RUNNING;
    bool warm = running && switch_prepare(s, to, &prev, why, sizeof why) == 0;
    if (running && !warm && switch_can_prepare(s)) {
        snprintf(text, sizeof text, "%s %s did not start (%s); %s keeps running", s->ref.name,
                 capsule_at(to)->ver, why, capsule_at(from)->ver);
        return rollback_reply(c, m, Supervisor_Status_failed, 0, text);
    }
    if (nh && hist[nh - 1] == to)
        capsule_history_pop(s, -1);
    uint64_t rb;
    int e = switch_to(s, to, warm ? &prev : 0, &rb);
    if (warm)
        standby_drop(&prev);
    printf("init: rolled back %s %s -> %s in %llu cycles (%s)%s\n", s->ref.name,
           capsule_at(from)->ver, capsule_at(to)->ver, (unsigned long long)rb, warm ? "warm" : "cold",
           e ? ", but it did not start" : "");
    event(s->name, "rolled back %s -> %s in %llu cycles (by request)", capsule_at(from)->ver,
          capsule_at(to)->ver, (unsigned long long)rb);
    if (e) {
        snprintf(text, sizeof text, "%s %s did not start: %.100s", s->ref.name, capsule_at(to)->ver,
                 s->reason);
        return rollback_reply(c, m, Supervisor_Status_failed, rb, text);
    }
    snprintf(text, sizeof text, "%s %s -> %s in %llu cycles", s->ref.name, capsule_at(from)->ver,
             capsule_at(to)->ver, (unsigned long long)rb);
    if (sto >= 0) {
        size_t n = strlen(text);
        capstore_rolled_back(s, text + n, sizeof text - n);
    }
    rollback_reply(c, m, Supervisor_Status_ok, rb, text);
}


void upgrade_init(struct ipc_server *srv)
{
    svc_ended_hook = ended;
    srv->on_close = conn_closed;
    probe_init(srv);
    monitor_window_deviation = deviation;
}
