/*
 * test_netstack: lwIP 2.1.3 as the netstack Task builds it (user/lib/lwip's
 * lwipopts.h), on the host, through the netstack's netif seam
 * (user/services/netstack/link.c), and the socket protocol decoder.
 *
 * lwIP keeps its state in globals, so each stack is a process: a case
 * forks one child per stack and a SOCK_SEQPACKET socketpair is the wire
 * between them (one frame per packet, as a driver Ring would carry
 * them). A child reports by its exit status; the parent only waits.
 *   - TCP: connect, 256 KiB each way through an echo server, close;
 *   - UDP: datagrams echoed, sizes 1 .. 1472;
 *   - a hostile wire: runts, giants, random frames, truncated and
 *     inconsistent IPv4/TCP/UDP/ARP headers, after which the same stack
 *     still answers ARP and ping correctly;
 *   - the decoder: each refusal named, each field's range enforced.
 */
#include "vtest.h"

#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "link.h"
#include "lwip/init.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "sockproto.h"

#define ADDR_A 0x0a000001u   /* 10.0.0.1 */
#define ADDR_B 0x0a000002u   /* 10.0.0.2 */
#define MASK 0xffffff00u

static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0xa};
static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0xb};

/* ---- in a child: one stack, one wire ---- */

static __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "  child %d: ", getpid());
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    _exit(1);
}
#define ENSURE(c) ((c) ? (void)0 : die("ENSURE(%s) at line %d", #c, __LINE__))

static struct link lk;
static int wire = -1;

static int wire_tx(void *ctx, const void *f, uint32_t len)
{
    return send(*(int *)ctx, f, len, 0) == (ssize_t)len ? 0 : -1;
}

static void stack_up(const uint8_t mac[6], uint32_t addr)
{
    lwip_init();
    ENSURE(link_add(&lk, mac, addr, MASK, 0, wire_tx, &wire, true) == ERR_OK);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Move frames from the wire into the stack and run its timers, until
 * done() or the deadline. */
static void run_until(bool (*done)(void), double seconds)
{
    double end = now_s() + seconds;
    static uint8_t f[LINK_FRAME_MAX + 64];
    while (!done()) {
        if (now_s() > end)
            die("timed out");
        struct pollfd p = {wire, POLLIN, 0};
        if (poll(&p, 1, 5) > 0) {
            ssize_t n = recv(wire, f, sizeof f, MSG_DONTWAIT);
            if (n == 0)
                die("wire closed");
            if (n > 0)
                link_input(&lk, f, (uint32_t)n);
        }
        sys_check_timeouts();
    }
}

/* ---- TCP: an echo server (B) and a client that checks every byte (A) ---- */

#define TCP_BYTES (256 * 1024)
static uint8_t pattern(uint32_t i) { return (uint8_t)(i * 7 + (i >> 11)); }

struct tcpstate {
    uint32_t sent, acked, got;
    bool connected, peer_closed, failed;
    struct tcp_pcb *pcb;
};
static struct tcpstate ts;

static err_t echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    if (!p) {
        ts.peer_closed = true;
        tcp_close(pcb);
        return ERR_OK;
    }
    for (struct pbuf *q = p; q; q = q->next)
        ENSURE(tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY) == ERR_OK);
    ts.got += p->tot_len;
    tcp_recved(pcb, p->tot_len);
    tcp_output(pcb);
    pbuf_free(p);
    return ERR_OK;
}

static err_t echo_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    ENSURE(err == ERR_OK);
    tcp_recv(pcb, echo_recv);
    ts.connected = true;
    return ERR_OK;
}

static bool server_done(void) { return ts.peer_closed; }

static void tcp_server(void)
{
    stack_up(mac_b, ADDR_B);
    struct tcp_pcb *l = tcp_new();
    ENSURE(tcp_bind(l, IP_ADDR_ANY, 7) == ERR_OK);
    l = tcp_listen(l);
    ENSURE(l);
    tcp_accept(l, echo_accept);
    run_until(server_done, 20);
    ENSURE(ts.got == TCP_BYTES);
}

static void client_push(struct tcp_pcb *pcb)
{
    uint8_t chunk[2048];
    while (ts.sent < TCP_BYTES) {
        uint32_t n = TCP_BYTES - ts.sent;
        if (n > sizeof chunk)
            n = sizeof chunk;
        if (n > tcp_sndbuf(pcb))
            n = tcp_sndbuf(pcb);
        if (n == 0 || tcp_sndqueuelen(pcb) > TCP_SND_QUEUELEN - 4)
            break;
        for (uint32_t i = 0; i < n; i++)
            chunk[i] = pattern(ts.sent + i);
        if (tcp_write(pcb, chunk, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
            break;
        ts.sent += n;
    }
    tcp_output(pcb);
}

static err_t client_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    ts.acked += len;
    client_push(pcb);
    return ERR_OK;
}

static err_t client_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    if (!p) {
        ts.peer_closed = true;
        return ERR_OK;
    }
    for (struct pbuf *q = p; q; q = q->next)
        for (uint16_t i = 0; i < q->len; i++)
            if (((uint8_t *)q->payload)[i] != pattern(ts.got + i))
                die("byte %u came back as %u", ts.got + i, ((uint8_t *)q->payload)[i]);
            else if (i + 1 == q->len)
                ts.got += q->len;
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
}

static err_t client_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    ts.connected = true;
    client_push(pcb);
    return ERR_OK;
}

static void client_err(void *arg, err_t err) { ts.failed = true; ts.pcb = 0; }

static bool client_done(void) { return ts.got == TCP_BYTES || ts.failed; }
static bool all_acked(void) { return !ts.pcb || ts.failed || !ts.pcb->unacked; }

static void tcp_client(void)
{
    stack_up(mac_a, ADDR_A);
    struct tcp_pcb *pcb = ts.pcb = tcp_new();
    tcp_recv(pcb, client_recv);
    tcp_sent(pcb, client_sent);
    tcp_err(pcb, client_err);
    ip_addr_t b;
    ip_addr_set_ip4_u32(&b, lwip_htonl(ADDR_B));
    ENSURE(tcp_connect(pcb, &b, 7, client_connected) == ERR_OK);
    run_until(client_done, 20);
    ENSURE(!ts.failed);
    ENSURE(ts.acked == TCP_BYTES);
    ENSURE(tcp_close(pcb) == ERR_OK);
    run_until(all_acked, 5);   /* our FIN reached the server */
    ENSURE(lk.n.rx > 0 && lk.n.tx > 0 && lk.n.rx_runt + lk.n.rx_giant + lk.n.rx_nomem == 0);
}

/* ---- UDP echo ---- */

#define UDP_ROUNDS 64
static unsigned udp_got;

static void udp_echo(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *a, u16_t port)
{
    udp_sendto(pcb, p, a, port);
    udp_got++;
    pbuf_free(p);
}

static bool udp_server_done(void) { return udp_got == UDP_ROUNDS; }

static void udp_server(void)
{
    stack_up(mac_b, ADDR_B);
    struct udp_pcb *u = udp_new();
    ENSURE(udp_bind(u, IP_ADDR_ANY, 9) == ERR_OK);
    udp_recv(u, udp_echo, 0);
    run_until(udp_server_done, 20);
    /* the last echo is on the wire before we leave */
}

static unsigned udp_want, udp_ok;
static void udp_check(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *a, u16_t port)
{
    uint8_t buf[1472];
    ENSURE(p->tot_len == udp_want && port == 9);
    pbuf_copy_partial(p, buf, p->tot_len, 0);
    for (unsigned i = 0; i < udp_want; i++)
        ENSURE(buf[i] == pattern(i + udp_want));
    udp_ok++;
    pbuf_free(p);
}
static bool udp_round_done(void) { return udp_ok == udp_want; }

static void udp_client(void)
{
    stack_up(mac_a, ADDR_A);
    struct udp_pcb *u = udp_new();
    ip_addr_t b;
    ip_addr_set_ip4_u32(&b, lwip_htonl(ADDR_B));
    ENSURE(udp_connect(u, &b, 9) == ERR_OK);
    udp_recv(u, udp_check, 0);
    for (unsigned r = 0; r < UDP_ROUNDS; r++) {
        udp_want = 1 + r * 1471 / (UDP_ROUNDS - 1);     /* 1 .. 1472: one full frame */
        struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)udp_want, PBUF_RAM);
        for (unsigned i = 0; i < udp_want; i++)
            ((uint8_t *)p->payload)[i] = pattern(i + udp_want);
        udp_ok = udp_want - 1;   /* done when the one echo is counted */
        ENSURE(udp_send(u, p) == ERR_OK);
        pbuf_free(p);
        run_until(udp_round_done, 5);
    }
}

/* ---- the parent: two stacks, one wire ---- */

static int child(void (*fn)(void), int fd)
{
    pid_t pid = fork();
    if (pid == 0) {
        wire = fd;
        fn();
        _exit(0);
    }
    return pid;
}

static int wait_status(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void two_stacks(void (*a)(void), void (*b)(void))
{
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    fflush(0);
    pid_t pb = child(b, sv[1]);
    pid_t pa = child(a, sv[0]);
    int sa = wait_status(pa);
    int sb = wait_status(pb);
    close(sv[0]);
    close(sv[1]);
    CHECK_EQ(sa, 0);
    CHECK_EQ(sb, 0);
}

TEST(tcp_connect_transfer_close_between_two_stacks) { two_stacks(tcp_client, tcp_server); }
TEST(udp_echo_between_two_stacks) { two_stacks(udp_client, udp_server); }

/* ---- a hostile wire ---- */

static uint8_t txf[LINK_FRAME_MAX];
static uint32_t txlen, ntx;
static int capture(void *ctx, const void *f, uint32_t len)
{
    memcpy(txf, f, len);
    txlen = len;
    ntx++;
    return 0;
}

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

/* Ethernet + IPv4 header (20 bytes, checksummed) for proto; returns the
 * offset of the transport header. */
static size_t ip_frame(uint8_t *f, uint8_t proto, uint16_t iplen)
{
    memcpy(f, mac_b, 6);
    memcpy(f + 6, mac_a, 6);
    put16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, iplen);
    ip[8] = 64;
    ip[9] = proto;
    put32(ip + 12, ADDR_A);
    put32(ip + 16, ADDR_B);
    put16(ip + 10, csum(ip, 20, 0));
    return 34;
}

static void feed(const uint8_t *f, uint32_t n) { link_input(&lk, f, n); sys_check_timeouts(); }

static void hostile_frames(void)
{
    lwip_init();
    ENSURE(link_add(&lk, mac_b, ADDR_B, MASK, 0, capture, 0, true) == ERR_OK);
    struct udp_pcb *u = udp_new();
    ENSURE(udp_bind(u, IP_ADDR_ANY, 9) == ERR_OK);
    udp_recv(u, udp_echo, 0);
    struct tcp_pcb *l = tcp_new();
    ENSURE(tcp_bind(l, IP_ADDR_ANY, 7) == ERR_OK && tcp_listen(l));

    static uint8_t f[70000];
    for (uint32_t n = 0; n < LINK_FRAME_MIN; n++)
        feed(f, n);
    ENSURE(lk.n.rx_runt == LINK_FRAME_MIN);
    feed(f, LINK_FRAME_MAX + 1);
    feed(f, sizeof f);
    ENSURE(lk.n.rx_giant == 2);

    /* random frames of every size, some with an IPv4 or ARP type */
    srand(16);
    for (int i = 0; i < 4000; i++) {
        uint32_t n = LINK_FRAME_MIN + (uint32_t)rand() % (LINK_FRAME_MAX - LINK_FRAME_MIN + 1);
        for (uint32_t k = 0; k < n; k++)
            f[k] = (uint8_t)rand();
        if (i % 3 == 0)
            put16(f + 12, i % 2 ? 0x0800 : 0x0806);
        if (i % 6 == 0)
            memcpy(f, mac_b, 6);
        feed(f, n);
    }
    /* headers that lie: IHL past the frame, total length past the frame or
     * under the header, TCP data offset past the segment, a UDP length
     * larger than the packet, fragments that overlap and never complete */
    static const uint8_t protos[] = {6, 17, 1};
    for (unsigned k = 0; k < 3; k++) {
        size_t t = ip_frame(f, protos[k], 40);
        memset(f + t, 0xff, 20);
        f[14] = 0x4f;                                   /* IHL 60 in a 40-byte packet */
        feed(f, 54);
        ip_frame(f, protos[k], 1400);                   /* longer than the frame */
        feed(f, 60);
        ip_frame(f, protos[k], 12);                     /* shorter than the header */
        feed(f, 60);
        t = ip_frame(f, protos[k], 28);
        feed(f, (uint32_t)t + 2);                       /* transport header cut short */
    }
    size_t t = ip_frame(f, 6, 40);
    memset(f + t, 0, 20);
    put16(f + t + 2, 7);
    f[t + 12] = 0xf0;                                   /* data offset 60 in 20 bytes */
    feed(f, 54);
    t = ip_frame(f, 17, 28);
    put16(f + t + 2, 9);
    put16(f + t + 4, 1000);                             /* UDP length 1000 in 8 bytes */
    feed(f, (uint32_t)t + 8);
    for (uint16_t off = 0; off < 200; off += 3) {
        t = ip_frame(f, 17, 1000);
        put16(f + 14 + 6, (uint16_t)(0x2000 | off));    /* more fragments, overlapping */
        f[14 + 10] = f[14 + 11] = 0;
        put16(f + 14 + 10, csum(f + 14, 20, 0));
        feed(f, 1014);
    }

    /* still a working stack: ARP, then ping */
    ntx = 0;
    memset(f, 0xff, 6);
    memcpy(f + 6, mac_a, 6);
    put16(f + 12, 0x0806);
    static const uint8_t arp_hdr[8] = {0, 1, 8, 0, 6, 4, 0, 1};
    memcpy(f + 14, arp_hdr, 8);
    memcpy(f + 22, mac_a, 6);
    put32(f + 28, ADDR_A);
    memset(f + 32, 0, 6);
    put32(f + 38, ADDR_B);
    feed(f, 42);
    /* an answer the garbage provoked (a reset, an unreachable) may have
     * waited for this address and leave first; the reply is last */
    if (ntx < 1 || ntx > 2 || txlen < 42)
        die("ARP request answered by %u frames, the last %u bytes", ntx, txlen);
    ENSURE(txf[12] == 8 && txf[13] == 6 && txf[21] == 2);          /* an ARP reply */
    ENSURE(!memcmp(txf + 22, mac_b, 6) && !memcmp(txf, mac_a, 6));

    ntx = 0;
    t = ip_frame(f, 1, 20 + 8 + 32);
    f[t] = 8;                                                       /* echo request */
    f[t + 1] = 0;
    put16(f + t + 4, 0x1234);
    put16(f + t + 6, 1);
    for (int i = 0; i < 32; i++)
        f[t + 8 + i] = (uint8_t)i;
    put16(f + t + 2, 0);
    put16(f + t + 2, csum(f + t, 40, 0));
    feed(f, (uint32_t)t + 40);
    ENSURE(ntx == 1 && txlen == t + 40);
    ENSURE(txf[23] == 1 && txf[t] == 0);                            /* an echo reply */
    ENSURE(csum(txf + 14, 20, 0) == 0 && csum(txf + t, 40, 0) == 0);
    ENSURE(!memcmp(txf + t + 8, f + t + 8, 32));
}

TEST(hostile_wire_costs_dropped_frames_only)
{
    fflush(0);
    pid_t p = child(hostile_frames, -1);
    CHECK_EQ(wait_status(p), 0);
}

/* ---- the socket protocol decoder ---- */

static enum NetStatus dec(enum sock_chan ch, uint16_t kind, const void *p, uint32_t len,
                          unsigned ncaps, struct sock_req *r, const char **why)
{
    static uint64_t buf[64];
    if (len)
        memcpy(buf, p, len);
    return sockproto_decode(ch, kind, 1, (const uint8_t *)buf, len, ncaps, r, why);
}

TEST(decoder_names_every_refusal)
{
    uint8_t mem[256];
    struct capnp_builder b;
    struct sock_req r;
    const char *why;
    size_t len;
    const uint8_t *p;

    capnp_builder_init(&b, mem, sizeof mem);
    Socket_connect_Params_B c = Socket_connect_Params_build_root(&b);
    Socket_connect_Params_set_addr(c, 0x7f000001);
    Socket_connect_Params_set_port(c, 80);
    p = capnp_builder_bytes(&b, &len);
    CHECK_EQ(dec(SOCK_CHAN_SOCKET, Socket_method_connect, p, (uint32_t)len, 0, &r, &why), NetStatus_ok);
    CHECK_EQ(r.op, SOCK_OP_CONNECT);
    CHECK_EQ(r.u.connect.addr, 0x7f000001);
    CHECK_EQ(r.u.connect.port, 80);
    /* the same message with a capability, on the wrong channel, cut short */
    CHECK_EQ(dec(SOCK_CHAN_SOCKET, Socket_method_connect, p, (uint32_t)len, 1, &r, &why), NetStatus_badRequest);
    CHECK(strstr(why, "capabilities"));
    CHECK_EQ(dec(SOCK_CHAN_NET, Socket_method_connect, p, (uint32_t)len, 0, &r, &why), NetStatus_ok);
    CHECK_EQ(r.op, SOCK_OP_SOCKET);   /* Net method 0 is socket; its type field reads as tcp */
    CHECK_EQ(dec(SOCK_CHAN_SOCKET, Socket_method_connect, p, (uint32_t)len - 8, 0, &r, &why), NetStatus_badRequest);
    CHECK_EQ(dec(SOCK_CHAN_SOCKET, Socket_method_connect, p, 5, 0, &r, &why), NetStatus_badRequest);
    CHECK(strstr(why, "Cap'n Proto"));
    /* addresses no peer has */
    static const uint32_t badaddr[] = {0, 0xffffffffu, 0xe0000001u};
    for (unsigned i = 0; i < 3; i++) {
        capnp_builder_init(&b, mem, sizeof mem);
        c = Socket_connect_Params_build_root(&b);
        Socket_connect_Params_set_addr(c, badaddr[i]);
        Socket_connect_Params_set_port(c, 80);
        p = capnp_builder_bytes(&b, &len);
        CHECK_EQ(dec(SOCK_CHAN_SOCKET, Socket_method_connect, p, (uint32_t)len, 0, &r, &why), NetStatus_badAddress);
    }
    /* listen's backlog, shutdown's how, options */
    capnp_builder_init(&b, mem, sizeof mem);
    Socket_listen_Params_set_backlog(Socket_listen_Params_build_root(&b), 17);
    p = capnp_builder_bytes(&b, &len);
    CHECK_EQ(dec(SOCK_CHAN_SOCKET, Socket_method_listen, p, (uint32_t)len, 0, &r, &why), NetStatus_badRequest);
    CHECK(strstr(why, "backlog"));
    CHECK_EQ(dec(SOCK_CHAN_SOCKET, Socket_method_listen, 0, 0, 0, &r, &why), NetStatus_ok);
    CHECK_EQ(r.u.listen.backlog, 4);   /* the schema's default */
    capnp_builder_init(&b, mem, sizeof mem);
    Socket_shutdown_Params_set_how(Socket_shutdown_Params_build_root(&b), (enum Socket_How)7);
    p = capnp_builder_bytes(&b, &len);
    CHECK_EQ(dec(SOCK_CHAN_SOCKET, Socket_method_shutdown, p, (uint32_t)len, 0, &r, &why), NetStatus_badRequest);
    capnp_builder_init(&b, mem, sizeof mem);
    Socket_setOption_Params_B o = Socket_setOption_Params_build_root(&b);
    Socket_setOption_Params_set_option(o, Socket_Option_noDelay);
    Socket_setOption_Params_set_value(o, 2);
    p = capnp_builder_bytes(&b, &len);
    CHECK_EQ(dec(SOCK_CHAN_SOCKET, Socket_method_setOption, p, (uint32_t)len, 0, &r, &why), NetStatus_badOption);
    /* send is raw bytes, never empty; unknown kinds on both channels */
    CHECK_EQ(dec(SOCK_CHAN_SOCKET, Socket_method_send, "abc", 3, 0, &r, &why), NetStatus_ok);
    CHECK_EQ(r.u.send.len, 3);
    CHECK_EQ(dec(SOCK_CHAN_SOCKET, Socket_method_send, 0, 0, 0, &r, &why), NetStatus_badRequest);
    CHECK_EQ(dec(SOCK_CHAN_SOCKET, 99, 0, 0, 0, &r, &why), NetStatus_badRequest);
    CHECK(strstr(why, "unknown socket method"));
    CHECK_EQ(dec(SOCK_CHAN_NET, 7, 0, 0, 0, &r, &why), NetStatus_badRequest);
    CHECK(strstr(why, "unknown Net method"));
    CHECK_EQ(dec(SOCK_CHAN_NET, Net_method_info, 0, 0, 0, &r, &why), NetStatus_ok);
    CHECK_EQ(r.op, SOCK_OP_INFO);
    CHECK_EQ(dec(SOCK_CHAN_NET, Net_method_info, 0, 0, 1, &r, &why), NetStatus_badRequest);
    capnp_builder_init(&b, mem, sizeof mem);
    Net_socket_Params_set_type(Net_socket_Params_build_root(&b), (enum Net_Type)9);
    p = capnp_builder_bytes(&b, &len);
    CHECK_EQ(dec(SOCK_CHAN_NET, Net_method_socket, p, (uint32_t)len, 0, &r, &why), NetStatus_badRequest);
    CHECK(strstr(why, "type"));
    CHECK(!strcmp(sockproto_status_name(NetStatus_tooMany), "tooMany"));
    CHECK(!strcmp(sockproto_status_name((enum NetStatus)200), "?"));
}
