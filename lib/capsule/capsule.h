/*
 * capsule: the freestanding capsule verifier.
 *
 * It owns the byte-level capsule envelope (docs/CAPSULE.md), the Machine
 * certificate record (docs/KEYS.md), the reading of Manifest and Policy
 * messages (schema/capsule.capnp) and the one decision that matters: may
 * this capsule be activated under this policy at this time?
 *
 * Shape: pure logic, no allocation, no libc. Crypto comes in through
 * struct capsule_crypto, so the OS links the freestanding libsodium build
 * (user/lib/libsodium) and the host links the system libsodium and OpenSSL.
 * Every refusal is one named reason with a one-line message; the first
 * failing check decides, and the checks run in a fixed order:
 *
 *   envelope layout -> proof framing -> certificate (format, signature,
 *   issuer known, validity) -> capsule signature over the VCID ->
 *   manifest (canonical, well-formed) -> domain (certificate allows it,
 *   issuer may sign for it, requires under the ceiling) -> blobs (present,
 *   sizes, hashes) -> payload integrity.
 *
 * Authentication comes before parsing the manifest, so a forged manifest
 * is refused for its signature before its contents are trusted for
 * anything; the manifest parser is nevertheless hardened (and fuzzed) on
 * its own, since `inspect` shows unsigned capsules.
 */
#ifndef CAPSULE_CAPSULE_H
#define CAPSULE_CAPSULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsule/cpr.h"

/* ---- crypto interface ---- */

struct capsule_crypto {
    void (*sha256)(uint8_t out[32], const void *msg, size_t len);
    void (*sha3_512)(uint8_t out[64], const void *msg, size_t len);
    /* true iff sig is a valid Ed25519 (RFC 8032, canonical S) signature */
    bool (*ed25519_verify)(const uint8_t sig[64], const void *msg, size_t len,
                           const uint8_t pk[32]);
};

/* ---- byte-level constants (docs/CAPSULE.md) ---- */

#define CAPSULE_MAGIC_BYTES "VCAPSULE"
#define CAPSULE_FORMAT_VERSION 1u
#define CAPSULE_HEADER_SIZE 40u
#define CAPSULE_PROOF_FIXED 72u  /* alg, cert count, signature */
#define CAPSULE_SIG_ALG_ED25519 1u
#define CAPSULE_MAX_CHAIN 1u     /* Person -> Machine; see CAPSULE.md */
#define CAPSULE_MAX_CERT_BODY 4096u
#define CAPSULE_MAX_BLOBS 64u
#define CAPSULE_MAX_LIST 64u     /* requires, provides, opens, ... */
#define CAPSULE_NDOMAINS 5u

/* Signing contexts: a signature made for one purpose never verifies for
 * another. Each is 32 bytes, NUL-padded; the signed message is the context
 * followed by a 32-byte SHA-256 digest. */
#define CAPSULE_CTX_LEN 32u
extern const uint8_t capsule_ctx_capsule[CAPSULE_CTX_LEN]; /* "vectra capsule v1" */
extern const uint8_t capsule_ctx_cert[CAPSULE_CTX_LEN];    /* "vectra machine cert v1" */

/* ---- reasons ---- */

#define CAPSULE_REASONS(X)                                                             \
    X(OK, "capsule verified")                                                          \
    X(TRUNCATED, "file is shorter than a capsule header")                              \
    X(MAGIC, "not a capsule: bad magic")                                               \
    X(VERSION, "unsupported capsule format version")                                   \
    X(FLAGS, "reserved header flags are set")                                          \
    X(LAYOUT, "section lengths disagree with the header or the file size")             \
    X(UNSIGNED, "capsule carries no signature")                                        \
    X(PROOF_FORMAT, "proof section is malformed")                                      \
    X(CERT_FORMAT, "Machine certificate is malformed")                                 \
    X(CERT_SIGNATURE, "Machine certificate signature does not verify with its issuer") \
    X(UNKNOWN_PERSON, "certificate issuer is not a trusted Person")                    \
    X(CERT_NOT_YET_VALID, "Machine certificate is not yet valid")                      \
    X(CERT_EXPIRED, "Machine certificate has expired")                                 \
    X(SIGNATURE, "capsule signature does not verify with the certified Machine key")   \
    X(MANIFEST_FORMAT, "manifest is not a canonical Cap'n Proto Manifest")             \
    X(BAD_NAME, "manifest name is malformed")                                          \
    X(BAD_VERSION, "manifest ver is not a semantic version")                           \
    X(BAD_CAPABILITY, "malformed capability or service name")                          \
    X(BAD_INTEGRITY, "malformed integrity string")                                     \
    X(BAD_BLOB, "malformed or duplicate blob entry")                                   \
    X(BAD_ENTRY, "entry names no blob of the capsule")                                 \
    X(BAD_INTENT, "intent profile is malformed or opens a service it does not require") \
    X(TOO_MANY, "too many entries in a manifest list")                                 \
    X(DOMAIN_INVALID, "domain is not one of D0-D4")                                    \
    X(DOMAIN_NOT_CERTIFIED, "Machine certificate does not allow this domain")          \
    X(DOMAIN_SIGNER, "issuing Person may not sign for this domain")                    \
    X(DOMAIN_OVERREACH, "capsule requires a capability above its domain's ceiling")    \
    X(BLOB_MISSING, "a blob named by the manifest is missing from the payload")        \
    X(BLOB_SIZE, "a blob's size differs from the manifest")                            \
    X(BLOB_HASH, "a blob's digest differs from its integrity string")                  \
    X(PADDING, "non-zero padding")                                                     \
    X(PAYLOAD_TRAILING, "payload has bytes after the last blob")                       \
    X(PAYLOAD_HASH, "payload digest differs from the manifest integrity")              \
    X(POLICY_FORMAT, "policy is malformed")

enum capsule_reason {
#define CAPSULE_X_ENUM(name, msg) CAPSULE_##name,
    CAPSULE_REASONS(CAPSULE_X_ENUM)
#undef CAPSULE_X_ENUM
    CAPSULE_NREASONS
};

const char *capsule_reason_name(enum capsule_reason r); /* "DOMAIN_OVERREACH" */
const char *capsule_reason_msg(enum capsule_reason r);  /* the one-line message */

/* ---- parsed views (pointers into the caller's buffers) ---- */

struct capsule_str {
    const char *p;
    uint32_t len;
};

struct capsule_certrec {
    const uint8_t *body;     /* canonical CertBody message */
    uint32_t body_len;
    const uint8_t *sig;      /* 64 bytes */
};

struct capsule_cert {
    struct capsule_str name;
    const uint8_t *machine_key;  /* 32 bytes */
    const uint8_t *person_key;   /* 32 bytes */
    int64_t not_before, not_after;
    uint8_t domains;
    uint64_t serial;
};

struct capsule_env {
    const uint8_t *manifest;
    uint32_t manifest_len;
    const uint8_t *proof;        /* NULL when unsigned */
    uint32_t proof_len;
    const uint8_t *payload;
    uint64_t payload_len;
    /* from the proof section, when signed */
    const uint8_t *sig;          /* 64 bytes */
    uint32_t ncerts;
    struct capsule_certrec certs[CAPSULE_MAX_CHAIN];
};

/* One result: a reason plus what it is about (a blob index and name, a
 * capability, a domain), for messages such as
 * "DOMAIN_OVERREACH: requires HW_GPU, above the ceiling of D0". */
struct capsule_result {
    enum capsule_reason reason;
    int32_t index;             /* list index the reason is about, or -1 */
    struct capsule_str what;   /* the offending name, when there is one */
    uint8_t vcid[32];          /* set once the envelope parsed */
    bool have_vcid;
};

/* ---- envelope, certificates ---- */

enum capsule_reason capsule_parse_envelope(const uint8_t *buf, size_t len,
                                           struct capsule_env *env);
enum capsule_reason capsule_parse_certrec(const uint8_t *p, size_t len, size_t *used,
                                          struct capsule_certrec *out);
enum capsule_reason capsule_cert_read(const struct capsule_certrec *rec,
                                      struct capsule_cert *out);
/* The 64-byte message a signer signs: ctx || SHA-256(data). */
void capsule_signed_msg(const struct capsule_crypto *c, const uint8_t ctx[CAPSULE_CTX_LEN],
                        const uint8_t *data, size_t len, uint8_t out[64]);

/* ---- manifest (manifest.c): the only code that knows Manifest fields ---- */

struct capsule_manifest {
    struct cpr_msg msg;
    struct cpr_struct root;
};

enum capsule_reason capsule_manifest_open(struct capsule_manifest *m, const uint8_t *buf,
                                          size_t len, struct capsule_result *res);
struct capsule_str capsule_manifest_name(const struct capsule_manifest *m);
struct capsule_str capsule_manifest_ver(const struct capsule_manifest *m);
uint16_t capsule_manifest_domain(const struct capsule_manifest *m);
struct capsule_str capsule_manifest_entry(const struct capsule_manifest *m);
struct capsule_str capsule_manifest_integrity(const struct capsule_manifest *m);

enum capsule_list {
    CAPSULE_REQUIRES,
    CAPSULE_PROVIDES,
    CAPSULE_OPENS,
    CAPSULE_SYSCALLS,
};
uint32_t capsule_manifest_count(const struct capsule_manifest *m, enum capsule_list which);
struct capsule_str capsule_manifest_item(const struct capsule_manifest *m,
                                         enum capsule_list which, uint32_t i);

struct capsule_blob {
    struct capsule_str name;
    uint64_t size;
    struct capsule_str integrity;
};
uint32_t capsule_manifest_nblobs(const struct capsule_manifest *m);
struct capsule_blob capsule_manifest_blob(const struct capsule_manifest *m, uint32_t i);

struct capsule_rate {
    struct capsule_str what;
    uint32_t per_sec, burst;
};
uint64_t capsule_manifest_mem_max(const struct capsule_manifest *m);
uint32_t capsule_manifest_nrates(const struct capsule_manifest *m);
struct capsule_rate capsule_manifest_rate(const struct capsule_manifest *m, uint32_t i);

/* ---- policy (policy.c) ---- */

struct capsule_policy {
    struct cpr_msg msg;
    struct cpr_struct root;
};

enum capsule_reason capsule_policy_open(struct capsule_policy *p, const uint8_t *buf,
                                        size_t len);
/* The trusted Person with this key, or false. */
bool capsule_policy_person(const struct capsule_policy *p, const uint8_t key[32],
                           struct capsule_str *name);
bool capsule_policy_may_sign(const struct capsule_policy *p, uint16_t domain,
                             struct capsule_str person);
bool capsule_policy_allows(const struct capsule_policy *p, uint16_t domain,
                           struct capsule_str cap);

/* The transparency half (docs/TRUST.md): verifier-key texts of trusted
 * logs, witnesses and rebuilders, and per domain N (rebuilders) and K
 * (witness cosignatures). A policy with no such key is signature-only. */
#define CAPSULE_MAX_TRUST_KEYS 16u
#define CAPSULE_MAX_KEY_TEXT 256u
enum capsule_trust_list { CAPSULE_TRUST_LOGS, CAPSULE_TRUST_WITNESSES, CAPSULE_TRUST_REBUILDERS };
uint32_t capsule_policy_nkeys(const struct capsule_policy *p, enum capsule_trust_list which);
struct capsule_str capsule_policy_key(const struct capsule_policy *p,
                                      enum capsule_trust_list which, uint32_t i);
bool capsule_policy_transparent(const struct capsule_policy *p);
/* The largest N and K of the domain's rules (schema defaults 3 and 1; a
 * domain with no rule gets the defaults, though nothing installs there). */
void capsule_policy_thresholds(const struct capsule_policy *p, uint16_t domain, unsigned *n,
                               unsigned *k);

/* ---- checks on strings (exported for the host tools' early errors) ---- */

bool capsule_valid_name(struct capsule_str s);
bool capsule_valid_semver(struct capsule_str s);
bool capsule_valid_capability(struct capsule_str s); /* IPC_SRV or svc:name */
bool capsule_valid_service(struct capsule_str s);    /* svc:name */
bool capsule_valid_blob_name(struct capsule_str s);
bool capsule_valid_cert_name(struct capsule_str s);
/* Parses "sha256:<hex>" / "sha3_512:<hex>"; alg 1 = sha256, 2 = sha3_512. */
bool capsule_parse_integrity(struct capsule_str s, int *alg, uint8_t digest[64]);
bool capsule_check_integrity(const struct capsule_crypto *c, struct capsule_str integrity,
                             const uint8_t *data, size_t len);

/* ---- the decision ---- */

/* Verifies a whole capsule. `now` is Unix seconds. On success returns
 * CAPSULE_OK and res->vcid is the capsule's identity. */
enum capsule_reason capsule_verify(const struct capsule_crypto *c, const uint8_t *buf,
                                   size_t len, const struct capsule_policy *policy,
                                   int64_t now, struct capsule_result *res);

/* Computes the VCID of an envelope (SHA-256 of its manifest bytes). */
enum capsule_reason capsule_vcid(const struct capsule_crypto *c, const uint8_t *buf,
                                 size_t len, uint8_t vcid[32]);

#endif
