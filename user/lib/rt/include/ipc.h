/*
 * ipc.h: connections between Tasks over Ring pairs, with doorbells.
 *
 * A connection is two Rings: requests flow client -> server, replies
 * server -> client. Each side holds one send end and one receive end,
 * bound at addresses the runtime picks, with one Signal bit of its own
 * as the doorbell for both (a message arrived, or space was freed).
 * Messages are a struct ring_slot header (kind = the interface's method
 * number, IPC_REPLY set on replies; id pairs a reply with its request)
 * and a payload, which by convention is one flat single-segment Cap'n
 * Proto message. Capabilities travel beside a message through the
 * sending Ring's transfer queue; the header's ncaps says how many.
 *
 * A service's well-known endpoints are the receive ends of its "accept"
 * Rings ("listen", and "listen.<who>" for each other introducer, in its
 * Bundle): each message there is a new connection, kind IPC_CONNECT,
 * payload the client's name, carrying the server's two ends as
 * capabilities. Whoever holds the send end of one of a service's accept
 * Rings (init, the naming service) can connect clients to it; nobody else
 * can reach the service at all. Each introducer has an accept Ring of its
 * own, because a Ring has a single producer.
 *
 * Everything read from shared memory is checked (lib/ring); a peer that
 * writes garbage only gets its connection closed.
 */
#ifndef RT_IPC_H
#define RT_IPC_H

#include <stdbool.h>
#include <stdint.h>

#include "ring/ring.h"
#include "rt.h"

#define IPC_REPLY 0x8000u
#define IPC_CONNECT 0x7f00u          /* on an accept Ring: a new connection */
#define IPC_ERROR 0x7f01u            /* reply kind: the request was not understood */
#define IPC_RING_PARAM V_RING_PARAM(2, 12) /* 4 slots of 4 KiB */
#define IPC_PAYLOAD_MAX (4096 - 16)
#define IPC_MAX_CAPS 4
#define IPC_NAME 24

enum ipc_status {
    IPC_OK = 0,
    IPC_EMPTY,      /* nothing waiting (non-blocking receive) */
    IPC_TIMEOUT,
    IPC_CLOSED,     /* the peer is gone */
    IPC_CORRUPT,    /* the peer broke the protocol */
    IPC_TOOBIG,
    IPC_NOBITS,     /* no free Signal bit for a doorbell */
    IPC_KERNEL,     /* a system call failed: see ipc_last_err */
};

struct ipc_msg {
    struct ring_slot hdr;
    uint8_t data[IPC_PAYLOAD_MAX];
    v_handle caps[IPC_MAX_CAPS];
    unsigned ncaps;
};

struct ipc_conn {
    v_handle tx, rx;
    struct ring_view out, in;
    unsigned bit;
    uint64_t next_id;
    char peer[IPC_NAME];        /* server side: the client's name */
    bool closed;
    uint8_t via;                /* server side: the accept Ring it came on (s->listen[via]) */
};

/* Client and server sides alike: bind the two ends, take a doorbell bit. */
int ipc_attach(struct ipc_conn *c, v_handle tx, v_handle rx);
void ipc_detach(struct ipc_conn *c);     /* unbinds by deleting both ends */
static inline uint64_t ipc_bits(const struct ipc_conn *c) { return 1ull << c->bit; }

/* Send (blocking while the Ring is full, up to timeout_us). caps are moved. */
int ipc_send(struct ipc_conn *c, uint16_t kind, uint64_t id, const void *payload, uint32_t len,
             const v_handle *caps, unsigned ncaps, uint64_t timeout_us);
int ipc_try_recv(struct ipc_conn *c, struct ipc_msg *m);
int ipc_recv(struct ipc_conn *c, struct ipc_msg *m, uint64_t timeout_us);
/* Request and wait for its reply (other messages in between are refused
 * as IPC_CORRUPT: a client connection carries only its own replies). */
int ipc_call(struct ipc_conn *c, uint16_t kind, const void *payload, uint32_t len,
             const v_handle *caps, unsigned ncaps, struct ipc_msg *reply, uint64_t timeout_us);
int ipc_reply(struct ipc_conn *c, const struct ipc_msg *req, const void *payload, uint32_t len,
              const v_handle *caps, unsigned ncaps);
/* The same for request id of kind (a reply given after the handler). */
int ipc_reply_id(struct ipc_conn *c, uint16_t kind, uint64_t id, const void *payload,
                 uint32_t len, const v_handle *caps, unsigned ncaps);
const char *ipc_strerror(int status);
int64_t ipc_last_err(void);

/* The connection a parent put in the Bundle as NAME (request send end)
 * and NAME.rx (reply receive end). */
int ipc_open(const char *name, struct ipc_conn *c);

/* Make a fresh Ring pair from reticle: the client's ends and the server's. */
int ipc_make_pair(v_handle reticle, v_handle client[2], v_handle server[2]);
/* Connect a client to a service through its accept Ring's send end:
 * the server's ends go there (named for the client), the client's come back. */
int ipc_introduce(v_handle reticle, v_handle accept_tx, const char *client_name,
                  v_handle client[2]);

/* Signal bits for doorbells and timers: 1..55 are the runtime's to give. */
int rt_bit_alloc(void);
void rt_bit_free(int bit);
/* Addresses for mappings the runtime makes (Ring ends), never reused. */
uint64_t rt_va_alloc(uint64_t bytes);

/* A server: the accept Ring and every connection, served in one loop. */
#define IPC_MAX_CONNS 32
struct ipc_server;
typedef void ipc_handler_fn(struct ipc_server *s, struct ipc_conn *c, struct ipc_msg *m);
#define IPC_MAX_LISTEN 4
struct ipc_server {
    v_handle listen[IPC_MAX_LISTEN];
    struct ring_view lin[IPC_MAX_LISTEN];
    unsigned nlisten;
    unsigned lbit;
    struct ipc_conn conns[IPC_MAX_CONNS];
    bool used[IPC_MAX_CONNS];
    ipc_handler_fn *handle;
    void (*on_bits)(struct ipc_server *s, uint64_t bits);   /* other bits woke us */
    void (*on_close)(struct ipc_server *s, struct ipc_conn *c);
    uint64_t extra_bits;        /* also wait for these (IRQs, timers) */
    void *ctx;
    /* ipc_serve_methods: asked before each request is dispatched; false if
     * it answered the request itself (e.g. refused it for this connection) */
    bool (*gate)(struct ipc_conn *c, const struct ipc_msg *m);
    /* ipc.c's own (see its "server" comment): dispatch by fired bits */
    uint64_t conn_bits;         /* the doorbell bits of the open connections */
    uint64_t ready;             /* bits whose Rings may hold a message not yet taken */
    uint8_t bit_slot[64];       /* doorbell bit -> connection slot */
    uint8_t slot_bit[IPC_MAX_CONNS];
};
/* Serve listen, and every other "listen.*" accept Ring in the Bundle. */
int ipc_server_init(struct ipc_server *s, v_handle listen);
/* Serve one more accept Ring: its index in s->listen (a connection's via),
 * or -1 if there is no room or it cannot be bound. */
int ipc_server_listen(struct ipc_server *s, v_handle listen);
/* Serve until timeout_us passes with nothing to do (V_TIMEOUT_NEVER: forever). */
void ipc_serve(struct ipc_server *s, uint64_t timeout_us);

/* A service's methods (serve.c): each request kind has a handler; other
 * kinds get an IPC_ERROR reply, and capabilities sent along are deleted.
 * A handler is fn (the raw message) or call (the message opened with
 * ipc_request_open; one that does not open gets IPC_ERROR). */
struct capnp_msg;
struct capnp_builder;
struct ipc_method {
    uint16_t kind;
    void (*fn)(struct ipc_conn *c, const struct ipc_msg *m);
    void (*call)(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg);
};
/* A method table's row from the schema: tools/capnpc-c generates
 * IFACE_METHODS(X), X(name) for each method, so
 *     #define ROW(name) IPC_METHOD(Log, name)
 *     static const struct ipc_method methods[] = {Log_METHODS(ROW) {0, 0, 0}};
 * gives every method the schema declares a row, handled by serve_<name>
 * (given the opened message); a method without a handler does not compile. */
#define IPC_METHOD(iface, name) {iface##_method_##name, 0, serve_##name},

/* ipc_serve with s->handle dispatching through `methods` (ended by an
 * entry with neither fn nor call), which it keeps in s->ctx. */
void ipc_serve_methods(struct ipc_server *s, const struct ipc_method *methods,
                       uint64_t timeout_us);
/* A request's payload as a flat Cap'n Proto message (empty: every field
 * its default), with reading limits in proportion to its size. */
int ipc_request_open(struct capnp_msg *msg, const struct ipc_msg *m);
/* Replies to request id without waiting for space: the built message as
 * kind method | IPC_REPLY, or IPC_ERROR if the builder overflowed. caps
 * are moved; those the reply could not carry are deleted. 0, or an ipc
 * status (IPC_TOOBIG: the builder overflowed). */
int ipc_reply_caps(struct ipc_conn *c, uint16_t method, uint64_t id, struct capnp_builder *b,
                   const v_handle *caps, unsigned ncaps);
void ipc_reply_built(struct ipc_conn *c, uint16_t method, uint64_t id, struct capnp_builder *b);
void ipc_reply_error(struct ipc_conn *c, uint64_t id);

#endif
