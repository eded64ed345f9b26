/*
 * ipc.c: see ipc.h.
 */
#include "ipc.h"

#include <string.h>

static int64_t last_err;
int64_t ipc_last_err(void) { return last_err; }

/* Doorbell bits this library's own waits took (sleep_on, the transfer
 * queue's poll) that may also mean "a message came": a server's handler
 * replying into a full Ring waits on that connection's bit and so may
 * consume the doorbell of a request that arrived meanwhile. ipc_serve
 * takes them back into its ready set, so no request is left unseen. */
static uint64_t taken_bits;

/* A doorbell this Task owes a peer, held back so that the wait which
 * follows rings it (ring_call, with the kernel's direct hand-off): a
 * request and the wait for its reply, or a reply and the wait for the
 * next request, are then one system call instead of two. Only ipc_call
 * and replies sent by ipc_serve's handlers owe; at most one doorbell is
 * held, and it is rung by this library's next wait or before anything
 * else it runs (a second debt, the next handler, leaving ipc_call or
 * ipc_serve). A handler that replies and then waits by itself, outside
 * this library (v_signal_wait), delays that reply's doorbell until it
 * returns: handlers should not block. */
static v_handle owed;

static void pay(void)
{
    if (owed) {
        v_ring_notify(owed);
        owed = 0;
    }
}

static void owe(v_handle tx)
{
    if (owed != tx)
        pay();
    owed = tx;
}

/* Every wait of this library: it rings what is owed. */
static struct v_ret ring_and_wait(uint64_t mask, uint64_t timeout_us)
{
    if (!owed)
        return v_signal_wait(mask, timeout_us);
    v_handle tx = owed;
    owed = 0;
    struct v_ret r = v_ring_call(tx, mask, timeout_us);
    if (r.err == V_EDISCONNECTED || r.err == V_EHANDLE || r.err == V_ESTALE)
        r = v_signal_wait(mask, timeout_us);      /* the peer went meanwhile: just wait */
    return r;
}

static struct v_ret wait_bits(uint64_t mask, uint64_t timeout_us)
{
    struct v_ret r = ring_and_wait(mask, timeout_us);
    if (!r.err)
        taken_bits |= r.val;
    return r;
}

static uint64_t bits_used = 1 | 0xffull << 56;   /* bit 0 and 56..63 are not the runtime's */

int rt_bit_alloc(void)
{
    for (int b = 1; b < 56; b++)
        if (!(bits_used & (1ull << b))) {
            bits_used |= 1ull << b;
            return b;
        }
    return -1;
}

void rt_bit_free(int bit)
{
    if (bit > 0 && bit < 56)
        bits_used &= ~(1ull << bit);
}

uint64_t rt_va_alloc(uint64_t bytes)
{
    static uint64_t next = 0x0000300000000000ull;
    uint64_t va = next;
    next += (bytes + 4095) / 4096 * 4096 + 4096;   /* and a guard page */
    return va;
}

const char *ipc_strerror(int s)
{
    static const char *const names[] = {"ok", "empty", "timed out", "connection closed",
                                        "peer broke the protocol", "message too big",
                                        "no free signal bit", "kernel call failed"};
    return s >= 0 && s <= IPC_KERNEL ? names[s] : "?";
}

static int kerr(int64_t e)
{
    last_err = e;
    return e == V_EDISCONNECTED ? IPC_CLOSED : IPC_KERNEL;
}

static int bind_end(v_handle end, unsigned bit, bool producer, struct ring_view *v)
{
    struct v_capinfo info;
    struct v_ret r = v_cap_info(end, (uint64_t)&info);
    if (r.err)
        return kerr(r.err);
    uint64_t va = rt_va_alloc(info.size);
    r = v_ring_bind(end, va, bit);
    if (r.err)
        return kerr(r.err);
    return ring_view_init(v, (void *)va, r.val, producer) == RING_OK ? IPC_OK : IPC_CORRUPT;
}

/* Both sides of a connection keep the "sleeping" word of their receive
 * end set from the moment it is bound and never clear it: every message
 * sent to them rings their doorbell. A waiter then needs no announce and
 * re-check around each wait (the bit is pending for anything committed
 * since it last looked), and the sender's ring costs nothing extra where
 * it is owed: ring_call rings and waits in one call. The price is a
 * ring_notify per message for a peer that sends with ipc_send and does
 * not wait after it. The kernel rings the bit as well when the peer's end
 * goes (ring_end_gone), so a closed Ring is seen the same way. */
int ipc_attach(struct ipc_conn *c, v_handle tx, v_handle rx)
{
    memset(c, 0, sizeof *c);
    int bit = rt_bit_alloc();
    if (bit < 0)
        return IPC_NOBITS;
    c->bit = (unsigned)bit;
    c->tx = tx;
    c->rx = rx;
    int e = bind_end(tx, c->bit, true, &c->out);
    if (!e)
        e = bind_end(rx, c->bit, false, &c->in);
    if (e) {
        rt_bit_free(bit);
        c->bit = 0;
    }
    else
        ring_set_sleeping(&c->in, true);
    c->next_id = 1;
    return e;
}

void ipc_detach(struct ipc_conn *c)
{
    if (c->tx)
        v_cap_delete(c->tx);
    if (c->rx)
        v_cap_delete(c->rx);
    if (c->bit)
        rt_bit_free((int)c->bit);
    c->tx = c->rx = 0;
    c->bit = 0;
    c->closed = true;
}

static int wait_status(struct v_ret r)
{
    if (r.err == V_ETIMEOUT)
        return IPC_TIMEOUT;
    return r.err ? kerr(r.err) : IPC_OK;
}

/* Wait for space on the send end: announce, re-check, so that the
 * consumer's release cannot be missed. */
static int sleep_for_space(struct ipc_conn *c, uint64_t timeout_us)
{
    ring_set_sleeping(&c->out, true);
    int status = IPC_OK;
    if (ring_count(&c->out) == 0 && !ring_closed(&c->out))
        status = wait_status(wait_bits(ipc_bits(c), timeout_us));
    ring_set_sleeping(&c->out, false);
    return status;
}

static bool replies_owe;     /* set while ipc_serve runs a handler */

static void ring_peer(struct ipc_conn *c, bool defer)
{
    if (ring_peer_sleeping(&c->out)) {
        if (defer)
            owe(c->tx);
        else
            v_ring_notify(c->tx);
    }
}

/* Everything but the common case of a send: capabilities, a full Ring,
 * a closed connection, a payload too big. */
static __attribute__((noinline)) int send_slow(struct ipc_conn *c, uint16_t kind, uint64_t id,
                                               const void *payload, uint32_t len,
                                               const v_handle *caps, unsigned ncaps,
                                               uint64_t timeout_us, bool defer)
{
    if (c->closed)
        return IPC_CLOSED;
    if (len > ring_payload_max(&c->out) || ncaps > IPC_MAX_CAPS)
        return IPC_TOOBIG;
    struct ring_slot *slot;
    for (;;) {
        enum ring_status st = ring_reserve(&c->out, &slot);
        if (st == RING_OK)
            break;
        if (st == RING_CLOSED)
            return IPC_CLOSED;
        if (st == RING_CORRUPT)
            return IPC_CORRUPT;
        int w = sleep_for_space(c, timeout_us);
        if (w)
            return w;
    }
    if (ncaps) {
        /* the whole set fits the transfer queue before any goes in */
        for (int tries = 0;; tries++) {
            struct v_capinfo info;
            struct v_ret r = v_cap_info(c->tx, (uint64_t)&info);
            if (r.err)
                return kerr(r.err);
            if (info.free >= ncaps)
                break;
            if (tries > 1000)
                return IPC_TIMEOUT;
            wait_bits(ipc_bits(c), 1000);
        }
        for (unsigned i = 0; i < ncaps; i++) {
            struct v_ret r = v_ring_send_cap(c->tx, caps[i], V_MOVE);
            if (r.err)
                return kerr(r.err);
        }
    }
    slot->len = len;
    slot->kind = kind;
    slot->ncaps = (uint16_t)ncaps;
    slot->id = id;
    if (len)
        ring_copy(slot + 1, payload, len);
    ring_commit(&c->out);
    ring_peer(c, defer);
    return IPC_OK;
}

/* The common case inline, a free slot and no capabilities; the rest in
 * send_slow. */
static inline int send_msg(struct ipc_conn *c, uint16_t kind, uint64_t id, const void *payload,
                           uint32_t len, const v_handle *caps, unsigned ncaps,
                           uint64_t timeout_us, bool defer)
{
    struct ring_view *v = &c->out;
    uint32_t tail = RING_LOAD_RLX(&v->ctl->tail);
    if (ncaps || c->closed || len > ring_payload_max(v) || ring_closed(v) ||
        tail - RING_LOAD_ACQ(&v->ctl->head) >= v->nslots)
        return send_slow(c, kind, id, payload, len, caps, ncaps, timeout_us, defer);
    struct ring_slot *slot = ring_slot_at_(v, tail);
    *slot = (struct ring_slot){.len = len, .kind = kind, .id = id};
    ring_copy(slot + 1, payload, len);
    RING_STORE_REL(&v->ctl->tail, tail + 1);
    RING_FENCE();    /* the publish before the look at the peer's sleeping word */
    if (RING_LOAD_ACQ(&v->ctl->cons_sleeping)) {
        if (defer)
            owe(c->tx);
        else
            v_ring_notify(c->tx);
    }
    return IPC_OK;
}

int ipc_send(struct ipc_conn *c, uint16_t kind, uint64_t id, const void *payload, uint32_t len,
             const v_handle *caps, unsigned ncaps, uint64_t timeout_us)
{
    return send_msg(c, kind, id, payload, len, caps, ncaps, timeout_us, false);
}

/* The capabilities a message says it carries, from the transfer queue. */
static __attribute__((noinline)) int recv_caps(struct ipc_conn *c, struct ipc_msg *m)
{
    for (unsigned i = 0; i < m->hdr.ncaps; i++) {
        struct v_ret r = v_ring_recv_cap(c->rx, V_SLOT_ANY);
        if (r.err) {
            /* the peer claimed capabilities it did not send: drop what came */
            for (unsigned k = 0; k < m->ncaps; k++)
                v_cap_delete(m->caps[k]);
            m->ncaps = 0;
            return r.err == V_EEMPTY ? IPC_CORRUPT : kerr(r.err);
        }
        m->caps[m->ncaps++] = (v_handle)r.val;
    }
    return IPC_OK;
}

/* ring_peek and ring_release of lib/ring, written out for this one
 * consumer: the header is read once (the peer may change the slot under
 * us) and checked, and the producer's sleeping word read directly. */
_Static_assert((1u << V_RING_SLOT_MAX_LOG2) - RING_SLOT_HDR <= IPC_PAYLOAD_MAX,
               "a slot's payload fits an ipc_msg");

static inline int try_recv(struct ipc_conn *c, struct ipc_msg *m)
{
    struct ring_view *v = &c->in;
    if (c->closed)
        return IPC_CLOSED;
    uint32_t head = RING_LOAD_RLX(&v->ctl->head);
    uint32_t used = RING_LOAD_ACQ(&v->ctl->tail) - head;
    if (used - 1 >= v->nslots) {
        if (used)
            return IPC_CORRUPT;
        return ring_closed(v) ? IPC_CLOSED : IPC_EMPTY;
    }
    const struct ring_slot *s = ring_slot_at_(v, head);
    m->hdr = *s;
    if (m->hdr.len > ring_payload_max(v) || m->hdr.ncaps > IPC_MAX_CAPS)
        return IPC_CORRUPT;
    ring_copy(m->data, s + 1, m->hdr.len);
    m->ncaps = 0;
    if (m->hdr.ncaps) {
        int e = recv_caps(c, m);
        if (e)
            return e;
    }
    RING_STORE_REL(&v->ctl->head, head + 1);
    RING_FENCE();
    if (RING_LOAD_ACQ(&v->ctl->prod_sleeping))
        v_ring_notify(c->rx);
    return IPC_OK;
}

int ipc_try_recv(struct ipc_conn *c, struct ipc_msg *m) { return try_recv(c, m); }

/* Wait for the doorbell of c's receive end (its sleeping word is always
 * set: see ipc_attach). A wake-up may be stale; callers look again. */
static int wait_msg(struct ipc_conn *c, uint64_t timeout_us)
{
    if (ring_closed(&c->in))
        return IPC_OK;          /* the next look answers IPC_CLOSED */
    return wait_status(wait_bits(ipc_bits(c), timeout_us));
}

int ipc_recv(struct ipc_conn *c, struct ipc_msg *m, uint64_t timeout_us)
{
    for (;;) {
        int st = try_recv(c, m);
        if (st != IPC_EMPTY)
            return st;
        int w = wait_msg(c, timeout_us);
        if (w)
            return w;
    }
}

int ipc_call(struct ipc_conn *c, uint16_t kind, const void *payload, uint32_t len,
             const v_handle *caps, unsigned ncaps, struct ipc_msg *reply, uint64_t timeout_us)
{
    uint64_t id = c->next_id++;
    int st = send_msg(c, kind, id, payload, len, caps, ncaps, timeout_us, true);
    if (st)
        return st;
    /* The reply cannot be there before the server has run, so wait
     * before the first look: that wait rings the server (what send_msg
     * owes). The reply rings our bit, whoever runs first. */
    for (bool look = false;; look = true) {
        st = look ? try_recv(c, reply) : IPC_EMPTY;
        if (st == IPC_EMPTY) {
            st = wait_msg(c, timeout_us);
            pay();
            if (!st)
                st = try_recv(c, reply);
            if (st == IPC_EMPTY)
                continue;       /* a stale doorbell */
        }
        if (st)
            return st;
        if ((reply->hdr.kind & IPC_REPLY) && reply->hdr.id == id)
            return IPC_OK;
        for (unsigned i = 0; i < reply->ncaps; i++)
            v_cap_delete(reply->caps[i]);
        /* a late reply to an earlier call that timed out: skip it */
        if ((reply->hdr.kind & IPC_REPLY) && reply->hdr.id < id)
            continue;
        return IPC_CORRUPT;
    }
}

int ipc_reply_id(struct ipc_conn *c, uint16_t kind, uint64_t id, const void *payload,
                 uint32_t len, const v_handle *caps, unsigned ncaps)
{
    /* a client that does not read its replies loses them; it cannot stall
     * the server */
    return send_msg(c, (uint16_t)(kind | IPC_REPLY), id, payload, len, caps, ncaps, 0,
                    replies_owe);
}

int ipc_reply(struct ipc_conn *c, const struct ipc_msg *req, const void *payload, uint32_t len,
              const v_handle *caps, unsigned ncaps)
{
    return ipc_reply_id(c, req->hdr.kind, req->hdr.id, payload, len, caps, ncaps);
}

int ipc_open(const char *name, struct ipc_conn *c)
{
    char rx[V_BUNDLE_NAME + 4];
    size_t n = strlen(name);
    if (n + 4 > V_BUNDLE_NAME)
        return IPC_TOOBIG;
    memcpy(rx, name, n);
    memcpy(rx + n, ".rx", 4);
    v_handle t = rt_cap(name), r = rt_cap(rx);
    if (!t || !r)
        return kerr(V_ENOTFOUND);
    return ipc_attach(c, t, r);
}

int ipc_make_pair(v_handle reticle, v_handle client[2], v_handle server[2])
{
    struct v_ret req = v_retype(reticle, V_TYPE_RING_SEND, IPC_RING_PARAM, V_SLOT_ANY);
    if (req.err)
        return kerr(req.err);
    struct v_ret rep = v_retype(reticle, V_TYPE_RING_SEND, IPC_RING_PARAM, V_SLOT_ANY);
    if (rep.err) {
        v_cap_delete((v_handle)req.val);
        v_cap_delete(V_RING_RECV_END(req.val));
        return kerr(rep.err);
    }
    client[0] = (v_handle)req.val;          /* requests: client sends */
    client[1] = V_RING_RECV_END(rep.val);  /* replies: client receives */
    server[0] = (v_handle)rep.val;
    server[1] = V_RING_RECV_END(req.val);
    return IPC_OK;
}

/* Accept Rings this Task introduces clients through, bound once each. */
static struct {
    v_handle end;
    struct ring_view v;
    unsigned bit;
} accepts[32];

int ipc_introduce(v_handle reticle, v_handle accept_tx, const char *client_name,
                  v_handle client[2])
{
    unsigned k;
    for (k = 0; k < 32 && accepts[k].end && accepts[k].end != accept_tx; k++)
        ;
    if (k == 32)
        return IPC_TOOBIG;
    if (!accepts[k].end) {
        int bit = rt_bit_alloc();
        if (bit < 0)
            return IPC_NOBITS;
        int e = bind_end(accept_tx, (unsigned)bit, true, &accepts[k].v);
        if (e) {
            rt_bit_free(bit);
            return e;
        }
        accepts[k].end = accept_tx;
        accepts[k].bit = (unsigned)bit;
    }
    v_handle server[2];
    int e = ipc_make_pair(reticle, client, server);
    if (e)
        return e;
    /* a connection that borrows the accept Ring's view to send one message */
    struct ipc_conn tmp = {.tx = accept_tx, .out = accepts[k].v, .bit = accepts[k].bit};
    size_t n = strlen(client_name);
    e = ipc_send(&tmp, IPC_CONNECT, 0, client_name, (uint32_t)(n < IPC_NAME ? n : IPC_NAME - 1),
                 server, 2, 2000000);
    accepts[k].v = tmp.out;
    if (e) {
        for (int i = 0; i < 2; i++) {
            v_cap_delete(client[i]);
            v_cap_delete(server[i]);
        }
    }
    return e;
}

/* ---- server ----
 *
 * Dispatch is by the doorbell bits that fired, never by scanning every
 * connection slot, so a request costs the same with 1 or 32 connections
 * open. The invariant that makes that sound: for every connection (and
 * accept Ring) with a message not yet taken, its bit is pending in the
 * kernel, or in taken_bits, or in s->ready. It holds because
 *   - the server's "sleeping" word on each receive end is set once, when
 *     the end is bound, and never cleared: every ipc_send to the server
 *     rings its doorbell (a client's ring_notify is a raise of that bit);
 *   - a bit taken from the kernel (signal_wait) or from taken_bits goes
 *     into s->ready, and a bit leaves s->ready only when ipc_try_recv on
 *     its connection has answered IPC_EMPTY (anything committed after that
 *     look rings the bit again) or the connection is closed;
 *   - a new connection's bit starts in s->ready (its client may have sent
 *     before the end was bound, when its doorbell rang nobody).
 * The price of never clearing the word: a client rings even while the
 * server is busy (one ring_notify per request), instead of setting and
 * clearing the word on every connection around every wait.
 */

static void add_conn_bit(struct ipc_server *s, unsigned k)
{
    unsigned b = s->conns[k].bit;
    s->slot_bit[k] = (uint8_t)b;
    s->bit_slot[b] = (uint8_t)k;
    s->conn_bits |= 1ull << b;
    s->ready |= 1ull << b;
    ring_set_sleeping(&s->conns[k].in, true);
}

static int bind_listen(struct ipc_server *s, v_handle end)
{
    s->listen[s->nlisten] = end;
    int e = bind_end(end, s->lbit, false, &s->lin[s->nlisten]);
    if (e)
        return e;
    ring_set_sleeping(&s->lin[s->nlisten], true);
    s->nlisten++;
    return IPC_OK;
}

int ipc_server_listen(struct ipc_server *s, v_handle listen)
{
    if (s->nlisten == IPC_MAX_LISTEN || bind_listen(s, listen))
        return -1;
    s->ready |= 1ull << s->lbit;    /* it may hold connections already */
    return (int)s->nlisten - 1;
}

int ipc_server_init(struct ipc_server *s, v_handle listen)
{
    int bit = rt_bit_alloc();
    if (bit < 0)
        return IPC_NOBITS;
    s->lbit = (unsigned)bit;
    s->nlisten = 0;
    s->conn_bits = 0;
    s->ready = 1ull << s->lbit;
    int e = bind_listen(s, listen);
    if (e)
        return e;
    const struct v_bundle *b = rt_bundle();
    for (uint32_t i = 0; b && i < b->count && s->nlisten < IPC_MAX_LISTEN; i++) {
        if (strncmp(b->entry[i].name, "listen.", 7) || b->entry[i].type != V_TYPE_RING_RECV ||
            b->entry[i].handle == listen)
            continue;
        if ((e = bind_listen(s, b->entry[i].handle)))
            return e;
    }
    return IPC_OK;
}

static void accept_one(struct ipc_server *s, unsigned which)
{
    struct ipc_conn lc = {.rx = s->listen[which], .in = s->lin[which], .bit = s->lbit};
    static struct ipc_msg m;
    int st;
    while ((st = ipc_try_recv(&lc, &m)) == IPC_OK) {
        unsigned k;
        for (k = 0; k < IPC_MAX_CONNS && s->used[k]; k++)
            ;
        if (m.hdr.kind != IPC_CONNECT || m.ncaps != 2 || k == IPC_MAX_CONNS ||
            ipc_attach(&s->conns[k], m.caps[0], m.caps[1]) != IPC_OK) {
            for (unsigned i = 0; i < m.ncaps; i++)
                v_cap_delete(m.caps[i]);
            continue;
        }
        s->used[k] = true;
        s->conns[k].via = (uint8_t)which;
        size_t n = m.hdr.len < IPC_NAME - 1 ? m.hdr.len : IPC_NAME - 1;
        memcpy(s->conns[k].peer, m.data, n);
        s->conns[k].peer[n] = 0;
        add_conn_bit(s, k);
    }
    s->lin[which] = lc.in;
}

static void accept_all(struct ipc_server *s)
{
    for (unsigned i = 0; i < s->nlisten; i++)
        accept_one(s, i);
}

static void close_conn(struct ipc_server *s, unsigned k)
{
    uint64_t b = 1ull << s->slot_bit[k];
    s->conn_bits &= ~b;
    s->ready &= ~b;
    if (s->on_close)
        s->on_close(s, &s->conns[k]);
    ipc_detach(&s->conns[k]);
    s->used[k] = false;
}

/* One message from each ready connection, in bit order. A connection
 * leaves the ready set when a look finds its Ring empty: try_recv's
 * IPC_EMPTY, or the look after a message was taken (which saves a second
 * pass for the common single request). */
static void serve_ready(struct ipc_server *s)
{
    static struct ipc_msg m;
    for (uint64_t todo = s->ready & s->conn_bits; todo; todo &= todo - 1) {
        unsigned b = (unsigned)__builtin_ctzll(todo);
        uint64_t bit = 1ull << b;
        if (!(s->conn_bits & bit))
            continue;       /* closed by a handler earlier in this pass */
        struct ipc_conn *c = &s->conns[s->bit_slot[b]];
        int st = try_recv(c, &m);
        if (st == IPC_OK) {
            pay();                  /* an earlier reply's doorbell, before this handler runs */
            replies_owe = true;
            s->handle(s, c, &m);
            replies_owe = false;
            if ((s->conn_bits & bit) && !c->closed && ring_drained(&c->in) &&
                !ring_closed(&c->in))
                s->ready &= ~bit;
        }
        else if (st == IPC_EMPTY)
            s->ready &= ~bit;
        else
            close_conn(s, s->bit_slot[b]);
    }
}

void ipc_serve(struct ipc_server *s, uint64_t timeout_us)
{
    uint64_t lbit = 1ull << s->lbit;
    for (;;) {
        s->ready |= taken_bits & (s->conn_bits | lbit);
        taken_bits = 0;
        if (s->ready & lbit) {
            s->ready &= ~lbit;
            accept_all(s);
        }
        serve_ready(s);
        if ((s->ready & (s->conn_bits | lbit)) || (taken_bits & (s->conn_bits | lbit)))
            continue;
        /* the last reply's doorbell and the wait for the next request: one call */
        struct v_ret r = ring_and_wait(lbit | s->conn_bits | s->extra_bits, timeout_us);
        if (r.err == V_ETIMEOUT)
            return;
        if (r.err)
            continue;
        s->ready |= r.val & (s->conn_bits | lbit);
        if ((r.val & s->extra_bits) && s->on_bits)
            s->on_bits(s, r.val & s->extra_bits);
    }
}
