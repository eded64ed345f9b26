/*
 * verify.c: the capsule envelope, the certificate record, and
 * capsule_verify(), the activation decision (order of checks in
 * capsule.h; byte layout in docs/CAPSULE.md).
 *
 * Every length, count, reserved field and padding byte is checked for its
 * one permitted value, so that no bit of a capsule is without meaning: a
 * single flipped bit anywhere changes a checked field, the VCID (and with
 * it the signature), a certificate's signed body, or a blob's digest.
 */
#include "capsule/internal.h"

const uint8_t capsule_ctx_capsule[CAPSULE_CTX_LEN] = "vectra capsule v1";
const uint8_t capsule_ctx_cert[CAPSULE_CTX_LEN] = "vectra machine cert v1";

static const struct capsule_str none = {"", 0};

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

enum capsule_reason capsule_parse_certrec(const uint8_t *p, size_t len, size_t *used,
                                          struct capsule_certrec *out)
{
    if (len < 8)
        return CAPSULE_CERT_FORMAT;
    uint32_t body_len = cap_ld32(p);
    if (cap_ld32(p + 4) != 0 || body_len == 0 || body_len % 8 ||
        body_len > CAPSULE_MAX_CERT_BODY || (size_t)body_len + 72 > len)
        return CAPSULE_CERT_FORMAT;
    out->body = p + 8;
    out->body_len = body_len;
    out->sig = p + 8 + body_len;
    *used = (size_t)body_len + 72;
    return CAPSULE_OK;
}

/* CertBody: 4 data words, 3 pointers (schema/capsule.capnp) */
enum { C_NAME, C_MACHINE_KEY, C_PERSON_KEY, C_NPTRS };
#define C_NOT_BEFORE_OFF 0
#define C_NOT_AFTER_OFF 8
#define C_DOMAINS_OFF 16
#define C_SERIAL_OFF 24

enum capsule_reason capsule_cert_read(const struct capsule_certrec *rec, struct capsule_cert *out)
{
    struct cpr_msg m;
    struct cpr_struct s;
    struct cpr_bytes name, mk, pk;
    if (cpr_open(&m, rec->body, rec->body_len) != CPR_OK || cpr_root(&m, &s) != CPR_OK ||
        s.ndata > 4 || s.nptrs > C_NPTRS || cpr_text(&s, C_NAME, &name) != CPR_OK ||
        cpr_data(&s, C_MACHINE_KEY, &mk) != CPR_OK || cpr_data(&s, C_PERSON_KEY, &pk) != CPR_OK)
        return CAPSULE_CERT_FORMAT;
    /* bytes 17..23 of the data section are padding in the schema */
    if (s.ndata >= 3 && (cpr_u8(&s, 17) | cpr_u16(&s, 18) | cpr_u32(&s, 20)))
        return CAPSULE_CERT_FORMAT;
    out->name = cap_str(name);
    out->machine_key = mk.p;
    out->person_key = pk.p;
    out->not_before = (int64_t)cpr_u64(&s, C_NOT_BEFORE_OFF);
    out->not_after = (int64_t)cpr_u64(&s, C_NOT_AFTER_OFF);
    out->domains = cpr_u8(&s, C_DOMAINS_OFF);
    out->serial = cpr_u64(&s, C_SERIAL_OFF);
    if (mk.len != 32 || pk.len != 32 || !capsule_valid_cert_name(out->name) ||
        out->not_before > out->not_after || out->domains == 0 ||
        (out->domains >> CAPSULE_NDOMAINS) != 0)
        return CAPSULE_CERT_FORMAT;
    return CAPSULE_OK;
}

void capsule_signed_msg(const struct capsule_crypto *c, const uint8_t ctx[CAPSULE_CTX_LEN],
                        const uint8_t *data, size_t len, uint8_t out[64])
{
    for (uint32_t i = 0; i < CAPSULE_CTX_LEN; i++)
        out[i] = ctx[i];
    c->sha256(out + CAPSULE_CTX_LEN, data, len);
}

static enum capsule_reason parse_proof(struct capsule_env *env)
{
    const uint8_t *p = env->proof;
    size_t len = env->proof_len;
    if (len < CAPSULE_PROOF_FIXED || cap_ld32(p) != CAPSULE_SIG_ALG_ED25519)
        return CAPSULE_PROOF_FORMAT;
    uint32_t n = cap_ld32(p + 4);
    if (n < 1 || n > CAPSULE_MAX_CHAIN)
        return CAPSULE_PROOF_FORMAT;
    env->sig = p + 8;
    env->ncerts = n;
    size_t off = CAPSULE_PROOF_FIXED;
    for (uint32_t i = 0; i < n; i++) {
        size_t used;
        enum capsule_reason r = capsule_parse_certrec(p + off, len - off, &used, &env->certs[i]);
        if (r)
            return r;
        off += used;
    }
    return off == len ? CAPSULE_OK : CAPSULE_PROOF_FORMAT;
}

enum capsule_reason capsule_parse_envelope(const uint8_t *buf, size_t len, struct capsule_env *env)
{
    static const uint8_t magic[8] = CAPSULE_MAGIC_BYTES;
    if (len < CAPSULE_HEADER_SIZE)
        return CAPSULE_TRUNCATED;
    if (!cap_memeq(buf, magic, 8))
        return CAPSULE_MAGIC;
    if (cap_ld32(buf + 8) != CAPSULE_FORMAT_VERSION)
        return CAPSULE_VERSION;
    if (cap_ld32(buf + 12) != 0)
        return CAPSULE_FLAGS;
    uint64_t mlen = cap_ld32(buf + 16), plen = cap_ld32(buf + 20);
    uint64_t paylen = cap_ld64(buf + 24), total = cap_ld64(buf + 32);
    if (mlen == 0 || mlen % 8 || plen % 8 || paylen % 8 || paylen > total ||
        total != CAPSULE_HEADER_SIZE + mlen + plen + paylen || total != len)
        return CAPSULE_LAYOUT;
    env->manifest = buf + CAPSULE_HEADER_SIZE;
    env->manifest_len = (uint32_t)mlen;
    env->proof = plen ? env->manifest + mlen : 0;
    env->proof_len = (uint32_t)plen;
    env->payload = env->manifest + mlen + plen;
    env->payload_len = paylen;
    env->sig = 0;
    env->ncerts = 0;
    return plen ? parse_proof(env) : CAPSULE_OK;
}

/* The envelope's sections are located (only the proof may be bad). */
static bool sections_ok(enum capsule_reason r)
{
    return r == CAPSULE_OK || r == CAPSULE_PROOF_FORMAT || r == CAPSULE_CERT_FORMAT;
}

enum capsule_reason capsule_vcid(const struct capsule_crypto *c, const uint8_t *buf, size_t len,
                                 uint8_t vcid[32])
{
    struct capsule_env env;
    enum capsule_reason r = capsule_parse_envelope(buf, len, &env);
    if (sections_ok(r))
        c->sha256(vcid, env.manifest, env.manifest_len);
    return r;
}

static enum capsule_reason done(struct capsule_result *res, enum capsule_reason r, int32_t index,
                                struct capsule_str what)
{
    res->reason = r;
    res->index = index;
    res->what = what;
    return r;
}

/* Blob records: u64 size, the bytes, zero padding to 8. The framing is
 * checked first, without hashing: the first framing fault is returned,
 * and *nblobs_ok is the number of blobs before it (all of them when the
 * fault is trailing bytes or there is none). */
static enum capsule_reason check_framing(const struct capsule_env *env,
                                         const struct capsule_manifest *m, uint32_t *nblobs_ok,
                                         struct capsule_result *res)
{
    const uint8_t *p = env->payload;
    uint64_t left = env->payload_len;
    uint32_t n = capsule_manifest_nblobs(m);
    for (uint32_t i = 0; i < n; i++) {
        struct capsule_blob b = capsule_manifest_blob(m, i);
        *nblobs_ok = i;
        if (left < 8)
            return done(res, CAPSULE_BLOB_MISSING, (int32_t)i, b.name);
        uint64_t size = cap_ld64(p);
        if (size != b.size)
            return done(res, CAPSULE_BLOB_SIZE, (int32_t)i, b.name);
        uint64_t padded = (size + 7) & ~(uint64_t)7;
        if (size > left - 8 || padded > left - 8)
            return done(res, CAPSULE_BLOB_MISSING, (int32_t)i, b.name);
        if (!all_zero(p + 8 + size, (size_t)(padded - size)))
            return done(res, CAPSULE_PADDING, (int32_t)i, b.name);
        p += 8 + padded;
        left -= 8 + padded;
    }
    *nblobs_ok = n;
    if (left)
        return done(res, CAPSULE_PAYLOAD_TRAILING, -1, none);
    return CAPSULE_OK;
}

/*
 * The payload, hashing each byte once on the way to an activation. The
 * manifest's `integrity` covers the whole payload (every blob record),
 * and each blob's own covers its bytes again; both are in the signed
 * manifest. When the payload's digest matches, the payload is the bytes
 * its signer hashed, and so is every blob in it: a blob digest that then
 * disagreed could only have been signed that way (vcapsule computes both
 * from the same bytes), so they are not computed again. Only when the
 * payload's digest differs are the blob digests computed, in order, to
 * name the first blob that differs. The result is the one the checks in
 * the order of docs/CAPSULE.md give (per blob: BLOB_MISSING, BLOB_SIZE,
 * PADDING, BLOB_HASH; then PAYLOAD_TRAILING, PAYLOAD_HASH) for every
 * capsule whose blob digests agree with what its signer hashed.
 */
static enum capsule_reason check_payload(const struct capsule_crypto *c,
                                         const struct capsule_env *env,
                                         const struct capsule_manifest *m,
                                         struct capsule_result *res)
{
    uint32_t nok = 0;
    struct capsule_result framing = *res;
    enum capsule_reason fr = check_framing(env, m, &nok, &framing);
    if (capsule_check_integrity(c, capsule_manifest_integrity(m), env->payload,
                                (size_t)env->payload_len)) {
        *res = framing;
        return fr;
    }
    const uint8_t *p = env->payload;
    for (uint32_t i = 0; i < nok; i++) {
        struct capsule_blob b = capsule_manifest_blob(m, i);
        uint64_t size = cap_ld64(p);
        if (!capsule_check_integrity(c, b.integrity, p + 8, (size_t)size))
            return done(res, CAPSULE_BLOB_HASH, (int32_t)i, b.name);
        p += 8 + ((size + 7) & ~(uint64_t)7);
    }
    if (fr) {
        *res = framing;
        return fr;
    }
    return done(res, CAPSULE_PAYLOAD_HASH, -1, none);
}

enum capsule_reason capsule_verify(const struct capsule_crypto *c, const uint8_t *buf, size_t len,
                                   const struct capsule_policy *policy, int64_t now,
                                   struct capsule_result *res)
{
    struct capsule_env env;
    struct capsule_cert cert;
    struct capsule_manifest m;
    struct capsule_str person;
    uint8_t msg[64];
    enum capsule_reason r;

    res->have_vcid = false;
    r = capsule_parse_envelope(buf, len, &env);
    if (!sections_ok(r))
        return done(res, r, -1, none);
    c->sha256(res->vcid, env.manifest, env.manifest_len);
    res->have_vcid = true;
    if (r != CAPSULE_OK)
        return done(res, r, -1, none);
    if (!env.proof)
        return done(res, CAPSULE_UNSIGNED, -1, none);

    /* the certificate: well-formed, signed by its issuer, issuer trusted, in date */
    if ((r = capsule_cert_read(&env.certs[0], &cert)))
        return done(res, r, 0, none);
    capsule_signed_msg(c, capsule_ctx_cert, env.certs[0].body, env.certs[0].body_len, msg);
    if (!c->ed25519_verify(env.certs[0].sig, msg, sizeof msg, cert.person_key))
        return done(res, CAPSULE_CERT_SIGNATURE, 0, cert.name);
    if (!capsule_policy_person(policy, cert.person_key, &person))
        return done(res, CAPSULE_UNKNOWN_PERSON, 0, cert.name);
    if (now < cert.not_before)
        return done(res, CAPSULE_CERT_NOT_YET_VALID, 0, cert.name);
    if (now > cert.not_after)
        return done(res, CAPSULE_CERT_EXPIRED, 0, cert.name);

    /* the capsule signature over its VCID, by the certified Machine key */
    for (uint32_t i = 0; i < CAPSULE_CTX_LEN; i++)
        msg[i] = capsule_ctx_capsule[i];
    for (uint32_t i = 0; i < 32; i++)
        msg[CAPSULE_CTX_LEN + i] = res->vcid[i];
    if (!c->ed25519_verify(env.sig, msg, sizeof msg, cert.machine_key))
        return done(res, CAPSULE_SIGNATURE, -1, cert.name);

    /* the manifest, now authenticated */
    res->index = -1;
    res->what = none;
    if ((r = capsule_manifest_open(&m, env.manifest, env.manifest_len, res)))
        return r;

    /* the domain: certified, signer permitted, requires under the ceiling */
    uint16_t d = capsule_manifest_domain(&m);
    if (!(cert.domains & (1u << d)))
        return done(res, CAPSULE_DOMAIN_NOT_CERTIFIED, -1, cert.name);
    if (!capsule_policy_may_sign(policy, d, person))
        return done(res, CAPSULE_DOMAIN_SIGNER, -1, person);
    uint32_t nreq = capsule_manifest_count(&m, CAPSULE_REQUIRES);
    for (uint32_t i = 0; i < nreq; i++) {
        struct capsule_str cap = capsule_manifest_item(&m, CAPSULE_REQUIRES, i);
        if (!capsule_policy_allows(policy, d, cap))
            return done(res, CAPSULE_DOMAIN_OVERREACH, (int32_t)i, cap);
    }

    if ((r = check_payload(c, &env, &m, res)))
        return r;
    return done(res, CAPSULE_OK, -1, none);
}
