/*
 * policy: the install policy, as one pure decision (docs/TRUST.md).
 *
 * Given what lib/capsule verified about a capsule, the rebuilder
 * attestations and the inclusion-proof bundle that travel with it, the
 * domain's trust settings from the signed Policy, and the newest
 * checkpoint this system has verified for each log, policy_decide()
 * answers install or refuse, naming the first rule that failed, and the
 * checkpoint state to remember afterwards. The rules, in order:
 *
 *   1 SIGNATURE      lib/capsule's verdict (envelope, chain to a trusted
 *                    Person, signature, manifest, domain, blobs) is OK
 *   2 ATTEST_*       every attestation parses; one by a trusted rebuilder
 *                    verifies, names this VCID (or lists it: a release
 *                    attestation), and its key signed no
 *                    other attestation here; attestations by keys the
 *                    policy does not trust are ignored
 *   3 REBUILDERS     at least N distinct trusted rebuilders attest
 *   4 CLAIM_MISSING  an inclusion bundle exists and its claim is this
 *                    capsule (VCID, name, version)
 *     SOURCE         ... and names the source the rebuilders rebuilt
 *   5 CHECKPOINT     the checkpoint is signed by a trusted log (and no
 *                    trusted key's signature on it is bad)
 *   6 PROOF_TREE     the inclusion path leads from the claim to that
 *                    checkpoint's root (a proof for another tree fails)
 *   7 WITNESSES      at least K trusted witnesses cosigned it
 *   8 ROLLBACK       its size is not below the remembered one
 *     SPLIT_VIEW     same size, same root; larger: the consistency proof
 *                    from the remembered checkpoint verifies
 *     CONSISTENCY    ... a larger one comes with a proof from exactly the
 *                    remembered size
 *   9 FOOTPRINT      every `requires` entry is under the domain ceiling
 *                    and, when the user gave one, inside the user's
 *                    authorisation
 *
 * A signature-only policy (no logs, witnesses or rebuilders: every policy
 * written before these rules existed) runs rules 1 and 9 only.
 *
 * State: the newest verified checkpoint per log (by the log's public key),
 * at most POLICY_MAX_LOGS. The result's `state` is the input state with
 * this checkpoint recorded; it differs from the input only when every log
 * rule passed, so a refused checkpoint never moves the memory.
 *
 * Shape: pure logic, no allocation, no libc; SHA-256 and Ed25519 through
 * lib/tlog's struct tlog_crypto. All inputs are untrusted bytes except the
 * policy (already opened by capsule_policy_open) and the state (the
 * caller's own). The decision uses about 14 KiB of stack (a parsed note
 * and proof, the claim, a consistency proof and the log and witness keys
 * together); scratch for the cosigned message comes from the caller.
 */
#ifndef POLICY_POLICY_H
#define POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsule/capsule.h"
#include "tlog/tlog.h"

#define POLICY_MAX_KEYS CAPSULE_MAX_TRUST_KEYS
#define POLICY_MAX_LOGS 8u
#define POLICY_MAX_ATTEST 16u
#define POLICY_MAX_CLAIM 1536u /* a claim: header and five lines of <= 255 */
#define POLICY_DEFAULT_N 3u
#define POLICY_DEFAULT_K 1u

#define POLICY_REASONS(X)                                                                 \
    X(OK, "install policy satisfied")                                                     \
    X(SIGNATURE, "capsule signature or certificate chain does not verify")                \
    X(ATTEST_FORMAT, "a rebuilder attestation is malformed")                              \
    X(ATTEST_SIGNATURE, "a rebuilder attestation's signature does not verify")            \
    X(ATTEST_OTHER, "an attestation is for other bytes (another VCID)")                   \
    X(ATTEST_DUPLICATE, "two attestations by one rebuilder key")                          \
    X(REBUILDERS, "too few attestations by distinct trusted rebuilders")                  \
    X(CLAIM_MISSING, "the capsule's claim is missing from the log")                       \
    X(SOURCE, "the log's claim names another source than the rebuilders attest")          \
    X(CHECKPOINT, "the checkpoint is not validly signed by a trusted log")                \
    X(PROOF_TREE, "the inclusion proof is for a different tree")                          \
    X(WITNESSES, "too few trusted witness cosignatures on the checkpoint")                \
    X(ROLLBACK, "an older checkpoint than one already verified (replayed)")               \
    X(SPLIT_VIEW, "the checkpoint is inconsistent with one already verified (split view)") \
    X(CONSISTENCY, "a newer checkpoint without a consistency proof from the remembered one") \
    X(FOOTPRINT, "the capability footprint is above the ceiling or the authorisation")   \
    X(CONFIG, "the policy's trust keys are malformed")

enum policy_reason {
#define POLICY_X_ENUM(name, msg) POLICY_##name,
    POLICY_REASONS(POLICY_X_ENUM)
#undef POLICY_X_ENUM
    POLICY_NREASONS
};

const char *policy_reason_name(enum policy_reason r);
const char *policy_reason_msg(enum policy_reason r);

/* ---- the domain's trust settings, parsed from the Policy once ---- */

struct policy_trust {
    bool transparent; /* false: a signature-only policy */
    unsigned n, k;    /* rebuilders and witness cosignatures needed */
    struct tlog_key logs[POLICY_MAX_KEYS], witnesses[POLICY_MAX_KEYS],
        rebuilders[POLICY_MAX_KEYS];
    size_t nlogs, nwitnesses, nrebuilders;
};

/* Parses the Policy's key lists (each key's ID checked, logs and
 * rebuilders type 0x01, witnesses 0x04) and the domain's N and K.
 * Returns POLICY_OK or POLICY_CONFIG. */
enum policy_reason policy_trust_load(const struct tlog_crypto *c, const struct capsule_policy *p,
                                     uint16_t domain, struct policy_trust *t);

/* ---- remembered checkpoints ---- */

struct policy_log_state {
    bool used;
    uint8_t log_key[32]; /* the log's Ed25519 public key */
    uint64_t size;
    uint8_t root[32];
};

struct policy_state {
    struct policy_log_state log[POLICY_MAX_LOGS];
};

/* ---- the remembered checkpoints between boots (docs/TRUST.md) ----
 *
 *   "vectra-trust-state/v1\n", then one line per remembered log:
 *   "log " <64 hex: the log's public key> SP <size, decimal, no leading
 *   zeros, <= 2^63 - 1> SP <64 hex: the root> "\n"
 * lower-case hex; at most POLICY_MAX_LOGS lines, no log twice, nothing
 * else. policy_state_format writes the used slots in slot order and
 * returns the length, or 0 if cap is too small. */
#define POLICY_STATE_HEADER "vectra-trust-state/v1\n"
#define POLICY_STATE_LINE_MAX (4u + 64u + 1u + 19u + 1u + 64u + 1u)
#define POLICY_STATE_MAX (sizeof POLICY_STATE_HEADER - 1 + POLICY_MAX_LOGS * POLICY_STATE_LINE_MAX)
size_t policy_state_format(const struct policy_state *s, char *buf, size_t cap);
int policy_state_parse(const char *buf, size_t len, struct policy_state *s);

/* ---- one decision ---- */

struct policy_input {
    /* rule 1: lib/capsule's result and the authenticated manifest (read
     * only when verified == CAPSULE_OK) */
    enum capsule_reason verified;
    const uint8_t *vcid; /* 32 bytes */
    const struct capsule_manifest *manifest;
    const struct capsule_policy *policy;
    /* rebuilder attestations: signed notes, each (p, n) */
    const struct tlog_span *attest;
    size_t nattest;
    /* the tlog-proof bundle (`vlog prove`), or NULL */
    const char *proof;
    size_t proof_len;
    /* the checkpoint the proof is checked against, with its cosignatures;
     * NULL: the note inside the bundle */
    const char *checkpoint;
    size_t checkpoint_len;
    /* "old N" consistency proof from the remembered checkpoint, or NULL */
    const char *consistency;
    size_t consistency_len;
    /* the user's authorisation: requires entries allowed (patterns as in a
     * ceiling); have_authorised false: no limit beyond the ceiling */
    bool have_authorised;
    const struct capsule_str *authorised;
    size_t nauthorised;
    /* scratch for a cosigned message: checkpoint text + 64 bytes */
    char *scratch;
    size_t scratch_cap;
};

struct policy_result {
    enum policy_reason reason;
    int32_t index;     /* the attestation or requires entry at fault, or -1 */
    unsigned have, need; /* REBUILDERS / WITNESSES: counted and needed */
    uint64_t size, seen; /* the checkpoint's size; the remembered size */
    /* who vouched (bit i: the trust's key i), for `capsule info` */
    uint32_t rebuilders, witnesses;
    int32_t log;       /* index of the log that signed, or -1 */
    uint64_t leaf_index;
    struct policy_state state; /* to persist */
};

enum policy_reason policy_decide(const struct tlog_crypto *c, const struct policy_trust *t,
                                 const struct policy_input *in, const struct policy_state *state,
                                 struct policy_result *res);

/* ---- attestations (docs/TRUST.md) ----
 *
 * The text of a rebuilder attestation, signed as a C2SP signed note by the
 * rebuilder's note key:
 *   "vectra-rebuild/v1\n" "vcid " 64 lower-case hex "\n" "source " SRC "\n"
 * SRC: 1..255 bytes of 0x21..0x7E. Exactly these three lines. */
#define POLICY_ATTEST_HEADER "vectra-rebuild/v1\n"
int policy_attest_parse(const char *text, size_t len, uint8_t vcid[32], const char **source,
                        size_t *source_len);
/* Writes the attestation text; returns its length, or 0 if it does not
 * fit or the source is malformed. */
size_t policy_attest_format(char *buf, size_t cap, const uint8_t vcid[32], const char *source,
                            size_t source_len);

/* A release attestation: one signed statement for several capsules built
 * from one source, so a boot verifies it once (through a cache of
 * verified signatures) for all of them:
 *   "vectra-rebuild-set/v1\n", 1..POLICY_ATTEST_SET_MAX lines
 *   "vcid " 64 lower-case hex "\n" in strictly ascending order, then
 *   "source " SRC "\n". Nothing else.
 * A set of one is written in the single form above (one set, one text). */
#define POLICY_ATTEST_SET_HEADER "vectra-rebuild-set/v1\n"
#define POLICY_ATTEST_SET_MAX 64u
size_t policy_attest_set_format(char *buf, size_t cap, const uint8_t (*vcids)[32], size_t n,
                                const char *source, size_t source_len);
/* Either form: TLOG_OK with *covers (want is among its VCIDs), the source
 * and the number of VCIDs; TLOG_E_SYNTAX otherwise. */
int policy_attest_read(const char *text, size_t len, const uint8_t want[32], bool *covers,
                       const char **source, size_t *source_len, size_t *nvcid);

/* The claim of docs/TLOG.md, parsed: VCID and spans of its values. */
struct policy_claim {
    uint8_t vcid[32];
    struct capsule_str name, version, signer, source;
};
int policy_claim_parse(const char *text, size_t len, struct policy_claim *cl);

/* ---- the evidence that travels with a capsule (docs/TRUST.md) ----
 *
 *   "vectra-evidence/v1\n", then items, each
 *   KIND SP LENGTH LF <LENGTH bytes> LF
 * KIND: "attestation" (0..POLICY_MAX_ATTEST of them), "proof",
 * "checkpoint", "consistency" (at most one each); LENGTH decimal without
 * leading zeros, 1..POLICY_MAX_ITEM. Nothing after the last item. The
 * items are not checked here: policy_decide does that. */
#define POLICY_EVIDENCE_HEADER "vectra-evidence/v1\n"
#define POLICY_MAX_ITEM 65536u
struct policy_evidence {
    struct tlog_span attest[POLICY_MAX_ATTEST];
    size_t nattest;
    struct tlog_span proof, checkpoint, consistency; /* n == 0: absent */
};
int policy_evidence_parse(const char *buf, size_t len, struct policy_evidence *ev);
/* Points in->attest, proof, checkpoint and consistency at ev's items. */
void policy_evidence_input(const struct policy_evidence *ev, struct policy_input *in);

#endif
