/*
 * mock.c: stand-ins for init's Supervisor and the naming service, so the
 * shell can be driven through the serial console before the real ones
 * exist (image "svcshell", tests/scenarios/shell_mock.scn). Both are
 * served on one accept Ring; a connection's client name says which
 * ("vshell:init" or "vshell:naming").
 *
 * What they answer is real where svctest knows it (Task ids, states,
 * priorities and Reticle use of the services it started) and made up
 * otherwise: a stopped service "demo" that start and stop move between
 * running and stopped, three events, one capability list. halt ends the
 * run (QEMU exits with svctest's status); reboot is only acknowledged.
 */
#include "svctest.h"

#include "schema/naming.capnp.h"
#include "schema/supervisor.capnp.h"

v_handle mock_accept_tx, mock_accept_rx;

static uint8_t out[IPC_PAYLOAD_MAX];
static bool demo_running;
static const char *const tstates[] = {"inactive", "runnable", "blocked", "suspended",
                                      "faulted", "dead"};

static void send_built(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_builder *b,
                       const v_handle *caps, unsigned ncaps)
{
    size_t len;
    const uint8_t *p = capnp_builder_bytes(b, &len);
    ipc_send(c, (uint16_t)(m->hdr.kind | IPC_REPLY), m->hdr.id, p, (uint32_t)len, caps, ncaps,
             1000000);
}

static void text(struct capnp_slot s, const char *t) { capnp_slot_set_text(s, t, strlen(t)); }

static uint64_t used(v_handle reticle)
{
    struct v_capinfo i;
    return v_cap_info(reticle, (uint64_t)&i).err ? 0 : i.size - i.free;
}

static int svc_named(struct capnp_text name)
{
    for (int s = 0; s < NSVC; s++)
        if (svcs[s].running && strlen(svcs[s].name) == name.len &&
            !memcmp(svcs[s].name, name.str, name.len))
            return s;
    return -1;
}

static void status(struct ipc_conn *c, const struct ipc_msg *m, enum Supervisor_Status st,
                   const char *msg)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_StatusReply_B r = Supervisor_StatusReply_build_root(&b);
    Supervisor_StatusReply_set_status(r, st);
    Supervisor_StatusReply_set_message(r, msg, strlen(msg));
    send_built(c, m, &b, 0, 0);
}

/* A hostile init, for the shell's sake: "caps <name>" with these names
 * answers garbage, a pointer out of bounds, text full of terminal
 * escapes, an error reply, or nothing at all. True if it answered. */
static bool hostile(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_text name,
                    Supervisor_caps_Results_B r)
{
    static const uint8_t junk[16] = {0xfd, 0xff, 0xff, 0x7f, 1, 0, 1, 0, 9, 9, 9, 9, 9, 9, 9, 9};
    uint16_t kind = (uint16_t)(m->hdr.kind | IPC_REPLY);
    if (!strcmp(name.str, "evil-junk")) {
        ipc_send(c, kind, m->hdr.id, junk, 13, 0, 0, 1000000);
    } else if (!strcmp(name.str, "evil-bounds")) {
        ipc_send(c, kind, m->hdr.id, junk, 16, 0, 0, 1000000);
    } else if (!strcmp(name.str, "evil-error")) {
        ipc_send(c, IPC_ERROR | IPC_REPLY, m->hdr.id, 0, 0, 0, 0, 1000000);
    } else if (!strcmp(name.str, "evil-silent")) {
        /* no reply: the shell times out, then skips this id if it ever comes */
    } else if (!strcmp(name.str, "evil-escapes")) {
        Supervisor_CapInfo_B o =
            Supervisor_CapInfo_BList_get(Supervisor_caps_Results_init_caps(r, 1), 0);
        const char esc[] = "\x1b[2J\x1b]0;owned\x07\r\nEVIL\x00" "after";
        Supervisor_CapInfo_set_name(o, esc, sizeof esc - 1);
        text(Supervisor_CapInfo_slot_type(o), "\x1b[31mred");
        send_built(c, m, r.s.b, 0, 0);
    } else {
        return false;
    }
    return true;
}

static void supervisor(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    switch (m->hdr.kind) {
    case Supervisor_method_listTasks: {
        Supervisor_TaskInfo_BList l = Supervisor_listTasks_Results_init_tasks(
            Supervisor_listTasks_Results_build_root(&b), NSVC);
        for (int s = 0; s < NSVC; s++) {
            struct v_taskinfo ti = {0};
            v_task_info(svcs[s].child.task, (uint64_t)&ti);
            Supervisor_TaskInfo_B t = Supervisor_TaskInfo_BList_get(l, (uint32_t)s);
            Supervisor_TaskInfo_set_id(t, ti.id);
            Supervisor_TaskInfo_set_name(t, ti.name, strnlen(ti.name, sizeof ti.name));
            text(Supervisor_TaskInfo_slot_state(t), ti.state < 6 ? tstates[ti.state] : "?");
            Supervisor_TaskInfo_set_priority(t, (uint8_t)ti.prio);
            Supervisor_TaskInfo_set_memory(t, used(svcs[s].child.reticle));
            Supervisor_TaskInfo_set_faults(t, ti.faults);
            text(Supervisor_TaskInfo_slot_service(t), svcs[s].name);
        }
        break;
    }
    case Supervisor_method_listServices: {
        Supervisor_ServiceInfo_BList l = Supervisor_listServices_Results_init_services(
            Supervisor_listServices_Results_build_root(&b), NSVC + 1);
        for (int s = 0; s <= NSVC; s++) {
            Supervisor_ServiceInfo_B v = Supervisor_ServiceInfo_BList_get(l, (uint32_t)s);
            if (s == NSVC) {
                text(Supervisor_ServiceInfo_slot_name(v), "demo");
                text(Supervisor_ServiceInfo_slot_state(v), demo_running ? "running" : "stopped");
                text(Supervisor_ServiceInfo_slot_policy(v), "never");
                text(Supervisor_ServiceInfo_slot_reason(v), "a mock service");
                continue;
            }
            struct v_taskinfo ti = {0};
            v_task_info(svcs[s].child.task, (uint64_t)&ti);
            text(Supervisor_ServiceInfo_slot_name(v), svcs[s].name);
            text(Supervisor_ServiceInfo_slot_state(v), st_alive(s) ? "running" : "failed");
            Supervisor_ServiceInfo_set_task(v, ti.id);
            text(Supervisor_ServiceInfo_slot_policy(v), "on-failure");
        }
        break;
    }
    case Supervisor_method_start:
    case Supervisor_method_stop:
    case Supervisor_method_restart: {
        struct capnp_text name = Supervisor_Named_name(Supervisor_Named_read_root(msg));
        if (capnp_msg_error(msg))
            break;
        bool demo = name.len == 4 && !memcmp(name.str, "demo", 4);
        if (!demo && svc_named(name) < 0)
            return status(c, m, Supervisor_Status_notFound, "no such service");
        if (!demo)
            return status(c, m, Supervisor_Status_denied, "the mock leaves real services alone");
        if (m->hdr.kind == Supervisor_method_start && demo_running)
            return status(c, m, Supervisor_Status_badState, "already running");
        if (m->hdr.kind == Supervisor_method_stop && !demo_running)
            return status(c, m, Supervisor_Status_badState, "not running");
        demo_running = m->hdr.kind != Supervisor_method_stop;
        return status(c, m, Supervisor_Status_ok, "");
    }
    case Supervisor_method_kill:
        Supervisor_kill_Params_id(Supervisor_kill_Params_read_root(msg));
        return status(c, m, Supervisor_Status_notFound, "no such task");
    case Supervisor_method_memory: {
        Supervisor_ReticleInfo_BList l = Supervisor_memory_Results_init_reticles(
            Supervisor_memory_Results_build_root(&b), NSVC + 1);
        for (int s = 0; s <= NSVC; s++) {
            v_handle r = s == NSVC ? T : svcs[s].child.reticle;
            struct v_capinfo i = {0};
            v_cap_info(r, (uint64_t)&i);
            Supervisor_ReticleInfo_B o = Supervisor_ReticleInfo_BList_get(l, (uint32_t)s);
            text(Supervisor_ReticleInfo_slot_name(o), s == NSVC ? "svctest" : svcs[s].name);
            Supervisor_ReticleInfo_set_size(o, i.size);
            Supervisor_ReticleInfo_set_free(o, i.free);
        }
        break;
    }
    case Supervisor_method_caps: {
        struct capnp_text name = Supervisor_Named_name(Supervisor_Named_read_root(msg));
        Supervisor_caps_Results_B r = Supervisor_caps_Results_build_root(&b);
        if (capnp_msg_error(msg))
            break;
        if (hostile(c, m, name, r))
            return;
        if (svc_named(name) < 0) {
            Supervisor_caps_Results_set_status(r, Supervisor_Status_notFound);
            break;
        }
        Supervisor_CapInfo_BList l = Supervisor_caps_Results_init_caps(r, 2);
        static const char *const names[] = {"listen", "memory"}, *const types[] = {"ring-recv",
                                                                                 "reticle"};
        for (uint32_t i = 0; i < 2; i++) {
            Supervisor_CapInfo_B o = Supervisor_CapInfo_BList_get(l, i);
            text(Supervisor_CapInfo_slot_name(o), names[i]);
            text(Supervisor_CapInfo_slot_type(o), types[i]);
            Supervisor_CapInfo_set_handle(o, 0x10002u + i);
            Supervisor_CapInfo_set_rights(o, i ? V_R_ALL : V_R_READ | V_R_WRITE);
        }
        break;
    }
    case Supervisor_method_events: {
        uint64_t after = Supervisor_events_Params_after(Supervisor_events_Params_read_root(msg));
        static const char *const ev[] = {"started", "exited with status 1", "restarted"};
        Supervisor_events_Results_B r = Supervisor_events_Results_build_root(&b);
        uint32_t n = after < 3 ? (uint32_t)(3 - after) : 0;
        Supervisor_Event_BList l = Supervisor_events_Results_init_events(r, n);
        for (uint32_t i = 0; i < n; i++) {
            Supervisor_Event_B e = Supervisor_Event_BList_get(l, i);
            Supervisor_Event_set_sequence(e, after + i + 1);
            Supervisor_Event_set_time(e, 1000 * (after + i + 1));
            text(Supervisor_Event_slot_service(e), "demo");
            text(Supervisor_Event_slot_text(e), ev[after + i]);
        }
        Supervisor_events_Results_set_next(r, after + n);
        break;
    }
    case Supervisor_method_halt:
        ipc_send(c, Supervisor_method_halt | IPC_REPLY, m->hdr.id, 0, 0, 0, 0, 1000000);
        printf("svctest: the shell asked for a halt\n");
        fflush(stdout);
        st_sleep_ms(200);
        rt_exit(0);
    case Supervisor_method_reboot:
        printf("svctest: the shell asked for a reboot (the mock ignores it)\n");
        break;
    default:
        ipc_send(c, IPC_ERROR | IPC_REPLY, m->hdr.id, 0, 0, 0, 0, 1000000);
        return;
    }
    if (capnp_msg_error(msg))
        ipc_send(c, IPC_ERROR | IPC_REPLY, m->hdr.id, 0, 0, 0, 0, 1000000);
    else
        send_built(c, m, &b, 0, 0);
}

static void naming(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    struct capnp_text path = m->hdr.kind == Naming_method_resolve
                                 ? Naming_resolve_Params_path(Naming_resolve_Params_read_root(msg))
                                 : Naming_connect_Params_path(Naming_connect_Params_read_root(msg));
    if (capnp_msg_error(msg) || m->hdr.kind > Naming_method_connect) {
        ipc_send(c, IPC_ERROR | IPC_REPLY, m->hdr.id, 0, 0, 0, 0, 1000000);
        return;
    }
    int svc = -1;
    enum { BAD, ROOT, DIR, SVC, MISSING } k = MISSING;
    if (path.len < 4 || memcmp(path.str, "SYS:", 4))
        k = BAD;
    else if (!strcmp(path.str, "SYS:") || !strcmp(path.str, "SYS:/"))
        k = ROOT;
    else if (!strcmp(path.str, "SYS:svc") || !strcmp(path.str, "SYS:svc/"))
        k = DIR;
    else if (!strncmp(path.str, "SYS:svc/", 8)) {
        struct capnp_text n = {path.str + 8, path.len - 8};
        if ((svc = svc_named(n)) >= 0 && svc != SVC_SHELL)
            k = SVC;
    }
    if (m->hdr.kind == Naming_method_connect) {
        Naming_connect_Results_B r = Naming_connect_Results_build_root(&b);
        v_handle client[2];
        if (k != SVC) {
            Naming_connect_Results_set_status(r, k == BAD ? Naming_Status_badPath
                                                          : Naming_Status_notFound);
            send_built(c, m, &b, 0, 0);
        } else if (ipc_introduce(T, svcs[svc].accept_tx, "vshell", client)) {
            Naming_connect_Results_set_status(r, Naming_Status_unavailable);
            send_built(c, m, &b, 0, 0);
        } else {
            Naming_connect_Results_set_status(r, Naming_Status_ok);
            send_built(c, m, &b, client, 2);
        }
        return;
    }
    Naming_Resolution_B r =
        Naming_resolve_Results_init_result(Naming_resolve_Results_build_root(&b));
    switch (k) {
    case BAD:
        Naming_Resolution_set_status(r, Naming_Status_badPath);
        break;
    case MISSING:
        Naming_Resolution_set_status(r, Naming_Status_notFound);
        break;
    case ROOT:
        text(capnp_lslot(Naming_Resolution_directory_init_entries(
                             Naming_Resolution_init_directory(r), 1),
                         0),
             "svc");
        break;
    case DIR: {
        struct capnp_lbuilder l =
            Naming_Resolution_directory_init_entries(Naming_Resolution_init_directory(r), 3);
        for (uint32_t i = 0; i < 3; i++)
            text(capnp_lslot(l, i), svcs[i].name);
        break;
    }
    case SVC: {
        Naming_Resolution_service_B s = Naming_Resolution_init_service(r);
        Naming_Resolution_service_set_provider(s, svcs[svc].name, strlen(svcs[svc].name));
        break;
    }
    }
    send_built(c, m, &b, 0, 0);
}

static void handle(struct ipc_server *s, struct ipc_conn *c, struct ipc_msg *m)
{
    (void)s;
    for (unsigned i = 0; i < m->ncaps; i++)
        v_cap_delete(m->caps[i]);
    static const uint8_t empty[8];
    struct capnp_msg msg;
    if (m->hdr.len ? capnp_msg_init_flat(&msg, m->data, m->hdr.len)
                   : capnp_msg_init_flat(&msg, empty, 8)) {
        ipc_send(c, IPC_ERROR | IPC_REPLY, m->hdr.id, 0, 0, 0, 0, 1000000);
        return;
    }
    size_t n = strlen(c->peer);
    if (n > 7 && !strcmp(c->peer + n - 7, ":naming"))
        naming(c, m, &msg);
    else
        supervisor(c, m, &msg);
}

void mock_serve_shell(void)
{
    static struct ipc_server srv;
    if (ipc_server_init(&srv, mock_accept_rx)) {
        printf("svctest: cannot serve the mocks\n");
        return;
    }
    srv.handle = handle;
    ipc_serve(&srv, V_TIMEOUT_NEVER);
}
