/*
 * manifest.c: the only file that knows where Manifest fields live in the
 * Cap'n Proto message (schema/capsule.capnp; offsets as `capnp compile
 * -ocapnp` prints them). capsule_manifest_open() validates everything once
 * -- canonical form, no unknown fields, every string's grammar, list
 * limits, unique blob names, entry and intent consistency -- so the
 * accessors after it cannot fail and return plain values.
 */
#include "capsule/internal.h"

/* Manifest: 1 data word, 8 pointers */
enum { M_NAME, M_VER, M_REQUIRES, M_PROVIDES, M_ENTRY, M_INTENT, M_BLOBS, M_INTEGRITY, M_NPTRS };
#define M_DOMAIN_OFF 0
/* Blob: 1 data word, 2 pointers */
enum { B_NAME, B_INTEGRITY, B_NPTRS };
#define B_SIZE_OFF 0
/* Intent: 1 data word, 3 pointers */
enum { I_OPENS, I_SYSCALLS, I_RATES, I_NPTRS };
#define I_MEMMAX_OFF 0
/* Rate: 1 data word, 1 pointer */
#define R_WHAT 0
#define R_PERSEC_OFF 0
#define R_BURST_OFF 4

static bool known_shape(const struct cpr_struct *s, uint16_t ndata, uint16_t nptrs)
{
    return s->ndata <= ndata && s->nptrs <= nptrs;
}

static bool get_intent(const struct capsule_manifest *m, struct cpr_struct *out)
{
    return cpr_struct_field(&m->root, M_INTENT, out) == CPR_OK;
}

static bool get_list(const struct capsule_manifest *m, enum capsule_list which,
                     struct cpr_list *l)
{
    struct cpr_struct in;
    switch (which) {
    case CAPSULE_REQUIRES:
        return cpr_list_field(&m->root, M_REQUIRES, 6, l) == CPR_OK;
    case CAPSULE_PROVIDES:
        return cpr_list_field(&m->root, M_PROVIDES, 6, l) == CPR_OK;
    case CAPSULE_OPENS:
        return get_intent(m, &in) && cpr_list_field(&in, I_OPENS, 6, l) == CPR_OK;
    case CAPSULE_SYSCALLS:
        return get_intent(m, &in) && cpr_list_field(&in, I_SYSCALLS, 6, l) == CPR_OK;
    }
    return false;
}

static struct capsule_str text(const struct cpr_struct *s, uint16_t ptr)
{
    struct cpr_bytes b;
    if (cpr_text(s, ptr, &b) != CPR_OK)
        b.p = (const uint8_t *)"", b.len = 0;
    return cap_str(b);
}

struct capsule_str capsule_manifest_name(const struct capsule_manifest *m)
{
    return text(&m->root, M_NAME);
}

struct capsule_str capsule_manifest_ver(const struct capsule_manifest *m)
{
    return text(&m->root, M_VER);
}

uint16_t capsule_manifest_domain(const struct capsule_manifest *m)
{
    return cpr_u16(&m->root, M_DOMAIN_OFF);
}

struct capsule_str capsule_manifest_entry(const struct capsule_manifest *m)
{
    return text(&m->root, M_ENTRY);
}

struct capsule_str capsule_manifest_integrity(const struct capsule_manifest *m)
{
    return text(&m->root, M_INTEGRITY);
}

uint32_t capsule_manifest_count(const struct capsule_manifest *m, enum capsule_list which)
{
    struct cpr_list l;
    return get_list(m, which, &l) ? l.count : 0;
}

struct capsule_str capsule_manifest_item(const struct capsule_manifest *m,
                                         enum capsule_list which, uint32_t i)
{
    struct cpr_list l;
    struct cpr_bytes b = {(const uint8_t *)"", 0};
    if (!get_list(m, which, &l) || cpr_list_text(&l, i, &b) != CPR_OK)
        b.p = (const uint8_t *)"", b.len = 0;
    return cap_str(b);
}

uint32_t capsule_manifest_nblobs(const struct capsule_manifest *m)
{
    struct cpr_list l;
    return cpr_list_field(&m->root, M_BLOBS, 7, &l) == CPR_OK ? l.count : 0;
}

struct capsule_blob capsule_manifest_blob(const struct capsule_manifest *m, uint32_t i)
{
    struct capsule_blob b = {{"", 0}, 0, {"", 0}};
    struct cpr_list l;
    struct cpr_struct s;
    if (cpr_list_field(&m->root, M_BLOBS, 7, &l) != CPR_OK || cpr_list_struct(&l, i, &s) != CPR_OK)
        return b;
    b.name = text(&s, B_NAME);
    b.size = cpr_u64(&s, B_SIZE_OFF);
    b.integrity = text(&s, B_INTEGRITY);
    return b;
}

uint64_t capsule_manifest_mem_max(const struct capsule_manifest *m)
{
    struct cpr_struct in;
    return get_intent(m, &in) ? cpr_u64(&in, I_MEMMAX_OFF) : 0;
}

uint32_t capsule_manifest_nrates(const struct capsule_manifest *m)
{
    struct cpr_struct in;
    struct cpr_list l;
    if (!get_intent(m, &in) || cpr_list_field(&in, I_RATES, 7, &l) != CPR_OK)
        return 0;
    return l.count;
}

struct capsule_rate capsule_manifest_rate(const struct capsule_manifest *m, uint32_t i)
{
    struct capsule_rate r = {{"", 0}, 0, 0};
    struct cpr_struct in, s;
    struct cpr_list l;
    if (!get_intent(m, &in) || cpr_list_field(&in, I_RATES, 7, &l) != CPR_OK ||
        cpr_list_struct(&l, i, &s) != CPR_OK)
        return r;
    r.what = text(&s, R_WHAT);
    r.per_sec = cpr_u32(&s, R_PERSEC_OFF);
    r.burst = cpr_u32(&s, R_BURST_OFF);
    return r;
}

/* ---- validation ---- */

static bool valid_word(struct capsule_str s)
{
    if (s.len < 1 || s.len > 32 || !(s.p[0] >= 'a' && s.p[0] <= 'z'))
        return false;
    for (uint32_t i = 1; i < s.len; i++) {
        char c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

static enum capsule_reason fail(struct capsule_result *res, enum capsule_reason r, int32_t index,
                                struct capsule_str what)
{
    if (res) {
        res->reason = r;
        res->index = index;
        res->what = what;
    }
    return r;
}

static const struct capsule_str none = {"", 0};

/* Checks a list of Text: shape, count, and each item's grammar. */
static enum capsule_reason check_texts(const struct cpr_struct *s, uint16_t ptr,
                                       bool (*valid)(struct capsule_str), enum capsule_reason bad,
                                       struct capsule_result *res)
{
    struct cpr_list l;
    if (cpr_list_field(s, ptr, 6, &l) != CPR_OK)
        return fail(res, CAPSULE_MANIFEST_FORMAT, -1, none);
    if (l.count > CAPSULE_MAX_LIST)
        return fail(res, CAPSULE_TOO_MANY, -1, none);
    for (uint32_t i = 0; i < l.count; i++) {
        struct cpr_bytes b;
        if (cpr_list_text(&l, i, &b) != CPR_OK)
            return fail(res, CAPSULE_MANIFEST_FORMAT, (int32_t)i, none);
        if (!valid(cap_str(b)))
            return fail(res, bad, (int32_t)i, cap_str(b));
    }
    return CAPSULE_OK;
}

static enum capsule_reason check_text(const struct cpr_struct *s, uint16_t ptr,
                                      struct capsule_str *out, struct capsule_result *res)
{
    struct cpr_bytes b;
    if (cpr_text(s, ptr, &b) != CPR_OK)
        return fail(res, CAPSULE_MANIFEST_FORMAT, -1, none);
    *out = cap_str(b);
    return CAPSULE_OK;
}

static enum capsule_reason check_intent(const struct capsule_manifest *m,
                                        struct capsule_result *res)
{
    struct cpr_struct in;
    struct cpr_list rates;
    enum capsule_reason r;
    if (cpr_struct_field(&m->root, M_INTENT, &in) != CPR_OK || !known_shape(&in, 1, I_NPTRS))
        return fail(res, CAPSULE_MANIFEST_FORMAT, -1, none);
    if ((r = check_texts(&in, I_OPENS, capsule_valid_service, CAPSULE_BAD_INTENT, res)))
        return r;
    if ((r = check_texts(&in, I_SYSCALLS, valid_word, CAPSULE_BAD_INTENT, res)))
        return r;
    if (cpr_list_field(&in, I_RATES, 7, &rates) != CPR_OK)
        return fail(res, CAPSULE_MANIFEST_FORMAT, -1, none);
    if (rates.count > CAPSULE_MAX_LIST)
        return fail(res, CAPSULE_TOO_MANY, -1, none);
    if (rates.count && (rates.ndata > 1 || rates.nptrs > 1))
        return fail(res, CAPSULE_MANIFEST_FORMAT, -1, none);
    for (uint32_t i = 0; i < rates.count; i++) {
        struct cpr_struct rs;
        struct capsule_str what;
        if (cpr_list_struct(&rates, i, &rs) != CPR_OK || check_text(&rs, R_WHAT, &what, res))
            return fail(res, CAPSULE_MANIFEST_FORMAT, (int32_t)i, none);
        if (!valid_word(what))
            return fail(res, CAPSULE_BAD_INTENT, (int32_t)i, what);
    }
    /* a capsule may only intend to open what it requires */
    uint32_t nopen = capsule_manifest_count(m, CAPSULE_OPENS);
    uint32_t nreq = capsule_manifest_count(m, CAPSULE_REQUIRES);
    for (uint32_t i = 0; i < nopen; i++) {
        struct capsule_str o = capsule_manifest_item(m, CAPSULE_OPENS, i);
        bool found = false;
        for (uint32_t k = 0; k < nreq && !found; k++)
            found = cap_streq(o, capsule_manifest_item(m, CAPSULE_REQUIRES, k));
        if (!found)
            return fail(res, CAPSULE_BAD_INTENT, (int32_t)i, o);
    }
    return CAPSULE_OK;
}

static enum capsule_reason check_blobs(const struct capsule_manifest *m,
                                       struct capsule_result *res)
{
    struct cpr_list l;
    if (cpr_list_field(&m->root, M_BLOBS, 7, &l) != CPR_OK)
        return fail(res, CAPSULE_MANIFEST_FORMAT, -1, none);
    if (l.count > CAPSULE_MAX_BLOBS)
        return fail(res, CAPSULE_TOO_MANY, -1, none);
    if (l.count && (l.ndata > 1 || l.nptrs > B_NPTRS))
        return fail(res, CAPSULE_MANIFEST_FORMAT, -1, none);
    for (uint32_t i = 0; i < l.count; i++) {
        struct cpr_struct s;
        struct capsule_str name, integ;
        int alg;
        uint8_t d[64];
        if (cpr_list_struct(&l, i, &s) != CPR_OK || check_text(&s, B_NAME, &name, res) ||
            check_text(&s, B_INTEGRITY, &integ, res))
            return fail(res, CAPSULE_MANIFEST_FORMAT, (int32_t)i, none);
        if (!capsule_valid_blob_name(name))
            return fail(res, CAPSULE_BAD_BLOB, (int32_t)i, name);
        for (uint32_t k = 0; k < i; k++)
            if (cap_streq(name, capsule_manifest_blob(m, k).name))
                return fail(res, CAPSULE_BAD_BLOB, (int32_t)i, name);
        if (!capsule_parse_integrity(integ, &alg, d))
            return fail(res, CAPSULE_BAD_INTEGRITY, (int32_t)i, name);
    }
    return CAPSULE_OK;
}

enum capsule_reason capsule_manifest_open(struct capsule_manifest *m, const uint8_t *buf,
                                          size_t len, struct capsule_result *res)
{
    enum capsule_reason r;
    struct capsule_str s;
    int alg;
    uint8_t d[64];

    if (cpr_open(&m->msg, buf, len) != CPR_OK || cpr_root(&m->msg, &m->root) != CPR_OK ||
        !known_shape(&m->root, 1, M_NPTRS))
        return fail(res, CAPSULE_MANIFEST_FORMAT, -1, none);
    if ((r = check_text(&m->root, M_NAME, &s, res)))
        return r;
    if (!capsule_valid_name(s))
        return fail(res, CAPSULE_BAD_NAME, -1, s);
    if ((r = check_text(&m->root, M_VER, &s, res)))
        return r;
    if (!capsule_valid_semver(s))
        return fail(res, CAPSULE_BAD_VERSION, -1, s);
    if (capsule_manifest_domain(m) >= CAPSULE_NDOMAINS)
        return fail(res, CAPSULE_DOMAIN_INVALID, -1, none);
    if ((r = check_texts(&m->root, M_REQUIRES, capsule_valid_capability,
                         CAPSULE_BAD_CAPABILITY, res)))
        return r;
    if ((r = check_texts(&m->root, M_PROVIDES, capsule_valid_service, CAPSULE_BAD_CAPABILITY,
                         res)))
        return r;
    if ((r = check_blobs(m, res)))
        return r;
    if ((r = check_intent(m, res)))
        return r;
    if ((r = check_text(&m->root, M_ENTRY, &s, res)))
        return r;
    if (s.len) {
        bool found = false;
        for (uint32_t i = 0; i < capsule_manifest_nblobs(m) && !found; i++)
            found = cap_streq(s, capsule_manifest_blob(m, i).name);
        if (!found)
            return fail(res, CAPSULE_BAD_ENTRY, -1, s);
    }
    if ((r = check_text(&m->root, M_INTEGRITY, &s, res)))
        return r;
    if (!capsule_parse_integrity(s, &alg, d))
        return fail(res, CAPSULE_BAD_INTEGRITY, -1, s);
    return CAPSULE_OK;
}
