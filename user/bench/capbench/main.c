/*
 * capbench: the capsule figures of `make bench` (bench/README.md), as a
 * service of the capbench image: init started with the kernel
 * command-line word "capbench", the bench manifest (sys/capbench.json),
 * policy.bin and two versions of "bench", a 64 KiB capsule (capdemo
 * serving, and a data blob that pads it to 65 536 bytes). capbench holds
 * a connection to init's Supervisor interface ("init"), the send end of
 * an accept Ring into every instance of the bench service ("svc:bench"),
 * memory for the Rings of its connections and the kernel console. It
 * drives init exactly as the shell's capsule commands do and prints
 *
 *     bench <name> unit=insn median=<n> p99=<n> min=<n> n=<samples>
 *
 * Under QEMU TCG with -icount shift=0,align=off,sleep=off the TSC advances
 * by one per guest instruction, and one TSC serves every Task, so a TSC
 * delta read here is an instruction count of everything that ran in
 * between: capbench, init, the kernel and the bench service. Samples are
 * taken like kbench's: lfence; rdtsc; lfence, the empty measurement
 * subtracted, a warm-up of a tenth first (at least one), the median
 * s[n/2], p99 the nearest rank. Figures (what init does in each is in
 * bench/README.md):
 *
 *   capsule_verify_activate           capsuleStart of the stopped service:
 *       from the request until init's answer. init verifies the version
 *       again from its module's bytes (the boot's verify_one) and starts
 *       its entry blob (svc_start); at the answer the new Task is
 *       runnable and has not yet run (capbench runs above it).
 *   capsule_verify_activate_answered  the same, until the new instance has
 *       answered a first request on a new connection.
 *   capsule_verify                    init's own rdtsc around verify_one,
 *       from the answer's text ("verified again in N cycles").
 *   capsule_rollback                  after an upgrade 1.0.0 -> 1.0.1 that
 *       init confirmed (not timed): a rollback request, until 1.0.0 has
 *       answered a first request on a new connection.
 *   capsule_rollback_started          the same, until init's answer (1.0.0
 *       resumed, runnable, not yet run).
 *   capsule_rollback_switch           init's own rdtsc around the switch
 *       proper (destroy 1.0.1, resume the prepared 1.0.0), from the
 *       answer's cycles field.
 *
 * The sample count is the start argument (args[0] in the manifest). The
 * run ends with "capbench: done" and a Supervisor halt (QEMU exits 33
 * under the kernel's "test" word); "capbench: error: ..." and a halt
 * otherwise, so the bench never waits for a timeout.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "rt.h"
#include "schema/supervisor.capnp.h"

#define SERVICE "bench"
#define FIRST "1.0.0"
#define SECOND "1.0.1"
#define T_CALL 10000000ull      /* 10 s: an upgrade waits out its readiness window */
#define N_MAX 1000

static struct ipc_conn init;
static v_handle accept_tx, memory;
static uint64_t overhead;
static uint8_t out[IPC_PAYLOAD_MAX] __attribute__((aligned(8)));
static struct ipc_msg rep;
static struct capnp_msg msg;

static uint64_t tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t)hi << 32 | lo;
}

static uint64_t net(uint64_t t0, uint64_t t1)
{
    uint64_t d = t1 - t0;
    return d > overhead ? d - overhead : 0;
}

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...);
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("capbench: error: ");
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    ipc_call(&init, Supervisor_method_halt, 0, 0, 0, 0, &rep, T_CALL);
    rt_exit(1);
}

/* ---- samples and reports ---------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t p99_rank(size_t n) { return (n * 99 + 99) / 100; }   /* ceil(0.99 n) */

static void report(const char *name, uint64_t *s, size_t n)
{
    qsort(s, n, sizeof *s, cmp_u64);
    printf("bench %s unit=insn median=%llu p99=%llu min=%llu n=%llu\n", name,
           (unsigned long long)s[n / 2], (unsigned long long)s[p99_rank(n) - 1],
           (unsigned long long)s[0], (unsigned long long)n);
    fflush(stdout);
}

/* ---- the Supervisor ------------------------------------------------------ */

static const char *status_name(enum Supervisor_Status st)
{
    static const char *const names[] = {"ok", "not found", "wrong state", "denied", "failed"};
    return (unsigned)st < 5 ? names[st] : "unknown status";
}

/* Call init with the built params; the reply is in rep and msg. */
static void call(const char *what, uint16_t method, struct capnp_builder *b)
{
    size_t len;
    const uint8_t *bytes = capnp_builder_bytes(b, &len);
    int e = ipc_call(&init, method, bytes, (uint32_t)len, 0, 0, &rep, T_CALL);
    if (e)
        fail("%s: %s", what, ipc_strerror(e));
    if (rep.hdr.kind != (method | IPC_REPLY))
        fail("%s: init did not understand the request", what);
    capnp_msg_init_flat(&msg, rep.data, rep.hdr.len);
}

static void text_copy(char *dst, size_t n, struct capnp_text t)
{
    snprintf(dst, n, "%.*s", (int)(t.str ? t.len : 0), t.str ? t.str : "");
}

/* capsuleStart, capsuleStop and rollback: (status, message[, cycles]). */
static void by_name(const char *what, uint16_t method, char *text, size_t n, uint64_t *cycles)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_Named_set_name(Supervisor_Named_build_root(&b),
                                            SERVICE, strlen(SERVICE));
    call(what, method, &b);
    enum Supervisor_Status st;
    if (method == Supervisor_method_rollback) {
        Supervisor_rollback_Results_R r = Supervisor_rollback_Results_read_root(&msg);
        st = Supervisor_rollback_Results_status(r);
        text_copy(text, n, Supervisor_rollback_Results_message(r));
        *cycles = Supervisor_rollback_Results_cycles(r);
    } else {
        Supervisor_StatusReply_R r = Supervisor_StatusReply_read_root(&msg);
        st = Supervisor_StatusReply_status(r);
        text_copy(text, n, Supervisor_StatusReply_message(r));
    }
    if (capnp_msg_error(&msg) || st != Supervisor_Status_ok)
        fail("%s: %s: %s", what, status_name(st), text);
}

static void upgrade(const char *ver)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_upgrade_Params_B p = Supervisor_upgrade_Params_build_root(&b);
    Supervisor_upgrade_Params_set_name(p, SERVICE, strlen(SERVICE));
    Supervisor_upgrade_Params_set_version(p, ver, strlen(ver));
    call("upgrade", Supervisor_method_upgrade, &b);
    Supervisor_upgrade_Results_R r = Supervisor_upgrade_Results_read_root(&msg);
    enum Supervisor_Status st = Supervisor_upgrade_Results_status(r);
    char text[200];
    text_copy(text, sizeof text, Supervisor_upgrade_Results_message(r));
    if (capnp_msg_error(&msg) || st != Supervisor_Status_ok)
        fail("upgrade to %s: %s: %s", ver, status_name(st), text);
}

/* ---- the bench service ------------------------------------------------- */

/* Connect to whichever instance serves the bench service now (through
 * its accept Ring, which init keeps across instances), ask method 0 and
 * check that version `ver` answered. */
static void ask(const char *ver)
{
    v_handle client[2];
    int e = ipc_introduce(memory, accept_tx, "capbench", client);
    if (e)
        fail("connecting to the bench service: %s", ipc_strerror(e));
    struct ipc_conn c;
    if ((e = ipc_attach(&c, client[0], client[1])))
        fail("attaching to the bench service: %s", ipc_strerror(e));
    e = ipc_call(&c, 0, 0, 0, 0, 0, &rep, T_CALL);
    if (e)
        fail("asking the bench service: %s", ipc_strerror(e));
    char want[40];
    int n = snprintf(want, sizeof want, "capdemo %s ", ver);
    if (rep.hdr.kind != IPC_REPLY || rep.hdr.len < (uint32_t)n || memcmp(rep.data, want, (size_t)n))
        fail("the bench service answered %.*s, not %s", (int)rep.hdr.len, (const char *)rep.data,
             want);
    ipc_detach(&c);
}

/* ---- the figures ------------------------------------------------------- */

static uint64_t *sa, *sb, *sc;

static size_t warm(size_t n) { return n / 10 ? n / 10 : 1; }

static void verify_activate(size_t n)
{
    char text[200];
    uint64_t cycles;
    for (size_t i = 0; i < warm(n) + n; i++) {
        by_name("capsule stop", Supervisor_method_capsuleStop, text, sizeof text, &cycles);
        uint64_t t0 = tsc();
        by_name("capsule start", Supervisor_method_capsuleStart, text, sizeof text, &cycles);
        uint64_t t1 = tsc();
        ask(FIRST);
        uint64_t t2 = tsc();
        const char *v = strstr(text, "verified again in ");
        if (!v)
            fail("capsule start did not verify again (%s): is \"capbench\" on the kernel "
                 "command line?", text);
        if (i < warm(n))
            continue;
        sa[i - warm(n)] = net(t0, t1);
        sb[i - warm(n)] = net(t0, t2);
        sc[i - warm(n)] = strtoull(v + 18, 0, 10);
    }
    report("capsule_verify_activate", sa, n);
    report("capsule_verify_activate_answered", sb, n);
    report("capsule_verify", sc, n);
}

static void rollback(size_t n)
{
    char text[200];
    uint64_t cycles;
    for (size_t i = 0; i < warm(n) + n; i++) {
        upgrade(SECOND);
        ask(SECOND);
        uint64_t t0 = tsc();
        by_name("rollback", Supervisor_method_rollback, text, sizeof text, &cycles);
        uint64_t t1 = tsc();
        ask(FIRST);
        uint64_t t2 = tsc();
        if (i < warm(n))
            continue;
        sa[i - warm(n)] = net(t0, t2);
        sb[i - warm(n)] = net(t0, t1);
        sc[i - warm(n)] = cycles;
    }
    report("capsule_rollback", sa, n);
    report("capsule_rollback_started", sb, n);
    report("capsule_rollback_switch", sc, n);
}

int main(void)
{
    size_t n = (size_t)rt_arg();
    int e = ipc_open("init", &init);
    if (e) {
        printf("capbench: error: no connection to init: %s\n", ipc_strerror(e));
        return 1;
    }
    accept_tx = rt_cap("svc:bench");
    memory = rt_cap("memory");
    if (!accept_tx || !memory)
        fail("the manifest must grant svc:bench (introduce) and memory");
    if (n < 1 || n > N_MAX)
        fail("args[0]: %llu samples, not 1..%d", (unsigned long long)n, N_MAX);
    sa = malloc(3 * n * sizeof *sa);
    if (!sa)
        fail("no memory for %llu samples", (unsigned long long)n);
    sb = sa + n;
    sc = sb + n;
    uint64_t best = ~0ull;
    for (int i = 0; i < 1000; i++) {
        uint64_t t0 = tsc(), t1 = tsc();
        if (t1 - t0 < best)
            best = t1 - t0;
    }
    overhead = best;
    printf("capbench: %llu samples a figure after a warm-up of %llu; rdtsc overhead %llu\n",
           (unsigned long long)n, (unsigned long long)warm(n), (unsigned long long)overhead);
    fflush(stdout);
    ask(FIRST);
    verify_activate(n);
    rollback(n);
    printf("capbench: done\n");
    fflush(stdout);
    ipc_call(&init, Supervisor_method_halt, 0, 0, 0, 0, &rep, T_CALL);
    return 0;
}
