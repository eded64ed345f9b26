/*
 * json.c: recursive-descent JSON reader and compact writer (see json.h).
 */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

/* at/line/col: the position counted so far. Values start at increasing
 * offsets, so counting moves only forward (linear in the text). */
struct rd {
    const char *s;
    size_t len, pos;
    int failed;
    size_t at, line, col;
};

static void count_to(struct rd *r, size_t pos)
{
    for (; r->at < pos && r->at < r->len; r->at++) {
        if (r->s[r->at] == '\n')
            r->line++, r->col = 1;
        else
            r->col++;
    }
}

static struct json *perr(struct rd *r, const char *what)
{
    if (!r->failed) {
        r->at = 0, r->line = r->col = 1;
        count_to(r, r->pos);
        host_err("JSON: %s at line %zu column %zu", what, r->line, r->col);
        r->failed = 1;
    }
    return NULL;
}

int json_err(const struct json *v, const char *prefix, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (v && v->line)
        return host_err("%s: line %u column %u: %s", prefix, v->line, v->col, msg);
    return host_err("%s: %s", prefix, msg);
}

static void ws(struct rd *r)
{
    while (r->pos < r->len && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' ||
                               r->s[r->pos] == '\n' || r->s[r->pos] == '\r'))
        r->pos++;
}

struct json *json_new(enum json_type t)
{
    struct json *j = calloc(1, sizeof *j);
    if (!j) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    j->type = t;
    return j;
}

void json_free(struct json *j)
{
    while (j) {
        struct json *n = j->next;
        json_free(j->child);
        free(j->str);
        free(j->key);
        free(j);
        j = n;
    }
}

static void put_utf8(char *out, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xC0 | cp >> 6);
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xE0 | cp >> 12);
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | cp >> 18);
        out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static int hex4(struct rd *r, unsigned *v)
{
    *v = 0;
    if (r->pos + 4 > r->len)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = r->s[r->pos++];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        *v = *v << 4 | (unsigned)d;
    }
    return 0;
}

/* Length of a valid UTF-8 sequence at p (max n bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    size_t k;
    unsigned cp;
    if ((p[0] & 0xE0) == 0xC0)
        k = 2, cp = p[0] & 0x1F;
    else if ((p[0] & 0xF0) == 0xE0)
        k = 3, cp = p[0] & 0x0F;
    else if ((p[0] & 0xF8) == 0xF0)
        k = 4, cp = p[0] & 0x07;
    else
        return 0;
    if (k > n)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k;
}

static char *parse_string(struct rd *r, size_t *outlen)
{
    r->pos++; /* opening quote */
    char *out = malloc(r->len - r->pos + 1);
    size_t n = 0;
    if (!out) {
        perr(r, "out of memory");
        return NULL;
    }
    while (r->pos < r->len) {
        unsigned char c = (unsigned char)r->s[r->pos];
        if (c == '"') {
            r->pos++;
            out[n] = 0;
            *outlen = n;
            return out;
        }
        if (c < 0x20) {
            free(out);
            perr(r, "control character in string");
            return NULL;
        }
        if (c == '\\') {
            r->pos++;
            if (r->pos >= r->len)
                break;
            char e = r->s[r->pos++];
            unsigned cp;
            switch (e) {
            case '"': out[n++] = '"'; break;
            case '\\': out[n++] = '\\'; break;
            case '/': out[n++] = '/'; break;
            case 'b': out[n++] = '\b'; break;
            case 'f': out[n++] = '\f'; break;
            case 'n': out[n++] = '\n'; break;
            case 'r': out[n++] = '\r'; break;
            case 't': out[n++] = '\t'; break;
            case 'u':
                if (hex4(r, &cp) < 0) {
                    free(out);
                    perr(r, "bad \\u escape");
                    return NULL;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (r->pos + 2 > r->len || r->s[r->pos] != '\\' || r->s[r->pos + 1] != 'u' ||
                        (r->pos += 2, hex4(r, &lo) < 0) || lo < 0xDC00 || lo > 0xDFFF) {
                        free(out);
                        perr(r, "unpaired surrogate in \\u escape");
                        return NULL;
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    free(out);
                    perr(r, "unpaired surrogate in \\u escape");
                    return NULL;
                }
                if (cp == 0) {
                    free(out);
                    perr(r, "NUL in string");
                    return NULL;
                }
                put_utf8(out, &n, cp);
                break;
            default:
                free(out);
                perr(r, "bad escape in string");
                return NULL;
            }
            continue;
        }
        size_t k = utf8_len((const unsigned char *)r->s + r->pos, r->len - r->pos);
        if (!k) {
            free(out);
            perr(r, "invalid UTF-8 in string");
            return NULL;
        }
        memcpy(out + n, r->s + r->pos, k);
        n += k;
        r->pos += k;
    }
    free(out);
    perr(r, "unterminated string");
    return NULL;
}

static struct json *parse_value(struct rd *r, int depth);

/* Skips a run of decimal digits; returns how many there were. */
static size_t digits(struct rd *r)
{
    size_t start = r->pos;
    while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9')
        r->pos++;
    return r->pos - start;
}

static struct json *parse_number(struct rd *r)
{
    size_t start = r->pos;
    if (r->s[r->pos] == '-')
        r->pos++;
    if (r->pos >= r->len)
        return perr(r, "bad number");
    if (r->s[r->pos] == '0')
        r->pos++;
    else if (!digits(r))
        return perr(r, "bad number");
    if (r->pos < r->len && r->s[r->pos] == '.') {
        r->pos++;
        if (!digits(r))
            return perr(r, "bad number");
    }
    if (r->pos < r->len && (r->s[r->pos] == 'e' || r->s[r->pos] == 'E')) {
        r->pos++;
        if (r->pos < r->len && (r->s[r->pos] == '+' || r->s[r->pos] == '-'))
            r->pos++;
        if (!digits(r))
            return perr(r, "bad number");
    }
    struct json *j = json_new(JSON_NUMBER);
    j->len = r->pos - start;
    j->str = malloc(j->len + 1);
    memcpy(j->str, r->s + start, j->len);
    j->str[j->len] = 0;
    return j;
}

static int lit(struct rd *r, const char *w)
{
    size_t n = strlen(w);
    if (r->pos + n <= r->len && memcmp(r->s + r->pos, w, n) == 0) {
        r->pos += n;
        return 1;
    }
    return 0;
}

static struct json *parse_container(struct rd *r, int depth, int obj)
{
    struct json *j = json_new(obj ? JSON_OBJECT : JSON_ARRAY), **tail = &j->child;
    r->pos++;
    ws(r);
    if (r->pos < r->len && r->s[r->pos] == (obj ? '}' : ']')) {
        r->pos++;
        return j;
    }
    for (;;) {
        char *key = NULL;
        ws(r);
        unsigned kline = 0, kcol = 0;
        if (obj) {
            size_t kl;
            count_to(r, r->pos);
            kline = (unsigned)r->line, kcol = (unsigned)r->col;
            if (r->pos >= r->len || r->s[r->pos] != '"' || !(key = parse_string(r, &kl))) {
                json_free(j);
                return perr(r, "expected a member name");
            }
            for (struct json *m = j->child; m; m = m->next)
                if (!strcmp(m->key, key)) {
                    free(key);
                    json_free(j);
                    return perr(r, "duplicate member name");
                }
            ws(r);
            if (r->pos >= r->len || r->s[r->pos] != ':') {
                free(key);
                json_free(j);
                return perr(r, "expected ':'");
            }
            r->pos++;
        }
        struct json *v = parse_value(r, depth + 1);
        if (!v) {
            free(key);
            json_free(j);
            return NULL;
        }
        v->key = key;
        if (obj)
            v->line = kline, v->col = kcol;   /* a member is where its name is */
        *tail = v;
        tail = &v->next;
        ws(r);
        if (r->pos < r->len && r->s[r->pos] == ',') {
            r->pos++;
            continue;
        }
        if (r->pos < r->len && r->s[r->pos] == (obj ? '}' : ']')) {
            r->pos++;
            return j;
        }
        json_free(j);
        return perr(r, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static struct json *parse_bare(struct rd *r, int depth);

static struct json *parse_value(struct rd *r, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        return perr(r, "nested too deeply");
    ws(r);
    count_to(r, r->pos);
    unsigned line = (unsigned)r->line, col = (unsigned)r->col;
    struct json *j = parse_bare(r, depth);
    if (j)
        j->line = line, j->col = col;
    return j;
}

static struct json *parse_bare(struct rd *r, int depth)
{
    if (r->pos >= r->len)
        return perr(r, "unexpected end of input");
    char c = r->s[r->pos];
    if (c == '{' || c == '[')
        return parse_container(r, depth, c == '{');
    if (c == '"') {
        size_t n;
        char *s = parse_string(r, &n);
        if (!s)
            return NULL;
        if (strlen(s) != n) {
            free(s);
            return perr(r, "NUL in string");
        }
        struct json *j = json_new(JSON_STRING);
        j->str = s;
        j->len = n;
        return j;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return parse_number(r);
    if (lit(r, "true") || lit(r, "false")) {
        struct json *j = json_new(JSON_BOOL);
        j->boolean = r->s[r->pos - 1] == 'e' && r->s[r->pos - 2] == 'u';
        return j;
    }
    if (lit(r, "null"))
        return json_new(JSON_NULL);
    return perr(r, "unexpected character");
}

struct json *json_parse(const char *text, size_t len)
{
    struct rd r = {text, len, 0, 0, 0, 1, 1};
    struct json *j = parse_value(&r, 0);
    if (!j)
        return NULL;
    ws(&r);
    if (r.pos != len) {
        json_free(j);
        return perr(&r, "trailing characters after the document");
    }
    return j;
}

struct json *json_get(const struct json *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (struct json *m = obj->child; m; m = m->next)
        if (!strcmp(m->key, key))
            return m;
    return NULL;
}

size_t json_count(const struct json *arr)
{
    size_t n = 0;
    for (struct json *m = arr ? arr->child : NULL; m; m = m->next)
        n++;
    return n;
}

struct json *json_new_string(const char *s)
{
    struct json *j = json_new(JSON_STRING);
    j->len = strlen(s);
    j->str = strdup(s);
    return j;
}

void json_remove(struct json *obj, const char *key)
{
    for (struct json **p = &obj->child; *p; p = &(*p)->next)
        if (!strcmp((*p)->key, key)) {
            struct json *m = *p;
            *p = m->next;
            m->next = NULL;
            json_free(m);
            return;
        }
}

void json_set(struct json *obj, const char *key, struct json *v)
{
    json_remove(obj, key);
    v->key = strdup(key);
    struct json **p = &obj->child;
    while (*p)
        p = &(*p)->next;
    *p = v;
}

void json_fputs(const char *s, size_t len, void *file)
{
    FILE *f = file;
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void write_value(const struct json *j, FILE *f)
{
    switch (j->type) {
    case JSON_NULL: fputs("null", f); break;
    case JSON_BOOL: fputs(j->boolean ? "true" : "false", f); break;
    case JSON_NUMBER: fputs(j->str, f); break;
    case JSON_STRING: json_fputs(j->str, j->len, f); break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        fputc(j->type == JSON_ARRAY ? '[' : '{', f);
        for (struct json *m = j->child; m; m = m->next) {
            if (m != j->child)
                fputc(',', f);
            if (j->type == JSON_OBJECT) {
                json_fputs(m->key, strlen(m->key), f);
                fputc(':', f);
            }
            write_value(m, f);
        }
        fputc(j->type == JSON_ARRAY ? ']' : '}', f);
        break;
    }
}

char *json_write(const struct json *j)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return NULL;
    write_value(j, f);
    fclose(f);
    return buf;
}
