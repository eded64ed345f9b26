/*
 * json: a small JSON reader and writer for manifests and policies.
 *
 * Why: `vcapsule build` must check a manifest's keys (capnp's JSON codec
 * silently drops unknown fields, so a typo like "requries" would vanish),
 * fill in blob sizes and digests, and hand capnp the completed document.
 * RFC 8259 strictly: no comments, no trailing commas, no duplicate keys,
 * strings in UTF-8; at most JSON_MAX_DEPTH levels. Numbers are kept as
 * their source text, so large integers pass through to capnp unchanged.
 */
#ifndef VECTRA_JSON_H
#define VECTRA_JSON_H

#include <stddef.h>

#define JSON_MAX_DEPTH 32

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
    enum json_type type;
    char *str;            /* string value or number text; key for members */
    size_t len;           /* string length (strings may not hold NUL) */
    int boolean;
    struct json *child;   /* first element / member */
    struct json *next;    /* next sibling */
    char *key;            /* member name when inside an object */
    unsigned line, col;   /* where it starts in the parsed text, 1-based: a
                           * member at its name, an element at its value;
                           * 0 for values made by json_new */
};

/* Parses text; on error returns NULL with host_err() set to
 * "<what> at line L column C". */
struct json *json_parse(const char *text, size_t len);
/* host_err("<prefix>: line L column C: <fmt...>") at v's position (no
 * position part for a value that did not come from the text); returns -1. */
int json_err(const struct json *v, const char *prefix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void json_free(struct json *j);

struct json *json_get(const struct json *obj, const char *key);
size_t json_count(const struct json *arr);

struct json *json_new(enum json_type t);
struct json *json_new_string(const char *s);
/* Sets (replacing any) member key of obj to v; obj owns v afterwards. */
void json_set(struct json *obj, const char *key, struct json *v);
void json_remove(struct json *obj, const char *key);

/* Serialises compactly into a malloc'd NUL-terminated string. */
char *json_write(const struct json *j);
/* Writes a JSON string literal for s[0..len) to f (escaping as needed). */
void json_fputs(const char *s, size_t len, void *file);

#endif
