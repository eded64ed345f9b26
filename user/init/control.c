/*
 * control.c: init's Supervisor interface (schema/supervisor.capnp),
 * served on init's own accept Ring to whoever the manifest connects
 * ("init" grants): the shell's ps, services, start, stop, restart, kill,
 * mem, caps, events, halt and reboot; and reroot, which gives a caller a
 * new connection to a naming root its own manifest entry grants it (the
 * caller is known by the connection: init made it, see svc_of_conn).
 *
 * Every Supervisor method is a row of the one table at the end, served
 * by the runtime's dispatch (ipc_serve_methods): the lifecycle methods
 * here, the capsule ones in capmethods.c and upgrade.c. A method not in
 * the table gets IPC_ERROR; capabilities sent along are deleted unread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "capsvc.h"
#include "schema/supervisor.capnp.h"


#define HALT_PORT 0x501   /* mk/config.mk QEMU_RUN's second isa-debug-exit */
static const char *const task_states[] = {"inactive", "runnable", "blocked", "suspended",
                                          "faulted", "dead"};
static const char *const policy_names[] = {"never", "on-failure", "always", "tool"};
static const char *const type_names[] = {"null", "reticle", "task", "captable", "aspace",
                                         "frame", "ring-send", "ring-recv", "signal", "irq",
                                         "ioport", "debug"};

static uint8_t out[IPC_PAYLOAD_MAX] __attribute__((aligned(8)));

static uint64_t reticle_used(v_handle r)
{
    struct v_capinfo i;
    if (!r || v_cap_info(r, (uint64_t)&i).err)
        return 0;
    return i.size - i.free;
}

/* listTasks and listServices answer a page: the entries from position
 * `from` on that fit in one message (4 KiB), and `next`, the position to
 * ask for after them, or 0 when the list is complete; so init answers for
 * any number of services. Each builds the positions [from, from + n);
 * n is halved until they fit. */
static int page(struct capnp_builder *b, uint32_t from, uint32_t total,
                void (*build)(struct capnp_builder *b, uint32_t from, uint32_t n, uint32_t next))
{
    if (from > total)
        from = total;
    for (uint32_t n = total - from;; n = n / 2) {
        capnp_builder_init(b, out, sizeof out);
        build(b, from, n, from + n < total ? from + n : 0);
        if (!capnp_builder_error(b) || n <= 1)
            return capnp_builder_error(b);
    }
}

/* Position 0 is init itself, position p the Task of svcs[p - 1] (none
 * if it has no instance). */
static void build_tasks(struct capnp_builder *b, uint32_t from, uint32_t n, uint32_t next)
{
    Supervisor_listTasks_Results_B r = Supervisor_listTasks_Results_build_root(b);
    Supervisor_listTasks_Results_set_next(r, next);
    struct v_taskinfo ti;
    unsigned k = 0;
    for (uint32_t p = from; p < from + n; p++)
        k += p == 0 || (svcs[p - 1].task_id && !v_task_info(svcs[p - 1].child.task, (uint64_t)&ti).err);
    Supervisor_TaskInfo_BList l = Supervisor_listTasks_Results_init_tasks(r, k);
    k = 0;
    if (from == 0 && n) {
        v_task_info(rt_cap("self"), (uint64_t)&ti);
        Supervisor_TaskInfo_B t = Supervisor_TaskInfo_BList_get(l, k++);
        Supervisor_TaskInfo_set_id(t, ti.id);
        Supervisor_TaskInfo_set_name(t, "init", 4);
        Supervisor_TaskInfo_set_state(t, task_states[ti.state], strlen(task_states[ti.state]));
        Supervisor_TaskInfo_set_priority(t, (uint8_t)ti.prio);
        Supervisor_TaskInfo_set_memory(t, reticle_used(init_memory));
        Supervisor_TaskInfo_set_service(t, "init", 4);
        Supervisor_TaskInfo_set_label(t, ti.label);
        Supervisor_TaskInfo_set_own(t, ti.own);
    }
    for (uint32_t p = from ? from : 1; p < from + n; p++) {
        struct service *s = &svcs[p - 1];
        if (!s->task_id || v_task_info(s->child.task, (uint64_t)&ti).err)
            continue;
        Supervisor_TaskInfo_B t = Supervisor_TaskInfo_BList_get(l, k++);
        Supervisor_TaskInfo_set_id(t, ti.id);
        Supervisor_TaskInfo_set_name(t, ti.name, strnlen(ti.name, sizeof ti.name));
        const char *st = ti.state < 6 ? task_states[ti.state] : "?";
        Supervisor_TaskInfo_set_state(t, st, strlen(st));
        Supervisor_TaskInfo_set_priority(t, (uint8_t)ti.prio);
        Supervisor_TaskInfo_set_memory(t, reticle_used(s->child.reticle));
        Supervisor_TaskInfo_set_restarts(t, s->restarts);
        Supervisor_TaskInfo_set_faults(t, ti.faults);
        Supervisor_TaskInfo_set_service(t, s->name, strlen(s->name));
        Supervisor_TaskInfo_set_label(t, ti.label);
        Supervisor_TaskInfo_set_own(t, ti.own);
    }
}

static void serve_listTasks(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    uint32_t from = Supervisor_listTasks_Params_from(Supervisor_listTasks_Params_read_root(msg));
    struct capnp_builder b;
    page(&b, capnp_msg_error(msg) ? 0 : from, (uint32_t)nsvc + 1, build_tasks);
    ipc_reply_caps(c, m->hdr.kind, m->hdr.id, &b, 0, 0);
}

static void build_services(struct capnp_builder *b, uint32_t from, uint32_t n, uint32_t next)
{
    Supervisor_listServices_Results_B r = Supervisor_listServices_Results_build_root(b);
    Supervisor_listServices_Results_set_next(r, next);
    Supervisor_ServiceInfo_BList l = Supervisor_listServices_Results_init_services(r, n);
    for (uint32_t k = 0; k < n; k++) {
        struct service *s = &svcs[from + k];
        Supervisor_ServiceInfo_B e = Supervisor_ServiceInfo_BList_get(l, k);
        Supervisor_ServiceInfo_set_name(e, s->name, strlen(s->name));
        Supervisor_ServiceInfo_set_state(e, svc_state_names[s->state], strlen(svc_state_names[s->state]));
        Supervisor_ServiceInfo_set_task(e, s->task_id);
        Supervisor_ServiceInfo_set_restarts(e, s->restarts);
        Supervisor_ServiceInfo_set_lastExit(e, s->last_exit);
        Supervisor_ServiceInfo_set_reason(e, s->reason, strlen(s->reason));
        Supervisor_ServiceInfo_set_policy(e, policy_names[s->policy],
                                          strlen(policy_names[s->policy]));
        Supervisor_ServiceInfo_set_capsule(e, capsule_of(s), strlen(capsule_of(s)));
    }
}

static void serve_listServices(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    uint32_t from =
        Supervisor_listServices_Params_from(Supervisor_listServices_Params_read_root(msg));
    struct capnp_builder b;
    page(&b, capnp_msg_error(msg) ? 0 : from, (uint32_t)nsvc, build_services);
    ipc_reply_caps(c, m->hdr.kind, m->hdr.id, &b, 0, 0);
}

/* The service a Supervisor.Named names, or 0. */
static struct service *named(struct capnp_msg *msg)
{
    Supervisor_Named_R p = Supervisor_Named_read_root(msg);
    struct capnp_text t = Supervisor_Named_name(p);
    if (capnp_msg_error(msg) || !t.str)
        return 0;
    int i = svc_find(t.str);
    return i < 0 ? 0 : &svcs[i];
}

static void serve_memory(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    (void)msg;
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_memory_Results_B r = Supervisor_memory_Results_build_root(&b);
    const struct v_bundle *bun = rt_bundle();
    unsigned n = 0;
    for (uint32_t i = 0; i < bun->count; i++)
        n += bun->entry[i].type == V_TYPE_RETICLE;
    for (int i = 0; i < nsvc; i++)
        n += svcs[i].child.reticle != 0;
    Supervisor_ReticleInfo_BList l = Supervisor_memory_Results_init_reticles(r, n);
    unsigned k = 0;
    struct v_capinfo info;
    for (uint32_t i = 0; i < bun->count; i++) {
        if (bun->entry[i].type != V_TYPE_RETICLE || v_cap_info(bun->entry[i].handle, (uint64_t)&info).err)
            continue;
        Supervisor_ReticleInfo_B e = Supervisor_ReticleInfo_BList_get(l, k++);
        Supervisor_ReticleInfo_set_name(e, bun->entry[i].name, strnlen(bun->entry[i].name, 24));
        Supervisor_ReticleInfo_set_size(e, info.size);
        Supervisor_ReticleInfo_set_free(e, info.free);
        Supervisor_ReticleInfo_set_objects(e, info.mapped);
    }
    for (int i = 0; i < nsvc; i++) {
        if (!svcs[i].child.reticle || v_cap_info(svcs[i].child.reticle, (uint64_t)&info).err)
            continue;
        Supervisor_ReticleInfo_B e = Supervisor_ReticleInfo_BList_get(l, k++);
        Supervisor_ReticleInfo_set_name(e, svcs[i].name, strlen(svcs[i].name));
        Supervisor_ReticleInfo_set_size(e, info.size);
        Supervisor_ReticleInfo_set_free(e, info.free);
        Supervisor_ReticleInfo_set_objects(e, info.mapped);
    }
    ipc_reply_caps(c, m->hdr.kind, m->hdr.id, &b, 0, 0);
}

static void serve_caps(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    struct service *s = named(msg);
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_caps_Results_B r = Supervisor_caps_Results_build_root(&b);
    if (!s || !s->child.bundle) {
        Supervisor_caps_Results_set_status(r, s ? Supervisor_Status_badState
                                                : Supervisor_Status_notFound);
        ipc_reply_caps(c, m->hdr.kind, m->hdr.id, &b, 0, 0);
        return;
    }
    /* read the child's Bundle page, which the kernel wrote */
    static uint64_t va;
    if (!va)
        va = rt_va_alloc(4096);
    v_handle copy = (v_handle)v_cap_mint(s->child.bundle, V_SLOT_ANY, V_R_READ, 0).val;
    if (!copy || v_as_map(rt_cap("aspace"), copy, va, V_R_READ).err) {
        v_cap_delete(copy);
        Supervisor_caps_Results_set_status(r, Supervisor_Status_failed);
        ipc_reply_caps(c, m->hdr.kind, m->hdr.id, &b, 0, 0);
        return;
    }
    const struct v_bundle *bun = (const struct v_bundle *)va;
    uint32_t n = bun->count < 127 ? bun->count : 127;
    Supervisor_caps_Results_set_status(r, Supervisor_Status_ok);
    Supervisor_CapInfo_BList l = Supervisor_caps_Results_init_caps(r, n);
    for (uint32_t i = 0; i < n; i++) {
        Supervisor_CapInfo_B e = Supervisor_CapInfo_BList_get(l, i);
        Supervisor_CapInfo_set_name(e, bun->entry[i].name, strnlen(bun->entry[i].name, 24));
        uint32_t ty = bun->entry[i].type;
        const char *tn = ty < 12 ? type_names[ty] : "?";
        Supervisor_CapInfo_set_type(e, tn, strlen(tn));
        Supervisor_CapInfo_set_handle(e, bun->entry[i].handle);
        Supervisor_CapInfo_set_rights(e, bun->entry[i].rights);
    }
    v_cap_delete(copy);
    ipc_reply_caps(c, m->hdr.kind, m->hdr.id, &b, 0, 0);
}

static void serve_events(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    Supervisor_events_Params_R p = Supervisor_events_Params_read_root(msg);
    uint64_t after = Supervisor_events_Params_after(p);
    uint32_t limit = Supervisor_events_Params_limit(p);
    if (limit > 24)
        limit = 24;
    uint64_t first = nevents > MAX_EVENTS ? nevents - MAX_EVENTS + 1 : 1;
    if (after + 1 > first)
        first = after + 1;
    uint32_t n = 0;
    while (first + n <= nevents && n < limit)
        n++;
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_events_Results_B r = Supervisor_events_Results_build_root(&b);
    Supervisor_Event_BList l = Supervisor_events_Results_init_events(r, n);
    for (uint32_t i = 0; i < n; i++) {
        const struct event_rec *e = &events[(first + i - 1) % MAX_EVENTS];
        Supervisor_Event_B eb = Supervisor_Event_BList_get(l, i);
        Supervisor_Event_set_sequence(eb, e->seq);
        Supervisor_Event_set_time(eb, e->time);
        Supervisor_Event_set_service(eb, e->service, strlen(e->service));
        Supervisor_Event_set_text(eb, e->text, strlen(e->text));
    }
    Supervisor_events_Results_set_next(r, n ? first + n - 1 : after);
    ipc_reply_caps(c, m->hdr.kind, m->hdr.id, &b, 0, 0);
}

/* A root's name as a manifest grant may spell it: 2 to 19 printable
 * bytes, the last one ':'. */
static bool root_name(struct capnp_text t, char out_name[NAME_LEN])
{
    if (!t.str || t.len < 2 || t.len > 19 || t.str[t.len - 1] != ':')
        return false;
    for (uint32_t i = 0; i < t.len; i++)
        if (t.str[i] < 0x21 || t.str[i] > 0x7e)
            return false;
    memcpy(out_name, t.str, t.len);
    out_name[t.len] = 0;
    return true;
}

/* A new connection to a naming root the caller's manifest entry grants
 * it, made as at spawn (grant_connect) through the provider's accept
 * Ring, which outlives the provider's restarts. Everything is checked
 * before anything is made: the name, the grant, the provider running. */
static void serve_reroot(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    struct capnp_text t = Supervisor_Named_name(Supervisor_Named_read_root(msg));
    char name[NAME_LEN];
    if (capnp_msg_error(msg) || !root_name(t, name))
        return status_reply(c, m, Supervisor_Status_badName,
                            "not the name of a naming root (such as SYS:)");
    struct service *s = svc_of_conn(c);
    const struct grant *g = s ? svc_root_grant(s, name) : 0;
    if (!g) {
        event(c->peer, "reroot '%s' refused: not granted", name);
        return status_reply(c, m, Supervisor_Status_denied,
                            "the manifest does not grant '%s' the root '%s'", c->peer, name);
    }
    const struct service *p = g->svc >= 0 ? &svcs[g->svc] : 0;
    if (p && p->state != S_RUNNING)
        return status_reply(c, m, Supervisor_Status_unavailable, "'%s' is %s", p->name,
                            svc_state_names[p->state]);
    v_handle client[2];
    int e = grant_connect(s, g, client);
    if (e)
        return status_reply(c, m, Supervisor_Status_failed, "cannot connect '%s' to '%s': %s",
                            name, g->source, ipc_strerror(e));
    event(s->name, "reroot '%s': new connection to '%s'", name, g->source);
    status_caps(c, m, Supervisor_Status_ok, client, 2, "new connection to '%s'", g->source);
}

/* The console service sends asynchronously: give it a moment to put our
 * last words on the wire before the machine stops. */
static void drain_console(void)
{
    fflush(stdout);
    v_timer_set(SIG_DRAIN, 50000);
    v_signal_wait(1ull << SIG_DRAIN, 200000);
}


/* Say how starting s by request went (e: svc_start_fresh's, or
 * svc_restart's); verb is "started" or "restarted". */
static void start_reply(struct ipc_conn *c, const struct ipc_msg *m, struct service *s,
                        const char *verb, int e)
{
    if (e)
        return status_reply(c, m, Supervisor_Status_failed, "%s", s->reason);
    event(s->name, "%s by request (task %llu)", verb, (unsigned long long)s->task_id);
    status_reply(c, m, Supervisor_Status_ok, "%s '%s' (task %llu)", verb, s->name,
                 (unsigned long long)s->task_id);
}

static void serve_start(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    struct service *s = named(msg);
    if (!s)
        return status_reply(c, m, Supervisor_Status_notFound, "no such service");
    if (s->state == S_RUNNING || s->state == S_REFUSED)
        return status_reply(c, m, Supervisor_Status_badState, "'%s' is %s", s->name,
                            svc_state_names[s->state]);
    start_reply(c, m, s, "started", svc_start_fresh(s));
}

/* run: a tool with a command line; it asks for the line with args. */
static void serve_run(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    Supervisor_run_Params_R p = Supervisor_run_Params_read_root(msg);
    struct capnp_text n = Supervisor_run_Params_name(p), a = Supervisor_run_Params_args(p);
    int i = capnp_msg_error(msg) || !n.str ? -1 : svc_find(n.str);
    if (i < 0)
        return status_reply(c, m, Supervisor_Status_notFound, "no such tool");
    struct service *s = &svcs[i];
    if (s->policy != P_TOOL)
        return status_reply(c, m, Supervisor_Status_denied, "'%s' is not a tool", s->name);
    if (s->state == S_RUNNING || s->state == S_REFUSED)
        return status_reply(c, m, Supervisor_Status_badState, "'%s' is %s", s->name,
                            svc_state_names[s->state]);
    if (a.len >= sizeof s->cmdline)
        return status_reply(c, m, Supervisor_Status_failed, "the command line is longer than %u bytes",
                            (unsigned)sizeof s->cmdline - 1);
    memcpy(s->cmdline, a.str ? a.str : "", a.len);
    s->cmdline[a.len] = 0;
    start_reply(c, m, s, "started", svc_start_fresh(s));
}

static void serve_args(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    (void)msg;
    struct service *s = svc_of_conn(c);
    uint8_t buf[256];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    const char *line = s ? s->cmdline : "";
    Supervisor_args_Results_set_args(Supervisor_args_Results_build_root(&b), line, strlen(line));
    ipc_reply_built(c, Supervisor_method_args, m->hdr.id, &b);
}

static void serve_stop(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    struct service *s = named(msg);
    if (!s)
        return status_reply(c, m, Supervisor_Status_notFound, "no such service");
    if (s->state != S_RUNNING && s->state != S_WAITING)
        return status_reply(c, m, Supervisor_Status_badState, "'%s' is %s", s->name,
                            svc_state_names[s->state]);
    svc_stop(s, "by request");
    status_reply(c, m, Supervisor_Status_ok, "stopped '%s'", s->name);
}

static void serve_restart(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    struct service *s = named(msg);
    if (!s)
        return status_reply(c, m, Supervisor_Status_notFound, "no such service");
    if (s->state == S_REFUSED)
        return status_reply(c, m, Supervisor_Status_badState, "'%s' was refused: %s", s->name,
                            s->reason);
    start_reply(c, m, s, "restarted", svc_restart(s));
}

static void serve_kill(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    uint64_t id = Supervisor_kill_Params_id(Supervisor_kill_Params_read_root(msg));
    for (int i = 0; i < nsvc; i++)
        if (svcs[i].task_id && svcs[i].task_id == id) {
            v_task_kill(svcs[i].child.task);
            event(svcs[i].name, "task %llu killed by request", (unsigned long long)id);
            supervise_check();
            return status_reply(c, m, Supervisor_Status_ok, "killed task %llu (%s)",
                                (unsigned long long)id, svcs[i].name);
        }
    status_reply(c, m, Supervisor_Status_notFound, "no task %llu that init supervises",
                 (unsigned long long)id);
}

static void serve_halt(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    (void)msg;
    ipc_reply(c, m, 0, 0, 0, 0);
    printf("init: halting at the shell's request\n");
    drain_console();
    /* End QEMU under make run, which adds an isa-debug-exit device at
     * HALT_PORT (the kernel's own at 0xf4 is below init's ports): 0x10
     * is what the kernel writes when the root Task exits 0 in test mode
     * (kernel/kernel.h EXIT_PASS), so QEMU exits 33 either way. Without
     * that device the write does nothing and the kernel halts the CPU. */
    v_io_out(rt_cap("ioports"), HALT_PORT, 1, 0x10);
    rt_exit(0);
}

static void serve_reboot(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    (void)msg;
    ipc_reply(c, m, 0, 0, 0, 0);
    printf("init: rebooting at the shell's request\n");
    drain_console();
    v_io_out(rt_cap("ioports"), 0xcf9, 1, 0x06);    /* PCI reset control */
    rt_exit(0);
}

/* Every Supervisor method the schema declares, by its number: the rows
 * come from schema/supervisor.capnp (Supervisor_METHODS), so a method
 * without a serve_<name> here, in capmethods.c or in upgrade.c does not
 * compile. */
#define ROW(name) IPC_METHOD(Supervisor, name)
static const struct ipc_method supervisor_methods[] = {Supervisor_METHODS(ROW) {0, 0, 0}};

void control_serve(struct ipc_server *srv)
{
    srv->gate = session_gate;
    for (;;)
        ipc_serve_methods(srv, supervisor_methods, V_TIMEOUT_NEVER);
}
