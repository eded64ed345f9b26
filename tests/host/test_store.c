/*
 * test_store: lib/store on a simulated disk. Round trips of every kind of
 * record across reopen; the generation rules (upgrade, rollback, boot
 * fallback); refusals (full disk, full tables, duplicates, removing an
 * active version); I/O errors from every callback; and corruption: every
 * bit of every metadata block flipped in turn must be detected with a
 * named error and the other root used, and sampled bits of blobs must
 * fail the read naming the blob.
 */
#include "store_ops.h"
#include "vtest.h"
#include "vtest_util.h"

static struct store st;        /* 140 KiB: not on the stack */
static uint8_t big[1 << 20];

static bool all_zero_buf(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void fresh(struct sim *s, uint32_t bs, uint64_t n)
{
    sim_init(s, bs, n);
    struct store_dev d = sim_dev(s);
    CHECK_EQ(store_format(&st, &d, 3), STORE_E_OK);
}

static enum store_err reopen(struct sim *s, struct store_report *rep)
{
    struct store_dev d = sim_dev(s);
    return store_open(&st, &d, rep);
}

static const struct store_capsule *cap(const char *name, const char *ver)
{
    uint8_t v[32];
    fake_vcid(name, ver, v);
    return store_capsule_find(&st.staged, v);
}

static const struct store_capsule *active(const char *name)
{
    const struct store_pin *p = store_pin_find(&st.staged, &st.staged.cur, name, strlen(name));
    return p ? store_capsule_find(&st.staged, p->active) : NULL;
}

TEST(format_then_open_gives_two_valid_slots)
{
    struct sim s;
    fresh(&s, 512, 256);
    struct store_report rep;
    CHECK_EQ(reopen(&s, &rep), STORE_E_OK);
    CHECK_EQ(rep.slot_err[0], STORE_E_OK);
    CHECK_EQ(rep.slot_err[1], STORE_E_OK);
    CHECK_EQ(rep.slot_seq[0], 1);
    CHECK_EQ(rep.slot_seq[1], 2);
    CHECK_EQ(rep.used, 1);
    CHECK(!rep.fell_back);
    CHECK_EQ(store_free_blocks(&st), 256 - 2 - 2);
    sim_free(&s);
}

TEST(what_if_the_device_is_not_a_store)
{
    struct sim s;
    sim_init(&s, 512, 256);
    struct store_report rep;
    CHECK_EQ(reopen(&s, &rep), STORE_E_NO_STORE);
    memset(s.img, 0xa5, 1024);
    CHECK_EQ(reopen(&s, &rep), STORE_E_SB_MAGIC);
    struct store_dev d = sim_dev(&s);
    d.block_size = 1024;
    CHECK_EQ(store_open(&st, &d, &rep), STORE_E_BAD_DEVICE);
    CHECK_EQ(store_format(&st, &d, 3), STORE_E_BAD_DEVICE);
    d = sim_dev(&s);
    d.nblocks = STORE_MIN_BLOCKS - 1;
    CHECK_EQ(store_format(&st, &d, 3), STORE_E_BAD_DEVICE);
    sim_free(&s);
}

TEST(everything_survives_reopen)
{
    struct sim s;
    fresh(&s, 4096, 512);
    CHECK_EQ(op_install(&st, "hello", "1.0.0", 70000, true), STORE_E_OK);
    CHECK_EQ(op_state(&st, "hello", 2, 1000), STORE_E_OK);
    CHECK_EQ(store_ref_set(&st, STORE_REF_POLICY, "policy", 6), STORE_E_OK);
    CHECK_EQ(store_ref_set(&st, STORE_REF_MKEY, "sealed", 6), STORE_E_OK);
    CHECK_EQ(store_commit(&st), STORE_E_OK);
    uint8_t fp[32], fp2[32];
    root_fingerprint(&st.committed, fp);
    CHECK_EQ(reopen(&s, NULL), STORE_E_OK);
    root_fingerprint(&st.committed, fp2);
    CHECK_MEM(fp, fp2, 32);
    const struct store_capsule *c = active("hello");
    CHECK(c != NULL);
    CHECK_MEM(c->ver, "1.0.0", 5);
    size_t len;
    CHECK_EQ(store_blob_read(&st, c->file, big, sizeof big, &len), STORE_E_OK);
    CHECK_EQ(len, 70000);
    uint8_t *f = fake_file("hello", "1.0.0", 70000);
    CHECK_MEM(big, f, len);
    free(f);
    uint32_t schema;
    CHECK_EQ(store_state_read(&st, "hello", 5, &schema, big, sizeof big, &len), STORE_E_OK);
    CHECK_EQ(schema, 2);
    CHECK_EQ(len, 1000);
    CHECK_EQ(store_ref_read(&st, STORE_REF_MKEY, big, sizeof big, &len), STORE_E_OK);
    CHECK_MEM(big, "sealed", 6);
    CHECK_EQ(store_ref_read(&st, STORE_REF_POLICY, big, 3, &len), STORE_E_TOO_BIG);
    CHECK_EQ(store_state_read(&st, "nobody", 6, &schema, big, sizeof big, &len), STORE_E_NOT_FOUND);
    sim_free(&s);
}

TEST(upgrade_rollback_and_the_refusals_around_them)
{
    struct sim s;
    fresh(&s, 512, 1024);
    CHECK_EQ(op_install(&st, "demo", "1.0.0", 3000, true), STORE_E_OK);
    CHECK_EQ(st.committed.cur.number, 1);
    CHECK_EQ(op_install(&st, "demo", "1.0.0", 3000, true), STORE_E_EXISTS);
    CHECK_EQ(op_rollback(&st, "demo"), STORE_E_NO_PREVIOUS);
    CHECK_EQ(op_install(&st, "demo", "1.1.0", 3000, true), STORE_E_OK);
    CHECK_EQ(st.committed.cur.number, 2);
    CHECK_EQ(st.committed.prev.number, 1);
    CHECK_MEM(active("demo")->ver, "1.1.0", 5);
    CHECK_EQ(op_remove(&st, "demo", "1.1.0"), STORE_E_IN_USE);
    CHECK_EQ(op_remove(&st, "demo", "1.0.0"), STORE_E_IN_USE);  /* previous */
    CHECK_EQ(store_activate(&st, cap("demo", "1.1.0")->vcid), STORE_E_SAME);
    CHECK_EQ(op_rollback(&st, "demo"), STORE_E_OK);
    CHECK_EQ(reopen(&s, NULL), STORE_E_OK);
    CHECK_MEM(active("demo")->ver, "1.0.0", 5);
    CHECK_EQ(st.committed.cur.number, 3);
    CHECK_EQ(op_rollback(&st, "nothing"), STORE_E_NOT_FOUND);
    CHECK_EQ(store_capsule_add(&st, big, big, "", 0, "1", 1), STORE_E_BAD_NAME);
    CHECK_EQ(store_capsule_add(&st, big, big, "a b", 3, "1", 1), STORE_E_BAD_NAME);
    uint8_t v[32];
    fake_vcid("x", "1", v);
    CHECK_EQ(store_capsule_add(&st, v, v, "x", 1, "1", 1), STORE_E_NOT_FOUND); /* no file */
    /* an unpinned version can go, and gc then gives its space back */
    CHECK_EQ(op_install(&st, "other", "2.0.0", 5000, false), STORE_E_OK);
    uint64_t before = store_free_blocks(&st), freed;
    CHECK_EQ(op_remove(&st, "other", "2.0.0"), STORE_E_OK);
    CHECK_EQ(store_gc(&st, &freed), STORE_E_OK);
    CHECK_EQ(freed, (5000 + 511) / 512);
    CHECK_EQ(store_free_blocks(&st), before + freed);
    CHECK_EQ(store_deactivate(&st, "demo", 4), STORE_E_OK);
    CHECK_EQ(store_commit(&st), STORE_E_OK);
    CHECK(active("demo") == NULL);
    sim_free(&s);
}

TEST(boot_counting_falls_back_after_boot_max_unconfirmed_boots)
{
    struct sim s;
    fresh(&s, 512, 1024);
    CHECK_EQ(op_install(&st, "svc", "1.0.0", 100, true), STORE_E_OK);
    bool fb;
    CHECK_EQ(store_boot_confirm(&st), STORE_E_OK);
    CHECK_EQ(store_commit(&st), STORE_E_OK);
    CHECK_EQ(op_install(&st, "svc", "2.0.0", 100, true), STORE_E_OK);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(reopen(&s, NULL), STORE_E_OK);
        CHECK_EQ(store_boot_begin(&st, &fb), STORE_E_OK);
        CHECK(!fb);
        CHECK_EQ(store_commit(&st), STORE_E_OK);
    }
    CHECK_EQ(reopen(&s, NULL), STORE_E_OK);
    CHECK_EQ(st.committed.boot_attempts, 3);
    CHECK_EQ(store_boot_begin(&st, &fb), STORE_E_OK);
    CHECK(fb);
    CHECK_EQ(store_commit(&st), STORE_E_OK);
    CHECK_EQ(reopen(&s, NULL), STORE_E_OK);
    CHECK_MEM(active("svc")->ver, "1.0.0", 5);
    CHECK_EQ(st.committed.cur.number, 3);
    CHECK(st.committed.confirmed);
    /* a confirmed generation never falls back */
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(store_boot_begin(&st, &fb), STORE_E_OK);
        CHECK(!fb);
    }
    sim_free(&s);
}

TEST(fallback_now_when_the_services_are_not_ready)
{
    struct sim s;
    fresh(&s, 512, 1024);
    CHECK_EQ(store_boot_fallback(&st), STORE_E_NO_PREVIOUS);   /* a fresh store has none */
    CHECK_EQ(op_install(&st, "svc", "1.0.0", 100, true), STORE_E_OK);
    CHECK_EQ(store_boot_confirm(&st), STORE_E_OK);
    CHECK_EQ(store_commit(&st), STORE_E_OK);
    CHECK_EQ(op_install(&st, "svc", "2.0.0", 100, true), STORE_E_OK);
    uint64_t failed = st.committed.cur.number;
    bool fb;
    CHECK_EQ(store_boot_begin(&st, &fb), STORE_E_OK);
    CHECK(!fb);
    CHECK_EQ(store_commit(&st), STORE_E_OK);
    /* the first attempt did not reach readiness: back now, not after boot_max */
    CHECK_EQ(store_boot_fallback(&st), STORE_E_OK);
    CHECK_EQ(store_commit(&st), STORE_E_OK);
    CHECK_EQ(reopen(&s, NULL), STORE_E_OK);
    CHECK_MEM(active("svc")->ver, "1.0.0", 5);
    CHECK_EQ(st.committed.cur.number, failed + 1);
    CHECK_EQ(st.committed.prev.number, failed);
    CHECK(st.committed.confirmed);
    CHECK_EQ(st.committed.boot_attempts, 0);
    sim_free(&s);
}

TEST(what_if_the_disk_is_full)
{
    struct sim s;
    fresh(&s, 512, 128);
    uint64_t free0 = store_free_blocks(&st);
    CHECK_EQ(op_install(&st, "huge", "1.0.0", (size_t)free0 * 512, true), STORE_E_NO_SPACE);
    CHECK_EQ(store_free_blocks(&st), free0);
    CHECK_EQ(st.staged.nblobs, 0);
    /* exactly what fits, leaving room for the next catalog, is accepted */
    CHECK_EQ(op_install(&st, "fits", "1.0.0", (size_t)(free0 - 1) * 512, true), STORE_E_OK);
    CHECK_EQ(op_install(&st, "more", "1.0.0", 1, true), STORE_E_NO_SPACE);
    /* blocks = 2 superblocks + the blob + two catalogs + what is left */
    CHECK_EQ(store_free_blocks(&st), 128 - 2 - (free0 - 1) - 2);
    CHECK_EQ(reopen(&s, NULL), STORE_E_OK);
    CHECK(active("fits") != NULL);
    sim_free(&s);
}

TEST(what_if_a_table_is_full)
{
    struct sim s;
    fresh(&s, 512, 4096);
    char name[16];
    for (unsigned i = 0; i < STORE_MAX_CAPSULES; i++) {
        snprintf(name, sizeof name, "c%u", i);
        uint8_t v[32], h[32], b = (uint8_t)i;
        fake_vcid(name, "1", v);
        CHECK_EQ(store_blob_put(&st, &b, 1, h), STORE_E_OK);
        CHECK_EQ(store_capsule_add(&st, v, h, name, strlen(name), "1", 1), STORE_E_OK);
        CHECK_EQ(store_activate(&st, v), STORE_E_OK);
    }
    CHECK_EQ(store_commit(&st), STORE_E_OK);
    CHECK_EQ(op_install(&st, "last", "1", 1, false), STORE_E_TOO_MANY);
    for (unsigned i = STORE_MAX_CAPSULES; st.staged.nblobs < STORE_MAX_BLOBS; i++) {
        uint8_t h[32];
        CHECK_EQ(store_blob_put(&st, &i, sizeof i, h), STORE_E_OK);
    }
    uint8_t h[32];
    CHECK_EQ(store_blob_put(&st, "x", 1, h), STORE_E_TOO_MANY);
    CHECK_EQ(store_commit(&st), STORE_E_OK);   /* the largest catalog */
    CHECK_EQ(reopen(&s, NULL), STORE_E_OK);
    CHECK_EQ(st.committed.nblobs, STORE_MAX_BLOBS);
    CHECK_EQ(store_state_write(&st, "s", 1, 1, big, STORE_STATE_MAX + 1), STORE_E_TOO_BIG);
    sim_free(&s);
}

TEST(io_errors_are_named_and_never_change_the_committed_state)
{
    struct sim s;
    fresh(&s, 512, 1024);
    CHECK_EQ(op_install(&st, "a", "1", 2000, true), STORE_E_OK);
    uint8_t fp[32], fp2[32];
    root_fingerprint(&st.committed, fp);
    /* a slot that could not be read is never fallen back from (it may
     * hold the newest root, which the next commit would overwrite) */
    s.fail_read = 0;
    CHECK_EQ(reopen(&s, NULL), STORE_E_IO_READ);   /* slot 0's superblock unread */
    s.fail_read = 1;
    CHECK_EQ(reopen(&s, NULL), STORE_E_IO_READ);   /* slot 0's catalog read fails */
    s.fail_read = -1;
    for (long k = 0; k < 4; k++) {                 /* both slots fail somewhere */
        s.fail_read = k;
        struct store_report rep;
        enum store_err e = reopen(&s, &rep);
        s.fail_read = -1;
        if (e != STORE_E_OK)
            CHECK_EQ(e, STORE_E_IO_READ);
    }
    CHECK_EQ(reopen(&s, NULL), STORE_E_OK);
    const struct store_capsule *c = active("a");
    size_t len;
    s.fail_read = 0;
    CHECK_EQ(store_blob_read(&st, c->file, big, sizeof big, &len), STORE_E_IO_READ);
    s.fail_write = 0;
    CHECK_EQ(op_install(&st, "b", "1", 1024, true), STORE_E_IO_WRITE);   /* the blob */
    s.fail_write = 1;
    CHECK_EQ(op_install(&st, "b", "1", 1024, true), STORE_E_IO_WRITE);   /* the catalog */
    store_abort(&st);
    s.fail_flush = 0;
    CHECK_EQ(op_install(&st, "b", "1", 1024, true), STORE_E_IO_FLUSH);
    CHECK(!st.broken);
    store_abort(&st);
    s.fail_write = 2;                                                   /* the superblock */
    CHECK_EQ(op_install(&st, "b", "1", 1024, true), STORE_E_IO_WRITE);
    CHECK(st.broken);
    CHECK_EQ(store_commit(&st), STORE_E_BROKEN);
    CHECK_EQ(reopen(&s, NULL), STORE_E_OK);
    root_fingerprint(&st.committed, fp2);
    CHECK_MEM(fp, fp2, 32);
    CHECK_EQ(op_install(&st, "b", "1", 1024, true), STORE_E_OK);
    sim_free(&s);
}

TEST(abort_returns_the_space_of_uncommitted_blobs)
{
    struct sim s;
    fresh(&s, 512, 1024);
    uint64_t f0 = store_free_blocks(&st);
    uint8_t h[32];
    CHECK_EQ(store_blob_put(&st, big, 10000, h), STORE_E_OK);
    CHECK_EQ(store_free_blocks(&st), f0 - (10000 + 511) / 512);
    store_abort(&st);
    CHECK_EQ(store_free_blocks(&st), f0);
    size_t len;
    CHECK_EQ(store_blob_read(&st, h, big, sizeof big, &len), STORE_E_NOT_FOUND);
    sim_free(&s);
}

/* A store whose two slots hold different states: older = one capsule,
 * newer = also a second one, a state volume and a policy. */
static void two_state_store(struct sim *s, uint8_t fp_old[32], uint8_t fp_new[32])
{
    fresh(s, 512, 512);
    CHECK_EQ(op_install(&st, "a", "1", 700, true), STORE_E_OK);
    root_fingerprint(&st.committed, fp_old);
    CHECK_EQ(op_install(&st, "b", "1", 1500, true), STORE_E_OK);
    CHECK_EQ(op_state(&st, "a", 1, 300), STORE_E_OK);
    root_fingerprint(&st.committed, fp_old);
    CHECK_EQ(store_ref_set(&st, STORE_REF_POLICY, "pol", 3), STORE_E_OK);
    CHECK_EQ(store_commit(&st), STORE_E_OK);
    root_fingerprint(&st.committed, fp_new);
}

TEST(every_metadata_bit_flip_is_detected_and_the_other_root_used)
{
    struct sim s;
    uint8_t fp_old[32], fp_new[32], fp[32];
    two_state_store(&s, fp_old, fp_new);
    uint32_t newer = st.slot;
    struct { uint64_t start; uint32_t n; int slot; } meta[4] = {
        {0, 1, 0}, {1, 1, 1},
        {st.committed.cat_start, st.committed.cat_blocks, (int)newer},
    };
    CHECK_EQ(reopen(&s, NULL), STORE_E_OK);
    /* the other slot's catalog: open it alone by hiding the newer slot */
    uint8_t save[512];
    memcpy(save, s.img + newer * 512, 512);
    memset(s.img + newer * 512, 0, 512);
    CHECK_EQ(reopen(&s, NULL), STORE_E_OK);
    meta[3].start = st.committed.cat_start;
    meta[3].n = st.committed.cat_blocks;
    meta[3].slot = (int)(1 - newer);
    memcpy(s.img + newer * 512, save, 512);
    long bits = 0, counts[STORE_NERRORS] = {0};
    for (int m = 0; m < 4; m++) {
        for (uint64_t bit = 0; bit < (uint64_t)meta[m].n * 512 * 8; bit++) {
            uint8_t *byte = s.img + meta[m].start * 512 + bit / 8;
            *byte ^= (uint8_t)(1u << (bit % 8));
            struct store_report rep;
            enum store_err e = reopen(&s, &rep);
            *byte ^= (uint8_t)(1u << (bit % 8));
            bits++;
            if (e != STORE_E_OK || !rep.fell_back) {
                vtest_fail(__FILE__, __LINE__, "region %d bit %llu: open %s, fell_back %d", m,
                           (unsigned long long)bit, store_err_name(e), rep.fell_back);
            }
            enum store_err why = rep.slot_err[meta[m].slot];
            CHECK(why != STORE_E_OK);
            counts[why]++;
            CHECK_EQ(rep.used, 1 - meta[m].slot);
            root_fingerprint(&st.committed, fp);
            CHECK_MEM(fp, (uint32_t)meta[m].slot == newer ? fp_old : fp_new, 32);
        }
    }
    printf("store bit flips: %ld metadata bits, each detected:", bits);
    for (int e = 0; e < STORE_NERRORS; e++)
        if (counts[e])
            printf(" %s %ld", store_err_name(e), counts[e]);
    printf("\n");
    sim_free(&s);
}

TEST(sampled_blob_bit_flips_fail_the_read_naming_the_blob)
{
    struct sim s;
    uint8_t fp_old[32], fp_new[32];
    two_state_store(&s, fp_old, fp_new);
    uint64_t rng = 0x5eed;
    int tried = 0;
    for (uint32_t i = 0; i < st.staged.nblobs; i++) {
        const struct store_blob *b = &st.staged.blobs[i];
        uint64_t nbits = (b->len + 511) / 512 * 512 * 8;
        for (int k = 0; k < 200 && b->len; k++, tried++) {
            uint64_t bit = vtest_xorshift64(&rng) % nbits;
            uint8_t *byte = s.img + b->start * 512 + bit / 8;
            *byte ^= (uint8_t)(1u << (bit % 8));
            size_t len;
            const struct store_blob *bad = NULL;
            CHECK_EQ(store_blob_read(&st, b->hash, big, sizeof big, &len), STORE_E_BLOB_CORRUPT);
            CHECK(all_zero_buf(big, b->len));
            CHECK_EQ(store_verify_all(&st, big, sizeof big, &bad), STORE_E_BLOB_CORRUPT);
            CHECK(bad == b);
            *byte ^= (uint8_t)(1u << (bit % 8));
        }
        size_t len;
        CHECK_EQ(store_blob_read(&st, b->hash, big, sizeof big, &len), STORE_E_OK);
    }
    printf("store blob bit flips: %d sampled bits, each BLOB_CORRUPT\n", tried);
    CHECK(tried >= 600);
    sim_free(&s);
}

/* Recomputes slot's catalog and superblock checksums after an edit, so
 * the edit reaches the catalog parser instead of the checksum. */
static void reseal(struct sim *s, uint32_t slot)
{
    uint8_t *sb = s->img + (size_t)slot * s->bs;
    uint64_t start;
    uint32_t nblk;
    memcpy(&start, sb + 32, 8);
    memcpy(&nblk, sb + 40, 4);
    crypto_hash_sha256(sb + 48, s->img + start * s->bs, (size_t)nblk * s->bs);
    crypto_hash_sha256(sb + 80, sb, 80);
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

TEST(what_if_a_resealed_catalog_lies_about_its_fields)
{
    struct sim s;
    uint8_t fp_old[32], fp_new[32];
    two_state_store(&s, fp_old, fp_new);
    uint32_t slot = st.slot;
    uint64_t cat = st.committed.cat_start * 512;
    uint8_t *c = s.img + cat;
    uint32_t nb = rd32(c + 52), nc = rd32(c + 56), np = rd32(c + 60), nq = rd32(c + 64);
    uint32_t len = rd32(c + 12);
    CHECK(nb >= 2 && nc >= 1 && np >= 1);
    uint32_t blobs = 144, caps = blobs + 48 * nb, pins = caps + 200 * nc;
    uint32_t states = pins + 64 * (np + nq);
    /* each edit sets n bytes at off to val */
    struct { uint32_t off, n; uint8_t val; const char *what; } edits[] = {
        {8, 1, 2, "version"}, {12, 1, (uint8_t)(len + 8), "length"}, {16, 1, 0x77, "sequence"},
        {48, 1, 0x10, "flag bits"}, {52, 1, 0xff, "blob count"}, {137, 1, 1, "reserved header"},
        {blobs + 32 + 5, 1, 0x01, "blob start beyond the device"},
        {blobs + 32, 8, 0, "blob start 0 with a length"}, {blobs, 1, 0xff, "blob order"},
        {blobs + 48 + 40 + 3, 1, 0x10, "blob length beyond the device"},
        {caps + 64, 1, 0, "capsule name length 0"}, {caps + 64, 1, 65, "capsule name length 65"},
        {caps + 66, 1, 1, "capsule reserved"}, {caps + 72, 1, ' ', "capsule name byte"},
        {caps + 72 + 63, 1, 'x', "capsule name padding"}, {caps + 32, 4, 0x5a, "capsule file unknown"},
        {pins, 4, 0x5a, "pin names no capsule"}, {pins + 32, 4, 0x5a, "pin previous unknown"},
        {states + 1, 1, 1, "state reserved"}, {states + 72, 4, 0x5a, "state blob unknown"},
        {len, 1, 1, "byte after the content"},
    };
    uint8_t *save = malloc(s.bs * 8);
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        memcpy(save, c, s.bs * 8);
        memset(c + edits[i].off, edits[i].val, edits[i].n);
        CHECK(memcmp(save, c, s.bs * 8) != 0);
        reseal(&s, slot);
        struct store_report rep;
        enum store_err e = reopen(&s, &rep);
        memcpy(c, save, s.bs * 8);
        reseal(&s, slot);
        if (e != STORE_E_OK || rep.slot_err[slot] != STORE_E_CATALOG_FORMAT)
            vtest_fail(__FILE__, __LINE__, "%s: open %s, slot %s", edits[i].what,
                       store_err_name(e), store_err_name(rep.slot_err[slot]));
    }
    free(save);
    CHECK_EQ(reopen(&s, NULL), STORE_E_OK);
    sim_free(&s);
}
