/*
 * logd: the log service (schema/log.capnp).
 *
 * Records live in a bounded ring of LOG_CAP entries; when it is full the
 * oldest is dropped (and counted), so a flood costs old history, never
 * memory or the service. Each record keeps its level, the source, at
 * most LOG_TEXT bytes of text (longer text is cut), a sequence number
 * (1, 2, ... without gaps, so a reader sees drops as a jump) and the
 * time of arrival (v_clock, as nanoseconds since boot).
 *
 * The source is the name the connection was introduced under (init or
 * the naming service wrote it into the accept message), never what the
 * record claims: a client cannot log in another's name.
 *
 * Queries page through the ring: records with sequence > after, level >=
 * minLevel and source equal to `source` (empty: any), oldest first, at
 * most `limit` (0 or more than LOG_PAGE: LOG_PAGE) and at most what fits
 * one reply message. `next` is the sequence of the last record returned
 * or, when the whole rest of the ring was looked at, the newest sequence
 * (so paging ends). Querying after the newest record returns nothing.
 *
 * Hostile input: a payload that is not a valid message, a level outside
 * the enum, an unknown method or a reply sent as a request gets an
 * IPC_ERROR reply; capabilities sent along are deleted; control bytes in
 * text are stored as they are (readers must sanitize what they print).
 */
#include <string.h>

#include "ipc.h"
#include "rt.h"
#include "schema/log.capnp.h"

#define LOG_CAP 256
#define LOG_TEXT 200
#define LOG_PAGE 64

struct record {
    uint64_t seq, ts;
    uint8_t level;
    uint8_t srclen;
    uint16_t len;
    char source[IPC_NAME];
    char text[LOG_TEXT];
};

static struct record ring[LOG_CAP];
static unsigned head, count;      /* oldest entry, entries held */
static uint64_t next_seq = 1, dropped;

static struct record *nth(unsigned i) { return &ring[(head + i) % LOG_CAP]; }

static uint64_t append(unsigned level, const char *source, const char *text, size_t len)
{
    if (count == LOG_CAP) {
        head = (head + 1) % LOG_CAP;
        count--;
        dropped++;
    }
    struct record *r = nth(count++);
    r->seq = next_seq++;
    r->ts = v_clock().val * 1000;
    r->level = (uint8_t)level;
    size_t sl = strnlen(source, IPC_NAME - 1);
    memcpy(r->source, source, sl);
    r->srclen = (uint8_t)sl;
    r->len = (uint16_t)(len < LOG_TEXT ? len : LOG_TEXT);
    memcpy(r->text, text, r->len);
    return r->seq;
}

/* ---- messages ---------------------------------------------------------- */

static void serve_append(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    Log_Record_R r = Log_append_Params_record(Log_append_Params_read_root(msg));
    enum Log_Level level = Log_Record_level(r);
    struct capnp_text t = Log_Record_text(r);
    if (capnp_msg_error(msg) || (unsigned)level > Log_Level_fatal) {
        ipc_reply_error(c, m->hdr.id);
        return;
    }
    uint64_t seq = append(level, c->peer, t.str, t.len);
    uint8_t buf[32];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Log_append_Results_set_sequence(Log_append_Results_build_root(&b), seq);
    ipc_reply_built(c, Log_method_append, m->hdr.id, &b);
}

static size_t words(size_t bytes) { return (bytes + 7) / 8; }

/* Bytes a record adds to a reply: its struct, and its two texts. */
static size_t record_bytes(const struct record *r)
{
    return 8 * (Log_Record_DATA_WORDS + Log_Record_PTR_COUNT + words(r->srclen + 1u) +
                words(r->len + 1u));
}

static void serve_query(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    Log_query_Params_R p = Log_query_Params_read_root(msg);
    unsigned min = Log_query_Params_minLevel(p);
    struct capnp_text src = Log_query_Params_source(p);
    uint64_t after = Log_query_Params_after(p);
    uint32_t limit = Log_query_Params_limit(p);
    if (capnp_msg_error(msg)) {
        ipc_reply_error(c, m->hdr.id);
        return;
    }
    if (limit == 0 || limit > LOG_PAGE)
        limit = LOG_PAGE;

    /* Choose: the matches after `after` that fit, in order. */
    static uint16_t pick[LOG_PAGE];
    unsigned n = 0;
    size_t used = 8 + 8 * (Log_query_Results_DATA_WORDS + Log_query_Results_PTR_COUNT) + 8;
    uint64_t next = after;
    unsigned i = 0;
    for (; i < count; i++) {
        const struct record *r = nth(i);
        if (r->seq <= after)
            continue;
        if (r->level < min || (src.len && (src.len != r->srclen ||
                                           memcmp(src.str, r->source, src.len))))
            continue;
        if (n == limit || used + record_bytes(r) > IPC_PAYLOAD_MAX)
            break;
        used += record_bytes(r);
        pick[n++] = (uint16_t)i;
        next = r->seq;
    }
    if (i == count && count && nth(count - 1)->seq > next)
        next = nth(count - 1)->seq;   /* looked at everything: skip the rest */

    static uint8_t buf[IPC_PAYLOAD_MAX];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Log_query_Results_B res = Log_query_Results_build_root(&b);
    Log_Record_BList list = Log_query_Results_init_records(res, n);
    for (unsigned k = 0; k < n; k++) {
        const struct record *r = nth(pick[k]);
        Log_Record_B o = Log_Record_BList_get(list, k);
        Log_Record_set_level(o, (enum Log_Level)r->level);
        Log_Record_set_source(o, r->source, r->srclen);
        Log_Record_set_text(o, r->text, r->len);
        Log_Record_set_sequence(o, r->seq);
        Log_Record_set_timestamp(o, r->ts);
    }
    Log_query_Results_set_next(res, next);
    if (capnp_builder_error(&b)) {   /* the size estimate above is exact; never here */
        ipc_reply_error(c, m->hdr.id);
        return;
    }
    ipc_reply_built(c, Log_method_query, m->hdr.id, &b);
}

#define ROW(name) IPC_METHOD(Log, name)
static const struct ipc_method methods[] = {Log_METHODS(ROW) {0, 0, 0}};

int main(void)
{
    static struct ipc_server srv;
    v_handle listen = rt_cap("listen");
    if (!listen || ipc_server_init(&srv, listen))
        return 2;
    append(Log_Level_info, "logd", "log service started", 19);
    ipc_serve_methods(&srv, methods, V_TIMEOUT_NEVER);
    return 0;
}
