/*
 * store_sim.h: a simulated block device for the store's host tests. It
 * keeps the image in memory, can fail the Nth read, write or flush, and
 * can record every write (and the flushes between them) so the crash test
 * can rebuild the disk as it stood after any prefix of the writes.
 */
#ifndef STORE_SIM_H
#define STORE_SIM_H

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

struct sim_write {
    uint64_t blk;
    uint32_t epoch;        /* flushes before it */
    uint8_t *data;         /* one block */
};

struct sim {
    uint32_t bs;
    uint64_t n;
    uint8_t *img;
    long fail_read, fail_write, fail_flush; /* fail the call when it reaches 0 */
    int recording;
    uint32_t epoch;
    size_t nw, capw;
    struct sim_write *w;
};

static inline void sim_sha256(uint8_t out[32], const void *msg, size_t len)
{
    crypto_hash_sha256(out, msg, len);
}

static inline int sim_read(void *ctx, uint64_t blk, uint32_t n, void *buf)
{
    struct sim *s = ctx;
    if (s->fail_read >= 0 && s->fail_read-- == 0)
        return -1;
    if (blk > s->n || n > s->n - blk)
        return -1;
    memcpy(buf, s->img + blk * s->bs, (size_t)n * s->bs);
    return 0;
}

static inline int sim_write(void *ctx, uint64_t blk, uint32_t n, const void *buf)
{
    struct sim *s = ctx;
    if (s->fail_write >= 0 && s->fail_write-- == 0)
        return -1;
    if (blk > s->n || n > s->n - blk)
        return -1;
    memcpy(s->img + blk * s->bs, buf, (size_t)n * s->bs);
    for (uint32_t i = 0; s->recording && i < n; i++) {
        if (s->nw == s->capw) {
            s->capw = s->capw ? 2 * s->capw : 64;
            s->w = realloc(s->w, s->capw * sizeof *s->w);
        }
        struct sim_write *w = &s->w[s->nw++];
        w->blk = blk + i;
        w->epoch = s->epoch;
        w->data = malloc(s->bs);
        memcpy(w->data, (const uint8_t *)buf + (size_t)i * s->bs, s->bs);
    }
    return 0;
}

static inline int sim_flush(void *ctx)
{
    struct sim *s = ctx;
    if (s->fail_flush >= 0 && s->fail_flush-- == 0)
        return -1;
    s->epoch++;
    return 0;
}

static inline void sim_init(struct sim *s, uint32_t bs, uint64_t n)
{
    memset(s, 0, sizeof *s);
    s->bs = bs;
    s->n = n;
    s->img = calloc(n, bs);
    s->fail_read = s->fail_write = s->fail_flush = -1;
}

static inline void sim_forget(struct sim *s)
{
    for (size_t i = 0; i < s->nw; i++)
        free(s->w[i].data);
    s->nw = 0;
    s->epoch = 0;
}

static inline void sim_free(struct sim *s)
{
    sim_forget(s);
    free(s->w);
    free(s->img);
}

static inline struct store_dev sim_dev(struct sim *s)
{
    return (struct store_dev){s, s->bs, s->n, sim_read, sim_write, sim_flush, sim_sha256};
}

/* What a root says, minus where it happens to be on disk: two roots with
 * the same fingerprint are the same store state. */
static inline void root_fingerprint(const struct store_root *r, uint8_t out[32])
{
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
#define FP(x) crypto_hash_sha256_update(&h, (const uint8_t *)&(x), sizeof(x))
    FP(r->boot_attempts);
    FP(r->boot_max);
    FP(r->confirmed);
    FP(r->has_prev);
    FP(r->has_ref);
    FP(r->ref);
    FP(r->cur.number);
    FP(r->prev.number);
    crypto_hash_sha256_update(&h, (const uint8_t *)r->cur.pins, r->cur.npins * sizeof r->cur.pins[0]);
    crypto_hash_sha256_update(&h, (const uint8_t *)r->prev.pins, r->prev.npins * sizeof r->prev.pins[0]);
    for (uint32_t i = 0; i < r->nblobs; i++) {
        FP(r->blobs[i].hash);
        FP(r->blobs[i].len);
    }
    crypto_hash_sha256_update(&h, (const uint8_t *)r->caps, r->ncaps * sizeof r->caps[0]);
    crypto_hash_sha256_update(&h, (const uint8_t *)r->states, r->nstates * sizeof r->states[0]);
#undef FP
    crypto_hash_sha256_final(&h, out);
}

/* Blocks a root needs after gc: its blobs and the two catalogs. */
static inline uint64_t live_blocks(const struct store_root *r, uint32_t bs, uint64_t other_cat)
{
    uint64_t n = r->cat_blocks + other_cat;
    for (uint32_t i = 0; i < r->nblobs; i++)
        n += (r->blobs[i].len + bs - 1) / bs;
    return n;
}

#endif
