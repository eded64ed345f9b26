/*
 * capnp/stream.c: the standard stream framing, written side (the read side
 * is capnp_msg_init_stream in read.c). Layout, all little-endian:
 *   u32 segment count - 1, u32 size of each segment in words,
 *   zero padding to a whole word, then the segments in order.
 */
#include "capnp/internal.h"

int capnp_write_stream(const struct capnp_segment *segs, uint32_t nsegs, void *out,
                       size_t cap, size_t *len)
{
    uint8_t *o = out;
    if (nsegs == 0)
        return CAPNP_EINVAL;
    uint64_t hdr = (4 + 4 * (uint64_t)nsegs + 7) & ~(uint64_t)7;
    uint64_t total = hdr;
    for (uint32_t i = 0; i < nsegs; i++)
        total += (uint64_t)segs[i].words * 8;
    if (total > cap)
        return CAPNP_ENOSPACE;
    st32(o, nsegs - 1);
    for (uint32_t i = 0; i < nsegs; i++)
        st32(o + 4 + 4 * (size_t)i, segs[i].words);
    if ((4 + 4 * (uint64_t)nsegs) % 8)
        st32(o + hdr - 4, 0);
    uint64_t off = hdr;
    for (uint32_t i = 0; i < nsegs; i++) {
        if (segs[i].words)
            __builtin_memcpy(o + off, segs[i].data, (size_t)segs[i].words * 8);
        off += (uint64_t)segs[i].words * 8;
    }
    *len = (size_t)total;
    return CAPNP_OK;
}
