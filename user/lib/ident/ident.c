/*
 * ident.c: words, Person key, sealed Machine key and certificate in
 * vkey's formats (ident.h; the byte layouts are in docs/KEYS.md).
 */
#include "ident.h"

#include <stdbool.h>
#include <string.h>

#include <sodium/crypto_aead_xchacha20poly1305.h>
#include <sodium/crypto_auth_hmacsha512.h>
#include <sodium/crypto_hash_sha256.h>
#include <sodium/crypto_sign_ed25519.h>

#include "capnp/capnp.h"
#include "capsule/capsule.h"
#include "schema/capsule.capnp.h"

/* Argon2id v1.3, raw output: the same signature in libargon2 (host) and
 * libsodium's internal copy (OS). */
int argon2id_hash_raw(const uint32_t t_cost, const uint32_t m_cost, const uint32_t parallelism,
                      const void *pwd, const size_t pwdlen, const void *salt,
                      const size_t saltlen, void *hash, const size_t hashlen);

static const char *const err_names[] = {
#define ID_NAME(n, m) #n,
    ID_ERRORS(ID_NAME)
#undef ID_NAME
};
static const char *const err_msgs[] = {
#define ID_MSG(n, m) m,
    ID_ERRORS(ID_MSG)
#undef ID_MSG
};

const char *id_err_name(enum id_err e) { return (unsigned)e < ID_NERR ? err_names[e] : "?"; }
const char *id_err_msg(enum id_err e) { return (unsigned)e < ID_NERR ? err_msgs[e] : "?"; }

void id_wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

static void st32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void id_sign(uint8_t sig[64], const void *msg, size_t len, const uint8_t sk[64])
{
    crypto_sign_ed25519_detached(sig, 0, msg, len, sk);
}

/* ---- words ---- */

static unsigned bit(const uint8_t *b, size_t i) { return (b[i / 8] >> (7 - i % 8)) & 1u; }

enum id_err id_words_encode(const uint8_t ent[32], char *out, size_t cap)
{
    uint8_t buf[33], h[32];
    memcpy(buf, ent, 32);
    crypto_hash_sha256(h, ent, 32);
    buf[32] = h[0]; /* 256 bits: 8 checksum bits */
    size_t pos = 0;
    for (size_t w = 0; w < ID_WORDS; w++) {
        unsigned idx = 0;
        for (size_t k = 0; k < 11; k++)
            idx = idx << 1 | bit(buf, w * 11 + k);
        const char *word = bip39_english[idx];
        size_t wl = strlen(word);
        if (pos + wl + 2 > cap) {
            id_wipe(buf, sizeof buf);
            return ID_TOO_SMALL;
        }
        if (w)
            out[pos++] = ' ';
        memcpy(out + pos, word, wl);
        pos += wl;
    }
    out[pos] = 0;
    id_wipe(buf, sizeof buf);
    return ID_OK;
}

static int word_index(const char *w, size_t len)
{
    int lo = 0, hi = 2047;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const char *m = bip39_english[mid];
        int c = strncmp(w, m, len);
        if (c == 0)
            c = m[len] ? -1 : 0;
        if (c == 0)
            return mid;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}

enum id_err id_words_decode(const char *words, uint8_t ent[32], char norm[ID_WORDS_MAX])
{
    uint8_t buf[33] = {0};
    size_t n = 0, pos = 0;
    enum id_err e = ID_OK;
    for (const char *p = words; *p && e == ID_OK;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        char low[9];
        size_t l = 0;
        for (; *p && *p != ' ' && *p != '\t'; p++, l++) {
            unsigned char c = (unsigned char)*p;
            if (c >= 0x80 || c < 0x20) {
                e = ID_NOT_ASCII;
                break;
            }
            if (l < 8)
                low[l] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        if (e != ID_OK)
            break;
        if (n == ID_WORDS) {
            e = ID_WORD_COUNT;
            break;
        }
        int idx = l <= 8 ? word_index(low, l) : -1;
        if (idx < 0) {
            e = ID_WORD_UNKNOWN;
            break;
        }
        for (unsigned k = 0; k < 11; k++)
            if ((unsigned)idx >> (10 - k) & 1u)
                buf[(n * 11 + k) / 8] |= (uint8_t)(0x80u >> ((n * 11 + k) % 8));
        if (pos)
            norm[pos++] = ' ';
        memcpy(norm + pos, low, l);
        pos += l;
        n++;
        id_wipe(low, sizeof low);
    }
    if (e == ID_OK && n != ID_WORDS)
        e = ID_WORD_COUNT;
    if (e == ID_OK) {
        uint8_t h[32];
        crypto_hash_sha256(h, buf, 32);
        if (h[0] != buf[32])
            e = ID_WORD_CHECKSUM;
    }
    if (e == ID_OK) {
        memcpy(ent, buf, 32);
        norm[pos] = 0;
    } else {
        id_wipe(norm, ID_WORDS_MAX);
    }
    id_wipe(buf, sizeof buf);
    return e;
}

/* ---- the Person: BIP-0039 seed, SLIP-0010 Ed25519 m/1447379796'/0'/0' ---- */

static void hmac512(uint8_t out[64], const void *key, size_t klen, const void *a, size_t alen,
                    const void *b, size_t blen)
{
    crypto_auth_hmacsha512_state st;
    crypto_auth_hmacsha512_init(&st, key, klen);
    crypto_auth_hmacsha512_update(&st, a, alen);
    if (blen)
        crypto_auth_hmacsha512_update(&st, b, blen);
    crypto_auth_hmacsha512_final(&st, out);
    id_wipe(&st, sizeof st);
}

/* PBKDF2-HMAC-SHA512(password = the words, salt = "mnemonic", 2048, 64
 * bytes): one block, so T1 = U1 ^ ... ^ U2048. */
static void bip39_seed(const char *norm, uint8_t seed[64])
{
    static const uint8_t salt[12] = {'m', 'n', 'e', 'm', 'o', 'n', 'i', 'c', 0, 0, 0, 1};
    uint8_t u[64];
    size_t pl = strlen(norm);
    hmac512(u, norm, pl, salt, sizeof salt, 0, 0);
    memcpy(seed, u, 64);
    for (unsigned i = 1; i < 2048; i++) {
        hmac512(u, norm, pl, u, 64, 0, 0);
        for (unsigned k = 0; k < 64; k++)
            seed[k] ^= u[k];
    }
    id_wipe(u, sizeof u);
}

enum id_err id_person_key(const char *norm, uint8_t pk[32], uint8_t sk[64])
{
    static const uint32_t path[3] = {0x80000000u | 1447379796u, 0x80000000u, 0x80000000u};
    uint8_t seed[64], node[64], data[37];
    bip39_seed(norm, seed);
    hmac512(node, "ed25519 seed", 12, seed, 64, 0, 0);
    for (unsigned i = 0; i < 3; i++) {
        data[0] = 0;
        memcpy(data + 1, node, 32);
        for (unsigned k = 0; k < 4; k++)
            data[33 + k] = (uint8_t)(path[i] >> (24 - 8 * k));
        uint8_t chain[32];
        memcpy(chain, node + 32, 32);
        hmac512(node, chain, 32, data, sizeof data, 0, 0);
        id_wipe(chain, sizeof chain);
    }
    crypto_sign_ed25519_seed_keypair(pk, sk, node);
    id_wipe(seed, sizeof seed);
    id_wipe(node, sizeof node);
    id_wipe(data, sizeof data);
    return ID_OK;
}

/* ---- Person public file ---- */

static bool valid_name(const char *p, size_t n)
{
    struct capsule_str s = {p, (uint32_t)n};
    return n >= 1 && n <= 64 && capsule_valid_cert_name(s);
}

enum id_err id_person_encode(const char *name, const uint8_t pk[32], uint8_t *out, size_t cap,
                             size_t *len)
{
    size_t nl = strlen(name);
    if (!valid_name(name, nl))
        return ID_NAME;
    if (cap < 48 + nl)
        return ID_TOO_SMALL;
    memcpy(out, "VPERSON1", 8);
    st32(out + 8, 1);
    st32(out + 12, (uint32_t)nl);
    memcpy(out + 16, pk, 32);
    memcpy(out + 48, name, nl);
    *len = 48 + nl;
    return ID_OK;
}

enum id_err id_person_decode(const uint8_t *buf, size_t len, char name[65], uint8_t pk[32])
{
    if (len < 48 || memcmp(buf, "VPERSON1", 8) || ld32(buf + 8) != 1)
        return ID_NAME;
    uint32_t nl = ld32(buf + 12);
    if (nl < 1 || nl > 64 || len != 48 + (size_t)nl || !valid_name((const char *)buf + 48, nl))
        return ID_NAME;
    memcpy(pk, buf + 16, 32);
    memcpy(name, buf + 48, nl);
    name[nl] = 0;
    return ID_OK;
}

/* ---- Machine key ---- */

static enum id_err check_kdf(const struct id_kdf *k)
{
    if (k->t < 1 || k->t > 8 || k->p < 1 || k->p > 16 || k->m_kib < 8 * k->p ||
        k->m_kib > 1024u * 1024u)
        return ID_MKEY_PARAMS;
    return ID_OK;
}

enum id_err id_mkey_strong(const struct id_kdf *k)
{
    if (k->m_kib < ID_MKEY_M_KIB || (uint64_t)k->t * k->m_kib < (uint64_t)ID_MKEY_T * ID_MKEY_M_KIB)
        return ID_MKEY_WEAK;
    return ID_OK;
}

enum id_err id_pass_check(const char *pass, size_t len)
{
    if (len < 8 || len > 1023)
        return ID_PASS_LENGTH;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)pass[i] < 0x20 || (unsigned char)pass[i] == 0x7f)
            return ID_PASS_LENGTH;
    return ID_OK;
}

static enum id_err derive(const char *pass, size_t passlen, const uint8_t salt[16],
                          const struct id_kdf *k, uint8_t key[32])
{
    return argon2id_hash_raw(k->t, k->m_kib, k->p, pass, passlen, salt, 16, key, 32) == 0
               ? ID_OK
               : ID_KDF;
}

enum id_err id_mkey_seal(const uint8_t seed[32], const char *pass, size_t passlen,
                         const struct id_kdf *k, const uint8_t salt[16], const uint8_t nonce[24],
                         uint8_t out[ID_MKEY_SIZE])
{
    uint8_t pk[32], sk[64], key[32];
    enum id_err e = check_kdf(k);
    if (e != ID_OK)
        return e;
    crypto_sign_ed25519_seed_keypair(pk, sk, seed);
    id_wipe(sk, sizeof sk);
    memcpy(out, "VMACHKEY", 8);
    st32(out + 8, 1);
    st32(out + 12, 1); /* Argon2id v1.3 */
    st32(out + 16, k->t);
    st32(out + 20, k->m_kib);
    st32(out + 24, k->p);
    st32(out + 28, 1); /* XChaCha20-Poly1305-IETF */
    memcpy(out + 32, salt, 16);
    memcpy(out + 48, nonce, 24);
    memcpy(out + 72, pk, 32);
    if ((e = derive(pass, passlen, out + 32, k, key)) != ID_OK)
        return e;
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + 104, &clen, seed, 32, out, 104, 0, out + 48,
                                               key);
    id_wipe(key, sizeof key);
    return clen == 48 ? ID_OK : ID_KDF;
}

enum id_err id_mkey_info(const uint8_t *buf, size_t len, struct id_kdf *k, uint8_t pk[32])
{
    if (len != ID_MKEY_SIZE || memcmp(buf, "VMACHKEY", 8) || ld32(buf + 8) != 1 ||
        ld32(buf + 12) != 1 || ld32(buf + 28) != 1)
        return ID_MKEY_FORMAT;
    k->t = ld32(buf + 16);
    k->m_kib = ld32(buf + 20);
    k->p = ld32(buf + 24);
    enum id_err e = check_kdf(k);
    if (e == ID_OK)
        memcpy(pk, buf + 72, 32);
    return e;
}

enum id_err id_mkey_unseal(const uint8_t *buf, size_t len, const char *pass, size_t passlen,
                           uint8_t pk[32], uint8_t sk[64])
{
    struct id_kdf k;
    uint8_t key[32], seed[32], want[32];
    enum id_err e = id_mkey_info(buf, len, &k, want);
    if (e != ID_OK || (e = derive(pass, passlen, buf + 32, &k, key)) != ID_OK)
        return e;
    unsigned long long mlen = 0;
    int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(seed, &mlen, 0, buf + 104, 48, buf, 104,
                                                        buf + 48, key);
    id_wipe(key, sizeof key);
    if (rc != 0 || mlen != 32)
        return ID_UNSEAL;
    crypto_sign_ed25519_seed_keypair(pk, sk, seed);
    id_wipe(seed, sizeof seed);
    if (memcmp(pk, want, 32)) {
        id_wipe(sk, 64);
        return ID_MKEY_MISMATCH;
    }
    return ID_OK;
}

/* ---- certificates ---- */

static void sha256_fn(uint8_t out[32], const void *m, size_t n) { crypto_hash_sha256(out, m, n); }
static bool verify_fn(const uint8_t sig[64], const void *m, size_t n, const uint8_t pk[32])
{
    return crypto_sign_ed25519_verify_detached(sig, m, n, pk) == 0;
}
static const struct capsule_crypto id_crypto = {sha256_fn, 0, verify_fn};

enum id_err id_cert_issue(const struct id_cert *f, const uint8_t person_sk[64], uint8_t *out,
                          size_t cap, size_t *len)
{
    size_t nl = strlen(f->name);
    if (!valid_name(f->name, nl))
        return ID_NAME;
    if (f->not_before > f->not_after || !f->domains || f->domains >> CAPSULE_NDOMAINS)
        return ID_CERT_FIELDS;
    uint8_t tmp[ID_CERT_MAX];
    struct capnp_builder b;
    capnp_builder_init(&b, tmp, sizeof tmp);
    CertBody_B c = CertBody_build_root(&b);
    CertBody_set_name(c, f->name, nl);
    CertBody_set_machineKey(c, f->machine_key, 32);
    CertBody_set_personKey(c, f->person_key, 32);
    CertBody_set_notBefore(c, f->not_before);
    CertBody_set_notAfter(c, f->not_after);
    CertBody_set_domains(c, f->domains);
    CertBody_set_serial(c, f->serial);
    size_t blen = 0;
    const uint8_t *bytes = capnp_builder_bytes(&b, &blen);
    struct capnp_msg m;
    if (capnp_builder_error(&b) || capnp_msg_init_flat(&m, bytes, blen) ||
        cap < 16 + 64 + 8 ||
        capnp_canonicalize(&m, out + 16, cap - 16 - 64, &blen) || blen % 8 || !blen ||
        blen > CAPSULE_MAX_CERT_BODY)
        return cap < ID_CERT_MAX ? ID_TOO_SMALL : ID_CERT_BUILD;
    memcpy(out, "VECTCERT", 8);
    st32(out + 8, (uint32_t)blen);
    st32(out + 12, 0);
    uint8_t msg[64];
    capsule_signed_msg(&id_crypto, capsule_ctx_cert, out + 16, blen, msg);
    crypto_sign_ed25519_detached(out + 16 + blen, 0, msg, sizeof msg, person_sk);
    *len = 16 + blen + 64;
    struct id_cert back;
    return id_cert_decode(out, *len, &back);
}

enum id_err id_cert_decode(const uint8_t *buf, size_t len, struct id_cert *out)
{
    struct capsule_certrec rec;
    struct capsule_cert c;
    size_t used;
    if (len < 8 || memcmp(buf, "VECTCERT", 8) ||
        capsule_parse_certrec(buf + 8, len - 8, &used, &rec) != CAPSULE_OK || used != len - 8 ||
        capsule_cert_read(&rec, &c) != CAPSULE_OK || c.name.len > 64)
        return ID_CERT_FORMAT;
    uint8_t msg[64];
    capsule_signed_msg(&id_crypto, capsule_ctx_cert, rec.body, rec.body_len, msg);
    if (!verify_fn(rec.sig, msg, sizeof msg, c.person_key))
        return ID_CERT_SIGNATURE;
    memcpy(out->name, c.name.p, c.name.len);
    out->name[c.name.len] = 0;
    memcpy(out->machine_key, c.machine_key, 32);
    memcpy(out->person_key, c.person_key, 32);
    out->not_before = c.not_before;
    out->not_after = c.not_after;
    out->domains = c.domains;
    out->serial = c.serial;
    return ID_OK;
}

uint64_t id_retry_wait_us(uint32_t failures, uint64_t last_fail_us, uint64_t now_us)
{
    if (!failures)
        return 0;
    unsigned sh = failures - 1 > 12 ? 12 : failures - 1;   /* 2^12 s > the cap */
    uint64_t wait = (uint64_t)1000000 << sh;
    if (wait > (uint64_t)ID_RETRY_MAX_S * 1000000)
        wait = (uint64_t)ID_RETRY_MAX_S * 1000000;
    uint64_t until = last_fail_us + wait;
    return now_us >= until ? 0 : until - now_us;
}
