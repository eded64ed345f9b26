/*
 * logd: the log service (schema/log.capnp).
 *
 * Records live in a bounded ring (user/services/logd/store.h) of at most
 * LS_MAX_CAP entries; when it is full the oldest is dropped, so a flood
 * costs old history, never memory or the service. Each record keeps its
 * level, the source, at most LS_TEXT bytes of text (longer text is cut),
 * a sequence number (1, 2, ... without gaps, so a reader sees drops as a
 * jump), the time of arrival and the time of the event (the writer's
 * eventTime if it gave one not in the future, else the arrival; both
 * v_clock, as nanoseconds since boot).
 *
 * The ring lives in the frame "store" when init gives one: init keeps
 * that frame and hands it to every new instance, so records survive a
 * restart of logd. What a predecessor left there is validated before it
 * is believed (it may have been killed mid-append, or worse); damage is
 * dropped and reported in the log's first record. Without a store the
 * ring is in this instance's memory.
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
#include <stdio.h>
#include <string.h>

#include "ipc.h"
#include "rt.h"
#include "schema/log.capnp.h"
#include "store.h"

#define LOG_PAGE 64
#define STORE_VA 0x0000000060000000ull   /* where the store frame is mapped */

static struct logstore st;

static uint64_t now_ns(void) { return v_clock().val * 1000; }

/* An event time is the writer's claim: one in the future is not kept. */
static uint64_t append(unsigned level, const char *source, const char *text, size_t len,
                       uint64_t event)
{
    uint64_t now = now_ns();
    return ls_append(&st, level, source, strnlen(source, IPC_NAME - 1), text, len, now,
                     event <= now ? event : 0);
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
    uint64_t seq = append(level, c->peer, t.str, t.len, Log_Record_eventTime(r));
    uint8_t buf[32];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Log_append_Results_set_sequence(Log_append_Results_build_root(&b), seq);
    ipc_reply_built(c, Log_method_append, m->hdr.id, &b);
}

static size_t words(size_t bytes) { return (bytes + 7) / 8; }

/* Bytes a record adds to a reply: its struct, and its two texts. */
static size_t record_bytes(const struct ls_record *r)
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
    uint32_t count = ls_count(&st);
    for (; i < count; i++) {
        const struct ls_record *r = ls_nth(&st, i);
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
    if (i == count && count && ls_nth(&st, count - 1)->seq > next)
        next = ls_nth(&st, count - 1)->seq;   /* looked at everything: skip the rest */

    static uint8_t buf[IPC_PAYLOAD_MAX];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Log_query_Results_B res = Log_query_Results_build_root(&b);
    Log_Record_BList list = Log_query_Results_init_records(res, n);
    for (unsigned k = 0; k < n; k++) {
        const struct ls_record *r = ls_nth(&st, pick[k]);
        Log_Record_B o = Log_Record_BList_get(list, k);
        Log_Record_set_level(o, (enum Log_Level)r->level);
        Log_Record_set_source(o, r->source, r->srclen);
        Log_Record_set_text(o, r->text, r->len);
        Log_Record_set_sequence(o, r->seq);
        Log_Record_set_timestamp(o, r->ts);
        Log_Record_set_eventTime(o, r->event ? r->event : r->ts);
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

/* The store: the frame "store" if init gave one (it outlives this
 * instance: what a predecessor wrote is validated and kept), else memory
 * that lives as long as this instance. */
static void open_store(void)
{
    static uint64_t local[(sizeof(struct ls_header) + LS_MAX_CAP * sizeof(struct ls_record)) / 8];
    v_handle f = rt_cap("store");
    struct v_capinfo ci;
    const char *why = "";
    enum ls_state s = LS_TOO_SMALL;
    bool mapped = f && v_cap_info(f, (uint64_t)&ci).val == V_TYPE_FRAME &&
                  !v_as_map(rt_aspace(), f, STORE_VA, V_R_READ | V_R_WRITE).err;
    if (mapped)
        s = ls_adopt(&st, (void *)STORE_VA, ci.size, &why);
    if (s == LS_TOO_SMALL)
        ls_adopt(&st, local, sizeof local, &why);
    char line[160];
    int n;
    unsigned level = Log_Level_info;
    switch (s) {
    case LS_FRESH:
        n = snprintf(line, sizeof line, "log service started (new store: %u records)", st.cap);
        break;
    case LS_ADOPTED:
        n = snprintf(line, sizeof line, "log service restarted: kept %u records of its store",
                     ls_count(&st));
        break;
    case LS_DAMAGED:
    case LS_RESET:
        level = Log_Level_warn;
        n = snprintf(line, sizeof line, "log store damaged (%s): %s", why,
                     s == LS_RESET ? "reset" : "kept only the records after the damage");
        break;
    default:
        n = snprintf(line, sizeof line, "log service started (no store: %u records in memory)",
                     st.cap);
        break;
    }
    append(level, "logd", line, (size_t)n, 0);
}

int main(void)
{
    static struct ipc_server srv;
    v_handle listen = rt_cap("listen");
    if (!listen || ipc_server_init(&srv, listen))
        return 2;
    open_store();
    ipc_serve_methods(&srv, methods, V_TIMEOUT_NEVER);
    return 0;
}
