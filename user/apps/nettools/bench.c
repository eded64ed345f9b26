/*
 * bench (nettools 5, the netbench image): Vectra's side of the network figures (scripts/bench, beside
 * bench/linux/linux-bench.c's bench_net): servers on en0 driven from the
 * host's 127.0.0.1 through QEMU's user network (restrict=on, hostfwd),
 * by bench/netpeer.py, the same peer that drives the Linux guest, and a
 * TFTP client of QEMU's TFTP server for the UDP figure.
 *
 *   net_udp_rtt       a TFTP read from QEMU's own server (10.0.2.2:69,
 *                     the only UDP peer restrict=on lets a guest reach):
 *                     one sample from one 512-byte block's arrival at the
 *                     client (nsock_recv returns it) to the next one's,
 *                     so the 4-byte ACK's send and the next block's receive
 *   net_tcp_accept    a connection on TCP port 7001: accepted, the
 *                     peer's FIN read, closed; from one accept to the next
 *   net_tcp_bulk_per_mib  17 MiB sent by the host to TCP port 7002, read
 *                     and counted; one sample per MiB after the first
 *
 * Each also as *_client: the instructions of this Task itself (its code
 * and its system calls, from its wake-up to its next wait) in the same
 * sample; the rest is the stack, the driver and the kernel for them.
 * Our priority (12) is above the driver's and the stack's, so a doorbell
 * we ring does not switch to them before we wait.
 *
 * While we wait the CPU must not halt (bench/README.md "Idle under
 * icount"): the spinner runs, and a sample is its TSC delta less the
 * spinner's instructions. The host's time is not in the figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchspin.h"
#include "capnp/capnp.h"
#include "nsock.h"
#include "rt.h"
#include "nettools.h"

#define CONN_PORT 7001
#define BULK_PORT 7002
#define N_UDP 2000
#define WARM_UDP 200
#define N_CONN 200
#define WARM_CONN 20
#define BULK_MIB 16             /* after one MiB of warm-up */
#define SPIN_STACK_VA 0x6000000000ull
#define IDLE_US 60000000ull     /* the host peer gone: give up */

static uint64_t t_last, client;

/* Wait for any of bits; the instructions since the last wake-up are ours. */
static void wait_for(uint64_t bits, const char *what)
{
    uint64_t t = benchspin_tsc();
    client += t - t_last;
    uint64_t fired = v_signal_wait(bits, IDLE_US).val;
    t_last = benchspin_tsc();
    if (!fired)
        rt_die("netbench: nothing for 60 s while waiting for %s", what);
}

struct mark {
    uint64_t tsc, spun, client;
};

static struct mark mark_now(void)
{
    struct mark m;
    m.tsc = benchspin_tsc();
    m.spun = benchspin.count;
    client += m.tsc - t_last;
    t_last = m.tsc;
    m.client = client;
    return m;
}

struct figure {
    uint64_t *insn, *own;
    size_t n;
};

static void sample(struct figure *f, const struct mark *a, const struct mark *b)
{
    uint64_t spun = (b->spun - a->spun) * BENCHSPIN_INSNS, d = b->tsc - a->tsc;
    if (spun > d)
        rt_die("netbench: the spinner ran longer than the sample");
    f->insn[f->n] = d - spun;
    f->own[f->n++] = b->client - a->client;
}

static void report2(const char *name, struct figure *f)
{
    char own[64];
    benchspin_report(name, f->insn, f->n);
    snprintf(own, sizeof own, "%s_client", name);
    benchspin_report(own, f->own, f->n);
}

static void must(int e, const char *what)
{
    if (e < 0 && e != NSOCK_AGAIN)
        rt_die("netbench: %s: %s", what, nsock_strerror(e));
}

static void open_listener(struct net *n, enum Net_Type type, uint16_t port, struct nsock *s)
{
    int e = nsock_open(n, type, s);
    e = e ? e : nsock_listen(s, port, 4);
    while (e == NSOCK_INPROGRESS)
        if ((e = nsock_done(s)) == NSOCK_INPROGRESS)
            wait_for(nsock_bits(s), "listen");
    if (e)
        rt_die("netbench: listen on port %u: %s", port, nsock_strerror(e));
}

/* en0 up with an address (DHCP), so the host's peer can start. */
static void wait_en0(struct net *n)
{
    static struct ipc_msg rep;
    for (int i = 0; i < 600; i++) {
        struct capnp_msg m;
        if (!ipc_call(&n->c, Net_method_info, 0, 0, 0, 0, &rep, 2000000) &&
            !ipc_request_open(&m, &rep)) {
            Net_info_Results_R r = Net_info_Results_read_root(&m);
            if (Net_info_Results_up(r) && Net_info_Results_addr(r))
                return;
        }
        rt_sleep_us(100000);
    }
    rt_die("netbench: en0 has no address after 60 s");
}

static uint8_t buf[4096];

/* QEMU's TFTP server (bench/netpeer.py): RRQ for TFTP_FILE, then each
 * block acknowledged; a sample from one block's arrival to the next. */
#define TFTP_FILE "netbench.bin"
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void udp_send(struct nsock *u, const void *b, uint32_t n)
{
    int e;
    while ((e = nsock_send(u, b, n)) == NSOCK_AGAIN)
        wait_for(nsock_bits(u), "room to send");
    must(e, "udp send");
}

static void bench_udp(struct net *net)
{
    static uint64_t s[N_UDP], o[N_UDP];
    static struct nsock u;
    struct figure f = {s, o, 0};
    struct mark prev = {0, 0, 0};
    int e = nsock_open(net, Net_Type_udp, &u);
    e = e ? e : nsock_connect(&u, NSOCK_ADDR(10, 0, 2, 2), 69);
    while (e == NSOCK_INPROGRESS)
        if ((e = nsock_done(&u)) == NSOCK_INPROGRESS)
            wait_for(nsock_bits(&u), "connect");
    must(e, "udp connect");
    uint8_t req[32] = {0, 1};
    memcpy(req + 2, TFTP_FILE "\0octet", sizeof TFTP_FILE + 6);
    udp_send(&u, req, 2 + sizeof TFTP_FILE + 6);
    for (uint32_t block = 1;; block++) {
        int n;
        while ((n = nsock_recv(&u, buf, sizeof buf)) == NSOCK_AGAIN)
            wait_for(nsock_bits(&u), "a TFTP block");
        must(n, "udp recv");
        if (n < 4 || get16(buf) != 3 || get16(buf + 2) != (uint16_t)block)
            rt_die("netbench: TFTP: not block %u (%d bytes, opcode %u)", block, n,
                   n >= 2 ? get16(buf) : 0);
        struct mark m = mark_now();
        if (block > WARM_UDP + 1 && f.n < N_UDP)
            sample(&f, &prev, &m);
        prev = m;
        uint8_t ack[4] = {0, 4};
        put16(ack + 2, (uint16_t)block);
        udp_send(&u, ack, 4);
        if (n < 516)
            break;
    }
    nsock_close(&u);
    if (f.n < N_UDP)
        rt_die("netbench: TFTP: only %zu blocks", f.n);
    report2("net_udp_rtt", &f);
}

static void bench_accept(struct nsock *l)
{
    static uint64_t s[N_CONN], o[N_CONN];
    static struct nsock c;
    struct figure f = {s, o, 0};
    struct mark prev = {0, 0, 0};
    for (size_t i = 0; i <= N_CONN + WARM_CONN; i++) {
        int e;
        while ((e = nsock_accept(l, &c)) == NSOCK_AGAIN)
            wait_for(nsock_bits(l), "a connection");
        must(e, "accept");
        struct mark m = mark_now();
        if (i > WARM_CONN)
            sample(&f, &prev, &m);
        prev = m;
        while ((e = nsock_recv(&c, buf, sizeof buf)) != 0) {
            if (e == NSOCK_AGAIN)
                wait_for(nsock_bits(&c), "the peer's FIN");
            else
                must(e, "recv");
        }
        nsock_close(&c);
    }
    report2("net_tcp_accept", &f);
}

static void bench_bulk(struct nsock *l)
{
    static uint64_t s[BULK_MIB], o[BULK_MIB];
    static struct nsock c;
    struct figure f = {s, o, 0};
    int e;
    while ((e = nsock_accept(l, &c)) == NSOCK_AGAIN)
        wait_for(nsock_bits(l), "the bulk connection");
    must(e, "accept");
    uint64_t got = 0, next = 1u << 20;
    struct mark prev = {0, 0, 0};
    while ((e = nsock_recv(&c, buf, sizeof buf)) != 0) {
        if (e == NSOCK_AGAIN) {
            wait_for(nsock_bits(&c), "bulk data");
            continue;
        }
        must(e, "bulk recv");
        got += (uint64_t)e;
        if (got >= next) {
            struct mark m = mark_now();
            if (next > 1u << 20 && f.n < BULK_MIB)
                sample(&f, &prev, &m);
            prev = m;
            next += 1u << 20;
        }
    }
    nsock_close(&c);
    if (f.n < BULK_MIB)
        rt_die("netbench: the bulk connection carried %llu bytes", (unsigned long long)got);
    report2("net_tcp_bulk_per_mib", &f);
}

int tool_bench(void)
{
    static struct net n;
    static struct nsock lc, lb;
    int e;
    for (int i = 0; (e = net_open(&n, "net")) != 0; i++) {
        if (i == 100)
            rt_die("netbench: no network service: %s", nsock_strerror(e));
        rt_sleep_us(100000);
    }
    benchspin_start(SPIN_STACK_VA, "netbench");
    t_last = benchspin_tsc();
    wait_en0(&n);
    bench_udp(&n);
    open_listener(&n, Net_Type_tcp, CONN_PORT, &lc);
    open_listener(&n, Net_Type_tcp, BULK_PORT, &lb);
    printf("netbench: ready (tcp %u and %u)\n", CONN_PORT, BULK_PORT);
    bench_accept(&lc);
    bench_bulk(&lb);
    printf("netbench: done\n");
    for (;;)
        rt_sleep_us(V_TIMEOUT_NEVER);
}
