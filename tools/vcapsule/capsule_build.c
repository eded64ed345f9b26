/*
 * capsule_build.c: see capsule_build.h; byte layouts in docs/CAPSULE.md.
 */
#include "capsule_build.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "keys.h"

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

static int check_keys(const struct json *obj, const char *where, const char *const *allowed)
{
    if (!obj || obj->type != JSON_OBJECT)
        return host_err("manifest: %s must be a JSON object", where);
    for (struct json *m = obj->child; m; m = m->next) {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(m->key, *a);
        if (!ok)
            return host_err("manifest: unknown field \"%s\" in %s", m->key, where);
    }
    return 0;
}

static int want_type(const struct json *v, enum json_type t, const char *what)
{
    static const char *const names[] = {"null", "a boolean", "a number", "a string",
                                        "an array", "an object"};
    if (v && v->type != t)
        return host_err("manifest: %s must be %s", what, names[t]);
    return 0;
}

static int want_strings(const struct json *v, const char *what)
{
    if (want_type(v, JSON_ARRAY, what) < 0)
        return -1;
    for (struct json *e = v ? v->child : NULL; e; e = e->next)
        if (e->type != JSON_STRING)
            return host_err("manifest: every entry of %s must be a string", what);
    return 0;
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

int vc_manifest_from_json(struct json *m, const char *basedir, struct vbuf *payload,
                          uint8_t **man, size_t *mlen)
{
    static const char *const top[] = {"name", "ver", "domain", "requires", "provides", "entry",
                                      "intent", "blobs", "integrity", NULL};
    static const char *const intent_keys[] = {"opens", "mem_max", "syscalls", "rates", NULL};
    static const char *const rate_keys[] = {"what", "per_sec", "burst", NULL};
    static const char *const blob_keys[] = {"name", "file", "size", "integrity", NULL};
    char integ[140];

    if (check_keys(m, "the manifest", top) < 0)
        return -1;
    if (!json_get(m, "name") || !json_get(m, "ver") || !json_get(m, "domain"))
        return host_err("manifest: \"name\", \"ver\" and \"domain\" are required");
    if (want_type(json_get(m, "name"), JSON_STRING, "\"name\"") < 0 ||
        want_type(json_get(m, "ver"), JSON_STRING, "\"ver\"") < 0 ||
        want_type(json_get(m, "domain"), JSON_STRING, "\"domain\"") < 0 ||
        want_type(json_get(m, "entry"), JSON_STRING, "\"entry\"") < 0 ||
        want_type(json_get(m, "integrity"), JSON_STRING, "\"integrity\"") < 0 ||
        want_strings(json_get(m, "requires"), "\"requires\"") < 0 ||
        want_strings(json_get(m, "provides"), "\"provides\"") < 0)
        return -1;
    const char *dom = json_get(m, "domain")->str;
    if (strlen(dom) != 2 || dom[0] != 'D' || dom[1] < '0' || dom[1] > '4')
        return host_err("manifest: \"domain\" must be one of D0, D1, D2, D3, D4, not \"%.8s\"", dom);
    struct json *intent = json_get(m, "intent");
    if (intent) {
        if (check_keys(intent, "\"intent\"", intent_keys) < 0 ||
            want_strings(json_get(intent, "opens"), "\"intent.opens\"") < 0 ||
            want_strings(json_get(intent, "syscalls"), "\"intent.syscalls\"") < 0 ||
            want_type(json_get(intent, "rates"), JSON_ARRAY, "\"intent.rates\"") < 0)
            return -1;
        struct json *mm = json_get(intent, "mem_max");
        if (mm && mm->type != JSON_NUMBER && mm->type != JSON_STRING)
            return host_err("manifest: \"intent.mem_max\" must be a number");
        for (struct json *r = json_get(intent, "rates") ? json_get(intent, "rates")->child : NULL;
             r; r = r->next)
            if (check_keys(r, "an \"intent.rates\" entry", rate_keys) < 0 ||
                want_type(json_get(r, "what"), JSON_STRING, "\"rates.what\"") < 0)
                return -1;
    }

    struct json *blobs = json_get(m, "blobs");
    if (want_type(blobs, JSON_ARRAY, "\"blobs\"") < 0)
        return -1;
    size_t start = payload->len;
    for (struct json *b = blobs ? blobs->child : NULL; b; b = b->next) {
        if (check_keys(b, "a \"blobs\" entry", blob_keys) < 0)
            return -1;
        struct json *name = json_get(b, "name"), *file = json_get(b, "file");
        if (!name || name->type != JSON_STRING || !file || file->type != JSON_STRING)
            return host_err("manifest: every blob needs a string \"name\" and \"file\"");
        if (want_type(json_get(b, "integrity"), JSON_STRING, "a blob's \"integrity\"") < 0)
            return -1;
        char path[4096];
        if (file->str[0] == '/' || !basedir)
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

int vc_sign(const uint8_t *cap, size_t len, const uint8_t pk[32], const uint8_t sk[64],
            const uint8_t *cert, size_t certlen, struct vbuf *out)
{
    struct capsule_env env;
    enum capsule_reason r = capsule_parse_envelope(cap, len, &env);
    if (r != CAPSULE_OK && r != CAPSULE_PROOF_FORMAT && r != CAPSULE_CERT_FORMAT)
        return host_err("not a well-formed capsule: %s", capsule_reason_msg(r));
    struct capsule_certrec rec;
    struct capsule_cert c;
    if (cert_decode(cert, certlen, &rec, &c) < 0)
        return -1;
    if (sodium_memcmp(c.machine_key, pk, 32) != 0)
        return host_err("the certificate is for another Machine key");
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
        static const char *const top[] = {"persons", "domains", NULL};
        if (check_keys(j, "the policy", top) < 0) {
            json_free(j);
            return host_err("policy %s: %s", path, host_errmsg() + strlen("manifest: "));
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
