/*
 * test_store_crash: crash consistency of lib/store, ALICE-style. Each
 * scenario builds a store, records every block write (and the flushes
 * between them) of one operation, then rebuilds the disk as a crash would
 * leave it and checks the invariants on each:
 *
 *   - after each prefix of the writes (the crash hit between two writes);
 *   - after each prefix plus the next write torn: only its first 512-byte
 *     sector reached the disk (blocks are 4 KiB here), or only its first
 *     64 bytes (a device without atomic sectors: this tears a superblock);
 *   - after all earlier epochs plus a random subset of the writes of one
 *     flush epoch (a disk may reorder writes between flushes).
 *
 * Invariants on every crash image: the store opens; every blob verifies;
 * the state is exactly the old one or exactly the new one (so nothing
 * committed before is lost); and after gc no block is leaked: the free
 * count is the device minus what the root references. The counts of crash
 * points and outcomes are printed.
 */
#include "store_ops.h"
#include "vtest.h"
#include "vtest_util.h"

#define BS 4096u
#define NBLK 256u

static struct store st;
static uint8_t buf[1 << 20];
static uint64_t rng = 0xc0ffee;
static long total_points, total_old, total_new;

typedef enum store_err (*op_fn)(struct store *);

struct outcome {
    long points, old, now;
};

/* Opens the crash image, checks every invariant, returns 0 old, 1 new. */
static int check_image(struct sim *s, const uint8_t fp_old[32], const uint8_t fp_new[32],
                       const char *what, long point)
{
    struct store_dev d = sim_dev(s);
    enum store_err e = store_open(&st, &d, NULL);
    if (e != STORE_E_OK)
        vtest_fail(__FILE__, __LINE__, "%s point %ld: open %s", what, point, store_err_name(e));
    const struct store_blob *bad = NULL;
    e = store_verify_all(&st, buf, sizeof buf, &bad);
    if (e != STORE_E_OK)
        vtest_fail(__FILE__, __LINE__, "%s point %ld: blob %s", what, point, store_err_name(e));
    uint8_t fp[32];
    root_fingerprint(&st.committed, fp);
    int which = memcmp(fp, fp_old, 32) == 0 ? 0 : memcmp(fp, fp_new, 32) == 0 ? 1 : -1;
    if (which < 0)
        vtest_fail(__FILE__, __LINE__, "%s point %ld: state is neither old nor new", what, point);
    uint64_t freed;
    e = store_gc(&st, &freed);
    if (e != STORE_E_OK)
        vtest_fail(__FILE__, __LINE__, "%s point %ld: gc %s", what, point, store_err_name(e));
    uint64_t live = live_blocks(&st.committed, BS, st.older[0].n);
    if (store_free_blocks(&st) != NBLK - STORE_DATA_START - live)
        vtest_fail(__FILE__, __LINE__, "%s point %ld: %llu free after gc, want %llu", what, point,
                   (unsigned long long)store_free_blocks(&st),
                   (unsigned long long)(NBLK - STORE_DATA_START - live));
    return which;
}

static void apply(struct sim *s, const struct sim_write *w, size_t bytes)
{
    memcpy(s->img + w->blk * BS, w->data, bytes);
}

/* Runs op on the store setup() built and tries every crash point. */
static struct outcome crash_points(const char *what, op_fn setup, op_fn op)
{
    struct sim s;
    struct outcome out = {0, 0, 0};
    sim_init(&s, BS, NBLK);
    struct store_dev d = sim_dev(&s);
    CHECK_EQ(store_format(&st, &d, 2), STORE_E_OK);
    CHECK_EQ(setup(&st), STORE_E_OK);
    uint8_t fp_old[32], fp_new[32];
    root_fingerprint(&st.committed, fp_old);
    uint8_t *img0 = malloc((size_t)NBLK * BS);
    memcpy(img0, s.img, (size_t)NBLK * BS);
    s.recording = 1;
    CHECK_EQ(op(&st), STORE_E_OK);
    s.recording = 0;
    root_fingerprint(&st.committed, fp_new);
    CHECK(memcmp(fp_old, fp_new, 32) != 0);

    struct sim c = s;          /* shares nothing it writes: img replaced */
    c.img = malloc((size_t)NBLK * BS);
    c.nw = 0;
    c.w = NULL;
    c.capw = 0;
    for (size_t k = 0; k <= s.nw; k++) {
        for (int torn = 0; torn < (k < s.nw ? 3 : 1); torn++) {
            memcpy(c.img, img0, (size_t)NBLK * BS);
            for (size_t i = 0; i < k; i++)
                apply(&c, &s.w[i], BS);
            if (torn)
                apply(&c, &s.w[k], torn == 1 ? 512 : 64);
            int r = check_image(&c, fp_old, fp_new, what, (long)out.points);
            out.points++;
            r ? out.now++ : out.old++;
        }
    }
    /* reorderings: a random subset of one epoch on top of the ones before */
    for (size_t a = 0; a < s.nw;) {
        size_t b = a;
        while (b < s.nw && s.w[b].epoch == s.w[a].epoch)
            b++;
        for (int t = 0; b - a > 1 && t < 8; t++) {
            memcpy(c.img, img0, (size_t)NBLK * BS);
            for (size_t i = 0; i < a; i++)
                apply(&c, &s.w[i], BS);
            for (size_t i = b; i-- > a;)   /* in reverse order */
                if (vtest_xorshift64(&rng) & 1)
                    apply(&c, &s.w[i], BS);
            int r = check_image(&c, fp_old, fp_new, what, (long)out.points);
            out.points++;
            r ? out.now++ : out.old++;
        }
        a = b;
    }
    CHECK(out.old > 0 && out.now > 0);
    printf("store crash %-10s %3zu writes: %3ld crash points, %3ld old, %3ld new, 0 failed\n", what,
           s.nw, out.points, out.old, out.now);
    total_points += out.points;
    total_old += out.old;
    total_new += out.now;
    free(c.img);
    free(img0);
    sim_free(&s);
    return out;
}

static enum store_err base(struct store *s)
{
    enum store_err e = op_install(s, "core", "1.0.0", 9000, true);
    if (e == STORE_E_OK)
        e = op_install(s, "demo", "1.0.0", 20000, true);
    if (e == STORE_E_OK)
        e = op_state(s, "demo", 1, 5000);
    return e;
}

static enum store_err base_upgraded(struct store *s)
{
    enum store_err e = base(s);
    return e == STORE_E_OK ? op_install(s, "demo", "1.1.0", 30000, true) : e;
}

static enum store_err base_failing(struct store *s)
{
    enum store_err e = base_upgraded(s);
    bool fb;
    for (int i = 0; e == STORE_E_OK && i < 2; i++) {
        e = store_boot_begin(s, &fb);
        if (e == STORE_E_OK)
            e = store_commit(s);
    }
    return e;
}

static enum store_err do_install(struct store *s) { return op_install(s, "hello", "1.0.0", 40000, true); }
static enum store_err do_upgrade(struct store *s) { return op_install(s, "demo", "1.1.0", 30000, true); }
static enum store_err do_rollback(struct store *s) { return op_rollback(s, "demo"); }
static enum store_err do_state(struct store *s) { return op_state(s, "demo", 2, 12000); }

/* rollback and deactivate in one commit (two generation changes) */
static enum store_err do_deactivate(struct store *s)
{
    enum store_err e = store_rollback(s, "demo", 4);
    if (e == STORE_E_OK)
        e = store_deactivate(s, "core", 4);
    return e == STORE_E_OK ? store_commit(s) : e;
}

static enum store_err do_gc(struct store *s)
{
    uint64_t freed;
    return store_gc(s, &freed);
}

/* an installed capsule removed: its file is garbage until gc */
static enum store_err base_with_garbage(struct store *s)
{
    enum store_err e = base(s);
    if (e == STORE_E_OK)
        e = op_install(s, "hello", "1.0.0", 40000, false);
    return e == STORE_E_OK ? op_remove(s, "hello", "1.0.0") : e;
}

static enum store_err do_install_big(struct store *s)
{
    return op_install(s, "big", "2.0.0", 300000, true);
}

static enum store_err do_fallback(struct store *s)
{
    bool fb;
    enum store_err e = store_boot_begin(s, &fb);
    if (e == STORE_E_OK && !fb)
        return STORE_E_SAME;
    return e == STORE_E_OK ? store_commit(s) : e;
}

/* init's fallback when the generation's services do not reach readiness
 * (store_boot_fallback, user/init/capstore.c), on a booted, unconfirmed one */
static enum store_err do_fallback_now(struct store *s)
{
    enum store_err e = store_boot_fallback(s);
    return e == STORE_E_OK ? store_commit(s) : e;
}

static enum store_err base_booting(struct store *s)
{
    enum store_err e = base_upgraded(s);
    bool fb;
    if (e == STORE_E_OK)
        e = store_boot_begin(s, &fb);
    return e == STORE_E_OK ? store_commit(s) : e;
}

/* the services reached readiness: confirmed */
static enum store_err do_confirm(struct store *s)
{
    enum store_err e = store_boot_confirm(s);
    return e == STORE_E_OK ? store_commit(s) : e;
}

/* capsule remove (the Supervisor's), before gc */
static enum store_err base_removable(struct store *s)
{
    enum store_err e = base(s);
    return e == STORE_E_OK ? op_install(s, "hello", "1.0.0", 40000, false) : e;
}
static enum store_err do_remove(struct store *s) { return op_remove(s, "hello", "1.0.0"); }

static enum store_err do_policy(struct store *s)
{
    enum store_err e = store_ref_set(s, STORE_REF_POLICY, buf, 6000);
    if (e == STORE_E_OK)
        e = store_ref_set(s, STORE_REF_MKEY, buf + 1, 200);
    return e == STORE_E_OK ? store_commit(s) : e;
}

TEST(crash_during_install)   { crash_points("install", base, do_install); }
TEST(crash_during_upgrade)   { crash_points("upgrade", base, do_upgrade); }
TEST(crash_during_rollback)  { crash_points("rollback", base_upgraded, do_rollback); }
TEST(crash_during_state)     { crash_points("state", base_upgraded, do_state); }
TEST(crash_during_deactivate) { crash_points("deactivate", base_upgraded, do_deactivate); }
TEST(crash_during_gc)        { crash_points("gc", base_with_garbage, do_gc); }
TEST(crash_during_big_install) { crash_points("big-install", base, do_install_big); }
TEST(crash_during_fallback)  { crash_points("fallback", base_failing, do_fallback); }
TEST(crash_during_policy)    { crash_points("policy", base, do_policy); }
TEST(crash_during_fallback_now) { crash_points("fallback-now", base_booting, do_fallback_now); }
TEST(crash_during_confirm)   { crash_points("confirm", base_booting, do_confirm); }
TEST(crash_during_remove)    { crash_points("remove", base_removable, do_remove); }

TEST(crash_totals)
{
    printf("store crash total: %ld crash points, %ld old, %ld new, 0 failed\n", total_points,
           total_old, total_new);
    CHECK(total_points >= 200);
}
