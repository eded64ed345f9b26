/*
 * store.c: see store.h.
 */
#include "store.h"

#include <string.h>

_Static_assert(sizeof(struct ls_header) == 64, "the header is 64 bytes");
_Static_assert(sizeof(struct ls_record) == 256, "a record is 256 bytes");

static uint32_t record_sum(const struct ls_record *r)
{
    struct ls_record c = *r;
    c.sum = 0;
    uint32_t h = 2166136261u;
    const uint8_t *p = (const uint8_t *)&c;
    for (size_t i = 0; i < sizeof c; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static struct ls_record *slot(const struct logstore *s, uint64_t seq)
{
    return &s->rec[(seq - 1) % s->cap];
}

static int record_ok(const struct logstore *s, uint64_t seq)
{
    const struct ls_record *r = slot(s, seq);
    return r->seq == seq && r->level <= 5 && r->srclen < LS_SOURCE && r->len <= LS_TEXT &&
           r->sum == record_sum(r);
}

static void init_header(struct logstore *s)
{
    memset(s->h, 0, sizeof *s->h);
    s->h->magic = LS_MAGIC;
    s->h->version = LS_VERSION;
    s->h->rec_size = sizeof(struct ls_record);
    s->h->cap = s->cap;
    s->h->next_seq = s->first = 1;
}

enum ls_state ls_adopt(struct logstore *s, void *mem, size_t bytes, const char **why)
{
    static const struct ls_header zero;
    *why = "";
    if (bytes < sizeof(struct ls_header) + sizeof(struct ls_record)) {
        *why = "smaller than a header and one record";
        return LS_TOO_SMALL;
    }
    size_t fit = (bytes - sizeof(struct ls_header)) / sizeof(struct ls_record);
    s->h = mem;
    s->rec = (struct ls_record *)(s->h + 1);
    s->cap = (uint32_t)(fit < LS_MAX_CAP ? fit : LS_MAX_CAP);
    if (!memcmp(s->h, &zero, sizeof zero)) {
        init_header(s);
        return LS_FRESH;
    }
    const struct ls_header *h = s->h;
    *why = h->magic != LS_MAGIC                    ? "bad magic"
           : h->version != LS_VERSION              ? "unknown version"
           : h->rec_size != sizeof(struct ls_record) ? "wrong record size"
           : h->cap != s->cap                      ? "wrong capacity"
           : h->next_seq == 0 || h->next_seq > (1ull << 62) ? "sequence out of range"
                                                   : "";
    if (**why) {
        init_header(s);
        return LS_RESET;
    }
    /* Walk back from the newest record while each is whole and in place.
     * The oldest possible slot may be an append torn by a kill (it was
     * being overwritten); losing it is expected, not damage. */
    uint64_t next = h->next_seq, oldest = next > s->cap ? next - s->cap : 1;
    uint64_t seq = next;
    while (seq > oldest && record_ok(s, seq - 1))
        seq--;
    s->first = seq;
    if (seq == oldest || (seq == oldest + 1 && next > s->cap))
        return LS_ADOPTED;
    *why = "a record out of place or with a wrong checksum";
    return LS_DAMAGED;
}

uint64_t ls_append(struct logstore *s, unsigned level, const char *source, size_t srclen,
                   const char *text, size_t len, uint64_t ts, uint64_t event)
{
    uint64_t seq = s->h->next_seq;
    if (seq - s->first == s->cap)
        s->first++;                  /* full: the oldest record goes */
    struct ls_record *r = slot(s, seq);
    memset(r, 0, sizeof *r);
    r->seq = seq;
    r->ts = ts;
    r->event = event;
    r->level = (uint8_t)level;
    r->srclen = (uint8_t)(srclen < LS_SOURCE ? srclen : LS_SOURCE - 1);
    memcpy(r->source, source, r->srclen);
    r->len = (uint16_t)(len < LS_TEXT ? len : LS_TEXT);
    memcpy(r->text, text, r->len);
    r->sum = record_sum(r);
    /* the commit: the record is whole before next_seq says so */
    __atomic_store_n(&s->h->next_seq, seq + 1, __ATOMIC_RELEASE);
    return seq;
}

uint32_t ls_count(const struct logstore *s)
{
    return (uint32_t)(s->h->next_seq - s->first);
}

const struct ls_record *ls_nth(const struct logstore *s, uint32_t i)
{
    return slot(s, s->first + i);
}
