/*
 * test_vstring: lib/string against glibc, over random buffers, every
 * relative alignment and the edge lengths around the word size. Buffers
 * are malloc'd at their exact size so ASan catches any read or write past
 * what the C function may touch.
 */
#include "string/vstring.h"
#include "vtest.h"
#include "vtest_util.h"

#include <stdlib.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void) { return vtest_xorshift64(&rng_state); }

static size_t rnd_below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

static void fill_random(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)rnd();
}

static int sgn(int x)
{
    return (x > 0) - (x < 0);
}

/* Lengths that exercise the byte head, word body and byte tail. */
static const size_t lens[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 23, 24, 31, 32,
                              33, 63, 64, 65, 100, 255, 256, 1000, 4097};
#define NLENS (sizeof lens / sizeof lens[0])

TEST(memcpy_all_alignments_and_lengths)
{
    enum { PAD = 16 };
    for (size_t li = 0; li < NLENS; li++) {
        size_t n = lens[li];
        for (size_t so = 0; so < 9; so++) {
            for (size_t doff = 0; doff < 9; doff++) {
                unsigned char *src = malloc(n + so + 1);
                unsigned char *dst = malloc(n + doff + PAD);
                unsigned char *ref = malloc(n + doff + PAD);
                fill_random(src, n + so + 1);
                fill_random(dst, n + doff + PAD);
                memcpy(ref, dst, n + doff + PAD);
                memcpy(ref + doff, src + so, n);
                CHECK(vs_memcpy(dst + doff, src + so, n) == dst + doff);
                CHECK_MEM(dst, ref, n + doff + PAD);   /* guards untouched */
                free(src);
                free(dst);
                free(ref);
            }
        }
    }
}

TEST(memmove_random_overlaps_match_glibc)
{
    enum { SZ = 600 };
    unsigned char a[SZ], b[SZ];
    for (int iter = 0; iter < 20000; iter++) {
        fill_random(a, SZ);
        memcpy(b, a, SZ);
        size_t n = rnd_below(iter < 10000 ? 40 : 300);
        size_t s = rnd_below(SZ - n + 1), d = rnd_below(SZ - n + 1);
        size_t k = rnd_below(17);
        if (iter % 4 == 0)       /* near-overlaps are the interesting case */
            d = s + k <= SZ - n ? s + k : s;
        else if (iter % 4 == 1)
            d = s >= k ? s - k : s;
        CHECK(vs_memmove(a + d, a + s, n) == a + d);
        memmove(b + d, b + s, n);
        CHECK_MEM(a, b, SZ);
    }
}

TEST(memmove_same_pointer_and_zero_length)
{
    unsigned char a[32], b[32];
    fill_random(a, 32);
    memcpy(b, a, 32);
    vs_memmove(a + 3, a + 3, 20);
    vs_memmove(a + 1, a + 9, 0);
    CHECK_MEM(a, b, 32);
}

TEST(memset_alignments_lengths_and_int_truncation)
{
    static const int values[] = {0, 1, 0x7f, 0x80, 0xff, 0x1ab, -1, -200};
    for (size_t li = 0; li < NLENS; li++) {
        for (size_t off = 0; off < 9; off++) {
            for (size_t vi = 0; vi < sizeof values / sizeof values[0]; vi++) {
                size_t n = lens[li], total = n + off + 9;
                unsigned char *p = malloc(total), *r = malloc(total);
                fill_random(p, total);
                memcpy(r, p, total);
                memset(r + off, values[vi], n);
                CHECK(vs_memset(p + off, values[vi], n) == p + off);
                CHECK_MEM(p, r, total);
                free(p);
                free(r);
            }
        }
    }
}

TEST(memcmp_sign_matches_glibc_with_high_bytes)
{
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = lens[rnd_below(NLENS)];
        size_t ao = rnd_below(9), bo = rnd_below(9);
        unsigned char *a = malloc(n + ao + 1), *b = malloc(n + bo + 1);
        fill_random(a + ao, n);
        memcpy(b + bo, a + ao, n);
        if (n && iter % 3 != 0) {   /* one or two differences */
            b[bo + rnd_below(n)] = (unsigned char)rnd();
            if (iter % 5 == 0)
                b[bo + rnd_below(n)] = (unsigned char)rnd();
        }
        size_t cn = n ? rnd_below(n + 1) : 0;
        CHECK_EQ(sgn(vs_memcmp(a + ao, b + bo, cn)), sgn(memcmp(a + ao, b + bo, cn)));
        free(a);
        free(b);
    }
    /* Bytes compare as unsigned: 0x80 > 0x7f. */
    CHECK(vs_memcmp("\x80", "\x7f", 1) > 0);
    CHECK(vs_memcmp("\x01\xff", "\x01\x00", 2) > 0);
    CHECK_EQ(vs_memcmp("abc", "abd", 0), 0);
}

TEST(memchr_finds_first_and_stops_at_n)
{
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = lens[rnd_below(NLENS)];
        unsigned char *p = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            p[i] = (unsigned char)(rnd() % 8 + 0xfc);   /* small alphabet */
        int c = (int)(rnd() % 8) + 0xfc;
        if (iter % 7 == 0)
            c += 0x300;                                 /* converted to uchar */
        CHECK(vs_memchr(p, c, n) == memchr(p, c, n));
        free(p);
    }
    CHECK(vs_memchr("abc", 'c', 2) == NULL);
    CHECK(vs_memchr(NULL, 'x', 0) == NULL);
}

/* A random string of length n from a small alphabet (so matches happen),
 * including bytes above 0x7f, in an exactly-sized allocation. */
static char *rand_str(size_t n, const char *alphabet)
{
    size_t k = strlen(alphabet);
    char *s = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = alphabet[rnd_below(k)];
    s[n] = 0;
    return s;
}

static const char ALPHA[] = "ab\x80\xff";

TEST(strlen_and_strnlen_exact_buffers)
{
    for (size_t n = 0; n < 80; n++) {
        for (size_t off = 0; off < 9; off++) {
            char *buf = malloc(off + n + 1);
            memset(buf, 'x', off + n);
            buf[off + n] = 0;
            CHECK_EQ(vs_strlen(buf + off), n);
            CHECK_EQ(vs_strnlen(buf + off, n + 5), n);
            CHECK_EQ(vs_strnlen(buf + off, n / 2), n / 2);
            CHECK_EQ(vs_strnlen(buf + off, (size_t)-1), n);
            free(buf);
        }
    }
    /* What if there is no NUL within max? strnlen must not read beyond. */
    char *raw = malloc(10);
    memset(raw, 'y', 10);
    CHECK_EQ(vs_strnlen(raw, 10), 10);
    CHECK_EQ(vs_strnlen(raw, 0), 0);
    free(raw);
}

TEST(strcmp_strncmp_signs_match_glibc)
{
    for (int iter = 0; iter < 50000; iter++) {
        char *a = rand_str(rnd_below(12), ALPHA);
        char *b = iter % 3 ? rand_str(rnd_below(12), ALPHA) : strdup(a);
        if (iter % 3 == 0 && strlen(b) && iter % 2)
            b[rnd_below(strlen(b))] = ALPHA[rnd_below(4)];
        CHECK_EQ(sgn(vs_strcmp(a, b)), sgn(strcmp(a, b)));
        size_t n = rnd_below(15);
        CHECK_EQ(sgn(vs_strncmp(a, b, n)), sgn(strncmp(a, b, n)));
        free(a);
        free(b);
    }
    CHECK(vs_strcmp("\xff", "a") > 0);
    CHECK(vs_strcmp("", "") == 0);
    CHECK(vs_strcmp("ab", "abc") < 0);
    CHECK(vs_strncmp("abcX", "abcY", 3) == 0);
    CHECK(vs_strncmp("x", "y", 0) == 0);
    /* What if n exceeds both strings? Comparison stops at the NUL. */
    char *a = strdup("same"), *b = strdup("same");
    CHECK_EQ(vs_strncmp(a, b, (size_t)-1), 0);
    free(a);
    free(b);
}

TEST(strchr_strrchr_match_glibc)
{
    static const int cs[] = {'a', 'b', 0x80, 0xff, -1, -128, 0, 'a' + 0x100, 'z'};
    for (int iter = 0; iter < 20000; iter++) {
        char *s = rand_str(rnd_below(20), ALPHA);
        for (size_t ci = 0; ci < sizeof cs / sizeof cs[0]; ci++) {
            CHECK(vs_strchr(s, cs[ci]) == strchr(s, cs[ci]));
            CHECK(vs_strrchr(s, cs[ci]) == strrchr(s, cs[ci]));
        }
        free(s);
    }
    const char *t = "hello";
    CHECK(vs_strchr(t, 0) == t + 5);    /* the terminator is part of the string */
    CHECK(vs_strrchr(t, 0) == t + 5);
    CHECK(vs_strrchr(t, 'l') == t + 3);
}

TEST(strstr_matches_glibc)
{
    for (int iter = 0; iter < 50000; iter++) {
        char *h = rand_str(rnd_below(30), "aab");
        char *n = rand_str(rnd_below(5), "ab");
        CHECK(vs_strstr(h, n) == strstr(h, n));
        free(h);
        free(n);
    }
    const char *h = "abc";
    CHECK(vs_strstr(h, "") == h);
    CHECK(vs_strstr("", "") != NULL);
    CHECK(vs_strstr("", "a") == NULL);
    CHECK(vs_strstr("ab", "abc") == NULL);
    const char *s = "aaab";   /* a partial match must not skip the real one */
    CHECK(vs_strstr(s, "aab") == s + 1);
}

/* OpenBSD strlcpy, written from its manual page, as the model. */
static size_t model_strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = 0;
    }
    return len;
}

static size_t model_strlcat(char *dst, const char *src, size_t size)
{
    size_t d = strnlen(dst, size);
    if (d == size)
        return size + strlen(src);
    return d + model_strlcpy(dst + d, src, size - d);
}

TEST(strlcpy_truncates_terminates_and_returns_source_length)
{
    char buf[8];
    memset(buf, 'Z', sizeof buf);
    CHECK_EQ(vs_strlcpy(buf, "hello world", sizeof buf), 11);
    CHECK_STR(buf, "hello w");
    CHECK_EQ(vs_strlcpy(buf, "hi", sizeof buf), 2);
    CHECK_STR(buf, "hi");
    memset(buf, 'Z', sizeof buf);
    CHECK_EQ(vs_strlcpy(buf, "abc", 0), 3);           /* size 0: no write */
    CHECK_EQ(buf[0], 'Z');
    CHECK_EQ(vs_strlcpy(buf, "abc", 1), 3);
    CHECK_EQ(buf[0], 0);
    CHECK_EQ(buf[1], 'Z');
    CHECK_EQ(vs_strlcpy(buf, "1234567", 8), 7);       /* exactly fits */
    CHECK_STR(buf, "1234567");
}

TEST(strlcat_cases_and_unterminated_destination)
{
    char buf[8];
    strcpy(buf, "ab");
    CHECK_EQ(vs_strlcat(buf, "cd", sizeof buf), 4);
    CHECK_STR(buf, "abcd");
    CHECK_EQ(vs_strlcat(buf, "efghij", sizeof buf), 10);
    CHECK_STR(buf, "abcdefg");
    /* What if dst has no NUL within size? Nothing is written. */
    memset(buf, 'Q', sizeof buf);
    CHECK_EQ(vs_strlcat(buf, "xyz", sizeof buf), 8 + 3);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(buf[i], 'Q');
    CHECK_EQ(vs_strlcat(buf, "xyz", 0), 3);
}

TEST(strlcpy_strlcat_random_vs_model)
{
    for (int iter = 0; iter < 20000; iter++) {
        size_t size = rnd_below(20);
        char *src = rand_str(rnd_below(25), "xyz");
        char *pre = rand_str(rnd_below(25), "pq");
        char *a = malloc(size + 1), *b = malloc(size + 1);
        memset(a, '#', size + 1);
        memset(b, '#', size + 1);
        if (size) {   /* a possibly-truncated prefix, maybe unterminated */
            size_t k = strlen(pre) < size ? strlen(pre) : size;
            memcpy(a, pre, k);
            memcpy(b, pre, k);
            if (k < size) {
                a[k] = 0;
                b[k] = 0;
            }
        }
        if (iter & 1)
            CHECK_EQ(vs_strlcat(a, src, size), model_strlcat(b, src, size));
        else
            CHECK_EQ(vs_strlcpy(a, src, size), model_strlcpy(b, src, size));
        CHECK_MEM(a, b, size + 1);
        free(src);
        free(pre);
        free(a);
        free(b);
    }
}
