/*
 * names.c: the grammar of every string a manifest, certificate or policy
 * may hold, and the integrity strings. Strict on purpose: a name that can
 * be spelled two ways, or holds a control byte, is refused, so what the
 * shell prints is what was signed.
 */
#include "capsule/internal.h"

static bool lower(char c) { return c >= 'a' && c <= 'z'; }
static bool upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool digit(char c) { return c >= '0' && c <= '9'; }

bool capsule_valid_name(struct capsule_str s)
{
    if (s.len < 1 || s.len > 64 || !(lower(s.p[0]) || digit(s.p[0])))
        return false;
    for (uint32_t i = 1; i < s.len; i++) {
        char c = s.p[i];
        if (!(lower(c) || digit(c) || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool capsule_valid_service(struct capsule_str s)
{
    if (s.len < 5 || s.p[0] != 's' || s.p[1] != 'v' || s.p[2] != 'c' || s.p[3] != ':')
        return false;
    struct capsule_str rest = {s.p + 4, s.len - 4};
    return capsule_valid_name(rest);
}

bool capsule_valid_capability(struct capsule_str s)
{
    if (s.len >= 1 && upper(s.p[0])) {
        if (s.len > 32)
            return false;
        for (uint32_t i = 1; i < s.len; i++) {
            char c = s.p[i];
            if (!(upper(c) || digit(c) || c == '_'))
                return false;
        }
        return true;
    }
    return capsule_valid_service(s);
}

bool capsule_valid_blob_name(struct capsule_str s)
{
    if (s.len < 1 || s.len > 64 || !(lower(s.p[0]) || upper(s.p[0]) || digit(s.p[0])))
        return false;
    for (uint32_t i = 1; i < s.len; i++) {
        char c = s.p[i];
        if (!(lower(c) || upper(c) || digit(c) || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool capsule_valid_cert_name(struct capsule_str s)
{
    if (s.len < 1 || s.len > 64)
        return false;
    for (uint32_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (!(lower(c) || upper(c) || digit(c) || c == '.' || c == '_' || c == '-' || c == '@'))
            return false;
    }
    return true;
}

/* A dot-separated run of identifiers; numeric ones without leading zeros
 * when `numeric_rule` (semver pre-release), any [0-9A-Za-z-]+ otherwise. */
static bool semver_idents(const char *p, uint32_t n, bool numeric_rule)
{
    uint32_t start = 0;
    for (uint32_t i = 0; i <= n; i++) {
        if (i < n && p[i] != '.') {
            char c = p[i];
            if (!(lower(c) || upper(c) || digit(c) || c == '-'))
                return false;
            continue;
        }
        uint32_t len = i - start;
        if (len == 0)
            return false;
        if (numeric_rule && len > 1 && p[start] == '0') {
            bool all_digits = true;
            for (uint32_t k = start; k < i; k++)
                all_digits &= digit(p[k]);
            if (all_digits)
                return false;
        }
        start = i + 1;
    }
    return true;
}

bool capsule_valid_semver(struct capsule_str s)
{
    if (s.len < 5 || s.len > 64)
        return false;
    uint32_t i = 0;
    for (int part = 0; part < 3; part++) {
        uint32_t start = i;
        while (i < s.len && digit(s.p[i]))
            i++;
        uint32_t len = i - start;
        if (len == 0 || len > 9 || (len > 1 && s.p[start] == '0'))
            return false;
        if (part < 2) {
            if (i >= s.len || s.p[i] != '.')
                return false;
            i++;
        }
    }
    uint32_t pre = s.len, build = s.len;
    for (uint32_t k = i; k < s.len; k++)
        if (s.p[k] == '+') {
            build = k;
            break;
        }
    if (i < s.len && s.p[i] == '-')
        pre = i;
    else if (i != build)
        return false;
    if (pre < s.len && !semver_idents(s.p + pre + 1, build - pre - 1, true))
        return false;
    if (build < s.len && !semver_idents(s.p + build + 1, s.len - build - 1, false))
        return false;
    return true;
}

static int hexval(char c)
{
    if (digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool capsule_parse_integrity(struct capsule_str s, int *alg, uint8_t digest[64])
{
    static const char p256[] = "sha256:", p3[] = "sha3_512:";
    uint32_t plen, dlen;
    if (s.len == 7 + 64 && cap_memeq(s.p, p256, 7)) {
        *alg = 1;
        plen = 7;
        dlen = 32;
    } else if (s.len == 9 + 128 && cap_memeq(s.p, p3, 9)) {
        *alg = 2;
        plen = 9;
        dlen = 64;
    } else {
        return false;
    }
    for (uint32_t i = 0; i < dlen; i++) {
        int hi = hexval(s.p[plen + 2 * i]), lo = hexval(s.p[plen + 2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        digest[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

bool capsule_check_integrity(const struct capsule_crypto *c, struct capsule_str integrity,
                             const uint8_t *data, size_t len)
{
    int alg;
    uint8_t want[64], got[64];
    if (!capsule_parse_integrity(integrity, &alg, want))
        return false;
    if (alg == 1) {
        c->sha256(got, data, len);
        return cap_memeq(got, want, 32);
    }
    c->sha3_512(got, data, len);
    return cap_memeq(got, want, 64);
}

static const char *const reason_names[] = {
#define CAPSULE_X_NAME(name, msg) #name,
    CAPSULE_REASONS(CAPSULE_X_NAME)
#undef CAPSULE_X_NAME
};

static const char *const reason_msgs[] = {
#define CAPSULE_X_MSG(name, msg) msg,
    CAPSULE_REASONS(CAPSULE_X_MSG)
#undef CAPSULE_X_MSG
};

const char *capsule_reason_name(enum capsule_reason r)
{
    return (unsigned)r < CAPSULE_NREASONS ? reason_names[r] : "UNKNOWN";
}

const char *capsule_reason_msg(enum capsule_reason r)
{
    return (unsigned)r < CAPSULE_NREASONS ? reason_msgs[r] : "unknown reason";
}
