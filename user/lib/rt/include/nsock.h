/*
 * nsock.h: sockets of the network service (schema/socket.capnp,
 * docs/NETWORK.md), a small BSD-like API in which nothing blocks.
 *
 *   struct net n;  net_open(&n, "net")              the service connection
 *   struct nsock s; nsock_open(&n, Net_Type_tcp, &s) a socket (its own Rings)
 *   nsock_connect(&s, NSOCK_ADDR(127,0,0,1), 7)   -> NSOCK_INPROGRESS
 *   nsock_listen(&s, 7, 4)                         -> NSOCK_INPROGRESS
 *   nsock_done(&s)          the outstanding connect/listen: INPROGRESS, 0, or why not
 *   nsock_accept(&l, &s)    a connection the listener took, or NSOCK_AGAIN
 *   nsock_send / nsock_recv bytes moved, or NSOCK_AGAIN; recv 0 is the peer's FIN
 *   nsock_bits(&s)          the Signal bits to wait on: OR them over every
 *                           socket, v_signal_wait once, then call the above
 *
 * Errors are negative: NSOCK_AGAIN and NSOCK_INPROGRESS are not failures;
 * NSOCK_DISCONNECTED means the stack is gone (killed or restarted: open the
 * service again, through naming); NSOCK_STATUS(st) carries the stack's
 * named NetStatus (refused, reset, badRequest...). nsock_strerror names
 * them all. Only net_open and nsock_open wait (for the stack's reply).
 */
#ifndef RT_NSOCK_H
#define RT_NSOCK_H

#include "ipc.h"
#include "schema/socket.capnp.h"

#define NSOCK_ADDR(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

enum {
    NSOCK_AGAIN = -1,           /* nothing now: wait on nsock_bits */
    NSOCK_INPROGRESS = -2,      /* the request is out; nsock_done says when it is answered */
    NSOCK_DISCONNECTED = -3,    /* the stack is gone */
    NSOCK_PROTO = -4,           /* the stack broke the protocol */
    NSOCK_NOBITS = -5,          /* no free Signal bit for the socket's doorbell */
    NSOCK_STATUS_BASE = -100,   /* -100 - NetStatus: the stack said why */
};
#define NSOCK_STATUS(st) (NSOCK_STATUS_BASE - (int)(st))

struct net {
    struct ipc_conn c;
};

#define NSOCK_BACKLOG 4
struct nsock {
    struct ipc_conn c;
    enum Net_Type type;
    int err;                    /* sticky: the first failure (0: none) */
    bool eof;                   /* the peer's FIN came, after all its data */
    uint16_t wait_kind;         /* the outstanding connect/listen (0xffff: none) */
    uint64_t wait_id;
    int wait_result;            /* NSOCK_INPROGRESS until its reply */
    uint16_t port;              /* listen: the port bound */
    v_handle acc[NSOCK_BACKLOG][2];
    unsigned nacc;
    uint32_t roff, rlen;        /* received bytes not yet read: rbuf[roff..rlen) */
    uint8_t rbuf[IPC_PAYLOAD_MAX];
};

int net_open(struct net *n, const char *bundle_name);
int net_adopt(struct net *n, v_handle tx, v_handle rx);
void net_close(struct net *n);

int nsock_open(struct net *n, enum Net_Type type, struct nsock *s);
int nsock_connect(struct nsock *s, uint32_t addr, uint16_t port);
int nsock_listen(struct nsock *s, uint16_t port, uint8_t backlog);
int nsock_done(struct nsock *s);
int nsock_accept(struct nsock *l, struct nsock *out);
int nsock_send(struct nsock *s, const void *buf, uint32_t len);
int nsock_recv(struct nsock *s, void *buf, uint32_t len);
int nsock_shutdown(struct nsock *s, enum Socket_How how);
int nsock_set_option(struct nsock *s, enum Socket_Option opt, uint32_t value);
/* Take in whatever the stack sent (done by every call above). */
int nsock_poll(struct nsock *s);
static inline uint64_t nsock_bits(const struct nsock *s) { return ipc_bits(&s->c); }
void nsock_close(struct nsock *s);
const char *nsock_strerror(int e);

#endif
