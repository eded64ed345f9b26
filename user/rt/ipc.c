/*
 * ipc.c: see ipc.h.
 */
#include "ipc.h"

#include <string.h>

static int64_t last_err;
int64_t ipc_last_err(void) { return last_err; }

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

/* Wait for our doorbell after announcing we sleep on view v; the state is
 * checked again after announcing, so a wake-up cannot be lost. */
static int sleep_on(struct ipc_conn *c, struct ring_view *v, bool want_space,
                    uint64_t timeout_us)
{
    ring_set_sleeping(v, true);
    bool ready = want_space ? ring_count(v) > 0 : ring_count(v) > 0;
    int status = IPC_OK;
    if (!ready && !ring_closed(v)) {
        struct v_ret r = v_signal_wait(ipc_bits(c), timeout_us);
        if (r.err == V_ETIMEOUT)
            status = IPC_TIMEOUT;
        else if (r.err)
            status = kerr(r.err);
    }
    ring_set_sleeping(v, false);
    return status;
}

int ipc_send(struct ipc_conn *c, uint16_t kind, uint64_t id, const void *payload, uint32_t len,
             const v_handle *caps, unsigned ncaps, uint64_t timeout_us)
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
        int w = sleep_on(c, &c->out, true, timeout_us);
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
            v_signal_wait(ipc_bits(c), 1000);
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
        memcpy(slot + 1, payload, len);
    ring_commit(&c->out);
    if (ring_peer_sleeping(&c->out))
        v_ring_notify(c->tx);
    return IPC_OK;
}

int ipc_try_recv(struct ipc_conn *c, struct ipc_msg *m)
{
    if (c->closed)
        return IPC_CLOSED;
    const struct ring_slot *s;
    enum ring_status st = ring_peek(&c->in, &s);
    if (st == RING_EMPTY)
        return IPC_EMPTY;
    if (st == RING_CLOSED)
        return IPC_CLOSED;
    if (st != RING_OK)
        return IPC_CORRUPT;
    m->hdr = *s;                /* once: the peer may change the slot under us */
    if (m->hdr.len > IPC_PAYLOAD_MAX || m->hdr.ncaps > IPC_MAX_CAPS)
        return IPC_CORRUPT;
    memcpy(m->data, s + 1, m->hdr.len);
    m->ncaps = 0;
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
    ring_release(&c->in);
    if (ring_peer_sleeping(&c->in))
        v_ring_notify(c->rx);
    return IPC_OK;
}

int ipc_recv(struct ipc_conn *c, struct ipc_msg *m, uint64_t timeout_us)
{
    for (;;) {
        int st = ipc_try_recv(c, m);
        if (st != IPC_EMPTY)
            return st;
        int w = sleep_on(c, &c->in, false, timeout_us);
        if (w)
            return w;
    }
}

int ipc_call(struct ipc_conn *c, uint16_t kind, const void *payload, uint32_t len,
             const v_handle *caps, unsigned ncaps, struct ipc_msg *reply, uint64_t timeout_us)
{
    uint64_t id = c->next_id++;
    int st = ipc_send(c, kind, id, payload, len, caps, ncaps, timeout_us);
    if (st)
        return st;
    for (;;) {
        st = ipc_recv(c, reply, timeout_us);
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

int ipc_reply(struct ipc_conn *c, const struct ipc_msg *req, const void *payload, uint32_t len,
              const v_handle *caps, unsigned ncaps)
{
    /* a client that does not read its replies loses them; it cannot stall
     * the server */
    return ipc_send(c, (uint16_t)(req->hdr.kind | IPC_REPLY), req->hdr.id, payload, len, caps,
                    ncaps, 0);
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
        v_cap_delete((v_handle)(req.val >> 32));
        return kerr(rep.err);
    }
    client[0] = (v_handle)req.val;          /* requests: client sends */
    client[1] = (v_handle)(rep.val >> 32);  /* replies: client receives */
    server[0] = (v_handle)rep.val;
    server[1] = (v_handle)(req.val >> 32);
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

/* ---- server ---- */

int ipc_server_init(struct ipc_server *s, v_handle listen)
{
    int bit = rt_bit_alloc();
    if (bit < 0)
        return IPC_NOBITS;
    s->lbit = (unsigned)bit;
    s->nlisten = 0;
    s->listen[s->nlisten] = listen;
    int e = bind_end(listen, s->lbit, false, &s->lin[s->nlisten]);
    if (e)
        return e;
    s->nlisten++;
    const struct v_bundle *b = rt_bundle();
    for (uint32_t i = 0; b && i < b->count && s->nlisten < IPC_MAX_LISTEN; i++) {
        if (strncmp(b->entry[i].name, "listen.", 7) || b->entry[i].type != V_TYPE_RING_RECV ||
            b->entry[i].handle == listen)
            continue;
        s->listen[s->nlisten] = b->entry[i].handle;
        if ((e = bind_end(b->entry[i].handle, s->lbit, false, &s->lin[s->nlisten])))
            return e;
        s->nlisten++;
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
        size_t n = m.hdr.len < IPC_NAME - 1 ? m.hdr.len : IPC_NAME - 1;
        memcpy(s->conns[k].peer, m.data, n);
        s->conns[k].peer[n] = 0;
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
    if (s->on_close)
        s->on_close(s, &s->conns[k]);
    ipc_detach(&s->conns[k]);
    s->used[k] = false;
}

void ipc_serve(struct ipc_server *s, uint64_t timeout_us)
{
    static struct ipc_msg m;
    for (;;) {
        accept_all(s);
        bool busy = false;
        for (unsigned k = 0; k < IPC_MAX_CONNS; k++) {
            if (!s->used[k])
                continue;
            int st = ipc_try_recv(&s->conns[k], &m);
            if (st == IPC_OK) {
                busy = true;
                s->handle(s, &s->conns[k], &m);
            } else if (st != IPC_EMPTY) {
                close_conn(s, k);
            }
        }
        if (busy)
            continue;
        uint64_t mask = 1ull << s->lbit | s->extra_bits;
        for (unsigned k = 0; k < IPC_MAX_CONNS; k++)
            if (s->used[k]) {
                mask |= ipc_bits(&s->conns[k]);
                ring_set_sleeping(&s->conns[k].in, true);
            }
        bool ready = false;
        for (unsigned i = 0; i < s->nlisten; i++) {
            ring_set_sleeping(&s->lin[i], true);
            /* look once more after announcing sleep: nothing may slip by */
            if (ring_count(&s->lin[i]) > 0)
                ready = true;
        }
        for (unsigned k = 0; k < IPC_MAX_CONNS && !ready; k++)
            if (s->used[k] && (ring_count(&s->conns[k].in) > 0 || ring_closed(&s->conns[k].in)))
                ready = true;
        struct v_ret r = {0, 0};
        if (!ready)
            r = v_signal_wait(mask, timeout_us);
        for (unsigned i = 0; i < s->nlisten; i++)
            ring_set_sleeping(&s->lin[i], false);
        for (unsigned k = 0; k < IPC_MAX_CONNS; k++)
            if (s->used[k])
                ring_set_sleeping(&s->conns[k].in, false);
        if (r.err == V_ETIMEOUT)
            return;
        if (!r.err && (r.val & s->extra_bits) && s->on_bits)
            s->on_bits(s, r.val & s->extra_bits);
    }
}
