/*
 * test_capsule: the capsule verifier (lib/capsule) end to end, one case per
 * refusal reason, with capsules made by the host builder from
 * tests/capsule/hello and keys from fixed seeds. Also the canonical
 * Cap'n Proto reader's refusals and the every-bit-flip sweep.
 *
 * Needs `capnp` (manifests and certificates are converted with it).
 */
#include "vtest.h"

#include <sodium.h>
#include <stdlib.h>

#include "../../tools/vcapsule/capsule_build.h"
#include "../../tools/vkey/host.h"
#include "../../tools/vkey/keys.h"

#define NOW 1700000000LL

struct keyset {
    uint8_t person_pk[32], person_sk[64];
    uint8_t machine_pk[32], machine_sk[64];
};

static void keys_from(uint8_t tag, struct keyset *k)
{
    uint8_t seed[32];
    memset(seed, tag, 32);
    crypto_sign_seed_keypair(k->person_pk, k->person_sk, seed);
    seed[0] ^= 0x80;
    crypto_sign_seed_keypair(k->machine_pk, k->machine_sk, seed);
}

static struct vbuf make_cert(const struct keyset *k, int64_t nb, int64_t na, uint8_t domains)
{
    struct cert_fields f = {"build-01", {0}, {0}, nb, na, domains, 7};
    memcpy(f.machine_key, k->machine_pk, 32);
    memcpy(f.person_key, k->person_pk, 32);
    uint8_t *img;
    size_t len;
    if (cert_issue(&f, k->person_sk, &img, &len) < 0)
        vtest_fail(__FILE__, __LINE__, "cert_issue: %s", host_errmsg());
    struct vbuf b = {img, len, len};
    return b;
}

static struct vbuf unsigned_hello(void)
{
    struct vbuf b = {0};
    if (vc_build_file("tests/capsule/hello/manifest.json", &b) < 0)
        vtest_fail(__FILE__, __LINE__, "build: %s", host_errmsg());
    return b;
}

/* Signs with any key, carrying any certificate (the real signer refuses a
 * mismatched pair; tests need both). */
static struct vbuf sign_raw(const struct vbuf *cap, const uint8_t sk[64], const struct vbuf *cert)
{
    struct capsule_env env;
    CHECK(capsule_parse_envelope(cap->p, cap->len, &env) == CAPSULE_OK);
    uint8_t msg[64], sig[64];
    capsule_signed_msg(&host_crypto, capsule_ctx_capsule, env.manifest, env.manifest_len, msg);
    crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
    struct vbuf proof = {0}, out = {0};
    uint8_t hdr[8] = {1, 0, 0, 0, 1, 0, 0, 0};
    vbuf_put(&proof, hdr, 8);
    vbuf_put(&proof, sig, 64);
    vbuf_put(&proof, cert->p + 8, cert->len - 8);
    vc_envelope(env.manifest, env.manifest_len, proof.p, proof.len, env.payload,
                (size_t)env.payload_len, &out);
    vbuf_free(&proof);
    return out;
}

static struct vbuf policy_json(const char *fmt, const struct keyset *k)
{
    char hex[65], json[2048];
    host_hex(hex, k->person_pk, 32);
    snprintf(json, sizeof json, fmt, hex);
    uint8_t *out;
    size_t len;
    if (host_capnp_convert("json:canonical", "Policy", (const uint8_t *)json, strlen(json), &out,
                           &len) < 0)
        vtest_fail(__FILE__, __LINE__, "policy: %s", host_errmsg());
    struct vbuf b = {out, len, len};
    return b;
}

static const char std_policy[] =
    "{\"persons\":[{\"name\":\"alice\",\"key\":\"%s\"}],"
    "\"domains\":[{\"domain\":\"D2\",\"ceiling\":[\"IPC_SRV\",\"svc:*\"],\"signers\":[\"alice\"]}]}";

struct fixture {
    struct keyset k;
    struct vbuf cert, cap, signed_cap, pol;
    struct capsule_policy policy;
};

static void setup(struct fixture *f)
{
    keys_from(0x11, &f->k);
    f->cert = make_cert(&f->k, NOW - 1000, NOW + 1000, 1u << 2);
    f->cap = unsigned_hello();
    CHECK(vc_sign(f->cap.p, f->cap.len, f->k.machine_pk, f->k.machine_sk, f->cert.p, f->cert.len,
                  &f->signed_cap) == 0);
    f->pol = policy_json(std_policy, &f->k);
    CHECK(capsule_policy_open(&f->policy, f->pol.p, f->pol.len) == CAPSULE_OK);
}

static void teardown(struct fixture *f)
{
    vbuf_free(&f->cert);
    vbuf_free(&f->cap);
    vbuf_free(&f->signed_cap);
    vbuf_free(&f->pol);
}

static enum capsule_reason verify(const struct vbuf *cap, const struct capsule_policy *p,
                                  struct capsule_result *res)
{
    return capsule_verify(&host_crypto, cap->p, cap->len, p, NOW, res);
}

TEST(a_good_capsule_verifies_and_its_vcid_is_the_manifest_hash)
{
    struct fixture f = {0};
    struct capsule_result res;
    setup(&f);
    CHECK_EQ(verify(&f.signed_cap, &f.policy, &res), CAPSULE_OK);
    CHECK(res.have_vcid);
    struct capsule_env env;
    CHECK(capsule_parse_envelope(f.signed_cap.p, f.signed_cap.len, &env) == CAPSULE_OK);
    uint8_t h[32];
    crypto_hash_sha256(h, env.manifest, env.manifest_len);
    CHECK_MEM(h, res.vcid, 32);
    /* signing does not change the identity */
    uint8_t v2[32];
    CHECK(capsule_vcid(&host_crypto, f.cap.p, f.cap.len, v2) == CAPSULE_OK);
    CHECK_MEM(v2, res.vcid, 32);
    teardown(&f);
}

TEST(manifest_fields_read_back)
{
    struct fixture f = {0};
    setup(&f);
    struct capsule_env env;
    struct capsule_manifest m;
    CHECK(capsule_parse_envelope(f.cap.p, f.cap.len, &env) == CAPSULE_OK);
    CHECK(capsule_manifest_open(&m, env.manifest, env.manifest_len, NULL) == CAPSULE_OK);
    struct capsule_str s = capsule_manifest_name(&m);
    CHECK(s.len == 5 && !memcmp(s.p, "hello", 5));
    CHECK_EQ(capsule_manifest_domain(&m), 2);
    CHECK_EQ(capsule_manifest_count(&m, CAPSULE_REQUIRES), 2);
    CHECK_EQ(capsule_manifest_count(&m, CAPSULE_OPENS), 1);
    CHECK_EQ(capsule_manifest_mem_max(&m), 1048576);
    CHECK_EQ(capsule_manifest_nblobs(&m), 2);
    CHECK_EQ(capsule_manifest_blob(&m, 0).size, 15);
    CHECK_EQ(capsule_manifest_nrates(&m), 1);
    CHECK_EQ(capsule_manifest_rate(&m, 0).per_sec, 1000);
    CHECK_EQ(capsule_manifest_rate(&m, 0).burst, 64);
    teardown(&f);
}

TEST(what_if_it_is_signed_with_the_wrong_key)
{
    struct fixture f = {0};
    struct capsule_result res;
    setup(&f);
    struct keyset other;
    keys_from(0x22, &other);
    struct vbuf bad = sign_raw(&f.cap, other.machine_sk, &f.cert);
    CHECK_EQ(verify(&bad, &f.policy, &res), CAPSULE_SIGNATURE);
    /* the host signer refuses the mismatch up front */
    struct vbuf out = {0};
    CHECK(vc_sign(f.cap.p, f.cap.len, other.machine_pk, other.machine_sk, f.cert.p, f.cert.len,
                  &out) < 0);
    vbuf_free(&bad);
    teardown(&f);
}

TEST(what_if_the_person_is_unknown)
{
    struct fixture f = {0};
    struct capsule_result res;
    setup(&f);
    struct keyset stranger;
    keys_from(0x33, &stranger);
    struct vbuf pol = policy_json(std_policy, &stranger);
    struct capsule_policy p;
    CHECK(capsule_policy_open(&p, pol.p, pol.len) == CAPSULE_OK);
    CHECK_EQ(verify(&f.signed_cap, &p, &res), CAPSULE_UNKNOWN_PERSON);
    vbuf_free(&pol);
    teardown(&f);
}

TEST(what_if_the_certificate_expired_or_is_not_yet_valid)
{
    struct fixture f = {0};
    struct capsule_result res;
    setup(&f);
    struct vbuf old = make_cert(&f.k, NOW - 2000, NOW - 1, 1u << 2);
    struct vbuf cap = sign_raw(&f.cap, f.k.machine_sk, &old);
    CHECK_EQ(verify(&cap, &f.policy, &res), CAPSULE_CERT_EXPIRED);
    struct vbuf future = make_cert(&f.k, NOW + 1, NOW + 2000, 1u << 2);
    struct vbuf cap2 = sign_raw(&f.cap, f.k.machine_sk, &future);
    CHECK_EQ(verify(&cap2, &f.policy, &res), CAPSULE_CERT_NOT_YET_VALID);
    /* validity bounds are inclusive */
    CHECK_EQ(capsule_verify(&host_crypto, cap.p, cap.len, &f.policy, NOW - 1, &res), CAPSULE_OK);
    CHECK_EQ(capsule_verify(&host_crypto, cap2.p, cap2.len, &f.policy, NOW + 1, &res), CAPSULE_OK);
    vbuf_free(&old);
    vbuf_free(&cap);
    vbuf_free(&future);
    vbuf_free(&cap2);
    teardown(&f);
}

TEST(what_if_the_capsule_asks_for_more_than_its_domain_ceiling)
{
    struct fixture f = {0};
    struct capsule_result res;
    setup(&f);
    struct vbuf pol = policy_json(
        "{\"persons\":[{\"name\":\"alice\",\"key\":\"%s\"}],"
        "\"domains\":[{\"domain\":\"D2\",\"ceiling\":[\"IPC_SRV\",\"svc:store\"],\"signers\":[\"alice\"]}]}",
        &f.k);
    struct capsule_policy p;
    CHECK(capsule_policy_open(&p, pol.p, pol.len) == CAPSULE_OK);
    CHECK_EQ(verify(&f.signed_cap, &p, &res), CAPSULE_DOMAIN_OVERREACH);
    CHECK_EQ(res.index, 1);
    CHECK(res.what.len == 7 && !memcmp(res.what.p, "svc:log", 7));
    vbuf_free(&pol);
    teardown(&f);
}

TEST(what_if_the_machine_is_not_certified_for_the_domain)
{
    struct fixture f = {0};
    struct capsule_result res;
    setup(&f);
    struct vbuf c3 = make_cert(&f.k, NOW - 10, NOW + 10, 1u << 3);
    struct vbuf cap = sign_raw(&f.cap, f.k.machine_sk, &c3);
    CHECK_EQ(verify(&cap, &f.policy, &res), CAPSULE_DOMAIN_NOT_CERTIFIED);
    vbuf_free(&c3);
    vbuf_free(&cap);
    teardown(&f);
}

TEST(what_if_the_person_may_not_sign_for_the_domain)
{
    struct fixture f = {0};
    struct capsule_result res;
    setup(&f);
    struct vbuf pol = policy_json(
        "{\"persons\":[{\"name\":\"alice\",\"key\":\"%s\"}],"
        "\"domains\":[{\"domain\":\"D2\",\"ceiling\":[\"*\"],\"signers\":[\"bob\"]},"
        "{\"domain\":\"D3\",\"ceiling\":[\"*\"],\"signers\":[\"alice\"]}]}",
        &f.k);
    struct capsule_policy p;
    CHECK(capsule_policy_open(&p, pol.p, pol.len) == CAPSULE_OK);
    CHECK_EQ(verify(&f.signed_cap, &p, &res), CAPSULE_DOMAIN_SIGNER);
    vbuf_free(&pol);
    teardown(&f);
}

/* Re-lays out a capsule with a different payload, keeping manifest and proof. */
static struct vbuf with_payload(const struct vbuf *cap, const uint8_t *pay, size_t n)
{
    struct capsule_env env;
    struct vbuf out = {0};
    CHECK(capsule_parse_envelope(cap->p, cap->len, &env) == CAPSULE_OK);
    vc_envelope(env.manifest, env.manifest_len, env.proof, env.proof_len, pay, n, &out);
    return out;
}

TEST(what_if_a_blob_is_missing)
{
    struct fixture f = {0};
    struct capsule_result res;
    setup(&f);
    struct capsule_env env;
    CHECK(capsule_parse_envelope(f.signed_cap.p, f.signed_cap.len, &env) == CAPSULE_OK);
    /* keep only the first blob record: 8 + 16 bytes */
    struct vbuf cap = with_payload(&f.signed_cap, env.payload, 24);
    CHECK_EQ(verify(&cap, &f.policy, &res), CAPSULE_BLOB_MISSING);
    CHECK_EQ(res.index, 1);
    CHECK(res.what.len == 6 && !memcmp(res.what.p, "config", 6));
    /* and with no payload at all */
    struct vbuf none = with_payload(&f.signed_cap, env.payload, 0);
    CHECK_EQ(verify(&none, &f.policy, &res), CAPSULE_BLOB_MISSING);
    CHECK_EQ(res.index, 0);
    vbuf_free(&cap);
    vbuf_free(&none);
    teardown(&f);
}

TEST(what_if_a_blob_is_altered_resized_padded_or_followed_by_junk)
{
    struct fixture f = {0};
    struct capsule_result res;
    setup(&f);
    struct capsule_env env;
    CHECK(capsule_parse_envelope(f.signed_cap.p, f.signed_cap.len, &env) == CAPSULE_OK);
    size_t n = (size_t)env.payload_len;
    uint8_t *pay = malloc(n + 16);
    memcpy(pay, env.payload, n);

    pay[8] ^= 0x20; /* 'h' -> 'H' in hello.elf */
    struct vbuf c1 = with_payload(&f.signed_cap, pay, n);
    CHECK_EQ(verify(&c1, &f.policy, &res), CAPSULE_BLOB_HASH);
    pay[8] ^= 0x20;

    pay[0] = 16; /* size field */
    struct vbuf c2 = with_payload(&f.signed_cap, pay, n);
    CHECK_EQ(verify(&c2, &f.policy, &res), CAPSULE_BLOB_SIZE);
    pay[0] = 15;

    pay[8 + 15] = 1; /* the one padding byte after 15 bytes */
    struct vbuf c3 = with_payload(&f.signed_cap, pay, n);
    CHECK_EQ(verify(&c3, &f.policy, &res), CAPSULE_PADDING);
    pay[8 + 15] = 0;

    memset(pay + n, 0, 16);
    struct vbuf c4 = with_payload(&f.signed_cap, pay, n + 16);
    CHECK_EQ(verify(&c4, &f.policy, &res), CAPSULE_PAYLOAD_TRAILING);

    struct vbuf c5 = with_payload(&f.signed_cap, pay, n);
    CHECK_EQ(verify(&c5, &f.policy, &res), CAPSULE_OK);
    free(pay);
    vbuf_free(&c1);
    vbuf_free(&c2);
    vbuf_free(&c3);
    vbuf_free(&c4);
    vbuf_free(&c5);
    teardown(&f);
}

/* Counts the bytes each verification hashes (host_crypto underneath). */
static size_t hashed;
static void count_sha256(uint8_t out[32], const void *m, size_t len)
{
    hashed += len;
    host_crypto.sha256(out, m, len);
}
static void count_sha3_512(uint8_t out[64], const void *m, size_t len)
{
    hashed += len;
    host_crypto.sha3_512(out, m, len);
}

TEST(a_good_capsule_has_each_payload_byte_hashed_once)
{
    struct fixture f = {0};
    struct capsule_result res;
    setup(&f);
    struct capsule_crypto counting = {count_sha256, count_sha3_512, host_crypto.ed25519_verify};
    struct capsule_env env;
    CHECK(capsule_parse_envelope(f.signed_cap.p, f.signed_cap.len, &env) == CAPSULE_OK);
    hashed = 0;
    CHECK_EQ(capsule_verify(&counting, f.signed_cap.p, f.signed_cap.len, &f.policy, NOW, &res),
             CAPSULE_OK);
    /* the VCID (manifest), the certificate body, the payload: once each */
    CHECK_EQ(hashed, env.manifest_len + env.certs[0].body_len + env.payload_len);
    CHECK(env.payload_len > 0);

    /* a flipped payload byte: the blobs are hashed too, to name the one */
    size_t n = (size_t)env.payload_len;
    uint8_t *pay = malloc(n);
    memcpy(pay, env.payload, n);
    pay[8] ^= 1; /* the first blob's first byte */
    struct vbuf bad = with_payload(&f.signed_cap, pay, n);
    hashed = 0;
    CHECK_EQ(capsule_verify(&counting, bad.p, bad.len, &f.policy, NOW, &res), CAPSULE_BLOB_HASH);
    CHECK(hashed > env.manifest_len + env.certs[0].body_len + env.payload_len);
    free(pay);
    vbuf_free(&bad);
    teardown(&f);
}

/* A manifest straight from JSON (bypassing the builder's own checks). */
static struct vbuf raw_manifest(const char *json)
{
    uint8_t *out;
    size_t len;
    if (host_capnp_convert("json:canonical", "Manifest", (const uint8_t *)json, strlen(json), &out,
                           &len) < 0)
        vtest_fail(__FILE__, __LINE__, "manifest: %s", host_errmsg());
    struct vbuf b = {out, len, len};
    return b;
}

static enum capsule_reason manifest_reason(const char *json)
{
    struct vbuf m = raw_manifest(json);
    struct capsule_manifest cm;
    struct capsule_result res;
    enum capsule_reason r = capsule_manifest_open(&cm, m.p, m.len, &res);
    vbuf_free(&m);
    return r;
}

#define OKI "\"integrity\":\"sha256:0000000000000000000000000000000000000000000000000000000000000000\""

TEST(what_if_the_payload_digest_is_wrong)
{
    struct fixture f = {0};
    struct capsule_result res;
    setup(&f);
    struct vbuf m = raw_manifest("{\"name\":\"x\",\"ver\":\"1.0.0\",\"domain\":\"D2\"," OKI "}");
    struct vbuf cap = {0};
    vc_envelope(m.p, m.len, NULL, 0, NULL, 0, &cap);
    struct vbuf s = sign_raw(&cap, f.k.machine_sk, &f.cert);
    CHECK_EQ(verify(&s, &f.policy, &res), CAPSULE_PAYLOAD_HASH);
    vbuf_free(&m);
    vbuf_free(&cap);
    vbuf_free(&s);
    teardown(&f);
}

TEST(what_if_a_manifest_field_is_malformed)
{
#define M(extra) "{\"name\":\"x\",\"ver\":\"1.0.0\",\"domain\":\"D2\"," OKI extra "}"
    CHECK_EQ(manifest_reason(M("")), CAPSULE_OK);
    CHECK_EQ(manifest_reason("{\"name\":\"Hello\",\"ver\":\"1.0.0\"," OKI "}"), CAPSULE_BAD_NAME);
    CHECK_EQ(manifest_reason("{\"ver\":\"1.0.0\"," OKI "}"), CAPSULE_BAD_NAME);
    CHECK_EQ(manifest_reason("{\"name\":\"x\",\"ver\":\"1.0\"," OKI "}"), CAPSULE_BAD_VERSION);
    CHECK_EQ(manifest_reason("{\"name\":\"x\",\"ver\":\"01.0.0\"," OKI "}"), CAPSULE_BAD_VERSION);
    CHECK_EQ(manifest_reason("{\"name\":\"x\",\"ver\":\"1.0.0-\"," OKI "}"), CAPSULE_BAD_VERSION);
    CHECK_EQ(manifest_reason("{\"name\":\"x\",\"ver\":\"1.0.0-01\"," OKI "}"), CAPSULE_BAD_VERSION);
    CHECK_EQ(manifest_reason("{\"name\":\"x\",\"ver\":\"1.0.0-rc.1+b.01\"," OKI "}"), CAPSULE_OK);
    CHECK_EQ(manifest_reason("{\"name\":\"x\",\"ver\":\"1.0.0\",\"domain\":7," OKI "}"),
             CAPSULE_DOMAIN_INVALID);
    CHECK_EQ(manifest_reason(M(",\"requires\":[\"ipc_srv\"]")), CAPSULE_BAD_CAPABILITY);
    CHECK_EQ(manifest_reason(M(",\"requires\":[\"svc:\"]")), CAPSULE_BAD_CAPABILITY);
    CHECK_EQ(manifest_reason(M(",\"provides\":[\"IPC_SRV\"]")), CAPSULE_BAD_CAPABILITY);
    CHECK_EQ(manifest_reason("{\"name\":\"x\",\"ver\":\"1.0.0\",\"integrity\":\"sha256:00\"}"),
             CAPSULE_BAD_INTEGRITY);
    CHECK_EQ(manifest_reason("{\"name\":\"x\",\"ver\":\"1.0.0\"}"), CAPSULE_BAD_INTEGRITY);
    CHECK_EQ(manifest_reason(M(",\"entry\":\"nope\"")), CAPSULE_BAD_ENTRY);
    CHECK_EQ(manifest_reason(M(",\"intent\":{\"opens\":[\"svc:log\"]}")), CAPSULE_BAD_INTENT);
    CHECK_EQ(manifest_reason(M(",\"intent\":{\"syscalls\":[\"Ring\"]}")), CAPSULE_BAD_INTENT);
    CHECK_EQ(manifest_reason(M(",\"blobs\":[{\"name\":\"a\"," OKI "},{\"name\":\"a\"," OKI "}]")),
             CAPSULE_BAD_BLOB);
    CHECK_EQ(manifest_reason(M(",\"blobs\":[{\"name\":\".a\"," OKI "}]")), CAPSULE_BAD_BLOB);
    CHECK_EQ(manifest_reason(M(",\"blobs\":[{\"name\":\"a\",\"integrity\":\"md5:00\"}]")),
             CAPSULE_BAD_INTEGRITY);
    char many[4096] = M(",\"requires\":[");
    many[strlen(many) - 1] = 0; /* drop the closing brace */
    for (unsigned i = 0; i < CAPSULE_MAX_LIST + 1; i++)
        strcat(many, i ? ",\"IPC_SRV\"" : "\"IPC_SRV\"");
    strcat(many, "]}");
    CHECK_EQ(manifest_reason(many), CAPSULE_TOO_MANY);
#undef M
}

TEST(what_if_the_signed_manifest_is_not_canonical)
{
    struct fixture f = {0};
    struct capsule_result res;
    setup(&f);
    struct capsule_env env;
    CHECK(capsule_parse_envelope(f.cap.p, f.cap.len, &env) == CAPSULE_OK);
    /* a gap word at the end: readable, but not canonical */
    struct vbuf m = {0}, cap = {0};
    uint8_t zero[8] = {0};
    vbuf_put(&m, env.manifest, env.manifest_len);
    vbuf_put(&m, zero, 8);
    vc_envelope(m.p, m.len, NULL, 0, env.payload, (size_t)env.payload_len, &cap);
    struct vbuf s = sign_raw(&cap, f.k.machine_sk, &f.cert);
    CHECK_EQ(verify(&s, &f.policy, &res), CAPSULE_MANIFEST_FORMAT);
    vbuf_free(&m);
    vbuf_free(&cap);
    vbuf_free(&s);
    teardown(&f);
}

TEST(what_if_the_envelope_is_broken)
{
    struct fixture f = {0};
    struct capsule_result res;
    setup(&f);
    struct vbuf *c = &f.signed_cap;
    CHECK_EQ(capsule_verify(&host_crypto, c->p, 39, &f.policy, NOW, &res), CAPSULE_TRUNCATED);
    CHECK_EQ(capsule_verify(&host_crypto, c->p, c->len - 8, &f.policy, NOW, &res), CAPSULE_LAYOUT);
    c->p[0] ^= 1;
    CHECK_EQ(verify(c, &f.policy, &res), CAPSULE_MAGIC);
    c->p[0] ^= 1;
    c->p[8] = 2;
    CHECK_EQ(verify(c, &f.policy, &res), CAPSULE_VERSION);
    c->p[8] = 1;
    c->p[13] = 1;
    CHECK_EQ(verify(c, &f.policy, &res), CAPSULE_FLAGS);
    c->p[13] = 0;
    c->p[16] ^= 8; /* manifest length */
    CHECK_EQ(verify(c, &f.policy, &res), CAPSULE_LAYOUT);
    c->p[16] ^= 8;
    CHECK_EQ(verify(c, &f.policy, &res), CAPSULE_OK);
    CHECK_EQ(verify(&f.cap, &f.policy, &res), CAPSULE_UNSIGNED);
    teardown(&f);
}

TEST(what_if_the_proof_or_certificate_is_broken)
{
    struct fixture f = {0};
    struct capsule_result res;
    setup(&f);
    struct capsule_env env;
    CHECK(capsule_parse_envelope(f.signed_cap.p, f.signed_cap.len, &env) == CAPSULE_OK);
    size_t proof = (size_t)(env.proof - f.signed_cap.p);
    uint8_t *p = f.signed_cap.p;
    p[proof] = 2; /* signature algorithm */
    CHECK_EQ(verify(&f.signed_cap, &f.policy, &res), CAPSULE_PROOF_FORMAT);
    p[proof] = 1;
    p[proof + 4] = 2; /* two certificates */
    CHECK_EQ(verify(&f.signed_cap, &f.policy, &res), CAPSULE_PROOF_FORMAT);
    p[proof + 4] = 1;
    p[proof + 72 + 4] = 1; /* certificate record reserved word */
    CHECK_EQ(verify(&f.signed_cap, &f.policy, &res), CAPSULE_CERT_FORMAT);
    p[proof + 72 + 4] = 0;
    p[proof + 72 + 8 + 3] ^= 0x10; /* inside the certificate body's root pointer */
    CHECK(verify(&f.signed_cap, &f.policy, &res) == CAPSULE_CERT_FORMAT);
    p[proof + 72 + 8 + 3] ^= 0x10;
    p[f.signed_cap.len - (size_t)env.payload_len - 1] ^= 1; /* the Person's signature */
    CHECK_EQ(verify(&f.signed_cap, &f.policy, &res), CAPSULE_CERT_SIGNATURE);
    p[f.signed_cap.len - (size_t)env.payload_len - 1] ^= 1;
    CHECK_EQ(verify(&f.signed_cap, &f.policy, &res), CAPSULE_OK);
    teardown(&f);
}

TEST(what_if_the_policy_is_garbage)
{
    struct capsule_policy p;
    uint8_t junk[64];
    memset(junk, 0xA5, sizeof junk);
    CHECK_EQ(capsule_policy_open(&p, junk, sizeof junk), CAPSULE_POLICY_FORMAT);
    CHECK_EQ(capsule_policy_open(&p, junk, 7), CAPSULE_POLICY_FORMAT);
    struct keyset k;
    keys_from(1, &k);
    struct vbuf pol = policy_json("{\"persons\":[{\"name\":\"alice\",\"key\":\"%.10s\"}]}", &k);
    CHECK_EQ(capsule_policy_open(&p, pol.p, pol.len), CAPSULE_POLICY_FORMAT); /* 5-byte key */
    vbuf_free(&pol);
}

TEST(every_reason_has_a_name_and_a_message)
{
    for (int r = 0; r < CAPSULE_NREASONS; r++) {
        CHECK(strlen(capsule_reason_name((enum capsule_reason)r)) > 1);
        CHECK(strlen(capsule_reason_msg((enum capsule_reason)r)) > 10);
    }
    CHECK_STR(capsule_reason_name(CAPSULE_NREASONS), "UNKNOWN");
}

/* ---- the canonical reader ---- */

TEST(cpr_refuses_non_canonical_and_hostile_messages)
{
    struct cpr_msg m;
    uint8_t w[64] = {0};
    CHECK_EQ(cpr_open(&m, w, 0), CPR_E_SIZE);
    CHECK_EQ(cpr_open(&m, w, 12), CPR_E_SIZE);
    CHECK_EQ(cpr_open(&m, w, 8), CPR_OK); /* null root */
    CHECK_EQ(cpr_open(&m, w, 16), CPR_E_LAYOUT); /* null root plus a stray word */
    /* root struct, 1 data word holding 0: not truncated */
    uint8_t a[16] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK_EQ(cpr_open(&m, a, 16), CPR_E_TRUNCATE);
    a[8] = 5;
    CHECK_EQ(cpr_open(&m, a, 16), CPR_OK);
    /* far pointer */
    uint8_t far[16] = {2, 0, 0, 0, 0, 0, 0, 0};
    CHECK_EQ(cpr_open(&m, far, 16), CPR_E_POINTER);
    /* struct pointer past the end */
    uint8_t oob[8] = {0, 0, 0, 0, 4, 0, 0, 0};
    CHECK_EQ(cpr_open(&m, oob, 8), CPR_E_POINTER);
    /* root struct at offset 1 (a gap) */
    uint8_t gap[24] = {4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
    CHECK_EQ(cpr_open(&m, gap, 24), CPR_E_LAYOUT);
    /* a pointer cycle: root struct with one pointer back to itself */
    uint8_t cyc[16] = {0, 0, 0, 0, 0, 0, 1, 0, 0xf8, 0xff, 0xff, 0xff, 0, 0, 1, 0};
    CHECK(cpr_open(&m, cyc, 16) != CPR_OK);
    /* text without NUL: list of 1 byte 'x' */
    uint8_t t[24] = {0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0x0a, 0, 0, 0, 'x'};
    CHECK_EQ(cpr_open(&m, t, 24), CPR_OK);
    struct cpr_struct s;
    struct cpr_bytes b;
    CHECK_EQ(cpr_root(&m, &s), CPR_OK);
    CHECK_EQ(cpr_text(&s, 0, &b), CPR_E_TEXT);
    CHECK_EQ(cpr_data(&s, 0, &b), CPR_OK);
    CHECK_EQ(b.len, 1);
    /* asking for the wrong kind */
    struct cpr_struct sub;
    CHECK_EQ(cpr_struct_field(&s, 0, &sub), CPR_E_TYPE);
    /* non-zero list padding */
    t[17] = 1;
    CHECK_EQ(cpr_open(&m, t, 24), CPR_E_PADDING);
}

/* The acceptance sweep: flip each bit of a signed capsule in turn; every
 * single one must be refused, and the reasons seen are tallied (so the
 * sweep cannot pass by refusing everything for one trivial reason). */
TEST(every_single_bit_flip_is_refused)
{
    struct fixture f = {0};
    struct capsule_result res;
    setup(&f);
    struct vbuf *c = &f.signed_cap;
    CHECK_EQ(verify(c, &f.policy, &res), CAPSULE_OK);
    unsigned seen[CAPSULE_NREASONS] = {0};
    for (size_t bit = 0; bit < c->len * 8; bit++) {
        c->p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        enum capsule_reason r = verify(c, &f.policy, &res);
        c->p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (r == CAPSULE_OK)
            vtest_fail(__FILE__, __LINE__, "flipping bit %zu (byte %zu) was accepted", bit, bit / 8);
        seen[r]++;
    }
    CHECK_EQ(verify(c, &f.policy, &res), CAPSULE_OK);
    int kinds = 0;
    for (int r = 0; r < CAPSULE_NREASONS; r++)
        kinds += seen[r] != 0;
    CHECK(seen[CAPSULE_SIGNATURE] > 0);      /* manifest bits */
    CHECK(seen[CAPSULE_CERT_SIGNATURE] > 0); /* certificate bits */
    CHECK(seen[CAPSULE_BLOB_HASH] > 0);      /* payload bits */
    CHECK(seen[CAPSULE_MAGIC] == 64);
    CHECK(kinds >= 8);
    printf("    bit flips: %zu bits, %d distinct reasons\n", c->len * 8, kinds);
    teardown(&f);
}
