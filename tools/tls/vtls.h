/*
 * vtls: a TLS 1.3 client over any byte stream, on wolfSSL built by
 * user_settings.h beside this file (TLS 1.3 and nothing else compiled in).
 *
 * The same file serves the host tool (tools/tls/tlsprobe.c, over a
 * socket to 127.0.0.1) and, later, an OS Task, whose stream will be the
 * socket library's: the TLS code sees only vtls_stream's two callbacks,
 * so the network stack below only ever carries ciphertext.
 *
 * A connection is verified against the trust anchors given (PEM or DER
 * certificates; no system bundle, ever) and the server name; every
 * failure comes back as one named vtls error plus wolfSSL's own code.
 */
#ifndef VTLS_H
#define VTLS_H

#include <stddef.h>
#include <stdint.h>

/* A byte stream: read/write return bytes moved (> 0), 0 at end of
 * stream, or < 0 on error. Blocking. */
struct vtls_stream {
    void *ctx;
    long (*read)(void *ctx, uint8_t *buf, size_t n);
    long (*write)(void *ctx, const uint8_t *buf, size_t n);
};

enum vtls_err {
    VTLS_OK = 0,
    VTLS_E_INIT,        /* the library or its context could not be set up */
    VTLS_E_TRUST,       /* the trust anchors did not parse */
    VTLS_E_VERSION,     /* the peer offered no TLS 1.3 (1.2 or older, or a downgrade) */
    VTLS_E_CERT,        /* the certificate chain does not lead to a trust anchor */
    VTLS_E_NAME,        /* the certificate is not for the server name asked for */
    VTLS_E_EXPIRED,     /* the certificate is not valid now */
    VTLS_E_RECORD,      /* a malformed record or handshake message */
    VTLS_E_ALERT,       /* the peer sent a fatal alert */
    VTLS_E_CLOSED,      /* the stream ended mid-handshake */
    VTLS_E_CRYPTO,      /* a MAC, decryption or signature check failed */
    VTLS_E_NEGOTIATE,   /* no common cipher suite, group or signature scheme */
    VTLS_E_IO,          /* the stream failed */
    VTLS_E_OTHER,
};

struct vtls;
/* trust: concatenated PEM certificates. host: the name to verify and send as SNI. */
int vtls_connect(struct vtls **out, const struct vtls_stream *s, const uint8_t *trust,
                 size_t trust_len, const char *host, int *lib_err);
long vtls_write(struct vtls *t, const void *buf, size_t n);
long vtls_read(struct vtls *t, void *buf, size_t n);   /* 0: the peer closed */
const char *vtls_version(const struct vtls *t);
const char *vtls_cipher(const struct vtls *t);
void vtls_close(struct vtls *t);
const char *vtls_errname(int err);

#endif
