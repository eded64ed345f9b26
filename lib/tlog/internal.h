/*
 * internal.h: lib/tlog's text writer, shared by its files. A writer counts
 * every byte it is given but stores only what fits, so a caller formats
 * once and then checks w.len < w.cap (room for the length it reports, and
 * for the NUL that tlog_tile_path adds).
 */
#ifndef TLOG_INTERNAL_H
#define TLOG_INTERNAL_H

#include "tlog/tlog.h"

struct tlog_wr {
    char *p;
    size_t cap, len;
};

void tlog_put(struct tlog_wr *w, char ch);
void tlog_put_mem(struct tlog_wr *w, const void *s, size_t n);
void tlog_put_str(struct tlog_wr *w, const char *s);
void tlog_put_dec(struct tlog_wr *w, uint64_t v);
void tlog_put_b64(struct tlog_wr *w, const void *in, size_t n);

#endif
