/*
 * glue.c: the three libsodium utility functions the verify subset calls
 * (sodium/utils.c, which we do not build: it needs mlock, getpid and more
 * of a C library than a Vectra Task has). Same contracts as libsodium's:
 * constant-time comparison and zeroing the compiler may not drop.
 */
#include <stddef.h>

int sodium_memcmp(const void *b1, const void *b2, size_t len);
int sodium_is_zero(const unsigned char *n, size_t nlen);
void sodium_memzero(void *pnt, size_t len);

int sodium_memcmp(const void *b1, const void *b2, size_t len)
{
    const volatile unsigned char *a = b1, *b = b2;
    unsigned char d = 0;
    for (size_t i = 0; i < len; i++)
        d |= a[i] ^ b[i];
    return (1 & ((d - 1) >> 8)) - 1;
}

int sodium_is_zero(const unsigned char *n, size_t nlen)
{
    volatile unsigned char d = 0;
    for (size_t i = 0; i < nlen; i++)
        d |= n[i];
    return 1 & ((d - 1) >> 8);
}

void sodium_memzero(void *pnt, size_t len)
{
    volatile unsigned char *p = pnt;
    for (size_t i = 0; i < len; i++)
        p[i] = 0;
}
