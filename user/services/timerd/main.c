/*
 * timerd: the timer service (schema/timer.capnp).
 *
 * now() answers v_clock. sleep(us) holds the request and replies once
 * the delay has passed. Pending sleeps of every client sit in one table;
 * the kernel gives a Task one timer, which is kept armed for the
 * earliest deadline and re-armed after each expiry. The kernel rounds a
 * timer up to the next tick, so a reply never comes early.
 *
 * Limits, each answered at once with a status: a sleep longer than
 * Timer_maxSleepUs is tooLong; a connection may have Timer_maxPending
 * sleeps waiting (its reply Ring has 8 slots anyway), beyond that busy.
 * A client that disconnects takes its pending sleeps with it (O(n)). Bad
 * payloads, unknown methods and replies sent as requests get IPC_ERROR.
 */
#include <string.h>

#include "ipc.h"
#include "logc.h"
#include "pq/pq.h"
#include "rt.h"
#include "schema/timer.capnp.h"

#define TIMER_BIT RT_SIG_TIMER
#define MAX_SLEEPS (IPC_MAX_CONNS * Timer_maxPending)

static struct pq_item heap_items[MAX_SLEEPS];
static struct pq sleeps;                    /* ref: the connection; val: the request id */
static uint8_t pending[IPC_MAX_CONNS];      /* sleeps in the heap, per connection */
static struct ipc_server srv;

static uint64_t now_us(void) { return v_clock().val; }

static uint8_t *pending_of(struct ipc_conn *c) { return &pending[c - srv.conns]; }

static void arm(void)
{
    const struct pq_item *first = pq_top(&sleeps);
    if (!first) {
        v_timer_set(TIMER_BIT, 0);
        return;
    }
    uint64_t now = now_us();
    v_timer_set(TIMER_BIT, first->key > now ? first->key - now : 1);
}

static void reply_now(struct ipc_conn *c, uint64_t id)
{
    uint8_t buf[32];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Timer_now_Results_set_us(Timer_now_Results_build_root(&b), now_us());
    ipc_reply_built(c, Timer_method_now, id, &b);
}

static void reply_sleep(struct ipc_conn *c, uint64_t id, enum Timer_Status st)
{
    uint8_t buf[32];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Timer_sleep_Results_B r = Timer_sleep_Results_build_root(&b);
    Timer_sleep_Results_set_status(r, st);
    Timer_sleep_Results_set_now(r, now_us());
    ipc_reply_built(c, Timer_method_sleep, id, &b);
}

/* now() reads no parameters: any payload will do. */
static void serve_now(struct ipc_conn *c, const struct ipc_msg *m) { reply_now(c, m->hdr.id); }

static void serve_sleep(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    uint64_t us = Timer_sleep_Params_us(Timer_sleep_Params_read_root(msg));
    if (capnp_msg_error(msg)) {
        ipc_reply_error(c, m->hdr.id);
        return;
    }
    if (us > Timer_maxSleepUs) {
        reply_sleep(c, m->hdr.id, Timer_Status_tooLong);
        return;
    }
    if (us == 0) {
        reply_sleep(c, m->hdr.id, Timer_Status_ok);
        return;
    }
    uint8_t *mine = pending_of(c);
    if (*mine >= Timer_maxPending || !pq_push(&sleeps, now_us() + us, c, m->hdr.id)) {
        reply_sleep(c, m->hdr.id, Timer_Status_busy);
        return;
    }
    ++*mine;
    if (pq_top(&sleeps)->ref == c && pq_top(&sleeps)->val == m->hdr.id)
        arm();                  /* the new earliest: the timer moves */
}

/* Written out rather than Timer_METHODS(ROW): now() takes its request raw. */
static const struct ipc_method methods[] = {
    {Timer_method_now, serve_now, 0},
    {Timer_method_sleep, 0, serve_sleep},
    {0, 0, 0},
};

static void expire(void)
{
    uint64_t now = now_us();
    struct pq_item s;
    while (pq_top(&sleeps) && pq_top(&sleeps)->key <= now) {
        pq_pop(&sleeps, &s);
        --*pending_of(s.ref);
        reply_sleep(s.ref, s.val, Timer_Status_ok);
    }
    arm();
}

static void on_bits(struct ipc_server *s, uint64_t bits)
{
    (void)s;
    if (bits & 1ull << TIMER_BIT)
        expire();
}

static bool owned_by(const struct pq_item *it, void *c) { return it->ref == c; }

static void on_close(struct ipc_server *s, struct ipc_conn *c)
{
    (void)s;
    pq_remove_if(&sleeps, owned_by, c);
    *pending_of(c) = 0;
    arm();
}

int main(void)
{
    pq_init(&sleeps, heap_items, MAX_SLEEPS);
    v_handle listen = rt_cap("listen");
    if (!listen || ipc_server_init(&srv, listen))
        return 2;
    srv.on_bits = on_bits;
    srv.on_close = on_close;
    srv.extra_bits = 1ull << TIMER_BIT;
    rt_log(RT_LOG_INFO, "timer service started");
    ipc_serve_methods(&srv, methods, V_TIMEOUT_NEVER);
    return 0;
}
