/*
 * sockproto.c: see sockproto.h. Each check answers one question a hostile
 * client could ask; the order is: the envelope (kind, capabilities), then
 * the Cap'n Proto message, then each field.
 */
#include "sockproto.h"

#include "capnp/capnp.h"

static const char *const status_names[] = {
    "ok", "badRequest", "badState", "badAddress", "addrInUse", "refused", "reset",
    "timedOut", "noMemory", "tooMany", "closed", "badOption",
};

const char *sockproto_status_name(enum NetStatus s)
{
    return (unsigned)s < sizeof status_names / sizeof *status_names ? status_names[s] : "?";
}

static enum NetStatus bad(const char **why, const char *what)
{
    *why = what;
    return NetStatus_badRequest;
}

/* The payload as a flat message with reading limits in proportion to its
 * size (no payload: every field its default). */
static int open_msg(struct capnp_msg *m, const uint8_t *p, uint32_t len)
{
    static const uint8_t empty[8];
    if (len % 8)
        return -1;
    int e = len ? capnp_msg_init_flat(m, p, len) : capnp_msg_init_flat(m, empty, sizeof empty);
    if (!e)
        capnp_msg_set_limits(m, 4 * (len / 8) + 16, 4);
    return e;
}

/* 0.0.0.0, 255.255.255.255 and multicast are never a peer. */
static bool addr_usable(uint32_t a)
{
    return a != 0 && a != 0xffffffffu && (a >> 28) != 0xe;
}

static enum NetStatus decode_socket(uint16_t kind, struct capnp_msg *m, struct sock_req *r,
                                    const char **why)
{
    switch (kind) {
    case Socket_method_connect: {
        Socket_connect_Params_R p = Socket_connect_Params_read_root(m);
        r->op = SOCK_OP_CONNECT;
        r->u.connect.addr = Socket_connect_Params_addr(p);
        r->u.connect.port = Socket_connect_Params_port(p);
        if (capnp_msg_error(m))
            return bad(why, "connect: malformed parameters");
        if (!addr_usable(r->u.connect.addr) || r->u.connect.port == 0) {
            *why = "connect: address or port 0, broadcast or multicast";
            return NetStatus_badAddress;
        }
        return NetStatus_ok;
    }
    case Socket_method_listen: {
        Socket_listen_Params_R p = Socket_listen_Params_read_root(m);
        r->op = SOCK_OP_LISTEN;
        r->u.listen.port = Socket_listen_Params_port(p);
        uint8_t bl = Socket_listen_Params_backlog(p);
        if (capnp_msg_error(m))
            return bad(why, "listen: malformed parameters");
        if (bl == 0 || bl > SOCK_BACKLOG_MAX)
            return bad(why, "listen: backlog outside 1..16");
        r->u.listen.backlog = bl;
        return NetStatus_ok;
    }
    case Socket_method_shutdown: {
        Socket_shutdown_Params_R p = Socket_shutdown_Params_read_root(m);
        r->op = SOCK_OP_SHUTDOWN;
        r->u.how = Socket_shutdown_Params_how(p);
        if (capnp_msg_error(m))
            return bad(why, "shutdown: malformed parameters");
        if (r->u.how != Socket_How_write && r->u.how != Socket_How_both)
            return bad(why, "shutdown: unknown how");
        return NetStatus_ok;
    }
    case Socket_method_setOption: {
        Socket_setOption_Params_R p = Socket_setOption_Params_read_root(m);
        r->op = SOCK_OP_SETOPT;
        r->u.opt.option = Socket_setOption_Params_option(p);
        r->u.opt.value = Socket_setOption_Params_value(p);
        if (capnp_msg_error(m))
            return bad(why, "setOption: malformed parameters");
        bool ok = r->u.opt.option == Socket_Option_noDelay ? r->u.opt.value <= 1
                : r->u.opt.option == Socket_Option_keepAlive ? r->u.opt.value <= SOCK_KEEPALIVE_MAX
                : false;
        if (!ok) {
            *why = "setOption: unknown option or value out of range";
            return NetStatus_badOption;
        }
        return NetStatus_ok;
    }
    default:
        return bad(why, "unknown socket method");
    }
}

enum NetStatus sockproto_decode(enum sock_chan chan, uint16_t kind, uint64_t id,
                                const uint8_t *payload, uint32_t len, unsigned ncaps,
                                struct sock_req *r, const char **why)
{
    *why = "";
    r->id = id;
    if (ncaps)
        return bad(why, "capabilities sent to the stack");
    if (chan == SOCK_CHAN_SOCKET && kind == Socket_method_send) {
        if (len == 0)
            return bad(why, "send: empty frame");
        r->op = SOCK_OP_SEND;
        r->u.send.data = payload;
        r->u.send.len = len;
        return NetStatus_ok;
    }
    struct capnp_msg m;
    if (open_msg(&m, payload, len))
        return bad(why, "payload is no flat Cap'n Proto message");
    if (chan == SOCK_CHAN_SOCKET)
        return decode_socket(kind, &m, r, why);
    if (kind == Net_method_info) {
        r->op = SOCK_OP_INFO;
        return NetStatus_ok;
    }
    if (kind != Net_method_socket)
        return bad(why, "unknown Net method");
    r->op = SOCK_OP_SOCKET;
    r->u.type = Net_socket_Params_type(Net_socket_Params_read_root(&m));
    if (capnp_msg_error(&m))
        return bad(why, "socket: malformed parameters");
    if (r->u.type != Net_Type_tcp && r->u.type != Net_Type_udp && r->u.type != Net_Type_icmp)
        return bad(why, "socket: unknown type");
    return NetStatus_ok;
}
