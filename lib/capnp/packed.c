/*
 * capnp/packed.c: the packed encoding (encoding spec, "Packing").
 *
 * Each word becomes a tag byte (bit k set = byte k non-zero) and its
 * non-zero bytes. Tag 0x00 is followed by a count of further all-zero
 * words; tag 0xff by a count of further words copied verbatim. The packer
 * ends a verbatim run at the first word with two or more zero bytes (where
 * packing starts to pay again) or after 255 words.
 *
 * The unpacker produces one word at a time from a small state (pending
 * zero or verbatim words), so it can stop exactly at a message boundary
 * and never writes past the caller's buffer: a run of zeros that claims
 * more room than there is fails with CAPNP_ENOSPACE instead of amplifying.
 */
#include "capnp/internal.h"

static unsigned tag_of(const uint8_t *w)
{
    unsigned tag = 0;
    for (unsigned k = 0; k < 8; k++)
        tag |= (unsigned)(w[k] != 0) << k;
    return tag;
}

static unsigned zeros_in(const uint8_t *w)
{
    unsigned z = 0;
    for (unsigned k = 0; k < 8; k++)
        z += w[k] == 0;
    return z;
}

int capnp_pack(const void *in, size_t in_len, void *out, size_t cap, size_t *len)
{
    const uint8_t *p = in;
    uint8_t *o = out;
    size_t n = in_len / 8, i = 0, at = 0;

    if (in_len % 8)
        return CAPNP_EINVAL;
#define EMIT(byte)                        \
    do {                                  \
        if (at >= cap)                    \
            return CAPNP_ENOSPACE;        \
        o[at++] = (uint8_t)(byte);        \
    } while (0)
    while (i < n) {
        const uint8_t *w = p + i * 8;
        unsigned tag = tag_of(w);
        EMIT(tag);
        for (unsigned k = 0; k < 8; k++)
            if (w[k])
                EMIT(w[k]);
        i++;
        if (tag == 0) {
            unsigned run = 0;
            while (i < n && run < 255 && ld64(p + i * 8) == 0) {
                run++;
                i++;
            }
            EMIT(run);
        } else if (tag == 0xff) {
            size_t first = i;
            unsigned run = 0;
            while (i < n && run < 255 && zeros_in(p + i * 8) <= 1) {
                run++;
                i++;
            }
            EMIT(run);
            if ((size_t)run * 8 > cap - at)
                return CAPNP_ENOSPACE;
            if (run)
                __builtin_memcpy(o + at, p + first * 8, (size_t)run * 8);
            at += (size_t)run * 8;
        }
    }
#undef EMIT
    *len = at;
    return CAPNP_OK;
}

struct unpacker {
    const uint8_t *in;
    size_t len, pos;
    unsigned zeros;         /* all-zero words still owed by a 0x00 tag */
    unsigned verbatim;      /* verbatim words still owed by a 0xff tag */
};

enum { UNPACK_END = -1 };

/* Produces the next word into w: CAPNP_OK, UNPACK_END at the end of input,
 * or CAPNP_EPACKED if the input stops inside a word or run. */
static int next_word(struct unpacker *u, uint8_t *w)
{
    if (u->zeros) {
        __builtin_memset(w, 0, 8);
        u->zeros--;
        return CAPNP_OK;
    }
    if (u->verbatim) {
        if (u->len - u->pos < 8)
            return CAPNP_EPACKED;
        __builtin_memcpy(w, u->in + u->pos, 8);
        u->pos += 8;
        u->verbatim--;
        return CAPNP_OK;
    }
    if (u->pos >= u->len)
        return UNPACK_END;
    unsigned tag = u->in[u->pos++];
    for (unsigned k = 0; k < 8; k++) {
        w[k] = 0;
        if (tag & (1u << k)) {
            if (u->pos >= u->len)
                return CAPNP_EPACKED;
            w[k] = u->in[u->pos++];
        }
    }
    if (tag == 0 || tag == 0xff) {
        if (u->pos >= u->len)
            return CAPNP_EPACKED;
        if (tag == 0)
            u->zeros = u->in[u->pos++];
        else
            u->verbatim = u->in[u->pos++];
    }
    return CAPNP_OK;
}

/* Unpacks words into o[*at..limit) until the limit or the end of input. */
static int unpack_to(struct unpacker *u, uint8_t *o, size_t *at, size_t limit)
{
    while (*at < limit) {
        int r = next_word(u, o + *at * 8);
        if (r == UNPACK_END)
            return UNPACK_END;
        if (r)
            return r;
        (*at)++;
    }
    return CAPNP_OK;
}

int capnp_unpack(const void *in, size_t in_len, void *out, size_t cap, size_t *len)
{
    struct unpacker u = {in, in_len, 0, 0, 0};
    size_t at = 0;
    int r = unpack_to(&u, out, &at, cap / 8);
    if (r == CAPNP_OK) {
        /* Output is full; anything more in the input does not fit. */
        if (u.zeros || u.verbatim || u.pos < u.len)
            return CAPNP_ENOSPACE;
    } else if (r != UNPACK_END) {
        return r;
    }
    *len = at * 8;
    return CAPNP_OK;
}

int capnp_unpack_message(const void *in, size_t in_len, void *out, size_t cap, size_t *len,
                         size_t *used)
{
    struct unpacker u = {in, in_len, 0, 0, 0};
    uint8_t *o = out;
    size_t at = 0, limit = cap / 8;
    int r;

    if (limit < 1)
        return CAPNP_ENOSPACE;
    r = unpack_to(&u, o, &at, 1);
    if (r)
        return r == UNPACK_END ? CAPNP_ETRUNC : r;
    uint64_t nsegs = (uint64_t)ld32(o) + 1;
    uint64_t hdr_words = (4 + 4 * nsegs + 7) / 8;
    if (hdr_words > limit)
        return CAPNP_ENOSPACE;
    r = unpack_to(&u, o, &at, (size_t)hdr_words);
    if (r)
        return r == UNPACK_END ? CAPNP_ETRUNC : r;
    uint64_t total = hdr_words;
    for (uint64_t i = 0; i < nsegs; i++)
        total += ld32(o + 4 + 4 * i);
    if (total > limit)
        return CAPNP_ENOSPACE;
    r = unpack_to(&u, o, &at, (size_t)total);
    if (r)
        return r == UNPACK_END ? CAPNP_ETRUNC : r;
    /* A run may not spill into whatever follows the message. */
    if (u.zeros || u.verbatim)
        return CAPNP_EPACKED;
    *len = at * 8;
    if (used)
        *used = u.pos;
    return CAPNP_OK;
}
