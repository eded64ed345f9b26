/*
 * store.h: logd's record store, a ring of fixed-size records in memory
 * that may outlive logd (a frame init keeps and hands to every new logd
 * instance; docs/DECISIONS.md "Log records survive a logd restart").
 *
 * Layout (little-endian; docs/DECISIONS.md says why):
 *   header, 64 bytes:
 *     0  u64 magic "LOGSTOR1"     8  u32 version (1)   12  u32 record size (256)
 *    16  u32 capacity (records)  20  u32 0             24  u64 next_seq
 *    32  32 bytes 0
 *     next_seq is the commit point: records below it were written whole.
 *   then capacity records of 256 bytes; record seq is in slot (seq - 1) % cap:
 *     0  u64 seq (0: never written)   8  u64 arrival ns   16  u64 event ns
 *    24  u32 FNV-1a-32 of the 256 bytes with this field 0
 *    28  u8 level   29  u8 source length (< 24)   30  u16 text length (<= 200)
 *    32  24 bytes source   56  200 bytes text   (unused bytes 0)
 *
 * Invariants: the records held are exactly seq first .. next_seq - 1,
 * each in its slot with that seq and a checksum that matches. An append
 * writes the whole record into the next slot and only then advances
 * next_seq (a release store), so a writer killed at any instruction
 * leaves at most its own slot torn: the oldest record when the ring is
 * full, which adoption then drops. Anything else that fails validation
 * (a bad header, a record out of place or with a wrong checksum, a level
 * or length out of range) is damage: ls_adopt keeps only the valid records
 * newer than the damage, or resets the store, and says which in *why.
 * Nothing outside [first, next_seq) is ever read, so stale slots are
 * harmless.
 *
 * Pure logic (string.h only): compiled into logd and into
 * tests/host/test_logstore.c.
 */
#ifndef LOGD_STORE_H
#define LOGD_STORE_H

#include <stddef.h>
#include <stdint.h>

#define LS_MAGIC 0x31524f5453474f4cull   /* "LOGSTOR1" */
#define LS_VERSION 1
#define LS_SOURCE 24                      /* IPC_NAME: a source and its NUL */
#define LS_TEXT 200
#define LS_MAX_CAP 256                    /* records kept at most */

struct ls_header {
    uint64_t magic;
    uint32_t version, rec_size;
    uint32_t cap, reserved;
    uint64_t next_seq;
    uint64_t pad[4];
};

struct ls_record {
    uint64_t seq;                 /* 0: never written */
    uint64_t ts;                  /* arrival, ns since boot */
    uint64_t event;               /* when it happened, ns since boot (0: at arrival) */
    uint32_t sum;                 /* FNV-1a of the record with sum = 0 */
    uint8_t level;                /* Log.Level */
    uint8_t srclen;               /* < LS_SOURCE */
    uint16_t len;                 /* <= LS_TEXT */
    char source[LS_SOURCE];
    char text[LS_TEXT];
};

struct logstore {
    struct ls_header *h;
    struct ls_record *rec;
    uint32_t cap;
    uint64_t first;               /* oldest seq held (== h->next_seq: none) */
};

enum ls_state {
    LS_FRESH,       /* an empty (all-zero) area: a new store */
    LS_ADOPTED,     /* a valid store: every record kept (but a torn append) */
    LS_DAMAGED,     /* a valid header, damaged records: the newer valid ones kept */
    LS_RESET,       /* a bad header: everything dropped, a new store */
    LS_TOO_SMALL,   /* not even a header and one record: unusable */
};

/* Take over the area mem (bytes long, 8-aligned): validate what is there
 * and make s describe it. *why (if the result is not FRESH/ADOPTED) names
 * the damage found, for a log record. */
enum ls_state ls_adopt(struct logstore *s, void *mem, size_t bytes, const char **why);

/* Append a record (source and text cut to fit); returns its seq. */
uint64_t ls_append(struct logstore *s, unsigned level, const char *source, size_t srclen,
                   const char *text, size_t len, uint64_t ts, uint64_t event);

/* Records held, and the i-th oldest (i < ls_count). */
uint32_t ls_count(const struct logstore *s);
const struct ls_record *ls_nth(const struct logstore *s, uint32_t i);

#endif
