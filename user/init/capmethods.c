/*
 * capmethods.c: the Supervisor's capsule methods (schema/supervisor.capnp):
 * listCapsules, capsuleInfo, capsuleStart, capsuleStop (upgrade and
 * rollback are upgrade.c's); control.c's table dispatches to them. They
 * read the verification results (capsule.c), the bindings (capbind.c),
 * what the monitor and upgrades last saw, and change services only
 * through the lifecycle.
 */
#include <stdio.h>
#include <string.h>

#include "capsvc.h"
#include "schema/supervisor.capnp.h"

static uint8_t out[IPC_PAYLOAD_MAX] __attribute__((aligned(8)));

static void set_text(struct capnp_slot slot, const char *s)
{
    capnp_slot_set_text(slot, s, strlen(s));
}

static void intent_line(const struct capsule *c, char *buf, size_t n)
{
    const struct profile *p = &c->prof;
    size_t k = 0;
    buf[0] = 0;
#define ADD(...) (k += (size_t)snprintf(buf + k, k < n ? n - k : 0, __VA_ARGS__))
    ADD("syscalls ");
    if (!p->classes_declared)
        ADD("undeclared");
    for (int i = 0, first = 1; i < V_NCLASSES; i++)
        if (p->classes & (1u << i)) {
            ADD("%s%s", first ? "" : ",", class_name(i));
            first = 0;
        }
    if (p->mem_max)
        ADD("; mem_max %llu", (unsigned long long)p->mem_max);
    for (unsigned i = 0; i < p->nrates; i++)
        ADD("; %s %u/s burst %u%s", p->rate[i].what, p->rate[i].per_sec, p->rate[i].burst,
            p->rate[i].counter < 0 ? " (not measured)" : "");
#undef ADD
}

/* Detail levels: 2 everything (capsule info), 1 a list line (the short
 * reason), 0 the least that still says what is what. */
static void fill(Supervisor_CapsuleInfo_B e, int k, int level)
{
    const struct capsule *c = capsule_at(k);
    bool prev;
    int u = capsule_user_of(k, &prev);
    const char *state = !c->valid ? "refused" : k == capsule_system_index() ? "system" : u < 0 ? "valid"
                      : prev ? "previous"
                      : svcs[u].state == S_RUNNING ? "active"
                                                   : svc_state_names[svcs[u].state];
    const char *reason = !c->valid ? (level == 2 ? c->reason : c->brief)
                       : (u >= 0 && !prev && svcs[u].state == S_QUARANTINED) ? svcs[u].reason
                                                                            : upgrade_note(k);
    char dom[4] = {'D', (char)('0' + (c->domain < 5 ? c->domain : 9)), 0};
    Supervisor_CapsuleInfo_set_name(e, c->name, strlen(c->name));
    Supervisor_CapsuleInfo_set_version(e, c->ver, strlen(c->ver));
    if (c->have_vcid)
        Supervisor_CapsuleInfo_set_vcid(e, c->vcid, 32);
    Supervisor_CapsuleInfo_set_domain(e, c->manifest_ok ? dom : "?", c->manifest_ok ? 2 : 1);
    Supervisor_CapsuleInfo_set_state(e, state, strlen(state));
    if (u >= 0)
        Supervisor_CapsuleInfo_set_service(e, svcs[u].name, strlen(svcs[u].name));
    if (level < 1)
        return;
    Supervisor_CapsuleInfo_set_reason(e, reason, strlen(reason));
    Supervisor_CapsuleInfo_set_module(e, c->module, strlen(c->module));
    if (level < 2)
        return;
    Supervisor_CapsuleInfo_set_signer(e, c->signer, strlen(c->signer));
    if (c->manifest_ok) {
        static const enum capsule_list lists[2] = {CAPSULE_REQUIRES, CAPSULE_PROVIDES};
        for (int w = 0; w < 2; w++) {
            uint32_t n = capsule_manifest_count(&c->m, lists[w]);
            struct capnp_lbuilder l = w ? Supervisor_CapsuleInfo_init_provides(e, n)
                                        : Supervisor_CapsuleInfo_init_requires(e, n);
            for (uint32_t i = 0; i < n; i++) {
                char item[72];
                capsule_text(item, sizeof item, capsule_manifest_item(&c->m, lists[w], i));
                set_text(capnp_lslot(l, i), item);
            }
        }
    }
    if (c->valid) {
        char line[200];
        intent_line(c, line, sizeof line);
        Supervisor_CapsuleInfo_set_intent(e, line, strlen(line));
    }
    if (c->nvouch) {
        struct capnp_lbuilder l = Supervisor_CapsuleInfo_init_vouchers(e, c->nvouch);
        for (unsigned i = 0; i < c->nvouch; i++)
            set_text(capnp_lslot(l, i), c->vouch[i]);
    }
    const char *ctr = u >= 0 && !prev ? monitor_counters(&svcs[u]) : "";
    if (ctr[0])
        Supervisor_CapsuleInfo_set_counters(e, ctr, strlen(ctr));
}

/* The list, or one capsule's versions in detail; what does not fit one
 * message is sent with fewer details rather than not at all. */
static void send_list(struct ipc_conn *c, const struct ipc_msg *m, const char *only)
{
    int idx[MAX_CAPSULES], n = 0;
    for (int k = 0; k < capsule_count(); k++)
        if (!only || !strcmp(capsule_at(k)->name, only))
            idx[n++] = k;
    for (int level = only ? 2 : 1; level >= 0; level--) {
        struct capnp_builder b;
        capnp_builder_init(&b, out, sizeof out);
        Supervisor_CapsuleInfo_BList l;
        if (only) {
            Supervisor_capsuleInfo_Results_B r = Supervisor_capsuleInfo_Results_build_root(&b);
            Supervisor_capsuleInfo_Results_set_status(r, n ? Supervisor_Status_ok
                                                           : Supervisor_Status_notFound);
            l = Supervisor_capsuleInfo_Results_init_capsules(r, (uint32_t)n);
        } else {
            l = Supervisor_listCapsules_Results_init_capsules(
                Supervisor_listCapsules_Results_build_root(&b), (uint32_t)n);
        }
        for (int i = 0; i < n; i++)
            fill(Supervisor_CapsuleInfo_BList_get(l, (uint32_t)i), idx[i], level);
        if (!capnp_builder_error(&b) || !level) {
            ipc_reply_caps(c, m->hdr.kind, m->hdr.id, &b, 0, 0);
            return;
        }
    }
}



void serve_listCapsules(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    (void)msg;
    send_list(c, m, 0);
}

void serve_capsuleInfo(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    struct capnp_text t =
        Supervisor_Named_name(Supervisor_Named_read_root(msg));
    const char *name = t.str && !capnp_msg_error(msg) ? t.str : "";
    struct service *s = service_for(t);
    if (s && svc_find(name) >= 0)
        name = capsule_name_of(s);          /* a service's name: its capsule */
    send_list(c, m, name);
}

/* The capsule service a Supervisor.Named names, or 0. */
static struct service *named_capsule(struct capnp_msg *msg)
{
    struct capnp_text t = Supervisor_Named_name(Supervisor_Named_read_root(msg));
    return capnp_msg_error(msg) ? 0 : service_for(t);
}

void serve_capsuleStart(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    struct service *s = named_capsule(msg);
    if (!s)
        return status_reply(c, m, Supervisor_Status_notFound,
                            "no service runs a capsule of that name");
    if (s->state == S_RUNNING || s->state == S_REFUSED)
        return status_reply(c, m, Supervisor_Status_badState, "'%s' is %s", s->name,
                            svc_state_names[s->state]);
    bool was_q = s->state == S_QUARANTINED;
    char note[160];
    if (capbench_reverify(s, note, sizeof note))
        return status_reply(c, m, Supervisor_Status_denied, "%s", note);
    if (svc_start_fresh(s))
        return status_reply(c, m, Supervisor_Status_failed, "%s", s->reason);
    event(s->name, "started by request (%s, task %llu)%s", capsule_of(s),
          (unsigned long long)s->task_id, was_q ? ", quarantine lifted" : "");
    status_reply(c, m, Supervisor_Status_ok, "started '%s' (%s, task %llu)%s", s->name,
                 capsule_of(s), (unsigned long long)s->task_id, note);
    monitor_arm();
}

void serve_capsuleStop(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    struct service *s = named_capsule(msg);
    if (!s)
        return status_reply(c, m, Supervisor_Status_notFound,
                            "no service runs a capsule of that name");
    if (s->state != S_RUNNING && s->state != S_WAITING)
        return status_reply(c, m, Supervisor_Status_badState, "'%s' is %s", s->name,
                            svc_state_names[s->state]);
    svc_stop(s, "by request");
    upgrade_cancel(s, "was stopped by request");
    status_reply(c, m, Supervisor_Status_ok, "stopped '%s' (%s)", s->name, capsule_of(s));
}
