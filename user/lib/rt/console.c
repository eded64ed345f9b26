/*
 * console.c: see console.h.
 *
 * One connection per Task. A reply that arrives after its call timed out
 * is recognised by its older id and skipped, so one slow reply does not
 * break every later call.
 */
#include "console.h"

#include <stdio.h>
#include <string.h>

#include "ipc.h"
#include "schema/console.capnp.h"

#define CALL_TIMEOUT 10000000ull    /* a write waits at most this for room */
#define CHUNK (IPC_PAYLOAD_MAX - 48)

static struct ipc_conn con;
static bool attached;

static int call(uint16_t kind, const void *p, size_t len, struct ipc_msg *reply,
                uint64_t timeout)
{
    uint64_t id = con.next_id++;
    int st = ipc_send(&con, kind, id, p, (uint32_t)len, 0, 0, timeout);
    if (st)
        return st;
    for (;;) {
        if ((st = ipc_recv(&con, reply, timeout)))
            return st;
        for (unsigned i = 0; i < reply->ncaps; i++)
            v_cap_delete(reply->caps[i]);
        if (reply->hdr.id < id)
            continue;           /* the late reply to an earlier call */
        if (reply->hdr.id != id || reply->hdr.kind != (kind | IPC_REPLY))
            return IPC_CORRUPT;
        return IPC_OK;
    }
}

long rt_console_write(const void *buf, size_t n)
{
    static struct ipc_msg reply;
    if (!attached)
        return RT_CONSOLE_ERROR;
    const uint8_t *p = buf;
    for (size_t done = 0; done < n;) {
        size_t k = n - done < CHUNK ? n - done : CHUNK;
        uint8_t msg[IPC_PAYLOAD_MAX];
        struct capnp_builder b;
        capnp_builder_init(&b, msg, sizeof msg);
        Console_write_Params_set_bytes(Console_write_Params_build_root(&b), p + done, k);
        size_t len;
        const uint8_t *bytes = capnp_builder_bytes(&b, &len);
        if (capnp_builder_error(&b) ||
            call(Console_method_write, bytes, len, &reply, CALL_TIMEOUT))
            return RT_CONSOLE_ERROR;
        done += k;
    }
    return (long)n;
}

static void out(const char *s, size_t n)
{
    rt_console_write(s, n);
}

int rt_console_use(v_handle tx, v_handle rx)
{
    if (attached)
        ipc_detach(&con);
    attached = false;
    int st = ipc_attach(&con, tx, rx);
    if (st)
        return st;
    attached = true;
    rt_set_output(out);
    return IPC_OK;
}

int rt_console_attach(void)
{
    v_handle tx = rt_cap("console"), rx = rt_cap("console.rx");
    if (!tx || !rx)
        return IPC_CLOSED;
    return rt_console_use(tx, rx);
}

bool rt_console_attached(void) { return attached; }

static const char *completion_words;

void rt_console_set_words(const char *words)
{
    completion_words = words;
}

int rt_console_readline_echo(char *buf, size_t cap, bool echo)
{
    static struct ipc_msg reply;
    if (!cap)
        return RT_CONSOLE_ERROR;
    buf[0] = 0;
    fflush(stdout);
    if (!attached)
        return RT_CONSOLE_ERROR;
    static uint8_t msg[64 + 1024];
    struct capnp_builder b;
    capnp_builder_init(&b, msg, sizeof msg);
    Console_readLine_Params_B p = Console_readLine_Params_build_root(&b);
    if (completion_words)
        Console_readLine_Params_set_words(p, completion_words,
                                          strnlen(completion_words, 1023));
    Console_readLine_Params_set_maxBytes(p, cap - 1 > 0xffffffffu ? 0xffffffffu
                                                                  : (uint32_t)(cap - 1));
    Console_readLine_Params_set_echo(p, echo);
    size_t len;
    const uint8_t *bytes = capnp_builder_bytes(&b, &len);
    if (call(Console_method_readLine, bytes, len, &reply, V_TIMEOUT_NEVER))
        return RT_CONSOLE_ERROR;
    struct capnp_msg m;
    if (capnp_msg_init_flat(&m, reply.data, reply.hdr.len))
        return RT_CONSOLE_ERROR;
    Console_readLine_Results_R r = Console_readLine_Results_read_root(&m);
    enum Console_Status st = Console_readLine_Results_status(r);
    struct capnp_text t = Console_readLine_Results_line(r);
    if (capnp_msg_error(&m))
        return RT_CONSOLE_ERROR;
    size_t n = t.len < cap - 1 ? t.len : cap - 1;
    memcpy(buf, t.str, n);
    buf[n] = 0;
    switch (st) {
    case Console_Status_ok:
        return t.len <= cap - 1 ? (int)n : RT_CONSOLE_TOOLONG;
    case Console_Status_eof:
        return RT_CONSOLE_EOF;
    case Console_Status_tooLong:
        return RT_CONSOLE_TOOLONG;
    case Console_Status_notAscii:
        return RT_CONSOLE_NOTASCII;
    default:
        return RT_CONSOLE_ERROR;
    }
}

int rt_console_readline(char *buf, size_t cap)
{
    return rt_console_readline_echo(buf, cap, true);
}
