/* The log service (user/services/logd) and rt_log. */
#include "logc.h"
#include "schema/log.capnp.h"
#include "svctest.h"

static struct ipc_msg reply;

/* Log.append: the sequence, 0 for an error reply, -1 if the call failed. */
static long long append_full(struct ipc_conn *c, int level, const char *claimed_source,
                             const char *text, size_t len, uint64_t event)
{
    uint8_t buf[IPC_PAYLOAD_MAX];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Log_Record_B r = Log_append_Params_init_record(Log_append_Params_build_root(&b));
    Log_Record_set_level(r, (enum Log_Level)level);
    if (claimed_source)
        Log_Record_set_source(r, claimed_source, strlen(claimed_source));
    Log_Record_set_text(r, text, len);
    Log_Record_set_sequence(r, 999999);   /* ignored by the service */
    Log_Record_set_eventTime(r, event);
    size_t n;
    const uint8_t *p = capnp_builder_bytes(&b, &n);
    if (capnp_builder_error(&b) || st_call(c, Log_method_append, p, (uint32_t)n, &reply, 2000000))
        return -1;
    if (reply.hdr.kind != (Log_method_append | IPC_REPLY))
        return 0;
    struct capnp_msg m;
    if (capnp_msg_init_flat(&m, reply.data, reply.hdr.len))
        return -1;
    return (long long)Log_append_Results_sequence(Log_append_Results_read_root(&m));
}

static long long append_as(struct ipc_conn *c, int level, const char *claimed_source,
                           const char *text, size_t len)
{
    return append_full(c, level, claimed_source, text, len, 0);
}

static long long append(struct ipc_conn *c, int level, const char *text)
{
    return append_as(c, level, 0, text, strlen(text));
}

struct qrec {
    uint64_t seq, ts, ev;
    int level;
    char source[32];
    char text[256];
};
static struct qrec got[80];

/* Log.query: records into got[], the count (or -1), *next. */
static int query(struct ipc_conn *c, int min, const char *source, uint64_t after, uint32_t limit,
                 uint64_t *next)
{
    uint8_t buf[128];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Log_query_Params_B q = Log_query_Params_build_root(&b);
    Log_query_Params_set_minLevel(q, (enum Log_Level)min);
    Log_query_Params_set_source(q, source, strlen(source));
    Log_query_Params_set_after(q, after);
    Log_query_Params_set_limit(q, limit);
    size_t n;
    const uint8_t *p = capnp_builder_bytes(&b, &n);
    if (st_call(c, Log_method_query, p, (uint32_t)n, &reply, 2000000) ||
        reply.hdr.kind != (Log_method_query | IPC_REPLY))
        return -1;
    struct capnp_msg m;
    if (capnp_msg_init_flat(&m, reply.data, reply.hdr.len))
        return -1;
    Log_query_Results_R r = Log_query_Results_read_root(&m);
    Log_Record_RList l = Log_query_Results_records(r);
    uint32_t k = Log_Record_RList_len(l);
    if (k > 80)
        return -1;
    for (uint32_t i = 0; i < k; i++) {
        Log_Record_R e = Log_Record_RList_get(l, i);
        got[i].seq = Log_Record_sequence(e);
        got[i].ts = Log_Record_timestamp(e);
        got[i].ev = Log_Record_eventTime(e);
        got[i].level = Log_Record_level(e);
        snprintf(got[i].source, sizeof got[i].source, "%s", Log_Record_source(e).str);
        snprintf(got[i].text, sizeof got[i].text, "%s", Log_Record_text(e).str);
    }
    *next = Log_query_Results_next(r);
    return capnp_msg_error(&m) ? -1 : (int)k;
}

#define CONNECT(c, as)                                                                  \
    struct ipc_conn c;                                                                  \
    S_IPC(st_connect(SVC_LOG, as, &c))

SCASE(LOG0001, 0, "append returns sequence numbers one apart, stamped with the time")
{
    CONNECT(c, "log-a");
    long long s1 = append(&c, Log_Level_info, "first");
    long long s2 = append(&c, Log_Level_warn, "second");
    S_TRUE(s1 > 0);
    S_EQ(s2, s1 + 1);
    uint64_t next;
    S_EQ(query(&c, 0, "log-a", (uint64_t)s1 - 1, 10, &next), 2);
    S_STR(got[0].text, "first");
    S_EQ(got[1].level, Log_Level_warn);
    S_TRUE(got[0].ts > 0 && got[0].ts <= v_clock().val * 1000);
    S_EQ(next, s2);
    ipc_detach(&c);
}

SCASE(LOG0002, 1, "what if a client claims another source? (the service names it by its connection)")
{
    CONNECT(c, "log-liar");
    long long s = append_as(&c, Log_Level_error, "init", "I am init", 9);
    S_TRUE(s > 0);
    uint64_t next;
    S_EQ(query(&c, 0, "", (uint64_t)s - 1, 1, &next), 1);
    S_STR(got[0].source, "log-liar");
    S_EQ(query(&c, 0, "init", (uint64_t)s - 1, 10, &next), 0);
    ipc_detach(&c);
}

SCASE(LOG0003, 0, "query filters by source and minimum level")
{
    CONNECT(a, "log-fa");
    CONNECT(b, "log-fb");
    long long first = append(&a, Log_Level_debug, "a-debug");
    append(&b, Log_Level_info, "b-info");
    append(&a, Log_Level_error, "a-error");
    append(&b, Log_Level_fatal, "b-fatal");
    uint64_t next, after = (uint64_t)first - 1;
    S_EQ(query(&a, Log_Level_trace, "log-fa", after, 64, &next), 2);
    S_STR(got[1].text, "a-error");
    S_EQ(query(&a, Log_Level_error, "", after, 64, &next), 2);
    S_STR(got[0].text, "a-error");
    S_STR(got[1].text, "b-fatal");
    S_EQ(query(&a, Log_Level_info, "log-fb", after, 64, &next), 2);
    S_EQ(query(&a, Log_Level_fatal, "log-fa", after, 64, &next), 0);
    S_EQ(query(&a, 0, "no-such-source-of-any-kind-at-all", after, 64, &next), 0);
    ipc_detach(&a);
    ipc_detach(&b);
}

SCASE(LOG0004, 0, "paging with after/next and a limit walks every record once, in order")
{
    CONNECT(c, "log-pager");
    long long first = append(&c, Log_Level_info, "p0");
    for (int i = 1; i < 10; i++) {
        char t[8];
        snprintf(t, sizeof t, "p%d", i);
        append(&c, Log_Level_info, t);
    }
    uint64_t after = (uint64_t)first - 1, next;
    int seen = 0;
    for (int page = 0; page < 10; page++) {
        int n = query(&c, 0, "log-pager", after, 3, &next);
        S_TRUE(n >= 0 && n <= 3);
        if (n == 0)
            break;
        for (int i = 0; i < n; i++) {
            char t[8];
            snprintf(t, sizeof t, "p%d", seen++);
            S_STR(got[i].text, t);
        }
        S_TRUE(next > after);
        after = next;
    }
    S_EQ(seen, 10);
    ipc_detach(&c);
}

SCASE(LOG0005, 0, "a query reply never outgrows one message: big records come a few per page")
{
    CONNECT(c, "log-big");
    char text[201];
    memset(text, 'x', 200);
    text[200] = 0;
    long long first = append(&c, Log_Level_info, text);
    for (int i = 1; i < 20; i++)
        append(&c, Log_Level_info, text);
    uint64_t after = (uint64_t)first - 1, next;
    int total = 0, pages = 0;
    for (; pages < 30; pages++) {
        int n = query(&c, 0, "log-big", after, 64, &next);
        S_TRUE(n >= 0);
        if (n == 0)
            break;
        S_TRUE(n < 20);
        S_EQ(strlen(got[0].text), 200);
        total += n;
        after = next;
    }
    S_EQ(total, 20);
    S_TRUE(pages > 1);
    ipc_detach(&c);
}

SCASE(LOG0006, 1, "what if a record's text is longer than the service keeps, or holds control bytes?")
{
    CONNECT(c, "log-long");
    static char text[900];
    memset(text, 'y', sizeof text);
    text[0] = '\x1b';
    text[1] = 0x07;
    long long s = append_as(&c, Log_Level_info, 0, text, sizeof text);
    S_TRUE(s > 0);
    uint64_t next;
    S_EQ(query(&c, 0, "log-long", (uint64_t)s - 1, 1, &next), 1);
    S_EQ(strlen(got[0].text), 200);
    S_EQ(got[0].text[0], '\x1b');
    ipc_detach(&c);
}

SCASE(LOG0007, 1, "what if a record's level is outside the enum?")
{
    CONNECT(c, "log-hostile");
    S_EQ(append(&c, 6, "bad level"), 0);
    S_EQ(append(&c, 0xffff, "bad level"), 0);
    S_TRUE(append(&c, Log_Level_fatal, "good level") > 0);
    ipc_detach(&c);
}

SCASE(LOG0008, 1, "what if payloads are garbage, empty, or for methods that do not exist?")
{
    CONNECT(c, "log-hostile");
    static const uint8_t junk[] = {0xfd, 0xff, 0xff, 0xff, 0x10, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    S_IPC(st_call(&c, Log_method_append, junk, sizeof junk, &reply, 1000000));
    S_EQ(reply.hdr.kind, ERROR_REPLY);
    S_IPC(st_call(&c, Log_method_query, junk, 5, &reply, 1000000));
    S_EQ(reply.hdr.kind, ERROR_REPLY);
    S_IPC(st_call(&c, 9, 0, 0, &reply, 1000000));
    S_EQ(reply.hdr.kind, ERROR_REPLY);
    /* an empty payload is a message of defaults: an empty info record, a default query */
    S_IPC(st_call(&c, Log_method_append, 0, 0, &reply, 1000000));
    S_EQ(reply.hdr.kind, Log_method_append | IPC_REPLY);
    S_IPC(st_call(&c, Log_method_query, 0, 0, &reply, 1000000));
    S_EQ(reply.hdr.kind, Log_method_query | IPC_REPLY);
    ipc_detach(&c);
}

SCASE(LOG0009, 1, "what if a client floods the log? (the oldest records go, the service stays)")
{
    CONNECT(c, "log-flood");
    long long first = append(&c, Log_Level_info, "flood 0"), last = first;
    for (int i = 1; i < 600; i++)
        last = append(&c, Log_Level_info, "flood");
    S_EQ(last, first + 599);
    uint64_t next;
    int n = query(&c, 0, "", 0, 1, &next);
    S_EQ(n, 1);
    S_EQ(got[0].seq, last - 255);    /* 256 kept */
    S_EQ(query(&c, 0, "", (uint64_t)last, 64, &next), 0);
    S_EQ(next, last);
    ipc_detach(&c);
}

SCASE(LOG0000, 0, "services log through rt_log under the names they were introduced by")
{
    CONNECT(c, "log-reader");
    uint64_t next;
    S_EQ(query(&c, 0, "serial", 0, 64, &next), 1);
    S_STR(got[0].text, "COM1 taken over, IRQ 4");
    S_EQ(got[0].level, Log_Level_info);
    S_EQ(query(&c, 0, "timer", 0, 64, &next), 1);
    S_STR(got[0].text, "timer service started");
    S_EQ(query(&c, 0, "logd", 0, 64, &next), 1);
    S_EQ(got[0].seq, 1);
    ipc_detach(&c);
}

SCASE(LOG0010, 0, "querying after the newest record returns nothing, and next stays")
{
    CONNECT(c, "log-reader");
    long long s = append(&c, Log_Level_info, "newest");
    uint64_t next;
    S_EQ(query(&c, 0, "", (uint64_t)s, 64, &next), 0);
    S_EQ(next, s);
    S_EQ(query(&c, 0, "", (uint64_t)s + 1000, 64, &next), 0);
    S_EQ(next, s + 1000);
    ipc_detach(&c);
}

SCASE(LOG0011, 1, "what if a Task without a log connection calls rt_log? (nothing, silently)")
{
    S_EQ(rt_log(RT_LOG_ERROR, "nobody hears this %d", 42), IPC_CLOSED);
    S_EQ(rt_log(RT_LOG_INFO, "%s", "nor this"), IPC_CLOSED);
}

SCASE(LOG0012, 1, "what if a record claims when its event happened? (kept if past, else the arrival)")
{
    CONNECT(c, "log-ev");
    uint64_t now = v_clock().val * 1000;
    long long s1 = append_full(&c, Log_Level_info, 0, "earlier", 7, 5000);
    long long s2 = append_full(&c, Log_Level_info, 0, "future", 6, now + 3600000000000ull);
    long long s3 = append(&c, Log_Level_info, "now");
    S_TRUE(s1 > 0 && s2 == s1 + 1 && s3 == s2 + 1);
    uint64_t next;
    S_EQ(query(&c, 0, "log-ev", (uint64_t)s1 - 1, 10, &next), 3);
    S_EQ(got[0].ev, 5000);
    S_TRUE(got[0].ts >= now);
    S_EQ(got[1].ev, got[1].ts);         /* a future claim is not believed */
    S_EQ(got[2].ev, got[2].ts);         /* none given: the arrival */
    ipc_detach(&c);
}

/* ---- the store (user/services/logd/store.h) ---------------------------------------- */

#define STORE_PAGES 17
#define STORE_VA 0x0000000068000000ull   /* our view of the frame */

/* A second logd, on a store frame of ours; a connection to it in c. Its
 * accept Ring (the original, in accept) lives until store_logd_end. */
static v_handle accept;

static int store_logd(v_handle store, struct rt_child *child, struct ipc_conn *c)
{
    struct v_ret r = v_retype(T, V_TYPE_RING_SEND, V_RING_PARAM(3, 6), V_SLOT_ANY);
    struct v_ret f = v_cap_copy(store, V_SLOT_ANY);
    if (r.err || f.err)
        return -1;
    struct rt_bundle_item items[] = {{"listen", V_RING_RECV_END(r.val), true},
                                     {"store", (v_handle)f.val, true}};
    struct rt_spawn_args a = {
        .elf = svcs[SVC_LOG].elf, .elf_len = svcs[SVC_LOG].elf_len, .name = "log2",
        .reticle = T, .memory = 1 << 20, .prio = 10, .table_bits = 8, .items = items,
        .nitems = 2, .give_memory = true,
    };
    v_handle client[2];
    memset(c, 0, sizeof *c);
    accept = (v_handle)r.val;
    if (rt_spawn(&a, child) || ipc_introduce(T, accept, "log-store", client))
        return -1;
    return ipc_attach(c, client[0], client[1]);
}

static int store_logd_end(struct rt_child *child, struct ipc_conn *c)
{
    ipc_detach(c);
    int e = rt_child_destroy(child);
    v_cap_delete(accept);
    return e;
}

SCASE(LOG0013, 1, "what if logd finds its store damaged, or restarts on it? (reset or kept, and said)")
{
    struct v_ret f = v_retype(T, V_TYPE_FRAME, STORE_PAGES, V_SLOT_ANY);
    S_TRUE(!f.err);
    v_handle store = (v_handle)f.val;
    S_TRUE(!v_as_map(rt_aspace(), store, STORE_VA, V_R_READ | V_R_WRITE).err);
    memcpy((void *)STORE_VA, "NOTALOG!", 8);        /* a header that is not one */
    struct rt_child child;
    struct ipc_conn c;
    uint64_t next;

    S_EQ(store_logd(store, &child, &c), 0);
    S_EQ(query(&c, 0, "", 0, 10, &next), 1);
    S_STR(got[0].text, "log store damaged (bad magic): reset");
    S_EQ(got[0].level, Log_Level_warn);
    S_EQ(append(&c, Log_Level_info, "kept across"), 2);
    S_EQ(store_logd_end(&child, &c), 0);

    /* a new instance on the same store: the records are still there */
    S_EQ(store_logd(store, &child, &c), 0);
    S_EQ(query(&c, 0, "", 0, 10, &next), 3);
    S_STR(got[1].text, "kept across");
    S_STR(got[2].text, "log service restarted: kept 2 records of its store");
    S_EQ(store_logd_end(&child, &c), 0);

    /* record 2's text flipped: only what is newer than it stays */
    ((uint8_t *)STORE_VA)[64 + 256 + 40] ^= 1;
    S_EQ(store_logd(store, &child, &c), 0);
    S_EQ(query(&c, 0, "", 0, 10, &next), 2);
    S_EQ(got[0].seq, 3);
    S_STR(got[1].text, "log store damaged (a record out of place or with a wrong checksum): "
                       "kept only the records after the damage");
    S_EQ(store_logd_end(&child, &c), 0);
    v_as_unmap(store);
    v_cap_delete(store);
}
