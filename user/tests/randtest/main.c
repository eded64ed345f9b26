/*
 * randtest: the root Task of the "random" image: starts randomd and
 * shows, through rt_random and the status method, what each level does
 * on the CPU QEMU was given (tests/scenarios/random_*.scn):
 *   - sloppy is answered at once, before seeding too;
 *   - standard, allowed to wait, is answered once the pool is seeded,
 *     and two reads differ;
 *   - high is refused with its reason unless two sources have each
 *     given 128 bits: with -cpu max (RDRAND/RDSEED) and jitter it is
 *     served; with -cpu qemu64 (no RDRAND) it waits, and says why;
 *   - a bad level, n = 0 or too large, a wait too long and a payload that
 *     is not Cap'n Proto are each refused (badRequest, IPC_ERROR), never
 *     bytes, and the service goes on serving.
 * Each result is one "RANDTEST ..." line; the scenarios judge them.
 */
#include <stdio.h>
#include <string.h>

#include "ipc.h"
#include "randomc.h"
#include "rt.h"
#include "schema/random.capnp.h"

static v_handle T;

static const void *module(const char *suffix, size_t *len)
{
    const struct v_bootinfo *b = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    for (unsigned m = 1; m < b->nmodules && m < 16; m++) {
        const char *n = b->module[m].name;
        size_t a = strnlen(n, 48), k = strlen(suffix);
        if (a >= k && !memcmp(n + a - k, suffix, k)) {
            *len = b->module[m].size;
            return (const void *)b->module[m].vaddr;
        }
    }
    return 0;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void show_status(struct ipc_conn *c)
{
    static struct ipc_msg reply;
    if (ipc_call(c, Random_method_status, 0, 0, 0, 0, &reply, 5000000)) {
        printf("RANDTEST FAIL status: no reply\n");
        return;
    }
    struct capnp_msg msg;
    if (ipc_request_open(&msg, &reply)) {
        printf("RANDTEST FAIL status: bad reply\n");
        return;
    }
    Random_status_Results_R r = Random_status_Results_read_root(&msg);
    printf("RANDTEST status seeded=%d high=%d committed=%llu high_bits=%llu\n",
           Random_status_Results_seeded(r), Random_status_Results_high(r),
           (unsigned long long)Random_status_Results_committed(r),
           (unsigned long long)Random_status_Results_highBits(r));
    Random_Source_RList l = Random_status_Results_sources(r);
    for (uint32_t i = 0; i < Random_Source_RList_len(l); i++) {
        Random_Source_R s = Random_Source_RList_get(l, i);
        printf("RANDTEST source %s committed=%llu pending=%u samples=%llu repeats=%llu\n",
               Random_Source_name(s).str, (unsigned long long)Random_Source_committed(s),
               Random_Source_pending(s), (unsigned long long)Random_Source_samples(s),
               (unsigned long long)Random_Source_repeats(s));
    }
}

/* A raw get: the status the service answers, or -1 for IPC_ERROR / no reply. */
static int raw_get(struct ipc_conn *c, uint32_t level, uint32_t n, uint64_t wait,
                   const void *garbage, uint32_t glen)
{
    static struct ipc_msg reply;
    uint8_t req[64];
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Random_get_Params_B p = Random_get_Params_build_root(&b);
    Random_get_Params_set_level(p, (enum Random_Level)level);
    Random_get_Params_set_n(p, n);
    Random_get_Params_set_waitUs(p, wait);
    size_t len;
    const uint8_t *bytes = capnp_builder_bytes(&b, &len);
    if (garbage)
        bytes = garbage, len = glen;
    if (ipc_call(c, Random_method_get, bytes, (uint32_t)len, 0, 0, &reply, 5000000))
        return -2;
    if (reply.hdr.kind != (Random_method_get | IPC_REPLY))
        return -1;
    struct capnp_msg msg;
    if (ipc_request_open(&msg, &reply))
        return -2;
    Random_get_Results_R r = Random_get_Results_read_root(&msg);
    return Random_get_Results_has_bytes(r) ? 100 : (int)Random_get_Results_status(r);
}

int main(void)
{
    T = rt_memory();
    size_t len;
    const void *elf = module("randomd.elf", &len);
    if (!elf)
        rt_die("randtest: no randomd.elf module");
    struct v_ret r = v_retype(T, V_TYPE_RING_SEND, V_RING_PARAM(3, 6), V_SLOT_ANY);
    if (r.err)
        rt_die("randtest: no accept Ring: %s", rt_errname(r.err));
    struct rt_bundle_item items[] = {{"listen", V_RING_RECV_END(r.val), true}};
    struct rt_spawn_args a = {
        .elf = elf, .elf_len = len, .name = "randomd", .reticle = T, .memory = 1 << 20,
        .prio = 10, .table_bits = 6, .items = items, .nitems = 1, .give_memory = true,
    };
    struct rt_child child;
    int e = rt_spawn(&a, &child);
    if (e)
        rt_die("randtest: cannot start randomd: %s", rt_errname(e));
    v_handle c1[2], c2[2];
    if (ipc_introduce(T, (v_handle)r.val, "randtest", c1) ||
        ipc_introduce(T, (v_handle)r.val, "randtest-status", c2))
        rt_die("randtest: cannot connect to randomd");
    rt_random_use(c1[0], c1[1]);
    struct ipc_conn st;
    ipc_attach(&st, c2[0], c2[1]);

    uint8_t x[32], y[32];
    char h[65];
    e = rt_random(RT_RANDOM_SLOPPY, x, 16, 0);
    printf("RANDTEST sloppy %s\n", rt_random_strerror(e));
    show_status(&st);

    uint64_t t0 = v_clock().val;
    e = rt_random(RT_RANDOM_STANDARD, x, sizeof x, 10000000);
    int e2 = rt_random(RT_RANDOM_STANDARD, y, sizeof y, 0);
    hex(x, 16, h);
    printf("RANDTEST standard %s after %llu ms: %s\n", rt_random_strerror(e),
           (unsigned long long)(v_clock().val - t0) / 1000, e ? rt_random_why() : h);
    printf("RANDTEST standard reads %s\n",
           !e && !e2 && memcmp(x, y, sizeof x) ? "differ" : "DO NOT DIFFER");

    e = rt_random(RT_RANDOM_HIGH, x, sizeof x, 0);
    printf("RANDTEST high at once: %s%s%s\n", rt_random_strerror(e), e ? ": " : "",
           rt_random_why());
    t0 = v_clock().val;
    e = rt_random(RT_RANDOM_HIGH, x, sizeof x, 2000000);
    if (e)
        printf("RANDTEST high refused after %llu ms: %s (%s)\n",
               (unsigned long long)(v_clock().val - t0) / 1000, rt_random_strerror(e),
               rt_random_why());
    else
        printf("RANDTEST high ok after %llu ms\n", (unsigned long long)(v_clock().val - t0) / 1000);

    e = rt_random((enum rt_random_level)7, x, 4, 0);
    printf("RANDTEST bad level: %s\n", rt_random_strerror(e));
    /* Hostile requests: each a status, never bytes, and the service lives on. */
    static const uint8_t junk[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     1, 2, 3, 4, 5, 6, 7, 8};
    printf("RANDTEST hostile n=0:%d n=1025:%d wait=61s:%d level=9:%d junk:%d\n",
           raw_get(&st, 1, 0, 0, 0, 0), raw_get(&st, 1, Random_maxBytes + 1, 0, 0, 0),
           raw_get(&st, 1, 8, Random_maxWaitUs + 1, 0, 0), raw_get(&st, 9, 8, 0, 0, 0),
           raw_get(&st, 1, 8, 0, junk, sizeof junk));
    printf("RANDTEST after hostile: standard %s\n",
           raw_get(&st, 1, 8, 0, 0, 0) == 100 ? "still served" : "NOT SERVED");
    uint64_t t1 = v_clock().val;
    static uint8_t kib[1024];
    for (int i = 0; i < 16; i++)
        rt_random(RT_RANDOM_STANDARD, kib, sizeof kib, 0);
    printf("RANDTEST 16 KiB standard in %llu us\n", (unsigned long long)(v_clock().val - t1));
    show_status(&st);
    printf("RANDTEST done\n");
    return 0;
}
