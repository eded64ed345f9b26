/*
 * os_glue.c: what wolfSSL asks of the OS in the freestanding build
 * (user_settings.h, VECTRA_FREESTANDING), and a Task that links it all.
 *
 * Randomness: rt_random at level standard (schema/random.capnp): a TLS
 * key share and nonce need cryptographic bytes, not long-lived ones; a
 * refusal fails the handshake rather than using weaker bytes.
 * Time: Vectra has no wall clock yet (v_clock is time since boot), so
 * vectra_tls_time returns 0 and certificate validity cannot be checked:
 * wolfSSL then refuses every certificate as not yet valid, which is the
 * safe side. A clock service with the real date is what is left.
 *
 * C library: wolfSSL needs two functions the runtime lacks, strncpy (for
 * error strings) and strcasecmp (for names); they are defined here,
 * where only wolfSSL's Task links them.
 *
 * main() is the link check only ($(B)/check/tls-user.elf): it connects
 * over a stream whose callbacks say "closed", the place where the socket
 * library's byte stream will go.
 */
#include <stdio.h>
#include <string.h>

#include "randomc.h"
#include "rt.h"
#include "vtls.h"

int vectra_tls_random_block(unsigned char *out, unsigned int n);
long vectra_tls_time(long *t);

int vectra_tls_random_block(unsigned char *out, unsigned int n)
{
    return rt_random(RT_RANDOM_STANDARD, out, n, 10000000) ? -1 : 0;
}

long vectra_tls_time(long *t)
{
    if (t)
        *t = 0;
    return 0;
}

char *strncpy(char *dst, const char *src, size_t n);
int strcasecmp(const char *a, const char *b);

char *strncpy(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    for (; i < n && src[i]; i++)
        dst[i] = src[i];
    for (; i < n; i++)
        dst[i] = 0;
    return dst;
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

int strcasecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int d = lower((unsigned char)*a) - lower((unsigned char)*b);
        if (d || !*a)
            return d;
    }
}

static long closed_read(void *ctx, uint8_t *buf, size_t n)
{
    (void)ctx, (void)buf, (void)n;
    return 0;
}

static long closed_write(void *ctx, const uint8_t *buf, size_t n)
{
    (void)ctx, (void)buf;
    return (long)n;
}

int main(void)
{
    static const uint8_t no_anchor[] = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
    struct vtls_stream s = {0, closed_read, closed_write};
    struct vtls *t;
    int lib;
    int e = vtls_connect(&t, &s, no_anchor, sizeof no_anchor, "localhost", &lib);
    printf("tls-user: %s (%d)\n", vtls_errname(e), lib);
    return e == 0;
}
