/*
 * fat.c: BPB validation, FAT chains, directories and long names (the
 * rules are in fat.h; the layout is Microsoft's FAT specification,
 * "FAT: General Overview of On-Disk Format", 1.03).
 */
#include "fat/fat.h"

#include "string/vstring.h"

#define FAT_EOC 0x0FFFFFF8u
#define FAT_BAD 0x0FFFFFF7u
#define ATTR_DIR 0x10u
#define ATTR_VOLUME 0x08u
#define ATTR_LFN 0x0Fu
#define LFN_MAX 20u          /* 20 entries x 13 units = 260 >= 255 */

static const char *const err_names[] = {
#define FAT_X_NAME(name, msg) #name,
    FAT_ERRORS(FAT_X_NAME)
#undef FAT_X_NAME
};
static const char *const err_msgs[] = {
#define FAT_X_MSG(name, msg) msg,
    FAT_ERRORS(FAT_X_MSG)
#undef FAT_X_MSG
};

const char *fat_err_name(enum fat_err e)
{
    return (unsigned)e < FAT_NERRORS ? err_names[e] : "?";
}

const char *fat_err_msg(enum fat_err e)
{
    return (unsigned)e < FAT_NERRORS ? err_msgs[e] : "unknown error";
}

static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | le16(p + 2) << 16; }

static enum fat_err rd(struct fat *f, uint64_t sec, uint32_t n, void *buf)
{
    return f->dev.read(f->dev.ctx, sec, n, buf) ? FAT_E_IO : FAT_E_OK;
}

enum fat_err fat_mount(struct fat *f, const struct fat_dev *dev)
{
    vs_memset(f, 0, sizeof *f);
    f->dev = *dev;
    f->cached = UINT64_MAX;
    if (dev->block_size < 512 || dev->block_size > sizeof f->sec || dev->nblocks == 0)
        return FAT_E_GEOMETRY;
    const uint8_t *b = f->sec;
    enum fat_err e = rd(f, 0, 1, f->sec);
    if (e != FAT_E_OK)
        return e;
    if (b[510] != 0x55 || b[511] != 0xAA || !((b[0] == 0xEB && b[2] == 0x90) || b[0] == 0xE9))
        return FAT_E_NOT_FAT;
    uint32_t bps = le16(b + 11), spc = b[13], reserved = le16(b + 14), nfats = b[16];
    uint32_t root_ent = le16(b + 17), tot16 = le16(b + 19), media = b[21], fatsz16 = le16(b + 22);
    uint32_t tot32 = le32(b + 32), fatsz = le32(b + 36), ext = le16(b + 40), fsver = le16(b + 42);
    uint32_t root = le32(b + 44);
    if (bps != 512 && bps != 1024 && bps != 2048 && bps != 4096)
        return FAT_E_BPB;
    if (bps != dev->block_size)
        return FAT_E_GEOMETRY;
    if (spc == 0 || (spc & (spc - 1)) || spc * bps > 65536 || reserved == 0 || nfats == 0 ||
        nfats > 2 || (media != 0xF0 && media < 0xF8))
        return FAT_E_BPB;
    if (fatsz16 != 0)
        return FAT_E_NOT_FAT32;
    uint64_t tot = tot16 ? tot16 : tot32;
    uint32_t active = (ext & 0x80) ? (ext & 0x0F) : 0;
    if (root_ent != 0 || fatsz == 0 || fsver != 0 || active >= nfats)
        return FAT_E_BPB;
    if (tot > dev->nblocks)
        return FAT_E_GEOMETRY;
    uint64_t data_start = reserved + (uint64_t)nfats * fatsz;
    if (data_start >= tot)
        return FAT_E_BPB;
    uint64_t nclusters = (tot - data_start) / spc;
    if (nclusters < 65525)
        return FAT_E_NOT_FAT32;
    if (nclusters > 0x0FFFFFF5u || (uint64_t)fatsz * bps / 4 < nclusters + 2)
        return FAT_E_BPB;
    if (root < 2 || root >= nclusters + 2)
        return FAT_E_BPB;
    f->bps = bps;
    f->spc = spc;
    f->cluster_bytes = bps * spc;
    f->fat_start = reserved + (uint64_t)active * fatsz;
    f->fat_sectors = fatsz;
    f->data_start = data_start;
    f->nclusters = (uint32_t)nclusters;
    f->root_cluster = root;
    return FAT_E_OK;
}

static bool cluster_ok(const struct fat *f, uint32_t c)
{
    return c >= 2 && c - 2 < f->nclusters;
}

/* The cluster after c; *end when c was the last. */
static enum fat_err fat_next(struct fat *f, uint32_t c, uint32_t *next, bool *end)
{
    uint64_t off = (uint64_t)c * 4, sec = f->fat_start + off / f->bps;
    if (sec != f->cached) {
        enum fat_err e = rd(f, sec, 1, f->fatbuf);
        if (e != FAT_E_OK)
            return e;
        f->cached = sec;
    }
    uint32_t v = le32(f->fatbuf + off % f->bps) & 0x0FFFFFFFu;
    *end = v >= FAT_EOC;
    if (*end)
        return FAT_E_OK;
    if (v == FAT_BAD || !cluster_ok(f, v))
        return FAT_E_CHAIN;
    *next = v;
    return FAT_E_OK;
}

static uint64_t cluster_sector(const struct fat *f, uint32_t c)
{
    return f->data_start + (uint64_t)(c - 2) * f->spc;
}

/* ---- directories ---- */

void fat_dir_root(const struct fat *f, struct fat_dir *d)
{
    *d = (struct fat_dir){f->root_cluster, 0, 0, 0, false};
}

enum fat_err fat_dir_open(const struct fat *f, const struct fat_entry *e, struct fat_dir *d)
{
    if (!e->is_dir)
        return FAT_E_NOT_DIR;
    *d = (struct fat_dir){e->cluster, 0, 0, 0, false};
    return FAT_E_OK;
}

static uint8_t lfn_checksum(const uint8_t *short_name)
{
    uint8_t s = 0;
    for (int i = 0; i < 11; i++)
        s = (uint8_t)(((s & 1) << 7) + (s >> 1) + short_name[i]);
    return s;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static void short_name(const uint8_t *b, char *out)
{
    size_t n = 0;
    bool lower_base = b[12] & 0x08, lower_ext = b[12] & 0x10;
    for (int i = 0; i < 8 && b[i] != ' '; i++) {
        uint8_t c = (uint8_t)(i == 0 && b[0] == 0x05 ? 0xE5 : b[i]);
        out[n++] = c >= 0x80 || c < 0x20 ? '_' : lower_base ? ascii_lower((char)c) : (char)c;
    }
    if (b[8] != ' ') {
        out[n++] = '.';
        for (int i = 8; i < 11 && b[i] != ' '; i++)
            out[n++] = b[i] >= 0x80 || b[i] < 0x20 ? '_'
                       : lower_ext                ? ascii_lower((char)b[i])
                                                  : (char)b[i];
    }
    out[n] = 0;
}

/* UTF-16 long name to UTF-8; false for a name FAT forbids or that does
 * not decode (the caller then uses the short name). */
static bool lfn_utf8(const uint16_t *u, uint32_t n, char *out)
{
    size_t o = 0, len = 0;
    while (len < n && u[len] != 0x0000)
        len++;
    if (len == 0 || len > 255)
        return false;
    for (size_t i = len; i < n; i++)      /* after the NUL: 0xFFFF padding only */
        if (u[i] != 0xFFFF && !(i == len && u[i] == 0))
            return false;
    for (size_t i = 0; i < len; i++) {
        uint32_t c = u[i];
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < len && u[i + 1] >= 0xDC00 && u[i + 1] < 0xE000) {
            c = 0x10000 + ((c - 0xD800) << 10) + (u[i + 1] - 0xDC00);
            i++;
        } else if (c >= 0xD800 && c < 0xE000) {
            return false;
        }
        if (c < 0x20 || c == '/' || c == '\\')
            return false;
        if (c < 0x80) {
            out[o++] = (char)c;
        } else if (c < 0x800) {
            out[o++] = (char)(0xC0 | c >> 6);
            out[o++] = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out[o++] = (char)(0xE0 | c >> 12);
            out[o++] = (char)(0x80 | (c >> 6 & 0x3F));
            out[o++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[o++] = (char)(0xF0 | c >> 18);
            out[o++] = (char)(0x80 | (c >> 12 & 0x3F));
            out[o++] = (char)(0x80 | (c >> 6 & 0x3F));
            out[o++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[o] = 0;
    return true;
}


static void lfn_entry(struct fat_lfn *l, const uint8_t *b)
{
    static const uint8_t at[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
    uint32_t ord = b[0] & 0x1F;
    if (b[0] & 0x40) {
        l->active = ord >= 1 && ord <= LFN_MAX;
        l->n = ord * 13;
        l->expect = ord;
        l->sum = b[13];
    }
    if (!l->active || ord != l->expect || ord == 0 || b[13] != l->sum || b[12] != 0 ||
        le16(b + 26) != 0 || ((b[0] & 0x40) && ord * 13 != l->n) || (b[0] & 0xA0)) {
        l->active = false;
        return;
    }
    for (int i = 0; i < 13; i++)
        l->u[(ord - 1) * 13 + (uint32_t)i] = (uint16_t)le16(b + at[i]);
    l->expect--;
}

/* Moves d to its next 32-byte entry and reads it into *b. */
static enum fat_err dir_entry(struct fat *f, struct fat_dir *d, const uint8_t **b)
{
    uint32_t per_cluster = f->cluster_bytes / 32;
    if ((uint64_t)d->index * 32 >= FAT_DIR_MAX)
        return FAT_E_LOOP;   /* no directory is this long: its chain loops */
    if (d->off == per_cluster) {
        bool end;
        uint32_t next;
        enum fat_err e = fat_next(f, d->cluster, &next, &end);
        if (e != FAT_E_OK)
            return e;
        if (end) {
            d->end = true;
            return FAT_E_OK;
        }
        if (++d->steps > f->nclusters)
            return FAT_E_LOOP;
        d->cluster = next;
        d->off = 0;
    }
    uint64_t byte = (uint64_t)d->off * 32;
    enum fat_err e = rd(f, cluster_sector(f, d->cluster) + byte / f->bps, 1, f->sec);
    if (e != FAT_E_OK)
        return e;
    *b = f->sec + byte % f->bps;
    d->off++;
    d->index++;
    return FAT_E_OK;
}

enum fat_err fat_dir_next(struct fat *f, struct fat_dir *d, struct fat_entry *e)
{
    struct fat_lfn *l = &f->lfn;
    l->active = false;
    for (;;) {
        const uint8_t *b = NULL;
        enum fat_err err = d->end ? FAT_E_OK : dir_entry(f, d, &b);
        if (err != FAT_E_OK)
            return err;
        if (d->end || b[0] == 0x00) {
            d->end = true;
            return FAT_E_NOT_FOUND;
        }
        if (b[0] == 0xE5) {
            l->active = false;
            continue;
        }
        if ((b[11] & 0x3F) == ATTR_LFN) {
            lfn_entry(l, b);
            continue;
        }
        if (b[11] & ATTR_VOLUME || b[0] == '.') {
            l->active = false;
            continue;
        }
        vs_memset(e, 0, sizeof *e);
        short_name(b, e->short_name);
        if (!(l->active && l->expect == 0 && l->sum == lfn_checksum(b) &&
              lfn_utf8(l->u, l->n, e->name)))
            vs_strlcpy(e->name, e->short_name, sizeof e->name);
        l->active = false;
        e->attr = b[11];
        e->is_dir = b[11] & ATTR_DIR;
        e->cluster = le16(b + 20) << 16 | le16(b + 26);
        e->size = le32(b + 28);
        if (e->cluster ? !cluster_ok(f, e->cluster) : (e->is_dir || e->size))
            return FAT_E_CHAIN;
        return FAT_E_OK;
    }
}

static bool name_match(const char *a, size_t alen, const char *b)
{
    size_t i = 0;
    for (; i < alen && b[i]; i++)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return i == alen && b[i] == 0;
}

enum fat_err fat_lookup(struct fat *f, const char *path, struct fat_entry *e)
{
    if (path[0] != '/')
        return FAT_E_NAME;
    vs_memset(e, 0, sizeof *e);
    e->is_dir = true;
    e->attr = ATTR_DIR;
    e->cluster = f->root_cluster;
    e->name[0] = '/';
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        size_t n = 0;
        while (p[n] && p[n] != '/')
            n++;
        if (n == 0)
            break;
        if (n > 255)
            return FAT_E_NAME;
        struct fat_dir d;
        enum fat_err err = fat_dir_open(f, e, &d);
        if (err != FAT_E_OK)
            return err;
        for (;;) {
            err = fat_dir_next(f, &d, e);
            if (err != FAT_E_OK)
                return err;
            if (name_match(p, n, e->name) || name_match(p, n, e->short_name))
                break;
        }
        p += n;
    }
    return FAT_E_OK;
}

enum fat_err fat_read(struct fat *f, const struct fat_entry *e, void *buf, size_t cap)
{
    if (e->is_dir)
        return FAT_E_IS_DIR;
    if (e->size > cap)
        return FAT_E_TOO_BIG;
    uint8_t *dst = buf;
    uint32_t left = e->size, c = e->cluster, steps = 0;
    while (left) {
        for (uint32_t s = 0; s < f->spc && left; s++) {
            uint32_t n = left < f->bps ? left : f->bps;
            enum fat_err err = rd(f, cluster_sector(f, c) + s, 1, n == f->bps ? dst : f->sec);
            if (err != FAT_E_OK)
                return err;
            if (n < f->bps)
                vs_memcpy(dst, f->sec, n);
            dst += n;
            left -= n;
        }
        bool end;
        enum fat_err err = fat_next(f, c, &c, &end);
        if (err != FAT_E_OK)
            return err;
        if (end != !left)
            return left ? FAT_E_SHORT : FAT_E_LONG;
        if (!left)
            break;
        if (++steps > f->nclusters)
            return FAT_E_LOOP;
    }
    return FAT_E_OK;
}
