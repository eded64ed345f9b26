/*
 * tlsprobe: connect to a TLS server on 127.0.0.1 with vtls (TLS 1.3
 * only) and report what happened, for tests/tools/tls13.sh.
 *
 *   tlsprobe --port N --ca FILE [--name HOST] [--send TEXT]
 *
 * Success prints "tlsprobe: ok <version> <cipher>" and the first reply
 * line, exit 0; any refusal prints "tlsprobe: refused: <vtls error>
 * (wolfSSL <code>: <reason>)", exit 1; bad usage exits 2. It connects to
 * 127.0.0.1 only: there is no option for another address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>

#include "vtls.h"

static long sock_read(void *ctx, uint8_t *buf, size_t n)
{
    ssize_t r;
    do
        r = read(*(int *)ctx, buf, n);
    while (r < 0 && errno == EINTR);
    return r;
}

static long sock_write(void *ctx, const uint8_t *buf, size_t n)
{
    ssize_t r;
    do
        r = write(*(int *)ctx, buf, n);
    while (r < 0 && errno == EINTR);
    return r;
}

static int usage(const char *why)
{
    fprintf(stderr, "tlsprobe: %s\nusage: tlsprobe --port N --ca FILE [--name HOST] [--send TEXT]\n",
            why);
    return 2;
}

int main(int argc, char **argv)
{
    const char *ca = 0, *name = "localhost", *send = 0;
    long port = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            return usage("an option lacks its value");
        if (!strcmp(argv[i], "--port"))
            port = strtol(argv[++i], 0, 10);
        else if (!strcmp(argv[i], "--ca"))
            ca = argv[++i];
        else if (!strcmp(argv[i], "--name"))
            name = argv[++i];
        else if (!strcmp(argv[i], "--send"))
            send = argv[++i];
        else
            return usage("unknown option");
    }
    if (!ca || port < 1 || port > 65535)
        return usage("--ca and --port (1..65535) are required");

    static uint8_t trust[1 << 16];
    FILE *f = fopen(ca, "rb");
    if (!f) {
        fprintf(stderr, "tlsprobe: cannot open %s: %s\n", ca, strerror(errno));
        return 1;
    }
    size_t tlen = fread(trust, 1, sizeof trust, f);
    fclose(f);

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "tlsprobe: connect 127.0.0.1:%ld: %s\n", port, strerror(errno));
        return 1;
    }
    struct vtls_stream s = {&fd, sock_read, sock_write};
    struct vtls *t;
    int lib;
    int e = vtls_connect(&t, &s, trust, tlen, name, &lib);
    if (e) {
        char reason[WOLFSSL_MAX_ERROR_SZ];
        wolfSSL_ERR_error_string_n((unsigned long)lib, reason, sizeof reason);
        printf("tlsprobe: refused: %s (wolfSSL %d: %s)\n", vtls_errname(e), lib, reason);
        close(fd);
        return 1;
    }
    printf("tlsprobe: ok %s %s\n", vtls_version(t), vtls_cipher(t));
    if (send) {
        char buf[512];
        size_t n = strlen(send);
        if (vtls_write(t, send, n) != (long)n || vtls_write(t, "\n", 1) != 1) {
            printf("tlsprobe: refused: write failed\n");
            return 1;
        }
        long r = vtls_read(t, buf, sizeof buf - 1);
        if (r < 0) {
            printf("tlsprobe: refused: %s\n", vtls_errname((int)r));
            return 1;
        }
        buf[r] = 0;
        printf("tlsprobe: reply %s", buf);
    }
    vtls_close(t);
    close(fd);
    return 0;
}
