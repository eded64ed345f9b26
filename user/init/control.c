/*
 * control.c: init's Supervisor interface (schema/supervisor.capnp),
 * served on init's own accept Ring to whoever the manifest connects
 * ("init" grants): the shell's ps, services, start, stop, restart, kill,
 * mem, caps, events, halt and reboot; and reroot, which gives a caller a
 * new connection to a naming root its own manifest entry grants it (the
 * caller is known by the connection: init made it, see svc_of_conn).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "init.h"
#include "schema/supervisor.capnp.h"


#define HALT_PORT 0x501   /* mk/config.mk QEMU_RUN's second isa-debug-exit */
static const char *const state_names[] = {"waiting", "running", "stopped", "exited",
                                          "failed", "refused", "quarantined"};
static const char *const task_states[] = {"inactive", "runnable", "blocked", "suspended",
                                          "faulted", "dead"};
static const char *const policy_names[] = {"never", "on-failure", "always"};
static const char *const type_names[] = {"null", "reticle", "task", "captable", "aspace",
                                         "frame", "ring-send", "ring-recv", "signal", "irq",
                                         "ioport", "debug"};

static uint8_t out[IPC_PAYLOAD_MAX] __attribute__((aligned(8)));

/* The reply, with caps (moved); any the caller did not get are deleted. */
static void send_built_caps(struct ipc_conn *c, struct ipc_msg *m, struct capnp_builder *b,
                            const v_handle *caps, unsigned ncaps)
{
    size_t len;
    const uint8_t *bytes = capnp_builder_bytes(b, &len);
    int e = IPC_TOOBIG;
    if (capnp_builder_error(b))
        ipc_send(c, IPC_ERROR | IPC_REPLY, m->hdr.id, 0, 0, 0, 0, 1000000);
    else
        e = ipc_reply(c, m, bytes, (uint32_t)len, caps, ncaps);
    for (unsigned i = 0; e && i < ncaps; i++)
        v_cap_delete(caps[i]);
}

static void send_built(struct ipc_conn *c, struct ipc_msg *m, struct capnp_builder *b)
{
    send_built_caps(c, m, b, 0, 0);
}

/* start, stop, restart, kill and reroot share one result layout (status,
 * message); reroot's ok reply also carries the new connection's ends. */
static void status_caps(struct ipc_conn *c, struct ipc_msg *m, enum Supervisor_Status st,
                        const v_handle *caps, unsigned ncaps, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void status_caps(struct ipc_conn *c, struct ipc_msg *m, enum Supervisor_Status st,
                        const v_handle *caps, unsigned ncaps, const char *fmt, ...)
{
    char msgtext[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msgtext, sizeof msgtext, fmt, ap);
    va_end(ap);
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_start_Results_B r = Supervisor_start_Results_build_root(&b);
    Supervisor_start_Results_set_status(r, st);
    Supervisor_start_Results_set_message(r, msgtext, strlen(msgtext));
    send_built_caps(c, m, &b, caps, ncaps);
}
#define status_reply(c, m, st, ...) status_caps(c, m, st, 0, 0, __VA_ARGS__)

static uint64_t reticle_used(v_handle r)
{
    struct v_capinfo i;
    if (!r || v_cap_info(r, (uint64_t)&i).err)
        return 0;
    return i.size - i.free;
}

static void list_tasks(struct ipc_conn *c, struct ipc_msg *m)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_listTasks_Results_B r = Supervisor_listTasks_Results_build_root(&b);
    unsigned n = 1;
    for (int i = 0; i < nsvc; i++)
        n += svcs[i].task_id != 0;
    Supervisor_TaskInfo_BList l = Supervisor_listTasks_Results_init_tasks(r, n);
    struct v_taskinfo ti;
    v_task_info(rt_cap("self"), (uint64_t)&ti);
    Supervisor_TaskInfo_B t = Supervisor_TaskInfo_BList_get(l, 0);
    Supervisor_TaskInfo_set_id(t, ti.id);
    Supervisor_TaskInfo_set_name(t, "init", 4);
    Supervisor_TaskInfo_set_state(t, task_states[ti.state], strlen(task_states[ti.state]));
    Supervisor_TaskInfo_set_priority(t, (uint8_t)ti.prio);
    Supervisor_TaskInfo_set_memory(t, reticle_used(init_memory));
    Supervisor_TaskInfo_set_service(t, "init", 4);
    unsigned k = 1;
    for (int i = 0; i < nsvc; i++) {
        struct service *s = &svcs[i];
        if (!s->task_id || v_task_info(s->child.task, (uint64_t)&ti).err)
            continue;
        t = Supervisor_TaskInfo_BList_get(l, k++);
        Supervisor_TaskInfo_set_id(t, ti.id);
        Supervisor_TaskInfo_set_name(t, ti.name, strnlen(ti.name, sizeof ti.name));
        const char *st = ti.state < 6 ? task_states[ti.state] : "?";
        Supervisor_TaskInfo_set_state(t, st, strlen(st));
        Supervisor_TaskInfo_set_priority(t, (uint8_t)ti.prio);
        Supervisor_TaskInfo_set_memory(t, reticle_used(s->child.reticle));
        Supervisor_TaskInfo_set_restarts(t, s->restarts);
        Supervisor_TaskInfo_set_faults(t, ti.faults);
        Supervisor_TaskInfo_set_service(t, s->name, strlen(s->name));
    }
    send_built(c, m, &b);
}

static void list_services(struct ipc_conn *c, struct ipc_msg *m)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_listServices_Results_B r = Supervisor_listServices_Results_build_root(&b);
    Supervisor_ServiceInfo_BList l = Supervisor_listServices_Results_init_services(r, (uint32_t)nsvc);
    for (int i = 0; i < nsvc; i++) {
        struct service *s = &svcs[i];
        Supervisor_ServiceInfo_B e = Supervisor_ServiceInfo_BList_get(l, (uint32_t)i);
        Supervisor_ServiceInfo_set_name(e, s->name, strlen(s->name));
        Supervisor_ServiceInfo_set_state(e, state_names[s->state], strlen(state_names[s->state]));
        Supervisor_ServiceInfo_set_task(e, s->task_id);
        Supervisor_ServiceInfo_set_restarts(e, s->restarts);
        Supervisor_ServiceInfo_set_lastExit(e, s->last_exit);
        Supervisor_ServiceInfo_set_reason(e, s->reason, strlen(s->reason));
        Supervisor_ServiceInfo_set_policy(e, policy_names[s->policy],
                                          strlen(policy_names[s->policy]));
        Supervisor_ServiceInfo_set_capsule(e, capsule_of(s), strlen(capsule_of(s)));
    }
    send_built(c, m, &b);
}

/* start, stop, restart and caps take the same parameters (name). */
static struct service *named(struct ipc_msg *m, struct capnp_msg *msg)
{
    (void)m;
    Supervisor_start_Params_R p = Supervisor_start_Params_read_root(msg);
    struct capnp_text t = Supervisor_start_Params_name(p);
    if (capnp_msg_error(msg) || !t.str)
        return 0;
    int i = svc_find(t.str);
    return i < 0 ? 0 : &svcs[i];
}

static void memory(struct ipc_conn *c, struct ipc_msg *m)
{
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
    send_built(c, m, &b);
}

static void caps(struct ipc_conn *c, struct ipc_msg *m, struct capnp_msg *msg)
{
    struct service *s = named(m, msg);
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_caps_Results_B r = Supervisor_caps_Results_build_root(&b);
    if (!s || !s->child.bundle) {
        Supervisor_caps_Results_set_status(r, s ? Supervisor_Status_badState
                                                : Supervisor_Status_notFound);
        send_built(c, m, &b);
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
        send_built(c, m, &b);
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
    send_built(c, m, &b);
}

static void events_reply(struct ipc_conn *c, struct ipc_msg *m, struct capnp_msg *msg)
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
    send_built(c, m, &b);
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
static void reroot(struct ipc_conn *c, struct ipc_msg *m, struct capnp_msg *msg)
{
    struct capnp_text t = Supervisor_reroot_Params_name(Supervisor_reroot_Params_read_root(msg));
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
                            state_names[p->state]);
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
    v_timer_set(61, 50000);
    v_signal_wait(1ull << 61, 200000);
}

static void handle(struct ipc_server *srv, struct ipc_conn *c, struct ipc_msg *m)
{
    struct capnp_msg msg;
    capnp_msg_init_flat(&msg, m->data, m->hdr.len);
    for (unsigned i = 0; i < m->ncaps; i++)     /* we take no capabilities */
        v_cap_delete(m->caps[i]);
    struct service *s;
    switch (m->hdr.kind) {
    case Supervisor_method_listTasks:
        list_tasks(c, m);
        return;
    case Supervisor_method_listServices:
        list_services(c, m);
        return;
    case Supervisor_method_start:
        if (!(s = named(m, &msg)))
            return status_reply(c, m, Supervisor_Status_notFound, "no such service");
        if (s->state == S_RUNNING || s->state == S_REFUSED)
            return status_reply(c, m, Supervisor_Status_badState, "'%s' is %s", s->name,
                                state_names[s->state]);
        s->nfail = 0;
        if (svc_start(s))
            return status_reply(c, m, Supervisor_Status_failed, "%s", s->reason);
        supervise_reconnect(s);
        event(s->name, "started by request (task %llu)", (unsigned long long)s->task_id);
        return status_reply(c, m, Supervisor_Status_ok, "started '%s' (task %llu)", s->name,
                            (unsigned long long)s->task_id);
    case Supervisor_method_stop:
        if (!(s = named(m, &msg)))
            return status_reply(c, m, Supervisor_Status_notFound, "no such service");
        if (s->state != S_RUNNING && s->state != S_WAITING)
            return status_reply(c, m, Supervisor_Status_badState, "'%s' is %s", s->name,
                                state_names[s->state]);
        svc_stop(s, "by request");
        return status_reply(c, m, Supervisor_Status_ok, "stopped '%s'", s->name);
    case Supervisor_method_restart:
        if (!(s = named(m, &msg)))
            return status_reply(c, m, Supervisor_Status_notFound, "no such service");
        if (s->state == S_REFUSED)
            return status_reply(c, m, Supervisor_Status_badState, "'%s' was refused: %s",
                                s->name, s->reason);
        if (s->state == S_RUNNING)
            svc_stop(s, "restart");
        s->nfail = 0;
        s->restarts++;
        if (svc_start(s))
            return status_reply(c, m, Supervisor_Status_failed, "%s", s->reason);
        supervise_reconnect(s);
        event(s->name, "restarted by request (task %llu)", (unsigned long long)s->task_id);
        return status_reply(c, m, Supervisor_Status_ok, "restarted '%s' (task %llu)", s->name,
                            (unsigned long long)s->task_id);
    case Supervisor_method_kill: {
        uint64_t id = Supervisor_kill_Params_id(Supervisor_kill_Params_read_root(&msg));
        for (int i = 0; i < nsvc; i++)
            if (svcs[i].task_id && svcs[i].task_id == id) {
                v_task_kill(svcs[i].child.task);
                event(svcs[i].name, "task %llu killed by request", (unsigned long long)id);
                supervise_check();
                return status_reply(c, m, Supervisor_Status_ok, "killed task %llu (%s)",
                                    (unsigned long long)id, svcs[i].name);
            }
        return status_reply(c, m, Supervisor_Status_notFound, "no task %llu that init supervises",
                            (unsigned long long)id);
    }
    case Supervisor_method_memory:
        memory(c, m);
        return;
    case Supervisor_method_caps:
        caps(c, m, &msg);
        return;
    case Supervisor_method_events:
        events_reply(c, m, &msg);
        return;
    case Supervisor_method_reroot:
        reroot(c, m, &msg);
        return;
    case Supervisor_method_halt:
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
    case Supervisor_method_reboot:
        ipc_reply(c, m, 0, 0, 0, 0);
        printf("init: rebooting at the shell's request\n");
        drain_console();
        v_io_out(rt_cap("ioports"), 0xcf9, 1, 0x06);    /* PCI reset control */
        rt_exit(0);
    default:
        if (!capsule_handle(c, m, &msg))     /* capsule methods: capsule.c */
            ipc_send(c, IPC_ERROR | IPC_REPLY, m->hdr.id, 0, 0, 0, 0, 1000000);
    }
}

void control_init(struct ipc_server *srv)
{
    srv->handle = handle;
}
