/*
 * test_strconv: sc_strtoull / sc_strtoll against glibc's strtoull / strtoll
 * (value, end pointer, ERANGE) over hand-picked edges, every base, the
 * numbers around 2^63 and 2^64 in every base, and random strings; then the
 * strict sc_parse_u64 against a table and against strtoull on fields that
 * both accept.
 */
#include "strconv/strconv.h"
#include "vtest.h"
#include "vtest_util.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

static uint64_t rng_state = 0x853c49e6748fea9bull;

static uint64_t rnd(void) { return vtest_xorshift64(&rng_state); }

static long compared;

/* Compare both functions with glibc on one (string, base). */
static void diff_one(const char *s, int base)
{
    char *e1, *e2;
    enum sc_err err;
    char what[160];
    snprintf(what, sizeof what, "\"%.100s\" base %d", s, base);
    compared++;

    errno = 0;
    unsigned long long g = strtoull(s, &e2, base);
    int gerr = errno;
    unsigned long long v = sc_strtoull(s, &e1, base, &err);
    if (v != g || e1 != e2 || (gerr == ERANGE) != (err == SC_ERANGE))
        vtest_fail(__FILE__, __LINE__, "strtoull %s: ours %llu end %td err %d, glibc %llu end %td errno %d",
                   what, v, e1 - s, err, g, e2 - s, gerr);
    if (err == SC_EEMPTY && (v != 0 || e1 != s))
        vtest_fail(__FILE__, __LINE__, "strtoull %s: empty but moved", what);

    errno = 0;
    long long gs = strtoll(s, &e2, base);
    gerr = errno;
    long long vs = sc_strtoll(s, &e1, base, &err);
    if (vs != gs || e1 != e2 || (gerr == ERANGE) != (err == SC_ERANGE))
        vtest_fail(__FILE__, __LINE__, "strtoll %s: ours %lld end %td err %d, glibc %lld end %td errno %d",
                   what, vs, e1 - s, err, gs, e2 - s, gerr);
}

static const char *const edge_strings[] = {
    "", " ", "+", "-", "+-1", "-+1", " \t\n\v\f\r42", "\x1c" "5", "0", "00", "-0", "+0",
    "0x", "0X", "0x1", "0XaBc", "0xg", " 0x", "-0x10", "+0x", "0x0x1", "08", "0789", "017",
    "1e5", "12abc", "  -  3", "z", "Z", "zz", "0b101", "1_000", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
    "18446744073709551615", "18446744073709551616", "-18446744073709551615",
    "-18446744073709551616", "99999999999999999999999999999999999999x",
    "-99999999999999999999999999999999999999", "0xffffffffffffffff", "0x10000000000000000",
    "0x7fffffffffffffff", "0x8000000000000000", "-0x8000000000000000", "-0x8000000000000001",
    "01777777777777777777777", "02000000000000000000000", "1777777777777777777777",
    "\xff" "1", "1\xff", "  +0000000000000000000000000000000000000000000000001",
};

TEST(edges_every_base_match_glibc)
{
    for (size_t i = 0; i < sizeof edge_strings / sizeof edge_strings[0]; i++)
        for (int base = 0; base <= 36; base++)
            if (base != 1)
                diff_one(edge_strings[i], base);
}

/* Render v in base b (lower or upper case letters). */
static void render(char *out, uint64_t v, unsigned b, bool upper)
{
    char tmp[80];
    int n = 0;
    const char *d = upper ? "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                          : "0123456789abcdefghijklmnopqrstuvwxyz";
    do {
        tmp[n++] = d[v % b];
        v /= b;
    } while (v);
    while (n)
        *out++ = tmp[--n];
    *out = 0;
}

TEST(limits_in_every_base_match_glibc)
{
    static const uint64_t vals[] = {UINT64_MAX, UINT64_MAX - 1, (uint64_t)1 << 63,
                                    ((uint64_t)1 << 63) - 1, ((uint64_t)1 << 63) + 1,
                                    UINT64_MAX / 36, 0, 1};
    for (int base = 2; base <= 36; base++) {
        for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
            char num[80], s[100];
            render(num, vals[i], (unsigned)base, i & 1);
            static const char *const pre[] = {"", "-", "+", " -"};
            for (int p = 0; p < 4; p++) {
                snprintf(s, sizeof s, "%s%s", pre[p], num);
                diff_one(s, base);
                snprintf(s, sizeof s, "%s%s0", pre[p], num);   /* times base: overflows */
                diff_one(s, base);
                snprintf(s, sizeof s, "%s%s!", pre[p], num);   /* trailing garbage */
                diff_one(s, base);
            }
        }
    }
}

TEST(random_strings_match_glibc)
{
    static const char alphabet[] = " \t+-0000111789aAfFxXzZ\x80!";
    for (int i = 0; i < 300000; i++) {
        char s[32];
        size_t n = rnd() % 30;
        for (size_t j = 0; j < n; j++)
            s[j] = alphabet[rnd() % (sizeof alphabet - 1)];
        s[n] = 0;
        static const int bases[] = {0, 0, 0, 10, 16, 8, 2, 36};
        int base = i % 5 == 0 ? 2 + (int)(rnd() % 35) : bases[rnd() % 8];
        diff_one(s, base);
    }
    CHECK(compared > 300000);
}

TEST(random_long_digit_strings_match_glibc)
{
    for (int i = 0; i < 100000; i++) {
        char s[48];
        size_t n = 1 + rnd() % 25;
        s[0] = "+- 0"[rnd() % 4];
        for (size_t j = 1; j < n; j++)
            s[j] = "0123456789abcdef"[rnd() % 16];
        s[n] = 0;
        static const int bases[] = {0, 10, 16, 8};
        diff_one(s, bases[rnd() % 4]);
    }
}

TEST(invalid_base_is_ebase_and_end_is_start)
{
    static const int bad[] = {1, 37, -1, 100, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *s = "  123";
        char *e = (char *)1;
        enum sc_err err = SC_OK;
        CHECK_EQ(sc_strtoull(s, &e, bad[i], &err), 0);
        CHECK(e == s);
        CHECK_EQ(err, SC_EBASE);
        e = (char *)1;
        CHECK_EQ(sc_strtoll(s, &e, bad[i], &err), 0);
        CHECK(e == s);
        CHECK_EQ(err, SC_EBASE);
        errno = 0;
        CHECK_EQ(strtoull(s, NULL, bad[i]), 0);   /* and glibc agrees on the value */
        CHECK_EQ(errno, EINVAL);
    }
}

TEST(errors_are_reported_and_out_params_optional)
{
    enum sc_err err = SC_ERANGE;
    CHECK_EQ(sc_strtoull("12", NULL, 10, &err), 12);
    CHECK_EQ(err, SC_OK);
    CHECK_EQ(sc_strtoull("  x", NULL, 10, &err), 0);
    CHECK_EQ(err, SC_EEMPTY);
    CHECK_EQ(sc_strtoll("-99999999999999999999", NULL, 10, &err), LLONG_MIN);
    CHECK_EQ(err, SC_ERANGE);
    CHECK_EQ(sc_strtoll("99999999999999999999", NULL, 10, &err), LLONG_MAX);
    CHECK_EQ(err, SC_ERANGE);
    CHECK(sc_strtoull("-1", NULL, 0, NULL) == ULLONG_MAX);
    /* What if s is NULL? It reads as "". */
    char *e = (char *)1;
    CHECK_EQ(sc_strtoull(NULL, &e, 10, &err), 0);
    CHECK_EQ(err, SC_EEMPTY);
    CHECK(e != NULL && *e == 0);
    CHECK_EQ(sc_strtoll(NULL, NULL, 0, &err), 0);
}

TEST(end_pointer_stops_exactly_after_digits_in_exact_buffer)
{
    /* An exactly-sized allocation: reading past the NUL would trip ASan. */
    static const char *const strs[] = {"0x", "0", "-", "0x1", "1", " ", "0X"};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        size_t n = strlen(strs[i]);
        char *s = malloc(n + 1);
        memcpy(s, strs[i], n + 1);
        for (int base = 0; base <= 36; base++)
            if (base != 1)
                diff_one(s, base);
        uint64_t v;
        (void)sc_parse_u64(s, n, 0, &v);
        free(s);
    }
}

struct parse_case {
    const char *s;
    int base;
    enum sc_err want;
    uint64_t value;
};

TEST(parse_u64_table)
{
    static const struct parse_case cases[] = {
        {"0", 0, SC_OK, 0},
        {"42", 0, SC_OK, 42},
        {"010", 0, SC_OK, 10},              /* no octal from a leading zero */
        {"0x1F", 0, SC_OK, 31},
        {"0XfF", 0, SC_OK, 255},
        {"0b101", 0, SC_OK, 5},
        {"0B11", 0, SC_OK, 3},
        {"0o777", 0, SC_OK, 511},
        {"0x", 0, SC_EEMPTY, 0},            /* a prefix with nothing after */
        {"0b", 0, SC_EEMPTY, 0},
        {"", 0, SC_EEMPTY, 0},
        {"ff", 16, SC_OK, 255},
        {"0xff", 16, SC_OK, 255},
        {"0b1", 16, SC_OK, 0xb1},           /* 0b is hex digits in base 16 */
        {"0x1", 10, SC_EDIGIT, 0},
        {"0x1", 36, SC_OK, 33 * 36 + 1},    /* and x is a digit in base 36 */
        {"777", 8, SC_OK, 511},
        {"0o17", 8, SC_OK, 15},
        {"8", 8, SC_EDIGIT, 0},
        {"1010", 2, SC_OK, 10},
        {"0b1010", 2, SC_OK, 10},
        {"2", 2, SC_EDIGIT, 0},
        {"zz", 36, SC_OK, 35 * 36 + 35},
        {"ZZ", 36, SC_OK, 35 * 36 + 35},
        {" 1", 0, SC_EDIGIT, 0},            /* no white space */
        {"1 ", 0, SC_EDIGIT, 0},
        {"+1", 0, SC_EDIGIT, 0},            /* no sign */
        {"-1", 0, SC_EDIGIT, 0},
        {"12a", 10, SC_EDIGIT, 0},
        {"18446744073709551615", 0, SC_OK, UINT64_MAX},
        {"18446744073709551616", 0, SC_ERANGE, 0},
        {"0xffffffffffffffff", 0, SC_OK, UINT64_MAX},
        {"0x10000000000000000", 0, SC_ERANGE, 0},
        {"0o1777777777777777777777", 0, SC_OK, UINT64_MAX},
        {"0o2000000000000000000000", 0, SC_ERANGE, 0},
        {"99999999999999999999x", 0, SC_EDIGIT, 0},   /* bad digit beats overflow */
        {"00000000000000000000000000000000000000001", 0, SC_OK, 1},
        {"1", 1, SC_EBASE, 0},
        {"1", 37, SC_EBASE, 0},
        {"1", -5, SC_EBASE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 0xdeadbeef;
        enum sc_err e = sc_parse_u64(cases[i].s, strlen(cases[i].s), cases[i].base, &v);
        if (e != cases[i].want)
            vtest_fail(__FILE__, __LINE__, "\"%s\" base %d: %s, want %s", cases[i].s,
                       cases[i].base, sc_strerror(e), sc_strerror(cases[i].want));
        if (e == SC_OK)
            CHECK(v == cases[i].value);
        else
            CHECK(v == 0xdeadbeef);   /* untouched on error */
    }
}

TEST(parse_u64_respects_len_and_embedded_nul)
{
    uint64_t v = 0;
    CHECK_EQ(sc_parse_u64("12345", 3, 10, &v), SC_OK);
    CHECK(v == 123);
    CHECK_EQ(sc_parse_u64("12\0" "3", 4, 10, &v), SC_EDIGIT);
    CHECK_EQ(sc_parse_u64("0x12", 1, 0, &v), SC_OK);   /* just "0" */
    CHECK(v == 0);
    CHECK_EQ(sc_parse_u64(NULL, 0, 10, &v), SC_EEMPTY);
    CHECK_EQ(sc_parse_u64(NULL, 5, 10, &v), SC_EEMPTY);
    CHECK_EQ(sc_parse_u64("7", 1, 10, NULL), SC_OK);    /* validate only */
    /* A field that is not NUL-terminated: only len bytes are read. */
    char *raw = malloc(3);
    memcpy(raw, "987", 3);
    CHECK_EQ(sc_parse_u64(raw, 3, 0, &v), SC_OK);
    CHECK(v == 987);
    free(raw);
}

TEST(parse_u64_agrees_with_strtoull_on_plain_fields)
{
    for (int i = 0; i < 200000; i++) {
        char s[32];
        int base = (int)(rnd() % 4) == 0 ? 16 : (int)(2 + rnd() % 35);
        size_t n = 1 + rnd() % 25;
        for (size_t j = 0; j < n; j++)
            s[j] = "0123456789abcdefghijklmnopqrstuvwxyz"[rnd() % (unsigned)base];
        s[n] = 0;
        if (base == 16 && s[0] == '0' && s[1] == 'x')
            continue;
        uint64_t v;
        enum sc_err e = sc_parse_u64(s, n, base, &v);
        errno = 0;
        char *end;
        unsigned long long g = strtoull(s, &end, base);
        if (base == 2 || base == 8 || base == 16) {
            /* Those bases accept their prefix; skip fields that start with one. */
            if (n >= 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'o' || s[1] == 'x'))
                continue;
        }
        CHECK(*end == 0);
        if (errno == ERANGE) {
            CHECK_EQ(e, SC_ERANGE);
        } else {
            CHECK_EQ(e, SC_OK);
            CHECK(v == g);
        }
    }
}

TEST(strerror_names_every_error)
{
    CHECK_STR(sc_strerror(SC_OK), "ok");
    CHECK_STR(sc_strerror(SC_EEMPTY), "empty");
    CHECK_STR(sc_strerror(SC_EDIGIT), "bad digit");
    CHECK_STR(sc_strerror(SC_ERANGE), "out of range");
    CHECK_STR(sc_strerror(SC_EBASE), "bad base");
    CHECK_STR(sc_strerror((enum sc_err)77), "?");
}
