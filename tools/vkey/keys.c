/*
 * keys.c: Person public files, sealed Machine keys, Machine certificates.
 */
#include "keys.h"

#include <argon2.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

static void st32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- Person public file: magic, u32 version, u32 name length, key, name ---- */

int person_pub_encode(const struct person_pub *p, uint8_t *out, size_t cap, size_t *len)
{
    size_t nl = strlen(p->name);
    struct capsule_str s = {p->name, (uint32_t)nl};
    if (!capsule_valid_cert_name(s))
        return host_err("bad Person name \"%s\" (1-64 of A-Z a-z 0-9 . _ - @)", p->name);
    if (cap < 48 + nl)
        return host_err("buffer too small");
    memcpy(out, PERSON_MAGIC, 8);
    st32(out + 8, 1);
    st32(out + 12, (uint32_t)nl);
    memcpy(out + 16, p->key, 32);
    memcpy(out + 48, p->name, nl);
    *len = 48 + nl;
    return 0;
}

int person_pub_decode(const uint8_t *buf, size_t len, struct person_pub *out)
{
    if (len < 48 || memcmp(buf, PERSON_MAGIC, 8) != 0)
        return host_err("not a Person public file (bad magic or too short)");
    if (ld32(buf + 8) != 1)
        return host_err("unsupported Person file version %u", ld32(buf + 8));
    uint32_t nl = ld32(buf + 12);
    if (nl < 1 || nl > 64 || len != 48 + (size_t)nl)
        return host_err("Person file length does not match its name length");
    struct capsule_str s = {(const char *)buf + 48, nl};
    if (!capsule_valid_cert_name(s))
        return host_err("Person file holds a malformed name");
    memcpy(out->key, buf + 16, 32);
    memcpy(out->name, buf + 48, nl);
    out->name[nl] = 0;
    return 0;
}

/* ---- Machine key file ---- */

int host_argon2id(const uint8_t *pwd, size_t pwdlen, const uint8_t *salt, size_t saltlen,
                  const uint8_t *secret, size_t secretlen, const uint8_t *ad, size_t adlen,
                  uint32_t t, uint32_t m_kib, uint32_t p, uint8_t *out, size_t outlen)
{
    argon2_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.out = out;
    ctx.outlen = (uint32_t)outlen;
    ctx.pwd = (uint8_t *)(uintptr_t)pwd;
    ctx.pwdlen = (uint32_t)pwdlen;
    ctx.salt = (uint8_t *)(uintptr_t)salt;
    ctx.saltlen = (uint32_t)saltlen;
    ctx.secret = (uint8_t *)(uintptr_t)secret;
    ctx.secretlen = (uint32_t)secretlen;
    ctx.ad = (uint8_t *)(uintptr_t)ad;
    ctx.adlen = (uint32_t)adlen;
    ctx.t_cost = t;
    ctx.m_cost = m_kib;
    ctx.lanes = p;
    ctx.threads = p;
    ctx.version = ARGON2_VERSION_13;
    ctx.flags = ARGON2_DEFAULT_FLAGS;
    int rc = argon2id_ctx(&ctx);
    if (rc != ARGON2_OK)
        return host_err("Argon2id failed: %s", argon2_error_message(rc));
    return 0;
}

static int check_params(const struct mkey_params *kp)
{
    if (kp->t_cost < 1 || kp->t_cost > MKEY_T_MAX || kp->parallelism < 1 ||
        kp->parallelism > MKEY_P_MAX || kp->m_cost_kib < 8 * kp->parallelism ||
        kp->m_cost_kib > MKEY_M_MAX_KIB)
        return host_err("Argon2id parameters out of range (t=%u m=%u KiB p=%u; at most t=%u "
                        "m=%u KiB p=%u)",
                        kp->t_cost, kp->m_cost_kib, kp->parallelism, MKEY_T_MAX, MKEY_M_MAX_KIB,
                        MKEY_P_MAX);
    return 0;
}

int mkey_strong_enough(const struct mkey_params *kp)
{
    if (kp->m_cost_kib < MKEY_M_MIN_KIB ||
        (uint64_t)kp->t_cost * kp->m_cost_kib < MKEY_WORK_MIN_KIB)
        return host_err("Machine key sealed with weak Argon2id parameters (t=%u m=%u KiB; "
                        "want m >= %u KiB and t x m >= %u KiB): make a new key",
                        kp->t_cost, kp->m_cost_kib, MKEY_M_MIN_KIB, MKEY_WORK_MIN_KIB);
    return 0;
}

static int derive(const char *pass, const uint8_t *salt, const struct mkey_params *kp,
                  uint8_t key[32])
{
    return host_argon2id((const uint8_t *)pass, strlen(pass), salt, 16, NULL, 0, NULL, 0,
                         kp->t_cost, kp->m_cost_kib, kp->parallelism, key, 32);
}

int mkey_seal(const uint8_t seed[32], const char *pass, const struct mkey_params *kp,
              uint8_t out[MKEY_FILE_SIZE])
{
    uint8_t pk[32], sk[64], key[32];
    if (check_params(kp) < 0)
        return -1;
    crypto_sign_seed_keypair(pk, sk, seed);
    memcpy(out, MKEY_MAGIC, 8);
    st32(out + 8, 1);
    st32(out + 12, 1); /* Argon2id v1.3 */
    st32(out + 16, kp->t_cost);
    st32(out + 20, kp->m_cost_kib);
    st32(out + 24, kp->parallelism);
    st32(out + 28, 1); /* XChaCha20-Poly1305-IETF */
    randombytes_buf(out + 32, 16);
    randombytes_buf(out + 48, 24);
    memcpy(out + 72, pk, 32);
    if (derive(pass, out + 32, kp, key) < 0)
        return -1;
    unsigned long long clen;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + 104, &clen, seed, 32, out, 104, NULL,
                                               out + 48, key);
    host_wipe(key, sizeof key);
    host_wipe(sk, sizeof sk);
    return clen == 48 ? 0 : host_err("sealing failed");
}

int mkey_info(const uint8_t *buf, size_t len, struct mkey_params *kp, uint8_t pk[32])
{
    if (len < 8 || memcmp(buf, MKEY_MAGIC, 8) != 0)
        return host_err("not a Machine key file (bad magic)");
    if (len != MKEY_FILE_SIZE)
        return host_err("Machine key file has %zu bytes, not %u (truncated or altered)", len,
                        MKEY_FILE_SIZE);
    if (ld32(buf + 8) != 1)
        return host_err("unsupported Machine key file version %u", ld32(buf + 8));
    if (ld32(buf + 12) != 1)
        return host_err("unknown key derivation function %u (want 1, Argon2id)", ld32(buf + 12));
    if (ld32(buf + 28) != 1)
        return host_err("unknown cipher %u (want 1, XChaCha20-Poly1305)", ld32(buf + 28));
    kp->t_cost = ld32(buf + 16);
    kp->m_cost_kib = ld32(buf + 20);
    kp->parallelism = ld32(buf + 24);
    if (check_params(kp) < 0)
        return -1;
    memcpy(pk, buf + 72, 32);
    return 0;
}

int mkey_unseal(const uint8_t *buf, size_t len, const char *pass, uint8_t pk[32], uint8_t sk[64])
{
    struct mkey_params kp;
    uint8_t key[32], seed[32], want_pk[32];
    if (mkey_info(buf, len, &kp, want_pk) < 0)
        return -1;
    if (derive(pass, buf + 32, &kp, key) < 0)
        return -1;
    unsigned long long mlen;
    int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(seed, &mlen, NULL, buf + 104, 48, buf,
                                                        104, buf + 48, key);
    host_wipe(key, sizeof key);
    if (rc != 0 || mlen != 32)
        return host_err("wrong passphrase, or the Machine key file was altered");
    crypto_sign_seed_keypair(pk, sk, seed);
    host_wipe(seed, sizeof seed);
    if (sodium_memcmp(pk, want_pk, 32) != 0) {
        host_wipe(sk, 64);
        return host_err("Machine key file is inconsistent (public key does not match)");
    }
    return 0;
}

/* ---- certificates ---- */

int cert_issue(const struct cert_fields *f, const uint8_t person_sk[64], uint8_t **out,
               size_t *len)
{
    char json[1024], mk[65], pk[65];
    struct capsule_str s = {f->name, (uint32_t)strlen(f->name)};
    if (!capsule_valid_cert_name(s))
        return host_err("bad Machine name \"%s\" (1-64 of A-Z a-z 0-9 . _ - @)", f->name);
    if (f->not_before > f->not_after)
        return host_err("certificate would end before it begins");
    if (f->domains == 0 || f->domains >> CAPSULE_NDOMAINS)
        return host_err("certificate must allow at least one of the domains D0-D4");
    host_hex(mk, f->machine_key, 32);
    host_hex(pk, f->person_key, 32);
    snprintf(json, sizeof json,
             "{\"name\":\"%s\",\"machine_key\":\"%s\",\"person_key\":\"%s\","
             "\"not_before\":\"%lld\",\"not_after\":\"%lld\",\"domains\":%u,\"serial\":\"%llu\"}",
             f->name, mk, pk, (long long)f->not_before, (long long)f->not_after,
             (unsigned)f->domains, (unsigned long long)f->serial);
    uint8_t *body;
    size_t blen;
    if (host_capnp_convert("json:canonical", "CertBody", (const uint8_t *)json, strlen(json),
                           &body, &blen) < 0)
        return -1;
    if (blen == 0 || blen % 8 || blen > CAPSULE_MAX_CERT_BODY) {
        free(body);
        return host_err("capnp produced a certificate body of %zu bytes", blen);
    }
    size_t n = 16 + blen + 64;
    uint8_t *img = malloc(n);
    if (!img) {
        free(body);
        return host_err("out of memory");
    }
    memcpy(img, CERT_MAGIC, 8);
    st32(img + 8, (uint32_t)blen);
    st32(img + 12, 0);
    memcpy(img + 16, body, blen);
    free(body);
    uint8_t msg[64];
    capsule_signed_msg(&host_crypto, capsule_ctx_cert, img + 16, blen, msg);
    crypto_sign_detached(img + 16 + blen, NULL, msg, sizeof msg, person_sk);
    struct capsule_certrec rec;
    struct capsule_cert c;
    if (cert_decode(img, n, &rec, &c) < 0) {
        free(img);
        return -1;
    }
    *out = img;
    *len = n;
    return 0;
}

int cert_decode(const uint8_t *buf, size_t len, struct capsule_certrec *rec,
                struct capsule_cert *cert)
{
    size_t used;
    if (len < 8 || memcmp(buf, CERT_MAGIC, 8) != 0)
        return host_err("not a Machine certificate (bad magic)");
    if (capsule_parse_certrec(buf + 8, len - 8, &used, rec) != CAPSULE_OK || used != len - 8)
        return host_err("Machine certificate framing is malformed (truncated or altered)");
    enum capsule_reason r = capsule_cert_read(rec, cert);
    if (r != CAPSULE_OK)
        return host_err("%s", capsule_reason_msg(r));
    uint8_t msg[64];
    capsule_signed_msg(&host_crypto, capsule_ctx_cert, rec->body, rec->body_len, msg);
    if (crypto_sign_verify_detached(rec->sig, msg, sizeof msg, cert->person_key) != 0)
        return host_err("%s", capsule_reason_msg(CAPSULE_CERT_SIGNATURE));
    return 0;
}
