/*
 * serve.c: the request side of a Cap'n Proto service, shared by the
 * services that answer one connection's requests in order (logd, serial).
 * Each request kind is a method in a table; what is not in the table, a
 * reply sent as a request included, gets an IPC_ERROR reply, and no
 * method takes capabilities, so any sent along are deleted unread.
 * Replies never wait for space: a client that does not read its replies
 * loses them and cannot stall the service.
 */
#include "ipc.h"

#include "capnp/capnp.h"

/* ipc_serve calls one handler for every server; the table rides in ctx. */
static void dispatch(struct ipc_server *s, struct ipc_conn *c, struct ipc_msg *m)
{
    for (unsigned i = 0; i < m->ncaps; i++)
        v_cap_delete(m->caps[i]);
    for (const struct ipc_method *f = s->ctx; f->fn; f++)
        if (f->kind == m->hdr.kind) {
            f->fn(c, m);
            return;
        }
    ipc_reply_error(c, m->hdr.id);
}

void ipc_serve_methods(struct ipc_server *s, const struct ipc_method *methods,
                       uint64_t timeout_us)
{
    s->handle = dispatch;
    s->ctx = (void *)methods;
    ipc_serve(s, timeout_us);
}

int ipc_request_open(struct capnp_msg *msg, const struct ipc_msg *m)
{
    static const uint8_t empty[8];   /* no payload: every field its default */
    int e = m->hdr.len ? capnp_msg_init_flat(msg, m->data, m->hdr.len)
                       : capnp_msg_init_flat(msg, empty, sizeof empty);
    if (!e)
        capnp_msg_set_limits(msg, 4 * (m->hdr.len / 8) + 16, 4);
    return e;
}

void ipc_reply_built(struct ipc_conn *c, uint16_t method, uint64_t id, struct capnp_builder *b)
{
    size_t len;
    const uint8_t *p = capnp_builder_bytes(b, &len);
    ipc_send(c, (uint16_t)(method | IPC_REPLY), id, p, (uint32_t)len, 0, 0, 0);
}

void ipc_reply_error(struct ipc_conn *c, uint64_t id)
{
    ipc_send(c, IPC_ERROR | IPC_REPLY, id, 0, 0, 0, 0, 0);
}
