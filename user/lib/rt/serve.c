/*
 * serve.c: the request side of a Cap'n Proto service: one table-driven
 * dispatch and one reply path, shared by every server (logd, serial,
 * init's Supervisor).
 *
 * Each request kind is a method in a table (the generated
 * NAME_method_* numbers); what is not in the table, a reply sent as a
 * request included, gets an IPC_ERROR reply. A method either reads the
 * raw message (fn) or is given it opened as a flat Cap'n Proto message
 * with reading limits in proportion to its size (call); a payload that
 * does not open is refused for it. No method takes capabilities, so any
 * sent along are deleted unread.
 *
 * Replies never wait for space: a client that does not read its replies
 * loses them and cannot stall the service. A reply whose builder
 * overflowed is sent as IPC_ERROR, never cut short; capabilities a reply
 * could not carry are deleted, so none leak.
 */
#include "ipc.h"

#include "capnp/capnp.h"

/* ipc_serve calls one handler for every server; the table rides in ctx. */
static void dispatch(struct ipc_server *s, struct ipc_conn *c, struct ipc_msg *m)
{
    for (unsigned i = 0; i < m->ncaps; i++)
        v_cap_delete(m->caps[i]);
    m->ncaps = 0;
    if (s->gate && !s->gate(c, m))
        return;
    for (const struct ipc_method *f = s->ctx; f->fn || f->call; f++) {
        if (f->kind != m->hdr.kind)
            continue;
        if (f->fn) {
            f->fn(c, m);
            return;
        }
        struct capnp_msg msg;
        if (ipc_request_open(&msg, m))
            break;
        f->call(c, m, &msg);
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

int ipc_reply_caps(struct ipc_conn *c, uint16_t method, uint64_t id, struct capnp_builder *b,
                   const v_handle *caps, unsigned ncaps)
{
    size_t len;
    const uint8_t *p = capnp_builder_bytes(b, &len);
    int e = IPC_TOOBIG;
    if (capnp_builder_error(b))
        ipc_reply_error(c, id);
    else
        e = ipc_reply_id(c, method, id, p, (uint32_t)len, caps, ncaps);
    for (unsigned i = 0; e && i < ncaps; i++)
        v_cap_delete(caps[i]);
    return e;
}

void ipc_reply_built(struct ipc_conn *c, uint16_t method, uint64_t id, struct capnp_builder *b)
{
    ipc_reply_caps(c, method, id, b, 0, 0);
}

void ipc_reply_error(struct ipc_conn *c, uint64_t id)
{
    ipc_reply_id(c, IPC_ERROR, id, 0, 0, 0, 0);
}
