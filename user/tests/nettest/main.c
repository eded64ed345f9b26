/*
 * nettest: the network service's in-guest test (tests/scenarios/
 * net_loopback.scn). A client of the netstack Task, through the socket
 * client library (nsock.h), printing "nettest PASS|FAIL <what>" lines:
 *   1. a TCP listener and a connection to it over loopback, 64 KiB echoed
 *      back through an accepted socket, FIN both ways - all three sockets
 *      driven by one signal_wait on their bits;
 *   2. hostile requests, each answered with its named status, after which
 *      the stack still serves: an unknown Net method, an unknown socket
 *      type, a backlog out of range, connect to 0.0.0.0, connect to a port
 *      nobody listens on, a socket past the per-client limit, an unknown
 *      socket method, and a socket whose event Ring's indices are garbage;
 *   3. the stack restarted (Supervisor.restart) mid-connection: the open
 *      socket fails with "disconnected"; the client reconnects through
 *      naming (SYS:svc/net) and echoes again on the new stack;
 * then asks init to halt.
 */
#include <stdio.h>
#include <string.h>

#include "ipc.h"
#include "nsock.h"
#include "rt.h"
#include "schema/naming.capnp.h"
#include "schema/supervisor.capnp.h"

#define PORT 7000
#define ECHO_BYTES (64 * 1024)

static unsigned fails;
static struct net net;
static struct ipc_msg rep;

static void result(bool ok, const char *what, int e)
{
    printf("nettest %s %s", ok ? "PASS" : "FAIL", what);
    if (e)
        printf(": %s", nsock_strerror(e));
    printf("\n");
    fails += !ok;
}

static uint8_t pattern(uint32_t i) { return (uint8_t)(i * 13 + (i >> 9)); }

static void wait_bits(uint64_t bits, uint64_t us) { v_signal_wait(bits, us); }

/* Wait for a connect/listen/shutdown to be answered (bounded). */
static int settle(struct nsock *s)
{
    for (int i = 0; i < 200; i++) {
        int e = nsock_done(s);
        if (e != NSOCK_INPROGRESS)
            return e;
        wait_bits(nsock_bits(s), 20000);
    }
    return NSOCK_INPROGRESS;
}

/* Listen, connect, accept, echo ECHO_BYTES, and (if close) FIN both ways.
 * On return with keep, *cs is the client's still-open connection. */
static bool exchange(const char *tag, bool close, struct nsock *cs)
{
    static struct nsock l, ss;
    char what[96];
    int e;
    if ((e = nsock_open(&net, Net_Type_tcp, &l)) || (e = nsock_listen(&l, PORT, 4)) != NSOCK_INPROGRESS ||
        (e = settle(&l))) {
        snprintf(what, sizeof what, "%s: listen on %d", tag, PORT);
        result(false, what, e);
        return false;
    }
    if ((e = nsock_open(&net, Net_Type_tcp, cs)) ||
        (e = nsock_connect(cs, NSOCK_ADDR(127, 0, 0, 1), PORT)) != NSOCK_INPROGRESS) {
        snprintf(what, sizeof what, "%s: connect to 127.0.0.1:%d", tag, PORT);
        result(false, what, e);
        return false;
    }
    static uint8_t buf[4096];
    uint32_t sent = 0, echoed = 0, got = 0, pend = 0;
    bool accepted = false, connected = false, bad = false;
    uint8_t hold[4096];
    uint64_t t0 = v_clock().val;
    while (got < ECHO_BYTES && !bad && v_clock().val - t0 < 20000000) {
        bool moved = false;
        if (!connected && (e = nsock_done(cs)) != NSOCK_INPROGRESS) {
            if (e)
                break;
            connected = moved = true;
        }
        if (!accepted && (e = nsock_accept(&l, &ss)) != NSOCK_AGAIN) {
            if (e)
                break;
            accepted = moved = true;
        }
        if (connected && sent < ECHO_BYTES) {
            uint32_t n = ECHO_BYTES - sent < sizeof buf ? ECHO_BYTES - sent : sizeof buf;
            for (uint32_t i = 0; i < n; i++)
                buf[i] = pattern(sent + i);
            if ((e = nsock_send(cs, buf, n)) > 0)
                sent += (uint32_t)e, moved = true;
            else if (e != NSOCK_AGAIN)
                break;
        }
        if (accepted) {     /* the server side echoes what it reads */
            if (!pend && (e = nsock_recv(&ss, hold, sizeof hold)) > 0)
                pend = (uint32_t)e, moved = true;
            else if (!pend && e != NSOCK_AGAIN)
                break;
            if (pend && (e = nsock_send(&ss, hold, pend)) > 0) {
                memmove(hold, hold + e, pend - (uint32_t)e);
                pend -= (uint32_t)e;
                echoed += (uint32_t)e;
                moved = true;
            } else if (pend && e != NSOCK_AGAIN)
                break;
        }
        if (connected) {
            e = nsock_recv(cs, buf, sizeof buf);
            if (e > 0) {
                for (int i = 0; i < e && !bad; i++)
                    bad = buf[i] != pattern(got + (uint32_t)i);
                got += (uint32_t)e;
                moved = true;
            } else if (e != NSOCK_AGAIN)
                break;
        }
        e = 0;
        if (!moved)    /* one wait for all three sockets */
            wait_bits(nsock_bits(&l) | nsock_bits(cs) | (accepted ? nsock_bits(&ss) : 0), 100000);
    }
    snprintf(what, sizeof what, "%s: %u bytes echoed through an accepted socket over loopback", tag,
             got);
    result(got == ECHO_BYTES && !bad && echoed == ECHO_BYTES, what, e);
    if (got != ECHO_BYTES) {
        printf("nettest: sent %u, echoed %u, got %u, %s, %s\n", sent, echoed, got,
               bad ? "corrupt" : "in order", accepted ? "accepted" : "not accepted");
        nsock_close(&l);
        nsock_close(&ss);
        nsock_close(cs);
        return false;
    }
    nsock_close(&l);
    if (!close) {
        nsock_close(&ss);   /* the stack holds the connection until it dies */
        return true;
    }
    /* FIN from the client; the server reads 0, closes; the client reads 0 */
    e = nsock_shutdown(cs, Socket_How_write);
    int se = settle(cs), sr = NSOCK_AGAIN, cr = NSOCK_AGAIN;
    for (int i = 0; i < 200 && sr == NSOCK_AGAIN; i++) {
        sr = nsock_recv(&ss, buf, sizeof buf);
        if (sr == NSOCK_AGAIN)
            wait_bits(nsock_bits(&ss), 20000);
    }
    nsock_close(&ss);
    for (int i = 0; i < 200 && cr == NSOCK_AGAIN; i++) {
        cr = nsock_recv(cs, buf, sizeof buf);
        if (cr == NSOCK_AGAIN)
            wait_bits(nsock_bits(cs), 20000);
    }
    nsock_close(cs);
    snprintf(what, sizeof what, "%s: shutdown, FIN seen by the server, then by the client", tag);
    result(e == NSOCK_INPROGRESS && se == 0 && sr == 0 && cr == 0, what, se ? se : sr ? sr : cr);
    return true;
}

/* A raw call on the Net connection, answered with a status. */
static enum NetStatus net_raw(uint16_t kind, const void *p, uint32_t len)
{
    if (ipc_call(&net.c, kind, p, len, 0, 0, &rep, 2000000))
        return (enum NetStatus)99;
    for (unsigned i = 0; i < rep.ncaps; i++)
        v_cap_delete(rep.caps[i]);
    struct capnp_msg m;
    if (capnp_msg_init_flat(&m, rep.data, rep.hdr.len))
        return (enum NetStatus)98;
    return Net_socket_Results_status(Net_socket_Results_read_root(&m));
}

static void hostile(void)
{
    uint8_t buf[64] __attribute__((aligned(8)));
    struct capnp_builder b;
    size_t len;
    const uint8_t *p;
    result(net_raw(7, 0, 0) == NetStatus_badRequest, "unknown Net method: badRequest", 0);
    capnp_builder_init(&b, buf, sizeof buf);
    Net_socket_Params_set_type(Net_socket_Params_build_root(&b), (enum Net_Type)9);
    p = capnp_builder_bytes(&b, &len);
    result(net_raw(Net_method_socket, p, (uint32_t)len) == NetStatus_badRequest,
           "socket of unknown type: badRequest", 0);
    result(net_raw(Net_method_socket, "garbage!", 5) == NetStatus_badRequest,
           "socket request that is no Cap'n Proto: badRequest", 0);

    static struct nsock s[Net_maxSocketsPerClient + 1];
    int e = nsock_open(&net, Net_Type_tcp, &s[0]);
    e = e ? e : nsock_listen(&s[0], 80, 99) == NSOCK_INPROGRESS ? settle(&s[0]) : -99;
    result(e == NSOCK_STATUS(NetStatus_badRequest), "listen with backlog 99: badRequest", e);
    e = nsock_connect(&s[0], 0, 80) == NSOCK_INPROGRESS ? settle(&s[0]) : -99;
    result(e == NSOCK_STATUS(NetStatus_badAddress), "connect to 0.0.0.0: badAddress", e);
    nsock_close(&s[0]);
    e = nsock_open(&net, Net_Type_tcp, &s[0]);
    e = e ? e : nsock_connect(&s[0], NSOCK_ADDR(127, 0, 0, 1), 1) == NSOCK_INPROGRESS ? settle(&s[0]) : -99;
    result(e == NSOCK_STATUS(NetStatus_refused), "connect to a port nobody listens on: refused", e);
    nsock_close(&s[0]);

    unsigned opened = 0;
    for (unsigned i = 0; i < Net_maxSocketsPerClient; i++)
        opened += nsock_open(&net, Net_Type_udp, &s[i]) == 0;
    e = nsock_open(&net, Net_Type_udp, &s[Net_maxSocketsPerClient]);
    result(opened == Net_maxSocketsPerClient && e == NSOCK_STATUS(NetStatus_tooMany),
           "a socket past the per-client limit: tooMany", e);
    /* an unknown method on a socket's Ring, then garbage indices */
    ipc_send(&s[0].c, 77, 5, 0, 0, 0, 0, 0);
    e = NSOCK_INPROGRESS;
    for (int i = 0; i < 100 && e == NSOCK_INPROGRESS; i++) {
        wait_bits(nsock_bits(&s[0]), 10000);
        struct ipc_msg *m = &rep;
        if (ipc_try_recv(&s[0].c, m) == IPC_OK && m->hdr.id == 5) {
            struct capnp_msg cm;
            capnp_msg_init_flat(&cm, m->data, m->hdr.len);
            e = NSOCK_STATUS(Socket_connect_Results_status(Socket_connect_Results_read_root(&cm)));
        }
    }
    result(e == NSOCK_STATUS(NetStatus_badRequest), "unknown socket method: badRequest", e);
    s[1].c.in.ctl->head = 0x7fffffffu;      /* our consumer index: a lie */
    v_ring_notify(s[1].c.rx);
    v_ring_notify(s[1].c.tx);
    for (unsigned i = 0; i < Net_maxSocketsPerClient; i++)
        nsock_close(&s[i]);
    /* the stack still serves */
    e = nsock_open(&net, Net_Type_udp, &s[0]);
    e = e ? e : nsock_listen(&s[0], 0, 1) == NSOCK_INPROGRESS ? settle(&s[0]) : -99;
    result(e == 0 && s[0].port != 0, "after all that, the stack still serves (udp port bound)", e);
    nsock_close(&s[0]);
}

static struct ipc_conn init;    /* opened once: ipc_detach would delete the grant */

static int supervisor(uint16_t method, const char *name)
{
    uint8_t buf[128] __attribute__((aligned(8)));
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Supervisor_Named_set_name(Supervisor_Named_build_root(&b), name, strlen(name));
    size_t len;
    const uint8_t *p = capnp_builder_bytes(&b, &len);
    return ipc_call(&init, method, p, (uint32_t)len, 0, 0, &rep, 5000000);
}

/* Naming.connect SYS:svc/net until the restarted stack is there. */
static int reconnect(void)
{
    struct ipc_conn sys;
    if (ipc_open("SYS:", &sys))
        return NSOCK_DISCONNECTED;
    int e = NSOCK_DISCONNECTED;
    for (int tries = 0; tries < 50 && e; tries++) {
        uint8_t buf[128] __attribute__((aligned(8)));
        struct capnp_builder b;
        capnp_builder_init(&b, buf, sizeof buf);
        Naming_connect_Params_set_path(Naming_connect_Params_build_root(&b), "SYS:svc/net", 11);
        size_t len;
        const uint8_t *p = capnp_builder_bytes(&b, &len);
        if (ipc_call(&sys, Naming_method_connect, p, (uint32_t)len, 0, 0, &rep, 2000000) == 0) {
            struct capnp_msg m;
            capnp_msg_init_flat(&m, rep.data, rep.hdr.len);
            unsigned st = Naming_connect_Results_status(Naming_connect_Results_read_root(&m));
            if (st == Naming_Status_ok && rep.ncaps == 2) {
                e = net_adopt(&net, rep.caps[0], rep.caps[1]);
                rep.ncaps = 0;
            }
            for (unsigned i = 0; i < rep.ncaps; i++)
                v_cap_delete(rep.caps[i]);
        }
        if (e)
            rt_sleep_us(100000);
    }
    ipc_detach(&sys);
    return e;
}

int main(void)
{
    int e = net_open(&net, "net");
    if (!e && ipc_open("init", &init))
        e = NSOCK_DISCONNECTED;
    if (e) {
        printf("nettest FAIL no connection to the network service: %s\n", nsock_strerror(e));
        return 1;
    }
    static struct nsock c;
    exchange("first stack", true, &c);
    hostile();
    exchange("before the restart", false, &c);

    /* the stack dies under an open connection */
    e = supervisor(Supervisor_method_restart, "net");
    int r = NSOCK_AGAIN;
    uint8_t buf[64];
    for (int i = 0; i < 300 && r == NSOCK_AGAIN; i++) {
        r = nsock_recv(&c, buf, sizeof buf);
        if (r == NSOCK_AGAIN)
            wait_bits(nsock_bits(&c), 10000);
    }
    result(e == 0 && r == NSOCK_DISCONNECTED, "stack restarted mid-connection: the socket says disconnected", r);
    nsock_close(&c);
    net_close(&net);
    e = reconnect();
    result(e == 0, "reconnected through naming (SYS:svc/net)", e);
    if (!e)
        exchange("after the restart", true, &c);
    printf("nettest done: %u failed\n", fails);
    fflush(stdout);
    ipc_call(&init, Supervisor_method_halt, 0, 0, 0, 0, &rep, 2000000);
    return fails ? 1 : 0;
}
