/*
 * user_settings.h: the wolfSSL 5.5.4 configuration for Vectra, host and
 * OS alike (docs/DECISIONS.md, "TLS 1.3 only"). Compiled with
 * WOLFSSL_USER_SETTINGS instead of configure, so the whole configuration
 * is this one file.
 *
 * Protocols: TLS 1.3 only. TLS 1.2 and everything older, DTLS and QUIC
 * are compiled out (WOLFSSL_NO_TLS12, NO_OLD_TLS); there is no flag that
 * turns them back on at run time. The client offers, and accepts, only
 * TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and
 * TLS_CHACHA20_POLY1305_SHA256; key exchange X25519 or P-256; server
 * signatures ECDSA P-256/P-384, Ed25519 or RSA-PSS (RSA only to verify).
 * No session tickets or PSK (resumption is a later decision), no
 * renegotiation (TLS 1.3 has none), no compression.
 */
#ifndef VECTRA_WOLFSSL_USER_SETTINGS_H
#define VECTRA_WOLFSSL_USER_SETTINGS_H

/* protocol */
#define WOLFSSL_TLS13
#define WOLFSSL_NO_TLS12
#define NO_OLD_TLS
#define HAVE_TLS_EXTENSIONS
#define HAVE_SUPPORTED_CURVES
#define HAVE_SNI
#define HAVE_HKDF
#define WC_RSA_PSS
#define WOLFSSL_NO_CLIENT_AUTH_FALLBACK
#define NO_SESSION_CACHE
#define WOLFSSL_NO_DEF_TICKET_ENC_CB
#define NO_WOLFSSL_SERVER_TICKETS

/* ciphers and key exchange */
#define HAVE_AESGCM
#define WOLFSSL_AES_128
#define WOLFSSL_AES_256
#define GCM_TABLE_4BIT
#define HAVE_CHACHA
#define HAVE_POLY1305
#define HAVE_CURVE25519
#define HAVE_ED25519
#define HAVE_ECC
#define HAVE_ECC384
#define ECC_TIMING_RESISTANT
#define TFM_TIMING_RESISTANT
#define WC_RSA_BLINDING
#define WOLFSSL_SHA384
#define WOLFSSL_SHA512
#define WOLFSSL_SP_MATH_ALL
#define SP_INT_BITS 4096
#define WOLFSSL_ASN_TEMPLATE

/* everything else out */
#define NO_DH
#define NO_DSA
#define NO_RC4
#define NO_MD4
#define NO_MD5
#define NO_DES3
#define NO_PSK
#define NO_PWDBASED
#define NO_HC128
#define NO_RABBIT
#define WOLFSSL_NO_SHAKE256
#define NO_OLD_SSL_NAMES
#define NO_WOLFSSL_DIR

#ifdef VECTRA_FREESTANDING
/* The OS: no file system, no sockets, no clock of libc's; I/O through the
 * byte-stream callbacks (wolfSSL_SSLSetIORecv/Send), randomness from the
 * runtime (rt_random at level standard), time from the clock service. */
#define WOLFSSL_USER_IO
#define NO_FILESYSTEM
#define NO_WRITEV
#define SINGLE_THREADED
#define WOLFSSL_NO_SOCK
#define NO_STDIO_FILESYSTEM
#define WOLFSSL_SMALL_STACK
#define WOLFSSL_GENSEED_FORTEST_OFF
#define CUSTOM_RAND_GENERATE_BLOCK vectra_tls_random_block
int vectra_tls_random_block(unsigned char *out, unsigned int n);
#define USER_TIME
#define XTIME(t) vectra_tls_time(t)
long vectra_tls_time(long *t);
#define WOLFSSL_NO_ATOMICS
#define NO_ASN_TIME_CHECK_OFF
#endif

#endif
