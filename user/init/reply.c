/*
 * reply.c: the reply most Supervisor methods give, (status, message),
 * through the runtime's one reply path (ipc_reply_caps: an overflowing
 * builder becomes IPC_ERROR, capabilities not delivered are deleted).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "init.h"
#include "schema/supervisor.capnp.h"

void status_caps(struct ipc_conn *c, const struct ipc_msg *m, int st, const v_handle *caps,
                 unsigned ncaps, const char *fmt, ...)
{
    static uint8_t out[1024] __attribute__((aligned(8)));
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_StatusReply_B r = Supervisor_StatusReply_build_root(&b);
    Supervisor_StatusReply_set_status(r, (enum Supervisor_Status)st);
    Supervisor_StatusReply_set_message(r, text, strlen(text));
    ipc_reply_caps(c, m->hdr.kind, m->hdr.id, &b, caps, ncaps);
}
