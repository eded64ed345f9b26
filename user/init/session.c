/*
 * session.c: who may change the system through init's Supervisor.
 *
 * A service grant of "init" whose interfaceId is SupervisorReader's
 * (schema/keys.capnp) is the read-only facet: on a connection made for it
 * only the methods that change nothing are served (and halt/reboot, the
 * console's power button); every other one is `denied`. The shell of a
 * system with a key service starts so (sys/ident.json).
 *
 * The full interface comes through an introduce grant into init: init
 * gives that service (keyd) an accept Ring of its own into init, and each
 * connection keyd makes there is a full Supervisor connection for a
 * logged-in session, named by keyd for the session's service. keyd keeps
 * the connection's originals and hands the session copies, so logging
 * out is revoking them (docs/KEYS.md "The session").
 */
#include <stdio.h>
#include <string.h>

#include "init.h"
#include "schema/keys.capnp.h"
#include "schema/supervisor.capnp.h"

static uint64_t session_vias;   /* bit i: s->listen[i] is an introducer's accept Ring */

void session_listen(struct ipc_server *srv)
{
    for (int i = 0; i < nsvc; i++)
        for (int k = 0; k < svcs[i].ngrants; k++) {
            const struct grant *g = &svcs[i].grants[k];
            if (g->type != G_INTRODUCE || g->svc >= 0 || !g->b || svcs[i].state == S_REFUSED)
                continue;
            int via = ipc_server_listen(srv, (v_handle)g->b);
            if (via < 0)
                printf("init: no room to serve %s's sessions (grant '%s')\n", svcs[i].name,
                       g->name);
            else
                session_vias |= 1ull << via;
        }
}

static bool reader_method(uint16_t k)
{
    switch (k) {
    case Supervisor_method_listTasks:
    case Supervisor_method_listServices:
    case Supervisor_method_memory:
    case Supervisor_method_caps:
    case Supervisor_method_events:
    case Supervisor_method_listCapsules:
    case Supervisor_method_capsuleInfo:
    case Supervisor_method_generations:
    case Supervisor_method_args:
    case Supervisor_method_reroot:
    case Supervisor_method_halt:
    case Supervisor_method_reboot:
        return true;
    }
    return false;
}

/* Whether c was made for a read-only grant: only init introduces on its
 * own accept Ring (via 0), so c->peer is the service's name. */
static bool read_only(const struct ipc_conn *c)
{
    if (session_vias & (1ull << c->via))
        return false;
    int i = svc_find(c->peer);
    if (i < 0)
        return false;   /* not a service's: init's own (as before facets) */
    for (int k = 0; k < svcs[i].ngrants; k++) {
        const struct grant *g = &svcs[i].grants[k];
        if (g->type == G_SERVICE && g->svc < 0)
            return g->iface == SupervisorReader_TYPE_ID;
    }
    return true;
}

bool session_gate(struct ipc_conn *c, const struct ipc_msg *m)
{
    if (reader_method(m->hdr.kind) || !read_only(c))
        return true;
    status_reply(c, m, Supervisor_Status_denied,
                 "needs a logged-in session (login): this connection is read-only");
    return false;
}
