/*
 * randomd: the entropy service (schema/random.capnp) around lib/random's
 * pool: it gathers the sources, and answers get and status.
 *
 * Sources, each registered with the pool under its own name:
 *   cpu     RDSEED, else RDRAND (CPUID.7.0:EBX[18], CPUID.1:ECX[30]): one
 *           source, not two, since both come from the same circuit. An
 *           RDSEED value is claimed at 64 bits, an RDRAND value at 32
 *           (it is a DRBG's output, reseeded by the circuit, not raw
 *           entropy). Absent on a CPU without either (QEMU's qemu64).
 *   jitter  the cycle counter read at each timer interrupt's wakeup: the
 *           sample is the delta since the previous wakeup, claimed at 1 bit
 *           when it differs from the delta before (the pool already gives
 *           0 to an identical sample). Crude on purpose; it is why high
 *           asks for two sources (docs/DECISIONS.md, "Randomness").
 * Sources that plug in later (not in this file yet), each one more
 * rnd_add_source:
 *   rng     virtio-rng through its driver's Ring (schema/rng.capnp): a
 *           connection "rng"/"rng.rx" in the Bundle; randomd asks for 32
 *           bytes at each tick until high, then every second, and claims
 *           8 bits a byte, capped at 256 a sample. Independent of cpu.
 *   seed    the seed file (docs/KEYS.md, "Randomness"): the store hands
 *           64 bytes written at the previous boot, read and replaced before
 *           use so it is never used twice, claimed at 256 bits if the store
 *           says the file is fresh, else at 0 (mixed, not counted).
 *
 * Gathering: every TICK_US until high is reached, then every IDLE_US.
 * Requests: get at a level the pool has reached is answered at once; one
 * that may wait (waitUs > 0) is held, at most Random_maxHeld a connection,
 * and answered at the first tick the level is reached, or with its
 * refusal and reason at its deadline. Bad payloads get IPC_ERROR.
 */
#include <string.h>

#include "ipc.h"
#include "logc.h"
#include "random/random.h"
#include "rt.h"
#include "schema/random.capnp.h"

#define TIMER_BIT RT_SIG_TIMER
#define TICK_US 1000ull
#define IDLE_US 1000000ull
#define MAX_HELD (IPC_MAX_CONNS * Random_maxHeld)

static struct rnd_pool pool;
static int src_cpu = -1, src_jitter = -1;
static bool has_rdseed, has_rdrand;
static uint64_t last_tsc, last_delta;
static struct ipc_server srv;

static struct held {
    struct ipc_conn *conn;      /* 0: free */
    uint64_t id, deadline;
    enum rnd_level level;
    uint32_t n;
} held[MAX_HELD];

static uint64_t now_us(void) { return v_clock().val; }

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* One value; false when the circuit had none ready (CF = 0) ten times. */
static bool hw_value(bool seed, uint64_t *v)
{
    for (int i = 0; i < 10; i++) {
        uint8_t ok;
        if (seed)
            __asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
        else
            __asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
        if (ok)
            return true;
    }
    return false;
}

static void gather(void)
{
    uint64_t t = rdtsc(), d = t - last_tsc;
    rnd_push(&pool, src_jitter, &d, sizeof d, d != last_delta, 0);
    last_tsc = t;
    last_delta = d;
    uint64_t v;
    if (src_cpu >= 0 && hw_value(has_rdseed, &v))
        rnd_push(&pool, src_cpu, &v, sizeof v, has_rdseed ? 64 : 32, 0);
}

static bool reached(enum rnd_level l)
{
    return l == RND_SLOPPY || (l == RND_STANDARD && pool.seeded) || (l == RND_HIGH && pool.high);
}

static void reply_get(struct ipc_conn *c, uint64_t id, enum Random_Status st, enum rnd_level l,
                      uint32_t n)
{
    static uint8_t buf[Random_maxBytes + 512];
    uint8_t bytes[Random_maxBytes];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Random_get_Results_B r = Random_get_Results_build_root(&b);
    if (st == Random_Status_ok && rnd_read(&pool, l, bytes, n) == RND_OK) {
        Random_get_Results_set_bytes(r, bytes, n);
        memset(bytes, 0, n);
    } else if (st == Random_Status_ok) {
        st = l == RND_HIGH ? Random_Status_highWaiting : Random_Status_unseeded;
    }
    Random_get_Results_set_status(r, st);
    if (st == Random_Status_unseeded || st == Random_Status_highWaiting) {
        char why[200];
        size_t k = rnd_why(&pool, l, why, sizeof why);
        Random_get_Results_set_why(r, why, k);
    }
    ipc_reply_built(c, Random_method_get, id, &b);
}

static void do_get(struct ipc_conn *c, const struct ipc_msg *m)
{
    struct capnp_msg msg;
    if (ipc_request_open(&msg, m)) {
        ipc_reply_error(c, m->hdr.id);
        return;
    }
    Random_get_Params_R p = Random_get_Params_read_root(&msg);
    uint32_t lv = (uint32_t)Random_get_Params_level(p), n = Random_get_Params_n(p);
    uint64_t wait = Random_get_Params_waitUs(p);
    if (capnp_msg_error(&msg)) {
        ipc_reply_error(c, m->hdr.id);
        return;
    }
    if (lv > RND_HIGH || n == 0 || n > Random_maxBytes || wait > Random_maxWaitUs) {
        reply_get(c, m->hdr.id, Random_Status_badRequest, RND_SLOPPY, 0);
        return;
    }
    enum rnd_level l = (enum rnd_level)lv;
    if (reached(l) || wait == 0) {
        reply_get(c, m->hdr.id, Random_Status_ok, l, n);
        return;
    }
    unsigned mine = 0, free_slot = MAX_HELD;
    for (unsigned i = 0; i < MAX_HELD; i++) {
        if (held[i].conn == c)
            mine++;
        else if (!held[i].conn && free_slot == MAX_HELD)
            free_slot = i;
    }
    if (mine >= Random_maxHeld || free_slot == MAX_HELD) {
        reply_get(c, m->hdr.id, Random_Status_busy, l, 0);
        return;
    }
    held[free_slot] = (struct held){c, m->hdr.id, now_us() + wait, l, n};
}

static void do_status(struct ipc_conn *c, const struct ipc_msg *m)
{
    static uint8_t buf[2048];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Random_status_Results_B r = Random_status_Results_build_root(&b);
    Random_status_Results_set_seeded(r, pool.seeded);
    Random_status_Results_set_high(r, pool.high);
    Random_status_Results_set_committed(r, rnd_committed_bits(&pool));
    Random_status_Results_set_highBits(r, rnd_high_bits(&pool));
    Random_Source_BList l = Random_status_Results_init_sources(r, pool.nsources);
    for (unsigned i = 0; i < pool.nsources; i++) {
        const struct rnd_source *s = &pool.src[i];
        Random_Source_B e = Random_Source_BList_get(l, i);
        Random_Source_set_name(e, s->name, strlen(s->name));
        Random_Source_set_committed(e, s->committed);
        Random_Source_set_pending(e, s->pending);
        Random_Source_set_samples(e, s->samples);
        Random_Source_set_repeats(e, s->repeats);
    }
    char why[200];
    size_t k = rnd_why(&pool, RND_HIGH, why, sizeof why);
    Random_status_Results_set_why(r, why, k);
    ipc_reply_built(c, Random_method_status, m->hdr.id, &b);
}

/* Held requests whose level came, or whose time ran out. */
static void serve_held(void)
{
    uint64_t now = now_us();
    for (unsigned i = 0; i < MAX_HELD; i++) {
        struct held h = held[i];
        if (h.conn && (reached(h.level) || h.deadline <= now)) {
            held[i].conn = 0;
            reply_get(h.conn, h.id, Random_Status_ok, h.level, h.n);
        }
    }
}

static void on_bits(struct ipc_server *s, uint64_t bits)
{
    (void)s;
    if (!(bits & 1ull << TIMER_BIT))
        return;
    bool was_seeded = pool.seeded, was_high = pool.high;
    gather();
    if (pool.seeded && !was_seeded)
        rt_log(RT_LOG_INFO, "random: seeded (standard), %llu bits committed",
               (unsigned long long)rnd_committed_bits(&pool));
    if (pool.high && !was_high)
        rt_log(RT_LOG_INFO, "random: high reached, %llu bits counted",
               (unsigned long long)rnd_high_bits(&pool));
    serve_held();
    v_timer_set(TIMER_BIT, pool.high ? IDLE_US : TICK_US);
}

static void on_close(struct ipc_server *s, struct ipc_conn *c)
{
    (void)s;
    for (unsigned i = 0; i < MAX_HELD; i++)
        if (held[i].conn == c)
            held[i].conn = 0;
}

static const struct ipc_method methods[] = {
    {Random_method_get, do_get, 0},
    {Random_method_status, do_status, 0},
    {0, 0, 0},
};

int main(void)
{
    v_handle listen = rt_cap("listen");
    if (!listen || ipc_server_init(&srv, listen))
        return 2;
    uint32_t r[4];
    cpuid(0, 0, r);
    uint32_t max_leaf = r[0];
    cpuid(1, 0, r);
    has_rdrand = r[2] >> 30 & 1;
    if (max_leaf >= 7) {
        cpuid(7, 0, r);
        has_rdseed = r[1] >> 18 & 1;
    }
    /* Public, per boot: keys sloppy until the pool is seeded. */
    uint64_t pub[2] = {rdtsc(), now_us()};
    rnd_init(&pool, pub, sizeof pub);
    if (has_rdrand || has_rdseed)
        src_cpu = rnd_add_source(&pool, "cpu", 64);
    src_jitter = rnd_add_source(&pool, "jitter", 1);
    last_tsc = rdtsc();
    srv.on_bits = on_bits;
    srv.on_close = on_close;
    srv.extra_bits = 1ull << TIMER_BIT;
    v_timer_set(TIMER_BIT, TICK_US);
    rt_log(RT_LOG_INFO, "random service started: rdrand %d rdseed %d", has_rdrand, has_rdseed);
    ipc_serve_methods(&srv, methods, V_TIMEOUT_NEVER);
    return 0;
}
