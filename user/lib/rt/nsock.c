/*
 * nsock.c: see nsock.h. The socket's event Ring is read only here
 * (nsock_poll): replies settle the outstanding request, events set eof,
 * err or queue an accepted connection, and at most one data message is
 * held in rbuf - the rest stay on the Ring, so a client that does not
 * read closes TCP's window instead of growing a buffer. Both sleeping
 * words are set once: every message and every freed slot rings the peer.
 */
#include "nsock.h"

#include <string.h>

#include "capnp/capnp.h"

/* A small message being built: every request, reply and event here is
 * a few words. */
struct built {
    uint64_t buf[8];
    struct capnp_builder b;
};
static struct capnp_builder *built_init(struct built *x)
{
    capnp_builder_init(&x->b, x->buf, sizeof x->buf);
    return &x->b;
}

static int from_ipc(int e)
{
    return e == IPC_OK ? 0 : e == IPC_CLOSED ? NSOCK_DISCONNECTED
         : e == IPC_NOBITS ? NSOCK_NOBITS : e == IPC_EMPTY ? NSOCK_AGAIN : NSOCK_PROTO;
}

int net_adopt(struct net *n, v_handle tx, v_handle rx) { return from_ipc(ipc_attach(&n->c, tx, rx)); }
int net_open(struct net *n, const char *name) { return from_ipc(ipc_open(name, &n->c)); }
void net_close(struct net *n) { ipc_detach(&n->c); }

static int attach(struct nsock *s, v_handle tx, v_handle rx, enum Net_Type type)
{
    memset(s, 0, offsetof(struct nsock, rbuf));
    int e = ipc_attach(&s->c, tx, rx);
    if (e) {
        v_cap_delete(tx);
        v_cap_delete(rx);
        return from_ipc(e);
    }
    ring_set_sleeping(&s->c.in, true);
    ring_set_sleeping(&s->c.out, true);
    s->type = type;
    s->wait_kind = 0xffff;
    return 0;
}

int nsock_open(struct net *n, enum Net_Type type, struct nsock *s)
{
    struct built x;
    struct capnp_builder *b = built_init(&x);
    Net_socket_Params_set_type(Net_socket_Params_build_root(b), type);
    size_t len;
    const uint8_t *p = capnp_builder_bytes(b, &len);
    static struct ipc_msg rep;
    int e = ipc_call(&n->c, Net_method_socket, p, (uint32_t)len, 0, 0, &rep, 2000000);
    if (e)
        return from_ipc(e);
    struct capnp_msg m;
    enum NetStatus st = NetStatus_badRequest;
    if (rep.hdr.kind == (Net_method_socket | IPC_REPLY) &&
        capnp_msg_init_flat(&m, rep.data, rep.hdr.len) == 0) {
        st = Net_socket_Results_status(Net_socket_Results_read_root(&m));
        if (capnp_msg_error(&m))
            st = NetStatus_badRequest;
    }
    if (st == NetStatus_ok && rep.ncaps == 2)
        return attach(s, rep.caps[0], rep.caps[1], type);
    for (unsigned i = 0; i < rep.ncaps; i++)
        v_cap_delete(rep.caps[i]);
    return st == NetStatus_ok ? NSOCK_PROTO : NSOCK_STATUS(st);
}

/* A request without waiting: the Ring has room or it is NSOCK_AGAIN. */
static int request(struct nsock *s, uint16_t kind, const void *p, uint32_t len)
{
    struct ring_slot *slot;
    if (s->c.closed)
        return NSOCK_DISCONNECTED;
    enum ring_status rs = ring_reserve(&s->c.out, &slot);
    if (rs == RING_FULL)
        return NSOCK_AGAIN;
    if (rs == RING_CLOSED)
        return NSOCK_DISCONNECTED;
    if (rs != RING_OK)
        return NSOCK_PROTO;
    uint64_t id = s->c.next_id++;
    int e = ipc_send(&s->c, kind, id, p, len, 0, 0, 0);
    if (e)
        return from_ipc(e);
    if (kind != Socket_method_send) {
        s->wait_kind = kind;
        s->wait_id = id;
        s->wait_result = NSOCK_INPROGRESS;
    }
    return 0;
}

static int request_built(struct nsock *s, uint16_t kind, struct capnp_builder *b)
{
    if (s->err)
        return s->err;
    if (s->wait_kind != 0xffff && s->wait_result == NSOCK_INPROGRESS)
        return NSOCK_AGAIN;     /* one request at a time */
    size_t len;
    const uint8_t *p = capnp_builder_bytes(b, &len);
    int e = request(s, kind, p, (uint32_t)len);
    return e ? e : NSOCK_INPROGRESS;
}

int nsock_connect(struct nsock *s, uint32_t addr, uint16_t port)
{
    struct built x;
    struct capnp_builder *b = built_init(&x);
    Socket_connect_Params_B p = Socket_connect_Params_build_root(b);
    Socket_connect_Params_set_addr(p, addr);
    Socket_connect_Params_set_port(p, port);
    return request_built(s, Socket_method_connect, b);
}

int nsock_listen(struct nsock *s, uint16_t port, uint8_t backlog)
{
    struct built x;
    struct capnp_builder *b = built_init(&x);
    Socket_listen_Params_B p = Socket_listen_Params_build_root(b);
    Socket_listen_Params_set_port(p, port);
    Socket_listen_Params_set_backlog(p, backlog);
    return request_built(s, Socket_method_listen, b);
}

int nsock_shutdown(struct nsock *s, enum Socket_How how)
{
    struct built x;
    struct capnp_builder *b = built_init(&x);
    Socket_shutdown_Params_set_how(Socket_shutdown_Params_build_root(b), how);
    return request_built(s, Socket_method_shutdown, b);
}

int nsock_set_option(struct nsock *s, enum Socket_Option opt, uint32_t value)
{
    struct built x;
    struct capnp_builder *b = built_init(&x);
    Socket_setOption_Params_B p = Socket_setOption_Params_build_root(b);
    Socket_setOption_Params_set_option(p, opt);
    Socket_setOption_Params_set_value(p, value);
    return request_built(s, Socket_method_setOption, b);
}

static void on_reply(struct nsock *s, const struct ipc_msg *m)
{
    uint16_t method = (uint16_t)(m->hdr.kind & ~IPC_REPLY);
    if (method != s->wait_kind || m->hdr.id != s->wait_id)
        return;                 /* a reply to nothing we wait for */
    struct capnp_msg msg;
    enum NetStatus st = NetStatus_badRequest;
    if (capnp_msg_init_flat(&msg, m->data, m->hdr.len) == 0) {
        /* every Socket Results struct has its status at offset 0 */
        st = Socket_connect_Results_status(Socket_connect_Results_read_root(&msg));
        if (method == Socket_method_listen)
            s->port = Socket_listen_Results_port(Socket_listen_Results_read_root(&msg));
        if (capnp_msg_error(&msg))
            st = NetStatus_badRequest;
    }
    s->wait_result = st == NetStatus_ok ? 0 : NSOCK_STATUS(st);
    if (st != NetStatus_ok && method == Socket_method_connect)
        s->err = s->wait_result;
}

static void on_event(struct nsock *s, struct ipc_msg *m)
{
    struct capnp_msg msg;
    if (capnp_msg_init_flat(&msg, m->data, m->hdr.len)) {
        s->err = NSOCK_PROTO;
        return;
    }
    Socket_Event_R e = Socket_Event_read_root(&msg);
    enum Socket_EventKind k = Socket_Event_kind(e);
    enum NetStatus st = Socket_Event_status(e);
    if (capnp_msg_error(&msg))
        s->err = NSOCK_PROTO;
    else if (k == Socket_EventKind_peerClosed)
        s->eof = true;
    else if (k == Socket_EventKind_failed && !s->err)
        s->err = NSOCK_STATUS(st);
    else if (k == Socket_EventKind_accepted && m->ncaps == 2 && s->nacc < NSOCK_BACKLOG) {
        s->acc[s->nacc][0] = m->caps[0];
        s->acc[s->nacc][1] = m->caps[1];
        s->nacc++;
        m->ncaps = 0;
    }
    for (unsigned i = 0; i < m->ncaps; i++)
        v_cap_delete(m->caps[i]);
}

int nsock_poll(struct nsock *s)
{
    static struct ipc_msg m;
    for (;;) {
        if (s->c.closed)
            return NSOCK_DISCONNECTED;
        const struct ring_slot *slot;
        enum ring_status rs = ring_peek(&s->c.in, &slot);
        if (rs == RING_EMPTY)
            return 0;
        if (rs == RING_OK && slot->kind == Socket_kindData && s->roff < s->rlen)
            return 0;           /* the held data first */
        int e = ipc_try_recv(&s->c, &m);
        if (e == IPC_EMPTY)
            return 0;
        if (e) {
            if (!s->err)
                s->err = from_ipc(e);
            s->c.closed = true;
            return s->err;
        }
        if (m.hdr.kind == Socket_kindData) {
            memcpy(s->rbuf, m.data, m.hdr.len);
            s->roff = 0;
            s->rlen = m.hdr.len;
        } else if (m.hdr.kind == Socket_kindEvent)
            on_event(s, &m);
        else if (m.hdr.kind & IPC_REPLY)
            on_reply(s, &m);
        for (unsigned i = 0; i < m.ncaps && m.hdr.kind != Socket_kindEvent; i++)
            v_cap_delete(m.caps[i]);
    }
}

/* Done with the stack: a closed Ring is the stack gone, unless the socket
 * had already failed with a reason of its own. */
static int status(struct nsock *s)
{
    int e = nsock_poll(s);
    return e ? e : s->err;
}

int nsock_done(struct nsock *s)
{
    int e = status(s);
    if (s->wait_kind == 0xffff)
        return e;
    if (s->wait_result != NSOCK_INPROGRESS)
        return s->wait_result;
    return e ? e : NSOCK_INPROGRESS;
}

int nsock_accept(struct nsock *l, struct nsock *out)
{
    int e = status(l);
    if (!l->nacc)
        return e ? e : NSOCK_AGAIN;
    v_handle tx = l->acc[0][0], rx = l->acc[0][1];
    l->nacc--;
    memmove(l->acc[0], l->acc[1], sizeof l->acc[0] * l->nacc);
    return attach(out, tx, rx, Net_Type_tcp);
}

int nsock_send(struct nsock *s, const void *buf, uint32_t len)
{
    int e = status(s);
    if (e)
        return e;
    uint32_t max = ring_payload_max(&s->c.out), done = 0;
    if (max > IPC_PAYLOAD_MAX)
        max = IPC_PAYLOAD_MAX;
    while (done < len) {
        uint32_t n = len - done < max ? len - done : max;
        e = request(s, Socket_method_send, (const uint8_t *)buf + done, n);
        if (e)
            return done ? (int)done : e;
        done += n;
    }
    return (int)done;
}

int nsock_recv(struct nsock *s, void *buf, uint32_t len)
{
    int e = nsock_poll(s);
    if (s->roff == s->rlen) {
        if (s->err)
            return s->err;
        if (e)
            return e;
        return s->eof ? 0 : NSOCK_AGAIN;
    }
    uint32_t n = s->rlen - s->roff < len ? s->rlen - s->roff : len;
    memcpy(buf, s->rbuf + s->roff, n);
    s->roff += n;
    if (s->roff == s->rlen)
        nsock_poll(s);          /* the next data message, now there is room */
    return (int)n;
}

void nsock_close(struct nsock *s)
{
    for (unsigned i = 0; i < s->nacc; i++) {
        v_cap_delete(s->acc[i][0]);
        v_cap_delete(s->acc[i][1]);
    }
    s->nacc = 0;
    ipc_detach(&s->c);
}

const char *nsock_strerror(int e)
{
    static const char *const names[] = {"ok", "try again", "in progress", "disconnected",
                                        "the stack broke the protocol", "no free signal bit"};
    if (e <= 0 && e > -6)
        return names[-e];
    if (e <= NSOCK_STATUS_BASE) {
        static const char *const st[] = {
            "ok", "badRequest", "badState", "badAddress", "addrInUse", "refused", "reset",
            "timedOut", "noMemory", "tooMany", "closed", "badOption",
        };
        unsigned k = (unsigned)(NSOCK_STATUS_BASE - e);
        return k < sizeof st / sizeof *st ? st[k] : "unknown status";
    }
    return "?";
}
