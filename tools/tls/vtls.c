/*
 * vtls.c: see vtls.h. wolfSSL's I/O goes through two callbacks that call
 * the caller's stream; its errors are sorted into vtls_err here, in one
 * table, so a caller never needs wolfSSL's headers.
 */
#include "vtls.h"

#include <stdbool.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/error-ssl.h>

struct vtls {
    WOLFSSL_CTX *ctx;
    WOLFSSL *ssl;
    struct vtls_stream s;
    bool eof;           /* the stream ended: wolfSSL reports that as a socket error */
};

/* Only the TLS 1.3 suites; wolfSSL would refuse any other anyway. */
static const char SUITES[] =
    "TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:TLS13-CHACHA20-POLY1305-SHA256";

static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    struct vtls *t = ctx;
    long n = t->s.read(t->s.ctx, (uint8_t *)buf, (size_t)sz);
    if (n > 0)
        return (int)n;
    t->eof = n == 0;
    return n == 0 ? WOLFSSL_CBIO_ERR_CONN_CLOSE : WOLFSSL_CBIO_ERR_GENERAL;
}

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    struct vtls *t = ctx;
    long n = t->s.write(t->s.ctx, (const uint8_t *)buf, (size_t)sz);
    if (n > 0)
        return (int)n;
    return n == 0 ? WOLFSSL_CBIO_ERR_CONN_CLOSE : WOLFSSL_CBIO_ERR_GENERAL;
}

static int classify(int e)
{
    switch (e) {
    case VERSION_ERROR:
        return VTLS_E_VERSION;
    case ASN_NO_SIGNER_E:
    case VERIFY_CERT_ERROR:
    case ASN_SIG_CONFIRM_E:
    case ASN_SIG_OID_E:
    case ASN_SIG_HASH_E:
    case ASN_SIG_KEY_E:
        return VTLS_E_CERT;
    case DOMAIN_NAME_MISMATCH:
        return VTLS_E_NAME;
    case ASN_AFTER_DATE_E:
    case ASN_BEFORE_DATE_E:
        return VTLS_E_EXPIRED;
    case PARSE_ERROR:
    case UNKNOWN_RECORD_TYPE:
    case BUFFER_ERROR:
    case LENGTH_ERROR:
    case OUT_OF_ORDER_E:
    case SANITY_MSG_E:
    case INCOMPLETE_DATA:
    case EXT_MISSING:
    case BAD_KEY_SHARE_DATA:
        return VTLS_E_RECORD;
    case FATAL_ERROR:
        return VTLS_E_ALERT;
    case SOCKET_PEER_CLOSED_E:
    case ZERO_RETURN:
        return VTLS_E_CLOSED;
    case VERIFY_MAC_ERROR:
    case DECRYPT_ERROR:
        return VTLS_E_CRYPTO;
    case MATCH_SUITE_ERROR:
        return VTLS_E_NEGOTIATE;
    case SOCKET_ERROR_E:
        return VTLS_E_IO;
    }
    return VTLS_E_OTHER;
}

void vtls_close(struct vtls *t)
{
    if (!t)
        return;
    if (t->ssl)
        wolfSSL_free(t->ssl);
    if (t->ctx)
        wolfSSL_CTX_free(t->ctx);
    XFREE(t, NULL, DYNAMIC_TYPE_TMP_BUFFER);
}

int vtls_connect(struct vtls **out, const struct vtls_stream *s, const uint8_t *trust,
                 size_t trust_len, const char *host, int *lib_err)
{
    *out = 0;
    *lib_err = 0;
    if (wolfSSL_Init() != WOLFSSL_SUCCESS)
        return VTLS_E_INIT;
    struct vtls *t = XMALLOC(sizeof *t, NULL, DYNAMIC_TYPE_TMP_BUFFER);
    if (!t)
        return VTLS_E_INIT;
    XMEMSET(t, 0, sizeof *t);
    t->s = *s;
    t->ctx = wolfSSL_CTX_new(wolfTLSv1_3_client_method());
    if (!t->ctx || wolfSSL_CTX_set_cipher_list(t->ctx, SUITES) != WOLFSSL_SUCCESS) {
        vtls_close(t);
        return VTLS_E_INIT;
    }
    wolfSSL_CTX_set_verify(t->ctx, WOLFSSL_VERIFY_PEER, NULL);
    int e = wolfSSL_CTX_load_verify_buffer(t->ctx, trust, (long)trust_len,
                                           WOLFSSL_FILETYPE_PEM);
    if (e != WOLFSSL_SUCCESS) {
        *lib_err = e;
        vtls_close(t);
        return VTLS_E_TRUST;
    }
    wolfSSL_CTX_SetIORecv(t->ctx, io_recv);
    wolfSSL_CTX_SetIOSend(t->ctx, io_send);
    t->ssl = wolfSSL_new(t->ctx);
    if (!t->ssl || wolfSSL_UseSNI(t->ssl, WOLFSSL_SNI_HOST_NAME, host,
                                  (unsigned short)XSTRLEN(host)) != WOLFSSL_SUCCESS ||
        wolfSSL_check_domain_name(t->ssl, host) != WOLFSSL_SUCCESS) {
        vtls_close(t);
        return VTLS_E_INIT;
    }
    wolfSSL_SetIOReadCtx(t->ssl, t);
    wolfSSL_SetIOWriteCtx(t->ssl, t);
    if (wolfSSL_connect(t->ssl) != WOLFSSL_SUCCESS) {
        *lib_err = wolfSSL_get_error(t->ssl, 0);
        e = t->eof && *lib_err == SOCKET_ERROR_E ? VTLS_E_CLOSED : classify(*lib_err);
        /* A TLS 1.2-only server answers our 1.3-only hello with a
         * protocol_version alert: that is a version refusal, say so. */
        WOLFSSL_ALERT_HISTORY h;
        if (e == VTLS_E_ALERT && wolfSSL_get_alert_history(t->ssl, &h) == WOLFSSL_SUCCESS &&
            h.last_rx.code == wolfssl_alert_protocol_version)
            e = VTLS_E_VERSION;
        vtls_close(t);
        return e;
    }
    *out = t;
    return VTLS_OK;
}

long vtls_write(struct vtls *t, const void *buf, size_t n)
{
    int r = wolfSSL_write(t->ssl, buf, (int)n);
    return r > 0 ? r : -classify(wolfSSL_get_error(t->ssl, r));
}

long vtls_read(struct vtls *t, void *buf, size_t n)
{
    int r = wolfSSL_read(t->ssl, buf, (int)n);
    if (r > 0)
        return r;
    int e = wolfSSL_get_error(t->ssl, r);
    return e == ZERO_RETURN || e == SOCKET_PEER_CLOSED_E ? 0 : -classify(e);
}

const char *vtls_version(const struct vtls *t) { return wolfSSL_get_version(t->ssl); }
const char *vtls_cipher(const struct vtls *t) { return wolfSSL_get_cipher_name(t->ssl); }

const char *vtls_errname(int err)
{
    static const char *const names[] = {
        [VTLS_OK] = "ok",
        [VTLS_E_INIT] = "tls-init",
        [VTLS_E_TRUST] = "bad-trust-anchors",
        [VTLS_E_VERSION] = "not-tls13",
        [VTLS_E_CERT] = "untrusted-certificate",
        [VTLS_E_NAME] = "wrong-server-name",
        [VTLS_E_EXPIRED] = "certificate-not-valid-now",
        [VTLS_E_RECORD] = "malformed-record",
        [VTLS_E_ALERT] = "peer-alert",
        [VTLS_E_CLOSED] = "closed-mid-handshake",
        [VTLS_E_CRYPTO] = "bad-mac-or-signature",
        [VTLS_E_NEGOTIATE] = "no-common-parameters",
        [VTLS_E_IO] = "stream-error",
        [VTLS_E_OTHER] = "tls-error",
    };
    if (err < 0)
        err = -err;
    return err < (int)(sizeof names / sizeof names[0]) && names[err] ? names[err] : "unknown";
}
