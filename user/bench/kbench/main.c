/*
 * kbench: Vectra's primitives measured in guest instructions. Runs as the
 * root Task of the bench image (boot module 0), with user/bench/kbpeer as module
 * 1 and user/bench/kbipc (the service of the ipc_rtt figures) as module 2, and
 * prints one line per figure on the console:
 *
 *     bench <name> unit=<unit> median=<n> p99=<n> min=<n> n=<samples>
 *
 * Under QEMU TCG with -icount shift=0,align=off,sleep=off the TSC advances
 * by one per guest instruction, so a TSC delta is an exact, repeatable
 * instruction count (unit=insn) of everything that ran in between: our
 * code, the kernel and, where a figure involves one, the child. The TSC is
 * read with lfence on both sides (kb_tsc); the cost of an empty
 * measurement is reported as rdtsc_overhead and subtracted from every
 * sample. Each figure runs a warm-up first, then its samples; the median
 * is s[n/2], p99 the nearest rank, as bench/linux/linux-bench.c does.
 * Throughput figures (unit=msg/kinsn) are derived from per-block costs:
 * their "p99" is the rate 99 % of blocks reached (the slow tail) and
 * "min" the slowest block's.
 *
 * The run ends with "kbench: done" and exit status 0 (QEMU exits 33 under
 * the kernel's "test" word); "kbench: error: ..." and status 1 otherwise.
 * See bench/README.md for what each figure measures.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kbpeer/kbpeer.h"
#include "elf/elf.h"
#include "ipc.h"
#include "ring/ring.h"
#include "rt.h"
#include "schema/console.capnp.h"
#include "schema/timer.capnp.h"

#define BIT(n) (1ull << (n))
#define NEVER V_TIMEOUT_NEVER
#define SECOND 1000000ull

/* Iterations per figure, and warm-up iterations before them (a tenth).
 * The kernel command-line words "profile=<figure>" and "n=<k>" run one
 * figure with k samples and a fixed warm-up instead (scripts/bench
 * --profile traces two such runs and takes the difference). */
#define N_MAX 100000
static size_t n_overhead = 10000, n_syscall = 100000, n_pingpong = 20000, n_fault = 5000,
              n_spawn = 2000, n_frames = 1000, n_echo = 2000;
static size_t n_stream = 64;                /* blocks of stream_block messages */
static size_t stream_block = 4096;
static const char *only;                    /* profile: the one figure to run */

static size_t warm(size_t n) { return only ? 2 : n / 10; }

/* Addresses in kbench's own address space. */
#define SHARED_VA 0x10000000ull         /* the page shared with the child */
#define RING_VA   0x40000000ull         /* Ring ends, 1 MiB apart */
#define POOL_VA   0x50000000ull         /* the 64 KiB frame pool */

static v_handle SELF, AS, R, SIGF;
static unsigned prio;
static const void *peer_elf, *ipc_elf;
static size_t peer_len, ipc_len;
static uint64_t peer_entry;
static uint64_t overhead;
static uint64_t *s;                 /* samples: 2 * N_MAX, from the heap after boot */
static struct kb_shared *shared;
static uint64_t next_ring_va = RING_VA;

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...);
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("kbench: error: ");
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    rt_exit(1);
}

#define CHECK(call)                                                                     \
    ({                                                                                  \
        struct v_ret r_ = (call);                                                       \
        if (r_.err)                                                                     \
            fail("line %d: %s: %s", __LINE__, #call, rt_errname(r_.err));              \
        r_.val;                                                                         \
    })

/* ---- samples and reports ---------------------------------------------- */

static uint64_t net(uint64_t t0, uint64_t t1)
{
    uint64_t d = t1 - t0;
    return d > overhead ? d - overhead : 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t p99_rank(size_t n) { return (n * 99 + 99) / 100; }   /* ceil(0.99 n) */

static void line(const char *name, const char *unit, uint64_t med, uint64_t p99, uint64_t min,
                 size_t n)
{
    printf("bench %s unit=%s median=%llu p99=%llu min=%llu n=%llu\n", name, unit,
           (unsigned long long)med, (unsigned long long)p99, (unsigned long long)min,
           (unsigned long long)n);
    fflush(stdout);
}

/* Sort s[0..n) (instruction counts) and print them. */
static void report(const char *name, size_t n)
{
    if (only) {     /* profile runs: no sorting, whose cost is not linear in n */
        printf("kbench: %s: %llu samples (profile run)\n", name, (unsigned long long)n);
        return;
    }
    qsort(s, n, sizeof *s, cmp_u64);
    line(name, "insn", s[n / 2], s[p99_rank(n) - 1], s[0], n);
}

/* A rate with four decimals from a cost of `insn` instructions for `msgs`
 * messages: msgs per 1000 instructions. */
static void print_rate(uint64_t msgs, uint64_t insn)
{
    uint64_t x = insn ? msgs * 1000ull * 10000ull / insn : 0;
    printf("%llu.%04llu", (unsigned long long)(x / 10000), (unsigned long long)(x % 10000));
}

/* s[0..n) are instruction counts for `msgs` messages each: print the
 * throughput line (msg/kinsn) and the cost per message. */
static void report_rate(const char *name, uint64_t msgs, size_t n)
{
    if (only) {
        report(name, n);
        return;
    }
    qsort(s, n, sizeof *s, cmp_u64);
    uint64_t med = s[n / 2], p99 = s[p99_rank(n) - 1], max = s[n - 1];
    printf("bench %s unit=msg/kinsn median=", name);
    print_rate(msgs, med);
    printf(" p99=");
    print_rate(msgs, p99);
    printf(" min=");
    print_rate(msgs, max);
    printf(" n=%llu\n", (unsigned long long)n);
    char per[64];
    snprintf(per, sizeof per, "%s_per_msg", name);
    line(per, "insn", med / msgs, p99 / msgs, s[0] / msgs, n);
}

/* ---- children ---------------------------------------------------------- */

static void spawn_peer(unsigned mode, unsigned flags, const struct rt_bundle_item *items,
                       unsigned nitems, struct rt_child *c)
{
    struct rt_spawn_args a = {
        .elf = peer_elf, .elf_len = peer_len, .name = "kbpeer", .reticle = R,
        .memory = 512 * 1024, .prio = prio, .fault_signal = SIGF,
        .arg = mode | (uint64_t)flags << 8, .items = items, .nitems = nitems,
        .give_memory = true,
    };
    int e = rt_spawn(&a, c);
    if (e)
        fail("spawning kbpeer mode %u: %s", mode, rt_errname(e));
}

/* Wait (at most ~5 s of guest time) until c is dead or faulted. */
static void wait_child(struct rt_child *c, struct v_taskinfo *i)
{
    for (int k = 0; k < 250; k++) {
        CHECK(v_task_info(c->task, (uint64_t)i));
        if (i->state == V_TASK_DEAD || i->state == V_TASK_FAULTED)
            return;
        v_signal_wait(BIT(KB_BIT_FAULT), 20000);
    }
    fail("child %u did not finish", c->task);
}

/* The child must have returned 0; then it is destroyed. */
static void reap(struct rt_child *c, const char *what)
{
    struct v_taskinfo i;
    wait_child(c, &i);
    if (i.state != V_TASK_DEAD || i.exit_code != 0)
        fail("%s: child ended in state %u with status %lld", what, i.state,
             (long long)i.exit_code);
    if (rt_child_destroy(c))
        fail("%s: destroying the child", what);
    v_signal_wait(~0ull, 0);        /* bits it left pending are not the next figure's */
}

static void destroy(struct rt_child *c)
{
    if (rt_child_destroy(c))
        fail("destroying a child");
    v_signal_wait(~0ull, 0);
}

/* A signal capability that raises `bit` on us, for a child's Bundle. */
static v_handle signal_to_self(unsigned bit)
{
    return (v_handle)CHECK(v_signal_mint(SELF, BIT(bit), V_SLOT_ANY));
}

/* The shared page's frame, copied for a child's Bundle (moved there: a
 * copy left in our table would die with ours). */
static v_handle shared_frame;
static v_handle shared_copy(void) { return (v_handle)CHECK(v_cap_copy(shared_frame, V_SLOT_ANY)); }

struct ring2 {
    v_handle tx, rx;
};

static struct ring2 new_ring(unsigned slots_log2, unsigned slot_log2)
{
    uint64_t v = CHECK(v_retype(R, V_TYPE_RING_SEND, V_RING_PARAM(slots_log2, slot_log2), V_SLOT_ANY));
    return (struct ring2){(v_handle)v, V_RING_RECV_END(v)};
}

static void bind(v_handle end, unsigned bit, bool producer, struct ring_view *v)
{
    uint64_t va = next_ring_va;
    next_ring_va += 0x100000;
    uint64_t size = CHECK(v_ring_bind(end, va, bit));
    if (ring_view_init(v, (void *)va, size, producer) != RING_OK)
        fail("ring view at %#llx", (unsigned long long)va);
}

static void del_ring(struct ring2 *r)
{
    v_cap_delete(r->tx);
    v_cap_delete(r->rx);
}

/* ---- figures ------------------------------------------------------------- */

static void bench_overhead(void)
{
    for (size_t i = 0; i < n_overhead; i++) {
        uint64_t t0 = kb_tsc();
        uint64_t t1 = kb_tsc();
        s[i] = t1 - t0;
    }
    qsort(s, n_overhead, sizeof *s, cmp_u64);
    overhead = s[0];
    line("rdtsc_overhead", "insn", s[n_overhead / 2], s[p99_rank(n_overhead) - 1], s[0],
         n_overhead);
}

static void bench_boot(const struct v_bootinfo *bi, uint64_t t_main)
{
    uint64_t d = bi->tsc_at_root - bi->tsc_at_entry;
    line("boot_to_init", "insn", d, d, d, 1);
    line("boot_to_init_from_reset", "insn", bi->tsc_at_root, bi->tsc_at_root, bi->tsc_at_root,
         1);
    line("boot_to_init_main_from_reset", "insn", t_main, t_main, t_main, 1);
}

/* The cheapest system calls: clock (reads the tick counter) and an
 * unknown number (entry, dispatch's range check, exit). */
static void bench_syscall(void)
{
    for (size_t i = 0; i < warm(n_syscall); i++)
        v_clock();
    for (size_t i = 0; i < n_syscall; i++) {
        uint64_t t0 = kb_tsc();
        v_clock();
        uint64_t t1 = kb_tsc();
        s[i] = net(t0, t1);
    }
    report("null_syscall", n_syscall);
}

static void bench_enosys(void)
{
    for (size_t i = 0; i < warm(n_syscall); i++)
        v_syscall6(V_NSYSCALLS, 0, 0, 0, 0, 0, 0);
    for (size_t i = 0; i < n_syscall; i++) {
        uint64_t t0 = kb_tsc();
        v_syscall6(V_NSYSCALLS, 0, 0, 0, 0, 0, 0);
        uint64_t t1 = kb_tsc();
        s[i] = net(t0, t1);
    }
    report("null_syscall_enosys", n_syscall);
}

/* Two Tasks in two address spaces wake each other: one sample is our
 * signal_call (raise the child's bit, wait for ours) and the child's
 * signal_call back. */
static void bench_signal(void)
{
    struct rt_bundle_item it[] = {{"peer", signal_to_self(KB_BIT_REP), true}};
    struct rt_child c;
    spawn_peer(P_PONG, 0, it, 1, &c);
    v_handle to_child = (v_handle)CHECK(v_signal_mint(c.task, BIT(KB_BIT_REQ), V_SLOT_ANY));
    for (size_t i = 0; i < warm(n_pingpong); i++)
        CHECK(v_signal_call(to_child, BIT(KB_BIT_REQ), BIT(KB_BIT_REP), SECOND));
    for (size_t i = 0; i < n_pingpong; i++) {
        uint64_t t0 = kb_tsc();
        v_signal_call(to_child, BIT(KB_BIT_REQ), BIT(KB_BIT_REP), NEVER);
        uint64_t t1 = kb_tsc();
        s[i] = net(t0, t1);
    }
    report("signal_wake_rtt", n_pingpong);
    CHECK(v_cap_delete(to_child));
    destroy(&c);
}

/* Request/reply over a Ring pair: the request written in place in a
 * slot, its doorbell and our wait for the reply one signal_call (the
 * child answers the same way), the reply read in place. With cap set,
 * each request moves a frame capability to the child and the reply
 * moves it back; the child notes when it is in its table. */
struct echo {
    struct ring2 req, rep;
    struct ring_view out, in;
    struct rt_child c;
    v_handle to_child;
};

static void echo_start_sized(struct echo *e, unsigned mode, unsigned slot_log2)
{
    e->req = new_ring(3, slot_log2);
    e->rep = new_ring(3, slot_log2);
    struct rt_bundle_item it[4] = {
        {"rx", e->req.rx, true}, {"tx", e->rep.tx, true},
        {"peer", signal_to_self(KB_BIT_REP), true}, {"shared", shared_copy(), true},
    };
    spawn_peer(mode, 0, it, 4, &e->c);
    e->to_child = (v_handle)CHECK(v_signal_mint(e->c.task, BIT(KB_BIT_REQ), V_SLOT_ANY));
    bind(e->req.tx, KB_BIT_SPACE, true, &e->out);
    bind(e->rep.rx, KB_BIT_REP, false, &e->in);
}

static void echo_start(struct echo *e, unsigned mode) { echo_start_sized(e, mode, 6); }

static void echo_stop(struct echo *e, const char *what)
{
    struct ring_slot *p;
    if (ring_reserve(&e->out, &p) != RING_OK)
        fail("%s: no slot for the stop message", what);
    *p = (struct ring_slot){.kind = KB_K_STOP};
    ring_commit(&e->out);
    CHECK(v_signal_raise(e->to_child, BIT(KB_BIT_REQ)));
    CHECK(v_cap_delete(e->to_child));   /* derived from the child's Task: before it goes */
    reap(&e->c, what);
    del_ring(&e->req);
    del_ring(&e->rep);
}

static inline void echo_send(struct echo *e, uint64_t id, unsigned ncaps)
{
    struct ring_slot *p;
    if (ring_reserve(&e->out, &p) != RING_OK)
        fail("request ring full");
    p->len = 8;
    p->kind = KB_K_REQ;
    p->ncaps = (uint16_t)ncaps;
    p->id = id;
    *(uint64_t *)(p + 1) = id;
    ring_commit(&e->out);
}

static inline const struct ring_slot *echo_reply(struct echo *e, uint64_t id)
{
    const struct ring_slot *q;
    enum ring_status st;
    while ((st = ring_peek(&e->in, &q)) == RING_EMPTY)
        v_signal_wait(BIT(KB_BIT_REP), NEVER);
    if (st != RING_OK || q->kind != KB_K_REQ + 1 || q->id != id || *(const uint64_t *)(q + 1) != id)
        fail("bad reply to request %llu (status %d)", (unsigned long long)id, (int)st);
    return q;
}

static void bench_ring_rtt(void)
{
    struct echo e;
    echo_start(&e, P_ECHO_CALL);
    for (size_t i = 0; i < n_pingpong + warm(n_pingpong); i++) {
        uint64_t t0 = kb_tsc();
        echo_send(&e, i, 0);
        v_signal_call(e.to_child, BIT(KB_BIT_REQ), BIT(KB_BIT_REP), NEVER);
        echo_reply(&e, i);
        ring_release(&e.in);
        uint64_t t1 = kb_tsc();
        if (i >= warm(n_pingpong))
            s[i - warm(n_pingpong)] = net(t0, t1);
    }
    report("ring_rtt", n_pingpong);
    echo_stop(&e, "ring_rtt");
}

/* Echo by copy: len bytes copied into a 4 KiB slot with ring_push, the
 * doorbell and the wait one signal_call, the reply copied out with
 * ring_pop (kbpeer copies both ways too: four copies of len a round trip)
 * and its first and last words checked. */
static void bench_ring_echo(const char *name, uint32_t len)
{
    static uint8_t buf[4096], back[4096];
    struct echo e;
    echo_start_sized(&e, P_ECHO_COPY, 12);
    if (len > ring_payload_max(&e.out))
        fail("%s: %u bytes do not fit a slot", name, len);
    for (uint32_t k = 0; k < len; k++)
        buf[k] = (uint8_t)(k * 7 + 1);
    for (size_t i = 0; i < n_echo + warm(n_echo); i++) {
        struct ring_slot h = {.len = len, .kind = KB_K_REQ, .id = i}, r;
        *(uint64_t *)buf = i;
        uint64_t t0 = kb_tsc();
        if (ring_push(&e.out, &h, buf) != RING_OK)
            fail("%s: request ring full", name);
        v_signal_call(e.to_child, BIT(KB_BIT_REQ), BIT(KB_BIT_REP), NEVER);
        enum ring_status st;
        while ((st = ring_pop(&e.in, &r, back, sizeof back)) == RING_EMPTY)
            v_signal_wait(BIT(KB_BIT_REP), NEVER);
        uint64_t t1 = kb_tsc();
        if (st != RING_OK || r.kind != KB_K_REQ + 1 || r.id != i || r.len != len ||
            *(uint64_t *)back != i || back[len - 1] != buf[len - 1])
            fail("%s: bad reply to request %llu (status %d)", name, (unsigned long long)i,
                 (int)st);
        if (i >= warm(n_echo))
            s[i - warm(n_echo)] = net(t0, t1);
    }
    report(name, n_echo);
    echo_stop(&e, name);
}

static void bench_ring_echo_1k(void) { bench_ring_echo("ring_echo_1k", 1024); }
static void bench_ring_echo_4k(void) { bench_ring_echo("ring_echo_4k", 4096 - RING_SLOT_HDR); }

/* A service (kbipc, timerd) spawned on a fresh accept Ring as its
 * "listen", as init starts one; clients connect through acc.tx. */
struct service {
    struct ring2 acc;
    struct rt_child c;
};

static void service_start(struct service *sv, const char *name, const void *elf, size_t len)
{
    sv->acc = new_ring(4, 6);
    struct rt_bundle_item it[] = {{"listen", sv->acc.rx, true}};
    struct rt_spawn_args a = {
        .elf = elf, .elf_len = len, .name = name, .reticle = R, .memory = 512 * 1024,
        .prio = prio, .fault_signal = SIGF, .items = it, .nitems = 1,
        .table_bits = 7,        /* two ends a connection, 32 connections */
    };
    int e = rt_spawn(&a, &sv->c);
    if (e)
        fail("spawning %s: %s", name, rt_errname(e));
}

static void service_connect(struct service *sv, struct ipc_conn *c, const char *name)
{
    v_handle ends[2];
    int e = ipc_introduce(R, sv->acc.tx, "kbench", ends);
    if (!e)
        e = ipc_attach(c, ends[0], ends[1]);
    if (e)
        fail("%s: connecting: %s", name, ipc_strerror(e));
}

static void service_stop(struct service *sv, struct ipc_conn *conns, unsigned nconns)
{
    for (unsigned k = 0; k < nconns; k++)
        ipc_detach(&conns[k]);
    destroy(&sv->c);
    v_cap_delete(sv->acc.tx);
}

/* The service framework as services use it (user/lib/rt/ipc.c): user/bench/kbipc
 * (boot module 2) runs ipc_serve on an accept Ring, kbench connects nconns clients to it with
 * ipc_introduce (as init and the naming service do) and times ipc_call
 * with 8 bytes on the last connection it opened, the reply checked. */
static void bench_ipc(const char *name, unsigned nconns)
{
    static struct ipc_conn conns[IPC_MAX_CONNS];
    static struct ipc_msg reply;
    struct service sv;
    service_start(&sv, "kbipc", ipc_elf, ipc_len);
    for (unsigned k = 0; k < nconns; k++)
        service_connect(&sv, &conns[k], name);
    struct ipc_conn *cn = &conns[nconns - 1];
    for (size_t i = 0; i < n_pingpong + warm(n_pingpong); i++) {
        uint64_t t0 = kb_tsc();
        int e = ipc_call(cn, KB_K_IPC, &i, 8, 0, 0, &reply, NEVER);
        uint64_t t1 = kb_tsc();
        if (e || reply.hdr.len != 8 || *(uint64_t *)reply.data != i)
            fail("%s: call %llu: %s", name, (unsigned long long)i, ipc_strerror(e));
        if (i >= warm(n_pingpong))
            s[i - warm(n_pingpong)] = net(t0, t1);
    }
    report(name, n_pingpong);
    service_stop(&sv, conns, nconns);
}

static void bench_ipc_1(void) { bench_ipc("ipc_rtt", 1); }
static void bench_ipc_32(void) { bench_ipc("ipc_rtt_32", 32); }

/* The same request/reply with lib/ring's own doorbell protocol: ring
 * (ring_notify) only a peer that says it sleeps; before sleeping, say so
 * and look once more; wait with signal_wait. Four calls a round trip. */
static void bench_ring_rtt_notify(void)
{
    struct echo e;
    echo_start(&e, P_ECHO_NOTIFY);
    for (size_t i = 0; i < n_pingpong + warm(n_pingpong); i++) {
        uint64_t t0 = kb_tsc();
        echo_send(&e, i, 0);
        if (ring_peer_sleeping(&e.out))
            v_ring_notify(e.req.tx);
        const struct ring_slot *q;
        while (ring_peek(&e.in, &q) == RING_EMPTY) {
            ring_set_sleeping(&e.in, true);
            if (ring_count(&e.in) == 0)
                v_signal_wait(BIT(KB_BIT_REP), NEVER);
            ring_set_sleeping(&e.in, false);
        }
        echo_reply(&e, i);
        ring_release(&e.in);
        uint64_t t1 = kb_tsc();
        if (i >= warm(n_pingpong))
            s[i - warm(n_pingpong)] = net(t0, t1);
    }
    report("ring_rtt_notify", n_pingpong);
    echo_stop(&e, "ring_rtt_notify");
}

/* A message carrying one moved capability (an unmapped frame): from the
 * start of sending it until it is in the child's table (cap_transfer),
 * and the round trip in which the reply moves it back (cap_transfer_rtt). */
static void bench_cap_transfer(void)
{
    struct echo e;
    echo_start(&e, P_ECHO_CALL);
    v_handle f = (v_handle)CHECK(v_retype(R, V_TYPE_FRAME, 0, V_SLOT_ANY));
    uint64_t *rtt = s + n_pingpong;
    size_t w = warm(n_pingpong);
    for (size_t i = 0; i < n_pingpong + w; i++) {
        uint64_t t0 = kb_tsc();
        v_ring_send_cap(e.req.tx, f, V_MOVE);
        echo_send(&e, i, 1);
        v_signal_call(e.to_child, BIT(KB_BIT_REQ), BIT(KB_BIT_REP), NEVER);
        const struct ring_slot *q = echo_reply(&e, i);
        struct v_ret r = v_ring_recv_cap(e.rep.rx, V_SLOT_ANY);
        ring_release(&e.in);
        uint64_t t1 = kb_tsc();
        if (r.err || q->ncaps != 1)
            fail("cap_transfer: the capability did not come back: %s", rt_errname(r.err));
        f = (v_handle)r.val;
        if (i >= w) {
            s[i - w] = net(t0, shared->t_cap);
            rtt[i - w] = net(t0, t1);
        }
    }
    struct v_capinfo info;
    if (CHECK(v_cap_info(f, (uint64_t)&info)) != V_TYPE_FRAME)
        fail("cap_transfer: a frame went out, something else came back");
    report("cap_transfer", n_pingpong);
    memmove(s, rtt, n_pingpong * sizeof *s);
    report("cap_transfer_rtt", n_pingpong);
    CHECK(v_cap_delete(f));
    echo_stop(&e, "cap_transfer");
}

/* Stream: messages of 48 bytes (a 64-byte slot) through one Ring of 256
 * slots. The producer (we) fills the Ring and rings the consumer's
 * doorbell only when it must wait for room, in the same call; the
 * consumer drains everything, then rings ours and sleeps. copy: write
 * with ring_push and read with ring_pop (byte copies) instead of in place. */
static __attribute__((noinline)) void stream_wait_room(struct ring_view *out, v_handle to_child,
                                                      enum ring_status st)
{
    if (st != RING_FULL)
        fail("stream: ring status %d", (int)st);
    ring_set_sleeping(out, true);
    if (ring_count(out) == 0) {
        if (ring_peer_sleeping(out))
            v_signal_call(to_child, BIT(KB_BIT_REQ), BIT(KB_BIT_SPACE), NEVER);
        else
            v_signal_wait(BIT(KB_BIT_SPACE), NEVER);
    }
    ring_set_sleeping(out, false);
}

static inline void stream_put(struct ring_view *out, v_handle to_child, uint64_t id,
                              uint16_t kind, bool copy)
{
    enum ring_status st;
    if (copy) {
        uint64_t w[6] = {id, id + 1, id + 2, id + 3, id + 4, id + 5};
        struct ring_slot h = {.len = sizeof w, .kind = kind, .id = id};
        while ((st = ring_push(out, &h, w)) != RING_OK)
            stream_wait_room(out, to_child, st);
        return;
    }
    struct ring_slot *p;
    while ((st = ring_reserve(out, &p)) != RING_OK)
        stream_wait_room(out, to_child, st);
    p->len = 6 * sizeof(uint64_t);
    p->kind = kind;
    p->ncaps = 0;
    p->id = id;
    uint64_t *d = (uint64_t *)(p + 1);
    d[0] = id;
    d[1] = id + 1;
    d[2] = id + 2;
    d[3] = id + 3;
    d[4] = id + 4;
    d[5] = id + 5;
    ring_commit(out);
}

static void bench_stream(bool copy)
{
    const char *name = copy ? "ring_stream_copy" : "ring_stream";
    struct ring2 r = new_ring(8, 6);
    struct rt_bundle_item it[3] = {
        {"rx", r.rx, true}, {"peer", signal_to_self(KB_BIT_SPACE), true},
        {"shared", shared_copy(), true},
    };
    struct rt_child c;
    spawn_peer(P_SINK, copy ? 1 : 0, it, 3, &c);
    v_handle to_child = (v_handle)CHECK(v_signal_mint(c.task, BIT(KB_BIT_REQ), V_SLOT_ANY));
    struct ring_view out;
    bind(r.tx, KB_BIT_SPACE, true, &out);
    uint64_t id = 0, sum = 0;
    size_t w = warm(n_stream);
    for (size_t b = 0; b < n_stream + w; b++) {
        uint64_t t0 = kb_tsc();
        if (copy)
            for (size_t k = 0; k < stream_block; k++, id++)
                stream_put(&out, to_child, id, KB_K_DATA, true);
        else
            for (size_t k = 0; k < stream_block; k++, id++)
                stream_put(&out, to_child, id, KB_K_DATA, false);
        uint64_t t1 = kb_tsc();
        if (b >= w)
            s[b - w] = net(t0, t1);
    }
    for (uint64_t i = 0; i < id; i++)
        sum += 6 * i + 15;
    stream_put(&out, to_child, id, KB_K_STOP, copy);
    if (ring_peer_sleeping(&out))
        CHECK(v_ring_notify(r.tx));
    CHECK(v_cap_delete(to_child));
    reap(&c, name);
    if (shared->count != id || shared->sum != sum)
        fail("%s: the consumer saw %llu messages, %llu expected", name,
             (unsigned long long)shared->count, (unsigned long long)id);
    report_rate(name, stream_block, n_stream);
    v_cap_delete(r.tx);
}

/* 64 KiB payloads handed over, there and back: the steady state of a
 * zero-copy stream with a pool of buffers. Each handed-over frame is
 * mapped in our address space; the child unmaps it from ours, maps it in
 * its own, reads the first word of each page, unmaps it and moves it back
 * on a second Ring, where we map it again for the next payload.
 * ring_stream_64k hands over one frame of 16 pages (one message each
 * way); ring_stream_64k_pages the same 64 KiB as 16 one-page frames, 8
 * per message (the transfer queue's limit), so two messages each way.
 * One sample is one 64 KiB payload, there and back. */
static void frames_run(const char *name, bool pages)
{
    struct echo e;
    e.req = new_ring(2, 6);
    e.rep = new_ring(2, 6);
    struct rt_bundle_item it[4] = {
        {"rx", e.req.rx, true}, {"tx", e.rep.tx, true},
        {"peer", signal_to_self(KB_BIT_REP), true}, {"shared", shared_copy(), true},
    };
    spawn_peer(P_FRAMES, 0, it, 4, &e.c);
    e.to_child = (v_handle)CHECK(v_signal_mint(e.c.task, BIT(KB_BIT_REQ), V_SLOT_ANY));
    bind(e.req.tx, KB_BIT_SPACE, true, &e.out);
    bind(e.rep.rx, KB_BIT_REP, false, &e.in);
    enum { NP = 2 * KB_FRAMES_PER_MSG };              /* pages in a payload */
    const unsigned nframes = pages ? NP : 1;          /* frames in a payload */
    const unsigned per_msg = pages ? KB_FRAMES_PER_MSG : 1;
    const unsigned fpages = pages ? 1 : NP;           /* pages in a frame */
    v_handle f[NP];
    if (pages) {
        if (rt_map_frames(R, POOL_VA, NP, V_R_READ | V_R_WRITE, f))
            fail("%s: no frames for the pool", name);
    } else {
        f[0] = (v_handle)CHECK(v_retype(R, V_TYPE_FRAME, NP, V_SLOT_ANY));
        CHECK(v_as_map(AS, f[0], POOL_VA, V_R_READ | V_R_WRITE));
    }
    uint64_t sum = 0, msgs = 0;
    size_t w = warm(n_frames);
    for (size_t m = 0; m < n_frames + w; m++) {
        uint64_t t0 = kb_tsc();
        for (unsigned first = 0; first < nframes; first += per_msg, msgs++) {
            for (unsigned k = 0; k < per_msg; k++) {
                unsigned x = first + k;
                for (unsigned pg = 0; pg < fpages; pg++) {
                    uint64_t word = m * NP + x * fpages + pg;
                    *(volatile uint64_t *)(POOL_VA + 4096ull * (x * fpages + pg)) = word;
                    sum += word;
                }
                v_ring_send_cap(e.req.tx, f[x], V_MOVE);
            }
            struct ring_slot *p;
            if (ring_reserve(&e.out, &p) != RING_OK)
                fail("%s: request ring full", name);
            *p = (struct ring_slot){.kind = KB_K_DATA, .ncaps = (uint16_t)per_msg, .id = msgs,
                                    .len = 8};
            *(uint64_t *)(p + 1) = fpages;          /* pages per frame */
            ring_commit(&e.out);
            v_signal_call(e.to_child, BIT(KB_BIT_REQ), BIT(KB_BIT_REP), NEVER);
            const struct ring_slot *q;
            enum ring_status qs;
            while ((qs = ring_peek(&e.in, &q)) == RING_EMPTY)
                v_signal_wait(BIT(KB_BIT_REP), NEVER);
            if (qs != RING_OK)
                fail("%s: reply ring: status %d", name, qs);
            if (q->ncaps != per_msg || q->id != msgs)
                fail("%s: frames did not come back", name);
            for (unsigned k = 0; k < per_msg; k++) {
                unsigned x = first + k;
                f[x] = (v_handle)CHECK(v_ring_recv_cap(e.rep.rx, V_SLOT_ANY));
                CHECK(v_as_map(AS, f[x], POOL_VA + 4096ull * x * fpages, V_R_READ | V_R_WRITE));
            }
            ring_release(&e.in);
        }
        uint64_t t1 = kb_tsc();
        if (m >= w)
            s[m - w] = net(t0, t1);
    }
    echo_stop(&e, name);
    if (shared->count != msgs || shared->sum != sum)
        fail("%s: the child read %llu messages, %llu expected", name,
             (unsigned long long)shared->count, (unsigned long long)msgs);
    report_rate(name, 1, n_frames);
    for (unsigned x = 0; x < nframes; x++)
        CHECK(v_cap_delete(f[x]));
}

static void bench_frames(void) { frames_run("ring_stream_64k", false); }
static void bench_frame_pages(void) { frames_run("ring_stream_64k_pages", true); }

/* A user page fault until its supervisor runs: the child notes the TSC
 * and loads from an unmapped address; we wake from signal_wait on the
 * fault bit. The child is restarted at its entry for every sample. */
static void bench_fault(void)
{
    struct rt_bundle_item it[] = {{"shared", shared_copy(), true}};
    struct rt_child c;
    spawn_peer(P_FAULT, 0, it, 1, &c);
    struct v_taskinfo info;
    for (size_t i = 0; i < n_fault + warm(n_fault); i++) {
        if (i)
            CHECK(v_task_start(c.task, peer_entry, V_STACK_TOP, P_FAULT));
        v_signal_wait(BIT(KB_BIT_FAULT), NEVER);
        uint64_t t1 = kb_tsc();
        if (i >= warm(n_fault))
            s[i - warm(n_fault)] = net(shared->t_fault, t1);
    }
    CHECK(v_task_info(c.task, (uint64_t)&info));
    if (info.state != V_TASK_FAULTED || info.fault.vector != 14 ||
        info.fault.addr != KB_FAULT_VA || info.faults != n_fault + warm(n_fault))
        fail("fault_to_supervisor: state %u vector %llu faults %llu", info.state,
             (unsigned long long)info.fault.vector, (unsigned long long)info.faults);
    report("fault_to_supervisor", n_fault);
    destroy(&c);
}

/* Interrupt to driver wake-up: we are the driver, blocked on the UART's
 * line; a lower-priority peer is the device's trigger, writing the
 * register that makes the UART interrupt. One sample: from just before
 * that write (the peer's TSC) to our return from signal_wait. It covers
 * the trigger's io_out trap, the interrupt's entry, the kernel's
 * delivery to the bound Task, the preemption of the peer and our return
 * to user mode. Then we quiet the UART and acknowledge, as a driver does. */
static void bench_irq_wake(void)
{
    v_handle ports = rt_cap("ioports"), irq = rt_cap("irq");
    v_handle mine = (v_handle)CHECK(v_cap_mint(ports, V_SLOT_ANY, V_R_READ | V_R_WRITE | V_R_GRANT,
                                               KB_COM1 | 8ull << 16));
    struct rt_bundle_item it[] = {{"shared", shared_copy(), true}, {"ioports", mine, true}};
    struct rt_child c;
    struct rt_spawn_args a = {
        .elf = peer_elf, .elf_len = peer_len, .name = "kbpeer", .reticle = R,
        .memory = 512 * 1024, .prio = prio - 1, .fault_signal = SIGF, .arg = P_IRQ,
        .items = it, .nitems = 2, .give_memory = true,
    };
    int e = rt_spawn(&a, &c);
    if (e)
        fail("spawning kbpeer for irq_wake: %s", rt_errname(e));
    v_handle to_child = (v_handle)CHECK(v_signal_mint(c.task, BIT(KB_BIT_REQ), V_SLOT_ANY));
    CHECK(v_io_out(ports, KB_COM1 + 1, 1, 0));
    CHECK(v_irq_bind(irq, 4, KB_BIT_IRQ, 0));
    for (size_t i = 0; i < n_pingpong + warm(n_pingpong); i++) {
        CHECK(v_signal_raise(to_child, BIT(KB_BIT_REQ)));
        CHECK(v_signal_wait(BIT(KB_BIT_IRQ), SECOND));
        uint64_t t1 = kb_tsc();
        if (i >= warm(n_pingpong))
            s[i - warm(n_pingpong)] = net(shared->t_fault, t1);
        CHECK(v_io_out(ports, KB_COM1 + 1, 1, 0));
        CHECK(v_irq_ack(irq, 4));
    }
    report("irq_wake", n_pingpong);
    CHECK(v_cap_delete(to_child));
    destroy(&c);
}

/* A minimal executable, like bench/linux/linux-tiny: one page whose
 * entry calls task_exit(0). */
static uint8_t tiny[160] __attribute__((aligned(8)));

static void put(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A one-segment ELF (R|X) of `size` bytes at buf (at least the headers
 * and the code: exit(0)); bytes past the code are padding that is loaded
 * like any other. */
static size_t make_elf(uint8_t *buf, size_t size)
{
    static const uint8_t code[] = {
        0xb8, V_SYS_task_exit, 0, 0, 0,     /* mov $task_exit, %eax */
        0x31, 0xff,                         /* xor %edi, %edi */
        0x0f, 0x05,                         /* syscall */
        0x0f, 0x0b,                         /* ud2 */
    };
    const unsigned code_at = 64 + 56;
    size_t len = code_at + sizeof code;
    if (size > len)
        len = size;
    memset(buf, 0, code_at);
    memcpy(buf, "\x7f" "ELF\x02\x01\x01", 7);
    put(buf + 16, 2, 2);                    /* ET_EXEC */
    put(buf + 18, 62, 2);                   /* EM_X86_64 */
    put(buf + 20, 1, 4);
    put(buf + 24, V_PROGRAM_BASE + code_at, 8);
    put(buf + 32, 64, 8);                   /* e_phoff */
    put(buf + 52, 64, 2);
    put(buf + 54, 56, 2);
    put(buf + 56, 1, 2);                    /* one program header */
    uint8_t *ph = buf + 64;
    put(ph, 1, 4);                          /* PT_LOAD */
    put(ph + 4, 5, 4);                      /* R|X */
    put(ph + 16, V_PROGRAM_BASE, 8);
    put(ph + 24, V_PROGRAM_BASE, 8);
    put(ph + 32, len, 8);
    put(ph + 40, len, 8);
    put(ph + 48, 4096, 8);
    memcpy(buf + code_at, code, sizeof code);
    for (size_t i = code_at + sizeof code; i < len; i++)
        buf[i] = (uint8_t)(i * 131 + 7);
    return len;
}

static size_t make_tiny(void) { return make_elf(tiny, 0); }

/* Retype, load, start and reap a Task: rt_spawn of the ELF (its own
 * Reticle, Task, table, address space, pages, Bundle), a wait for its
 * exit on the supervisor bit, its exit status, and deleting its Reticle.
 * The child's Reticle is what it uses, rounded up to 16 KiB, found by a
 * first spawn into 1 MiB: the kernel zeroes a whole Reticle when it is
 * retyped, so the figure grows with the size chosen (bench/README.md). */
static void bench_spawn_n(const char *name, const void *elf, size_t len, unsigned stack_pages,
                          size_t n, const struct rt_image *image)
{
    struct rt_spawn_args a = {
        .elf = elf, .elf_len = len, .name = "spawned", .reticle = R, .image = image,
        .memory = (1 << 20) + ((len + 4095) & ~4095ull),
        .prio = prio, .stack_pages = stack_pages, .fault_signal = SIGF, .arg = P_EXIT,
    };
    struct rt_child c;
    struct v_taskinfo info;
    struct v_capinfo ci;
    int e = rt_spawn(&a, &c);
    if (e)
        fail("%s: rt_spawn: %s", name, rt_errname(e));
    wait_child(&c, &info);
    CHECK(v_cap_info(c.reticle, (uint64_t)&ci));
    uint64_t used = ci.size - ci.free;
    a.memory = (used + 16383) & ~16383ull;
    destroy(&c);
    struct elf_image img;
    uint64_t loaded = 0;
    if (elf_parse(elf, len, V_PROGRAM_BASE, V_STACK_TOP, &img) == ELF_OK)
        for (unsigned k = 0; k < img.nseg; k++)
            loaded += img.seg[k].memsz;
    printf("kbench: %s: an ELF of %llu bytes to load, %u stack pages; the child uses %llu KiB "
           "of a %llu KiB Reticle\n", name, (unsigned long long)loaded,
           stack_pages ? stack_pages : 8,
           (unsigned long long)used >> 10, (unsigned long long)a.memory >> 10);
    for (size_t i = 0; i < n + warm(n); i++) {
        uint64_t t0 = kb_tsc();
        e = rt_spawn(&a, &c);
        if (e)
            fail("%s: rt_spawn: %s", name, rt_errname(e));
        v_signal_wait(BIT(KB_BIT_FAULT), NEVER);
        v_task_info(c.task, (uint64_t)&info);
        rt_child_destroy(&c);
        uint64_t t1 = kb_tsc();
        if (info.state != V_TASK_DEAD || info.exit_code != 0)
            fail("%s: child state %u status %lld", name, info.state, (long long)info.exit_code);
        if (i >= warm(n))
            s[i - warm(n)] = net(t0, t1);
    }
    report(name, n);
}

static void bench_spawn(const char *name, const void *elf, size_t len, unsigned stack_pages)
{
    bench_spawn_n(name, elf, len, stack_pages, n_spawn, 0);
}

/* Spawn of a program padded to `size` bytes (one read-only segment, one
 * stack page), built in a frame of our own, and its cost per KiB of
 * program: from an image prepared once (rt_image_prepare, its segment
 * shared by every child), or, with copy, copied into each child. */
#define PAD_VA 0x60000000ull
static void bench_spawn_sized(const char *name, size_t size, size_t n, bool copy)
{
    if (only)
        n = n_spawn;
    v_handle f = (v_handle)CHECK(v_retype(R, V_TYPE_FRAME, (size + 4095) / 4096, V_SLOT_ANY));
    CHECK(v_as_map(AS, f, PAD_VA, V_R_READ | V_R_WRITE));
    size_t len = make_elf((uint8_t *)PAD_VA, size);
    struct rt_image im = {0};
    if (!copy) {
        int e = rt_image_prepare(R, (const void *)PAD_VA, len, &im);
        if (e)
            fail("%s: rt_image_prepare: %s", name, rt_errname(e));
        if (im.nframe != 1)
            fail("%s: %u frames prepared, expected 1", name, im.nframe);
    }
    bench_spawn_n(name, (const void *)PAD_VA, len, 1, n, copy ? 0 : &im);
    if (!copy && rt_image_release(&im))
        fail("%s: rt_image_release", name);
    if (!only) {                            /* s[] is sorted now */
        char per[64];
        snprintf(per, sizeof per, "%s_per_kib", name);
        uint64_t kib = len / 1024;
        printf("bench %s unit=insn/KiB median=%llu p99=%llu min=%llu n=%llu\n", per,
               (unsigned long long)(s[n / 2] / kib), (unsigned long long)(s[p99_rank(n) - 1] / kib),
               (unsigned long long)(s[0] / kib), (unsigned long long)n);
    }
    CHECK(v_as_unmap(f));
    CHECK(v_cap_delete(f));
}
static void bench_spawn_4k(void) { bench_spawn_sized("spawn_4k", 4096, 2000, false); }
static void bench_spawn_1m(void) { bench_spawn_sized("spawn_1m", 1 << 20, 200, false); }
static void bench_spawn_8m(void) { bench_spawn_sized("spawn_8m", 8 << 20, 200, false); }
static void bench_spawn_8m_copy(void) { bench_spawn_sized("spawn_8m_copy", 8 << 20, 40, true); }

static void bench_stream_inplace(void) { bench_stream(false); }
static void bench_stream_copy(void) { bench_stream(true); }
static void bench_spawn_peer(void) { bench_spawn("spawn", peer_elf, peer_len, 0); }
static void bench_spawn_peer_image(void)
{
    struct rt_image im;
    int e = rt_image_prepare(R, peer_elf, peer_len, &im);
    if (e)
        fail("spawn_image: rt_image_prepare: %s", rt_errname(e));
    bench_spawn_n("spawn_image", peer_elf, peer_len, 0, n_spawn, &im);
    if (rt_image_release(&im))
        fail("spawn_image: rt_image_release");
}
static void bench_spawn_tiny(void) { bench_spawn("spawn_tiny", tiny, make_tiny(), 1); }

/* batch: N null calls (clock, as null_syscall) in one trap, per call. */
static struct v_batch_call batch_q[64];
static struct v_batch_result batch_r[64];

static void bench_batch_n(const char *name, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        batch_q[i] = (struct v_batch_call){.sysno = V_SYS_clock};
    for (size_t i = 0; i < warm(n_syscall / 8); i++)
        v_batch((uint64_t)batch_q, n, (uint64_t)batch_r);
    for (size_t i = 0; i < n_syscall / 8; i++) {
        uint64_t t0 = kb_tsc();
        v_batch((uint64_t)batch_q, n, (uint64_t)batch_r);
        uint64_t t1 = kb_tsc();
        s[i] = net(t0, t1) / n;
    }
    report(name, n_syscall / 8);
}
static void bench_batch_1(void) { bench_batch_n("batch_1", 1); }
static void bench_batch_8(void) { bench_batch_n("batch_8", 8); }
static void bench_batch_64(void) { bench_batch_n("batch_64", 64); }

/* Revocation of a derivation chain of `len` copies of a frame capability,
 * per node: it must not grow with the chain (it grew as 2 d before the
 * top-down walk). The chain is built as a Task builds one, each link
 * moved out into a table as soon as its child exists. */
static void bench_revoke_n(const char *name, unsigned len, size_t samples)
{
    v_handle tab = (v_handle)CHECK(v_retype(R, V_TYPE_CAPTABLE, V_CAPTABLE_MAX_BITS, V_SLOT_ANY));
    v_handle tab2 = 0;
    if (len > 4000)
        tab2 = (v_handle)CHECK(v_retype(R, V_TYPE_RETICLE, 32ull << 20, V_SLOT_ANY));
    for (size_t k = 0; k < samples + 1; k++) {
        v_handle root = (v_handle)CHECK(v_retype(R, V_TYPE_FRAME, 0, V_SLOT_ANY)), prev = root;
        v_handle cur = tab, extra[64];
        unsigned nextra = 0;
        for (unsigned i = 0; i < len; i++) {
            v_handle h = (v_handle)CHECK(v_cap_copy(prev, V_SLOT_ANY));
            if (prev != root) {
                struct v_ret r = v_cap_grant(cur, prev, V_SLOT_ANY, V_MOVE);
                if (r.err == V_EFULL) {     /* more tables, from the big Reticle */
                    cur = extra[nextra++] = (v_handle)CHECK(
                        v_retype(tab2, V_TYPE_CAPTABLE, V_CAPTABLE_MAX_BITS, V_SLOT_ANY));
                    r = v_cap_grant(cur, prev, V_SLOT_ANY, V_MOVE);
                }
                CHECK(r);
            }
            prev = h;
        }
        uint64_t t0 = kb_tsc();
        CHECK(v_cap_revoke(root));
        uint64_t t1 = kb_tsc();
        if (k)                                  /* the first builds the tables' caches */
            s[k - 1] = net(t0, t1) / len;
        CHECK(v_cap_delete(root));
        for (unsigned i = 0; i < nextra; i++)
            CHECK(v_cap_delete(extra[i]));
    }
    if (tab2)
        CHECK(v_cap_delete(tab2));
    CHECK(v_cap_delete(tab));
    report(name, samples);
}
static void bench_revoke_10(void) { bench_revoke_n("revoke_10_per_node", 10, 200); }
static void bench_revoke_1k(void) { bench_revoke_n("revoke_1k_per_node", 1000, 20); }
static void bench_revoke_100k(void) { bench_revoke_n("revoke_100k_per_node", 100000, 3); }

/* user/services/timerd (boot module "timerd.elf") with `others` sleeps pending on
 * other connections (8 a connection, Timer_maxPending): one sample is a
 * sleep(1 day) request sent on a fresh connection and a now() call after
 * it, until now()'s reply is back: the sleep's insertion into timerd's
 * queue plus a now() round trip. The connection is replaced between
 * samples (untimed), so the count pending is exactly others + 1. */
static const void *module(const char *name, size_t *len)
{
    const struct v_bootinfo *b = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    for (unsigned i = 0; i < b->nmodules; i++)
        if (!strcmp(b->module[i].name, name)) {
            *len = b->module[i].size;
            return (const void *)b->module[i].vaddr;
        }
    fail("no boot module %s", name);
    return 0;
}

static void timer_now(struct ipc_conn *c, const char *name)
{
    static struct ipc_msg reply;
    int e = ipc_call(c, Timer_method_now, 0, 0, 0, 0, &reply, NEVER);
    if (e || reply.hdr.kind != (Timer_method_now | IPC_REPLY))
        fail("%s: now(): %s", name, ipc_strerror(e));
}

static void bench_timer(const char *name, unsigned others)
{
    static struct ipc_conn bg[IPC_MAX_CONNS - 1], cn;
    size_t len;
    const void *elf = module("timerd.elf", &len);
    struct service sv;
    service_start(&sv, "timerd", elf, len);
    uint8_t sleep_req[64];
    struct capnp_builder b;
    capnp_builder_init(&b, sleep_req, sizeof sleep_req);
    Timer_sleep_Params_set_us(Timer_sleep_Params_build_root(&b), Timer_maxSleepUs);
    size_t req_len;
    capnp_builder_bytes(&b, &req_len);
    unsigned nbg = (others + Timer_maxPending - 1) / Timer_maxPending;
    if (nbg >= IPC_MAX_CONNS)
        fail("%s: too many sleepers", name);
    for (unsigned k = 0; k < nbg; k++)
        service_connect(&sv, &bg[k], name);
    for (unsigned k = 0; k < others; k++)
        if (ipc_send(&bg[k / Timer_maxPending], Timer_method_sleep, k, sleep_req,
                     (uint32_t)req_len, 0, 0, NEVER))
            fail("%s: sleep %u", name, k);
    for (unsigned k = 0; k < nbg; k++)
        timer_now(&bg[k], name);            /* every sleep is queued */
    size_t n = n_spawn / 2;
    for (size_t i = 0; i < warm(n) + n; i++) {
        service_connect(&sv, &cn, name);
        timer_now(&cn, name);               /* the previous connection's close is handled */
        uint64_t t0 = kb_tsc();
        int e = ipc_send(&cn, Timer_method_sleep, 1000 + i, sleep_req, (uint32_t)req_len, 0, 0,
                         NEVER);
        timer_now(&cn, name);
        uint64_t t1 = kb_tsc();
        if (e)
            fail("%s: sleep: %s", name, ipc_strerror(e));
        ipc_detach(&cn);
        if (i >= warm(n))
            s[i - warm(n)] = net(t0, t1);
    }
    report(name, n);
    service_stop(&sv, bg, nbg);
}
static void bench_timer_1(void) { bench_timer("timer_sleep_1", 0); }
static void bench_timer_64(void) { bench_timer("timer_sleep_64", 63); }

/* user/drivers/serial (boot module "serial.elf") moving bytes to the UART: a
 * stream of Console.write requests of CONSOLE_CHUNK bytes each. Once two
 * are queued (its buffer holds 8 KiB) a write is answered only when as
 * many bytes have gone out, so in the steady state one sample, a write
 * until its reply, is CONSOLE_CHUNK bytes transmitted (interrupts, FIFO
 * fills) and as many queued. The bytes are dots and a newline, on the
 * console. Afterwards we sleep until the last ones have gone, so no bench
 * line is interleaved with them. */
#define CONSOLE_CHUNK 4000
static void bench_console(void)
{
    size_t len;
    const void *elf = module("serial.elf", &len);
    struct ring2 acc = new_ring(4, 6);
    struct rt_bundle_item it[] = {
        {"listen", acc.rx, true},
        {"ioports", (v_handle)CHECK(v_cap_copy(rt_cap("ioports"), V_SLOT_ANY)), true},
        {"irq", (v_handle)CHECK(v_cap_copy(rt_cap("irq"), V_SLOT_ANY)), true},
    };
    struct service sv = {.acc = acc};
    struct rt_spawn_args a = {
        .elf = elf, .elf_len = len, .name = "serial", .reticle = R, .memory = 512 * 1024,
        .prio = prio, .fault_signal = SIGF, .items = it, .nitems = 3, .table_bits = 7,
    };
    int e = rt_spawn(&a, &sv.c);
    if (e)
        fail("spawning serial: %s", rt_errname(e));
    static uint8_t text[CONSOLE_CHUNK], req[CONSOLE_CHUNK + 64];
    static struct ipc_msg reply;
    memset(text, '.', sizeof text);
    text[sizeof text - 1] = '\n';
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Console_write_Params_set_bytes(Console_write_Params_build_root(&b), text, sizeof text);
    size_t req_len;
    capnp_builder_bytes(&b, &req_len);
    struct ipc_conn cn;
    service_connect(&sv, &cn, "console_write");
    size_t n = only ? n_spawn : 20;
    for (size_t i = 0; i < 3 + n; i++) {
        uint64_t t0 = kb_tsc();
        e = ipc_call(&cn, Console_method_write, req, (uint32_t)req_len, 0, 0, &reply, NEVER);
        uint64_t t1 = kb_tsc();
        if (e || reply.hdr.kind != (Console_method_write | IPC_REPLY))
            fail("console_write: %s", ipc_strerror(e));
        if (i >= 3)
            s[i - 3] = net(t0, t1) * 1000 / CONSOLE_CHUNK;
    }
    rt_sleep_us(200000);       /* the last 8 KiB go out */
    service_stop(&sv, &cn, 1);
    rt_sleep_us(10000);
    if (only) {
        report("console_write_per_kb", n);
        return;
    }
    qsort(s, n, sizeof *s, cmp_u64);
    printf("bench console_write_per_byte unit=insn/byte median=%llu.%03llu p99=%llu.%03llu "
           "min=%llu.%03llu n=%llu\n",
           (unsigned long long)(s[n / 2] / 1000), (unsigned long long)(s[n / 2] % 1000),
           (unsigned long long)(s[p99_rank(n) - 1] / 1000),
           (unsigned long long)(s[p99_rank(n) - 1] % 1000), (unsigned long long)(s[0] / 1000),
           (unsigned long long)(s[0] % 1000), (unsigned long long)n);
}

/* A copy into the lowest free slot of a table holding `occupied`
 * capabilities, just after a low slot was freed and refilled: the case a
 * search from a remembered lowest index pays for in full. The table has
 * 4096 slots, more than kbench's own, so the copy is cap_grant's into it
 * (the same V_SLOT_ANY search as cap_copy's). Slot 1 holds a copy of
 * `low`, slots 2..occupied copies of `fill`; each sample frees slot 1
 * and refills it (untimed), then times one copy of `top` into the lowest
 * free slot, occupied + 1, and revokes it. */
static void bench_cap_copy_n(const char *name, unsigned occupied)
{
    v_handle tab = (v_handle)CHECK(v_retype(R, V_TYPE_CAPTABLE, V_CAPTABLE_MAX_BITS, V_SLOT_ANY));
    v_handle low = (v_handle)CHECK(v_retype(R, V_TYPE_FRAME, 0, V_SLOT_ANY));
    v_handle fill = (v_handle)CHECK(v_retype(R, V_TYPE_FRAME, 0, V_SLOT_ANY));
    v_handle top = (v_handle)CHECK(v_retype(R, V_TYPE_FRAME, 0, V_SLOT_ANY));
    CHECK(v_cap_grant(tab, low, 1, 0));
    for (unsigned i = 2; i <= occupied; i++)
        CHECK(v_cap_grant(tab, fill, V_SLOT_ANY, 0));
    size_t n = n_echo;
    for (size_t i = 0; i < warm(n) + n; i++) {
        CHECK(v_cap_revoke(low));
        CHECK(v_cap_grant(tab, low, V_SLOT_ANY, 0));
        uint64_t t0 = kb_tsc();
        struct v_ret r = v_cap_grant(tab, top, V_SLOT_ANY, 0);
        uint64_t t1 = kb_tsc();
        CHECK(r);
        if (V_HANDLE_SLOT(r.val) != occupied + 1)
            fail("%s: the copy went to slot %u, not %u", name, (unsigned)V_HANDLE_SLOT(r.val),
                 occupied + 1);
        CHECK(v_cap_revoke(top));
        if (i >= warm(n))
            s[i - warm(n)] = net(t0, t1);
    }
    CHECK(v_cap_delete(low));
    CHECK(v_cap_delete(fill));
    CHECK(v_cap_delete(top));
    CHECK(v_cap_delete(tab));
    report(name, n);
}
static void bench_cap_copy_16(void) { bench_cap_copy_n("cap_copy_16", 16); }
static void bench_cap_copy_4000(void) { bench_cap_copy_n("cap_copy_4000", 4000); }

static const struct v_bootinfo *bootinfo(void)
{
    const struct v_bootinfo *b = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    return b->magic == (V_BUNDLE_MAGIC ^ 1) ? b : 0;
}

int main(void)
{
    uint64_t t_main = kb_tsc();
    const struct v_bootinfo *bi = bootinfo();
    if (!bi || bi->nmodules < 2)
        fail("needs kbpeer as boot module 1");
    peer_elf = (const void *)bi->module[1].vaddr;
    if (bi->nmodules < 3)
        fail("needs kbipc as boot module 2");
    ipc_elf = (const void *)bi->module[2].vaddr;
    ipc_len = bi->module[2].size;
    peer_len = bi->module[1].size;
    if (peer_len < 32)
        fail("boot module 1 is not an ELF file");
    memcpy(&peer_entry, (const uint8_t *)peer_elf + 24, 8);
    const char *cmd = bi->cmdline;
    size_t n_profile = 0;
    for (const char *w = cmd; *w; w++) {
        if (w != cmd && w[-1] != ' ')
            continue;
        if (!strncmp(w, "profile=", 8))
            only = w + 8;
        else if (!strncmp(w, "n=", 2))
            n_profile = strtoul(w + 2, 0, 10);
    }
    if (only) {
        if (n_profile == 0 || n_profile > N_MAX)
            fail("profile needs n=1..%d", N_MAX);
        n_syscall = n_pingpong = n_fault = n_spawn = n_frames = n_echo = n_stream = n_profile;
        stream_block = 256;
        n_overhead = 100;
    }

    /* the samples live on the heap, not in .bss: the kernel loads the root
     * Task's pages before boot_to_init ends, so a big .bss would count */
    size_t ns = only ? (n_profile > n_overhead ? n_profile : n_overhead) : N_MAX;
    s = malloc(2 * ns * sizeof *s);
    if (!s)
        fail("no memory for samples");
    SELF = rt_cap("self");
    AS = rt_cap("aspace");
    struct v_taskinfo self;
    CHECK(v_task_info(SELF, (uint64_t)&self));
    prio = self.prio;
    SIGF = signal_to_self(KB_BIT_FAULT);
    /* (retype zeroes a whole Reticle: a smaller one keeps profile traces short) */
    R = (v_handle)CHECK(v_retype(rt_cap("reticle0"), V_TYPE_RETICLE, (only ? 2ull : 64ull) << 20,
                                 V_SLOT_ANY));
    shared_frame = (v_handle)CHECK(v_retype(R, V_TYPE_FRAME, 0, V_SLOT_ANY));
    CHECK(v_as_map(AS, shared_frame, SHARED_VA, V_R_READ | V_R_WRITE));
    shared = (struct kb_shared *)SHARED_VA;

    printf("kbench: Vectra primitives in guest instructions (TCG icount); prio %u\n", prio);
    struct v_capinfo ri0;
    CHECK(v_cap_info(R, (uint64_t)&ri0));
    uint64_t free0 = ri0.free;
    bench_overhead();
    bench_boot(bi, t_main);
    static const struct {
        const char *name;
        void (*fn)(void);
    } figures[] = {
        {"null_syscall", bench_syscall},
        {"null_syscall_enosys", bench_enosys},
        {"signal_wake_rtt", bench_signal},
        {"ring_rtt", bench_ring_rtt},
        {"ring_rtt_notify", bench_ring_rtt_notify},
        {"cap_transfer", bench_cap_transfer},
        {"ring_stream", bench_stream_inplace},
        {"ring_stream_copy", bench_stream_copy},
        {"ring_stream_64k", bench_frames},
        {"ring_stream_64k_pages", bench_frame_pages},
        {"fault_to_supervisor", bench_fault},
        /* before irq_wake: both bind the UART's line 4, and irq_wake's
         * binding lasts as long as kbench holds its IRQ capability (for
         * good), while the serial driver's ends with it; run after
         * irq_wake, the serial driver's bind was V_EBUSY, it exited, and
         * the figure waited for it for ever */
        {"console_write_per_byte", bench_console},
        {"irq_wake", bench_irq_wake},
        {"spawn", bench_spawn_peer},
        {"spawn_image", bench_spawn_peer_image},
        {"spawn_tiny", bench_spawn_tiny},
        {"spawn_4k", bench_spawn_4k},
        {"spawn_1m", bench_spawn_1m},
        {"spawn_8m", bench_spawn_8m},
        {"spawn_8m_copy", bench_spawn_8m_copy},
        {"ring_echo_1k", bench_ring_echo_1k},
        {"ring_echo_4k", bench_ring_echo_4k},
        {"ipc_rtt", bench_ipc_1},
        {"ipc_rtt_32", bench_ipc_32},
        {"batch_1", bench_batch_1},
        {"batch_8", bench_batch_8},
        {"batch_64", bench_batch_64},
        {"revoke_10_per_node", bench_revoke_10},
        {"revoke_1k_per_node", bench_revoke_1k},
        {"revoke_100k_per_node", bench_revoke_100k},
        {"timer_sleep_1", bench_timer_1},
        {"timer_sleep_64", bench_timer_64},
        {"cap_copy_16", bench_cap_copy_16},
        {"cap_copy_4000", bench_cap_copy_4000},
    };
    bool ran = false;
    for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++) {
        size_t len = strlen(figures[i].name);
        if (only && (strncmp(only, figures[i].name, len) || (only[len] && only[len] != ' ')))
            continue;
        figures[i].fn();
        ran = true;
    }
    if (!ran)
        fail("no figure named by profile=");

    struct v_capinfo ri;
    CHECK(v_cap_info(R, (uint64_t)&ri));
    if (ri.free != free0)
        fail("%lld bytes of the bench Reticle were not returned",
             (long long)(free0 - ri.free));
    printf("kbench: done\n");
    return 0;
}
