/*
 * capsule_build.c: see capsule_build.h; byte layouts in docs/CAPSULE.md.
 */
#include "capsule_build.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host.h"
#include "keys.h"
#include "tlog_host.h"

void vbuf_put(struct vbuf *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
        b->p = p;
        b->cap = cap;
    }
    if (len)
        memcpy(b->p + b->len, data, len);
    b->len += len;
}

void vbuf_free(struct vbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static void put32(struct vbuf *b, uint32_t v)
{
    uint8_t x[4];
    for (int i = 0; i < 4; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    vbuf_put(b, x, 4);
}

static void put64(struct vbuf *b, uint64_t v)
{
    put32(b, (uint32_t)v);
    put32(b, (uint32_t)(v >> 32));
}

void vc_payload_add(struct vbuf *payload, const uint8_t *data, size_t len)
{
    static const uint8_t zero[8];
    put64(payload, len);
    vbuf_put(payload, data, len);
    vbuf_put(payload, zero, (8 - len % 8) % 8);
}

void vc_envelope(const uint8_t *man, size_t mlen, const uint8_t *proof, size_t plen,
                 const uint8_t *pay, size_t paylen, struct vbuf *out)
{
    vbuf_put(out, CAPSULE_MAGIC_BYTES, 8);
    put32(out, CAPSULE_FORMAT_VERSION);
    put32(out, 0);
    put32(out, (uint32_t)mlen);
    put32(out, (uint32_t)plen);
    put64(out, paylen);
    put64(out, CAPSULE_HEADER_SIZE + mlen + plen + paylen);
    vbuf_put(out, man, mlen);
    vbuf_put(out, proof, plen);
    vbuf_put(out, pay, paylen);
}

/* ---- manifest JSON ---- */

/* The checks below name the document they read ("manifest", "policy
 * FILE") and the line and column of the value at fault. */
static int check_keys(const struct json *obj, const char *doc, const char *where,
                      const char *const *allowed)
{
    if (!obj || obj->type != JSON_OBJECT)
        return json_err(obj, doc, "%s must be a JSON object", where);
    for (struct json *m = obj->child; m; m = m->next) {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(m->key, *a);
        if (!ok)
            return json_err(m, doc, "unknown field \"%.64s\" in %s", m->key, where);
    }
    return 0;
}

static int want_type(const struct json *v, enum json_type t, const char *doc, const char *what)
{
    static const char *const names[] = {"null", "a boolean", "a number", "a string",
                                        "an array", "an object"};
    if (v && v->type != t)
        return json_err(v, doc, "%s must be %s", what, names[t]);
    return 0;
}

static int want_strings(const struct json *v, const char *doc, const char *what)
{
    if (want_type(v, JSON_ARRAY, doc, what) < 0)
        return -1;
    for (struct json *e = v ? v->child : NULL; e; e = e->next)
        if (e->type != JSON_STRING)
            return json_err(e, doc, "every entry of %s must be a string", what);
    return 0;
}

/* "D0".."D4" -> 0..4; -1 otherwise. */
static int domain_number(const char *s)
{
    return strlen(s) == 2 && s[0] == 'D' && s[1] >= '0' && s[1] <= '4' ? s[1] - '0' : -1;
}

/* "sha256", "sha3_512", absent (sha256), or a full integrity string that
 * must match the data. Writes the full string into out. */
static int integrity_for(const struct json *given, const uint8_t *data, size_t len,
                         const char *what, char out[140])
{
    const char *alg = given ? given->str : "sha256";
    uint8_t d[64];
    char hex[129];
    int is3;
    if (!strcmp(alg, "sha256") || !strncmp(alg, "sha256:", 7))
        is3 = 0;
    else if (!strcmp(alg, "sha3_512") || !strncmp(alg, "sha3_512:", 9))
        is3 = 1;
    else
        return host_err("manifest: %s names an unknown digest \"%.20s\" (sha256 or sha3_512)",
                        what, alg);
    if (is3) {
        unsigned n = 64;
        EVP_Digest(data, len, d, &n, EVP_sha3_512(), NULL);
        host_hex(hex, d, 64);
        snprintf(out, 140, "sha3_512:%s", hex);
    } else {
        crypto_hash_sha256(d, data, len);
        host_hex(hex, d, 32);
        snprintf(out, 140, "sha256:%s", hex);
    }
    if (strchr(alg, ':') && strcmp(alg, out) != 0)
        return host_err("manifest: %s integrity %.24s... does not match the data", what, alg);
    return 0;
}

/* A blob's "file": not empty, not absolute, no ".." component, so a
 * manifest can only embed files from its own directory tree. */
static bool relative_path(const char *p)
{
    if (!*p || *p == '/')
        return false;
    for (const char *c = p; *c;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 2 && c[0] == '.' && c[1] == '.')
            return false;
        c += n + (e ? 1 : 0);
    }
    return true;
}

int vc_manifest_from_json(struct json *m, const char *basedir, struct vbuf *payload,
                          uint8_t **man, size_t *mlen)
{
    static const char *const top[] = {"name", "ver", "domain", "requires", "provides", "entry",
                                      "intent", "blobs", "integrity", NULL};
    static const char *const intent_keys[] = {"opens", "mem_max", "syscalls", "rates", NULL};
    static const char *const rate_keys[] = {"what", "per_sec", "burst", NULL};
    static const char *const blob_keys[] = {"name", "file", "size", "integrity", NULL};
    char integ[140];

    static const char doc[] = "manifest";
    if (check_keys(m, doc, "the manifest", top) < 0)
        return -1;
    if (!json_get(m, "name") || !json_get(m, "ver") || !json_get(m, "domain"))
        return host_err("manifest: \"name\", \"ver\" and \"domain\" are required");
    if (want_type(json_get(m, "name"), JSON_STRING, doc, "\"name\"") < 0 ||
        want_type(json_get(m, "ver"), JSON_STRING, doc, "\"ver\"") < 0 ||
        want_type(json_get(m, "domain"), JSON_STRING, doc, "\"domain\"") < 0 ||
        want_type(json_get(m, "entry"), JSON_STRING, doc, "\"entry\"") < 0 ||
        want_type(json_get(m, "integrity"), JSON_STRING, doc, "\"integrity\"") < 0 ||
        want_strings(json_get(m, "requires"), doc, "\"requires\"") < 0 ||
        want_strings(json_get(m, "provides"), doc, "\"provides\"") < 0)
        return -1;
    if (domain_number(json_get(m, "domain")->str) < 0)
        return json_err(json_get(m, "domain"), doc,
                        "\"domain\" must be one of D0, D1, D2, D3, D4, not \"%.8s\"",
                        json_get(m, "domain")->str);
    struct json *intent = json_get(m, "intent");
    if (intent) {
        if (check_keys(intent, doc, "\"intent\"", intent_keys) < 0 ||
            want_strings(json_get(intent, "opens"), doc, "\"intent.opens\"") < 0 ||
            want_strings(json_get(intent, "syscalls"), doc, "\"intent.syscalls\"") < 0 ||
            want_type(json_get(intent, "rates"), JSON_ARRAY, doc, "\"intent.rates\"") < 0)
            return -1;
        struct json *mm = json_get(intent, "mem_max");
        if (mm && mm->type != JSON_NUMBER && mm->type != JSON_STRING)
            return json_err(mm, doc, "\"intent.mem_max\" must be a number");
        for (struct json *r = json_get(intent, "rates") ? json_get(intent, "rates")->child : NULL;
             r; r = r->next)
            if (check_keys(r, doc, "an \"intent.rates\" entry", rate_keys) < 0 ||
                want_type(json_get(r, "what"), JSON_STRING, doc, "\"rates.what\"") < 0)
                return -1;
    }

    struct json *blobs = json_get(m, "blobs");
    if (want_type(blobs, JSON_ARRAY, doc, "\"blobs\"") < 0)
        return -1;
    size_t start = payload->len;
    for (struct json *b = blobs ? blobs->child : NULL; b; b = b->next) {
        if (check_keys(b, doc, "a \"blobs\" entry", blob_keys) < 0)
            return -1;
        struct json *name = json_get(b, "name"), *file = json_get(b, "file");
        if (!name || name->type != JSON_STRING || !file || file->type != JSON_STRING)
            return json_err(b, doc, "every blob needs a string \"name\" and \"file\"");
        if (want_type(json_get(b, "integrity"), JSON_STRING, doc, "a blob's \"integrity\"") < 0)
            return -1;
        if (!relative_path(file->str))
            return json_err(file, doc,
                            "blob \"%.64s\": \"file\" must be a path relative to the "
                            "manifest's directory, without \"..\" (not \"%.100s\")",
                            name->str, file->str);
        char path[4096];
        if (!basedir)
            snprintf(path, sizeof path, "%s", file->str);
        else
            snprintf(path, sizeof path, "%s/%s", basedir, file->str);
        uint8_t *data;
        size_t len;
        if (host_read_file(path, (size_t)1 << 30, &data, &len) < 0)
            return host_err("blob \"%.64s\": %s", name->str, host_errmsg());
        char what[100];
        snprintf(what, sizeof what, "blob \"%.64s\"", name->str);
        if (integrity_for(json_get(b, "integrity"), data, len, what, integ) < 0) {
            free(data);
            return -1;
        }
        struct json *sz = json_get(b, "size");
        if (sz && (sz->type != JSON_NUMBER || strtoull(sz->str, NULL, 10) != len)) {
            free(data);
            return host_err("manifest: blob \"%.64s\" has %zu bytes, not %s", name->str, len,
                            sz->type == JSON_NUMBER ? sz->str : "what \"size\" says");
        }
        vc_payload_add(payload, data, len);
        free(data);
        char num[32];
        snprintf(num, sizeof num, "%zu", len);
        struct json *n = json_new(JSON_NUMBER);
        n->str = strdup(num);
        n->len = strlen(num);
        json_remove(b, "file");
        json_set(b, "size", n);
        json_set(b, "integrity", json_new_string(integ));
    }
    if (integrity_for(json_get(m, "integrity"), payload->p ? payload->p + start : (const uint8_t *)"",
                      payload->len - start, "the payload", integ) < 0)
        return -1;
    json_set(m, "integrity", json_new_string(integ));

    char *text = json_write(m);
    if (!text)
        return host_err("out of memory");
    int rc = host_capnp_convert("json:canonical", "Manifest", (const uint8_t *)text, strlen(text),
                                man, mlen);
    free(text);
    if (rc < 0)
        return -1;
    struct capsule_manifest cm;
    struct capsule_result res;
    enum capsule_reason r = capsule_manifest_open(&cm, *man, *mlen, &res);
    if (r != CAPSULE_OK) {
        free(*man);
        if (res.what.len)
            return host_err("manifest refused: %s (%s: \"%.*s\")", capsule_reason_msg(r),
                            capsule_reason_name(r), (int)res.what.len, res.what.p);
        return host_err("manifest refused: %s (%s)", capsule_reason_msg(r),
                        capsule_reason_name(r));
    }
    return 0;
}

int vc_build_file(const char *manifest_path, struct vbuf *out)
{
    uint8_t *text, *man;
    size_t len, mlen;
    if (host_read_file(manifest_path, 1 << 20, &text, &len) < 0)
        return -1;
    struct json *m = json_parse((const char *)text, len);
    free(text);
    if (!m)
        return host_err("%s: %s", manifest_path, host_errmsg());
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", manifest_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");
    struct vbuf payload = {0};
    int rc = vc_manifest_from_json(m, dir, &payload, &man, &mlen);
    json_free(m);
    if (rc < 0) {
        vbuf_free(&payload);
        return -1;
    }
    vc_envelope(man, mlen, NULL, 0, payload.p, payload.len, out);
    free(man);
    vbuf_free(&payload);
    return 0;
}

int vc_sign_check(const uint8_t *cap, size_t len, const uint8_t pk[32],
                  const struct capsule_cert *cert)
{
    struct capsule_env env;
    enum capsule_reason r = capsule_parse_envelope(cap, len, &env);
    if (r != CAPSULE_OK && r != CAPSULE_PROOF_FORMAT && r != CAPSULE_CERT_FORMAT)
        return host_err("not a well-formed capsule: %s", capsule_reason_msg(r));
    if (sodium_memcmp(cert->machine_key, pk, 32) != 0)
        return host_err("the certificate is for another Machine key");
    struct capsule_manifest m;
    struct capsule_result res;
    r = capsule_manifest_open(&m, env.manifest, env.manifest_len, &res);
    if (r != CAPSULE_OK)
        return host_err("the capsule's manifest is unreadable: %s", capsule_reason_msg(r));
    unsigned d = capsule_manifest_domain(&m);
    if (!(cert->domains & (1u << d))) {
        char doms[32];
        host_domains(doms, cert->domains, 0);
        return host_err("the capsule is for domain D%u but the certificate %.*s allows only %s "
                        "(init would refuse it: DOMAIN_NOT_CERTIFIED)",
                        d, (int)cert->name.len, cert->name.p, doms);
    }
    return 0;
}

int vc_sign(const uint8_t *cap, size_t len, const uint8_t pk[32], const uint8_t sk[64],
            const uint8_t *cert, size_t certlen, struct vbuf *out)
{
    struct capsule_env env;
    struct capsule_certrec rec;
    struct capsule_cert c;
    if (cert_decode(cert, certlen, &rec, &c) < 0 || vc_sign_check(cap, len, pk, &c) < 0)
        return -1;
    capsule_parse_envelope(cap, len, &env);
    uint8_t vcid[32], msg[64];
    capsule_signed_msg(&host_crypto, capsule_ctx_capsule, env.manifest, env.manifest_len, msg);
    memcpy(vcid, msg + CAPSULE_CTX_LEN, 32);
    struct vbuf proof = {0};
    put32(&proof, CAPSULE_SIG_ALG_ED25519);
    put32(&proof, 1);
    uint8_t sig[64];
    crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
    vbuf_put(&proof, sig, 64);
    vbuf_put(&proof, cert + 8, certlen - 8); /* the record, without the file magic */
    vc_envelope(env.manifest, env.manifest_len, proof.p, proof.len, env.payload,
                (size_t)env.payload_len, out);
    vbuf_free(&proof);
    return 0;
}

/* Everything capnp's JSON codec would take but the verifier should not,
 * or would reject only with an exception: every field's type, names and
 * keys of Persons (each once), domains D0-D4, and signers that are
 * Persons of this policy. (Rules for one domain may repeat: they add up.) */
/* "logs", "witnesses", "rebuilders": C2SP verifier keys of the right type
 * (docs/TRUST.md), each key once. */
static int check_trust_keys(const struct json *list, const char *doc, const char *what,
                            uint8_t type)
{
    if (want_strings(list, doc, what) < 0)
        return -1;
    unsigned n = 0;
    for (const struct json *e = list ? list->child : NULL; e; e = e->next, n++) {
        struct tlog_key k, q;
        if (n >= CAPSULE_MAX_TRUST_KEYS)
            return json_err(e, doc, "%s: at most %u keys", what, CAPSULE_MAX_TRUST_KEYS);
        if (e->len > CAPSULE_MAX_KEY_TEXT ||
            tlog_vkey_parse(&tlog_host_crypto, e->str, e->len, &k) != TLOG_OK)
            return json_err(e, doc, "%s: \"%.64s\" is not a verifier key name+hash+base64", what,
                            e->str);
        if (k.type != type)
            return json_err(e, doc, "%s: key \"%s\" has type 0x%02x, not 0x%02x%s", what, k.name,
                            k.type, type, type == TLOG_SIG_COSIG ? " (vlog keygen --witness)" : "");
        for (const struct json *f = list->child; f != e; f = f->next)
            if (tlog_vkey_parse(&tlog_host_crypto, f->str, f->len, &q) == TLOG_OK &&
                !memcmp(q.pub, k.pub, 32))
                return json_err(e, doc, "%s: key \"%s\" is listed twice", what, k.name);
    }
    return 0;
}

static int check_threshold(const struct json *v, const char *doc, const char *what)
{
    if (!v)
        return 0;
    bool ok = v->type == JSON_NUMBER && v->len >= 1 && v->len <= 3 &&
              (v->len == 1 || v->str[0] != '0');
    for (size_t i = 0; ok && i < v->len; i++)
        ok = v->str[i] >= '0' && v->str[i] <= '9';
    if (!ok || atoi(v->str) > 255)
        return json_err(v, doc, "%s must be a whole number 0-255", what);
    return 0;
}

static int check_policy(const struct json *j, const char *doc)
{
    static const char *const top[] = {"persons", "domains", "logs", "witnesses", "rebuilders", NULL};
    static const char *const person_keys[] = {"name", "key", NULL};
    static const char *const rule_keys[] = {"domain", "ceiling", "signers", "min_rebuilders",
                                            "min_witnesses", NULL};
    if (check_keys(j, doc, "the policy", top) < 0 ||
        check_trust_keys(json_get(j, "logs"), doc, "\"logs\"", TLOG_SIG_ED25519) < 0 ||
        check_trust_keys(json_get(j, "witnesses"), doc, "\"witnesses\"", TLOG_SIG_COSIG) < 0 ||
        check_trust_keys(json_get(j, "rebuilders"), doc, "\"rebuilders\"", TLOG_SIG_ED25519) < 0 ||
        want_type(json_get(j, "persons"), JSON_ARRAY, doc, "\"persons\"") < 0 ||
        want_type(json_get(j, "domains"), JSON_ARRAY, doc, "\"domains\"") < 0)
        return -1;
    const struct json *persons = json_get(j, "persons"), *rules = json_get(j, "domains");
    for (const struct json *p = persons ? persons->child : NULL; p; p = p->next) {
        if (check_keys(p, doc, "a \"persons\" entry", person_keys) < 0)
            return -1;
        const struct json *name = json_get(p, "name"), *key = json_get(p, "key");
        uint8_t k[32];
        if (!name || name->type != JSON_STRING || !key || key->type != JSON_STRING)
            return json_err(p, doc, "every Person needs a string \"name\" and \"key\"");
        if (!capsule_valid_cert_name((struct capsule_str){name->str, (uint32_t)name->len}))
            return json_err(name, doc, "bad Person name \"%.64s\" (1-64 of A-Z a-z 0-9 . _ - @)",
                            name->str);
        if (host_unhex(k, 32, key->str) < 0)
            return json_err(key, doc, "Person \"%s\": \"key\": %s", name->str, host_errmsg());
        for (const struct json *q = persons->child; q != p; q = q->next) {
            if (!strcmp(json_get(q, "name")->str, name->str))
                return json_err(name, doc, "Person \"%s\" is listed twice", name->str);
            if (!strcasecmp(json_get(q, "key")->str, key->str))
                return json_err(key, doc, "Persons \"%s\" and \"%s\" have the same key",
                                json_get(q, "name")->str, name->str);
        }
    }
    for (const struct json *r = rules ? rules->child : NULL; r; r = r->next) {
        if (check_keys(r, doc, "a \"domains\" entry", rule_keys) < 0 ||
            want_strings(json_get(r, "ceiling"), doc, "\"ceiling\"") < 0 ||
            want_strings(json_get(r, "signers"), doc, "\"signers\"") < 0 ||
            check_threshold(json_get(r, "min_rebuilders"), doc, "\"min_rebuilders\"") < 0 ||
            check_threshold(json_get(r, "min_witnesses"), doc, "\"min_witnesses\"") < 0)
            return -1;
        const struct json *dom = json_get(r, "domain"), *signers = json_get(r, "signers");
        int d = dom && dom->type == JSON_STRING ? domain_number(dom->str) : -1;
        if (d < 0)
            return json_err(dom ? dom : r, doc, "\"domain\" must be one of D0, D1, D2, D3, D4%s%.8s%s",
                            dom && dom->type == JSON_STRING ? ", not \"" : "",
                            dom && dom->type == JSON_STRING ? dom->str : "",
                            dom && dom->type == JSON_STRING ? "\"" : "");
        for (const struct json *s = signers ? signers->child : NULL; s; s = s->next) {
            const struct json *p = persons ? persons->child : NULL;
            while (p && strcmp(json_get(p, "name")->str, s->str))
                p = p->next;
            if (!p)
                return json_err(s, doc, "D%d signer \"%.64s\" is not one of the policy's \"persons\"",
                                d, s->str);
        }
    }
    return 0;
}

int vc_load_policy(const char *path, uint8_t **out, size_t *len)
{
    uint8_t *buf;
    size_t n;
    if (host_read_file(path, 1 << 20, &buf, &n) < 0)
        return -1;
    size_t i = 0;
    while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
        i++;
    if (i < n && buf[i] == '{') {
        struct json *j = json_parse((const char *)buf, n);
        free(buf);
        if (!j)
            return host_err("policy %s: %s", path, host_errmsg());
        char doc[4200];
        snprintf(doc, sizeof doc, "policy %s", path);
        if (check_policy(j, doc) < 0) {
            json_free(j);
            return -1;
        }
        char *text = json_write(j);
        json_free(j);
        int rc = host_capnp_convert("json:canonical", "Policy", (const uint8_t *)text,
                                    strlen(text), &buf, &n);
        free(text);
        if (rc < 0)
            return host_err("policy %s: %s", path, host_errmsg());
    }
    struct capsule_policy p;
    if (capsule_policy_open(&p, buf, n) != CAPSULE_OK) {
        free(buf);
        return host_err("policy %s: %s", path, capsule_reason_msg(CAPSULE_POLICY_FORMAT));
    }
    *out = buf;
    *len = n;
    return 0;
}
