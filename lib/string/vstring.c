/*
 * vstring: see vstring.h for the contract.
 *
 * The mem* functions move 8-byte words through the middle of the buffer
 * when source and destination share their alignment, and bytes otherwise;
 * that is most of the speed of a tuned routine for a tenth of the code.
 * Words are read and written through a may_alias type so the host build
 * (which has strict aliasing on) stays well defined.
 */
#include "string/vstring.h"

#include <stdint.h>

typedef uint64_t __attribute__((may_alias)) word_t;

#define WORD   sizeof(word_t)
#define ONES   0x0101010101010101ull

static inline int aligned(uintptr_t p)
{
    return (p & (WORD - 1)) == 0;
}

/* Forward copy; safe for overlap only when dst <= src (see vs_memmove). */
static void copy_fwd(unsigned char *d, const unsigned char *s, size_t n)
{
    if (n >= 2 * WORD && (((uintptr_t)d ^ (uintptr_t)s) & (WORD - 1)) == 0) {
        while (!aligned((uintptr_t)d)) {
            *d++ = *s++;
            n--;
        }
        for (; n >= WORD; n -= WORD, d += WORD, s += WORD)
            *(word_t *)d = *(const word_t *)s;
    }
    while (n--)
        *d++ = *s++;
}

/* Backward copy from the ends; safe for overlap when dst >= src. */
static void copy_bwd(unsigned char *d, const unsigned char *s, size_t n)
{
    d += n;
    s += n;
    if (n >= 2 * WORD && (((uintptr_t)d ^ (uintptr_t)s) & (WORD - 1)) == 0) {
        while (!aligned((uintptr_t)d)) {
            *--d = *--s;
            n--;
        }
        for (; n >= WORD; n -= WORD) {
            d -= WORD;
            s -= WORD;
            *(word_t *)d = *(const word_t *)s;
        }
    }
    while (n--)
        *--d = *--s;
}

void *vs_memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    copy_fwd(dst, src, n);
    return dst;
}

void *vs_memmove(void *dst, const void *src, size_t n)
{
    uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;
    if (d == s || n == 0)
        return dst;
    if (d < s || d - s >= n)
        copy_fwd(dst, src, n);
    else
        copy_bwd(dst, src, n);
    return dst;
}

void *vs_memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    unsigned char b = (unsigned char)c;
    if (n >= 2 * WORD) {
        word_t w = ONES * b;
        while (!aligned((uintptr_t)d)) {
            *d++ = b;
            n--;
        }
        for (; n >= WORD; n -= WORD, d += WORD)
            *(word_t *)d = w;
    }
    while (n--)
        *d++ = b;
    return dst;
}

int vs_memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    if (n >= 2 * WORD && (((uintptr_t)p ^ (uintptr_t)q) & (WORD - 1)) == 0) {
        while (!aligned((uintptr_t)p)) {
            if (*p != *q)
                return *p - *q;
            p++, q++, n--;
        }
        /* Skip equal words; the byte loop below finds the first difference. */
        while (n >= WORD && *(const word_t *)p == *(const word_t *)q)
            p += WORD, q += WORD, n -= WORD;
    }
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}

void *vs_memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    unsigned char b = (unsigned char)c;
    for (; n; n--, p++)
        if (*p == b)
            return (void *)p;
    return 0;
}

size_t vs_strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

size_t vs_strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int vs_strcmp(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a;
    const unsigned char *q = (const unsigned char *)b;
    while (*p && *p == *q)
        p++, q++;
    return *p - *q;
}

int vs_strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *p = (const unsigned char *)a;
    const unsigned char *q = (const unsigned char *)b;
    for (; n; n--, p++, q++) {
        if (*p != *q)
            return *p - *q;
        if (!*p)
            return 0;
    }
    return 0;
}

char *vs_strchr(const char *s, int c)
{
    char ch = (char)c;
    for (;; s++) {
        if (*s == ch)
            return (char *)s;
        if (!*s)
            return 0;
    }
}

char *vs_strrchr(const char *s, int c)
{
    char ch = (char)c;
    const char *last = 0;
    for (;; s++) {
        if (*s == ch)
            last = s;
        if (!*s)
            return (char *)last;
    }
}

char *vs_strstr(const char *hay, const char *needle)
{
    if (!*needle)
        return (char *)hay;
    for (; *hay; hay++) {
        size_t i = 0;
        while (needle[i] && hay[i] == needle[i])
            i++;
        if (!needle[i])
            return (char *)hay;
        if (!hay[i])
            return 0;   /* hay ran out first: no later start can match */
    }
    return 0;
}

size_t vs_strlcpy(char *restrict dst, const char *restrict src, size_t size)
{
    size_t len = vs_strlen(src);
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        copy_fwd((unsigned char *)dst, (const unsigned char *)src, n);
        dst[n] = 0;
    }
    return len;
}

size_t vs_strlcat(char *restrict dst, const char *restrict src, size_t size)
{
    size_t dlen = vs_strnlen(dst, size);
    if (dlen == size)
        return size + vs_strlen(src);
    return dlen + vs_strlcpy(dst + dlen, src, size - dlen);
}
