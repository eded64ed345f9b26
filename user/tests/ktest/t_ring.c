/* Rings: binding, messages, doorbells, the capability transfer queue. */
#include "ktest.h"
#include "ring/ring.h"

#define RA 0x40000000ull
#define RB 0x40100000ull

struct ring2 {
    v_handle tx, rx;
};
static int new_ring(struct ring2 *r, uint64_t param)
{
    struct v_ret v = v_retype(T, V_TYPE_RING_SEND, param, V_SLOT_ANY);
    if (v.err)
        return (int)v.err;
    r->tx = (v_handle)v.val;
    r->rx = V_RING_RECV_END(v.val);
    return 0;
}
#define NEW_RING(r, p)                                                              \
    do {                                                                            \
        int e_ = new_ring(r, p);                                                    \
        if (e_) {                                                                   \
            kt_fail(__LINE__, "ring retype: %s", rt_errname(e_));                   \
            return;                                                                 \
        }                                                                           \
    } while (0)
static void del_ring(struct ring2 *r)
{
    v_cap_delete(r->tx);
    v_cap_delete(r->rx);
}

KCASE(RNG0001, 0, "a Ring's two ends are distinct capability types")
{
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(3, 7));
    struct v_capinfo a, b;
    K_OK(v_cap_info(r.tx, (uint64_t)&a));
    K_OK(v_cap_info(r.rx, (uint64_t)&b));
    K_EQ(a.type, V_TYPE_RING_SEND);
    K_EQ(b.type, V_TYPE_RING_RECV);
    K_EQ(a.arg, 8ull | 128ull << 32);
    K_EQ(a.free, V_RING_XQ);
    del_ring(&r);
}

KCASE(RNG0002, 0, "messages sent through bound ends arrive in order, with no kernel call")
{
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(3, 7));
    uint64_t sz = K_OK(v_ring_bind(r.tx, RA, 5));
    K_EQ(sz, 4096);
    K_OK(v_ring_bind(r.rx, RB, 6));
    struct ring_view p, c;
    K_EQ(ring_view_init(&p, (void *)RA, sz, true), RING_OK);
    K_EQ(ring_view_init(&c, (void *)RB, sz, false), RING_OK);
    for (uint64_t i = 0; i < 8; i++) {
        struct ring_slot h = {.len = 8, .id = i};
        K_EQ(ring_push(&p, &h, &i), RING_OK);
    }
    struct ring_slot h = {.len = 0};
    K_EQ(ring_push(&p, &h, 0), RING_FULL);
    for (uint64_t i = 0; i < 8; i++) {
        uint64_t v;
        K_EQ(ring_pop(&c, &h, &v, 8), RING_OK);
        K_EQ(v, i);
    }
    del_ring(&r);
}

KCASE(RNG0003, 0, "the doorbell raises the peer's bound bit")
{
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(2, 6));
    K_OK(v_ring_bind(r.tx, RA, 5));
    K_EQ(K_OK(v_ring_notify(r.tx)), 0);      /* nobody bound at the other end yet */
    K_OK(v_ring_bind(r.rx, RB, 6));
    K_EQ(K_OK(v_ring_notify(r.tx)), 1);
    K_EQ(K_OK(v_signal_wait(1 << 6, 0)), 1 << 6);
    K_OK(v_ring_notify(r.rx));
    K_EQ(K_OK(v_signal_wait(1 << 5, 0)), 1 << 5);
    del_ring(&r);
}

KCASE(RNG0004, 1, "what if a Task binds a Ring end it already bound?")
{
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(2, 6));
    K_OK(v_ring_bind(r.tx, RA, 5));
    K_ERR(v_ring_bind(r.tx, RB, 5), V_EEXIST);
    v_handle copy = (v_handle)K_OK(v_cap_copy(r.tx, V_SLOT_ANY));
    K_ERR(v_ring_bind(copy, RB, 5), V_EEXIST);
    del_ring(&r);
}

KCASE(RNG0005, 1, "what if bind is given a bad bit, a misaligned, kernel or occupied address?")
{
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(2, 6));
    K_ERR(v_ring_bind(r.tx, RA, 64), V_EINVAL);
    K_ERR(v_ring_bind(r.tx, RA + 12, 1), V_EALIGN);
    K_ERR(v_ring_bind(r.tx, 0xffffffff80000000ull, 1), V_ERANGE);
    K_ERR(v_ring_bind(r.tx, V_USER_TOP, 1), V_ERANGE);
    K_ERR(v_ring_bind(r.tx, V_PROGRAM_BASE, 1), V_EEXIST);
    K_ERR(v_ring_bind(SELF, RA, 1), V_ETYPE);
    v_handle ro = (v_handle)K_OK(v_cap_mint(r.tx, V_SLOT_ANY, V_R_READ, 0));
    K_ERR(v_ring_bind(ro, RA, 1), V_ERIGHTS);
    K_OK(v_ring_bind(r.tx, RA, 1));           /* and the failures changed nothing */
    del_ring(&r);
}

KCASE(RNG0006, 0, "a copied capability travels beside a message; the original still works")
{
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(2, 6));
    v_handle f = kt_frame();
    K_EQ(K_OK(v_ring_send_cap(r.tx, f, 0)), 1);
    v_handle got = (v_handle)K_OK(v_ring_recv_cap(r.rx, V_SLOT_ANY));
    struct v_capinfo a, b;
    K_OK(v_cap_info(f, (uint64_t)&a));
    K_OK(v_cap_info(got, (uint64_t)&b));
    K_EQ(a.phys, b.phys);
    K_OK(v_cap_revoke(f));                    /* the copy is a child of the original */
    K_ERR(v_cap_info(got, (uint64_t)&b), V_ESTALE);
    K_OK(v_cap_delete(f));
    del_ring(&r);
}

KCASE(RNG0007, 0, "a moved capability leaves the sender and arrives exactly once")
{
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(2, 6));
    v_handle f = kt_frame();
    K_OK(v_ring_send_cap(r.tx, f, V_MOVE));
    struct v_capinfo i;
    K_ERR(v_cap_info(f, (uint64_t)&i), V_ESTALE);
    v_handle got = (v_handle)K_OK(v_ring_recv_cap(r.rx, V_SLOT_ANY));
    K_ERR(v_ring_recv_cap(r.rx, V_SLOT_ANY), V_EEMPTY);
    K_OK(v_cap_delete(got));
    del_ring(&r);
}

KCASE(RNG0008, 1, "what if the transfer queue is full?")
{
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(2, 6));
    v_handle f = kt_frame();
    for (int i = 0; i < V_RING_XQ; i++)
        K_OK(v_ring_send_cap(r.tx, f, 0));
    v_handle g = kt_frame();
    K_ERR(v_ring_send_cap(r.tx, g, V_MOVE), V_EFULL);
    struct v_capinfo i;
    K_OK(v_cap_info(g, (uint64_t)&i));       /* still the sender's */
    for (int k = 0; k < V_RING_XQ; k++)
        K_OK(v_cap_delete((v_handle)K_OK(v_ring_recv_cap(r.rx, V_SLOT_ANY))));
    K_OK(v_cap_delete(g));
    K_OK(v_cap_delete(f));
    del_ring(&r);
}

KCASE(RNG0009, 1, "what if the receiver's destination slot is occupied?")
{
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(2, 6));
    v_handle f = kt_frame(), g = kt_frame();
    K_OK(v_ring_send_cap(r.tx, f, V_MOVE));
    K_ERR(v_ring_recv_cap(r.rx, V_HANDLE_SLOT(g)), V_EOCCUPIED);
    v_handle got = (v_handle)K_OK(v_ring_recv_cap(r.rx, V_SLOT_ANY));   /* still queued */
    K_OK(v_cap_delete(got));
    K_OK(v_cap_delete(g));
    del_ring(&r);
}

KCASE(RNG0010, 1, "what if a Ring is revoked while capabilities are in flight?")
{
    uint64_t before = kt_free(T);
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(2, 6));
    v_handle a = kt_frame(), b = kt_frame();
    v_handle keep = kt_frame();
    K_OK(v_ring_send_cap(r.tx, a, V_MOVE));
    K_OK(v_ring_send_cap(r.tx, b, V_MOVE));
    K_OK(v_ring_send_cap(r.tx, keep, 0));
    del_ring(&r);                             /* queued originals die with the Ring */
    struct v_capinfo i;
    K_OK(v_cap_info(keep, (uint64_t)&i));     /* a copy's source is untouched */
    K_OK(v_cap_delete(keep));
    K_EQ(kt_free(T), before);                 /* nothing lost, nothing leaked */
}

KCASE(RNG0011, 1, "what if capabilities are sent through the receive end or taken from the send end?")
{
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(2, 6));
    v_handle f = kt_frame();
    K_ERR(v_ring_send_cap(r.rx, f, 0), V_ETYPE);
    K_ERR(v_ring_recv_cap(r.tx, V_SLOT_ANY), V_ETYPE);
    K_ERR(v_ring_send_cap(f, f, 0), V_ETYPE);
    K_ERR(v_ring_send_cap(r.tx, f, 2), V_EINVAL);
    K_OK(v_cap_delete(f));
    del_ring(&r);
}

KCASE(RNG0012, 1, "what if a capability without the grant right, or a Ring's own end, is sent?")
{
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(2, 6));
    v_handle f = kt_frame();
    v_handle ng = (v_handle)K_OK(v_cap_mint(f, V_SLOT_ANY, V_R_READ, 0));
    K_ERR(v_ring_send_cap(r.tx, ng, 0), V_ERIGHTS);
    K_ERR(v_ring_send_cap(r.tx, r.rx, V_MOVE), V_EINVAL);
    K_ERR(v_ring_send_cap(r.tx, r.tx, 0), V_EINVAL);
    K_OK(v_cap_delete(f));
    del_ring(&r);
}

KCASE(RNG0013, 0, "when one end is destroyed the other sees the Ring disconnected")
{
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(2, 6));
    K_OK(v_ring_bind(r.rx, RB, 7));
    K_OK(v_cap_delete(r.tx));
    K_EQ(K_OK(v_signal_wait(1 << 7, 0)), 1 << 7);    /* woken to notice */
    struct ring_view c;
    K_EQ(ring_view_init(&c, (void *)RB, 4096, false), RING_OK);
    K_TRUE(ring_closed(&c));
    K_ERR(v_ring_notify(r.rx), V_EDISCONNECTED);
    K_OK(v_cap_delete(r.rx));
}

KCASE(RNG0014, 1, "what if a capability is sent after the receive end is gone?")
{
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(2, 6));
    K_OK(v_cap_delete(r.rx));
    v_handle f = kt_frame();
    K_ERR(v_ring_send_cap(r.tx, f, V_MOVE), V_EDISCONNECTED);
    K_ERR(v_ring_bind(r.tx, RA, 1), V_EDISCONNECTED);
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(r.tx));
}

/* A child echo server on a Ring pair: the request/reply path end to end,
 * the client's doorbell and wait as two calls (notify if the server
 * sleeps, then signal_wait) or as one ring_call, at the server's
 * priority so that the kernel can hand the CPU straight over. */
static void echo_rounds(int n, bool one_call, int *ok)
{
    struct ring2 req = {0}, rep = {0};
    *ok = 0;
    NEW_RING(&req, V_RING_PARAM(3, 8));
    NEW_RING(&rep, V_RING_PARAM(3, 8));
    struct rt_bundle_item it[2] = {{"rx", req.rx, true}, {"tx", rep.tx, true}};
    struct rt_child c;
    SPAWN(M_ECHO, 0, one_call ? 16 : 1, it, 2, &c);
    K_OK(v_ring_bind(req.tx, RA, 3));
    K_OK(v_ring_bind(rep.rx, RB, 4));
    struct ring_view out, in;
    ring_view_init(&out, (void *)RA, 4096, true);
    ring_view_init(&in, (void *)RB, 8192, false);
    for (int i = 0; i < n; i++) {
        struct ring_slot h = {.len = 4, .kind = 10, .id = (uint64_t)i};
        K_EQ(ring_push(&out, &h, &i), RING_OK);
        if (!one_call && ring_peer_sleeping(&out))
            v_ring_notify(req.tx);
        int v;
        enum ring_status st;
        for (int tries = 0; (st = ring_pop(&in, &h, &v, sizeof v)) == RING_EMPTY && tries < 100;
             tries++) {
            ring_set_sleeping(&in, true);
            if (one_call)
                v_ring_call(req.tx, 1 << 4, 100000);   /* rings even if none sleeps: harmless */
            else if (ring_count(&in) == 0)
                v_signal_wait(1 << 4, 10000);
            ring_set_sleeping(&in, false);
        }
        K_EQ(st, RING_OK);
        K_EQ(h.kind, 11);
        K_EQ(v, i);
    }
    struct ring_slot bye = {.len = 0, .kind = 99};
    ring_push(&out, &bye, 0);
    v_ring_notify(req.tx);
    struct v_taskinfo info;
    WAIT(&c, &info);
    K_EQ(info.exit_code, 0);
    K_EQ(rt_child_destroy(&c), 0);
    del_ring(&req);
    del_ring(&rep);
    *ok = 1;
}

void echo_roundtrips(int n, int *ok) { echo_rounds(n, false, ok); }

KCASE(RNG0015, 0, "request/reply with a child over a Ring pair with doorbells, 1000 times")
{
    int ok;
    echo_roundtrips(1000, &ok);
}

KCASE(RNG0016, 0, "a 4 KiB frame is handed over through the Ring and read by the child (zero copy)")
{
    struct ring2 req = {0}, rep = {0};
    NEW_RING(&req, V_RING_PARAM(3, 8));
    NEW_RING(&rep, V_RING_PARAM(3, 8));
    struct rt_bundle_item it[2] = {{"rx", req.rx, true}, {"tx", rep.tx, true}};
    struct rt_child c;
    SPAWN(M_ECHO, 0, 1, it, 2, &c);
    K_OK(v_ring_bind(req.tx, RA, 3));
    K_OK(v_ring_bind(rep.rx, RB, 4));
    struct ring_view out, in;
    ring_view_init(&out, (void *)RA, 4096, true);
    ring_view_init(&in, (void *)RB, 8192, false);
    v_handle f = kt_frame();
    K_OK(v_as_map(AS, f, SCRATCH_VA, V_R_READ | V_R_WRITE));
    *(volatile uint64_t *)SCRATCH_VA = 0xfeedface;
    K_OK(v_ring_send_cap(req.tx, f, V_MOVE));
    struct ring_slot h = {.len = 0, .kind = 20, .ncaps = 1};
    K_EQ(ring_push(&out, &h, 0), RING_OK);
    v_ring_notify(req.tx);
    for (int tries = 0; ring_pop(&in, &h, 0, 0) == RING_EMPTY && tries < 200; tries++)
        v_signal_wait(1 << 4, 10000);
    K_EQ(h.kind, 21);
    K_EQ(h.id, 0xfeedface);
    /* the child took the page: our mapping of it is gone */
    v_handle g = kt_frame();
    K_OK(v_as_map(AS, g, SCRATCH_VA, V_R_READ));
    K_OK(v_cap_delete(g));
    struct ring_slot bye = {.len = 0, .kind = 99};
    ring_push(&out, &bye, 0);
    v_ring_notify(req.tx);
    struct v_taskinfo info;
    WAIT(&c, &info);
    K_EQ(rt_child_destroy(&c), 0);
    del_ring(&req);
    del_ring(&rep);
}

KCASE(RNG0017, 1, "what if the peer scribbles garbage over the Ring's indices and slots?")
{
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(2, 6));
    K_OK(v_ring_bind(r.tx, RA, 5));
    K_OK(v_ring_bind(r.rx, RB, 6));
    struct ring_view c;
    ring_view_init(&c, (void *)RB, 4096, false);
    uint64_t x = 99;
    for (int i = 0; i < 2000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint32_t *w = (uint32_t *)RA;
        w[(x >> 8) % 1024] = (uint32_t)x;     /* anything, anywhere */
        w[0] = 4;
        w[1] = 64;                            /* the view keeps its own sizes anyway */
        struct ring_slot h;
        uint8_t buf[64];
        enum ring_status st = ring_pop(&c, &h, buf, sizeof buf);
        K_TRUE(st == RING_OK || st == RING_EMPTY || st == RING_CORRUPT || st == RING_CLOSED);
    }
    K_OK(v_ring_notify(r.tx));                /* the kernel never read any of it */
    del_ring(&r);
}

KCASE(RNG0019, 0, "a Ring end whose binder was destroyed can be bound by a successor")
{
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(2, 6));
    /* the child gets copies; the originals (and the Ring) stay with us */
    struct rt_bundle_item it[2] = {{"rx", 0, true}, {"tx", 0, true}};
    it[0].cap = (v_handle)K_OK(v_cap_copy(r.rx, V_SLOT_ANY));
    it[1].cap = (v_handle)K_OK(v_cap_copy(r.tx, V_SLOT_ANY));
    struct rt_child c;
    SPAWN(M_ECHO, 0, 1, it, 2, &c);
    kt_sleep_ms(5);                             /* it binds both and waits */
    K_ERR(v_ring_bind(r.rx, RB, 6), V_EEXIST);  /* bound by a live Task */
    K_OK(v_task_kill(c.task));
    K_ERR(v_ring_bind(r.rx, RB, 6), V_EEXIST);  /* killed is not destroyed */
    K_EQ(rt_child_destroy(&c), 0);
    K_OK(v_ring_bind(r.rx, RB, 6));             /* the successor */
    K_ERR(v_ring_bind(r.rx, RB + 0x10000, 6), V_EEXIST);
    del_ring(&r);
}

/* Regression (ABI review, finding 7): a non-Ring capability without the
 * rights got V_ERIGHTS instead of V_ETYPE. */
KCASE(RNG0020, 1, "what if Ring calls get a capability that is neither end and has no rights?")
{
    v_handle f = kt_frame();
    v_handle none = (v_handle)K_OK(v_cap_mint(f, V_SLOT_ANY, 0, 0));
    K_ERR(v_ring_bind(none, RA, 1), V_ETYPE);
    K_ERR(v_ring_send_cap(none, f, 0), V_ETYPE);
    K_ERR(v_ring_recv_cap(none, V_SLOT_ANY), V_ETYPE);
    K_OK(v_cap_delete(f));
}

/* A revoked entry anywhere in the transfer queue is a gap, not a queued
 * capability: with 7 really waiting, an 8th still fits, and the consumer
 * receives the rest in their order. */
KCASE(RNG0021, 1, "what if a queued capability's source is revoked in the middle of a full queue?")
{
    uint64_t before = kt_free(T);
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(2, 6));
    v_handle src[V_RING_XQ + 1];
    for (unsigned i = 0; i <= V_RING_XQ; i++)
        src[i] = kt_frame();
    for (unsigned i = 0; i < V_RING_XQ; i++)
        K_OK(v_ring_send_cap(r.tx, src[i], 0));
    K_ERR(v_ring_send_cap(r.tx, src[V_RING_XQ], 0), V_EFULL);
    K_OK(v_cap_revoke(src[2]));               /* its queued copy goes */
    K_OK(v_cap_revoke(src[5]));
    K_EQ(K_OK(v_ring_send_cap(r.tx, src[V_RING_XQ], 0)), V_RING_XQ - 1);
    K_EQ(K_OK(v_ring_send_cap(r.tx, src[2], 0)), V_RING_XQ);
    K_ERR(v_ring_send_cap(r.tx, src[5], 0), V_EFULL);
    static const unsigned order[] = {0, 1, 3, 4, 6, 7, V_RING_XQ, 2};
    for (unsigned i = 0; i < V_RING_XQ; i++) {
        v_handle got = (v_handle)K_OK(v_ring_recv_cap(r.rx, V_SLOT_ANY));
        struct v_capinfo gi, si;
        K_OK(v_cap_info(got, (uint64_t)&gi));
        K_OK(v_cap_info(src[order[i]], (uint64_t)&si));
        K_EQ(gi.phys, si.phys);
        K_OK(v_cap_delete(got));
    }
    K_ERR(v_ring_recv_cap(r.rx, V_SLOT_ANY), V_EEMPTY);
    for (unsigned i = 0; i <= V_RING_XQ; i++)
        K_OK(v_cap_delete(src[i]));
    del_ring(&r);
    K_EQ(kt_free(T), before);
}

/* The hostile-client case of the connection-memory rule: a client that
 * makes a connection's Rings from its own Reticle and revokes it under
 * the server, at seeded random moments. The server's mappings become
 * tombstones that read as closed (docs/ARCHITECTURE.md, "Memory a
 * client lends"): it never faults, drops the connection and reuses its
 * place, and an honest client beside it sees no error. */
#define HA 0x41000000ull
#define HB 0x41100000ull
#define XA 0x42000000ull
#define XB 0x42100000ull

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int offer(struct ring_view *cv, v_handle ctl, v_handle rx, v_handle tx)
{
    struct ring_slot m = {.kind = ACCEPT_CONNECT, .ncaps = 2};
    if (v_ring_send_cap(ctl, rx, V_MOVE).err || v_ring_send_cap(ctl, tx, V_MOVE).err)
        return -1;
    if (ring_push(cv, &m, 0) != RING_OK)
        return -2;
    v_ring_notify(ctl);
    return 0;
}

/* One request and its reply; 0 if it came back right. */
static int roundtrip(struct ring_view *out, struct ring_view *in, v_handle tx, unsigned bit,
                     uint64_t id)
{
    struct ring_slot h = {.len = 8, .kind = 10, .id = id};
    if (ring_push(out, &h, &id) != RING_OK)
        return 1;
    v_ring_notify(tx);
    uint64_t v;
    enum ring_status st;
    for (int tries = 0; (st = ring_pop(in, &h, &v, sizeof v)) == RING_EMPTY && tries < 200;
         tries++) {
        ring_set_sleeping(in, true);
        if (ring_count(in) == 0)
            v_signal_wait(1ull << bit, 5000);
        ring_set_sleeping(in, false);
    }
    return st != RING_OK ? 2 : h.kind != 11 ? 3 : h.id != id || v != id ? 4 : 0;
}

KCASE(RNG0022, 1, "what if clients revoke their connections' memory under a server at random moments, 10 000 times?")
{
    uint64_t before = kt_free(T);
    struct ring2 ctl = {0}, hreq = {0}, hrep = {0};
    NEW_RING(&ctl, V_RING_PARAM(4, 6));
    NEW_RING(&hreq, V_RING_PARAM(3, 8));
    NEW_RING(&hrep, V_RING_PARAM(3, 8));
    struct rt_bundle_item it[] = {{"ctl", ctl.rx, true}};
    struct rt_child c;
    SPAWN(M_ACCEPT, 0, 16, it, 1, &c);
    struct ring_view cv, hout, hin;
    K_OK(v_ring_bind(ctl.tx, RA, 5));
    K_EQ(ring_view_init(&cv, (void *)RA, 4096, true), RING_OK);
    K_OK(v_ring_bind(hreq.tx, HA, 6));
    K_OK(v_ring_bind(hrep.rx, HB, 6));
    K_EQ(ring_view_init(&hout, (void *)HA, 4096, true), RING_OK);
    K_EQ(ring_view_init(&hin, (void *)HB, 4096, false), RING_OK);
    K_EQ(offer(&cv, ctl.tx, hreq.rx, hrep.tx), 0);
    unsigned honest_errors = 0, revoked_bound = 0;
    for (uint64_t i = 0; i < 10000; i++) {
        v_handle sub = (v_handle)K_OK(v_retype(T, V_TYPE_RETICLE, 64 * 1024, V_SLOT_ANY));
        uint64_t a = K_OK(v_retype(sub, V_TYPE_RING_SEND, V_RING_PARAM(3, 8), V_SLOT_ANY));
        uint64_t b = K_OK(v_retype(sub, V_TYPE_RING_SEND, V_RING_PARAM(3, 8), V_SLOT_ANY));
        v_handle rq_tx = (v_handle)a, rq_rx = V_RING_RECV_END(a);
        v_handle rp_tx = (v_handle)b, rp_rx = V_RING_RECV_END(b);
        struct ring_view xo, xi;
        K_OK(v_ring_bind(rq_tx, XA, 7));
        K_OK(v_ring_bind(rp_rx, XB, 7));
        ring_view_init(&xo, (void *)XA, 4096, true);
        ring_view_init(&xi, (void *)XB, 4096, false);
        struct v_taskinfo si;
        K_OK(v_task_info(c.task, (uint64_t)&si));
        if (si.state != V_TASK_RUNNABLE && si.state != V_TASK_BLOCKED) {
            kt_fail(__LINE__, "after %lu connections the server is in state %u (faults %lu, "
                    "last at %#lx)", i, si.state, si.faults, si.fault.addr);
            rt_child_destroy(&c);
            del_ring(&ctl);
            del_ring(&hreq);
            del_ring(&hrep);
            return;
        }
        for (int tries = 0; offer(&cv, ctl.tx, rq_rx, rp_tx) == -2; tries++) {
            K_TRUE(tries < 10000);
            v_yield();                      /* the server is behind: let it catch up */
        }
        unsigned action = (unsigned)(rnd() % 5), yields = (unsigned)(rnd() % 4);
        if (action == 2) {
            struct ring_slot h = {.len = 8, .kind = 10, .id = i};
            ring_push(&xo, &h, &i);
            v_ring_notify(rq_tx);
        } else if (action == 3) {
            revoked_bound += roundtrip(&xo, &xi, rq_tx, 7, i) == 0;
        } else if (action == 4) {
            memset((void *)XA, 0xa5, 4096);   /* garbage over indices and slots */
            v_ring_notify(rq_tx);
        }
        for (unsigned y = 0; action && y < yields; y++)
            v_yield();
        K_OK(v_cap_revoke(sub));            /* the server's ends and mappings go */
        K_OK(v_cap_delete(sub));
        honest_errors += roundtrip(&hout, &hin, hreq.tx, 6, i) != 0;
    }
    K_EQ(honest_errors, 0);
    K_TRUE(revoked_bound > 1000);           /* many were revoked while served */
    struct ring_slot bye = {.kind = 99};
    while (ring_push(&cv, &bye, 0) == RING_FULL)
        v_yield();
    v_ring_notify(ctl.tx);
    struct v_taskinfo info;
    WAIT(&c, &info);
    K_EQ(info.state, V_TASK_DEAD);          /* never FAULTED */
    K_EQ(info.faults, 0);
    K_TRUE(info.exit_code > 1000);          /* connections it served */
    printf("KTEST NOTE RNG0022 10000 hostile connections, %u revoked after a round trip, "
           "%ld served; honest round trips failed: %u; server faults: %lu\n",
           revoked_bound, info.exit_code, honest_errors, info.faults);
    K_EQ(rt_child_destroy(&c), 0);
    del_ring(&ctl);
    del_ring(&hreq);
    del_ring(&hrep);
    K_EQ(kt_free(T), before);
}

KCASE(RNG0023, 1, "what if ring_call is given a bad end, no bits, an unbound or a closed peer?")
{
    struct ring2 r = {0};
    NEW_RING(&r, V_RING_PARAM(2, 6));
    v_handle f = kt_frame();
    K_ERR(v_ring_call(0, 1, 0), V_EHANDLE);
    K_ERR(v_ring_call(r.tx | 1ull << 32, 1, 0), V_EHANDLE);
    K_ERR(v_ring_call(f, 1, 0), V_ETYPE);
    K_ERR(v_ring_call(r.tx, 0, 0), V_EINVAL);
    /* nobody bound the other end yet: it only waits */
    K_ERR(v_ring_call(r.tx, 1ull << 26, 2000), V_ETIMEOUT);
    K_ERR(v_ring_call(r.rx, 1ull << 26, 0), V_ETIMEOUT);
    /* bound to ourselves: our own doorbell wakes us at once */
    K_OK(v_ring_bind(r.rx, RB, 26));
    K_EQ(K_OK(v_ring_call(r.tx, 1ull << 26, 1000000)), 1ull << 26);
    K_OK(v_cap_delete(r.rx));
    K_ERR(v_ring_call(r.tx, 1ull << 26, 1000), V_EDISCONNECTED);
    K_OK(v_cap_delete(r.tx));
    K_OK(v_cap_delete(f));
}

KCASE(RNG0024, 0, "ring_call rings the server and waits for its reply in one call, 200 times")
{
    int ok;
    echo_rounds(200, true, &ok);
}
