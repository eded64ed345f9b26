/*
 * logc.c: see logc.h. The connection is opened on first use; once the
 * Task turns out to have none, or the service closes it, rt_log stops
 * trying and returns at once.
 */
#include "logc.h"

#include <stdio.h>
#include <string.h>

#include "ipc.h"
#include "schema/log.capnp.h"

_Static_assert((int)RT_LOG_TRACE == (int)Log_Level_trace &&
                   (int)RT_LOG_INFO == (int)Log_Level_info &&
                   (int)RT_LOG_FATAL == (int)Log_Level_fatal,
               "rt_log_level mirrors Log.Level");

#define LOG_TIMEOUT 1000000ull

static struct ipc_conn con;
static enum { UNTRIED, OPEN, ABSENT } state;

int rt_log_use(v_handle tx, v_handle rx)
{
    if (state == OPEN)
        ipc_detach(&con);
    int e = ipc_attach(&con, tx, rx);
    state = e == IPC_OK ? OPEN : ABSENT;
    return e;
}

static int vlog_at(enum rt_log_level level, uint64_t event_ns, const char *fmt, va_list ap)
{
    static struct ipc_msg reply;
    if (state == UNTRIED)
        state = ipc_open("log", &con) == IPC_OK ? OPEN : ABSENT;
    if (state != OPEN)
        return IPC_CLOSED;
    char text[RT_LOG_TEXT + 1];
    int n = vsnprintf(text, sizeof text, fmt, ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;

    uint8_t msg[RT_LOG_TEXT + 128];
    struct capnp_builder b;
    capnp_builder_init(&b, msg, sizeof msg);
    Log_Record_B r = Log_append_Params_init_record(Log_append_Params_build_root(&b));
    Log_Record_set_level(r, (enum Log_Level)level);
    Log_Record_set_text(r, text, len);
    Log_Record_set_eventTime(r, event_ns);
    size_t mlen;
    const uint8_t *bytes = capnp_builder_bytes(&b, &mlen);

    uint64_t id = con.next_id++;
    int st = ipc_send(&con, Log_method_append, id, bytes, (uint32_t)mlen, 0, 0, LOG_TIMEOUT);
    while (!st) {
        st = ipc_recv(&con, &reply, LOG_TIMEOUT);
        if (st)
            break;
        for (unsigned i = 0; i < reply.ncaps; i++)
            v_cap_delete(reply.caps[i]);
        if (reply.hdr.id < id)
            continue;           /* the late reply to an earlier record */
        if (reply.hdr.id != id || reply.hdr.kind != (Log_method_append | IPC_REPLY))
            st = IPC_CORRUPT;
        break;
    }
    if (st == IPC_CLOSED || st == IPC_CORRUPT) {
        ipc_detach(&con);
        state = ABSENT;
    }
    return st;
}

int rt_vlog(enum rt_log_level level, const char *fmt, va_list ap)
{
    return vlog_at(level, 0, fmt, ap);
}

int rt_log_at(enum rt_log_level level, uint64_t event_ns, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int st = vlog_at(level, event_ns, fmt, ap);
    va_end(ap);
    return st;
}

int rt_log(enum rt_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int st = rt_vlog(level, fmt, ap);
    va_end(ap);
    return st;
}
