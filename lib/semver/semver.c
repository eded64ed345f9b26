/*
 * semver.c: SemVer 2.0.0 precedence (see semver.h). A version is walked
 * as a sequence of identifiers separated by '.', the core's three ended
 * by '-' (pre-release follows) or '+' / NUL (the end: build metadata
 * never counts).
 */
#include "semver/semver.h"

#include <stdbool.h>
#include <stddef.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Where an identifier ends: '.', '+', NUL, and in the core also '-'. */
static bool ends_ident(char c, bool core)
{
    return !c || c == '.' || c == '+' || (core && c == '-');
}

static size_t ident_len(const char *s, bool core)
{
    size_t n = 0;
    while (!ends_ident(s[n], core))
        n++;
    return n;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return n > 0;
}

static int sign(int d) { return d < 0 ? -1 : d > 0; }

/* Two numbers as digit strings of any length: leading zeros skipped, the
 * longer is larger, then the first differing digit decides. */
static int cmp_number(const char *a, size_t la, const char *b, size_t lb)
{
    while (la > 1 && *a == '0')
        a++, la--;
    while (lb > 1 && *b == '0')
        b++, lb--;
    if (la != lb)
        return la < lb ? -1 : 1;
    for (size_t i = 0; i < la; i++)
        if (a[i] != b[i])
            return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
    return 0;
}

/* ASCII order, a prefix below what it prefixes. */
static int cmp_ascii(const char *a, size_t la, const char *b, size_t lb)
{
    for (size_t i = 0; i < la && i < lb; i++)
        if (a[i] != b[i])
            return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
    return la == lb ? 0 : la < lb ? -1 : 1;
}

/* One identifier each: numeric ones as numbers and below the others. */
static int cmp_ident(const char *a, size_t la, const char *b, size_t lb)
{
    bool na = all_digits(a, la), nb = all_digits(b, lb);
    if (na && nb)
        return cmp_number(a, la, b, lb);
    if (na != nb)
        return na ? -1 : 1;
    return cmp_ascii(a, la, b, lb);
}

/* Past one identifier and the '.' after it, if any. */
static const char *next(const char *s, size_t n)
{
    s += n;
    return *s == '.' ? s + 1 : s;
}

int semver_cmp(const char *a, const char *b)
{
    /* the core: three numbers (a missing one is empty, below any other) */
    for (int part = 0; part < 3; part++) {
        size_t la = ident_len(a, true), lb = ident_len(b, true);
        int d = cmp_ident(a, la, b, lb);
        if (d)
            return d;
        a = next(a, la);
        b = next(b, lb);
    }
    bool pa = *a == '-', pb = *b == '-';
    if (!pa || !pb)
        return pa == pb ? 0 : pa ? -1 : 1;    /* a pre-release is lower */
    a++, b++;
    for (;;) {
        bool ea = !*a || *a == '+', eb = !*b || *b == '+';
        if (ea || eb)
            return ea == eb ? 0 : ea ? -1 : 1;
        size_t la = ident_len(a, false), lb = ident_len(b, false);
        int d = cmp_ident(a, la, b, lb);
        if (d)
            return sign(d);
        a = next(a, la);
        b = next(b, lb);
    }
}
