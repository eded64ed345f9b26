/*
 * randomc.c: see randomc.h. Reads longer than Random_maxBytes are split;
 * each piece is one request and its reply, matched by id.
 */
#include "randomc.h"

#include <string.h>

#include "ipc.h"
#include "schema/random.capnp.h"

_Static_assert((int)RT_RANDOM_HIGH == (int)Random_Level_high &&
                   (int)RT_RANDOM_SLOPPY == (int)Random_Level_sloppy,
               "rt_random_level mirrors Random.Level");

static struct ipc_conn con;
static enum { UNTRIED, OPEN, ABSENT } state;
static char why[200];

int rt_random_use(uint64_t tx, uint64_t rx)
{
    if (state == OPEN)
        ipc_detach(&con);
    int e = ipc_attach(&con, (v_handle)tx, (v_handle)rx);
    state = e == IPC_OK ? OPEN : ABSENT;
    return e;
}

const char *rt_random_why(void) { return why; }

const char *rt_random_strerror(int e)
{
    switch (e) {
    case 0: return "ok";
    case Random_Status_unseeded: return "unseeded";
    case Random_Status_highWaiting: return "high-waiting";
    case Random_Status_badRequest: return "bad-request";
    case Random_Status_busy: return "busy";
    case RT_RANDOM_NOSERVICE: return "no-random-service";
    case RT_RANDOM_PROTOCOL: return "random-protocol-error";
    }
    return "unknown";
}

static int piece(enum rt_random_level level, uint8_t *out, uint32_t n, uint64_t wait_us)
{
    static struct ipc_msg reply;
    uint8_t req[64];
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Random_get_Params_B p = Random_get_Params_build_root(&b);
    Random_get_Params_set_level(p, (enum Random_Level)level);
    Random_get_Params_set_n(p, n);
    Random_get_Params_set_waitUs(p, wait_us);
    size_t len;
    const uint8_t *bytes = capnp_builder_bytes(&b, &len);
    int st = ipc_call(&con, Random_method_get, bytes, (uint32_t)len, 0, 0, &reply,
                      wait_us + 5000000);
    if (st == IPC_CLOSED || st == IPC_CORRUPT) {
        ipc_detach(&con);
        state = ABSENT;
    }
    if (st)
        return st == IPC_CLOSED ? RT_RANDOM_NOSERVICE : RT_RANDOM_PROTOCOL;
    for (unsigned i = 0; i < reply.ncaps; i++)
        v_cap_delete(reply.caps[i]);
    struct capnp_msg msg;
    if (reply.hdr.kind != (Random_method_get | IPC_REPLY) || ipc_request_open(&msg, &reply))
        return RT_RANDOM_PROTOCOL;
    Random_get_Results_R r = Random_get_Results_read_root(&msg);
    int status = (int)Random_get_Results_status(r);
    struct capnp_data d = Random_get_Results_bytes(r);
    struct capnp_text w = Random_get_Results_why(r);
    if (capnp_msg_error(&msg))
        return RT_RANDOM_PROTOCOL;
    if (status) {
        size_t k = w.len < sizeof why - 1 ? w.len : sizeof why - 1;
        memcpy(why, w.str, k);
        why[k] = 0;
        return status;
    }
    if (d.len != n)
        return RT_RANDOM_PROTOCOL;
    memcpy(out, d.ptr, n);
    return 0;
}

int rt_random(enum rt_random_level level, void *buf, size_t n, uint64_t wait_us)
{
    why[0] = 0;
    if (state == UNTRIED)
        state = ipc_open("random", &con) == IPC_OK ? OPEN : ABSENT;
    if (state != OPEN)
        return RT_RANDOM_NOSERVICE;
    uint8_t *out = buf;
    for (size_t done = 0; done < n;) {
        uint32_t k = n - done < Random_maxBytes ? (uint32_t)(n - done) : Random_maxBytes;
        int e = piece(level, out + done, k, wait_us);
        if (e) {
            memset(buf, 0, done);
            return e;
        }
        done += k;
    }
    return 0;
}
