/*
 * policy.c: the install policy's decision (policy.h has the rules and
 * their order). Every input other than the Policy and the state is hostile
 * bytes: each is parsed by lib/tlog or by the two line parsers below, and
 * nothing is believed before its signature is.
 */
#include "policy/policy.h"

#include "string/vstring.h"

static const char *const reason_names[] = {
#define POLICY_X_NAME(name, msg) #name,
    POLICY_REASONS(POLICY_X_NAME)
#undef POLICY_X_NAME
};
static const char *const reason_msgs[] = {
#define POLICY_X_MSG(name, msg) msg,
    POLICY_REASONS(POLICY_X_MSG)
#undef POLICY_X_MSG
};

const char *policy_reason_name(enum policy_reason r)
{
    return (unsigned)r < POLICY_NREASONS ? reason_names[r] : "?";
}

const char *policy_reason_msg(enum policy_reason r)
{
    return (unsigned)r < POLICY_NREASONS ? reason_msgs[r] : "unknown reason";
}

/* ---- "key value\n" lines: claims and attestations ---- */

/* A value: 1..255 bytes of 0x21..0x7E; for `hex`, 64 lower-case hex digits
 * decoded into out. */
static bool value_ok(const char *s, size_t n, bool hex, uint8_t out[32])
{
    if (n == 0 || n > 255 || (hex && n != 64))
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (hex) {
            int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
            if (v < 0)
                return false;
            out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | v : v << 4);
        } else if (ch <= 0x20 || ch >= 0x7f) {
            return false;
        }
    }
    return true;
}

/* Exactly `header`, then for each key "key SP value LF", then the end.
 * Key 0 is the VCID (hex). */
static bool lines_parse(const char *s, size_t len, const char *header, const char *const *keys,
                        size_t nkeys, uint8_t vcid[32], struct capsule_str *vals)
{
    size_t hl = vs_strlen(header), at = hl;
    if (len < hl || vs_memcmp(s, header, hl))
        return false;
    for (size_t k = 0; k < nkeys; k++) {
        size_t kl = vs_strlen(keys[k]);
        if (len - at < kl + 1 || vs_memcmp(s + at, keys[k], kl) || s[at + kl] != ' ')
            return false;
        at += kl + 1;
        const char *nl = vs_memchr(s + at, '\n', len - at);
        if (!nl)
            return false;
        size_t n = (size_t)(nl - (s + at));
        if (!value_ok(s + at, n, k == 0, vcid))
            return false;
        vals[k].p = s + at;
        vals[k].len = (uint32_t)n;
        at += n + 1;
    }
    return at == len;
}

int policy_attest_parse(const char *text, size_t len, uint8_t vcid[32], const char **source,
                        size_t *source_len)
{
    static const char *const keys[] = {"vcid", "source"};
    struct capsule_str v[2];
    if (!lines_parse(text, len, POLICY_ATTEST_HEADER, keys, 2, vcid, v))
        return TLOG_E_SYNTAX;
    *source = v[1].p;
    *source_len = v[1].len;
    return TLOG_OK;
}

/* header, then "vcid HEX\n" for each of n VCIDs, then "source SRC\n":
 * both attestation forms. 0 if it does not fit or the source is bad. */
static size_t attest_write(char *buf, size_t cap, const char *header, const uint8_t (*vcids)[32],
                           size_t n, const char *source, size_t source_len)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t dummy[32];
    size_t hl = vs_strlen(header);
    size_t total = hl + n * (5 + 64 + 1) + 7 + source_len + 1;
    if (!value_ok(source, source_len, false, dummy) || total > cap)
        return 0;
    char *p = buf;
    vs_memcpy(p, header, hl);
    p += hl;
    for (size_t k = 0; k < n; k++) {
        vs_memcpy(p, "vcid ", 5);
        p += 5;
        for (int i = 0; i < 32; i++) {
            *p++ = hex[vcids[k][i] >> 4];
            *p++ = hex[vcids[k][i] & 15];
        }
        *p++ = '\n';
    }
    vs_memcpy(p, "source ", 7);
    p += 7;
    vs_memcpy(p, source, source_len);
    p += source_len;
    *p = '\n';
    return total;
}

size_t policy_attest_format(char *buf, size_t cap, const uint8_t vcid[32], const char *source,
                            size_t source_len)
{
    return attest_write(buf, cap, POLICY_ATTEST_HEADER, (const uint8_t(*)[32])vcid, 1, source,
                        source_len);
}

/* "vectra-rebuild-set/v1\n", 1..POLICY_ATTEST_SET_MAX "vcid HEX\n" lines
 * in strictly ascending order, "source SRC\n", the end. */
static int set_parse(const char *s, size_t len, const uint8_t want[32], bool *covers,
                     const char **source, size_t *source_len, size_t *nvcid)
{
    size_t at = vs_strlen(POLICY_ATTEST_SET_HEADER), n = 0;
    uint8_t prev[32], v[32];
    *covers = false;
    if (len < at || vs_memcmp(s, POLICY_ATTEST_SET_HEADER, at))
        return TLOG_E_SYNTAX;
    while (len - at >= 5 + 64 + 1 && !vs_memcmp(s + at, "vcid ", 5)) {
        if (s[at + 5 + 64] != '\n' || !value_ok(s + at + 5, 64, true, v) ||
            (n && vs_memcmp(prev, v, 32) >= 0) || n == POLICY_ATTEST_SET_MAX)
            return TLOG_E_SYNTAX;
        if (!vs_memcmp(v, want, 32))
            *covers = true;
        vs_memcpy(prev, v, 32);
        n++;
        at += 5 + 64 + 1;
    }
    if (!n || len - at < 7 || vs_memcmp(s + at, "source ", 7))
        return TLOG_E_SYNTAX;
    at += 7;
    const char *nl = vs_memchr(s + at, '\n', len - at);
    if (!nl || !value_ok(s + at, (size_t)(nl - (s + at)), false, v) || (size_t)(nl - s) + 1 != len)
        return TLOG_E_SYNTAX;
    *source = s + at;
    *source_len = (size_t)(nl - (s + at));
    *nvcid = n;
    return TLOG_OK;
}

int policy_attest_read(const char *text, size_t len, const uint8_t want[32], bool *covers,
                       const char **source, size_t *source_len, size_t *nvcid)
{
    uint8_t v[32];
    if (policy_attest_parse(text, len, v, source, source_len) == TLOG_OK) {
        *covers = !vs_memcmp(v, want, 32);
        *nvcid = 1;
        return TLOG_OK;
    }
    return set_parse(text, len, want, covers, source, source_len, nvcid);
}

size_t policy_attest_set_format(char *buf, size_t cap, const uint8_t (*vcids)[32], size_t n,
                                const char *source, size_t source_len)
{
    if (n == 0 || n > POLICY_ATTEST_SET_MAX)
        return 0;
    for (size_t i = 1; i < n; i++)
        if (vs_memcmp(vcids[i - 1], vcids[i], 32) >= 0)
            return 0;
    return attest_write(buf, cap, n == 1 ? POLICY_ATTEST_HEADER : POLICY_ATTEST_SET_HEADER, vcids,
                        n, source, source_len);
}

int policy_claim_parse(const char *text, size_t len, struct policy_claim *cl)
{
    static const char *const keys[] = {"vcid", "name", "version", "signer", "source"};
    struct capsule_str v[5];
    if (!lines_parse(text, len, "vectra-claim/v1\n", keys, 5, cl->vcid, v))
        return TLOG_E_SYNTAX;
    cl->name = v[1];
    cl->version = v[2];
    cl->signer = v[3];
    cl->source = v[4];
    return TLOG_OK;
}

/* ---- the trust settings ---- */

static bool load_keys(const struct tlog_crypto *c, const struct capsule_policy *p,
                      enum capsule_trust_list which, uint8_t type, struct tlog_key *keys,
                      size_t *n)
{
    uint32_t count = capsule_policy_nkeys(p, which);
    if (count > POLICY_MAX_KEYS)
        return false;
    for (uint32_t i = 0; i < count; i++) {
        struct capsule_str s = capsule_policy_key(p, which, i);
        if (tlog_vkey_parse(c, s.p, s.len, &keys[i]) != TLOG_OK || keys[i].type != type)
            return false;
        for (uint32_t j = 0; j < i; j++)
            if (!vs_memcmp(keys[j].pub, keys[i].pub, 32))
                return false; /* one key listed twice would count twice */
    }
    *n = count;
    return true;
}

enum policy_reason policy_trust_load(const struct tlog_crypto *c, const struct capsule_policy *p,
                                     uint16_t domain, struct policy_trust *t)
{
    vs_memset(t, 0, sizeof *t);
    t->transparent = capsule_policy_transparent(p);
    capsule_policy_thresholds(p, domain, &t->n, &t->k);
    if (!load_keys(c, p, CAPSULE_TRUST_LOGS, TLOG_SIG_ED25519, t->logs, &t->nlogs) ||
        !load_keys(c, p, CAPSULE_TRUST_WITNESSES, TLOG_SIG_COSIG, t->witnesses, &t->nwitnesses) ||
        !load_keys(c, p, CAPSULE_TRUST_REBUILDERS, TLOG_SIG_ED25519, t->rebuilders,
                   &t->nrebuilders))
        return POLICY_CONFIG;
    return POLICY_OK;
}

/* ---- the rules ---- */

static enum policy_reason fail(struct policy_result *r, enum policy_reason why, int32_t index)
{
    r->reason = why;
    r->index = index;
    return why;
}

static bool str_eq(struct capsule_str a, const char *b, size_t n)
{
    return a.len == n && !vs_memcmp(a.p, b, n);
}

/* Rules 2 and 3. On success *src is the source the counted attestations
 * share (NULL if none was needed and none counted). Attestations with
 * different sources are allowed here; rule 4 holds each to the claim. */
static enum policy_reason check_attestations(const struct tlog_crypto *c,
                                             const struct policy_trust *t,
                                             const struct policy_input *in,
                                             struct policy_result *r, struct capsule_str *srcs)
{
    struct tlog_note note;
    if (in->nattest > POLICY_MAX_ATTEST)
        return fail(r, POLICY_ATTEST_FORMAT, POLICY_MAX_ATTEST);
    for (size_t i = 0; i < in->nattest; i++) {
        bool covers;
        const char *src;
        size_t srclen, nv;
        bool ok[POLICY_MAX_KEYS] = {false};
        if (tlog_note_parse(in->attest[i].p, in->attest[i].n, &note) != TLOG_OK ||
            policy_attest_read(note.text, note.text_len, in->vcid, &covers, &src, &srclen, &nv) !=
                TLOG_OK)
            return fail(r, POLICY_ATTEST_FORMAT, (int32_t)i);
        int v = t->nrebuilders ? tlog_note_verify(c, &note, t->rebuilders, t->nrebuilders, ok,
                                                  NULL, NULL, 0)
                               : TLOG_E_UNKNOWN_KEY;
        if (v == TLOG_E_UNKNOWN_KEY)
            continue; /* a rebuilder this domain does not trust: it vouches for nothing */
        if (v != TLOG_OK)
            return fail(r, POLICY_ATTEST_SIGNATURE, (int32_t)i);
        if (!covers)
            return fail(r, POLICY_ATTEST_OTHER, (int32_t)i);
        for (size_t k = 0; k < t->nrebuilders; k++) {
            if (!ok[k])
                continue;
            if (r->rebuilders & (1u << k))
                return fail(r, POLICY_ATTEST_DUPLICATE, (int32_t)i);
            r->rebuilders |= 1u << k;
            srcs[k].p = src;
            srcs[k].len = (uint32_t)srclen;
        }
    }
    for (size_t k = 0; k < t->nrebuilders; k++)
        r->have += (r->rebuilders >> k) & 1u;
    r->need = t->n;
    if (r->have < t->n)
        return fail(r, POLICY_REBUILDERS, -1);
    return POLICY_OK;
}

/* Rules 4 to 8: the claim, the checkpoint, the path, the witnesses, the
 * memory. On success res->state has the checkpoint recorded. */
static enum policy_reason check_log(const struct tlog_crypto *c, const struct policy_trust *t,
                                    const struct policy_input *in, const struct capsule_str *srcs,
                                    struct policy_result *r)
{
    struct tlog_proof proof;
    struct tlog_note note;
    struct tlog_checkpoint cp;
    struct policy_claim claim;
    uint8_t extra[POLICY_MAX_CLAIM];
    size_t extra_len;

    /* 4: the claim, authenticated below by the path. No bundle at all, or a
     * bundle about another capsule, is the same fact: no sign that this
     * capsule is in the log. */
    if (!in->proof || tlog_proof_parse(in->proof, in->proof_len, &proof) != TLOG_OK ||
        !proof.extra_b64 ||
        tlog_b64_decode(extra, sizeof extra, proof.extra_b64, proof.extra_b64_len, &extra_len) ||
        policy_claim_parse((const char *)extra, extra_len, &claim) != TLOG_OK ||
        vs_memcmp(claim.vcid, in->vcid, 32))
        return fail(r, POLICY_CLAIM_MISSING, -1);
    struct capsule_str name = capsule_manifest_name(in->manifest);
    struct capsule_str ver = capsule_manifest_ver(in->manifest);
    if (!str_eq(claim.name, name.p, name.len) || !str_eq(claim.version, ver.p, ver.len))
        return fail(r, POLICY_CLAIM_MISSING, -1);
    for (size_t k = 0; k < t->nrebuilders; k++)
        if ((r->rebuilders >> k & 1u) && !str_eq(claim.source, srcs[k].p, srcs[k].len))
            return fail(r, POLICY_SOURCE, (int32_t)k);

    /* 5: the checkpoint, signed by a trusted log. Witness keys verify in the
     * same pass, so a bad cosignature by a trusted witness refuses too. */
    const char *cpn = in->checkpoint ? in->checkpoint : proof.note;
    size_t cpl = in->checkpoint ? in->checkpoint_len : proof.note_len;
    struct tlog_key keys[2 * POLICY_MAX_KEYS];
    bool ok[2 * POLICY_MAX_KEYS] = {false};
    size_t nk = 0;
    for (size_t i = 0; i < t->nlogs; i++)
        keys[nk++] = t->logs[i];
    for (size_t i = 0; i < t->nwitnesses; i++)
        keys[nk++] = t->witnesses[i];
    if (tlog_note_parse(cpn, cpl, &note) != TLOG_OK || nk == 0 ||
        tlog_note_verify(c, &note, keys, nk, ok, NULL, in->scratch, in->scratch_cap) != TLOG_OK)
        return fail(r, POLICY_CHECKPOINT, -1);
    for (size_t i = 0; i < t->nlogs && r->log < 0; i++)
        if (ok[i])
            r->log = (int32_t)i;
    if (r->log < 0 || tlog_checkpoint_parse(note.text, note.text_len, &cp) != TLOG_OK ||
        !str_eq((struct capsule_str){cp.origin, (uint32_t)cp.origin_len},
                t->logs[r->log].name, t->logs[r->log].name_len))
        return fail(r, POLICY_CHECKPOINT, -1);
    r->size = cp.size;
    r->leaf_index = proof.index;

    /* 6: the path from the claim's leaf to this checkpoint's root. */
    uint8_t leaf[32];
    tlog_leaf_hash(c, leaf, extra, extra_len);
    if (tlog_verify_inclusion(c, proof.index, cp.size, leaf, (const uint8_t(*)[32])proof.path,
                              proof.len, cp.root) != TLOG_OK)
        return fail(r, POLICY_PROOF_TREE, -1);

    /* 7: witnesses. */
    for (size_t i = 0; i < t->nwitnesses; i++)
        if (ok[t->nlogs + i]) {
            r->witnesses |= 1u << i;
            r->have++;
        }
    r->need = t->k;
    if (r->have < t->k)
        return fail(r, POLICY_WITNESSES, -1);
    r->have = r->need = 0;

    /* 8: the memory of this log. */
    const uint8_t *lk = t->logs[r->log].pub;
    struct policy_log_state *slot = NULL, *fresh = NULL;
    for (size_t i = 0; i < POLICY_MAX_LOGS; i++) {
        struct policy_log_state *s = &r->state.log[i];
        if (s->used && !vs_memcmp(s->log_key, lk, 32))
            slot = s;
        else if (!s->used && !fresh)
            fresh = s;
    }
    if (slot) {
        r->seen = slot->size;
        if (cp.size < slot->size)
            return fail(r, POLICY_ROLLBACK, -1);
        if (cp.size == slot->size) {
            if (vs_memcmp(cp.root, slot->root, 32))
                return fail(r, POLICY_SPLIT_VIEW, -1);
        } else if (slot->size > 0) {
            uint64_t old;
            size_t n;
            uint8_t cons[TLOG_MAX_PROOF][32];
            if (!in->consistency ||
                tlog_cons_parse(in->consistency, in->consistency_len, &old, cons, TLOG_MAX_PROOF,
                                &n) != TLOG_OK ||
                old != slot->size)
                return fail(r, POLICY_CONSISTENCY, -1);
            if (tlog_verify_consistency(c, old, cp.size, slot->root, cp.root,
                                        (const uint8_t(*)[32])cons, n) != TLOG_OK)
                return fail(r, POLICY_SPLIT_VIEW, -1);
        }
    } else {
        /* First checkpoint of this log: trusted on first use. With no free
         * slot the oldest memory is kept rather than overwritten. */
        if (!fresh)
            return fail(r, POLICY_CHECKPOINT, -1);
        slot = fresh;
        slot->used = true;
        vs_memcpy(slot->log_key, lk, 32);
    }
    slot->size = cp.size;
    vs_memcpy(slot->root, cp.root, 32);
    return POLICY_OK;
}

static bool pattern_allows(struct capsule_str pat, struct capsule_str cap)
{
    if (pat.len >= 1 && pat.p[pat.len - 1] == '*')
        return cap.len >= pat.len - 1 && !vs_memcmp(pat.p, cap.p, pat.len - 1);
    return pat.len == cap.len && !vs_memcmp(pat.p, cap.p, cap.len);
}

enum policy_reason policy_decide(const struct tlog_crypto *c, const struct policy_trust *t,
                                 const struct policy_input *in, const struct policy_state *state,
                                 struct policy_result *res)
{
    vs_memset(res, 0, sizeof *res);
    res->index = -1;
    res->log = -1;
    res->state = *state;
    if (in->verified != CAPSULE_OK)
        return fail(res, POLICY_SIGNATURE, -1);

    if (t->transparent) {
        struct capsule_str srcs[POLICY_MAX_KEYS];
        struct policy_result tmp = *res;
        enum policy_reason why = check_attestations(c, t, in, &tmp, srcs);
        if (why == POLICY_OK) {
            tmp.have = tmp.need = 0;
            why = check_log(c, t, in, srcs, &tmp);
        }
        if (why != POLICY_OK) {
            tmp.state = *state; /* a refusal never moves the memory */
            *res = tmp;
            return why;
        }
        *res = tmp;
    }

    uint16_t domain = capsule_manifest_domain(in->manifest);
    uint32_t nreq = capsule_manifest_count(in->manifest, CAPSULE_REQUIRES);
    for (uint32_t i = 0; i < nreq; i++) {
        struct capsule_str cap = capsule_manifest_item(in->manifest, CAPSULE_REQUIRES, i);
        bool ok = capsule_policy_allows(in->policy, domain, cap);
        if (ok && in->have_authorised) {
            ok = false;
            for (size_t a = 0; a < in->nauthorised && !ok; a++)
                ok = pattern_allows(in->authorised[a], cap);
        }
        if (!ok) {
            res->state = *state;
            return fail(res, POLICY_FOOTPRINT, (int32_t)i);
        }
    }
    res->reason = POLICY_OK;
    return POLICY_OK;
}

/* ---- the evidence container ---- */

int policy_evidence_parse(const char *buf, size_t len, struct policy_evidence *ev)
{
    static const char *const kinds[] = {"attestation", "proof", "checkpoint", "consistency"};
    size_t at = vs_strlen(POLICY_EVIDENCE_HEADER);
    vs_memset(ev, 0, sizeof *ev);
    if (len < at || vs_memcmp(buf, POLICY_EVIDENCE_HEADER, at))
        return TLOG_E_SYNTAX;
    while (at < len) {
        const char *sp = vs_memchr(buf + at, ' ', len - at);
        if (!sp)
            return TLOG_E_SYNTAX;
        size_t kl = (size_t)(sp - (buf + at)), kind = 4;
        for (size_t k = 0; k < 4; k++)
            if (kl == vs_strlen(kinds[k]) && !vs_memcmp(buf + at, kinds[k], kl))
                kind = k;
        if (kind == 4)
            return TLOG_E_SYNTAX;
        at += kl + 1;
        uint64_t n = 0;
        size_t digits = 0;
        while (at < len && buf[at] >= '0' && buf[at] <= '9' && digits < 6) {
            n = n * 10 + (uint64_t)(buf[at++] - '0');
            digits++;
        }
        if (digits == 0 || (digits > 1 && buf[at - digits] == '0') || n == 0 ||
            n > POLICY_MAX_ITEM || at >= len || buf[at] != '\n')
            return TLOG_E_SYNTAX;
        at++;
        if (len - at < n + 1 || buf[at + n] != '\n')
            return TLOG_E_SYNTAX;
        struct tlog_span item = {buf + at, (size_t)n};
        at += (size_t)n + 1;
        struct tlog_span *one = kind == 1 ? &ev->proof : kind == 2 ? &ev->checkpoint
                                                                   : &ev->consistency;
        if (kind == 0) {
            if (ev->nattest == POLICY_MAX_ATTEST)
                return TLOG_E_RANGE;
            ev->attest[ev->nattest++] = item;
        } else {
            if (one->n)
                return TLOG_E_SYNTAX; /* twice: which one would count? */
            *one = item;
        }
    }
    return TLOG_OK;
}

void policy_evidence_input(const struct policy_evidence *ev, struct policy_input *in)
{
    in->attest = ev->attest;
    in->nattest = ev->nattest;
    in->proof = ev->proof.n ? ev->proof.p : NULL;
    in->proof_len = ev->proof.n;
    in->checkpoint = ev->checkpoint.n ? ev->checkpoint.p : NULL;
    in->checkpoint_len = ev->checkpoint.n;
    in->consistency = ev->consistency.n ? ev->consistency.p : NULL;
    in->consistency_len = ev->consistency.n;
}
