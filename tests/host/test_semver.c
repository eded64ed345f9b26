/*
 * test_semver: semver_cmp against the precedence examples of SemVer 2.0.0
 * (section 11) taken pairwise, build metadata, numbers longer than 64
 * bits, random versions against their numeric order, and hostile strings
 * (empty, separators only, random bytes): every answer is -1, 0 or 1,
 * antisymmetric, and ASan sees no read past a NUL.
 */
#include "semver/semver.h"
#include "vtest.h"
#include "vtest_util.h"

#include <stdlib.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;

/* Ascending, each strictly above the one before (semver.org, 11.4 and 11). */
static const char *const ascending[] = {
    "0.0.0", "0.0.1", "0.1.0", "0.9.9", "0.10.0",
    "1.0.0-0", "1.0.0-1", "1.0.0-2", "1.0.0-10", "1.0.0-A", "1.0.0-a",
    "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
    "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.9.0", "1.10.0",
    "1.11.0", "2.0.0", "2.1.0", "2.1.1", "10.0.0", "18446744073709551615.0.0",
    "18446744073709551616.0.0", "99999999999999999999999.0.0",
};
#define NASC (sizeof ascending / sizeof ascending[0])

TEST(spec_order_pairwise)
{
    for (unsigned i = 0; i < NASC; i++)
        for (unsigned j = 0; j < NASC; j++) {
            int want = i < j ? -1 : i > j;
            int got = semver_cmp(ascending[i], ascending[j]);
            if (got != want)
                vtest_fail(__FILE__, __LINE__, "cmp(%s, %s) = %d, want %d", ascending[i],
                           ascending[j], got, want);
        }
}

TEST(build_metadata_is_ignored)
{
    CHECK_EQ(semver_cmp("1.0.0+build.1", "1.0.0+build.2"), 0);
    CHECK_EQ(semver_cmp("1.0.0+zzz", "1.0.0"), 0);
    CHECK_EQ(semver_cmp("1.0.0-alpha+001", "1.0.0-alpha+999"), 0);
    CHECK_EQ(semver_cmp("1.0.0-alpha+x", "1.0.0-alpha.1"), -1);
    CHECK_EQ(semver_cmp("1.0.0-rc.1+x", "1.0.0+y"), -1);
}

TEST(random_versions_follow_numeric_order)
{
    for (int n = 0; n < 20000; n++) {
        unsigned a[3], b[3];
        for (int k = 0; k < 3; k++) {
            a[k] = (unsigned)(vtest_xorshift64(&rng) % 12);
            b[k] = (unsigned)(vtest_xorshift64(&rng) % 12);
        }
        char sa[48], sb[48];
        snprintf(sa, sizeof sa, "%u.%u.%u", a[0], a[1], a[2]);
        snprintf(sb, sizeof sb, "%u.%u.%u", b[0], b[1], b[2]);
        int want = 0;
        for (int k = 0; k < 3 && !want; k++)
            want = a[k] < b[k] ? -1 : a[k] > b[k];
        CHECK_EQ(semver_cmp(sa, sb), want);
    }
}

/* What if a version is not a version? A named order still, never a crash. */
static const char *const hostile[] = {
    "", ".", "..", "...", "-", "+", "-.", "1", "1.", "1..", "1.0", "1.0.0-", "1.0.0-.",
    "1.0.0-..", "1.0.0-a..b", "1.0.0+", "1.0.0-+", "a.b.c", "1.0.0--", "01.002.0003",
    "1.0.0-00", "\x7f\xff.\x80", "1.0.0-\xff",
};
#define NHOST (sizeof hostile / sizeof hostile[0])

static void check_pair(const char *a, const char *b)
{
    int x = semver_cmp(a, b), y = semver_cmp(b, a);
    if (x < -1 || x > 1 || x != -y)
        vtest_fail(__FILE__, __LINE__, "cmp(\"%s\", \"%s\") = %d but reversed %d", a, b, x, y);
}

TEST(hostile_strings_are_ordered_antisymmetrically)
{
    for (unsigned i = 0; i < NHOST; i++) {
        CHECK_EQ(semver_cmp(hostile[i], hostile[i]), 0);
        for (unsigned j = 0; j < NHOST; j++)
            check_pair(hostile[i], hostile[j]);
        for (unsigned j = 0; j < NASC; j++)
            check_pair(hostile[i], ascending[j]);
    }
}

TEST(random_bytes_exact_length_no_overread)
{
    /* each string in a buffer of exactly its size: ASan flags a read past the NUL */
    static const char alphabet[] = "0123456789.-+aZ\x01\xfe";
    for (int n = 0; n < 5000; n++) {
        size_t la = vtest_xorshift64(&rng) % 20, lb = vtest_xorshift64(&rng) % 20;
        char *a = malloc(la + 1), *b = malloc(lb + 1);
        for (size_t i = 0; i < la; i++)
            a[i] = alphabet[vtest_xorshift64(&rng) % (sizeof alphabet - 1)];
        for (size_t i = 0; i < lb; i++)
            b[i] = alphabet[vtest_xorshift64(&rng) % (sizeof alphabet - 1)];
        a[la] = b[lb] = 0;
        check_pair(a, b);
        CHECK_EQ(semver_cmp(a, a), 0);
        free(a);
        free(b);
    }
}
