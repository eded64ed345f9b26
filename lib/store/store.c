/*
 * store.c: superblocks, catalogs, the allocator and the commit protocol
 * (the invariants are in store.h; the bytes in docs/STORE.md).
 *
 * The catalog is (de)serialised field by field in little-endian order, so
 * the format does not depend on the compiler's struct layout, and the
 * parser refuses every byte that is not the one value the writer would
 * have put there: reserved fields, padding, sort order, extents that
 * overlap or leave the device, references to blobs that are not there.
 */
#include "store/store.h"

#include "string/vstring.h"

static const char sb_magic[8] = {'V', 'S', 'T', 'O', 'R', 'E', 'S', 'B'};
static const char cat_magic[8] = {'V', 'C', 'A', 'T', 'A', 'L', 'O', 'G'};
static const uint8_t zero32[32];

_Static_assert(STORE_CAT_MAX <= STORE_CAT_BUF, "catalog buffer too small");
_Static_assert(STORE_CAT_BUF % 4096 == 0, "catalog buffer is whole blocks");

static const char *const err_names[] = {
#define STORE_X_NAME(name, msg) #name,
    STORE_ERRORS(STORE_X_NAME)
#undef STORE_X_NAME
};
static const char *const err_msgs[] = {
#define STORE_X_MSG(name, msg) msg,
    STORE_ERRORS(STORE_X_MSG)
#undef STORE_X_MSG
};

const char *store_err_name(enum store_err e)
{
    return (unsigned)e < STORE_NERRORS ? err_names[e] : "?";
}

const char *store_err_msg(enum store_err e)
{
    return (unsigned)e < STORE_NERRORS ? err_msgs[e] : "unknown error";
}

/* ---- little-endian fields ---- */

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

static uint64_t blocks_of(const struct store *st, uint64_t bytes)
{
    return (bytes + st->dev.block_size - 1) / st->dev.block_size;
}

/* ---- device access: callbacks' failures become named errors ---- */

static enum store_err dev_read(struct store *st, uint64_t blk, uint32_t n, void *buf)
{
    return st->dev.read(st->dev.ctx, blk, n, buf) ? STORE_E_IO_READ : STORE_E_OK;
}

static enum store_err dev_write(struct store *st, uint64_t blk, uint32_t n, const void *buf)
{
    return st->dev.write(st->dev.ctx, blk, n, buf) ? STORE_E_IO_WRITE : STORE_E_OK;
}

static enum store_err dev_flush(struct store *st)
{
    return st->dev.flush(st->dev.ctx) ? STORE_E_IO_FLUSH : STORE_E_OK;
}

/* ---- names ---- */

static bool valid_name(const char *s, size_t len)
{
    if (len == 0 || len > STORE_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((uint8_t)s[i] <= 0x20 || (uint8_t)s[i] >= 0x7f)
            return false;
    return true;
}

static bool name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && vs_memcmp(a, b, alen) == 0;
}

/* ---- lookups ---- */

const struct store_blob *store_blob_find(const struct store_root *r, const uint8_t hash[32])
{
    for (uint32_t i = 0; i < r->nblobs; i++)
        if (vs_memcmp(r->blobs[i].hash, hash, 32) == 0)
            return &r->blobs[i];
    return NULL;
}

const struct store_capsule *store_capsule_find(const struct store_root *r,
                                               const uint8_t vcid[32])
{
    for (uint32_t i = 0; i < r->ncaps; i++)
        if (vs_memcmp(r->caps[i].vcid, vcid, 32) == 0)
            return &r->caps[i];
    return NULL;
}

const struct store_pin *store_pin_find(const struct store_root *r, const struct store_gen *g,
                                       const char *name, size_t name_len)
{
    for (uint32_t i = 0; i < g->npins; i++) {
        const struct store_capsule *c = store_capsule_find(r, g->pins[i].active);
        if (c && name_eq(c->name, c->name_len, name, name_len))
            return &g->pins[i];
    }
    return NULL;
}

static struct store_state *state_find(struct store_root *r, const char *name, size_t len)
{
    for (uint32_t i = 0; i < r->nstates; i++)
        if (name_eq(r->states[i].name, r->states[i].name_len, name, len))
            return &r->states[i];
    return NULL;
}

/* ---- extents and the allocator ---- */

/* Every extent a root occupies: its catalog and its blobs. */
static uint32_t root_extents(const struct store_root *r, struct store_extent *out,
                             uint32_t blk_size)
{
    uint32_t n = 0;
    if (r->cat_blocks)
        out[n++] = (struct store_extent){r->cat_start, r->cat_blocks};
    for (uint32_t i = 0; i < r->nblobs; i++)
        if (r->blobs[i].len)
            out[n++] = (struct store_extent){r->blobs[i].start,
                                             (r->blobs[i].len + blk_size - 1) / blk_size};
    return n;
}

static void sort_extents(struct store_extent *e, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        struct store_extent x = e[i];
        uint32_t j = i;
        for (; j > 0 && e[j - 1].start > x.start; j--)
            e[j] = e[j - 1];
        e[j] = x;
    }
}

/* Gathers the reserved extents (invariant 1: staged, committed and the
 * other slot's root) into st->scratch, sorted by start. */
static uint32_t reserved(struct store *st)
{
    uint32_t bs = st->dev.block_size, n = 0;
    n += root_extents(&st->staged, st->scratch + n, bs);
    n += root_extents(&st->committed, st->scratch + n, bs);
    for (uint32_t i = 0; i < st->nolder; i++)
        st->scratch[n++] = st->older[i];
    sort_extents(st->scratch, n);
    return n;
}

/* Calls fn on each free gap [start, end) of the data area in order; stops
 * when fn returns true. */
static bool each_gap(struct store *st, bool (*fn)(uint64_t, uint64_t, void *), void *arg)
{
    uint32_t n = reserved(st);
    uint64_t pos = STORE_DATA_START, end = st->dev.nblocks;
    for (uint32_t i = 0; i < n; i++) {
        const struct store_extent *e = &st->scratch[i];
        if (e->start > pos && fn(pos, e->start, arg))
            return true;
        if (e->start + e->n > pos)
            pos = e->start + e->n;
    }
    return pos < end && fn(pos, end, arg);
}

struct fit {
    uint64_t need, at;
};

static bool first_fit(uint64_t start, uint64_t end, void *arg)
{
    struct fit *f = arg;
    if (end - start < f->need)
        return false;
    f->at = start;
    return true;
}

static bool sum_gap(uint64_t start, uint64_t end, void *arg)
{
    *(uint64_t *)arg += end - start;
    return false;
}

static enum store_err alloc(struct store *st, uint64_t nblk, uint64_t *at)
{
    struct fit f = {nblk, 0};
    if (!each_gap(st, first_fit, &f))
        return STORE_E_NO_SPACE;
    *at = f.at;
    return STORE_E_OK;
}

uint64_t store_free_blocks(struct store *st)
{
    uint64_t sum = 0;
    each_gap(st, sum_gap, &sum);
    return sum;
}

/* ---- the catalog ---- */

static void put_name(uint8_t *p, const char *s, uint8_t len)
{
    vs_memset(p, 0, STORE_NAME_MAX);
    vs_memcpy(p, s, len);
}

static void put_gen(uint8_t **pp, const struct store_gen *g)
{
    for (uint32_t i = 0; i < g->npins; i++) {
        vs_memcpy(*pp, g->pins[i].active, 32);
        vs_memcpy(*pp + 32, g->pins[i].previous, 32);
        *pp += STORE_CAT_PIN;
    }
}

/* Serialises r into st->cat; returns the length in bytes, the rest of the
 * buffer's last block zeroed. */
static size_t cat_write(struct store *st, const struct store_root *r)
{
    uint8_t *c = st->cat, *p;
    vs_memset(c, 0, STORE_CAT_BUF);
    vs_memcpy(c, cat_magic, 8);
    put32(c + 8, STORE_VERSION);
    put64(c + 16, r->seq);
    put64(c + 24, r->cur.number);
    put64(c + 32, r->prev.number);
    put32(c + 40, r->boot_attempts);
    put32(c + 44, r->boot_max);
    uint32_t flags = (r->confirmed ? 1u : 0) | (r->has_prev ? 2u : 0) |
                     (r->has_ref[STORE_REF_POLICY] ? 4u : 0) |
                     (r->has_ref[STORE_REF_MKEY] ? 8u : 0);
    put32(c + 48, flags);
    put32(c + 52, r->nblobs);
    put32(c + 56, r->ncaps);
    put32(c + 60, r->cur.npins);
    put32(c + 64, r->prev.npins);
    put32(c + 68, r->nstates);
    for (int i = 0; i < STORE_NREFS; i++)
        vs_memcpy(c + 72 + 32 * i, r->has_ref[i] ? r->ref[i] : zero32, 32);
    p = c + STORE_CAT_HEADER;
    for (uint32_t i = 0; i < r->nblobs; i++, p += STORE_CAT_BLOB) {
        vs_memcpy(p, r->blobs[i].hash, 32);
        put64(p + 32, r->blobs[i].start);
        put64(p + 40, r->blobs[i].len);
    }
    for (uint32_t i = 0; i < r->ncaps; i++, p += STORE_CAT_CAPSULE) {
        const struct store_capsule *k = &r->caps[i];
        vs_memcpy(p, k->vcid, 32);
        vs_memcpy(p + 32, k->file, 32);
        p[64] = k->name_len;
        p[65] = k->ver_len;
        put_name(p + 72, k->name, k->name_len);
        put_name(p + 136, k->ver, k->ver_len);
    }
    put_gen(&p, &r->cur);
    put_gen(&p, &r->prev);
    for (uint32_t i = 0; i < r->nstates; i++, p += STORE_CAT_STATE) {
        const struct store_state *s = &r->states[i];
        p[0] = s->name_len;
        put32(p + 4, s->schema);
        put_name(p + 8, s->name, s->name_len);
        vs_memcpy(p + 72, s->blob, 32);
    }
    size_t len = (size_t)(p - c);
    put32(c + 12, (uint32_t)len);
    return len;
}

static bool get_name(const uint8_t *p, uint8_t len, char *out)
{
    if (!valid_name((const char *)p, len) || !all_zero(p + len, STORE_NAME_MAX - len))
        return false;
    vs_memcpy(out, p, len);
    vs_memset(out + len, 0, STORE_NAME_MAX - len);
    return true;
}

static void get_gen(const uint8_t **pp, struct store_gen *g, uint32_t n, uint64_t number)
{
    g->number = number;
    g->npins = n;
    for (uint32_t i = 0; i < n; i++, *pp += STORE_CAT_PIN) {
        vs_memcpy(g->pins[i].active, *pp, 32);
        vs_memcpy(g->pins[i].previous, *pp + 32, 32);
    }
}

/* A generation names installed capsules, one pin per capsule name, and a
 * pin's previous version is another version of the same capsule. */
static bool gen_ok(const struct store_root *r, const struct store_gen *g)
{
    for (uint32_t i = 0; i < g->npins; i++) {
        const struct store_pin *p = &g->pins[i];
        const struct store_capsule *a = store_capsule_find(r, p->active);
        if (!a)
            return false;
        if (vs_memcmp(p->previous, zero32, 32) != 0) {
            const struct store_capsule *b = store_capsule_find(r, p->previous);
            if (!b || b == a || !name_eq(a->name, a->name_len, b->name, b->name_len))
                return false;
        }
        for (uint32_t j = 0; j < i; j++) {
            const struct store_capsule *o = store_capsule_find(r, g->pins[j].active);
            if (name_eq(a->name, a->name_len, o->name, o->name_len))
                return false;
        }
    }
    return true;
}

static bool hash_less(const uint8_t *a, const uint8_t *b)
{
    return vs_memcmp(a, b, 32) < 0;
}

/* Blob extents lie in the data area of an nblocks device and overlap
 * neither each other nor the catalog. */
static bool extents_ok(struct store *st, const struct store_root *r, uint64_t nblocks)
{
    uint32_t n = root_extents(r, st->scratch, st->dev.block_size);
    for (uint32_t i = 0; i < n; i++)
        if (st->scratch[i].start < STORE_DATA_START || st->scratch[i].start > nblocks ||
            st->scratch[i].n > nblocks - st->scratch[i].start)
            return false;
    sort_extents(st->scratch, n);
    for (uint32_t i = 1; i < n; i++)
        if (st->scratch[i - 1].start + st->scratch[i - 1].n > st->scratch[i].start)
            return false;
    return true;
}

/* Parses st->cat (cat_blocks whole blocks, checksum already verified)
 * into r. Every byte is checked. */
static enum store_err cat_read(struct store *st, struct store_root *r, uint64_t seq,
                               uint64_t cat_start, uint32_t cat_blocks, uint64_t nblocks)
{
    const uint8_t *c = st->cat, *p;
    size_t span = (size_t)cat_blocks * st->dev.block_size;
    if (vs_memcmp(c, cat_magic, 8) != 0 || get32(c + 8) != STORE_VERSION || get64(c + 16) != seq)
        return STORE_E_CATALOG_FORMAT;
    uint32_t len = get32(c + 12), flags = get32(c + 48);
    uint32_t nb = get32(c + 52), nc = get32(c + 56), np = get32(c + 60), nq = get32(c + 64),
             ns = get32(c + 68);
    if (nb > STORE_MAX_BLOBS || nc > STORE_MAX_CAPSULES || np > STORE_MAX_PINS ||
        nq > STORE_MAX_PINS || ns > STORE_MAX_STATES || (flags & ~15u) ||
        !all_zero(c + 136, STORE_CAT_HEADER - 136))
        return STORE_E_CATALOG_FORMAT;
    size_t want = STORE_CAT_HEADER + (size_t)nb * STORE_CAT_BLOB + (size_t)nc * STORE_CAT_CAPSULE +
                  (size_t)(np + nq) * STORE_CAT_PIN + (size_t)ns * STORE_CAT_STATE;
    if (len != want || len > span || blocks_of(st, len) != cat_blocks || !all_zero(c + len, span - len))
        return STORE_E_CATALOG_FORMAT;

    vs_memset(r, 0, sizeof *r);
    r->seq = seq;
    r->cat_start = cat_start;
    r->cat_blocks = cat_blocks;
    r->boot_attempts = get32(c + 40);
    r->boot_max = get32(c + 44);
    r->confirmed = flags & 1;
    r->has_prev = flags & 2;
    uint64_t prev_number = get64(c + 32);
    if (!r->has_prev && (nq || prev_number))
        return STORE_E_CATALOG_FORMAT;
    for (int i = 0; i < STORE_NREFS; i++) {
        r->has_ref[i] = flags & (4u << i);
        vs_memcpy(r->ref[i], c + 72 + 32 * i, 32);
        if (!r->has_ref[i] && !all_zero(r->ref[i], 32))
            return STORE_E_CATALOG_FORMAT;
    }

    p = c + STORE_CAT_HEADER;
    r->nblobs = nb;
    for (uint32_t i = 0; i < nb; i++, p += STORE_CAT_BLOB) {
        struct store_blob *b = &r->blobs[i];
        vs_memcpy(b->hash, p, 32);
        b->start = get64(p + 32);
        b->len = get64(p + 40);
        if ((i && !hash_less(r->blobs[i - 1].hash, b->hash)) || (b->len == 0) != (b->start == 0) ||
            b->len > nblocks * st->dev.block_size)
            return STORE_E_CATALOG_FORMAT;
    }
    if (!extents_ok(st, r, nblocks))
        return STORE_E_CATALOG_FORMAT;
    for (int i = 0; i < STORE_NREFS; i++)
        if (r->has_ref[i] && !store_blob_find(r, r->ref[i]))
            return STORE_E_CATALOG_FORMAT;

    r->ncaps = nc;
    for (uint32_t i = 0; i < nc; i++, p += STORE_CAT_CAPSULE) {
        struct store_capsule *k = &r->caps[i];
        vs_memcpy(k->vcid, p, 32);
        vs_memcpy(k->file, p + 32, 32);
        k->name_len = p[64];
        k->ver_len = p[65];
        if ((i && !hash_less(r->caps[i - 1].vcid, k->vcid)) || !all_zero(p + 66, 6) ||
            !get_name(p + 72, k->name_len, k->name) || !get_name(p + 136, k->ver_len, k->ver) ||
            !store_blob_find(r, k->file))
            return STORE_E_CATALOG_FORMAT;
        for (uint32_t j = 0; j < i; j++)
            if (name_eq(r->caps[j].name, r->caps[j].name_len, k->name, k->name_len) &&
                name_eq(r->caps[j].ver, r->caps[j].ver_len, k->ver, k->ver_len))
                return STORE_E_CATALOG_FORMAT;
    }
    get_gen(&p, &r->cur, np, get64(c + 24));
    get_gen(&p, &r->prev, nq, prev_number);
    if (!gen_ok(r, &r->cur) || !gen_ok(r, &r->prev))
        return STORE_E_CATALOG_FORMAT;

    r->nstates = ns;
    for (uint32_t i = 0; i < ns; i++, p += STORE_CAT_STATE) {
        struct store_state *s = &r->states[i];
        s->name_len = p[0];
        s->schema = get32(p + 4);
        vs_memcpy(s->blob, p + 72, 32);
        if (!all_zero(p + 1, 3) || !get_name(p + 8, s->name_len, s->name) ||
            !store_blob_find(r, s->blob))
            return STORE_E_CATALOG_FORMAT;
        for (uint32_t j = 0; j < i; j++)
            if (name_eq(r->states[j].name, r->states[j].name_len, s->name, s->name_len))
                return STORE_E_CATALOG_FORMAT;
    }
    return STORE_E_OK;
}

/* ---- superblocks ---- */

struct sb {
    uint64_t nblocks, seq, cat_start;
    uint32_t cat_blocks;
    uint8_t cat_hash[32];
};

static void sb_write(struct store *st, uint32_t slot, const struct sb *s)
{
    uint8_t *b = st->block;
    vs_memset(b, 0, st->dev.block_size);
    vs_memcpy(b, sb_magic, 8);
    put32(b + 8, STORE_VERSION);
    put32(b + 12, st->dev.block_size);
    put64(b + 16, s->nblocks);
    put64(b + 24, s->seq);
    put64(b + 32, s->cat_start);
    put32(b + 40, s->cat_blocks);
    put32(b + 44, slot);
    vs_memcpy(b + 48, s->cat_hash, 32);
    st->dev.sha256(b + 80, b, 80);
}

static enum store_err sb_read(struct store *st, uint32_t slot, struct sb *s)
{
    const uint8_t *b = st->block;
    uint32_t bs = st->dev.block_size;
    uint8_t h[32];
    if (vs_memcmp(b, sb_magic, 8) != 0)
        return all_zero(b, bs) ? STORE_E_NO_STORE : STORE_E_SB_MAGIC;
    st->dev.sha256(h, b, 80);
    if (vs_memcmp(h, b + 80, 32) != 0)
        return STORE_E_SB_CHECKSUM;
    if (get32(b + 8) != STORE_VERSION)
        return STORE_E_SB_VERSION;
    s->nblocks = get64(b + 16);
    s->seq = get64(b + 24);
    s->cat_start = get64(b + 32);
    s->cat_blocks = get32(b + 40);
    vs_memcpy(s->cat_hash, b + 48, 32);
    if (get32(b + 12) != bs || get32(b + 44) != slot || s->seq == 0 ||
        s->nblocks < STORE_MIN_BLOCKS || s->nblocks > st->dev.nblocks || s->cat_blocks == 0 ||
        s->cat_blocks > STORE_CAT_BUF / bs || s->cat_start < STORE_DATA_START ||
        s->cat_start > s->nblocks - s->cat_blocks || !all_zero(b + STORE_SB_SIZE, bs - STORE_SB_SIZE))
        return STORE_E_SB_FORMAT;
    return STORE_E_OK;
}

/* Reads slot `slot` and its catalog into r. */
static enum store_err slot_load(struct store *st, uint32_t slot, struct store_root *r,
                                uint64_t *nblocks)
{
    struct sb s;
    enum store_err e = dev_read(st, slot, 1, st->block);
    if (e == STORE_E_OK)
        e = sb_read(st, slot, &s);
    if (e == STORE_E_OK)
        e = dev_read(st, s.cat_start, s.cat_blocks, st->cat);
    if (e != STORE_E_OK)
        return e;
    uint8_t h[32];
    st->dev.sha256(h, st->cat, (size_t)s.cat_blocks * st->dev.block_size);
    if (vs_memcmp(h, s.cat_hash, 32) != 0)
        return STORE_E_CATALOG_CHECKSUM;
    *nblocks = s.nblocks;
    return cat_read(st, r, s.seq, s.cat_start, s.cat_blocks, s.nblocks);
}

static bool dev_ok(const struct store_dev *d)
{
    return (d->block_size == 512 || d->block_size == 4096) && d->nblocks >= STORE_MIN_BLOCKS &&
           d->read && d->write && d->flush && d->sha256;
}

static void older_from(struct store *st, const struct store_root *r)
{
    st->nolder = root_extents(r, st->older, st->dev.block_size);
}

enum store_err store_open(struct store *st, const struct store_dev *dev, struct store_report *rep)
{
    struct store_report dummy;
    if (!rep)
        rep = &dummy;
    vs_memset(rep, 0, sizeof *rep);
    if (!dev_ok(dev))
        return STORE_E_BAD_DEVICE;
    vs_memset(st, 0, sizeof *st);
    st->dev = *dev;
    /* Slot 0 parses into committed, slot 1 into staged; then the newer
     * valid one becomes committed and the other only reserves space. */
    struct store_root *r[2] = {&st->committed, &st->staged};
    uint64_t nb[2] = {0, 0};
    for (uint32_t i = 0; i < 2; i++) {
        rep->slot_err[i] = slot_load(st, i, r[i], &nb[i]);
        if (rep->slot_err[i] == STORE_E_OK)
            rep->slot_seq[i] = r[i]->seq;
    }
    /* A slot that could not be read may hold the newest root: opening the
     * other one would put the next commit over it, losing a committed
     * state. Only a slot read and found bad is fallen back from. */
    for (uint32_t i = 0; i < 2; i++)
        if (rep->slot_err[i] == STORE_E_IO_READ)
            return STORE_E_IO_READ;
    bool ok0 = rep->slot_err[0] == STORE_E_OK, ok1 = rep->slot_err[1] == STORE_E_OK;
    if (!ok0 && !ok1) {
        return rep->slot_err[0] == STORE_E_NO_STORE ? rep->slot_err[1] : rep->slot_err[0];
    }
    uint32_t use = ok0 && (!ok1 || st->committed.seq >= st->staged.seq) ? 0 : 1;
    rep->used = use;
    rep->fell_back = !(ok0 && ok1);
    st->slot = use;
    if (use == 1) {
        if (ok0)
            older_from(st, &st->committed);
        st->committed = st->staged;
    } else if (ok1) {
        older_from(st, &st->staged);
    }
    st->dev.nblocks = nb[use];
    st->staged = st->committed;
    return STORE_E_OK;
}

enum store_err store_commit(struct store *st)
{
    if (st->broken)
        return STORE_E_BROKEN;
    struct store_root *r = &st->staged;
    r->seq = st->committed.seq + 1;
    size_t len = cat_write(st, r);
    uint32_t nblk = (uint32_t)blocks_of(st, len);
    uint64_t at;
    enum store_err e = alloc(st, nblk, &at);
    if (e == STORE_E_OK)
        e = dev_write(st, at, nblk, st->cat);
    if (e == STORE_E_OK)
        e = dev_flush(st);   /* blobs and catalog durable before the superblock */
    if (e != STORE_E_OK)
        return e;
    struct sb s = {st->dev.nblocks, r->seq, at, nblk, {0}};
    st->dev.sha256(s.cat_hash, st->cat, (size_t)nblk * st->dev.block_size);
    uint32_t slot = 1 - st->slot;
    sb_write(st, slot, &s);
    e = dev_write(st, slot, 1, st->block);
    if (e == STORE_E_OK)
        e = dev_flush(st);
    if (e != STORE_E_OK) {
        st->broken = true;
        return e;
    }
    r->cat_start = at;
    r->cat_blocks = nblk;
    older_from(st, &st->committed);
    st->committed = *r;
    st->slot = slot;
    st->gen_bumped = false;
    return STORE_E_OK;
}

void store_abort(struct store *st)
{
    st->staged = st->committed;
    st->gen_bumped = false;
}

enum store_err store_format(struct store *st, const struct store_dev *dev, uint32_t boot_max)
{
    if (!dev_ok(dev))
        return STORE_E_BAD_DEVICE;
    vs_memset(st, 0, sizeof *st);
    st->dev = *dev;
    /* Old superblocks must not outlive the format with a higher sequence. */
    vs_memset(st->block, 0, sizeof st->block);
    enum store_err e = dev_write(st, 0, 1, st->block);
    if (e == STORE_E_OK)
        e = dev_write(st, 1, 1, st->block);
    if (e == STORE_E_OK)
        e = dev_flush(st);
    if (e != STORE_E_OK)
        return e;
    st->slot = 1;
    st->staged.boot_max = boot_max;
    st->staged.confirmed = true;
    e = store_commit(st);
    return e == STORE_E_OK ? store_commit(st) : e;
}

/* ---- blobs ---- */

#define IO_CHUNK 256u   /* blocks per device call */

enum store_err store_blob_put(struct store *st, const void *data, size_t len, uint8_t hash[32])
{
    struct store_root *r = &st->staged;
    uint32_t bs = st->dev.block_size;
    if (st->broken)
        return STORE_E_BROKEN;
    st->dev.sha256(hash, data, len);
    if (store_blob_find(r, hash))
        return STORE_E_OK;
    if (r->nblobs == STORE_MAX_BLOBS)
        return STORE_E_TOO_MANY;
    uint64_t nblk = blocks_of(st, len), at = 0;
    if (len > st->dev.nblocks * (uint64_t)bs)
        return STORE_E_NO_SPACE;
    enum store_err e = len ? alloc(st, nblk, &at) : STORE_E_OK;
    const uint8_t *src = data;
    uint64_t full = len / bs, done = 0;
    while (e == STORE_E_OK && done < full) {
        uint32_t n = full - done < IO_CHUNK ? (uint32_t)(full - done) : IO_CHUNK;
        e = dev_write(st, at + done, n, src + done * bs);
        done += n;
    }
    if (e == STORE_E_OK && len % bs) {
        vs_memset(st->block, 0, bs);
        vs_memcpy(st->block, src + full * bs, len % bs);
        e = dev_write(st, at + full, 1, st->block);
    }
    if (e != STORE_E_OK)
        return e;
    uint32_t i = r->nblobs;
    for (; i > 0 && hash_less(hash, r->blobs[i - 1].hash); i--)
        r->blobs[i] = r->blobs[i - 1];
    vs_memcpy(r->blobs[i].hash, hash, 32);
    r->blobs[i].start = at;
    r->blobs[i].len = len;
    r->nblobs++;
    return STORE_E_OK;
}

enum store_err store_blob_read(struct store *st, const uint8_t hash[32], void *buf, size_t cap,
                               size_t *len)
{
    const struct store_blob *b = store_blob_find(&st->staged, hash);
    uint32_t bs = st->dev.block_size;
    if (!b)
        return STORE_E_NOT_FOUND;
    if (b->len > cap)
        return STORE_E_TOO_BIG;
    uint8_t *dst = buf;
    uint64_t full = b->len / bs, done = 0, tail = b->len % bs;
    enum store_err e = STORE_E_OK;
    while (e == STORE_E_OK && done < full) {
        uint32_t n = full - done < IO_CHUNK ? (uint32_t)(full - done) : IO_CHUNK;
        e = dev_read(st, b->start + done, n, dst + done * bs);
        done += n;
    }
    if (e == STORE_E_OK && tail) {
        e = dev_read(st, b->start + full, 1, st->block);
        if (e == STORE_E_OK && !all_zero(st->block + tail, bs - tail))
            e = STORE_E_BLOB_CORRUPT;
        vs_memcpy(dst + full * bs, st->block, tail);
    }
    if (e == STORE_E_OK) {
        uint8_t h[32];
        st->dev.sha256(h, dst, b->len);
        if (vs_memcmp(h, hash, 32) != 0)
            e = STORE_E_BLOB_CORRUPT;
    }
    if (e != STORE_E_OK) {
        vs_memset(dst, 0, b->len);   /* never hand out unverified bytes */
        return e;
    }
    *len = b->len;
    return STORE_E_OK;
}

enum store_err store_verify_all(struct store *st, void *buf, size_t cap,
                                const struct store_blob **bad)
{
    for (uint32_t i = 0; i < st->staged.nblobs; i++) {
        size_t len;
        enum store_err e = store_blob_read(st, st->staged.blobs[i].hash, buf, cap, &len);
        if (e != STORE_E_OK) {
            *bad = &st->staged.blobs[i];
            return e;
        }
    }
    return STORE_E_OK;
}

/* ---- capsules and generations ---- */

enum store_err store_capsule_add(struct store *st, const uint8_t vcid[32], const uint8_t file[32],
                                 const char *name, size_t name_len, const char *ver,
                                 size_t ver_len)
{
    struct store_root *r = &st->staged;
    if (!valid_name(name, name_len) || !valid_name(ver, ver_len))
        return STORE_E_BAD_NAME;
    if (!store_blob_find(r, file))
        return STORE_E_NOT_FOUND;
    if (store_capsule_find(r, vcid))
        return STORE_E_EXISTS;
    for (uint32_t j = 0; j < r->ncaps; j++)
        if (name_eq(r->caps[j].name, r->caps[j].name_len, name, name_len) &&
            name_eq(r->caps[j].ver, r->caps[j].ver_len, ver, ver_len))
            return STORE_E_EXISTS;
    if (r->ncaps == STORE_MAX_CAPSULES)
        return STORE_E_TOO_MANY;
    uint32_t i = r->ncaps;
    for (; i > 0 && hash_less(vcid, r->caps[i - 1].vcid); i--)
        r->caps[i] = r->caps[i - 1];
    struct store_capsule *k = &r->caps[i];
    vs_memset(k, 0, sizeof *k);
    vs_memcpy(k->vcid, vcid, 32);
    vs_memcpy(k->file, file, 32);
    k->name_len = (uint8_t)name_len;
    k->ver_len = (uint8_t)ver_len;
    vs_memcpy(k->name, name, name_len);
    vs_memcpy(k->ver, ver, ver_len);
    r->ncaps++;
    return STORE_E_OK;
}

static bool gen_names(const struct store_gen *g, const uint8_t vcid[32])
{
    for (uint32_t i = 0; i < g->npins; i++)
        if (vs_memcmp(g->pins[i].active, vcid, 32) == 0 ||
            vs_memcmp(g->pins[i].previous, vcid, 32) == 0)
            return true;
    return false;
}

enum store_err store_capsule_remove(struct store *st, const uint8_t vcid[32])
{
    struct store_root *r = &st->staged;
    const struct store_capsule *k = store_capsule_find(r, vcid);
    if (!k)
        return STORE_E_NOT_FOUND;
    if (gen_names(&r->cur, vcid) || (r->has_prev && gen_names(&r->prev, vcid)))
        return STORE_E_IN_USE;
    for (uint32_t i = (uint32_t)(k - r->caps); i + 1 < r->ncaps; i++)
        r->caps[i] = r->caps[i + 1];
    r->ncaps--;
    return STORE_E_OK;
}

/* The first generation change after a commit keeps the current one as
 * `prev` (the boot fallback) and starts counting boots afresh. */
static void gen_bump(struct store *st)
{
    struct store_root *r = &st->staged;
    if (st->gen_bumped)
        return;
    r->prev = r->cur;
    r->has_prev = true;
    r->cur.number++;
    r->boot_attempts = 0;
    r->confirmed = false;
    st->gen_bumped = true;
}

enum store_err store_activate(struct store *st, const uint8_t vcid[32])
{
    struct store_root *r = &st->staged;
    const struct store_capsule *k = store_capsule_find(r, vcid);
    if (!k)
        return STORE_E_NOT_FOUND;
    const struct store_pin *p = store_pin_find(r, &r->cur, k->name, k->name_len);
    if (p && vs_memcmp(p->active, vcid, 32) == 0)
        return STORE_E_SAME;
    if (!p && r->cur.npins == STORE_MAX_PINS)
        return STORE_E_TOO_MANY;
    gen_bump(st);
    struct store_pin *q = p ? &r->cur.pins[p - r->cur.pins] : &r->cur.pins[r->cur.npins++];
    if (p)
        vs_memcpy(q->previous, q->active, 32);
    else
        vs_memset(q->previous, 0, 32);
    vs_memcpy(q->active, vcid, 32);
    return STORE_E_OK;
}

enum store_err store_rollback(struct store *st, const char *name, size_t name_len)
{
    struct store_root *r = &st->staged;
    const struct store_pin *p = store_pin_find(r, &r->cur, name, name_len);
    if (!p)
        return STORE_E_NOT_FOUND;
    if (vs_memcmp(p->previous, zero32, 32) == 0)
        return STORE_E_NO_PREVIOUS;
    gen_bump(st);
    struct store_pin *q = &r->cur.pins[p - r->cur.pins];
    uint8_t t[32];
    vs_memcpy(t, q->active, 32);
    vs_memcpy(q->active, q->previous, 32);
    vs_memcpy(q->previous, t, 32);
    return STORE_E_OK;
}

enum store_err store_deactivate(struct store *st, const char *name, size_t name_len)
{
    struct store_root *r = &st->staged;
    const struct store_pin *p = store_pin_find(r, &r->cur, name, name_len);
    if (!p)
        return STORE_E_NOT_FOUND;
    uint32_t at = (uint32_t)(p - r->cur.pins);
    gen_bump(st);
    for (uint32_t i = at; i + 1 < r->cur.npins; i++)
        r->cur.pins[i] = r->cur.pins[i + 1];
    r->cur.npins--;
    return STORE_E_OK;
}

/* The previous generation comes back under a new number; the one that
 * failed is kept as `prev` for inspection. Marking the fallback confirmed
 * stops two bad generations from alternating. */
static void fall_back(struct store *st)
{
    struct store_root *r = &st->staged;
    struct store_gen failed = r->cur;
    r->cur = r->prev;
    r->cur.number = failed.number + 1;
    r->prev = failed;
    r->confirmed = true;
    r->boot_attempts = 0;
}

enum store_err store_boot_fallback(struct store *st)
{
    if (!st->staged.has_prev)
        return STORE_E_NO_PREVIOUS;
    fall_back(st);
    return STORE_E_OK;
}

enum store_err store_boot_begin(struct store *st, bool *fell_back)
{
    struct store_root *r = &st->staged;
    *fell_back = false;
    if (r->has_prev && !r->confirmed && r->boot_max && r->boot_attempts >= r->boot_max) {
        fall_back(st);
        *fell_back = true;
        return STORE_E_OK;
    }
    if (!r->confirmed && r->boot_attempts < UINT32_MAX)
        r->boot_attempts++;
    return STORE_E_OK;
}

enum store_err store_boot_confirm(struct store *st)
{
    st->staged.confirmed = true;
    st->staged.boot_attempts = 0;
    return STORE_E_OK;
}

/* ---- references and state volumes ---- */

enum store_err store_ref_set(struct store *st, enum store_ref which, const void *data, size_t len)
{
    if ((unsigned)which >= STORE_NREFS)
        return STORE_E_NOT_FOUND;
    uint8_t h[32];
    enum store_err e = store_blob_put(st, data, len, h);
    if (e != STORE_E_OK)
        return e;
    st->staged.has_ref[which] = true;
    vs_memcpy(st->staged.ref[which], h, 32);
    return STORE_E_OK;
}

enum store_err store_ref_read(struct store *st, enum store_ref which, void *buf, size_t cap,
                              size_t *len)
{
    if ((unsigned)which >= STORE_NREFS || !st->staged.has_ref[which])
        return STORE_E_NOT_FOUND;
    return store_blob_read(st, st->staged.ref[which], buf, cap, len);
}

enum store_err store_state_write(struct store *st, const char *name, size_t name_len,
                                 uint32_t schema, const void *data, size_t len)
{
    struct store_root *r = &st->staged;
    if (!valid_name(name, name_len))
        return STORE_E_BAD_NAME;
    if (len > STORE_STATE_MAX)
        return STORE_E_TOO_BIG;
    struct store_state *s = state_find(r, name, name_len);
    if (!s && r->nstates == STORE_MAX_STATES)
        return STORE_E_TOO_MANY;
    uint8_t h[32];
    enum store_err e = store_blob_put(st, data, len, h);
    if (e != STORE_E_OK)
        return e;
    if (!s) {
        s = &r->states[r->nstates++];
        vs_memset(s, 0, sizeof *s);
        s->name_len = (uint8_t)name_len;
        vs_memcpy(s->name, name, name_len);
    }
    s->schema = schema;
    vs_memcpy(s->blob, h, 32);
    return STORE_E_OK;
}

enum store_err store_state_read(struct store *st, const char *name, size_t name_len,
                                uint32_t *schema, void *buf, size_t cap, size_t *len)
{
    struct store_state *s = state_find(&st->staged, name, name_len);
    if (!s)
        return STORE_E_NOT_FOUND;
    *schema = s->schema;
    return store_blob_read(st, s->blob, buf, cap, len);
}

/* ---- gc ---- */

static bool referenced(const struct store_root *r, const uint8_t h[32])
{
    for (uint32_t i = 0; i < r->ncaps; i++)
        if (vs_memcmp(r->caps[i].file, h, 32) == 0)
            return true;
    for (uint32_t i = 0; i < r->nstates; i++)
        if (vs_memcmp(r->states[i].blob, h, 32) == 0)
            return true;
    for (int i = 0; i < STORE_NREFS; i++)
        if (r->has_ref[i] && vs_memcmp(r->ref[i], h, 32) == 0)
            return true;
    return false;
}

enum store_err store_gc(struct store *st, uint64_t *freed)
{
    struct store_root *r = &st->staged;
    uint64_t before = store_free_blocks(st);
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->nblobs; i++)
        if (referenced(r, r->blobs[i].hash))
            r->blobs[n++] = r->blobs[i];
    r->nblobs = n;
    enum store_err e = store_commit(st);
    if (e == STORE_E_OK)
        e = store_commit(st);
    if (e == STORE_E_OK && freed) {
        uint64_t after = store_free_blocks(st);
        *freed = after > before ? after - before : 0;
    }
    return e;
}
