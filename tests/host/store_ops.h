/*
 * store_ops.h: the store operations the store's host tests share, in the
 * shape the store service will use them (install = put the file, record
 * the capsule, activate it). The capsules are stand-ins: their "VCID" is
 * the SHA-256 of name and version, their file some bytes derived from it.
 */
#ifndef STORE_OPS_H
#define STORE_OPS_H

#include "store_sim.h"

static inline void fake_vcid(const char *name, const char *ver, uint8_t vcid[32])
{
    char buf[160];
    int n = snprintf(buf, sizeof buf, "%s@%s", name, ver);
    crypto_hash_sha256(vcid, (const uint8_t *)buf, (size_t)n);
}

/* A file of `size` bytes that depends on the capsule. */
static inline uint8_t *fake_file(const char *name, const char *ver, size_t size)
{
    uint8_t *f = malloc(size ? size : 1), seed[32];
    fake_vcid(name, ver, seed);
    uint64_t x = 0;
    memcpy(&x, seed, 8);
    x |= 1;
    for (size_t i = 0; i < size; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        f[i] = (uint8_t)x;
    }
    return f;
}

static inline enum store_err op_install(struct store *st, const char *name, const char *ver, size_t size,
                                 bool activate)
{
    uint8_t vcid[32], h[32];
    uint8_t *f = fake_file(name, ver, size);
    enum store_err e = store_blob_put(st, f, size, h);
    free(f);
    fake_vcid(name, ver, vcid);
    if (e == STORE_E_OK)
        e = store_capsule_add(st, vcid, h, name, strlen(name), ver, strlen(ver));
    if (e == STORE_E_OK && activate)
        e = store_activate(st, vcid);
    if (e == STORE_E_OK)
        e = store_commit(st);
    if (e != STORE_E_OK)
        store_abort(st);
    return e;
}

static inline enum store_err op_remove(struct store *st, const char *name, const char *ver)
{
    uint8_t vcid[32];
    fake_vcid(name, ver, vcid);
    enum store_err e = store_capsule_remove(st, vcid);
    return e == STORE_E_OK ? store_commit(st) : e;
}

static inline enum store_err op_rollback(struct store *st, const char *name)
{
    enum store_err e = store_rollback(st, name, strlen(name));
    return e == STORE_E_OK ? store_commit(st) : e;
}

static inline enum store_err op_state(struct store *st, const char *name, uint32_t schema, size_t size)
{
    uint8_t *f = fake_file(name, "state", size);
    f[0] = (uint8_t)schema;
    enum store_err e = store_state_write(st, name, strlen(name), schema, f, size);
    free(f);
    return e == STORE_E_OK ? store_commit(st) : e;
}

#endif
