/*
 * tile.c: C2SP tlog-tiles arithmetic. A tile at level l holds up to 256
 * consecutive hashes at tree height 8l; the node at any height in between
 * is hashed up inside one tile. Paths are the spec's exact spelling, and
 * the parser accepts nothing else, so a path names one resource.
 */
#include "tlog/internal.h"

static uint64_t hashes_at(uint64_t size, unsigned level)
{
    return level >= 8 ? 0 : size >> (8 * level);
}

unsigned tlog_tile_width(uint64_t size, unsigned level, uint64_t n)
{
    uint64_t count = hashes_at(size, level), full = count >> 8;
    if (n < full)
        return TLOG_TILE_WIDTH;
    return n == full ? (unsigned)(count & 255) : 0;
}

uint64_t tlog_tile_count(uint64_t size, unsigned level)
{
    uint64_t count = hashes_at(size, level);
    return (count >> 8) + ((count & 255) != 0);
}

size_t tlog_tile_path(char *buf, size_t cap, unsigned level, uint64_t n, unsigned width)
{
    if ((level > 63 && level != TLOG_ENTRIES) || width == 0 || width > TLOG_TILE_WIDTH)
        return 0;
    struct tlog_wr w = {buf, cap, 0};
    tlog_put_str(&w, "tile/");
    if (level == TLOG_ENTRIES)
        tlog_put_str(&w, "entries");
    else
        tlog_put_dec(&w, level);
    unsigned groups[7], ng = 0;
    do
        groups[ng++] = (unsigned)(n % 1000);
    while ((n /= 1000) != 0);
    while (ng) {
        unsigned g = groups[--ng];
        tlog_put(&w, '/');
        if (ng)
            tlog_put(&w, 'x');
        tlog_put(&w, (char)('0' + g / 100));
        tlog_put(&w, (char)('0' + g / 10 % 10));
        tlog_put(&w, (char)('0' + g % 10));
    }
    if (width < TLOG_TILE_WIDTH) {
        tlog_put_str(&w, ".p/");
        tlog_put_dec(&w, width);
    }
    if (w.len >= cap)
        return 0;
    buf[w.len] = 0;
    return w.len;
}

static bool digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* A decimal in [lo, hi] with no leading zeros, from s[*i]. */
static bool take_dec(const char *s, size_t len, size_t *i, uint64_t lo, uint64_t hi,
                     uint64_t *out)
{
    size_t start = *i;
    uint64_t v = 0;
    while (*i < len && digit(s[*i]) && *i - start < 4)
        v = v * 10 + (uint64_t)(s[(*i)++] - '0');
    size_t nd = *i - start;
    if (nd == 0 || (nd > 1 && s[start] == '0') || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int tlog_tile_path_parse(const char *s, size_t len, unsigned *level, uint64_t *n,
                         unsigned *width)
{
    static const char pre[] = "tile/", ent[] = "entries";
    size_t i = 0;
    for (; pre[i]; i++)
        if (i >= len || s[i] != pre[i])
            return TLOG_E_SYNTAX;
    uint64_t v;
    if (i < len && s[i] == 'e') {
        for (size_t j = 0; ent[j]; j++, i++)
            if (i >= len || s[i] != ent[j])
                return TLOG_E_SYNTAX;
        *level = TLOG_ENTRIES;
    } else {
        if (!take_dec(s, len, &i, 0, 63, &v))
            return TLOG_E_SYNTAX;
        *level = (unsigned)v;
    }
    uint64_t acc = 0;
    for (unsigned g = 0;; g++) {
        if (g == 7 || i >= len || s[i++] != '/')
            return TLOG_E_SYNTAX;
        bool x = i < len && s[i] == 'x';
        i += x;
        if (len - i < 3 || !digit(s[i]) || !digit(s[i + 1]) || !digit(s[i + 2]))
            return TLOG_E_SYNTAX;
        unsigned d = (unsigned)((s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0'));
        i += 3;
        if (g == 0 && x && d == 0) /* a leading zero group is not canonical */
            return TLOG_E_SYNTAX;
        if (acc > (UINT64_MAX - d) / 1000)
            return TLOG_E_RANGE;
        acc = acc * 1000 + d;
        if (!x)
            break;
    }
    *n = acc;
    *width = TLOG_TILE_WIDTH;
    if (i == len)
        return TLOG_OK;
    if (len - i < 3 || s[i] != '.' || s[i + 1] != 'p' || s[i + 2] != '/')
        return TLOG_E_SYNTAX;
    i += 3;
    if (!take_dec(s, len, &i, 1, 255, &v) || i != len)
        return TLOG_E_SYNTAX;
    *width = (unsigned)v;
    return TLOG_OK;
}

int tlog_tile_node(const struct tlog_crypto *c, const uint8_t *tile, unsigned width, unsigned h,
                   uint64_t i, uint8_t out[32])
{
    if (h > TLOG_TILE_HEIGHT || width > TLOG_TILE_WIDTH || i >= TLOG_TILE_WIDTH ||
        ((i + 1) << h) > width)
        return TLOG_E_RANGE;
    if (h == 0) {
        for (int k = 0; k < 32; k++)
            out[k] = tile[i * 32 + (unsigned)k];
        return TLOG_OK;
    }
    uint8_t l[32], r[32];
    tlog_tile_node(c, tile, width, h - 1, 2 * i, l);
    tlog_tile_node(c, tile, width, h - 1, 2 * i + 1, r);
    tlog_node_hash(c, out, l, r);
    return TLOG_OK;
}

int tlog_tiles_read(void *arg, unsigned height, uint64_t index, uint8_t out[32])
{
    struct tlog_tiles *t = arg;
    unsigned level = height / TLOG_TILE_HEIGHT, h = height % TLOG_TILE_HEIGHT;
    if (level > 7 || (h && index >> (64 - h)))
        return t->err = TLOG_E_RANGE;
    uint64_t first = index << h, n = first >> 8;
    unsigned width = tlog_tile_width(t->size, level, n);
    uint64_t in = (first & 255) >> h;
    if (width == 0 || ((in + 1) << h) > width)
        return t->err = TLOG_E_RANGE;
    const uint8_t *data;
    size_t len;
    if (t->read_tile(t->arg, level, n, width, &data, &len))
        return t->err = TLOG_E_READ;
    if (len != (size_t)width * TLOG_HASH)
        return t->err = TLOG_E_TILE;
    return t->err = tlog_tile_node(t->crypto, data, width, h, in, out);
}
