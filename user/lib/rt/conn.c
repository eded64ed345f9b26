/*
 * conn.c: client connections that reconnect themselves (see conn.h).
 * Lifted from the shell, which was its first user; any Task whose
 * services may restart under it can use it.
 */
#include "conn.h"

#include <stdio.h>
#include <string.h>

#include "capnp/capnp.h"
#include "schema/naming.capnp.h"
#include "schema/supervisor.capnp.h"

#define ASK_TIMEOUT_US 2000000

static struct named_conn {
    char name[V_BUNDLE_NAME];
    struct ipc_conn c;
    enum { C_UNTRIED, C_OPEN, C_LOST, C_ABSENT } state;
} conns[RT_CONN_MAX];

static char lost_why[128];

const char *rt_conn_why(void) { return lost_why; }

int rt_call_skip(struct ipc_conn *c, uint16_t method, const void *p, size_t len,
                 struct ipc_msg *reply, uint64_t timeout_us, bool *unsent)
{
    uint64_t id = c->next_id++;
    int st = ipc_send(c, method, id, p, (uint32_t)len, 0, 0, timeout_us);
    if (unsent)
        *unsent = st != IPC_OK;
    while (!st) {
        if ((st = ipc_recv(c, reply, timeout_us)))
            break;
        if (reply->hdr.id >= id)
            return reply->hdr.id == id && (reply->hdr.kind & IPC_REPLY) ? IPC_OK : IPC_CORRUPT;
        for (unsigned i = 0; i < reply->ncaps; i++)   /* a late reply: skip it */
            v_cap_delete(reply->caps[i]);
    }
    return st;
}

static struct named_conn *find_conn(const char *name)
{
    for (unsigned i = 0; i < RT_CONN_MAX; i++)
        if (conns[i].state != C_UNTRIED && !strcmp(conns[i].name, name))
            return &conns[i];
    for (unsigned i = 0; i < RT_CONN_MAX; i++)
        if (conns[i].state == C_UNTRIED) {
            strlcpy(conns[i].name, name, sizeof conns[i].name);
            /* given but already closed (its service restarted before the
             * first use): lost, so it is made again through SYS: */
            conns[i].state = ipc_open(name, &conns[i].c) == IPC_OK ? C_OPEN
                             : rt_cap(name)                        ? C_LOST
                                                                   : C_ABSENT;
            return &conns[i];
        }
    return 0;
}

static bool is_root(const char *name)
{
    size_t n = strlen(name);
    return n > 1 && name[n - 1] == ':';
}

static void lose(struct named_conn *n)
{
    if (n->state == C_OPEN)
        ipc_detach(&n->c);
    n->state = C_LOST;
}

/* Ask over via for a connection, with method's request p (Naming.connect
 * or Supervisor.reroot), and attach n to the two ends the ok reply
 * carries. *via_closed (optional): via was closed before the request went
 * out, so asking again on a new via is safe. */
static bool ask_conn(struct named_conn *via, uint16_t method, const uint8_t *p, size_t len,
                     struct named_conn *n, bool *via_closed)
{
    static struct ipc_msg reply;
    bool unsent;
    int st = rt_call_skip(&via->c, method, p, len, &reply, ASK_TIMEOUT_US, &unsent);
    if (via_closed)
        *via_closed = st == IPC_CLOSED && unsent;
    if (st == IPC_CLOSED || st == IPC_CORRUPT)
        lose(via);
    if (st)
        return false;
    struct capnp_msg msg;
    bool ok = reply.hdr.kind == (method | IPC_REPLY) &&
              !capnp_msg_init_flat(&msg, reply.data, reply.hdr.len);
    if (ok && method == Supervisor_method_reroot) {
        Supervisor_StatusReply_R r = Supervisor_StatusReply_read_root(&msg);
        struct capnp_text why = Supervisor_StatusReply_message(r);
        ok = Supervisor_StatusReply_status(r) == Supervisor_Status_ok;
        if (!ok && why.str)
            snprintf(lost_why, sizeof lost_why, "init: %.*s", (int)why.len, why.str);
    } else if (ok) {
        ok = Naming_connect_Results_status(Naming_connect_Results_read_root(&msg)) ==
             Naming_Status_ok;
    }
    ok = ok && reply.ncaps == 2 && !capnp_msg_error(&msg) &&
         ipc_attach(&n->c, reply.caps[0], reply.caps[1]) == IPC_OK;
    if (!ok)
        for (unsigned i = 0; i < reply.ncaps; i++)
            v_cap_delete(reply.caps[i]);
    if (ok)
        n->state = C_OPEN;
    return ok;
}

/* A lost naming root, made again by init (Supervisor.reroot): its naming
 * service restarted, and only init can connect the Task to the new one. */
static bool reroot(struct named_conn *root)
{
    struct named_conn *init = find_conn("init");
    if (!init || init->state != C_OPEN)
        return false;
    uint8_t buf[64];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Supervisor_Named_set_name(Supervisor_Named_build_root(&b), root->name,
                                      strlen(root->name));
    size_t len;
    const uint8_t *p = capnp_builder_bytes(&b, &len);
    return ask_conn(init, Supervisor_method_reroot, p, len, root, 0);
}

/* A lost connection, made again: a root through init, a service through
 * the naming root (SYS:svc/<name>), remaking the root first if it is gone. */
static bool reconnect(struct named_conn *n)
{
    if (is_root(n->name))
        return reroot(n);
    struct named_conn *root = find_conn("SYS:");
    if (!root || (root->state == C_LOST && !reroot(root)) || root->state != C_OPEN)
        return false;
    char path[64];
    snprintf(path, sizeof path, "SYS:svc/%s", n->name);
    uint8_t buf[128];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Naming_connect_Params_set_path(Naming_connect_Params_build_root(&b), path, strlen(path));
    size_t len;
    const uint8_t *p = capnp_builder_bytes(&b, &len);
    bool root_closed;
    if (ask_conn(root, Naming_method_connect, p, len, n, &root_closed))
        return true;
    /* the root died with its naming service and nobody had noticed */
    return root_closed && reroot(root) && ask_conn(root, Naming_method_connect, p, len, n, 0);
}

/* Whether both ends of an open connection still exist. A connection the
 * naming service made is carved from its memory, so its Rings are
 * destroyed (and unmapped) when that service stops or restarts: touching
 * them then would fault the Task, so it must be found lost first. */
static bool ends_exist(const struct ipc_conn *c)
{
    struct v_capinfo info;
    return !v_cap_info(c->tx, (uint64_t)&info).err && !v_cap_info(c->rx, (uint64_t)&info).err;
}

/* Connections handed over at run time (rt_conn_adopt) that stand in for
 * a Bundle name while both their ends exist. */
#define ADOPT_MAX 4
static struct adopted {
    char name[V_BUNDLE_NAME];
    struct ipc_conn c;
    bool used;
} adopted[ADOPT_MAX];

static struct adopted *find_adopted(const char *name)
{
    for (unsigned i = 0; i < ADOPT_MAX; i++)
        if (adopted[i].used && !strcmp(adopted[i].name, name))
            return &adopted[i];
    return 0;
}

int rt_conn_adopt(const char *name, v_handle tx, v_handle rx)
{
    rt_conn_drop(name);
    for (unsigned i = 0; i < ADOPT_MAX; i++)
        if (!adopted[i].used) {
            int e = ipc_attach(&adopted[i].c, tx, rx);
            if (e) {
                v_cap_delete(tx);
                v_cap_delete(rx);
                return e;
            }
            strlcpy(adopted[i].name, name, sizeof adopted[i].name);
            adopted[i].used = true;
            return IPC_OK;
        }
    v_cap_delete(tx);
    v_cap_delete(rx);
    return RT_CONN_FULL;
}

bool rt_conn_adopted(const char *name)
{
    struct adopted *a = find_adopted(name);
    return a && ends_exist(&a->c);
}

void rt_conn_drop(const char *name)
{
    struct adopted *a = find_adopted(name);
    if (a) {
        ipc_detach(&a->c);  /* ends already revoked: stale handles, refused harmlessly */
        a->used = false;
    }
}

/* name's adopted connection if it still stands (a revoked one is dropped:
 * the Bundle's comes back). */
static struct ipc_conn *standing(const char *name)
{
    struct adopted *a = find_adopted(name);
    if (a && !ends_exist(&a->c))
        rt_conn_drop(name);
    return a && a->used ? &a->c : 0;
}

int rt_conn_get(const char *name, bool any, struct ipc_conn **out)
{
    if ((*out = standing(name)))
        return IPC_OK;
    struct named_conn *n = find_conn(name);
    if (!n)
        return RT_CONN_FULL;
    if (any && n->state == C_ABSENT && !is_root(name))
        n->state = C_LOST;      /* not in the Bundle: made through SYS:svc/<name> */
    lost_why[0] = 0;
    if (n->state == C_OPEN && !ends_exist(&n->c))
        lose(n);
    if (n->state == C_LOST && !reconnect(n))
        return IPC_CLOSED;
    if (n->state == C_ABSENT)
        return RT_CONN_ABSENT;
    *out = &n->c;
    return IPC_OK;
}

int rt_conn_call(const char *name, bool any, uint16_t method, const void *p, size_t len,
                 struct ipc_msg *reply, uint64_t timeout_us)
{
    struct ipc_conn *c;
    int st = rt_conn_get(name, any, &c);
    if (st)
        return st;
    if (c == standing(name)) {     /* adopted: not made again if lost */
        st = rt_call_skip(c, method, p, len, reply, timeout_us, 0);
        if (st == IPC_CLOSED || st == IPC_CORRUPT)
            rt_conn_drop(name);
        return st;
    }
    struct named_conn *n = find_conn(name);
    bool unsent;
    st = rt_call_skip(c, method, p, len, reply, timeout_us, &unsent);
    if (st == IPC_CLOSED && unsent) {
        /* closed before the request went out (the service restarted):
         * nothing was sent, so asking again on a new connection is safe */
        lose(n);
        if (reconnect(n))
            st = rt_call_skip(&n->c, method, p, len, reply, timeout_us, 0);
    }
    if (st == IPC_CLOSED || st == IPC_CORRUPT)
        lose(n);
    return st;
}
