/*
 * kbpeer: the child Task of the benchmark program (user/bench/kbench). Its start
 * argument picks the part it plays: the mode (enum kb_mode) in the low
 * byte, flags above. It is also the "small ELF" that kbench's spawn figure
 * loads, starts and reaps (P_EXIT).
 *
 * Every loop here is written for the instruction count: messages are read
 * and written in place in the Ring slots (ring_peek/ring_release,
 * ring_reserve/ring_commit), and a doorbell that is followed by a wait is
 * one signal_call rather than ring_notify + signal_wait, except in
 * P_ECHO_NOTIFY, which measures exactly that two-call protocol of lib/ring.
 * An exit status other than 0 names the step that went wrong.
 */
#include "kbpeer.h"
#include "ring/ring.h"
#include "rt.h"

#define WAIT_NEVER V_TIMEOUT_NEVER
#define BIT(n) (1ull << (n))

static struct kb_shared *shared;

/* The page kbench shares with us; already mapped when we are restarted. */
static int map_shared(void)
{
    if (shared)
        return 0;
    v_handle s = rt_cap("shared");
    if (!s || v_as_map(rt_aspace(), s, KB_SHARED_VA, V_R_READ | V_R_WRITE).err)
        return 1;
    shared = (struct kb_shared *)KB_SHARED_VA;
    return 0;
}

static int bind(const char *name, uint64_t va, unsigned bit, bool producer,
                struct ring_view *v, v_handle *h)
{
    *h = rt_cap(name);
    struct v_ret r = v_ring_bind(*h, va, bit);
    if (r.err)
        return 1;
    return ring_view_init(v, (void *)va, r.val, producer) != RING_OK;
}

/* Answer each request with kind + 1, the same id and 8-byte payload. A
 * request carrying a capability (ncaps = 1) has it taken into our table,
 * the TSC noted for kbench, and moved back with the reply. */
static int echo_call(void)
{
    struct ring_view in, out;
    v_handle rx, tx, peer = rt_cap("peer");
    if (map_shared() || bind("rx", KB_RX_VA, KB_BIT_REQ, false, &in, &rx) ||
        bind("tx", KB_TX_VA, KB_BIT_TXSP, true, &out, &tx) || !peer)
        return 30;
    if (v_signal_wait(BIT(KB_BIT_REQ), WAIT_NEVER).err)
        return 31;
    for (;;) {
        const struct ring_slot *q;
        enum ring_status st;
        while ((st = ring_peek(&in, &q)) == RING_OK) {
            uint16_t kind = q->kind, ncaps = q->ncaps;
            uint64_t id = q->id, word = *(const uint64_t *)(q + 1);
            if (kind == KB_K_STOP)
                return 0;
            v_handle cap = 0;
            if (ncaps) {
                struct v_ret r = v_ring_recv_cap(rx, V_SLOT_ANY);
                shared->t_cap = kb_tsc();
                if (r.err)
                    return 32;
                cap = (v_handle)r.val;
            }
            struct ring_slot *p;
            if (ring_reserve(&out, &p) != RING_OK)
                return 33;
            p->len = 8;
            p->kind = (uint16_t)(kind + 1);
            p->ncaps = 0;
            p->id = id;
            *(uint64_t *)(p + 1) = word;
            if (cap) {
                if (v_ring_send_cap(tx, cap, V_MOVE).err)
                    return 34;
                p->ncaps = 1;
            }
            ring_release(&in);
            ring_commit(&out);
        }
        if (st != RING_EMPTY)
            return st == RING_CLOSED ? 0 : 35;
        /* the reply's doorbell and our wait for the next request, one call */
        if (v_signal_call(peer, BIT(KB_BIT_REP), BIT(KB_BIT_REQ), WAIT_NEVER).err)
            return 36;
    }
}

/* Echo by copy (ring_echo_1k/_4k): each request is copied out with
 * ring_pop and its bytes copied back in with ring_push, kind + 1; the
 * doorbell and the wait one signal_call, as in echo_call. */
static int echo_copy(void)
{
    static uint8_t buf[4096];
    struct ring_view in, out;
    v_handle rx, tx, peer = rt_cap("peer");
    if (bind("rx", KB_RX_VA, KB_BIT_REQ, false, &in, &rx) ||
        bind("tx", KB_TX_VA, KB_BIT_TXSP, true, &out, &tx) || !peer)
        return 80;
    if (v_signal_wait(BIT(KB_BIT_REQ), WAIT_NEVER).err)
        return 81;
    for (;;) {
        struct ring_slot h;
        enum ring_status st;
        while ((st = ring_pop(&in, &h, buf, sizeof buf)) == RING_OK) {
            if (h.kind == KB_K_STOP)
                return 0;
            h.kind++;
            if (ring_push(&out, &h, buf) != RING_OK)
                return 82;
        }
        if (st != RING_EMPTY)
            return st == RING_CLOSED ? 0 : 83;
        if (v_signal_call(peer, BIT(KB_BIT_REP), BIT(KB_BIT_REQ), WAIT_NEVER).err)
            return 84;
    }
}

/* The same echo through lib/ring's doorbell protocol: ring only a peer
 * that said it sleeps; say so before sleeping, and look once more. */
static int echo_notify(void)
{
    struct ring_view in, out;
    v_handle rx, tx;
    if (bind("rx", KB_RX_VA, KB_BIT_REQ, false, &in, &rx) ||
        bind("tx", KB_TX_VA, KB_BIT_TXSP, true, &out, &tx))
        return 40;
    for (;;) {
        const struct ring_slot *q;
        enum ring_status st;
        while ((st = ring_peek(&in, &q)) == RING_OK) {
            if (q->kind == KB_K_STOP)
                return 0;
            struct ring_slot *p;
            if (ring_reserve(&out, &p) != RING_OK)
                return 41;
            p->len = 8;
            p->kind = (uint16_t)(q->kind + 1);
            p->ncaps = 0;
            p->id = q->id;
            *(uint64_t *)(p + 1) = *(const uint64_t *)(q + 1);
            ring_release(&in);
            ring_commit(&out);
            if (ring_peer_sleeping(&out) && v_ring_notify(tx).err)
                return 42;
        }
        if (st != RING_EMPTY)
            return st == RING_CLOSED ? 0 : 43;
        ring_set_sleeping(&in, true);
        if (ring_count(&in) == 0)
            v_signal_wait(BIT(KB_BIT_REQ), WAIT_NEVER);
        ring_set_sleeping(&in, false);
    }
}

/* Stream consumer: drain everything there is, then ring the producer's
 * doorbell (if it sleeps) and sleep in one call. flags & 1: copy each
 * message out with ring_pop instead of reading it in place. */
static int sink(unsigned flags)
{
    struct ring_view in;
    v_handle rx, peer = rt_cap("peer");
    if (map_shared() || bind("rx", KB_RX_VA, KB_BIT_REQ, false, &in, &rx) || !peer)
        return 50;
    uint64_t sum = 0, count = 0;
    for (;;) {
        enum ring_status st;
        if (flags & 1) {
            struct ring_slot h;
            uint64_t w[6];
            while ((st = ring_pop(&in, &h, w, sizeof w)) == RING_OK) {
                if (h.kind == KB_K_STOP)
                    goto stop;
                sum += w[0] + w[1] + w[2] + w[3] + w[4] + w[5];
                count++;
            }
        } else {
            const struct ring_slot *s;
            while ((st = ring_peek(&in, &s)) == RING_OK) {
                if (s->kind == KB_K_STOP)
                    goto stop;
                const uint64_t *w = (const uint64_t *)(s + 1);
                sum += w[0] + w[1] + w[2] + w[3] + w[4] + w[5];
                count++;
                ring_release(&in);
            }
        }
        if (st != RING_EMPTY)
            return 51;
        ring_set_sleeping(&in, true);
        if (ring_count(&in) == 0) {
            if (ring_peer_sleeping(&in))
                v_signal_call(peer, BIT(KB_BIT_SPACE), BIT(KB_BIT_REQ), WAIT_NEVER);
            else
                v_signal_wait(BIT(KB_BIT_REQ), WAIT_NEVER);
        }
        ring_set_sleeping(&in, false);
    }
stop:
    shared->sum = sum;
    shared->count = count;
    return 0;
}

/* Handed-over frames: each message brings up to KB_FRAMES_PER_MSG frame
 * capabilities (moved), each of the pages the payload says. Take each from the sender's
 * address space, map it here, read the first word of each page, unmap it,
 * and move it back with one return message. */
static int frames(void)
{
    struct ring_view in, out;
    v_handle rx, tx, peer = rt_cap("peer"), as = rt_aspace();
    if (map_shared() || bind("rx", KB_RX_VA, KB_BIT_REQ, false, &in, &rx) ||
        bind("tx", KB_TX_VA, KB_BIT_TXSP, true, &out, &tx) || !peer || !as)
        return 60;
    uint64_t sum = 0, count = 0;
    for (;;) {
        const struct ring_slot *q;
        enum ring_status st;
        while ((st = ring_peek(&in, &q)) == RING_OK) {
            unsigned n = q->ncaps;
            uint64_t id = q->id;
            if (q->kind == KB_K_STOP) {
                shared->sum = sum;
                shared->count = count;
                return 0;
            }
            /* the payload: pages per frame, 1 .. 16 */
            uint64_t fpages = q->len == 8 ? *(const uint64_t *)(q + 1) : 0;
            if (n > KB_FRAMES_PER_MSG || fpages < 1 || fpages > 16)
                return 61;
            v_handle f[KB_FRAMES_PER_MSG];
            for (unsigned k = 0; k < n; k++) {
                struct v_ret r = v_ring_recv_cap(rx, V_SLOT_ANY);
                if (r.err)
                    return 62;
                f[k] = (v_handle)r.val;
                uint64_t va = KB_BUF_VA + 4096ull * fpages * k;
                if (v_as_unmap(f[k]).err || v_as_map(as, f[k], va, V_R_READ).err)
                    return 63;
                for (uint64_t pg = 0; pg < fpages; pg++)
                    sum += *(volatile uint64_t *)(va + 4096ull * pg);
            }
            struct ring_slot *p;
            if (ring_reserve(&out, &p) != RING_OK)
                return 64;
            for (unsigned k = 0; k < n; k++)
                if (v_as_unmap(f[k]).err || v_ring_send_cap(tx, f[k], V_MOVE).err)
                    return 65;
            p->len = 0;
            p->kind = KB_K_DATA + 1;
            p->ncaps = (uint16_t)n;
            p->id = id;
            count++;
            ring_release(&in);
            ring_commit(&out);
        }
        if (st != RING_EMPTY)
            return 66;
        if (v_signal_call(peer, BIT(KB_BIT_REP), BIT(KB_BIT_REQ), WAIT_NEVER).err)
            return 67;
    }
}

/* Note the TSC, then load from an address that is never mapped: a page
 * fault, which halts us and tells kbench (our supervisor). kbench
 * restarts us at _start for the next sample. */
static int fault(void)
{
    if (map_shared())
        return 70;
    shared->t_fault = kb_tsc();
    __asm__ volatile("mov (%0), %%rax" ::"r"(KB_FAULT_VA) : "rax", "memory");
    return 71;
}

/* Ping-pong: wait for the first ping, then answer each with a pong that
 * also waits for the next ping. kbench destroys us when it is done. */
static int pong(void)
{
    v_handle peer = rt_cap("peer");
    if (!peer || v_signal_wait(BIT(KB_BIT_REQ), WAIT_NEVER).err)
        return 20;
    for (;;)
        if (v_signal_call(peer, BIT(KB_BIT_REP), BIT(KB_BIT_REQ), WAIT_NEVER).err)
            return 21;
}

/* The device side of irq_wake: each request makes the UART raise its
 * transmitter-empty interrupt (IER bit 1, with the holding register
 * empty), noting the TSC just before the write. */
static int irq(void)
{
    v_handle ports = rt_cap("ioports");
    if (!ports || map_shared())
        return 30;
    for (;;) {
        if (v_signal_wait(BIT(KB_BIT_REQ), WAIT_NEVER).err)
            return 31;
        shared->t_fault = kb_tsc();
        if (v_io_out(ports, KB_COM1 + 1, 1, 0x02).err)
            return 32;
    }
}

int main(void)
{
    uint64_t arg = rt_arg();
    unsigned flags = (unsigned)(arg >> 8);
    switch (arg & 0xff) {
    case P_EXIT: return 0;
    case P_PONG: return pong();
    case P_ECHO_CALL: return echo_call();
    case P_ECHO_NOTIFY: return echo_notify();
    case P_SINK: return sink(flags);
    case P_FRAMES: return frames();
    case P_FAULT: return fault();
    case P_ECHO_COPY: return echo_copy();
    case P_IRQ: return irq();
    }
    return 99;
}
