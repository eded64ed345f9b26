/* The timer service (user/services/timerd). */
#include "schema/timer.capnp.h"
#include "svctest.h"

static struct ipc_msg reply;

static size_t build_sleep(uint8_t *buf, size_t cap, uint64_t us)
{
    struct capnp_builder b;
    capnp_builder_init(&b, buf, cap);
    Timer_sleep_Params_set_us(Timer_sleep_Params_build_root(&b), us);
    size_t len;
    capnp_builder_bytes(&b, &len);
    return len;
}

/* Decode a sleep reply: status (or -1), *now. */
static int sleep_result(const struct ipc_msg *r, uint64_t *now)
{
    struct capnp_msg m;
    if (r->hdr.kind != (Timer_method_sleep | IPC_REPLY) ||
        capnp_msg_init_flat(&m, r->data, r->hdr.len))
        return -1;
    Timer_sleep_Results_R res = Timer_sleep_Results_read_root(&m);
    *now = Timer_sleep_Results_now(res);
    int st = Timer_sleep_Results_status(res);
    return capnp_msg_error(&m) ? -1 : st;
}

static int tsleep(struct ipc_conn *c, uint64_t us, uint64_t *now)
{
    uint8_t buf[32];
    size_t len = build_sleep(buf, sizeof buf, us);
    if (st_call(c, Timer_method_sleep, buf, (uint32_t)len, &reply, 5000000))
        return -2;
    return sleep_result(&reply, now);
}

static long long tnow(struct ipc_conn *c)
{
    uint8_t buf[16];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Timer_now_Params_build_root(&b);
    size_t len;
    const uint8_t *p = capnp_builder_bytes(&b, &len);
    if (st_call(c, Timer_method_now, p, (uint32_t)len, &reply, 1000000) ||
        reply.hdr.kind != (Timer_method_now | IPC_REPLY))
        return -1;
    struct capnp_msg m;
    if (capnp_msg_init_flat(&m, reply.data, reply.hdr.len))
        return -1;
    return (long long)Timer_now_Results_us(Timer_now_Results_read_root(&m));
}

#define CONNECT(c, as)                                                                  \
    struct ipc_conn c;                                                                  \
    S_IPC(st_connect(SVC_TIMER, as, &c))

SCASE(TMR0001, 0, "now() is the kernel clock and never goes back")
{
    CONNECT(c, "tmr-a");
    uint64_t before = v_clock().val;
    long long t1 = tnow(&c);
    long long t2 = tnow(&c);
    uint64_t after = v_clock().val;
    S_TRUE(t1 >= (long long)before && t2 >= t1 && t2 <= (long long)after);
    ipc_detach(&c);
}

SCASE(TMR0002, 0, "sleep(20 ms) replies no earlier than 20 ms later")
{
    CONNECT(c, "tmr-a");
    uint64_t t0 = v_clock().val, now;
    S_EQ(tsleep(&c, 20000, &now), Timer_Status_ok);
    uint64_t t1 = v_clock().val;
    S_TRUE(now >= t0 + 20000);
    S_TRUE(t1 >= t0 + 20000 && t1 < t0 + 1000000);
    ipc_detach(&c);
}

SCASE(TMR0003, 0, "sleeps of three clients are pending at once and end in deadline order")
{
    struct ipc_conn c[3];
    static const uint64_t delay[3] = {60000, 20000, 40000};
    uint8_t buf[3][32];
    uint64_t t0 = v_clock().val;
    for (int k = 0; k < 3; k++) {
        char name[16];
        snprintf(name, sizeof name, "tmr-%d", k);
        S_IPC(st_connect(SVC_TIMER, name, &c[k]));
        size_t len = build_sleep(buf[k], sizeof buf[k], delay[k]);
        int st;
        st_send(&c[k], Timer_method_sleep, buf[k], (uint32_t)len, &st);
        S_IPC(st);
    }
    uint64_t end[3];
    for (int k = 0; k < 3; k++) {
        uint64_t now;
        S_IPC(ipc_recv(&c[k], &reply, 2000000));
        S_EQ(sleep_result(&reply, &now), Timer_Status_ok);
        end[k] = now;
        S_TRUE(now >= t0 + delay[k]);
    }
    S_TRUE(end[1] <= end[2] && end[2] <= end[0]);
    S_TRUE(end[0] < t0 + 500000);    /* they ran side by side, not one after another */
    for (int k = 0; k < 3; k++)
        ipc_detach(&c[k]);
}

SCASE(TMR0004, 1, "what if a sleep is zero, or longer than a day?")
{
    CONNECT(c, "tmr-a");
    uint64_t now;
    S_EQ(tsleep(&c, 0, &now), Timer_Status_ok);
    S_EQ(tsleep(&c, Timer_maxSleepUs + 1, &now), Timer_Status_tooLong);
    S_EQ(tsleep(&c, ~0ull, &now), Timer_Status_tooLong);
    ipc_detach(&c);
}

SCASE(TMR0005, 1, "what if one connection piles up more sleeps than it may have waiting?")
{
    CONNECT(c, "tmr-greedy");
    uint8_t buf[32];
    size_t len = build_sleep(buf, sizeof buf, 50000);
    uint64_t ids[8];
    for (unsigned i = 0; i < Timer_maxPending; i++) {
        int st;
        ids[i] = st_send(&c, Timer_method_sleep, buf, (uint32_t)len, &st);
        S_IPC(st);
    }
    uint64_t now;
    S_EQ(tsleep(&c, 1000, &now), Timer_Status_busy);
    for (unsigned i = 0; i < Timer_maxPending; i++) {
        S_IPC(ipc_recv(&c, &reply, 2000000));
        S_EQ(reply.hdr.id, ids[i]);
        S_EQ(sleep_result(&reply, &now), Timer_Status_ok);
    }
    ipc_detach(&c);
}

SCASE(TMR0006, 1, "what if a client goes away with sleeps pending?")
{
    CONNECT(a, "tmr-quitter");
    uint8_t buf[32];
    size_t len = build_sleep(buf, sizeof buf, 30000);
    for (int i = 0; i < 3; i++) {
        int st;
        st_send(&a, Timer_method_sleep, buf, (uint32_t)len, &st);
        S_IPC(st);
    }
    ipc_detach(&a);
    st_sleep_ms(60);            /* past the deadlines */
    CONNECT(b, "tmr-after");
    uint64_t now;
    S_EQ(tsleep(&b, 5000, &now), Timer_Status_ok);
    S_TRUE(st_alive(SVC_TIMER));
    ipc_detach(&b);
}

SCASE(TMR0007, 1, "what if payloads are garbage or methods do not exist?")
{
    CONNECT(c, "tmr-hostile");
    static const uint8_t junk[] = {0x00, 0, 0, 0, 0x01, 0, 0x22, 0x7f, 1, 2, 3};
    S_IPC(st_call(&c, Timer_method_sleep, junk, 8, &reply, 1000000));
    S_EQ(reply.hdr.kind, ERROR_REPLY);
    S_IPC(st_call(&c, Timer_method_sleep, junk, 11, &reply, 1000000));
    S_EQ(reply.hdr.kind, ERROR_REPLY);
    S_IPC(st_call(&c, 2, 0, 0, &reply, 1000000));
    S_EQ(reply.hdr.kind, ERROR_REPLY);
    S_IPC(st_call(&c, Timer_method_now, junk, 3, &reply, 1000000));
    S_EQ(reply.hdr.kind, Timer_method_now | IPC_REPLY);   /* now() reads no parameters */
    ipc_detach(&c);
}
