/*
 * test_logstore: logd's record store (user/services/logd/store.c), compiled here
 * unchanged.
 *   - a fresh area becomes an empty store; appends read back in order;
 *   - adopting the same bytes again (a new logd instance) keeps every
 *     record and the sequence goes on;
 *   - a full ring drops the oldest; an append torn at any byte by a kill
 *     loses at most the oldest record, never a newer one, never reports
 *     damage;
 *   - a bad header (magic, version, record size, capacity, sequence)
 *     resets the store; a damaged record keeps only what is newer and says
 *     so; random bytes and random flips never crash and always leave a
 *     store whose records are all valid.
 */
#include "../../user/services/logd/store.c"

#include <stdlib.h>

#include "vtest.h"

#define AREA (sizeof(struct ls_header) + 40 * sizeof(struct ls_record))
static uint64_t area[AREA / 8 + 1];

static uint64_t add(struct logstore *s, uint64_t i)
{
    char text[32];
    int n = snprintf(text, sizeof text, "record %llu", (unsigned long long)i);
    return ls_append(s, (unsigned)(i % 6), "src", 3, text, (size_t)n, 1000 + i, i);
}

/* The store holds exactly first..next-1, each whole, in order. */
static void check_valid(const struct logstore *s)
{
    uint32_t n = ls_count(s);
    CHECK(n <= s->cap);
    for (uint32_t i = 0; i < n; i++) {
        const struct ls_record *r = ls_nth(s, i);
        CHECK_EQ(r->seq, s->first + i);
        CHECK(r->level <= 5 && r->len <= LS_TEXT && r->srclen < LS_SOURCE);
        CHECK_EQ(r->sum, record_sum(r));
    }
}

static enum ls_state adopt(struct logstore *s)
{
    const char *why;
    return ls_adopt(s, area, AREA, &why);
}

/* A new store in area with records 1..n. */
static void fresh(struct logstore *s, uint64_t n)
{
    memset(area, 0, sizeof area);
    CHECK_EQ(adopt(s), LS_FRESH);
    for (uint64_t i = 1; i <= n; i++)
        CHECK_EQ(add(s, i), i);
}

TEST(logstore_fresh_and_adopted)
{
    struct logstore s;
    memset(area, 0, sizeof area);
    CHECK_EQ(adopt(&s), LS_FRESH);
    CHECK_EQ(s.cap, 40);
    CHECK_EQ(ls_count(&s), 0);
    for (uint64_t i = 1; i <= 10; i++)
        CHECK_EQ(add(&s, i), i);
    struct logstore t;
    CHECK_EQ(adopt(&t), LS_ADOPTED);
    CHECK_EQ(ls_count(&t), 10);
    CHECK_STR(ls_nth(&t, 0)->text, "record 1");
    CHECK_EQ(ls_nth(&t, 9)->event, 10);
    CHECK_EQ(add(&t, 11), 11);
    check_valid(&t);
}

TEST(logstore_full_ring_and_torn_appends)
{
    struct logstore s;
    fresh(&s, 100);
    CHECK_EQ(ls_count(&s), 40);
    CHECK_EQ(s.first, 61);
    /* A kill at every byte of the next append: the record being written
     * over is the oldest; nothing else may be lost. */
    static uint64_t saved[AREA / 8 + 1];
    memcpy(saved, area, sizeof area);
    struct ls_record *victim = &s.rec[100 % 40];
    for (size_t cut = 0; cut <= sizeof *victim; cut++) {
        memcpy(area, saved, sizeof area);
        struct ls_record next = {.seq = 101, .level = 2, .len = 3};
        memcpy(next.text, "new", 3);
        next.sum = record_sum(&next);
        memcpy(victim, &next, cut);
        struct logstore t;
        CHECK_EQ(adopt(&t), LS_ADOPTED);
        CHECK(t.first == 61 || t.first == 62);
        CHECK_EQ(ls_count(&t), 101 - t.first);
        check_valid(&t);
    }
}

TEST(logstore_bad_header_resets)
{
    static const struct {
        size_t off;
        uint64_t val;
        size_t width;
    } bad[] = {
        {0, 0x4c4f4753544f5232ull, 8},                 /* magic */
        {8, 2, 4},                                      /* version */
        {12, 255, 4},                                   /* record size */
        {16, 41, 4},                                    /* capacity */
        {24, 0, 8},                                     /* next_seq 0 */
        {24, ~0ull, 8},                                 /* next_seq huge */
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        struct logstore s;
        fresh(&s, 5);
        memcpy((uint8_t *)area + bad[k].off, &bad[k].val, bad[k].width);
        const char *why;
        CHECK_EQ(ls_adopt(&s, area, AREA, &why), LS_RESET);
        CHECK(*why);
        CHECK_EQ(ls_count(&s), 0);
        CHECK_EQ(add(&s, 1), 1);
        check_valid(&s);
    }
}

TEST(logstore_damaged_record_keeps_newer)
{
    struct logstore s;
    fresh(&s, 20);
    s.rec[9].text[0] ^= 1;          /* record 10 */
    const char *why;
    CHECK_EQ(ls_adopt(&s, area, AREA, &why), LS_DAMAGED);
    CHECK(*why);
    CHECK_EQ(s.first, 11);
    CHECK_EQ(ls_count(&s), 10);
    check_valid(&s);
    s.rec[19].len = LS_TEXT + 1;    /* the newest, out of range */
    CHECK_EQ(ls_adopt(&s, area, AREA, &why), LS_DAMAGED);
    CHECK_EQ(ls_count(&s), 0);
    CHECK_EQ(add(&s, 21), 21);
    check_valid(&s);
}

TEST(logstore_too_small)
{
    struct logstore s;
    const char *why;
    CHECK_EQ(ls_adopt(&s, area, sizeof(struct ls_header) + 255, &why), LS_TOO_SMALL);
    CHECK(*why);
}

/* Hostile areas: random bytes under a valid header, and random flips of a
 * real store. Adoption never crashes and what it keeps is valid. */
TEST(logstore_random_damage)
{
    srand(19);
    for (int round = 0; round < 2000; round++) {
        struct logstore s;
        fresh(&s, (uint64_t)(rand() % 120));
        uint8_t *p = (uint8_t *)area;
        if (round % 2) {
            for (size_t i = sizeof(struct ls_header); i < AREA; i++)
                p[i] = (uint8_t)rand();
        } else {
            for (int f = 0, nf = 1 + rand() % 8; f < nf; f++)
                p[(size_t)rand() % AREA] ^= (uint8_t)(1u << (rand() % 8));
        }
        const char *why;
        enum ls_state st = ls_adopt(&s, area, AREA, &why);
        CHECK(st == LS_ADOPTED || st == LS_DAMAGED || st == LS_RESET || st == LS_FRESH);
        check_valid(&s);
        add(&s, 1);
        check_valid(&s);
    }
}
