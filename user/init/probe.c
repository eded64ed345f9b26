/*
 * probe.c: the readiness probe of an upgrade's window (upgrade.c). If
 * the new version's capsule provides a service, init connects to it
 * through its accept Ring and sends one READY_PROBE request, a method no
 * interface defines; any reply (IPC_ERROR included) proves the instance
 * accepts connections and serves them. The probe's doorbell is among the
 * server's extra bits, so its answer is timed when it arrives.
 *
 * Owns: probes_all()[] (one connection per service at most, open only while
 * its window is).
 */
#include <string.h>

#include "capsvc.h"

static struct {
    struct ipc_conn conn;
    bool probing, answered;
    uint64_t t0, ready_cycles;   /* the switch's start; to the answer */
} *probes_tab;

/* One entry per service (svc_table), made at the first use, once the
 * manifest has said how many there are. */
static typeof(probes_tab) probes_all(void)
{
    if (!probes_tab)
        probes_tab = svc_table(sizeof *probes_tab);
    return probes_tab;
}
static struct ipc_server *server;

void probe_init(struct ipc_server *srv) { server = srv; }

void probe_start(struct service *s, uint64_t t0)
{
    typeof(&probes_all()[0]) p = &probes_all()[s - svcs];
    p->probing = p->answered = false;
    p->ready_cycles = 0;
    p->t0 = t0;
    memset(&p->conn, 0, sizeof p->conn);
    if (!capsule_manifest_count(&capsule_at(capsule_cur(s))->m, CAPSULE_PROVIDES))
        return;                 /* nothing to ask: staying alive is enough */
    p->probing = true;          /* from here on, an answer is needed */
    v_handle client[2];
    if (ipc_introduce(init_memory, s->accept_tx, "init", client) != IPC_OK)
        return;
    if (ipc_attach(&p->conn, client[0], client[1]) != IPC_OK ||
        ipc_send(&p->conn, READY_PROBE, 1, 0, 0, 0, 0, 0) != IPC_OK) {
        ipc_detach(&p->conn);
        return;
    }
    ring_set_sleeping(&p->conn.in, true);
    if (server)
        server->extra_bits |= ipc_bits(&p->conn);
}

void probe_poll(struct service *s)
{
    typeof(&probes_all()[0]) p = &probes_all()[s - svcs];
    if (!p->probing || p->answered || !p->conn.rx)
        return;
    static struct ipc_msg m;
    if (ipc_try_recv(&p->conn, &m) == IPC_OK) {
        for (unsigned i = 0; i < m.ncaps; i++)
            v_cap_delete(m.caps[i]);
        if (m.hdr.kind & IPC_REPLY) {
            p->answered = true;
            p->ready_cycles = rdtsc() - p->t0;
        }
    }
    if (!p->answered)
        ring_set_sleeping(&p->conn.in, true);
}

bool probe_pending(const struct service *s)
{
    return probes_all()[s - svcs].probing && !probes_all()[s - svcs].answered;
}

bool probe_answered(const struct service *s, uint64_t *cycles)
{
    *cycles = probes_all()[s - svcs].ready_cycles;
    return probes_all()[s - svcs].answered;
}

void probe_stop(struct service *s)
{
    typeof(&probes_all()[0]) p = &probes_all()[s - svcs];
    if (p->conn.tx || p->conn.rx) {
        if (server)
            server->extra_bits &= ~ipc_bits(&p->conn);
        ipc_detach(&p->conn);
    }
    memset(&p->conn, 0, sizeof p->conn);
    p->probing = false;
}
