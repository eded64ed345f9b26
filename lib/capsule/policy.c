/*
 * policy.c: reading a Policy message (schema/capsule.capnp): which Persons
 * are trusted, and per trust domain the capability ceiling and the Persons
 * who may sign for it. Validated once in capsule_policy_open(); the lookups
 * are linear scans (policies hold a handful of entries).
 *
 * Several DomainRules for the same domain add up (their ceilings and
 * signers are unions). A domain with no rule has an empty ceiling and no
 * signers, so nothing can be installed into it.
 */
#include "capsule/internal.h"

enum { P_PERSONS, P_DOMAINS, P_LOGS, P_WITNESSES, P_REBUILDERS, P_NPTRS };
enum { T_NAME, T_KEY, T_NPTRS };
enum { D_CEILING, D_SIGNERS, D_NPTRS };
#define D_DOMAIN_OFF 0
/* UInt8 fields with schema defaults: Cap'n Proto stores value XOR default. */
#define D_REBUILDERS_OFF 2
#define D_REBUILDERS_DEFAULT 3u
#define D_WITNESSES_OFF 3
#define D_WITNESSES_DEFAULT 1u

static bool list_of(const struct cpr_struct *s, uint16_t ptr, uint8_t es, struct cpr_list *l)
{
    return cpr_list_field(s, ptr, es, l) == CPR_OK;
}

static bool valid_pattern(struct capsule_str s)
{
    if (s.len >= 1 && s.p[s.len - 1] == '*') {
        for (uint32_t i = 0; i + 1 < s.len; i++)
            if (s.p[i] <= ' ' || s.p[i] > '~' || s.p[i] == '*')
                return false;
        return true;
    }
    return capsule_valid_capability(s);
}

/* A verifier key's text form; its syntax and ID are checked by lib/tlog
 * where the keys are used (policy_trust_load), which has the hash. */
static bool valid_key_text(struct capsule_str s)
{
    if (s.len == 0 || s.len > CAPSULE_MAX_KEY_TEXT)
        return false;
    for (uint32_t i = 0; i < s.len; i++)
        if (s.p[i] <= ' ' || s.p[i] > '~')
            return false;
    return true;
}

static bool texts_ok(const struct cpr_list *l, bool (*valid)(struct capsule_str))
{
    if (l->count > 256)
        return false;
    for (uint32_t i = 0; i < l->count; i++) {
        struct cpr_bytes b;
        if (cpr_list_text(l, i, &b) != CPR_OK || !valid(cap_str(b)))
            return false;
    }
    return true;
}

enum capsule_reason capsule_policy_open(struct capsule_policy *p, const uint8_t *buf, size_t len)
{
    struct cpr_list persons, domains;
    if (cpr_open(&p->msg, buf, len) != CPR_OK || cpr_root(&p->msg, &p->root) != CPR_OK ||
        p->root.ndata != 0 || p->root.nptrs > P_NPTRS || !list_of(&p->root, P_PERSONS, 7, &persons) ||
        !list_of(&p->root, P_DOMAINS, 7, &domains) || persons.count > 256 || domains.count > 256)
        return CAPSULE_POLICY_FORMAT;
    for (uint16_t w = P_LOGS; w < P_NPTRS; w++) {
        struct cpr_list keys;
        if (!list_of(&p->root, w, 6, &keys) || keys.count > CAPSULE_MAX_TRUST_KEYS ||
            !texts_ok(&keys, valid_key_text))
            return CAPSULE_POLICY_FORMAT;
    }
    if (persons.count && (persons.ndata != 0 || persons.nptrs > T_NPTRS))
        return CAPSULE_POLICY_FORMAT;
    for (uint32_t i = 0; i < persons.count; i++) {
        struct cpr_struct s;
        struct cpr_bytes name, key;
        if (cpr_list_struct(&persons, i, &s) != CPR_OK || cpr_text(&s, T_NAME, &name) != CPR_OK ||
            cpr_data(&s, T_KEY, &key) != CPR_OK || key.len != 32 ||
            !capsule_valid_cert_name(cap_str(name)))
            return CAPSULE_POLICY_FORMAT;
    }
    if (domains.count && (domains.ndata > 1 || domains.nptrs > D_NPTRS))
        return CAPSULE_POLICY_FORMAT;
    for (uint32_t i = 0; i < domains.count; i++) {
        struct cpr_struct s;
        struct cpr_list ceiling, signers;
        if (cpr_list_struct(&domains, i, &s) != CPR_OK ||
            cpr_u16(&s, D_DOMAIN_OFF) >= CAPSULE_NDOMAINS || !list_of(&s, D_CEILING, 6, &ceiling) ||
            !list_of(&s, D_SIGNERS, 6, &signers) || !texts_ok(&ceiling, valid_pattern) ||
            !texts_ok(&signers, capsule_valid_cert_name))
            return CAPSULE_POLICY_FORMAT;
    }
    return CAPSULE_OK;
}

bool capsule_policy_person(const struct capsule_policy *p, const uint8_t key[32],
                           struct capsule_str *name)
{
    struct cpr_list persons;
    if (!list_of(&p->root, P_PERSONS, 7, &persons))
        return false;
    for (uint32_t i = 0; i < persons.count; i++) {
        struct cpr_struct s;
        struct cpr_bytes n, k;
        if (cpr_list_struct(&persons, i, &s) == CPR_OK && cpr_data(&s, T_KEY, &k) == CPR_OK &&
            k.len == 32 && cap_memeq(k.p, key, 32) && cpr_text(&s, T_NAME, &n) == CPR_OK) {
            *name = cap_str(n);
            return true;
        }
    }
    return false;
}

/* Calls match() on every text of list `which` in every rule for `domain`. */
static bool any_in_rules(const struct capsule_policy *p, uint16_t domain, uint16_t which,
                         struct capsule_str x, bool (*match)(struct capsule_str, struct capsule_str))
{
    struct cpr_list domains;
    if (!list_of(&p->root, P_DOMAINS, 7, &domains))
        return false;
    for (uint32_t i = 0; i < domains.count; i++) {
        struct cpr_struct s;
        struct cpr_list l;
        if (cpr_list_struct(&domains, i, &s) != CPR_OK || cpr_u16(&s, D_DOMAIN_OFF) != domain ||
            !list_of(&s, which, 6, &l))
            continue;
        for (uint32_t k = 0; k < l.count; k++) {
            struct cpr_bytes b;
            if (cpr_list_text(&l, k, &b) == CPR_OK && match(cap_str(b), x))
                return true;
        }
    }
    return false;
}

static bool same(struct capsule_str a, struct capsule_str b)
{
    return cap_streq(a, b);
}

static bool pattern_match(struct capsule_str pat, struct capsule_str cap)
{
    if (pat.len >= 1 && pat.p[pat.len - 1] == '*')
        return cap.len >= pat.len - 1 && cap_memeq(pat.p, cap.p, pat.len - 1);
    return cap_streq(pat, cap);
}

bool capsule_policy_may_sign(const struct capsule_policy *p, uint16_t domain,
                             struct capsule_str person)
{
    return any_in_rules(p, domain, D_SIGNERS, person, same);
}

bool capsule_policy_allows(const struct capsule_policy *p, uint16_t domain, struct capsule_str cap)
{
    return any_in_rules(p, domain, D_CEILING, cap, pattern_match);
}

static uint16_t key_list(enum capsule_trust_list which)
{
    return which == CAPSULE_TRUST_LOGS ? P_LOGS
           : which == CAPSULE_TRUST_WITNESSES ? P_WITNESSES
                                              : P_REBUILDERS;
}

uint32_t capsule_policy_nkeys(const struct capsule_policy *p, enum capsule_trust_list which)
{
    struct cpr_list l;
    return list_of(&p->root, key_list(which), 6, &l) ? l.count : 0;
}

struct capsule_str capsule_policy_key(const struct capsule_policy *p,
                                      enum capsule_trust_list which, uint32_t i)
{
    struct cpr_list l;
    struct cpr_bytes b = {0, 0};
    if (!list_of(&p->root, key_list(which), 6, &l) || cpr_list_text(&l, i, &b) != CPR_OK)
        b.len = 0;
    return cap_str(b);
}

bool capsule_policy_transparent(const struct capsule_policy *p)
{
    return capsule_policy_nkeys(p, CAPSULE_TRUST_LOGS) + capsule_policy_nkeys(p, CAPSULE_TRUST_WITNESSES) +
               capsule_policy_nkeys(p, CAPSULE_TRUST_REBUILDERS) != 0;
}

void capsule_policy_thresholds(const struct capsule_policy *p, uint16_t domain, unsigned *n,
                               unsigned *k)
{
    struct cpr_list domains;
    bool any = false;
    *n = *k = 0;
    if (list_of(&p->root, P_DOMAINS, 7, &domains))
        for (uint32_t i = 0; i < domains.count; i++) {
            struct cpr_struct s;
            if (cpr_list_struct(&domains, i, &s) != CPR_OK || cpr_u16(&s, D_DOMAIN_OFF) != domain)
                continue;
            unsigned rn = cpr_u8(&s, D_REBUILDERS_OFF) ^ D_REBUILDERS_DEFAULT;
            unsigned rk = cpr_u8(&s, D_WITNESSES_OFF) ^ D_WITNESSES_DEFAULT;
            *n = rn > *n ? rn : *n;
            *k = rk > *k ? rk : *k;
            any = true;
        }
    if (!any) {
        *n = D_REBUILDERS_DEFAULT;
        *k = D_WITNESSES_DEFAULT;
    }
}
