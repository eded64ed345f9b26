/*
 * sockproto.h: the decoder of everything the netstack Task receives from a
 * client (schema/socket.capnp), one function for the whole protocol.
 *
 * The stack acts only on a decoded struct sock_req, never on a Ring slot:
 * sockproto_decode reads the kind, the payload (once, from a private copy)
 * and the capability count, checks each field's range, and either fills
 * the request or names what was wrong (a NetStatus and a reason string
 * for the log). It has no state and allocates nothing, so a hostile client
 * can cost the stack only a refused request. Built for the user world
 * (the Task) and the host (tests, fuzz/sockproto.c).
 */
#ifndef NETSTACK_SOCKPROTO_H
#define NETSTACK_SOCKPROTO_H

#include <stdint.h>

#include "schema/socket.capnp.h"

/* Which connection the message came on: the two speak different methods. */
enum sock_chan { SOCK_CHAN_NET, SOCK_CHAN_SOCKET };

enum sock_op {
    SOCK_OP_SOCKET,     /* Net.socket */
    SOCK_OP_CONNECT,
    SOCK_OP_LISTEN,
    SOCK_OP_SEND,
    SOCK_OP_SHUTDOWN,
    SOCK_OP_SETOPT,
    SOCK_OP_INFO,       /* Net.info */
};

struct sock_req {
    enum sock_op op;
    uint64_t id;
    union {
        enum Net_Type type;                                 /* socket */
        struct { uint32_t addr; uint16_t port; } connect;   /* host byte order */
        struct { uint16_t port; uint8_t backlog; } listen;
        struct { const uint8_t *data; uint32_t len; } send; /* points into the payload */
        enum Socket_How how;
        struct { enum Socket_Option option; uint32_t value; } opt;
    } u;
};

#define SOCK_BACKLOG_MAX 16
#define SOCK_KEEPALIVE_MAX 7200   /* seconds */

/* Decode one message. Returns NetStatus_ok and fills *r, or the status to
 * answer with and, in *why, a constant string naming the fault. */
enum NetStatus sockproto_decode(enum sock_chan chan, uint16_t kind, uint64_t id,
                                const uint8_t *payload, uint32_t len, unsigned ncaps,
                                struct sock_req *r, const char **why);

const char *sockproto_status_name(enum NetStatus s);

#endif
