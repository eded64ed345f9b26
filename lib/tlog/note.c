/*
 * note.c: the text formats: base64, verifier keys, signed notes, the
 * checkpoint body, cosignatures, tlog-proof and the "old N" consistency
 * proof. Parsers are strict: one spelling per value (canonical base64,
 * decimals without leading zeros), every line ended by '\n', nothing
 * after the last thing the format allows. They return spans into the
 * caller's buffer and never write outside the structures they fill.
 */
#include "tlog/internal.h"

#include "string/vstring.h"

/* ---- writer ---- */

void tlog_put(struct tlog_wr *w, char ch)
{
    if (w->len < w->cap)
        w->p[w->len] = ch;
    w->len++;
}

void tlog_put_mem(struct tlog_wr *w, const void *s, size_t n)
{
    const char *p = s;
    for (size_t i = 0; i < n; i++)
        tlog_put(w, p[i]);
}

void tlog_put_str(struct tlog_wr *w, const char *s)
{
    tlog_put_mem(w, s, vs_strlen(s));
}

void tlog_put_dec(struct tlog_wr *w, uint64_t v)
{
    char d[20];
    int n = 0;
    do
        d[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        tlog_put(w, d[--n]);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void tlog_put_b64(struct tlog_wr *w, const void *in, size_t n)
{
    const uint8_t *p = in;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        tlog_put(w, b64[v >> 18]);
        tlog_put(w, b64[(v >> 12) & 63]);
        tlog_put(w, i + 1 < n ? b64[(v >> 6) & 63] : '=');
        tlog_put(w, i + 2 < n ? b64[v & 63] : '=');
    }
}

/* ---- base64 ---- */

size_t tlog_b64_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

size_t tlog_b64_encode(char *out, size_t cap, const void *in, size_t n)
{
    struct tlog_wr w = {out, cap, 0};
    tlog_put_b64(&w, in, n);
    return n && w.len <= cap ? w.len : 0;
}

static int b64_val(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

/* Checks all of in[0..n) and stores the first `cap` decoded bytes; *total
 * is the whole decoded length. */
static int b64_dec(uint8_t *out, size_t cap, const char *in, size_t n, size_t *total)
{
    if (n % 4)
        return TLOG_E_SYNTAX;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            v[k] = b64_val(in[i + (size_t)k]);
            if (in[i + (size_t)k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (v[k] < 0 || pad) {
                return TLOG_E_SYNTAX;
            }
        }
        uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
                     (uint32_t)v[3];
        if ((pad == 1 && (x & 0xff)) || (pad == 2 && (x & 0xffff)))
            return TLOG_E_SYNTAX; /* non-zero spare bits: not canonical */
        uint8_t b[3] = {(uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};
        for (int k = 0; k < 3 - pad; k++, o++)
            if (o < cap)
                out[o] = b[k];
    }
    *total = o;
    return TLOG_OK;
}

int tlog_b64_decode(uint8_t *out, size_t cap, const char *in, size_t n, size_t *outlen)
{
    size_t total;
    int e = b64_dec(out, cap, in, n, &total);
    if (e)
        return e;
    if (total > cap)
        return TLOG_E_SPACE;
    *outlen = total;
    return TLOG_OK;
}

/* Exactly one 32-byte hash. */
static int b64_hash(uint8_t out[32], const char *in, size_t n)
{
    size_t len;
    if (n != 44 || tlog_b64_decode(out, 32, in, n, &len) || len != 32)
        return TLOG_E_SYNTAX;
    return TLOG_OK;
}

/* ---- small parsing helpers ---- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The line starting at *pos: [*pos, eol) with s[eol] == '\n'; *pos moves
 * past the newline. False at the end or for an unterminated line. */
static bool next_line(const char *s, size_t len, size_t *pos, const char **line,
                      size_t *llen)
{
    if (*pos >= len)
        return false;
    const char *nl = vs_memchr(s + *pos, '\n', len - *pos);
    if (!nl)
        return false;
    *line = s + *pos;
    *llen = (size_t)(nl - *line);
    *pos += *llen + 1;
    return true;
}

/* A decimal u64 <= 2^63 - 1 (Go's int64 tree sizes), no leading zeros. */
static int parse_dec(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
        return TLOG_E_SYNTAX;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return TLOG_E_SYNTAX;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX)
        return TLOG_E_RANGE;
    *out = v;
    return TLOG_OK;
}

static bool has_prefix(const char *s, size_t n, const char *pre)
{
    size_t k = vs_strlen(pre);
    return n >= k && !vs_memcmp(s, pre, k);
}

/* ---- keys ---- */

bool tlog_name_ok(const char *s, size_t len)
{
    if (len == 0 || len > TLOG_MAX_NAME)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '+')
            return false;
    return true;
}

int tlog_key_init(const struct tlog_crypto *c, struct tlog_key *k, const char *name,
                  size_t name_len, uint8_t type, const uint8_t pub[32])
{
    if (!tlog_name_ok(name, name_len))
        return TLOG_E_KEY;
    if (type != TLOG_SIG_ED25519 && type != TLOG_SIG_COSIG)
        return TLOG_E_KEY;
    static const char nl = '\n';
    struct tlog_span parts[4] = {{name, name_len}, {&nl, 1}, {&type, 1}, {pub, 32}};
    uint8_t h[32];
    c->sha256v(h, parts, 4);
    vs_memcpy(k->name, name, name_len);
    k->name[name_len] = 0;
    k->name_len = name_len;
    k->type = type;
    k->id = be32(h);
    vs_memcpy(k->pub, pub, 32);
    return TLOG_OK;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

int tlog_vkey_parse(const struct tlog_crypto *c, const char *s, size_t len, struct tlog_key *k)
{
    const char *plus = vs_memchr(s, '+', len);
    if (!plus)
        return TLOG_E_KEY;
    size_t nlen = (size_t)(plus - s), i = nlen + 1;
    if (len - i < 10 || s[i + 8] != '+')
        return TLOG_E_KEY;
    uint32_t id = 0;
    for (size_t j = 0; j < 8; j++) {
        int v = hexval(s[i + j]);
        if (v < 0)
            return TLOG_E_KEY;
        id = id << 4 | (uint32_t)v;
    }
    i += 9;
    uint8_t raw[33];
    size_t rlen;
    if (tlog_b64_decode(raw, sizeof raw, s + i, len - i, &rlen) || rlen != 33)
        return TLOG_E_KEY;
    if (tlog_key_init(c, k, s, nlen, raw[0], raw + 1))
        return TLOG_E_KEY;
    return k->id == id ? TLOG_OK : TLOG_E_KEY;
}

size_t tlog_vkey_format(const struct tlog_key *k, char *buf, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    struct tlog_wr w = {buf, cap, 0};
    tlog_put_mem(&w, k->name, k->name_len);
    tlog_put(&w, '+');
    for (int sh = 28; sh >= 0; sh -= 4)
        tlog_put(&w, hex[(k->id >> sh) & 15]);
    tlog_put(&w, '+');
    uint8_t raw[33];
    raw[0] = k->type;
    vs_memcpy(raw + 1, k->pub, 32);
    tlog_put_b64(&w, raw, sizeof raw);
    if (w.len >= cap)
        return 0;
    buf[w.len] = 0;
    return w.len;
}

/* ---- signed notes ---- */

/* Valid UTF-8 (shortest form, no surrogates, <= U+10FFFF) with no control
 * byte other than '\n'. */
static bool note_chars_ok(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t b = s[i];
        if (b < 0x80) {
            if ((b < 0x20 && b != '\n') || b == 0x7f)
                return false;
            i++;
            continue;
        }
        size_t k;
        uint32_t cp, min;
        if ((b & 0xe0) == 0xc0) {
            k = 1, cp = b & 0x1f, min = 0x80;
        } else if ((b & 0xf0) == 0xe0) {
            k = 2, cp = b & 0x0f, min = 0x800;
        } else if ((b & 0xf8) == 0xf0) {
            k = 3, cp = b & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += k + 1;
    }
    return true;
}

#define EM_DASH_SP "\xe2\x80\x94 "

int tlog_note_parse(const char *buf, size_t len, struct tlog_note *n)
{
    if (len < 2 || buf[len - 1] != '\n' || !note_chars_ok((const uint8_t *)buf, len))
        return TLOG_E_SYNTAX;
    size_t sep = len - 1; /* the last "\n\n": its second newline */
    while (sep > 0 && !(buf[sep] == '\n' && buf[sep - 1] == '\n'))
        sep--;
    if (sep == 0)
        return TLOG_E_SYNTAX;
    n->text = buf;
    n->text_len = sep;
    n->nsigs = 0;
    size_t pos = sep + 1;
    const char *line;
    size_t ll;
    while (next_line(buf, len, &pos, &line, &ll)) {
        if (!has_prefix(line, ll, EM_DASH_SP))
            return TLOG_E_SYNTAX;
        const char *name = line + 4;
        const char *sp = vs_memchr(name, ' ', ll - 4);
        if (!sp || sp == name || vs_memchr(name, '+', (size_t)(sp - name)))
            return TLOG_E_SYNTAX;
        const char *sig = sp + 1;
        size_t slen = ll - (size_t)(sig - line);
        uint8_t head[4];
        size_t total;
        if (vs_memchr(sig, ' ', slen) || b64_dec(head, 4, sig, slen, &total) || total < 5)
            return TLOG_E_SYNTAX;
        if (n->nsigs == TLOG_MAX_SIGS)
            return TLOG_E_RANGE;
        struct tlog_sig *s = &n->sigs[n->nsigs++];
        s->name = name;
        s->name_len = (size_t)(sp - name);
        s->b64 = sig;
        s->b64_len = slen;
        s->id = be32(head);
    }
    return n->nsigs ? TLOG_OK : TLOG_E_SYNTAX;
}

size_t tlog_cosig_message(char *buf, size_t cap, uint64_t ts, const char *text, size_t len)
{
    struct tlog_wr w = {buf, cap, 0};
    tlog_put_str(&w, "cosignature/v1\ntime ");
    tlog_put_dec(&w, ts);
    tlog_put(&w, '\n');
    tlog_put_mem(&w, text, len);
    return w.len <= cap ? w.len : 0;
}

static int verify_one(const struct tlog_crypto *c, const struct tlog_note *n,
                      const struct tlog_sig *s, const struct tlog_key *k, uint64_t *ts,
                      char *scratch, size_t cap)
{
    uint8_t raw[4 + 8 + 64];
    size_t len;
    if (tlog_b64_decode(raw, sizeof raw, s->b64, s->b64_len, &len))
        return TLOG_E_BADSIG;
    if (k->type == TLOG_SIG_ED25519)
        return len == 68 && c->ed25519_verify(raw + 4, n->text, n->text_len, k->pub)
                   ? TLOG_OK
                   : TLOG_E_BADSIG;
    if (len != 76)
        return TLOG_E_BADSIG;
    uint64_t t = (uint64_t)be32(raw + 4) << 32 | be32(raw + 8);
    if (t > (uint64_t)INT64_MAX)
        return TLOG_E_BADSIG;
    size_t mlen = tlog_cosig_message(scratch, cap, t, n->text, n->text_len);
    if (!mlen)
        return TLOG_E_SPACE;
    if (!c->ed25519_verify(raw + 12, scratch, mlen, k->pub))
        return TLOG_E_BADSIG;
    *ts = t;
    return TLOG_OK;
}

int tlog_note_verify(const struct tlog_crypto *c, const struct tlog_note *n,
                     const struct tlog_key *keys, size_t nkeys, bool *ok, uint64_t *ts,
                     char *scratch, size_t scratch_cap)
{
    bool any = false;
    for (size_t k = 0; k < nkeys; k++) {
        if (ok)
            ok[k] = false;
        if (ts)
            ts[k] = 0;
    }
    for (size_t i = 0; i < n->nsigs; i++) {
        const struct tlog_sig *s = &n->sigs[i];
        for (size_t k = 0; k < nkeys; k++) {
            if (s->id != keys[k].id || s->name_len != keys[k].name_len ||
                vs_memcmp(s->name, keys[k].name, s->name_len))
                continue;
            uint64_t t = 0;
            int e = verify_one(c, n, s, &keys[k], &t, scratch, scratch_cap);
            if (e)
                return e;
            any = true;
            if (ok)
                ok[k] = true;
            if (ts)
                ts[k] = t;
        }
    }
    return any ? TLOG_OK : TLOG_E_UNKNOWN_KEY;
}

int tlog_sign_line(const struct tlog_crypto *c, const struct tlog_key *k, const uint8_t sk[64],
                   uint64_t ts, const char *text, size_t len, char *scratch, size_t scratch_cap,
                   char *out, size_t cap, size_t *outlen)
{
    uint8_t raw[4 + 8 + 64];
    size_t rlen = 4;
    raw[0] = (uint8_t)(k->id >> 24), raw[1] = (uint8_t)(k->id >> 16);
    raw[2] = (uint8_t)(k->id >> 8), raw[3] = (uint8_t)k->id;
    if (k->type == TLOG_SIG_COSIG) {
        if (ts > (uint64_t)INT64_MAX)
            return TLOG_E_RANGE;
        for (int i = 0; i < 8; i++)
            raw[rlen++] = (uint8_t)(ts >> (56 - 8 * i));
        size_t mlen = tlog_cosig_message(scratch, scratch_cap, ts, text, len);
        if (!mlen)
            return TLOG_E_SPACE;
        c->ed25519_sign(raw + rlen, scratch, mlen, sk);
    } else {
        c->ed25519_sign(raw + rlen, text, len, sk);
    }
    rlen += 64;
    struct tlog_wr w = {out, cap, 0};
    tlog_put_str(&w, EM_DASH_SP);
    tlog_put_mem(&w, k->name, k->name_len);
    tlog_put(&w, ' ');
    tlog_put_b64(&w, raw, rlen);
    tlog_put(&w, '\n');
    if (w.len > cap)
        return TLOG_E_SPACE;
    *outlen = w.len;
    return TLOG_OK;
}

/* ---- checkpoints ---- */

int tlog_checkpoint_parse(const char *text, size_t len, struct tlog_checkpoint *cp)
{
    if (!note_chars_ok((const uint8_t *)text, len))
        return TLOG_E_SYNTAX;
    size_t pos = 0, ll;
    const char *line;
    if (!next_line(text, len, &pos, &line, &ll) || ll == 0)
        return TLOG_E_SYNTAX;
    cp->origin = line;
    cp->origin_len = ll;
    if (!next_line(text, len, &pos, &line, &ll))
        return TLOG_E_SYNTAX;
    int e = parse_dec(line, ll, &cp->size);
    if (e)
        return e;
    if (!next_line(text, len, &pos, &line, &ll) || b64_hash(cp->root, line, ll))
        return TLOG_E_SYNTAX;
    cp->ext = text + pos;
    cp->ext_len = len - pos;
    while (next_line(text, len, &pos, &line, &ll))
        if (ll == 0)
            return TLOG_E_SYNTAX;
    return pos == len ? TLOG_OK : TLOG_E_SYNTAX;
}

int tlog_checkpoint_format(const struct tlog_checkpoint *cp, char *buf, size_t cap,
                           size_t *outlen)
{
    if (cp->origin_len == 0 || cp->size > (uint64_t)INT64_MAX)
        return TLOG_E_RANGE;
    struct tlog_wr w = {buf, cap, 0};
    tlog_put_mem(&w, cp->origin, cp->origin_len);
    tlog_put(&w, '\n');
    tlog_put_dec(&w, cp->size);
    tlog_put(&w, '\n');
    tlog_put_b64(&w, cp->root, 32);
    tlog_put(&w, '\n');
    tlog_put_mem(&w, cp->ext, cp->ext_len);
    if (w.len > cap)
        return TLOG_E_SPACE;
    *outlen = w.len;
    struct tlog_checkpoint back; /* what we wrote must read back */
    return tlog_checkpoint_parse(buf, w.len, &back);
}

/* ---- tlog-proof and "old N" ---- */

#define PROOF_HEADER "c2sp.org/tlog-proof@v1"

/* Hash lines from *pos until an empty line (consumed) or, if !to_blank,
 * the end. */
static int hash_lines(const char *s, size_t len, size_t *pos, bool to_blank,
                      uint8_t proof[][32], size_t cap, size_t *n)
{
    const char *line;
    size_t ll;
    *n = 0;
    for (;;) {
        if (!to_blank && *pos == len)
            return TLOG_OK;
        if (!next_line(s, len, pos, &line, &ll))
            return TLOG_E_SYNTAX;
        if (ll == 0)
            return to_blank ? TLOG_OK : TLOG_E_SYNTAX;
        if (*n == cap)
            return TLOG_E_RANGE;
        if (b64_hash(proof[(*n)++], line, ll))
            return TLOG_E_SYNTAX;
    }
}

int tlog_proof_parse(const char *buf, size_t len, struct tlog_proof *p)
{
    size_t pos = 0, ll, total;
    const char *line;
    if (!next_line(buf, len, &pos, &line, &ll) || ll != sizeof PROOF_HEADER - 1 ||
        vs_memcmp(line, PROOF_HEADER, ll))
        return TLOG_E_SYNTAX;
    if (!next_line(buf, len, &pos, &line, &ll))
        return TLOG_E_SYNTAX;
    p->extra_b64 = NULL;
    p->extra_b64_len = 0;
    if (has_prefix(line, ll, "extra ")) {
        p->extra_b64 = line + 6;
        p->extra_b64_len = ll - 6;
        if (p->extra_b64_len == 0 || b64_dec(NULL, 0, p->extra_b64, p->extra_b64_len, &total))
            return TLOG_E_SYNTAX;
        if (!next_line(buf, len, &pos, &line, &ll))
            return TLOG_E_SYNTAX;
    }
    if (!has_prefix(line, ll, "index "))
        return TLOG_E_SYNTAX;
    int e = parse_dec(line + 6, ll - 6, &p->index);
    if (!e)
        e = hash_lines(buf, len, &pos, true, p->path, TLOG_MAX_PROOF, &p->len);
    if (e)
        return e;
    p->note = buf + pos;
    p->note_len = len - pos;
    return p->note_len ? TLOG_OK : TLOG_E_SYNTAX;
}

static void put_hashes(struct tlog_wr *w, const uint8_t proof[][32], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tlog_put_b64(w, proof[i], 32);
        tlog_put(w, '\n');
    }
}

int tlog_proof_format(const struct tlog_proof *p, const void *extra, size_t extra_len,
                      char *buf, size_t cap, size_t *outlen)
{
    if (p->len > TLOG_MAX_PROOF || p->index > (uint64_t)INT64_MAX || !p->note_len)
        return TLOG_E_RANGE;
    struct tlog_wr w = {buf, cap, 0};
    tlog_put_str(&w, PROOF_HEADER "\n");
    if (extra_len) {
        tlog_put_str(&w, "extra ");
        tlog_put_b64(&w, extra, extra_len);
        tlog_put(&w, '\n');
    }
    tlog_put_str(&w, "index ");
    tlog_put_dec(&w, p->index);
    tlog_put(&w, '\n');
    put_hashes(&w, p->path, p->len);
    tlog_put(&w, '\n');
    tlog_put_mem(&w, p->note, p->note_len);
    if (w.len > cap)
        return TLOG_E_SPACE;
    *outlen = w.len;
    return TLOG_OK;
}

int tlog_cons_parse(const char *buf, size_t len, uint64_t *old, uint8_t proof[][32],
                    size_t cap, size_t *n)
{
    size_t pos = 0, ll;
    const char *line;
    if (!next_line(buf, len, &pos, &line, &ll) || !has_prefix(line, ll, "old "))
        return TLOG_E_SYNTAX;
    int e = parse_dec(line + 4, ll - 4, old);
    return e ? e : hash_lines(buf, len, &pos, false, proof, cap, n);
}

int tlog_cons_format(uint64_t old, const uint8_t proof[][32], size_t n, char *buf, size_t cap,
                     size_t *outlen)
{
    struct tlog_wr w = {buf, cap, 0};
    tlog_put_str(&w, "old ");
    tlog_put_dec(&w, old);
    tlog_put(&w, '\n');
    put_hashes(&w, proof, n);
    if (w.len > cap)
        return TLOG_E_SPACE;
    *outlen = w.len;
    return TLOG_OK;
}
