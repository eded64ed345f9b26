/*
 * test_policy: the install policy (lib/policy) rule by rule. A fixture
 * builds everything real: the hello capsule signed by a certified Machine,
 * a log of claims in memory (lib/tlog's proofs, a checkpoint signed by the
 * log key and cosigned by two witnesses), three rebuilder attestations and
 * a Policy that trusts all of it. Each rule then has a case that breaks
 * exactly that rule, on top of the fixture that passes, so a case that
 * refuses for another reason fails.
 *
 * Needs `capnp` (the manifest and the Policy are converted with it).
 */
#include "vtest.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../tools/vcapsule/capsule_build.h"
#include "../../tools/vkey/host.h"
#include "../../tools/vkey/keys.h"
#include "policy/policy.h"
#include "policy/sigcache.h"
#include "tlog_host.h"

#define NOW 1700000000LL
#define NENT 5 /* entries of the log; ours is entry OURS */
#define OURS 3

static const struct tlog_crypto *C = &tlog_host_crypto;

struct nkey {
    struct tlog_key k;
    uint8_t sk[64];
    char vkey[256];
};

static void nkey_make(struct nkey *n, const char *name, uint8_t type, uint8_t tag)
{
    uint8_t seed[32], pk[32];
    memset(seed, tag, 32);
    crypto_sign_seed_keypair(pk, n->sk, seed);
    CHECK_EQ(tlog_key_init(C, &n->k, name, strlen(name), type, pk), TLOG_OK);
    size_t l = tlog_vkey_format(&n->k, n->vkey, sizeof n->vkey - 1);
    CHECK(l > 0);
    n->vkey[l] = 0;
}

/* Text (ending in LF), a blank line and signature lines by the given
 * keys: a signed note, NUL-terminated. */
static size_t sign_note(char *out, size_t cap, const char *text, const struct nkey *const *keys,
                        size_t nkeys)
{
    static char scratch[4096];
    size_t tl = strlen(text), len = tl;
    memcpy(out, text, len);
    out[len++] = '\n';
    for (size_t i = 0; i < nkeys; i++) {
        size_t l;
        CHECK_EQ(tlog_sign_line(C, &keys[i]->k, keys[i]->sk, 1700000000 + i, text, tl,
                                scratch, sizeof scratch, out + len, cap - len, &l),
                 TLOG_OK);
        len += l;
    }
    out[len] = 0;
    return len;
}

/* ---- a log in memory ---- */

struct log {
    char entry[NENT + 2][512];
    uint8_t leaf[NENT + 2][32];
    size_t n;
};

static int log_read(void *arg, unsigned height, uint64_t index, uint8_t out[32])
{
    struct log *l = arg;
    uint64_t lo = index << height, hi = (index + 1) << height;
    if (hi > l->n)
        return -1;
    struct tlog_hashes h = {log_read, arg};
    if (height == 0) {
        memcpy(out, l->leaf[lo], 32);
        return 0;
    }
    uint8_t a[32], b[32];
    if (log_read(arg, height - 1, 2 * index, a) || log_read(arg, height - 1, 2 * index + 1, b))
        return -1;
    (void)h;
    tlog_node_hash(C, out, a, b);
    return 0;
}

static void log_add(struct log *l, const char *claim)
{
    snprintf(l->entry[l->n], sizeof l->entry[0], "%s", claim);
    tlog_leaf_hash(C, l->leaf[l->n], claim, strlen(claim));
    l->n++;
}

static void claim_text(char *out, size_t cap, const uint8_t vcid[32], const char *name,
                       const char *ver, const char *source)
{
    char hex[65];
    host_hex(hex, vcid, 32);
    snprintf(out, cap, "vectra-claim/v1\nvcid %s\nname %s\nversion %s\nsigner alice\nsource %s\n",
             hex, name, ver, source);
}

/* ---- the fixture ---- */

#define SOURCE "git:https://example.org/vectra.git@0123456789abcdef"

struct fixture {
    uint8_t person_pk[32], person_sk[64], machine_pk[32], machine_sk[64];
    struct vbuf cert, cap, signed_cap, pol;
    struct capsule_policy policy;
    struct capsule_manifest manifest;
    struct capsule_result vres;
    struct nkey log, log2, w[3], r[4];
    struct log tree;
    char cp[4096];      /* checkpoint note (log + 2 witnesses) */
    char bundle[8192];  /* tlog-proof */
    char att[4][1024];  /* attestations by r[0..3] (r[3] untrusted) */
    struct tlog_span spans[8];
    struct policy_trust trust;
    struct policy_state state;
    char scratch[4096];
    struct policy_input in;
};

/* A checkpoint of the first `size` entries, signed by `signers`. */
static void make_checkpoint(struct fixture *f, size_t size, const struct nkey *const *signers,
                            size_t n, char *out, size_t cap)
{
    struct tlog_hashes h = {log_read, &f->tree};
    struct tlog_checkpoint cp = {f->log.k.name, f->log.k.name_len, size, {0}, "", 0};
    size_t saved = f->tree.n;
    f->tree.n = size;
    CHECK_EQ(tlog_tree_hash(C, &h, size, cp.root), TLOG_OK);
    f->tree.n = saved;
    char text[512];
    size_t tl;
    CHECK_EQ(tlog_checkpoint_format(&cp, text, sizeof text - 1, &tl), TLOG_OK);
    text[tl] = 0;
    sign_note(out, cap, text, signers, n);
}

/* The tlog-proof of entry `idx` in the tree of `size` with note `note`. */
static void make_bundle(struct fixture *f, size_t idx, size_t size, const char *note, char *out,
                        size_t cap)
{
    struct tlog_hashes h = {log_read, &f->tree};
    struct tlog_proof p = {0};
    size_t saved = f->tree.n;
    f->tree.n = size;
    CHECK_EQ(tlog_prove_inclusion(C, &h, idx, size, p.path, TLOG_MAX_PROOF, &p.len), TLOG_OK);
    f->tree.n = saved;
    p.index = idx;
    p.note = note;
    p.note_len = strlen(note);
    size_t l;
    const char *e = f->tree.entry[idx];
    CHECK_EQ(tlog_proof_format(&p, e, strlen(e), out, cap - 1, &l), TLOG_OK);
    out[l] = 0;
}

static void attest(const struct fixture *f, const uint8_t vcid[32], const char *src,
                   const struct nkey *by, char *out, size_t cap)
{
    char text[512];
    size_t l = policy_attest_format(text, sizeof text, vcid, src, strlen(src));
    CHECK(l > 0);
    text[l] = 0;
    const struct nkey *k[1] = {by};
    sign_note(out, cap, text, k, 1);
    (void)f;
}

static const char policy_fmt[] =
    "{\"persons\":[{\"name\":\"alice\",\"key\":\"%s\"}],"
    "\"domains\":[{\"domain\":\"D2\",\"ceiling\":[\"IPC_SRV\",\"svc:*\"],\"signers\":[\"alice\"],"
    "\"min_rebuilders\":3,\"min_witnesses\":2}],"
    "\"logs\":[\"%s\"],\"witnesses\":[\"%s\",\"%s\",\"%s\"],\"rebuilders\":[\"%s\",\"%s\",\"%s\"]}";

static void open_policy(struct fixture *f, const char *json)
{
    uint8_t *out;
    size_t len;
    if (host_capnp_convert("json:canonical", "Policy", (const uint8_t *)json, strlen(json), &out,
                           &len) < 0)
        vtest_fail(__FILE__, __LINE__, "policy: %s", host_errmsg());
    vbuf_free(&f->pol);
    f->pol = (struct vbuf){out, len, len};
    CHECK_EQ(capsule_policy_open(&f->policy, f->pol.p, f->pol.len), CAPSULE_OK);
}

static void teardown(struct fixture *f);

/* The fixture is static (it is large); setup frees what a previous case
 * left, so a case that ends early at a failed CHECK leaks nothing. */
static void setup(struct fixture *f)
{
    teardown(f);
    memset(f, 0, sizeof *f);
    uint8_t seed[32];
    memset(seed, 0x11, 32);
    crypto_sign_seed_keypair(f->person_pk, f->person_sk, seed);
    seed[0] ^= 0x80;
    crypto_sign_seed_keypair(f->machine_pk, f->machine_sk, seed);
    struct cert_fields cf = {"build-01", {0}, {0}, NOW - 1000, NOW + 1000, 1u << 2, 7};
    memcpy(cf.machine_key, f->machine_pk, 32);
    memcpy(cf.person_key, f->person_pk, 32);
    uint8_t *img;
    size_t len;
    CHECK(cert_issue(&cf, f->person_sk, &img, &len) == 0);
    f->cert = (struct vbuf){img, len, len};
    CHECK(vc_build_file("tests/capsule/hello/manifest.json", &f->cap) == 0);
    CHECK(vc_sign(f->cap.p, f->cap.len, f->machine_pk, f->machine_sk, f->cert.p, f->cert.len,
                  &f->signed_cap) == 0);

    nkey_make(&f->log, "log.example.org/vectra", TLOG_SIG_ED25519, 0x21);
    nkey_make(&f->log2, "log.example.org/vectra", TLOG_SIG_ED25519, 0x22);
    nkey_make(&f->w[0], "witness-a", TLOG_SIG_COSIG, 0x31);
    nkey_make(&f->w[1], "witness-b", TLOG_SIG_COSIG, 0x32);
    nkey_make(&f->w[2], "witness-c", TLOG_SIG_COSIG, 0x33);
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "rebuilder-%d", i);
        nkey_make(&f->r[i], name, TLOG_SIG_ED25519, (uint8_t)(0x41 + i));
    }
    char hex[65], json[4096];
    host_hex(hex, f->person_pk, 32);
    snprintf(json, sizeof json, policy_fmt, hex, f->log.vkey, f->w[0].vkey, f->w[1].vkey,
             f->w[2].vkey, f->r[0].vkey, f->r[1].vkey, f->r[2].vkey);
    open_policy(f, json);
    CHECK_EQ(capsule_verify(&host_crypto, f->signed_cap.p, f->signed_cap.len, &f->policy, NOW,
                            &f->vres),
             CAPSULE_OK);
    struct capsule_env env;
    CHECK_EQ(capsule_parse_envelope(f->signed_cap.p, f->signed_cap.len, &env), CAPSULE_OK);
    CHECK_EQ(capsule_manifest_open(&f->manifest, env.manifest, env.manifest_len, &f->vres),
             CAPSULE_OK);
    CHECK_EQ(policy_trust_load(C, &f->policy, 2, &f->trust), POLICY_OK);

    /* the log: other claims around ours, one entry after the checkpoint */
    for (size_t i = 0; i < NENT + 1; i++) {
        char cl[512];
        uint8_t v[32];
        memset(v, (int)(0xa0 + i), 32);
        if (i == OURS)
            claim_text(cl, sizeof cl, f->vres.vcid, "hello", "1.2.3-rc.1+build.7", SOURCE);
        else
            claim_text(cl, sizeof cl, v, "other", "1.0.0", SOURCE);
        log_add(&f->tree, cl);
    }
    const struct nkey *s3[3] = {&f->log, &f->w[0], &f->w[1]};
    make_checkpoint(f, NENT, s3, 3, f->cp, sizeof f->cp);
    make_bundle(f, OURS, NENT, f->cp, f->bundle, sizeof f->bundle);
    for (int i = 0; i < 4; i++)
        attest(f, f->vres.vcid, SOURCE, &f->r[i], f->att[i], sizeof f->att[i]);
    for (int i = 0; i < 4; i++)
        f->spans[i] = (struct tlog_span){f->att[i], strlen(f->att[i])};

    f->in = (struct policy_input){.verified = CAPSULE_OK,
                                  .vcid = f->vres.vcid,
                                  .manifest = &f->manifest,
                                  .policy = &f->policy,
                                  .attest = f->spans,
                                  .nattest = 4,
                                  .proof = f->bundle,
                                  .proof_len = strlen(f->bundle),
                                  .scratch = f->scratch,
                                  .scratch_cap = sizeof f->scratch};
}

static void teardown(struct fixture *f)
{
    vbuf_free(&f->cert);
    vbuf_free(&f->cap);
    vbuf_free(&f->signed_cap);
    vbuf_free(&f->pol);
}

static enum policy_reason decide(struct fixture *f, struct policy_result *r)
{
    return policy_decide(C, &f->trust, &f->in, &f->state, r);
}

static struct fixture F;

/* ---- passing ---- */

TEST(the_fixture_passes_and_names_who_vouched)
{
    struct policy_result r;
    setup(&F);
    CHECK_EQ(decide(&F, &r), POLICY_OK);
    CHECK_EQ(r.rebuilders, 7u); /* r[3] is not trusted: ignored */
    CHECK_EQ(r.witnesses, 3u);
    CHECK_EQ(r.log, 0);
    CHECK_EQ(r.size, NENT);
    CHECK_EQ(r.leaf_index, OURS);
    CHECK(r.state.log[0].used);
    CHECK_EQ(r.state.log[0].size, NENT);
    CHECK_MEM(r.state.log[0].log_key, F.log.k.pub, 32);
    /* the same checkpoint again: the memory holds */
    F.state = r.state;
    CHECK_EQ(decide(&F, &r), POLICY_OK);
    teardown(&F);
}

TEST(a_signature_only_policy_asks_for_nothing_more)
{
    struct policy_result r;
    setup(&F);
    char hex[65], json[1024];
    host_hex(hex, F.person_pk, 32);
    snprintf(json, sizeof json,
             "{\"persons\":[{\"name\":\"alice\",\"key\":\"%s\"}],\"domains\":[{\"domain\":\"D2\","
             "\"ceiling\":[\"IPC_SRV\",\"svc:*\"],\"signers\":[\"alice\"]}]}",
             hex);
    open_policy(&F, json);
    CHECK_EQ(policy_trust_load(C, &F.policy, 2, &F.trust), POLICY_OK);
    CHECK(!F.trust.transparent);
    F.in.nattest = 0;
    F.in.proof = NULL;
    CHECK_EQ(decide(&F, &r), POLICY_OK);
    CHECK(!r.state.log[0].used);
    /* the policy file committed before these rules existed opens the same way */
    uint8_t *old;
    size_t len;
    CHECK(host_read_file("tests/capsule/policy.bin", 1 << 20, &old, &len) == 0);
    struct capsule_policy op;
    CHECK_EQ(capsule_policy_open(&op, old, len), CAPSULE_OK);
    CHECK(!capsule_policy_transparent(&op));
    free(old);
    teardown(&F);
}

TEST(moving_forward_with_a_consistency_proof_updates_the_memory)
{
    struct policy_result r;
    setup(&F);
    CHECK_EQ(decide(&F, &r), POLICY_OK);
    F.state = r.state;
    /* the log grows to NENT + 1; the same claim, proved in the bigger tree */
    static char cp6[4096], b6[8192], cons[4096];
    const struct nkey *s3[3] = {&F.log, &F.w[1], &F.w[2]};
    make_checkpoint(&F, NENT + 1, s3, 3, cp6, sizeof cp6);
    make_bundle(&F, OURS, NENT + 1, cp6, b6, sizeof b6);
    struct tlog_hashes h = {log_read, &F.tree};
    uint8_t proof[TLOG_MAX_PROOF][32];
    size_t n, cl;
    CHECK_EQ(tlog_prove_consistency(C, &h, NENT, NENT + 1, proof, TLOG_MAX_PROOF, &n), TLOG_OK);
    CHECK_EQ(tlog_cons_format(NENT, (const uint8_t(*)[32])proof, n, cons, sizeof cons, &cl),
             TLOG_OK);
    F.in.proof = b6;
    F.in.proof_len = strlen(b6);
    F.in.consistency = cons;
    F.in.consistency_len = cl;
    CHECK_EQ(decide(&F, &r), POLICY_OK);
    CHECK_EQ(r.state.log[0].size, NENT + 1);
    CHECK_EQ(r.witnesses, 6u);
    teardown(&F);
}

/* ---- each rule broken ---- */

TEST(rule_signature_takes_lib_capsule_result)
{
    struct policy_result r;
    setup(&F);
    F.in.verified = CAPSULE_UNKNOWN_PERSON;
    CHECK_EQ(decide(&F, &r), POLICY_SIGNATURE);
    teardown(&F);
}

TEST(rule_rebuilders_too_few)
{
    struct policy_result r;
    setup(&F);
    F.in.attest = &F.spans[1]; /* r[1], r[2] trusted, r[3] not */
    F.in.nattest = 3;
    CHECK_EQ(decide(&F, &r), POLICY_REBUILDERS);
    CHECK_EQ(r.have, 2);
    CHECK_EQ(r.need, 3);
    CHECK(!r.state.log[0].used);
    teardown(&F);
}

TEST(rule_two_attestations_by_one_key)
{
    struct policy_result r;
    setup(&F);
    F.spans[3] = F.spans[1];
    CHECK_EQ(decide(&F, &r), POLICY_ATTEST_DUPLICATE);
    CHECK_EQ(r.index, 3);
    teardown(&F);
}

TEST(rule_an_attestation_for_other_bytes)
{
    struct policy_result r;
    setup(&F);
    uint8_t other[32];
    memcpy(other, F.vres.vcid, 32);
    other[31] ^= 1;
    attest(&F, other, SOURCE, &F.r[2], F.att[2], sizeof F.att[2]);
    F.spans[2] = (struct tlog_span){F.att[2], strlen(F.att[2])};
    CHECK_EQ(decide(&F, &r), POLICY_ATTEST_OTHER);
    CHECK_EQ(r.index, 2);
    teardown(&F);
}

TEST(rule_attestation_format_and_signature)
{
    struct policy_result r;
    setup(&F);
    char *v = strstr(F.att[1], "vcid ") + 5;
    *v = *v == 'a' ? 'b' : 'a'; /* the text changed under the signature */
    CHECK_EQ(decide(&F, &r), POLICY_ATTEST_SIGNATURE);
    CHECK_EQ(r.index, 1);
    setup(&F);
    v = strstr(F.att[1], "vcid ") + 5;
    *v = 'G';
    CHECK_EQ(decide(&F, &r), POLICY_ATTEST_FORMAT);
    teardown(&F);
}

TEST(rule_claim_missing_from_the_log)
{
    struct policy_result r;
    setup(&F);
    F.in.proof = NULL;
    CHECK_EQ(decide(&F, &r), POLICY_CLAIM_MISSING);
    /* a valid proof of another claim in the same log */
    static char b[8192];
    make_bundle(&F, OURS - 1, NENT, F.cp, b, sizeof b);
    F.in.proof = b;
    F.in.proof_len = strlen(b);
    CHECK_EQ(decide(&F, &r), POLICY_CLAIM_MISSING);
    teardown(&F);
}

TEST(rule_source_differs_from_the_attested_one)
{
    struct policy_result r;
    setup(&F);
    for (int i = 0; i < 3; i++) {
        attest(&F, F.vres.vcid, "git:https://evil.example/x.git@1", &F.r[i], F.att[i],
               sizeof F.att[i]);
        F.spans[i] = (struct tlog_span){F.att[i], strlen(F.att[i])};
    }
    CHECK_EQ(decide(&F, &r), POLICY_SOURCE);
    teardown(&F);
}

TEST(rule_checkpoint_of_an_untrusted_log)
{
    struct policy_result r;
    setup(&F);
    static char cp[4096], b[8192];
    const struct nkey *s3[3] = {&F.log2, &F.w[0], &F.w[1]};
    make_checkpoint(&F, NENT, s3, 3, cp, sizeof cp);
    make_bundle(&F, OURS, NENT, cp, b, sizeof b);
    F.in.proof = b;
    F.in.proof_len = strlen(b);
    CHECK_EQ(decide(&F, &r), POLICY_CHECKPOINT);
    teardown(&F);
}

TEST(rule_proof_for_a_different_tree)
{
    struct policy_result r;
    setup(&F);
    /* the bundle proves inclusion in the tree of NENT; the checkpoint
     * given beside it is of NENT + 1 */
    static char cp6[4096];
    const struct nkey *s3[3] = {&F.log, &F.w[0], &F.w[1]};
    make_checkpoint(&F, NENT + 1, s3, 3, cp6, sizeof cp6);
    F.in.checkpoint = cp6;
    F.in.checkpoint_len = strlen(cp6);
    CHECK_EQ(decide(&F, &r), POLICY_PROOF_TREE);
    /* one path hash altered */
    setup(&F);
    char *line = strstr(F.bundle, "index ");
    line = strchr(line, '\n') + 1;
    *line = *line == 'A' ? 'B' : 'A';
    CHECK_EQ(decide(&F, &r), POLICY_PROOF_TREE);
    teardown(&F);
}

TEST(rule_too_few_witness_cosignatures)
{
    struct policy_result r;
    setup(&F);
    static char cp[4096], b[8192];
    const struct nkey *s2[2] = {&F.log, &F.w[2]};
    make_checkpoint(&F, NENT, s2, 2, cp, sizeof cp);
    make_bundle(&F, OURS, NENT, cp, b, sizeof b);
    F.in.proof = b;
    F.in.proof_len = strlen(b);
    CHECK_EQ(decide(&F, &r), POLICY_WITNESSES);
    CHECK_EQ(r.have, 1);
    CHECK_EQ(r.need, 2);
    teardown(&F);
}

TEST(rule_an_old_checkpoint_replayed)
{
    struct policy_result r;
    setup(&F);
    F.state.log[0] = (struct policy_log_state){true, {0}, NENT + 1, {0}};
    memcpy(F.state.log[0].log_key, F.log.k.pub, 32);
    CHECK_EQ(decide(&F, &r), POLICY_ROLLBACK);
    CHECK_EQ(r.seen, NENT + 1);
    CHECK_EQ(r.state.log[0].size, NENT + 1); /* unchanged */
    teardown(&F);
}

TEST(rule_split_view_and_the_consistency_proof)
{
    struct policy_result r;
    setup(&F);
    /* same size, another root */
    F.state.log[0] = (struct policy_log_state){true, {0}, NENT, {1}};
    memcpy(F.state.log[0].log_key, F.log.k.pub, 32);
    CHECK_EQ(decide(&F, &r), POLICY_SPLIT_VIEW);
    /* a smaller remembered tree: forward needs a proof from it */
    setup(&F);
    CHECK_EQ(decide(&F, &r), POLICY_OK);
    uint8_t root4[32];
    struct tlog_hashes h = {log_read, &F.tree};
    CHECK_EQ(tlog_tree_hash(C, &h, NENT - 1, root4), TLOG_OK);
    F.state.log[0] = (struct policy_log_state){true, {0}, NENT - 1, {0}};
    memcpy(F.state.log[0].log_key, F.log.k.pub, 32);
    memcpy(F.state.log[0].root, root4, 32);
    CHECK_EQ(decide(&F, &r), POLICY_CONSISTENCY);
    uint8_t proof[TLOG_MAX_PROOF][32];
    size_t n, cl;
    static char cons[4096];
    CHECK_EQ(tlog_prove_consistency(C, &h, NENT - 1, NENT, proof, TLOG_MAX_PROOF, &n), TLOG_OK);
    /* a proof from another size */
    CHECK_EQ(tlog_cons_format(NENT - 2, (const uint8_t(*)[32])proof, n, cons, sizeof cons, &cl),
             TLOG_OK);
    F.in.consistency = cons;
    F.in.consistency_len = cl;
    CHECK_EQ(decide(&F, &r), POLICY_CONSISTENCY);
    CHECK_EQ(tlog_cons_format(NENT - 1, (const uint8_t(*)[32])proof, n, cons, sizeof cons, &cl),
             TLOG_OK);
    F.in.consistency_len = cl;
    CHECK_EQ(decide(&F, &r), POLICY_OK);
    CHECK_EQ(r.state.log[0].size, NENT);
    /* the remembered root of a fork: the proof does not verify */
    F.state.log[0].root[0] ^= 1;
    CHECK_EQ(decide(&F, &r), POLICY_SPLIT_VIEW);
    teardown(&F);
}

TEST(rule_footprint_above_the_authorisation)
{
    struct policy_result r;
    setup(&F);
    struct capsule_str auth[1] = {{"svc:*", 5}};
    F.in.have_authorised = true;
    F.in.authorised = auth;
    F.in.nauthorised = 1;
    CHECK_EQ(decide(&F, &r), POLICY_FOOTPRINT);
    CHECK_EQ(r.index, 0); /* IPC_SRV */
    CHECK(!r.state.log[0].used);
    struct capsule_str auth2[2] = {{"svc:*", 5}, {"IPC_SRV", 7}};
    F.in.authorised = auth2;
    F.in.nauthorised = 2;
    CHECK_EQ(decide(&F, &r), POLICY_OK);
    teardown(&F);
}

/* ---- formats and hostile input ---- */

TEST(attestation_and_claim_texts_parse_exactly)
{
    uint8_t v[32], w[32];
    char buf[512];
    const char *src;
    size_t sl;
    for (int i = 0; i < 32; i++)
        v[i] = (uint8_t)(i * 7);
    size_t n = policy_attest_format(buf, sizeof buf, v, "git:x@1", 7);
    CHECK(n > 0);
    CHECK_EQ(policy_attest_parse(buf, n, w, &src, &sl), TLOG_OK);
    CHECK_MEM(v, w, 32);
    CHECK_EQ(sl, 7);
    CHECK_EQ(policy_attest_format(buf, sizeof buf, v, "a b", 3), 0); /* space */
    CHECK_EQ(policy_attest_format(buf, 50, v, "git:x@1", 7), 0);     /* room */
    for (size_t cut = 0; cut < n; cut++)
        CHECK_EQ(policy_attest_parse(buf, cut, w, &src, &sl), TLOG_E_SYNTAX);
    buf[n] = 'x';
    CHECK_EQ(policy_attest_parse(buf, n + 1, w, &src, &sl), TLOG_E_SYNTAX);
    struct policy_claim cl;
    char text[512];
    claim_text(text, sizeof text, v, "n", "1", "s");
    CHECK_EQ(policy_claim_parse(text, strlen(text), &cl), TLOG_OK);
    CHECK_MEM(cl.vcid, v, 32);
    text[strlen("vectra-claim/v1\nvcid ")] = 'A'; /* upper-case hex */
    CHECK_EQ(policy_claim_parse(text, strlen(text), &cl), TLOG_E_SYNTAX);
}

TEST(trust_keys_of_the_wrong_type_or_twice_are_refused)
{
    setup(&F);
    char hex[65], json[4096];
    host_hex(hex, F.person_pk, 32);
    /* a witness (cosignature) key given as a rebuilder */
    snprintf(json, sizeof json, policy_fmt, hex, F.log.vkey, F.w[0].vkey, F.w[1].vkey,
             F.w[2].vkey, F.r[0].vkey, F.r[1].vkey, F.w[2].vkey);
    open_policy(&F, json);
    CHECK_EQ(policy_trust_load(C, &F.policy, 2, &F.trust), POLICY_CONFIG);
    snprintf(json, sizeof json, policy_fmt, hex, F.log.vkey, F.w[0].vkey, F.w[1].vkey,
             F.w[2].vkey, F.r[0].vkey, F.r[1].vkey, F.r[0].vkey);
    open_policy(&F, json);
    CHECK_EQ(policy_trust_load(C, &F.policy, 2, &F.trust), POLICY_CONFIG);
    /* a key whose ID is wrong */
    char bad[256];
    snprintf(bad, sizeof bad, "%s", F.r[2].vkey);
    char *id = strchr(bad, '+') + 1;
    *id = *id == '0' ? '1' : '0';
    snprintf(json, sizeof json, policy_fmt, hex, F.log.vkey, F.w[0].vkey, F.w[1].vkey,
             F.w[2].vkey, F.r[0].vkey, F.r[1].vkey, bad);
    open_policy(&F, json);
    CHECK_EQ(policy_trust_load(C, &F.policy, 2, &F.trust), POLICY_CONFIG);
    /* thresholds: defaults for a rule without them, the largest of two */
    snprintf(json, sizeof json,
             "{\"domains\":[{\"domain\":\"D1\"},{\"domain\":\"D3\",\"min_rebuilders\":5},"
             "{\"domain\":\"D3\",\"min_rebuilders\":2,\"min_witnesses\":4}]}");
    open_policy(&F, json);
    unsigned n, k;
    capsule_policy_thresholds(&F.policy, 1, &n, &k);
    CHECK_EQ(n, POLICY_DEFAULT_N);
    CHECK_EQ(k, POLICY_DEFAULT_K);
    capsule_policy_thresholds(&F.policy, 3, &n, &k);
    CHECK_EQ(n, 5);
    CHECK_EQ(k, 4);
    teardown(&F);
}

TEST(hostile_bundles_and_attestations_get_a_named_refusal)
{
    struct policy_result r;
    setup(&F);
    static char buf[8192];
    size_t bl = strlen(F.bundle), al = strlen(F.att[0]);
    /* every truncation of the bundle and of an attestation */
    for (size_t cut = 0; cut < bl; cut++) {
        memcpy(buf, F.bundle, cut);
        F.in.proof = buf;
        F.in.proof_len = cut;
        enum policy_reason why = decide(&F, &r);
        /* cut inside the claim or path, inside the checkpoint, or just
         * before the second cosignature line */
        CHECK(why == POLICY_CLAIM_MISSING || why == POLICY_CHECKPOINT || why == POLICY_WITNESSES);
    }
    F.in.proof = F.bundle;
    F.in.proof_len = bl;
    char a0[1024];
    memcpy(a0, F.att[0], al);
    for (size_t cut = 0; cut < al; cut++) {
        F.spans[0] = (struct tlog_span){a0, cut};
        enum policy_reason why = decide(&F, &r);
        CHECK(why == POLICY_ATTEST_FORMAT || why == POLICY_ATTEST_SIGNATURE);
    }
    /* every single-byte change of the bundle: never accepted except where
     * the byte is outside what is signed or hashed (none is) */
    F.spans[0] = (struct tlog_span){F.att[0], al};
    unsigned accepted = 0;
    for (size_t i = 0; i < bl; i++) {
        memcpy(buf, F.bundle, bl);
        buf[i] ^= 0x01;
        F.in.proof = buf;
        F.in.proof_len = bl;
        enum policy_reason why = decide(&F, &r);
        CHECK(why != POLICY_SIGNATURE && why != POLICY_REBUILDERS);
        accepted += why == POLICY_OK;
    }
    CHECK_EQ(accepted, 0);
    teardown(&F);
}

TEST(the_evidence_container_carries_the_fixture_and_refuses_damage)
{
    struct policy_result r;
    setup(&F);
    static char ev[16384];
    size_t n = (size_t)snprintf(ev, sizeof ev, "vectra-evidence/v1\n");
    for (int i = 0; i < 3; i++)
        n += (size_t)snprintf(ev + n, sizeof ev - n, "attestation %zu\n%s\n", strlen(F.att[i]),
                              F.att[i]);
    n += (size_t)snprintf(ev + n, sizeof ev - n, "proof %zu\n%s\n", strlen(F.bundle), F.bundle);
    struct policy_evidence e;
    CHECK_EQ(policy_evidence_parse(ev, n, &e), TLOG_OK);
    CHECK_EQ(e.nattest, 3);
    CHECK_EQ(e.checkpoint.n, 0);
    policy_evidence_input(&e, &F.in);
    CHECK(F.in.checkpoint == NULL && F.in.consistency == NULL);
    CHECK_EQ(decide(&F, &r), POLICY_OK);
    /* every truncation is refused, or ends at an item boundary and then
     * lacks what the policy needs */
    unsigned boundaries = 0;
    for (size_t cut = 0; cut < n; cut++) {
        if (policy_evidence_parse(ev, cut, &e) != TLOG_OK)
            continue;
        boundaries++;
        policy_evidence_input(&e, &F.in);
        CHECK(decide(&F, &r) != POLICY_OK);
    }
    CHECK_EQ(boundaries, 4); /* after the header and after each attestation */
    static const char *const bad[] = {
        "vectra-evidence/v2\n",
        "vectra-evidence/v1\nproof 1\nx\nproof 1\ny\n",    /* twice */
        "vectra-evidence/v1\nproof 01\nx\n",               /* leading zero */
        "vectra-evidence/v1\nproof 0\n\n",                 /* empty item */
        "vectra-evidence/v1\nproof 2\nx\n",                /* short */
        "vectra-evidence/v1\nproof 1\nxy",                 /* no LF after the bytes */
        "vectra-evidence/v1\nsecret 1\nx\n",               /* unknown kind */
        "vectra-evidence/v1\nproof 65537\n",               /* too long */
        "vectra-evidence/v1\nproof 1x\nx\n",
        "vectra-evidence/v1\nproof\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(policy_evidence_parse(bad[i], strlen(bad[i]), &e) != TLOG_OK);
    /* 17 attestations */
    n = (size_t)snprintf(ev, sizeof ev, "vectra-evidence/v1\n");
    for (int i = 0; i < 17; i++)
        n += (size_t)snprintf(ev + n, sizeof ev - n, "attestation 1\na\n");
    CHECK_EQ(policy_evidence_parse(ev, n, &e), TLOG_E_RANGE);
    teardown(&F);
}

/* ---- the cache of verified signatures (lib/policy/sigcache.h) ---- */

static struct policy_sigcache SC;
static unsigned real_verifies;

static bool counting_verify(const uint8_t sig[64], const void *msg, size_t len,
                            const uint8_t pk[32])
{
    real_verifies++;
    return C->ed25519_verify(sig, msg, len, pk);
}

static const struct tlog_crypto counting = {NULL, counting_verify, NULL};

static bool cached_verify(const uint8_t sig[64], const void *msg, size_t len,
                          const uint8_t pk[32])
{
    struct tlog_crypto under = counting;
    under.sha256v = C->sha256v;
    return policy_sigcache_verify(&SC, &under, sig, msg, len, pk);
}

static enum policy_reason decide_cached(struct fixture *f, struct policy_result *r)
{
    struct tlog_crypto cc = *C;
    cc.ed25519_verify = cached_verify;
    return policy_decide(&cc, &f->trust, &f->in, &f->state, r);
}

TEST(sigcache_verifies_each_statement_once_with_the_same_decision)
{
    struct policy_result r1, r2;
    setup(&F);
    policy_sigcache_init(&SC);
    real_verifies = 0;
    CHECK_EQ(decide_cached(&F, &r1), POLICY_OK);
    /* 3 trusted attestations (the untrusted one is not verified: its key
     * is unknown), the log's signature, 2 cosignatures */
    CHECK_EQ(real_verifies, 6u);
    CHECK_EQ(SC.verified, 6u);
    real_verifies = 0;
    CHECK_EQ(decide_cached(&F, &r2), POLICY_OK);
    CHECK_EQ(real_verifies, 0u);
    CHECK_EQ(SC.hits, 6u);
    CHECK_EQ(r2.rebuilders, r1.rebuilders);
    CHECK_EQ(r2.witnesses, r1.witnesses);
    CHECK_EQ(r2.log, r1.log);
    CHECK_MEM(&r2.state, &r1.state, sizeof r1.state);
    teardown(&F);
}

TEST(sigcache_never_remembers_a_failure_nor_masks_tampering)
{
    struct policy_result r;
    setup(&F);
    policy_sigcache_init(&SC);
    CHECK_EQ(decide_cached(&F, &r), POLICY_OK);
    /* an attestation altered after its good copy was cached: another
     * message, so another entry, and the real check refuses it */
    char *v = strstr(F.att[1], "vcid ") + 5;
    *v = *v == 'a' ? 'b' : 'a';
    real_verifies = 0;
    CHECK_EQ(decide_cached(&F, &r), POLICY_ATTEST_SIGNATURE);
    CHECK_EQ(r.index, 1);
    CHECK_EQ(real_verifies, 1u);
    real_verifies = 0;
    CHECK_EQ(decide_cached(&F, &r), POLICY_ATTEST_SIGNATURE);
    CHECK_EQ(real_verifies, 1u); /* verified again: failures are not cached */
    CHECK_EQ(SC.failed, 2u);
    teardown(&F);
}

TEST(sigcache_keys_on_key_signature_and_message_and_evicts_the_oldest)
{
    struct tlog_crypto under = counting;
    under.sha256v = C->sha256v;
    uint8_t pk[32], sk[64], seed[32] = {7}, sig[64], pk2[32], sk2[64], seed2[32] = {8};
    crypto_sign_seed_keypair(pk, sk, seed);
    crypto_sign_seed_keypair(pk2, sk2, seed2);
    char msg[40];
    policy_sigcache_init(&SC);
    real_verifies = 0;
    for (unsigned i = 0; i <= POLICY_SIGCACHE_N; i++) {
        snprintf(msg, sizeof msg, "statement %u\n", i);
        crypto_sign_detached(sig, NULL, (const uint8_t *)msg, strlen(msg), sk);
        CHECK(policy_sigcache_verify(&SC, &under, sig, msg, strlen(msg), pk));
        CHECK(policy_sigcache_verify(&SC, &under, sig, msg, strlen(msg), pk));
        /* the same signature under another key, or over a message one
         * byte shorter, is another triple: verified, and refused */
        CHECK(!policy_sigcache_verify(&SC, &under, sig, msg, strlen(msg), pk2));
        CHECK(!policy_sigcache_verify(&SC, &under, sig, msg, strlen(msg) - 1, pk));
    }
    CHECK_EQ(real_verifies, 3u * (POLICY_SIGCACHE_N + 1));
    CHECK_EQ(SC.n, POLICY_SIGCACHE_N);
    /* statement 0 was evicted by statement 32; statement 1 is still held */
    real_verifies = 0;
    snprintf(msg, sizeof msg, "statement 1\n");
    crypto_sign_detached(sig, NULL, (const uint8_t *)msg, strlen(msg), sk);
    CHECK(policy_sigcache_verify(&SC, &under, sig, msg, strlen(msg), pk));
    CHECK_EQ(real_verifies, 0u);
    snprintf(msg, sizeof msg, "statement 0\n");
    crypto_sign_detached(sig, NULL, (const uint8_t *)msg, strlen(msg), sk);
    CHECK(policy_sigcache_verify(&SC, &under, sig, msg, strlen(msg), pk));
    CHECK_EQ(real_verifies, 1u);
    /* one flipped signature bit: refused */
    sig[5] ^= 4;
    CHECK(!policy_sigcache_verify(&SC, &under, sig, msg, strlen(msg), pk));
}

/* ---- the remembered checkpoints between boots (policy_state_*) ---- */

TEST(state_round_trips_and_refuses_every_damage)
{
    struct policy_state s, t;
    memset(&s, 0, sizeof s);
    char buf[POLICY_STATE_MAX];
    size_t n = policy_state_format(&s, buf, sizeof buf);
    CHECK_EQ(n, strlen(POLICY_STATE_HEADER));
    CHECK_EQ(policy_state_parse(buf, n, &t), TLOG_OK);
    CHECK_MEM(&t, &s, sizeof s);
    for (unsigned i = 0; i < POLICY_MAX_LOGS; i++) {
        s.log[i].used = true;
        memset(s.log[i].log_key, (int)(0x10 + i), 32);
        memset(s.log[i].root, (int)(0xa0 + i), 32);
        s.log[i].size = i == 0 ? 0 : i == 1 ? 0x7fffffffffffffffull : 1000u * i;
    }
    n = policy_state_format(&s, buf, sizeof buf);
    CHECK(n > 0 && n <= sizeof buf);
    CHECK_EQ(policy_state_format(&s, buf, n - 1), 0u); /* too small: nothing */
    n = policy_state_format(&s, buf, sizeof buf);
    CHECK_EQ(policy_state_parse(buf, n, &t), TLOG_OK);
    CHECK_MEM(&t, &s, sizeof s);
    /* every truncation but the ones at a line's end, and every byte
     * changed, is refused or parses to another state (never crashes) */
    for (size_t cut = 0; cut < n; cut++) {
        int e = policy_state_parse(buf, cut, &t);
        CHECK(e != TLOG_OK || cut == strlen(POLICY_STATE_HEADER) || buf[cut - 1] == '\n');
    }
    unsigned refused = 0;
    for (size_t i = 0; i < n; i++) {
        char saved = buf[i];
        buf[i] = saved == 'f' ? 'g' : saved == '\n' ? ' ' : saved == '9' ? 'x' : (char)(saved ^ 0x20);
        if (policy_state_parse(buf, n, &t) != TLOG_OK)
            refused++;
        else
            CHECK(memcmp(&t, &s, sizeof s) != 0);
        buf[i] = saved;
    }
    CHECK_EQ(refused, (unsigned)n);
    static const char *const bad[] = {
        "vectra-trust-state/v2\n",
        "vectra-trust-state/v1\nlog 00\n",
        /* size with a leading zero, over 2^63 - 1, empty */
        "vectra-trust-state/v1\nlog 0000000000000000000000000000000000000000000000000000000000000000 05 0000000000000000000000000000000000000000000000000000000000000000\n",
        "vectra-trust-state/v1\nlog 0000000000000000000000000000000000000000000000000000000000000000 9223372036854775808 0000000000000000000000000000000000000000000000000000000000000000\n",
        "vectra-trust-state/v1\nlog 0000000000000000000000000000000000000000000000000000000000000000  0000000000000000000000000000000000000000000000000000000000000000\n",
        /* upper-case hex; no final LF; one log twice */
        "vectra-trust-state/v1\nlog 000000000000000000000000000000000000000000000000000000000000000A 5 0000000000000000000000000000000000000000000000000000000000000000\n",
        "vectra-trust-state/v1\nlog 0000000000000000000000000000000000000000000000000000000000000000 5 0000000000000000000000000000000000000000000000000000000000000000",
        "vectra-trust-state/v1\nlog 0000000000000000000000000000000000000000000000000000000000000000 5 0000000000000000000000000000000000000000000000000000000000000000\n"
        "log 0000000000000000000000000000000000000000000000000000000000000000 6 0000000000000000000000000000000000000000000000000000000000000000\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(policy_state_parse(bad[i], strlen(bad[i]), &t) != TLOG_OK);
    /* nine logs: one more than the memory holds */
    n = policy_state_format(&s, buf, sizeof buf);
    char big[POLICY_STATE_MAX + POLICY_STATE_LINE_MAX];
    memcpy(big, buf, n);
    size_t m = n + (size_t)snprintf(big + n, sizeof big - n,
        "log %064d 1 %064d\n", 9, 9);
    CHECK_EQ(policy_state_parse(big, m, &t), TLOG_E_RANGE);
}

/* ---- release attestations (vectra-rebuild-set/v1) ---- */

/* Attestations by the three trusted rebuilders of one set of VCIDs. */
static void attest_set(struct fixture *f, const uint8_t (*v)[32], size_t n)
{
    char text[8192];
    for (int i = 0; i < 3; i++) {
        size_t l = policy_attest_set_format(text, sizeof text, v, n, SOURCE, strlen(SOURCE));
        CHECK(l > 0);
        text[l] = 0;
        const struct nkey *k[1] = {&f->r[i]};
        sign_note(f->att[i], sizeof f->att[i], text, k, 1);
        f->spans[i] = (struct tlog_span){f->att[i], strlen(f->att[i])};
    }
}

TEST(release_attestation_covers_each_listed_capsule_and_no_other)
{
    struct policy_result r;
    setup(&F);
    uint8_t v[3][32];
    memset(v[0], 0x01, 32);           /* below ours */
    memcpy(v[1], F.vres.vcid, 32);
    memset(v[2], 0xff, 32);           /* above */
    CHECK(memcmp(v[0], v[1], 32) < 0 && memcmp(v[1], v[2], 32) < 0);
    attest_set(&F, (const uint8_t(*)[32])v, 3);
    CHECK(strncmp(F.att[0], POLICY_ATTEST_SET_HEADER, strlen(POLICY_ATTEST_SET_HEADER)) == 0);
    CHECK_EQ(decide(&F, &r), POLICY_OK);
    CHECK_EQ(r.rebuilders, 7u);
    /* our VCID left out of the set: an attestation of other bytes */
    setup(&F);
    memcpy(v[1], v[0], 32);
    v[1][31] = 0x02;
    attest_set(&F, (const uint8_t(*)[32])v, 3);
    CHECK_EQ(decide(&F, &r), POLICY_ATTEST_OTHER);
    CHECK_EQ(r.index, 0);
    teardown(&F);
}

TEST(release_attestation_text_is_exact)
{
    uint8_t v[3][32], out[32] = {0};
    const char *src;
    size_t sl, nv;
    bool covers;
    char t[1024];
    for (int i = 0; i < 3; i++)
        memset(v[i], 0x10 * (i + 1), 32);
    memset(v[1], 0x2a, 32); /* hex digits a-f, for the upper-case case below */
    /* one VCID is the single form: one set, one text */
    size_t n = policy_attest_set_format(t, sizeof t, (const uint8_t(*)[32])v, 1, "s", 1);
    CHECK(n > 0 && !strncmp(t, POLICY_ATTEST_HEADER, strlen(POLICY_ATTEST_HEADER)));
    CHECK_EQ(policy_attest_read(t, n, v[0], &covers, &src, &sl, &nv), TLOG_OK);
    CHECK(covers && nv == 1);
    n = policy_attest_set_format(t, sizeof t, (const uint8_t(*)[32])v, 3, "git:x@y", 7);
    CHECK(n > 0);
    CHECK_EQ(policy_attest_read(t, n, v[2], &covers, &src, &sl, &nv), TLOG_OK);
    CHECK(covers && nv == 3 && sl == 7 && !memcmp(src, "git:x@y", 7));
    CHECK_EQ(policy_attest_read(t, n, out, &covers, &src, &sl, &nv), TLOG_OK);
    CHECK(!covers);
    /* every truncation refused; nothing else parses but the whole */
    for (size_t cut = 0; cut < n; cut++)
        CHECK(policy_attest_read(t, cut, v[0], &covers, &src, &sl, &nv) != TLOG_OK);
    /* not ascending, twice, none, too many, a bad source: not written */
    uint8_t w[2][32];
    memcpy(w[0], v[1], 32);
    memcpy(w[1], v[0], 32);
    CHECK_EQ(policy_attest_set_format(t, sizeof t, (const uint8_t(*)[32])w, 2, "s", 1), 0u);
    memcpy(w[1], v[1], 32);
    CHECK_EQ(policy_attest_set_format(t, sizeof t, (const uint8_t(*)[32])w, 2, "s", 1), 0u);
    CHECK_EQ(policy_attest_set_format(t, sizeof t, (const uint8_t(*)[32])v, 0, "s", 1), 0u);
    CHECK_EQ(policy_attest_set_format(t, sizeof t, (const uint8_t(*)[32])v, 2, "a b", 3), 0u);
    static uint8_t many[POLICY_ATTEST_SET_MAX + 1][32];
    for (unsigned i = 0; i <= POLICY_ATTEST_SET_MAX; i++)
        many[i][31] = (uint8_t)i;
    static char big[8192];
    CHECK(policy_attest_set_format(big, sizeof big, (const uint8_t(*)[32])many,
                                   POLICY_ATTEST_SET_MAX, "s", 1) > 0);
    CHECK_EQ(policy_attest_set_format(big, sizeof big, (const uint8_t(*)[32])many,
                                      POLICY_ATTEST_SET_MAX + 1, "s", 1), 0u);
    /* hostile texts */
    char h[8192];
    static const char *const bad[] = {
        "vectra-rebuild-set/v1\nsource s\n",                               /* no VCID */
        "vectra-rebuild-set/v1\nvcid %s\nvcid %s\nsource s\n",             /* twice */
        "vectra-rebuild-set/v1\nvcid %s\nsource s\nvcid %s\n",             /* after source */
        "vectra-rebuild-set/v1\nvcid %s\nvcid %s\nsource s\nx",            /* trailing */
        "vectra-rebuild-set/v1\nvcid %s\nvcid %s\nsource a b\n",           /* bad source */
        "vectra-rebuild-set/v2\nvcid %s\nvcid %s\nsource s\n",
    };
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", v[0][i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int l = snprintf(h, sizeof h, bad[i], hex, hex);
        CHECK(policy_attest_read(h, (size_t)l, v[0], &covers, &src, &sl, &nv) != TLOG_OK);
    }
    /* descending, upper-case */
    char hex2[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex2 + 2 * i, 3, "%02x", v[1][i]);
    int l = snprintf(h, sizeof h, "vectra-rebuild-set/v1\nvcid %s\nvcid %s\nsource s\n", hex2, hex);
    CHECK(policy_attest_read(h, (size_t)l, v[0], &covers, &src, &sl, &nv) != TLOG_OK);
    for (int i = 0; i < 64; i++)
        hex2[i] = hex2[i] >= 'a' ? (char)(hex2[i] - 32) : hex2[i];
    l = snprintf(h, sizeof h, "vectra-rebuild-set/v1\nvcid %s\nvcid %s\nsource s\n", hex, hex2);
    CHECK(strpbrk(hex2, "ABCDEF") != NULL);
    CHECK(policy_attest_read(h, (size_t)l, v[0], &covers, &src, &sl, &nv) != TLOG_OK);
}
