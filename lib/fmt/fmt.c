/*
 * fmt: see fmt.h for the contract.
 *
 * Each specification is parsed completely (flags, width, precision, length,
 * conversion) before any argument is fetched, so an unknown conversion can
 * be printed verbatim without having consumed a `*` argument. Integers of
 * every length become a 64-bit magnitude plus a sign, and one routine lays
 * out  [spaces][sign or 0x][zeros][digits][spaces]  for all of them and %p.
 */
#include "fmt/fmt.h"

#include <stdbool.h>
#include <stdint.h>

#define FMT_INT_MAX 0x7fffffff

enum {
    F_LEFT = 1, /* - */
    F_PLUS = 2, /* + */
    F_SPACE = 4, /* space */
    F_ALT = 8,  /* # */
    F_ZERO = 16, /* 0 */
};

enum len { L_NONE, L_HH, L_H, L_L, L_LL, L_Z, L_T, L_J };

struct spec {
    unsigned flags;
    bool width_star, prec_star, has_prec;
    int width, prec;
    enum len len;
    char conv;
};

struct out {
    fmt_sink_fn *sink;
    void *ctx;
    size_t total;
};

static void emit(struct out *o, const char *s, size_t n)
{
    if (!n)
        return;
    if (o->sink)
        o->sink(o->ctx, s, n);
    o->total += n;
}

static void emit_fill(struct out *o, char c, size_t n)
{
    static const char spaces[64] = "                                "
                                   "                                ";
    static const char zeros[64] = "00000000000000000000000000000000"
                                  "00000000000000000000000000000000";
    const char *src = c == '0' ? zeros : spaces;
    while (n) {
        size_t k = n < sizeof spaces ? n : sizeof spaces;
        emit(o, src, k);
        n -= k;
    }
}

/* Decimal digits with saturation at INT_MAX; *p is left after them. */
static int parse_num(const char **p)
{
    int v = 0;
    while (**p >= '0' && **p <= '9') {
        int d = **p - '0';
        v = v > (FMT_INT_MAX - d) / 10 ? FMT_INT_MAX : v * 10 + d;
        (*p)++;
    }
    return v;
}

/* Parse the specification after '%'. Returns false when the conversion is
 * unknown (or the format ends inside it); *p then points just past the
 * last character that belongs to the verbatim copy. */
static bool parse_spec(const char **p, struct spec *s)
{
    const char *f = *p;
    *s = (struct spec){0};
    for (;; f++) {
        if (*f == '-')
            s->flags |= F_LEFT;
        else if (*f == '+')
            s->flags |= F_PLUS;
        else if (*f == ' ')
            s->flags |= F_SPACE;
        else if (*f == '#')
            s->flags |= F_ALT;
        else if (*f == '0')
            s->flags |= F_ZERO;
        else
            break;
    }
    if (*f == '*') {
        s->width_star = true;
        f++;
    } else {
        s->width = parse_num(&f);
    }
    if (*f == '.') {
        f++;
        s->has_prec = true;
        if (*f == '*') {
            s->prec_star = true;
            f++;
        } else {
            s->prec = parse_num(&f);
        }
    }
    switch (*f) {
    case 'h':
        s->len = f[1] == 'h' ? L_HH : L_H;
        f += s->len == L_HH ? 2 : 1;
        break;
    case 'l':
        s->len = f[1] == 'l' ? L_LL : L_L;
        f += s->len == L_LL ? 2 : 1;
        break;
    case 'z': s->len = L_Z; f++; break;
    case 't': s->len = L_T; f++; break;
    case 'j': s->len = L_J; f++; break;
    default: break;
    }
    s->conv = *f;
    switch (s->conv) {
    case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'p': case '%':
        *p = f + 1;
        return true;
    case 'c': case 's':
        *p = f + 1;
        return s->len != L_L;   /* %lc and %ls are wide: unsupported */
    case '\0':
        *p = f;
        return false;
    default:
        *p = f + 1;
        return false;
    }
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

/* Lay out one integer. `sign` is "", "-", "+", " ", "0x" or "0X". */
static void put_int(struct out *o, const struct spec *s, uint64_t mag, unsigned base,
                    bool upper, const char *sign)
{
    const char *digs = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24];   /* 2^64 in octal is 22 digits */
    int nd = 0;
    if (!(s->has_prec && s->prec == 0 && mag == 0)) {
        do {
            buf[sizeof buf - 1 - nd++] = digs[mag % base];
            mag /= base;
        } while (mag);
    }
    int nsign = 0;
    while (sign[nsign])
        nsign++;
    int64_t zeros = s->has_prec ? imax(s->prec - nd, 0) : 0;
    /* %#o: the first digit printed must be 0. */
    if (base == 8 && (s->flags & F_ALT) && zeros == 0 &&
        (nd == 0 || buf[sizeof buf - nd] != '0'))
        zeros = 1;
    /* Computed in 64 bits: prec + sign can exceed INT_MAX. */
    int64_t body = (int64_t)nsign + zeros + nd;
    int64_t pad = s->width > body ? s->width - body : 0;
    if ((s->flags & F_ZERO) && !(s->flags & F_LEFT) && !s->has_prec) {
        zeros += pad;
        pad = 0;
    }
    if (!(s->flags & F_LEFT))
        emit_fill(o, ' ', (size_t)pad);
    emit(o, sign, (size_t)nsign);
    emit_fill(o, '0', (size_t)zeros);
    emit(o, buf + sizeof buf - nd, (size_t)nd);
    if (s->flags & F_LEFT)
        emit_fill(o, ' ', (size_t)pad);
}

/* A string of n bytes, padded to the width. */
static void put_padded(struct out *o, const struct spec *s, const char *str, size_t n)
{
    size_t pad = (size_t)s->width > n ? (size_t)s->width - n : 0;
    if (!(s->flags & F_LEFT))
        emit_fill(o, ' ', pad);
    emit(o, str, n);
    if (s->flags & F_LEFT)
        emit_fill(o, ' ', pad);
}

static int64_t arg_signed(const struct spec *s, va_list *ap)
{
    switch (s->len) {
    case L_HH: return (signed char)va_arg(*ap, int);
    case L_H: return (short)va_arg(*ap, int);
    case L_L: return va_arg(*ap, long);
    case L_LL: return va_arg(*ap, long long);
    case L_Z: return va_arg(*ap, long);   /* the signed type of size_t */
    case L_T: return va_arg(*ap, ptrdiff_t);
    case L_J: return va_arg(*ap, long long);   /* intmax_t on LP64 */
    default: return va_arg(*ap, int);
    }
}

static uint64_t arg_unsigned(const struct spec *s, va_list *ap)
{
    switch (s->len) {
    case L_HH: return (unsigned char)va_arg(*ap, unsigned);
    case L_H: return (unsigned short)va_arg(*ap, unsigned);
    case L_L: return va_arg(*ap, unsigned long);
    case L_LL: return va_arg(*ap, unsigned long long);
    case L_Z: return va_arg(*ap, size_t);
    case L_T: return (uint64_t)va_arg(*ap, ptrdiff_t);
    case L_J: return va_arg(*ap, unsigned long long);
    default: return va_arg(*ap, unsigned);
    }
}

_Static_assert(sizeof(long) == 8 && sizeof(long long) == 8 && sizeof(size_t) == 8 &&
                   sizeof(ptrdiff_t) == 8 && sizeof(void *) == 8,
               "fmt assumes LP64");

static void convert(struct out *o, struct spec *s, va_list *ap)
{
    if (s->width_star) {
        int w = va_arg(*ap, int);
        if (w < 0) {
            s->flags |= F_LEFT;
            w = w == -FMT_INT_MAX - 1 ? FMT_INT_MAX : -w;
        }
        s->width = w;
    }
    if (s->prec_star) {
        int pr = va_arg(*ap, int);
        if (pr < 0)
            s->has_prec = false;
        else
            s->prec = pr;
    }
    if (s->flags & F_PLUS)
        s->flags &= ~(unsigned)F_SPACE;

    const char *plus = (s->flags & F_PLUS) ? "+" : (s->flags & F_SPACE) ? " " : "";
    switch (s->conv) {
    case 'd':
    case 'i': {
        int64_t v = arg_signed(s, ap);
        uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
        put_int(o, s, mag, 10, false, v < 0 ? "-" : plus);
        break;
    }
    case 'u':
        put_int(o, s, arg_unsigned(s, ap), 10, false, "");
        break;
    case 'o':
        put_int(o, s, arg_unsigned(s, ap), 8, false, "");
        break;
    case 'x':
    case 'X': {
        uint64_t v = arg_unsigned(s, ap);
        const char *pre = "";
        if ((s->flags & F_ALT) && v)
            pre = s->conv == 'X' ? "0X" : "0x";
        put_int(o, s, v, 16, s->conv == 'X', pre);
        break;
    }
    case 'p': {
        uintptr_t v = (uintptr_t)va_arg(*ap, void *);
        if (!v) {
            put_padded(o, s, "(nil)", 5);
            break;
        }
        const char *pre = (s->flags & F_PLUS) ? "+0x" : (s->flags & F_SPACE) ? " 0x" : "0x";
        put_int(o, s, v, 16, false, pre);
        break;
    }
    case 'c': {
        char c = (char)va_arg(*ap, int);
        put_padded(o, s, &c, 1);
        break;
    }
    case 's': {
        const char *str = va_arg(*ap, const char *);
        if (!str)
            str = "(null)";
        size_t n = 0;
        size_t max = s->has_prec ? (size_t)s->prec : (size_t)-1;
        while (n < max && str[n])
            n++;
        put_padded(o, s, str, n);
        break;
    }
    default: /* '%' */
        emit(o, "%", 1);
        break;
    }
}

int fmt_vformat(fmt_sink_fn *sink, void *ctx, const char *fmt, va_list ap)
{
    struct out o = {sink, ctx, 0};
    va_list args;
    if (!fmt)
        return 0;
    va_copy(args, ap);
    while (*fmt) {
        const char *lit = fmt;
        while (*fmt && *fmt != '%')
            fmt++;
        emit(&o, lit, (size_t)(fmt - lit));
        if (!*fmt)
            break;
        const char *start = fmt++;
        struct spec s;
        if (parse_spec(&fmt, &s))
            convert(&o, &s, &args);
        else
            emit(&o, start, (size_t)(fmt - start));
    }
    va_end(args);
    return o.total > FMT_INT_MAX ? -1 : (int)o.total;
}

int fmt_format(fmt_sink_fn *sink, void *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = fmt_vformat(sink, ctx, fmt, ap);
    va_end(ap);
    return r;
}

struct buf_sink {
    char *buf;
    size_t room;   /* bytes we may still store, the NUL excluded */
    size_t pos;
};

static void buf_put(void *ctx, const char *s, size_t n)
{
    struct buf_sink *b = ctx;
    size_t k = n < b->room ? n : b->room;
    for (size_t i = 0; i < k; i++)
        b->buf[b->pos + i] = s[i];
    b->pos += k;
    b->room -= k;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    if (!buf)
        size = 0;
    struct buf_sink b = {buf, size ? size - 1 : 0, 0};
    int r = fmt_vformat(buf_put, &b, fmt, ap);
    if (size)
        buf[b.pos] = 0;
    return r;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return r;
}
