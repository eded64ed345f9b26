/*
 * test_fmt: lib/fmt against glibc's snprintf.
 *
 * The differential cases generate every combination of flags, width,
 * precision (digits and `*`), length modifier and integer conversion, and
 * run each with edge values of its type; strings, characters and pointers
 * get the same treatment. Then truncation, the sink contract, and hostile
 * formats: unknown conversions, formats ending mid-specification, %n,
 * huge widths and random garbage.
 */
#include "fmt/fmt.h"
#include "vtest.h"
#include "vtest_util.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* Formats here are built at run time on purpose. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat-truncation"

enum { OUT = 256 };

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void) { return vtest_xorshift64(&rng_state); }

static char ours[OUT], theirs[OUT];
static int r_ours, r_theirs;
static long compared;

static void compare(const char *f, const char *what)
{
    compared++;
    if (r_ours != r_theirs || r_ours < 0 ||
        memcmp(ours, theirs, (size_t)(r_ours < OUT ? r_ours + 1 : OUT)) != 0)
        vtest_fail(__FILE__, __LINE__, "fmt \"%s\" (%s): ours %d \"%s\", glibc %d \"%s\"", f,
                   what, r_ours, ours, r_theirs, theirs);
}

/* Run one format through both, with 0-2 leading `*` ints then the value. */
#define BOTH(f, ...)                                                      \
    do {                                                                  \
        r_ours = fmt_snprintf(ours, OUT, f, __VA_ARGS__);                 \
        r_theirs = snprintf(theirs, OUT, f, __VA_ARGS__);                 \
    } while (0)

static void run_int(const char *f, int nstar, int s1, int s2, bool wide, long long v)
{
    int iv = (int)v;
    switch (nstar * 2 + wide) {
    case 0: BOTH(f, iv); break;
    case 1: BOTH(f, v); break;
    case 2: BOTH(f, s1, iv); break;
    case 3: BOTH(f, s1, v); break;
    case 4: BOTH(f, s1, s2, iv); break;
    default: BOTH(f, s1, s2, v); break;
    }
    char what[96];
    snprintf(what, sizeof what, "value %lld, stars %d %d", v, s1, s2);
    compare(f, what);
}

static const long long int_values[] = {
    0, 1, -1, 7, 8, 9, 10, 15, 16, 255, 256, -128, 127, -129, 32767, -32768, 65535, 65536,
    0x12345678, INT_MAX, INT_MIN, (long long)UINT_MAX, (long long)UINT_MAX + 1,
    LLONG_MAX, LLONG_MIN, -1234567890123ll, 01234567, 0xfedcba9876543210ll,
};
#define NVALUES (sizeof int_values / sizeof int_values[0])

static const char *const flag_sets[] = {"", "-", "+", " ", "#", "0"};

/* The flags of subset fm (bit b: flag_sets[b + 1]), in order, as a string. */
static void flags_of(unsigned fm, char flags[8])
{
    size_t nf = 0;
    for (int b = 0; b < 5; b++)
        if (fm & (1u << b))
            flags[nf++] = flag_sets[b + 1][0];
    flags[nf] = 0;
}
static const char *const widths[] = {"", "1", "5", "12", "25", "*"};
static const char *const precs[] = {"", ".", ".0", ".1", ".3", ".15", ".22", ".*"};
static const char *const lens[] = {"", "hh", "h", "l", "ll", "z", "t", "j"};
static const int star_widths[] = {-8, 0, 3, 20, -1};
static const int star_precs[] = {-1, 0, 2, 10, -5};

TEST(integers_every_flag_width_precision_length_vs_glibc)
{
    static const char convs[] = "diuxXo";
    unsigned k = 0;
    for (const char *c = convs; *c; c++) {
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            bool wide = li >= 3;
            for (unsigned fm = 0; fm < 32; fm++) {   /* every subset of - + space # 0 */
                char flags[8];
                flags_of(fm, flags);
                for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
                    for (size_t pi = 0; pi < sizeof precs / sizeof precs[0]; pi++) {
                        char f[40];
                        snprintf(f, sizeof f, "<%%%s%s%s%s%c>", flags, widths[wi], precs[pi],
                                 lens[li], *c);
                        bool sw = widths[wi][0] == '*', sp = precs[pi][0] && precs[pi][1] == '*';
                        /* A rotating sample of values keeps the run short
                         * while every value meets every conversion. */
                        for (int j = 0; j < 6; j++, k++) {
                            long long v = int_values[(k * 7 + (unsigned)j) % NVALUES];
                            int s1 = sw ? star_widths[k % 5] : sp ? star_precs[k % 5] : 0;
                            int s2 = sp ? star_precs[(k / 5) % 5] : 0;
                            run_int(f, sw + sp, s1, s2, wide, v);
                        }
                    }
                }
            }
        }
    }
    CHECK(compared > 100000);
}

TEST(integers_random_values_vs_glibc)
{
    static const char *const fs[] = {"%d", "%lld", "%llu", "%llx", "%#llo", "%+.5lld",
                                     "%-20llX|", "%020lld", "% hd", "%hhu", "%zx", "%jd",
                                     "%td", "%#hhx"};
    for (int i = 0; i < 100000; i++) {
        const char *f = fs[i % (sizeof fs / sizeof fs[0])];
        long long v = (long long)(rnd() >> (rnd() % 64));
        bool wide = strstr(f, "ll") || strchr(f, 'z') || strchr(f, 'j') || strchr(f, 't');
        run_int(f, 0, 0, 0, wide, (i & 1) ? -v : v);
    }
}

TEST(strings_chars_and_pointers_vs_glibc)
{
    static const char *const strs[] = {"", "a", "hello", "hello, world: a longer one",
                                       "\xff\x80 high bytes"};
    static void *const ptrs[] = {(void *)0x1234, (void *)0xdeadbeefcafe, (void *)~0ull,
                                 (void *)1, NULL};
    static const int chars[] = {'a', 'Z', 0xff, 'a' + 256, -1, ' '};
    unsigned k = 0;
    for (unsigned fm = 0; fm < 32; fm++) {
        char flags[8];
        flags_of(fm, flags);
        for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
            for (size_t pi = 0; pi < sizeof precs / sizeof precs[0]; pi++) {
                bool sw = widths[wi][0] == '*', sp = precs[pi][0] && precs[pi][1] == '*';
                int s1 = sw ? star_widths[k % 5] : sp ? star_precs[k % 5] : 0;
                int s2 = sp ? star_precs[(k / 5) % 5] : 0;
                k++;
                for (const char *c = "scp"; *c; c++) {
                    char f[40];
                    snprintf(f, sizeof f, "[%%%s%s%s%c]", flags, widths[wi], precs[pi], *c);
                    for (int j = 0; j < 5; j++) {
                        switch (*c) {
                        case 's':
                            if (sw && sp) BOTH(f, s1, s2, strs[j]);
                            else if (sw || sp) BOTH(f, s1, strs[j]);
                            else BOTH(f, strs[j]);
                            break;
                        case 'c':
                            if (sw && sp) BOTH(f, s1, s2, chars[j]);
                            else if (sw || sp) BOTH(f, s1, chars[j]);
                            else BOTH(f, chars[j]);
                            break;
                        default:
                            if (sw && sp) BOTH(f, s1, s2, ptrs[j]);
                            else if (sw || sp) BOTH(f, s1, ptrs[j]);
                            else BOTH(f, ptrs[j]);
                            break;
                        }
                        char what[64];
                        snprintf(what, sizeof what, "case %d, stars %d %d", j, s1, s2);
                        compare(f, what);
                    }
                }
            }
        }
    }
}

TEST(mixed_formats_and_percent_vs_glibc)
{
    BOTH("%s=%d (%#x) %c%%|%-3c|", "x", -42, 255u, 'q', 'r');
    compare("mixed", "1");
    /* glibc ignores flags and width on %% too (ASan's printf interceptor
     * warns about the form, so it is checked against a constant). */
    char b[16];
    CHECK_EQ(fmt_snprintf(b, sizeof b, "%5%|%-05%|%.3%"), 5);
    CHECK_STR(b, "%|%|%");
    BOTH("%%%d%%", 5);
    compare("%%%d%%", "2");
    BOTH("no conversions at all", 0);
    compare("plain", "3");
    BOTH("%hhd %hd %hhu %hu", 300, 70000, 300, 70000);
    compare("narrowing", "4");
    BOTH("%5s|%-5s|%.1s|%c", "ab", "cd", "ef", 0);   /* %c of 0 writes a NUL */
    compare("nul char", "5");
    CHECK_EQ(r_ours, 15);
}

TEST(null_string_prints_null_cut_by_precision)
{
    char b[32];
    CHECK_EQ(fmt_snprintf(b, sizeof b, "%s", (char *)NULL), 6);
    CHECK_STR(b, "(null)");
    CHECK_EQ(fmt_snprintf(b, sizeof b, "[%8s]", (char *)NULL), 10);
    CHECK_STR(b, "[  (null)]");
    CHECK_EQ(fmt_snprintf(b, sizeof b, "%.3s", (char *)NULL), 3);
    CHECK_STR(b, "(nu");
}

TEST(string_precision_reads_no_further_than_needed)
{
    /* What if %.Ns gets an array without a NUL? Only N bytes are read
     * (ASan would catch a read of the byte after the allocation). */
    char *raw = malloc(4);
    memcpy(raw, "abcd", 4);
    char b[16];
    CHECK_EQ(fmt_snprintf(b, sizeof b, "%.4s|%.*s", raw, 2, raw), 7);
    CHECK_STR(b, "abcd|ab");
    free(raw);
}

TEST(truncation_every_size_terminates_and_returns_full_length)
{
    static const char *const fs[] = {"hello %d world %s", "%-10x|%5c", "%020lld"};
    for (size_t fi = 0; fi < 3; fi++) {
        char full[128];
        int n = fmt_snprintf(full, sizeof full, fs[fi], 12345, "tail");
        CHECK(n > 0 && n < (int)sizeof full);
        for (size_t size = 0; size <= (size_t)n + 3; size++) {
            char b[160];
            memset(b, '#', sizeof b);
            CHECK_EQ(fmt_snprintf(b, size, fs[fi], 12345, "tail"), n);
            if (size == 0) {
                CHECK_EQ(b[0], '#');
                continue;
            }
            size_t w = size - 1 < (size_t)n ? size - 1 : (size_t)n;
            CHECK_MEM(b, full, w);
            CHECK_EQ(b[w], 0);
            for (size_t i = w + 1; i < sizeof b; i++)
                CHECK_EQ(b[i], '#');
        }
    }
}

TEST(null_buffer_with_size_zero_counts_only)
{
    CHECK_EQ(fmt_snprintf(NULL, 0, "%d-%s", 1234, "abc"), 8);
    CHECK_EQ(fmt_snprintf(NULL, 99, "%d", 5), 1);   /* NULL buf: treated as size 0 */
}

struct rec {
    char buf[256];
    size_t len;
    int calls, empty_calls;
};

static void rec_sink(void *ctx, const char *s, size_t n)
{
    struct rec *r = ctx;
    r->calls++;
    if (n == 0)
        r->empty_calls++;
    for (size_t i = 0; i < n && r->len < sizeof r->buf - 1; i++)
        r->buf[r->len++] = s[i];
    r->buf[r->len] = 0;
}

TEST(sink_receives_output_in_order_never_empty)
{
    struct rec r = {0};
    int n = fmt_format(rec_sink, &r, "a%sb%5dc%-3sd%%%.0de", "", 42, "x", 0);
    CHECK_EQ(n, (int)r.len);
    CHECK_STR(r.buf, "ab   42cx  d%e");
    CHECK_EQ(r.empty_calls, 0);
    CHECK_EQ(fmt_format(NULL, NULL, "%d", 123), 3);   /* a NULL sink only counts */
}

static int vfmt(char *b, size_t n, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int r = fmt_vsnprintf(b, n, f, ap);
    va_end(ap);
    return r;
}

TEST(vsnprintf_leaves_callers_va_list_usable_semantics)
{
    char b[32];
    CHECK_EQ(vfmt(b, sizeof b, "%d %s %c", 7, "seven", '7'), 9);
    CHECK_STR(b, "7 seven 7");
}

struct unknown_case {
    const char *fmt;
    const char *want;
};

TEST(unknown_conversions_print_verbatim_and_consume_nothing)
{
    static const struct unknown_case cases[] = {
        {"%y|%d", "%y|7"},
        {"%5y|%d", "%5y|7"},
        {"%-5.3y|%d", "%-5.3y|7"},
        {"%*.*y|%d", "%*.*y|7"},      /* the stars took no argument */
        {"%f|%d", "%f|7"},            /* no floating point */
        {"%lc|%d", "%lc|7"},          /* no wide characters */
        {"%ls|%d", "%ls|7"},
        {"%'d|%d", "%'d|7"},          /* ' is not a flag here: "%'" is unknown */
        {"%1$d|%d", "%1$d|7"},        /* no positional arguments */
        {"%L|%d", "%L|7"},
        {"%\x80|%d", "%\x80|7"},
        {"%d|%", "7|%"},              /* ends right after % */
        {"%d|%5", "7|%5"},            /* ends mid-specification */
        {"%d|%-0#.*", "7|%-0#.*"},
        {"%d|%ll", "7|%ll"},
        {"%d|%.", "7|%."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char b[64];
        int n = fmt_snprintf(b, sizeof b, cases[i].fmt, 7, 8, 9);
        CHECK_STR(b, cases[i].want);
        CHECK_EQ(n, (int)strlen(cases[i].want));
    }
}

TEST(percent_n_is_not_supported_and_writes_nothing)
{
    int target = 12345;
    char b[32];
    CHECK_EQ(fmt_snprintf(b, sizeof b, "ab%n|", &target), 5);
    CHECK_STR(b, "ab%n|");
    CHECK_EQ(target, 12345);
    CHECK_EQ(fmt_snprintf(b, sizeof b, "%hhn%zn"), 7);
    CHECK_STR(b, "%hhn%zn");
}

TEST(null_format_produces_nothing)
{
    char b[4] = "xyz";
    CHECK_EQ(fmt_snprintf(b, sizeof b, NULL), 0);
    CHECK_EQ(b[0], 0);
}

TEST(extreme_star_values)
{
    char b[64];
    /* INT_MIN as a `*` width: left-justify, width saturates at INT_MAX. */
    CHECK_EQ(fmt_snprintf(b, 8, "%*d", INT_MIN, 1), INT_MAX);
    CHECK_STR(b, "1      ");
    /* Huge `*` precision on an integer: that many zeros. */
    CHECK_EQ(fmt_snprintf(b, sizeof b, "%.*d", 40, -3), 41);
    CHECK_EQ(b[0], '-');
    CHECK_EQ(b[40], '3');
    /* A negative `*` precision means none. */
    CHECK_EQ(fmt_snprintf(b, sizeof b, "%.*s|%.*d", -1, "abc", INT_MIN, 0), 5);
    CHECK_STR(b, "abc|0");
}

TEST(width_overflowing_int_saturates_and_total_past_int_max_is_minus_one)
{
    char b[16];
    /* What if the width has more digits than an int holds? It saturates. */
    CHECK_EQ(fmt_snprintf(b, sizeof b, "%99999999999999999999d", 1), INT_MAX);
    CHECK_EQ(fmt_snprintf(b, sizeof b, "%.99999999999999999999d", 1), INT_MAX);
    /* Output longer than INT_MAX: C99 says negative, and it is -1. */
    CHECK_EQ(fmt_snprintf(b, sizeof b, "%2147483647d%d", 1, 2), -1);
    CHECK_EQ(strlen(b), sizeof b - 1);
}

/* A random format from the alphabet, with runs of digits kept short so
 * widths stay small and the run stays fast. */
static void garbage_format(char *f, size_t cap, const char *alphabet, size_t alen)
{
    size_t n = 1 + rnd() % (cap - 1);
    int run = 0;
    for (size_t j = 0; j < n - 1; j++) {
        char c = alphabet[rnd() % alen];
        run = (c >= '0' && c <= '9') ? run + 1 : 0;
        if (run > 3)
            c = 'd';
        f[j] = c;
    }
    f[n - 1] = 0;
}

static void check_garbage_result(const char *b, size_t bsize, size_t size, int r, int c)
{
    CHECK_EQ(r, c);
    CHECK(r >= 0);
    if (size) {
        size_t w = (size_t)r < size - 1 ? (size_t)r : size - 1;
        CHECK_EQ(b[w], 0);
    }
    for (size_t j = size; j < bsize; j++)
        CHECK_EQ(b[j], '#');
}

TEST(random_garbage_formats_with_string_arguments)
{
    /* No `*` (it would read a pointer as a width) and no n. */
    static const char alphabet[] = "%%%%%-+ #0123456789.hhllzjtLqdiuxXocsp%y!\x80\xff";
    static const char *arg = "arg";
    for (int i = 0; i < 200000; i++) {
        char f[24], b[48];
        garbage_format(f, sizeof f, alphabet, sizeof alphabet - 1);
        size_t size = rnd() % 40;
        memset(b, '#', sizeof b);
        /* Every argument is a valid string, so %s, %c, %d... all read
         * something harmless; 16 is more than 23 characters can consume. */
        int r = fmt_snprintf(b, size, f, arg, arg, arg, arg, arg, arg, arg, arg, arg, arg, arg,
                             arg, arg, arg, arg, arg);
        int c = fmt_format(NULL, NULL, f, arg, arg, arg, arg, arg, arg, arg, arg, arg, arg, arg,
                           arg, arg, arg, arg, arg);
        check_garbage_result(b, sizeof b, size, r, c);
    }
}

TEST(random_garbage_formats_with_int_arguments_and_stars)
{
    /* With `*`, but no s or n: every argument is a small int. */
    static const char alphabet[] = "%%%%%-+ #0123456789.**hhllzjtLqdiuxXocp%y!\x80\xff";
    for (int i = 0; i < 200000; i++) {
        char f[24], b[48];
        garbage_format(f, sizeof f, alphabet, sizeof alphabet - 1);
        size_t size = rnd() % 40;
        memset(b, '#', sizeof b);
        int r = fmt_snprintf(b, size, f, 3, -4, 5, 300, -1, 2, 1, 0, 7, 8, 9, -10, 11, 12, 13,
                             14, 15, 16, 17, 18, 19, 20, 21, 22);
        int c = fmt_format(NULL, NULL, f, 3, -4, 5, 300, -1, 2, 1, 0, 7, 8, 9, -10, 11, 12, 13,
                           14, 15, 16, 17, 18, 19, 20, 21, 22);
        check_garbage_result(b, sizeof b, size, r, c);
    }
}
