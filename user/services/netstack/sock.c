/*
 * sock.c: sockets as Rings on lwIP's raw API (schema/socket.capnp).
 *
 * A socket is a slot of socks[]: its Ring pair (the stack's ends bound
 * with one doorbell bit, which is in srv.extra_bits while the slot is
 * used), its lwIP pcb, and what is waiting to go to the client: received
 * TCP data (rxq, a pbuf chain not yet acknowledged to lwIP with
 * tcp_recved, so TCP's window is what the client has not read), the
 * reply to a pending connect, and at most one end event (peerClosed,
 * failed). lwIP's callbacks only record; sock_flush() delivers, in that
 * order, and only into free slots.
 *
 * Both "sleeping" words of every socket's Rings are set once and never
 * cleared: the client rings the stack's bit for every request and every
 * slot it frees, so a socket blocked on a full Ring is looked at again.
 */
#include <string.h>

#include "capnp/capnp.h"
#include "logc.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/prot/icmp.h"
#include "lwip/raw.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "netstack.h"
#include "sockproto.h"

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

enum sstate { S_FREE, S_NEW, S_CONNECTING, S_CONNECTED, S_LISTENING, S_DONE };

struct sock {
    enum sstate state;
    enum Net_Type type;
    struct ipc_conn c;
    struct ipc_conn *owner;         /* the control connection that made it (0: gone) */
    struct tcp_pcb *tcp;
    struct udp_pcb *udp;
    struct raw_pcb *raw;            /* icmp: echo requests and their replies */
    ip_addr_t peer;
    struct pbuf *rxq;
    uint64_t connect_id;            /* the connect request waiting for its reply */
    enum NetStatus connect_status;
    bool connect_done;
    bool fin;                       /* peer closed: send peerClosed after rxq */
    bool failed;                    /* send failed(fail_status) after rxq */
    enum NetStatus fail_status;
    bool end_sent;
    bool wr_shut;
};

static struct sock socks[Net_maxSockets];

static int sock_index(const struct sock *s) { return (int)(s - socks); }

static void logr(const struct sock *s, enum NetStatus st, const char *why)
{
    rt_log(RT_LOG_WARN, "socket %d (%s): refused: %s: %s", s ? sock_index(s) : -1,
           s && s->owner ? s->owner->peer : "?", sockproto_status_name(st), why);
}

static enum NetStatus from_err(err_t e)
{
    switch (e) {
    case ERR_OK: return NetStatus_ok;
    case ERR_MEM: case ERR_BUF: return NetStatus_noMemory;
    case ERR_USE: case ERR_ISCONN: return NetStatus_addrInUse;
    case ERR_RST: return NetStatus_reset;
    case ERR_ABRT: return NetStatus_closed;
    case ERR_CLSD: return NetStatus_closed;
    case ERR_CONN: return NetStatus_closed;
    case ERR_TIMEOUT: return NetStatus_timedOut;
    case ERR_RTE: case ERR_VAL: return NetStatus_badAddress;
    default: return NetStatus_badState;
    }
}

/* Room for one more message on the socket's event Ring? */
static bool has_room(struct sock *s)
{
    struct ring_slot *slot;
    return !s->c.closed && ring_reserve(&s->c.out, &slot) == RING_OK;
}

/* Room for n capabilities in the event Ring's transfer queue? A client
 * that releases slots without taking their capabilities fills it; the
 * runtime's ipc_send would then wait for room, and the stack never waits. */
static bool caps_room(struct sock *s, unsigned n)
{
    struct v_capinfo info;
    return v_cap_info(s->c.tx, (uint64_t)&info).err == V_OK && info.free >= n;
}

/* A reply or event: the message b holds, and caps moved along. */
static bool send_built(struct sock *s, uint16_t kind, uint64_t id, struct capnp_builder *b,
                       const v_handle *caps, unsigned ncaps)
{
    size_t len;
    const uint8_t *p = capnp_builder_bytes(b, &len);
    return ipc_send(&s->c, kind, id, p, (uint32_t)len, caps, ncaps, 0) == IPC_OK;
}

/* Replies whose Results are (status) alone: connect, shutdown, setOption.
 * Their Results structs share that layout (one data word, status at 0). */
static void reply_status(struct sock *s, uint16_t method, uint64_t id, enum NetStatus st)
{
    struct built x;
    struct capnp_builder *b = built_init(&x);
    Socket_connect_Results_set_status(Socket_connect_Results_build_root(b), st);
    send_built(s, (uint16_t)(method | IPC_REPLY), id, b, 0, 0);
}

static bool send_event(struct sock *s, enum Socket_EventKind k, enum NetStatus st, uint32_t addr,
                       uint16_t port, const v_handle *caps, unsigned ncaps)
{
    struct built x;
    struct capnp_builder *b = built_init(&x);
    Socket_Event_B e = Socket_Event_build_root(b);
    Socket_Event_set_kind(e, k);
    Socket_Event_set_status(e, st);
    Socket_Event_set_peerAddr(e, addr);
    Socket_Event_set_peerPort(e, port);
    return send_built(s, Socket_kindEvent, 0, b, caps, ncaps);
}

/* ---- slots ---- */

static unsigned owned_by(const struct ipc_conn *owner)
{
    unsigned n = 0;
    for (unsigned i = 0; i < Net_maxSockets; i++)
        n += socks[i].state != S_FREE && socks[i].owner == owner;
    return n;
}

/* A fresh socket and its Rings; the client's two ends go to client[]. */
static struct sock *sock_new(struct ipc_conn *owner, enum Net_Type type, v_handle client[2],
                             enum NetStatus *st)
{
    if (owner && owned_by(owner) >= Net_maxSocketsPerClient) {
        *st = NetStatus_tooMany;
        return 0;
    }
    struct sock *s = 0;
    for (unsigned i = 0; i < Net_maxSockets && !s; i++)
        if (socks[i].state == S_FREE)
            s = &socks[i];
    v_handle server[2];
    if (!s || ipc_make_pair(rt_memory(), client, server) != IPC_OK) {
        *st = NetStatus_noMemory;
        return 0;
    }
    memset(s, 0, sizeof *s);
    if (ipc_attach(&s->c, server[0], server[1]) != IPC_OK) {
        for (int i = 0; i < 2; i++) {
            v_cap_delete(server[i]);
            v_cap_delete(client[i]);
        }
        *st = NetStatus_noMemory;
        return 0;
    }
    ring_set_sleeping(&s->c.in, true);
    ring_set_sleeping(&s->c.out, true);
    s->state = S_NEW;
    s->type = type;
    s->owner = owner;
    srv.extra_bits |= ipc_bits(&s->c);
    *st = NetStatus_ok;
    return s;
}

static void tcp_detach(struct tcp_pcb *p)
{
    tcp_arg(p, 0);
    if (p->state == LISTEN) {
        tcp_accept(p, 0);       /* a listener has no other callbacks */
        return;
    }
    tcp_recv(p, 0);
    tcp_sent(p, 0);
    tcp_err(p, 0);
}

static void sock_free(struct sock *s)
{
    if (s->tcp) {
        tcp_detach(s->tcp);
        if (s->tcp->state == LISTEN)
            tcp_close(s->tcp);          /* a listener's close cannot fail */
        else if (tcp_close(s->tcp) != ERR_OK)
            tcp_abort(s->tcp);
    }
    if (s->udp)
        udp_remove(s->udp);
    if (s->raw)
        raw_remove(s->raw);
    if (s->rxq)
        pbuf_free(s->rxq);
    srv.extra_bits &= ~ipc_bits(&s->c);
    ipc_detach(&s->c);
    memset(s, 0, sizeof *s);
}

void socks_orphan(struct ipc_conn *c)
{
    for (unsigned i = 0; i < Net_maxSockets; i++)
        if (socks[i].state != S_FREE && socks[i].owner == c)
            socks[i].owner = 0;
}

/* ---- lwIP callbacks: record, never deliver ---- */

static err_t on_recv(void *arg, struct tcp_pcb *p, struct pbuf *b, err_t err)
{
    struct sock *s = arg;
    if (!b) {
        s->fin = true;
        return ERR_OK;
    }
    if (s->rxq)
        pbuf_cat(s->rxq, b);
    else
        s->rxq = b;
    return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    struct sock *s = arg;
    s->tcp = 0;                 /* lwIP has freed it */
    enum NetStatus st = err == ERR_RST ? (s->state == S_CONNECTING ? NetStatus_refused : NetStatus_reset)
                      : from_err(err);
    if (s->state == S_CONNECTING) {
        s->connect_done = true;
        s->connect_status = st;
    } else {
        s->failed = true;
        s->fail_status = st;
    }
    s->state = S_DONE;
}

static err_t on_connected(void *arg, struct tcp_pcb *p, err_t err)
{
    struct sock *s = arg;
    s->connect_done = true;
    s->connect_status = NetStatus_ok;
    s->state = S_CONNECTED;
    return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *p, u16_t len) { return ERR_OK; }

static void tcp_hook(struct sock *s, struct tcp_pcb *p)
{
    s->tcp = p;
    tcp_arg(p, s);
    tcp_recv(p, on_recv);
    tcp_err(p, on_err);
    tcp_sent(p, on_sent);
}

/* A connection on a listening socket: a new socket, its ends to the
 * listener's client in an accepted event. No room (no slot, no memory, a
 * full event Ring): the connection is refused with a reset. */
static err_t on_accept(void *arg, struct tcp_pcb *p, err_t err)
{
    struct sock *l = arg;
    if (err != ERR_OK || !p)
        return ERR_VAL;
    v_handle client[2];
    enum NetStatus st;
    struct sock *s = has_room(l) && caps_room(l, 2) ? sock_new(l->owner, Net_Type_tcp, client, &st) : 0;
    if (!s) {
        tcp_abort(p);
        return ERR_ABRT;
    }
    tcp_hook(s, p);
    s->state = S_CONNECTED;
    if (!send_event(l, Socket_EventKind_accepted, NetStatus_ok, lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&p->remote_ip))),
                    p->remote_port, client, 2)) {
        for (int i = 0; i < 2; i++)
            v_cap_delete(client[i]);
        tcp_detach(p);
        s->tcp = 0;
        sock_free(s);
        tcp_abort(p);
        return ERR_ABRT;
    }
    return ERR_OK;
}

static void on_udp(void *arg, struct udp_pcb *u, struct pbuf *b, const ip_addr_t *a, u16_t port)
{
    struct sock *s = arg;
    uint8_t buf[IPC_PAYLOAD_MAX];
    /* a datagram is delivered whole or dropped (UDP's own contract) */
    if (b->tot_len <= ring_payload_max(&s->c.out) && has_room(s)) {
        uint16_t n = pbuf_copy_partial(b, buf, b->tot_len, 0);
        ipc_send(&s->c, Socket_kindData, 0, buf, n, 0, 0, 0);
    }
    pbuf_free(b);
}

/* An ICMP packet (IP header first): an echo reply from the peer to this
 * socket (identifier = its slot) is delivered as [seq][data] and eaten;
 * anything else is left to lwIP. */
#define ICMP_DATA_MAX 1400
static u8_t on_raw(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *a)
{
    struct sock *s = arg;
    uint8_t buf[2 + ICMP_DATA_MAX];
    struct icmp_echo_hdr h;
    uint8_t ver;
    if (pbuf_copy_partial(p, &ver, 1, 0) != 1)
        return 0;
    uint16_t ihl = (uint16_t)((ver & 0xf) * 4);
    if (ihl < 20 || p->tot_len < ihl + sizeof h || !ip_addr_cmp(a, &s->peer) ||
        pbuf_copy_partial(p, &h, sizeof h, ihl) != sizeof h || h.type != ICMP_ER ||
        lwip_ntohs(h.id) != 0x5600 + sock_index(s))
        return 0;
    uint32_t n = p->tot_len - ihl - sizeof h;
    if (n <= ICMP_DATA_MAX && has_room(s)) {
        uint16_t seq = lwip_ntohs(h.seqno);
        buf[0] = (uint8_t)seq;
        buf[1] = (uint8_t)(seq >> 8);
        pbuf_copy_partial(p, buf + 2, (u16_t)n, (u16_t)(ihl + sizeof h));
        ipc_send(&s->c, Socket_kindData, 0, buf, 2 + n, 0, 0, 0);
    }
    pbuf_free(p);
    return 1;
}

static enum NetStatus icmp_send(struct sock *s, const uint8_t *d, uint32_t len)
{
    if (len < 2 || len > 2 + ICMP_DATA_MAX)
        return NetStatus_badRequest;
    struct pbuf *p = pbuf_alloc(PBUF_IP, (u16_t)(sizeof(struct icmp_echo_hdr) + len - 2), PBUF_RAM);
    if (!p)
        return NetStatus_noMemory;
    struct icmp_echo_hdr *h = p->payload;
    h->type = ICMP_ECHO;
    h->code = 0;
    h->chksum = 0;
    h->id = lwip_htons((u16_t)(0x5600 + sock_index(s)));
    h->seqno = lwip_htons((u16_t)(d[0] | d[1] << 8));
    memcpy(h + 1, d + 2, len - 2);
    h->chksum = inet_chksum(h, p->len);
    err_t e = raw_sendto(s->raw, p, &s->peer);
    pbuf_free(p);
    return e == ERR_OK || e == ERR_MEM ? NetStatus_ok : from_err(e);
}

/* ---- requests on a socket ---- */

/* A send failed: the client learns it from the socket's end event (sent
 * once there is room, after the data already received). */
static void fail(struct sock *s, enum NetStatus st)
{
    if (!s->failed && !s->fin) {
        s->failed = true;
        s->fail_status = st;
    }
}

static void do_connect(struct sock *s, const struct sock_req *r)
{
    if (s->state != S_NEW) {
        reply_status(s, Socket_method_connect, r->id, NetStatus_badState);
        return;
    }
    ip_addr_t a;
    ip_addr_set_ip4_u32(&a, lwip_htonl(r->u.connect.addr));
    if (s->type == Net_Type_icmp) {
        s->raw = raw_new(IP_PROTO_ICMP);
        if (!s->raw) {
            reply_status(s, Socket_method_connect, r->id, NetStatus_noMemory);
            return;
        }
        s->peer = a;
        raw_recv(s->raw, on_raw, s);
        s->state = S_CONNECTED;
        reply_status(s, Socket_method_connect, r->id, NetStatus_ok);
        return;
    }
    if (s->type == Net_Type_udp) {
        struct udp_pcb *u = s->udp ? s->udp : udp_new();
        err_t e = u ? udp_connect(u, &a, r->u.connect.port) : ERR_MEM;
        if (u && !s->udp) {
            s->udp = u;
            udp_recv(u, on_udp, s);
        }
        if (!e)
            s->state = S_CONNECTED;
        reply_status(s, Socket_method_connect, r->id, from_err(e));
        return;
    }
    struct tcp_pcb *p = tcp_new();
    if (!p) {
        reply_status(s, Socket_method_connect, r->id, NetStatus_noMemory);
        return;
    }
    tcp_hook(s, p);
    err_t e = tcp_connect(p, &a, r->u.connect.port, on_connected);
    if (e) {
        tcp_detach(p);
        tcp_abort(p);
        s->tcp = 0;
        reply_status(s, Socket_method_connect, r->id, from_err(e));
        return;
    }
    s->state = S_CONNECTING;
    s->connect_id = r->id;
}

static void reply_listen(struct sock *s, uint64_t id, enum NetStatus st, uint16_t port)
{
    struct built x;
    struct capnp_builder *b = built_init(&x);
    Socket_listen_Results_B res = Socket_listen_Results_build_root(b);
    Socket_listen_Results_set_status(res, st);
    Socket_listen_Results_set_port(res, port);
    send_built(s, Socket_method_listen | IPC_REPLY, id, b, 0, 0);
}

static void do_listen(struct sock *s, const struct sock_req *r)
{
    if (s->state != S_NEW || s->type == Net_Type_icmp) {
        reply_listen(s, r->id, NetStatus_badState, 0);
        return;
    }
    if (s->type == Net_Type_udp) {
        struct udp_pcb *u = udp_new();
        err_t e = u ? udp_bind(u, IP_ADDR_ANY, r->u.listen.port) : ERR_MEM;
        if (e) {
            if (u)
                udp_remove(u);
            reply_listen(s, r->id, from_err(e), 0);
            return;
        }
        s->udp = u;
        udp_recv(u, on_udp, s);
        s->state = S_LISTENING;
        reply_listen(s, r->id, NetStatus_ok, u->local_port);
        return;
    }
    struct tcp_pcb *p = tcp_new();
    err_t e = p ? tcp_bind(p, IP_ADDR_ANY, r->u.listen.port) : ERR_MEM;
    struct tcp_pcb *l = e ? 0 : tcp_listen_with_backlog(p, r->u.listen.backlog);
    if (!l) {
        if (p)
            tcp_abort(p);
        reply_listen(s, r->id, e ? from_err(e) : NetStatus_noMemory, 0);
        return;
    }
    s->tcp = l;
    tcp_arg(l, s);
    tcp_accept(l, on_accept);
    s->state = S_LISTENING;
    reply_listen(s, r->id, NetStatus_ok, l->local_port);
}

static void do_shutdown(struct sock *s, const struct sock_req *r)
{
    enum NetStatus st = NetStatus_ok;
    if (s->type != Net_Type_tcp || s->state != S_CONNECTED || !s->tcp)
        st = NetStatus_badState;
    else {
        st = from_err(tcp_shutdown(s->tcp, r->u.how == Socket_How_both, 1));
        s->wr_shut = true;
    }
    reply_status(s, Socket_method_shutdown, r->id, st);
}

static void do_setopt(struct sock *s, const struct sock_req *r)
{
    if (!s->tcp || s->state == S_LISTENING) {
        reply_status(s, Socket_method_setOption, r->id, NetStatus_badState);
        return;
    }
    if (r->u.opt.option == Socket_Option_noDelay) {
        if (r->u.opt.value)
            tcp_nagle_disable(s->tcp);
        else
            tcp_nagle_enable(s->tcp);
    } else if (r->u.opt.value) {
        ip_set_option(s->tcp, SOF_KEEPALIVE);
        s->tcp->keep_idle = r->u.opt.value * 1000;
    } else
        ip_reset_option(s->tcp, SOF_KEEPALIVE);
    reply_status(s, Socket_method_setOption, r->id, NetStatus_ok);
}

/* Can the send frame at the head of the request Ring go now? A frame is
 * taken whole or left where it is. */
static bool send_fits(struct sock *s, uint32_t len)
{
    if (s->type != Net_Type_tcp || s->state != S_CONNECTED || !s->tcp)
        return true;    /* refused or sent at once: never held */
    return tcp_sndbuf(s->tcp) >= len && tcp_sndqueuelen(s->tcp) + 4 < TCP_SND_QUEUELEN;
}

static void do_send(struct sock *s, const struct sock_req *r)
{
    enum NetStatus st = NetStatus_ok;
    if (s->state != S_CONNECTED || s->wr_shut)
        st = s->state == S_DONE ? NetStatus_closed : NetStatus_badState;
    else if (s->type == Net_Type_icmp) {
        if ((st = icmp_send(s, r->u.send.data, r->u.send.len)) == NetStatus_ok)
            return;
    } else if (s->type == Net_Type_udp) {
        struct pbuf *b = pbuf_alloc(PBUF_TRANSPORT, (u16_t)r->u.send.len, PBUF_RAM);
        st = b ? NetStatus_ok : NetStatus_noMemory;
        if (b) {
            pbuf_take(b, r->u.send.data, (u16_t)r->u.send.len);
            st = from_err(udp_send(s->udp, b));
            pbuf_free(b);
        }
        if (st == NetStatus_ok || st == NetStatus_noMemory)
            return;     /* a datagram lost is UDP's contract, not an error */
    } else {
        st = from_err(tcp_write(s->tcp, r->u.send.data, (u16_t)r->u.send.len, TCP_WRITE_FLAG_COPY));
        if (st == NetStatus_ok) {
            tcp_output(s->tcp);
            return;
        }
        /* send_fits said it fits: the client changed the slot under us */
    }
    logr(s, st, "send refused");
    fail(s, st);
}

static void sock_request(struct sock *s, struct ipc_msg *m)
{
    struct sock_req r;
    const char *why;
    enum NetStatus st = sockproto_decode(SOCK_CHAN_SOCKET, m->hdr.kind, m->hdr.id, m->data, m->hdr.len,
                                         m->ncaps, &r, &why);
    for (unsigned i = 0; i < m->ncaps; i++)
        v_cap_delete(m->caps[i]);
    if (st != NetStatus_ok) {
        logr(s, st, why);
        if (m->hdr.kind == Socket_method_send)
            fail(s, st);
        else
            reply_status(s, (uint16_t)(m->hdr.kind & ~IPC_REPLY), m->hdr.id, st);
        return;
    }
    switch (r.op) {
    case SOCK_OP_CONNECT: do_connect(s, &r); break;
    case SOCK_OP_LISTEN: do_listen(s, &r); break;
    case SOCK_OP_SEND: do_send(s, &r); break;
    case SOCK_OP_SHUTDOWN: do_shutdown(s, &r); break;
    case SOCK_OP_SETOPT: do_setopt(s, &r); break;
    case SOCK_OP_SOCKET:
    case SOCK_OP_INFO: break;       /* not on this channel (the decoder never says so) */
    }
}

/* ---- delivery ---- */

static bool flush_rx(struct sock *s)
{
    bool moved = false;
    uint8_t buf[IPC_PAYLOAD_MAX];
    uint32_t max = ring_payload_max(&s->c.out);
    if (max > sizeof buf)
        max = sizeof buf;
    while (s->rxq && has_room(s)) {
        uint16_t n = (uint16_t)(s->rxq->tot_len < max ? s->rxq->tot_len : max);
        pbuf_copy_partial(s->rxq, buf, n, 0);
        if (ipc_send(&s->c, Socket_kindData, 0, buf, n, 0, 0, 0) != IPC_OK)
            break;
        s->rxq = pbuf_free_header(s->rxq, n);
        if (s->tcp)
            tcp_recved(s->tcp, n);
        moved = true;
    }
    return moved;
}

/* One socket as far as it goes; true if anything moved. */
static bool sock_flush(struct sock *s)
{
    bool moved = false;
    struct ring_slot *x;
    if (ring_reserve(&s->c.out, &x) == RING_CORRUPT) {
        logr(s, NetStatus_badRequest, "the client corrupted its event Ring's indices");
        sock_free(s);
        return true;
    }
    if (s->connect_done && has_room(s)) {
        reply_status(s, Socket_method_connect, s->connect_id, s->connect_status);
        s->connect_done = false;
        moved = true;
    }
    moved |= flush_rx(s);
    if (!s->rxq && !s->end_sent && (s->fin || s->failed) && has_room(s)) {
        send_event(s, s->fin ? Socket_EventKind_peerClosed : Socket_EventKind_failed,
                   s->fin ? NetStatus_closed : s->fail_status, 0, 0, 0, 0);
        s->end_sent = true;
        moved = true;
    }
    /* requests: a send frame waits at the head of its Ring until TCP can
     * take it whole; any other request only while its reply has room */
    for (int k = 0; k < 16; k++) {
        const struct ring_slot *slot;
        enum ring_status rs = ring_peek(&s->c.in, &slot);
        if (rs == RING_EMPTY)
            break;
        if (rs == RING_OK && (slot->kind == Socket_method_send ? !send_fits(s, slot->len) : !has_room(s)))
            break;
        static struct ipc_msg m;
        int e = ipc_try_recv(&s->c, &m);
        if (e == IPC_EMPTY)
            break;
        if (e != IPC_OK) {
            if (e == IPC_CORRUPT)
                logr(s, NetStatus_badRequest, "the socket's Ring is corrupt");
            sock_free(s);
            return true;
        }
        sock_request(s, &m);
        moved = true;
    }
    if (s->c.closed || ring_closed(&s->c.in)) {
        sock_free(s);      /* the client deleted its ends: close */
        return true;
    }
    return moved;
}

bool socks_service(void)
{
    bool moved = false;
    for (unsigned i = 0; i < Net_maxSockets; i++)
        if (socks[i].state != S_FREE)
            moved |= sock_flush(&socks[i]);
    return moved;
}

/* ---- the control connection ---- */

static void net_info(struct ipc_conn *c, uint64_t id)
{
    struct nic_info n;
    uint64_t buf[32];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Net_info_Results_B r = Net_info_Results_build_root(&b);
    if (nic_info(&n)) {
        Net_info_Results_set_present(r, true);
        Net_info_Results_set_up(r, n.up);
        Net_info_Results_set_dhcp(r, n.dhcp);
        Net_info_Results_set_mac(r, n.mac);
        Net_info_Results_set_addr(r, n.addr);
        Net_info_Results_set_mask(r, n.mask);
        Net_info_Results_set_gateway(r, n.gw);
        Net_info_Results_set_rxFrames(r, n.n.rx);
        Net_info_Results_set_txFrames(r, n.n.tx);
        Net_info_Results_set_rxRunt(r, n.n.rx_runt);
        Net_info_Results_set_rxGiant(r, n.n.rx_giant);
        Net_info_Results_set_rxNoMemory(r, n.n.rx_nomem);
        Net_info_Results_set_rxRefused(r, n.n.rx_refused);
        Net_info_Results_set_txFailed(r, n.n.tx_failed);
        Net_info_Results_set_badNumbers(r, n.bad);
    }
    size_t len;
    const uint8_t *p = capnp_builder_bytes(&b, &len);
    ipc_send(c, (uint16_t)(Net_method_info | IPC_REPLY), id, p, (uint32_t)len, 0, 0, 0);
}

void net_request(struct ipc_conn *c, struct ipc_msg *m)
{
    struct sock_req r;
    const char *why;
    enum NetStatus st = sockproto_decode(SOCK_CHAN_NET, m->hdr.kind, m->hdr.id, m->data, m->hdr.len,
                                         m->ncaps, &r, &why);
    for (unsigned i = 0; i < m->ncaps; i++)
        v_cap_delete(m->caps[i]);
    if (st == NetStatus_ok && r.op == SOCK_OP_INFO)
        return net_info(c, m->hdr.id);
    v_handle client[2];
    unsigned ncaps = 0;
    if (st == NetStatus_ok && sock_new(c, r.u.type, client, &st))
        ncaps = 2;
    else
        rt_log(RT_LOG_WARN, "%s: socket refused: %s%s%s", c->peer, sockproto_status_name(st),
               st == NetStatus_badRequest ? ": " : "", st == NetStatus_badRequest ? why : "");
    struct built x;
    struct capnp_builder *b = built_init(&x);
    Net_socket_Results_set_status(Net_socket_Results_build_root(b), st);
    size_t len;
    const uint8_t *p = capnp_builder_bytes(b, &len);
    if (ipc_send(c, (uint16_t)(Net_method_socket | IPC_REPLY), m->hdr.id, p, (uint32_t)len, client,
                 ncaps, 0) != IPC_OK)
        for (unsigned i = 0; i < ncaps; i++)
            v_cap_delete(client[i]);
}
