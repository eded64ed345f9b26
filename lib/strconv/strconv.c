/*
 * strconv: see strconv.h for the contract.
 *
 * Both strto* functions share one scanner that produces a magnitude, a sign
 * and an overflow flag; each then applies its own type's range. The
 * magnitude saturates instead of wrapping, so "overflowed" is decided once,
 * digit by digit, with the usual (max - d) / base test.
 */
#include "strconv/strconv.h"

#include <stdbool.h>

/* Digit value of c in bases up to 36, or 99 for a non-digit. */
static unsigned digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;   /* ASCII lower case; non-letters stay non-letters */
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    return 99;
}

static bool is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool base_ok(int base)
{
    return base == 0 || (base >= 2 && base <= 36);
}

struct scan {
    uint64_t mag;   /* saturates at UINT64_MAX */
    bool neg, overflow, any;
    const char *end;
};

static void scan(const char *s, int base, struct scan *r)
{
    const char *p = s;
    *r = (struct scan){0};
    r->end = s;
    while (is_space(*p))
        p++;
    if (*p == '+' || *p == '-')
        r->neg = *p++ == '-';
    bool hex_prefix = p[0] == '0' && (p[1] | 0x20) == 'x' && digit((unsigned char)p[2]) < 16;
    if (base == 0)
        base = hex_prefix ? 16 : p[0] == '0' ? 8 : 10;
    if (base == 16 && hex_prefix)
        p += 2;
    for (unsigned d; (d = digit((unsigned char)*p)) < (unsigned)base; p++) {
        r->any = true;
        if (r->mag > (UINT64_MAX - d) / (unsigned)base) {
            r->overflow = true;
            r->mag = UINT64_MAX;
        } else {
            r->mag = r->mag * (unsigned)base + d;
        }
    }
    if (r->any)
        r->end = p;
}

static void set(char **end, const char *p, enum sc_err *err, enum sc_err e)
{
    if (end)
        *end = (char *)p;
    if (err)
        *err = e;
}

unsigned long long sc_strtoull(const char *s, char **end, int base, enum sc_err *err)
{
    struct scan r;
    if (!s)
        s = "";
    if (!base_ok(base)) {
        set(end, s, err, SC_EBASE);
        return 0;
    }
    scan(s, base, &r);
    if (!r.any) {
        set(end, s, err, SC_EEMPTY);
        return 0;
    }
    if (r.overflow) {
        set(end, r.end, err, SC_ERANGE);
        return UINT64_MAX;
    }
    set(end, r.end, err, SC_OK);
    return r.neg ? 0 - r.mag : r.mag;
}

long long sc_strtoll(const char *s, char **end, int base, enum sc_err *err)
{
    struct scan r;
    const uint64_t lim = (uint64_t)1 << 63;   /* |LLONG_MIN| */
    if (!s)
        s = "";
    if (!base_ok(base)) {
        set(end, s, err, SC_EBASE);
        return 0;
    }
    scan(s, base, &r);
    if (!r.any) {
        set(end, s, err, SC_EEMPTY);
        return 0;
    }
    if (r.overflow || r.mag > lim - !r.neg) {
        set(end, r.end, err, SC_ERANGE);
        return r.neg ? (long long)(-(int64_t)(lim - 1) - 1) : (long long)(lim - 1);
    }
    set(end, r.end, err, SC_OK);
    /* mag <= 2^63 here; negate in unsigned to avoid overflow at 2^63. */
    return r.neg ? (long long)(0 - r.mag) : (long long)r.mag;
}

enum sc_err sc_parse_u64(const char *s, size_t len, int base, uint64_t *out)
{
    if (!base_ok(base))
        return SC_EBASE;
    if (!s || len == 0)
        return SC_EEMPTY;
    const char *p = s, *e = s + len;
    char pre = len >= 2 && p[0] == '0' ? (char)(p[1] | 0x20) : 0;
    int want = pre == 'x' ? 16 : pre == 'o' ? 8 : pre == 'b' ? 2 : 0;
    if (want && (base == 0 || base == want)) {
        base = want;
        p += 2;
    } else if (base == 0) {
        base = 10;
    }
    if (p == e)
        return SC_EEMPTY;
    uint64_t v = 0;
    bool overflow = false;
    for (; p < e; p++) {
        unsigned d = digit((unsigned char)*p);
        if (d >= (unsigned)base)
            return SC_EDIGIT;
        if (v > (UINT64_MAX - d) / (unsigned)base)
            overflow = true;
        else
            v = v * (unsigned)base + d;
    }
    if (overflow)
        return SC_ERANGE;
    if (out)
        *out = v;
    return SC_OK;
}

const char *sc_strerror(enum sc_err e)
{
    switch (e) {
    case SC_OK: return "ok";
    case SC_EEMPTY: return "empty";
    case SC_EDIGIT: return "bad digit";
    case SC_ERANGE: return "out of range";
    case SC_EBASE: return "bad base";
    }
    return "?";
}
