/*
 * state.c: the remembered checkpoints as the bytes a store keeps between
 * boots (policy.h, "persisted memory"; docs/TRUST.md).
 */
#include "policy/policy.h"

#include "string/vstring.h"

static const char hexd[] = "0123456789abcdef";

static char *put_hex(char *p, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        *p++ = hexd[b[i] >> 4];
        *p++ = hexd[b[i] & 15];
    }
    return p;
}

size_t policy_state_format(const struct policy_state *s, char *buf, size_t cap)
{
    size_t hl = vs_strlen(POLICY_STATE_HEADER), n = hl;
    for (size_t i = 0; i < POLICY_MAX_LOGS; i++)
        if (s->log[i].used)
            n += POLICY_STATE_LINE_MAX;
    if (n > cap)
        return 0;
    char *p = buf;
    vs_memcpy(p, POLICY_STATE_HEADER, hl);
    p += hl;
    for (size_t i = 0; i < POLICY_MAX_LOGS; i++) {
        const struct policy_log_state *l = &s->log[i];
        if (!l->used)
            continue;
        vs_memcpy(p, "log ", 4);
        p = put_hex(p + 4, l->log_key, 32);
        *p++ = ' ';
        char d[20];
        size_t nd = 0;
        uint64_t v = l->size;
        do {
            d[nd++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        while (nd)
            *p++ = d[--nd];
        *p++ = ' ';
        p = put_hex(p, l->root, 32);
        *p++ = '\n';
    }
    return (size_t)(p - buf);
}

static bool get_hex(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < 2 * n; i++) {
        char ch = s[i];
        int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (v < 0)
            return false;
        if (i & 1)
            out[i / 2] = (uint8_t)(out[i / 2] << 4 | v);
        else
            out[i / 2] = (uint8_t)v;
    }
    return true;
}

int policy_state_parse(const char *buf, size_t len, struct policy_state *s)
{
    size_t at = vs_strlen(POLICY_STATE_HEADER), nlog = 0;
    vs_memset(s, 0, sizeof *s);
    if (len < at || vs_memcmp(buf, POLICY_STATE_HEADER, at))
        return TLOG_E_SYNTAX;
    while (at < len) {
        const char *nl = vs_memchr(buf + at, '\n', len - at);
        if (!nl)
            return TLOG_E_SYNTAX;
        const char *l = buf + at;
        size_t n = (size_t)(nl - l);
        at += n + 1;
        if (nlog == POLICY_MAX_LOGS)
            return TLOG_E_RANGE;
        struct policy_log_state *e = &s->log[nlog];
        /* "log " 64 hex SP size SP 64 hex */
        if (n < 4 + 64 + 1 + 1 + 1 + 64 || vs_memcmp(l, "log ", 4) || !get_hex(l + 4, e->log_key, 32) ||
            l[68] != ' ' || l[n - 65] != ' ' || !get_hex(l + n - 64, e->root, 32))
            return TLOG_E_SYNTAX;
        size_t nd = n - 65 - 69;
        if (nd == 0 || nd > 19 || (nd > 1 && l[69] == '0'))
            return TLOG_E_SYNTAX;
        uint64_t v = 0;
        for (size_t i = 0; i < nd; i++) {
            char ch = l[69 + i];
            if (ch < '0' || ch > '9')
                return TLOG_E_SYNTAX;
            v = v * 10 + (uint64_t)(ch - '0');
        }
        if (v > 0x7fffffffffffffffull)
            return TLOG_E_RANGE;
        for (size_t j = 0; j < nlog; j++)
            if (!vs_memcmp(s->log[j].log_key, e->log_key, 32))
                return TLOG_E_SYNTAX; /* one log twice: which memory holds? */
        e->size = v;
        e->used = true;
        nlog++;
    }
    return TLOG_OK;
}
