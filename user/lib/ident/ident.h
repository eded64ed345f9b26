/*
 * ident.h: a Person, a sealed Machine key and a Machine certificate, in
 * exactly vkey's formats (docs/KEYS.md), for the OS side (user/services/keyd).
 *
 *   words      24 BIP-0039 English words <-> 32 bytes of entropy
 *   Person     PBKDF2-HMAC-SHA512 seed, SLIP-0010 m/1447379796'/0'/0'
 *   Machine    .vmkey: Ed25519 seed sealed with Argon2id +
 *              XChaCha20-Poly1305-IETF, header as associated data
 *   cert       .vcert: canonical CertBody signed by the Person
 *
 * Portable C on libsodium's API: the OS links the freestanding subsets
 * (user/lib/libsodium: libsodium.a, libsodium-keys.a), the host test
 * (tests/host/test_ident.c) the host's libsodium and libargon2, so the
 * same code is checked byte for byte against vkey. Randomness is passed
 * in (salt, nonce, entropy): this code draws none itself.
 *
 * Every function returns ID_OK or a named error (id_err_name, id_err_msg);
 * secrets it made on the way are wiped before it returns.
 */
#ifndef VECTRA_IDENT_H
#define VECTRA_IDENT_H

#include <stddef.h>
#include <stdint.h>

#define ID_ERRORS(X)                                                                      \
    X(OK, "ok")                                                                           \
    X(WORD_COUNT, "a Person's words are 24 words")                                        \
    X(WORD_UNKNOWN, "a word is not in the BIP-0039 English list")                         \
    X(WORD_CHECKSUM, "the words' checksum does not match (a word is wrong or out of order)") \
    X(NOT_ASCII, "words and passphrases must be ASCII")                                   \
    X(NAME, "a name is 1-64 of A-Z a-z 0-9 . _ - @")                                      \
    X(PASS_LENGTH, "a new passphrase has 8 to 1023 bytes, no control characters")         \
    X(MKEY_FORMAT, "not a Machine key file (bad magic, size, version, kdf or cipher)")    \
    X(MKEY_PARAMS, "Argon2id parameters out of range (at most t=8, m=1 GiB, p=16)")       \
    X(MKEY_WEAK, "Machine key sealed with weak Argon2id parameters (want m >= 64 MiB, t x m >= 192 MiB)") \
    X(KDF, "Argon2id failed (out of memory?)")                                            \
    X(UNSEAL, "wrong passphrase, or the Machine key file was altered")                    \
    X(MKEY_MISMATCH, "Machine key file is inconsistent (public key does not match)")     \
    X(CERT_FIELDS, "certificate fields are invalid (times, domains D0-D4)")               \
    X(CERT_BUILD, "certificate body could not be built")                                  \
    X(CERT_FORMAT, "Machine certificate is malformed")                                    \
    X(CERT_SIGNATURE, "Machine certificate signature does not verify with its issuer")    \
    X(TOO_SMALL, "output buffer too small")

enum id_err {
#define ID_ENUM(n, m) ID_##n,
    ID_ERRORS(ID_ENUM)
#undef ID_ENUM
        ID_NERR
};
const char *id_err_name(enum id_err e);
const char *id_err_msg(enum id_err e);

/* ---- words and the Person ---- */
#define ID_WORDS 24
#define ID_WORDS_MAX (ID_WORDS * 9) /* words are <= 8 letters, one blank each */
extern const char *const bip39_english[2048];

/* 32 bytes of entropy -> 24 words separated by single blanks. */
enum id_err id_words_encode(const uint8_t ent[32], char *out, size_t cap);
/* Words (any case, any blanks between) -> entropy; norm gets the
 * lower-case words joined by single blanks (the PBKDF2 password). */
enum id_err id_words_decode(const char *words, uint8_t ent[32], char norm[ID_WORDS_MAX]);
/* The Person key of normalised words (empty BIP-0039 passphrase). */
enum id_err id_person_key(const char *norm, uint8_t pk[32], uint8_t sk[64]);

/* ---- Person public file (.vperson) ---- */
#define ID_PERSON_MAX (48 + 64)
enum id_err id_person_encode(const char *name, const uint8_t pk[32], uint8_t *out, size_t cap,
                             size_t *len);
enum id_err id_person_decode(const uint8_t *buf, size_t len, char name[65], uint8_t pk[32]);

/* ---- sealed Machine key (.vmkey) ---- */
#define ID_MKEY_SIZE 152u
#define ID_MKEY_T 3u
#define ID_MKEY_M_KIB 65536u
#define ID_MKEY_P 4u
struct id_kdf {
    uint32_t t, m_kib, p;
};
/* seed: the Machine's Ed25519 seed; salt, nonce: fresh random bytes. */
enum id_err id_mkey_seal(const uint8_t seed[32], const char *pass, size_t passlen,
                         const struct id_kdf *k, const uint8_t salt[16], const uint8_t nonce[24],
                         uint8_t out[ID_MKEY_SIZE]);
/* The clear part: parameters (refused above the maxima) and public key. */
enum id_err id_mkey_info(const uint8_t *buf, size_t len, struct id_kdf *k, uint8_t pk[32]);
/* Refuses less work than RFC 9106's second recommended option. */
enum id_err id_mkey_strong(const struct id_kdf *k);
/* Opens the seal: the libsodium 64-byte secret key and the public key. */
enum id_err id_mkey_unseal(const uint8_t *buf, size_t len, const char *pass, size_t passlen,
                           uint8_t pk[32], uint8_t sk[64]);
/* A new passphrase's rule (vkey's): 8..1023 bytes, printable ASCII. */
enum id_err id_pass_check(const char *pass, size_t len);

/* ---- Machine certificate (.vcert) ---- */
#define ID_CERT_MAX 512
struct id_cert {
    char name[65];
    uint8_t machine_key[32], person_key[32];
    int64_t not_before, not_after;
    uint8_t domains;
    uint64_t serial;
};
/* Builds the canonical CertBody, signs it with the Person's secret key and
 * re-reads the result (as vkey does) before handing it out. */
enum id_err id_cert_issue(const struct id_cert *f, const uint8_t person_sk[64], uint8_t *out,
                          size_t cap, size_t *len);
/* Framing, canonical body, fields, and the issuer's signature. */
enum id_err id_cert_decode(const uint8_t *buf, size_t len, struct id_cert *out);

/* Ed25519 signature with a libsodium 64-byte secret key. */
void id_sign(uint8_t sig[64], const void *msg, size_t len, const uint8_t sk[64]);

void id_wipe(void *p, size_t n);

/* ---- the login rate limit (keyd) ----
 * After n >= 1 wrong passphrases the next attempt waits 2^(n-1) s from
 * the last failure, at most ID_RETRY_MAX_S: the microseconds still to
 * wait at now_us (0: an attempt may run). Pure, so the host test drives
 * it through thousands of attempts in no time (tests/host/test_ident.c). */
#define ID_RETRY_MAX_S 3600u
uint64_t id_retry_wait_us(uint32_t failures, uint64_t last_fail_us, uint64_t now_us);

#endif
