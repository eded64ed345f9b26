/* The console service (user/drivers/serial): writes, line input, hostile clients. */
#include "console.h"
#include "ring/ring.h"
#include "schema/console.capnp.h"
#include "svctest.h"

static struct ipc_msg reply;

static size_t build_write(uint8_t *buf, size_t cap, const void *d, size_t n)
{
    struct capnp_builder b;
    capnp_builder_init(&b, buf, cap);
    Console_write_Params_set_bytes(Console_write_Params_build_root(&b), d, n);
    size_t len;
    capnp_builder_bytes(&b, &len);
    return capnp_builder_error(&b) ? 0 : len;
}

/* Console.write: the reply's kind, or -1 if the call failed; *written. */
static int con_write(struct ipc_conn *c, const void *d, size_t n, uint32_t *written)
{
    uint8_t buf[IPC_PAYLOAD_MAX];
    size_t len = build_write(buf, sizeof buf, d, n);
    if (st_call(c, Console_method_write, buf, (uint32_t)len, &reply, 5000000))
        return -1;
    struct capnp_msg m;
    *written = 0;
    if (reply.hdr.kind == (Console_method_write | IPC_REPLY) &&
        !capnp_msg_init_flat(&m, reply.data, reply.hdr.len))
        *written = Console_write_Results_written(Console_write_Results_read_root(&m));
    return reply.hdr.kind;
}

static size_t build_read(uint8_t *buf, size_t cap, uint32_t max, bool echo)
{
    struct capnp_builder b;
    capnp_builder_init(&b, buf, cap);
    Console_readLine_Params_B p = Console_readLine_Params_build_root(&b);
    Console_readLine_Params_set_maxBytes(p, max);
    Console_readLine_Params_set_echo(p, echo);
    size_t len;
    capnp_builder_bytes(&b, &len);
    return len;
}

/* Decode a readLine reply into status and text. */
static int read_result(const struct ipc_msg *r, char *line, size_t cap)
{
    struct capnp_msg m;
    line[0] = 0;
    if (r->hdr.kind != (Console_method_readLine | IPC_REPLY) ||
        capnp_msg_init_flat(&m, r->data, r->hdr.len))
        return -1;
    Console_readLine_Results_R res = Console_readLine_Results_read_root(&m);
    struct capnp_text t = Console_readLine_Results_line(res);
    int st = Console_readLine_Results_status(res);
    if (capnp_msg_error(&m))
        return -1;
    snprintf(line, cap, "%s", t.str);
    return st;
}

/* readLine on connection c: the status, the line in `line`. */
static int con_read(struct ipc_conn *c, uint32_t max, bool echo, char *line, size_t cap)
{
    uint8_t buf[64];
    size_t len = build_read(buf, sizeof buf, max, echo);
    if (st_call(c, Console_method_readLine, buf, (uint32_t)len, &reply, 20000000))
        return -1;
    return read_result(&reply, line, cap);
}

#define CONNECT(c, as)                                                                  \
    struct ipc_conn c;                                                                  \
    S_IPC(st_connect(SVC_SERIAL, as, &c))

SCASE(CON0001, 0, "write reaches the terminal and replies with the byte count")
{
    CONNECT(c, "con-a");
    const char *s = "console says hello\n";
    uint32_t w;
    S_EQ(con_write(&c, s, strlen(s), &w), Console_method_write | IPC_REPLY);
    S_EQ(w, strlen(s));
    S_EQ(con_write(&c, "", 0, &w), Console_method_write | IPC_REPLY);
    S_EQ(w, 0);
    ipc_detach(&c);
}

SCASE(CON0002, 0, "stdout through rt_console: a 2500-byte line is split into messages and arrives whole")
{
    static char big[2600];
    for (int i = 0; i < 2500; i++)
        big[i] = (char)('0' + i % 10);
    memcpy(big + 2500, "|END\n", 6);
    S_EQ(rt_console_write(big, strlen(big)), (long)strlen(big));
}

SCASE(CON0003, 1, "what if a write's payload is not a message at all?")
{
    CONNECT(c, "con-hostile");
    static const uint8_t junk[][16] = {
        {1, 2, 3},                                   /* not whole words */
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},   /* a far pointer to nowhere */
        {0x03, 0, 0, 0, 0, 0, 0, 0},                 /* a reserved pointer kind */
        {0x01, 0, 0, 0, 0x0f, 0, 0, 0},              /* a list where a struct is expected */
    };
    static const uint32_t lens[] = {3, 8, 8, 8};
    for (unsigned i = 0; i < 4; i++) {
        S_IPC(st_call(&c, Console_method_write, junk[i], lens[i], &reply, 1000000));
        S_EQ(reply.hdr.kind, ERROR_REPLY);
    }
    uint32_t w;
    S_EQ(con_write(&c, "", 0, &w), Console_method_write | IPC_REPLY);
    ipc_detach(&c);
}

SCASE(CON0004, 1, "what if a client calls methods that do not exist, or sends a reply as a request?")
{
    CONNECT(c, "con-hostile");
    static const uint16_t kinds[] = {2, 77, 0x7fff, IPC_CONNECT, IPC_REPLY | 0, IPC_ERROR};
    for (unsigned i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        S_IPC(st_call(&c, kinds[i], 0, 0, &reply, 1000000));
        S_EQ(reply.hdr.kind, ERROR_REPLY);
    }
    ipc_detach(&c);
}

SCASE(CON0005, 1, "what if the bytes' pointer leads outside the message?")
{
    CONNECT(c, "con-hostile");
    uint8_t buf[64];
    size_t len = build_write(buf, sizeof buf, "abcdefgh", 8);
    /* root struct at word 1, its pointer at word 1: a byte list of 8 at word 2 */
    uint32_t w0;
    memcpy(&w0, buf + 8, 4);
    w0 += 40u << 2;             /* push the list's offset past the end */
    memcpy(buf + 8, &w0, 4);
    S_IPC(st_call(&c, Console_method_write, buf, (uint32_t)len, &reply, 1000000));
    S_EQ(reply.hdr.kind, ERROR_REPLY);
    ipc_detach(&c);
}

SCASE(CON0006, 1, "what if a client sends capabilities along with a write? (they are deleted)")
{
    CONNECT(c, "con-hostile");
    uint64_t free0 = st_quiesce();
    struct v_ret f1 = v_retype(T, V_TYPE_FRAME, 0, V_SLOT_ANY);
    struct v_ret f2 = v_retype(T, V_TYPE_FRAME, 0, V_SLOT_ANY);
    S_TRUE(!f1.err && !f2.err);
    v_handle caps[2] = {(v_handle)f1.val, (v_handle)f2.val};
    uint8_t buf[64];
    size_t len = build_write(buf, sizeof buf, "", 0);
    uint64_t id = c.next_id++;
    S_IPC(ipc_send(&c, Console_method_write, id, buf, (uint32_t)len, caps, 2, 1000000));
    S_IPC(ipc_recv(&c, &reply, 1000000));
    S_EQ(reply.hdr.kind, Console_method_write | IPC_REPLY);
    S_EQ(st_settle(free0), free0);   /* the frames went back to the Reticle */
    ipc_detach(&c);
}

/* A request slot written by hand, as a broken or hostile client might. */
static int raw_slot(struct ipc_conn *c, uint32_t len, uint16_t ncaps)
{
    struct ring_slot *slot;
    if (ring_reserve(&c->out, &slot) != RING_OK)
        return -1;
    slot->len = len;
    slot->kind = Console_method_write;
    slot->ncaps = ncaps;
    slot->id = c->next_id++;
    ring_commit(&c->out);
    v_ring_notify(c->tx);
    return 0;
}

SCASE(CON0007, 1, "what if a slot claims more bytes than a slot holds, or capabilities it never sent?")
{
    CONNECT(a, "con-hostile");
    CONNECT(b, "con-hostile");
    CONNECT(good, "con-good");
    S_EQ(raw_slot(&a, 100000, 0), 0);
    S_EQ(raw_slot(&b, 0, 3), 0);
    /* the service closes both connections; the well-behaved one is served */
    S_EQ(ipc_recv(&a, &reply, 2000000), IPC_CLOSED);
    S_EQ(ipc_recv(&b, &reply, 2000000), IPC_CLOSED);
    uint32_t w;
    S_EQ(con_write(&good, "", 0, &w), Console_method_write | IPC_REPLY);
    ipc_detach(&a);
    ipc_detach(&b);
    ipc_detach(&good);
}

SCASE(CON0008, 1, "what if a payload is larger than a message may be? (refused before sending)")
{
    CONNECT(c, "con-hostile");
    static uint8_t big[IPC_PAYLOAD_MAX + 8];
    int st;
    st_send(&c, Console_method_write, big, sizeof big, &st);
    S_EQ(st, IPC_TOOBIG);
    uint32_t w;
    S_EQ(con_write(&c, "", 0, &w), Console_method_write | IPC_REPLY);
    ipc_detach(&c);
}

SCASE(CON0009, 1, "what if four clients flood the console at once? (every write is queued whole, in turn)")
{
    struct ipc_conn c[4];
    char names[4][16];
    for (int k = 0; k < 4; k++) {
        snprintf(names[k], sizeof names[k], "flood%d", k);
        S_IPC(st_connect(SVC_SERIAL, names[k], &c[k]));
    }
    static uint8_t buf[4][IPC_PAYLOAD_MAX];
    size_t len[4];
    uint64_t id[4];
    int st;
    for (int round = 0; round < 10; round++) {
        for (int k = 0; k < 4; k++) {
            char line[960];
            int n = snprintf(line, sizeof line, "flood c%d m%d ", k, round);
            memset(line + n, '.', 900 - (size_t)n);
            line[900] = '\n';
            len[k] = build_write(buf[k], sizeof buf[k], line, 901);
            id[k] = st_send(&c[k], Console_method_write, buf[k], (uint32_t)len[k], &st);
            S_IPC(st);
        }
        for (int k = 0; k < 4; k++) {
            S_IPC(ipc_recv(&c[k], &reply, 5000000));
            S_EQ(reply.hdr.id, id[k]);
            S_EQ(reply.hdr.kind, Console_method_write | IPC_REPLY);
        }
    }
    for (int k = 0; k < 4; k++)
        ipc_detach(&c[k]);
}

SCASE(CON0010, 1, "what if a second client asks for a line while another's readLine is pending? (eof at once)")
{
    CONNECT(a, "con-reader");
    CONNECT(b, "con-other");
    uint8_t buf[64];
    size_t len = build_read(buf, sizeof buf, 64, true);
    int st;
    st_send(&a, Console_method_readLine, buf, (uint32_t)len, &st);
    S_IPC(st);
    char line[64];
    S_EQ(con_read(&b, 64, true, line, sizeof line), Console_Status_eof);
    S_STR(line, "");
    /* a's read is still pending; it goes away with a: the next reader is served (CON0011) */
    S_EQ(ipc_try_recv(&a, &reply), IPC_EMPTY);
    ipc_detach(&a);
    ipc_detach(&b);
}

/* ---- typed input: the scenario types after each INPUT marker ---------- */

static int typed(const char *tag, uint32_t max, bool echo, char *line, size_t cap)
{
    struct ipc_conn c;
    if (st_connect(SVC_SERIAL, "con-typist", &c))
        return -2;
    st_input(tag);
    int st = con_read(&c, max, echo, line, cap);
    ipc_detach(&c);
    return st;
}

SCASE(CON0011, 0, "a typed line arrives after a reader that disconnected mid-call left")
{
    char line[300];
    S_EQ(typed("hello", 256, true, line, sizeof line), Console_Status_ok);
    S_STR(line, "hello world");
}

SCASE(CON0012, 0, "editing keys: backspace, arrows, Ctrl-A/E, delete")
{
    char line[300];
    /* "abc" BS "d" left left "X" Ctrl-E "!" Ctrl-A DEL(ESC[3~) */
    S_EQ(typed("edit", 256, true, line, sizeof line), Console_Status_ok);
    S_STR(line, "Xbd!");
}

SCASE(CON0013, 0, "Ctrl-U deletes to the start of the line")
{
    char line[300];
    S_EQ(typed("ctrlu", 256, true, line, sizeof line), Console_Status_ok);
    S_STR(line, "real");
}

SCASE(CON0014, 0, "the up arrow recalls the previous line")
{
    char line[300];
    S_EQ(typed("history", 256, true, line, sizeof line), Console_Status_ok);
    S_STR(line, "real");
}

SCASE(CON0015, 0, "Ctrl-C abandons the line: status ok, empty line")
{
    char line[300];
    S_EQ(typed("ctrlc", 256, true, line, sizeof line), Console_Status_ok);
    S_STR(line, "");
}

SCASE(CON0016, 0, "a line longer than maxBytes: status tooLong with its start")
{
    char line[300];
    S_EQ(typed("toolong", 4, true, line, sizeof line), Console_Status_tooLong);
    S_STR(line, "abcd");
}

SCASE(CON0017, 0, "echo off: the line arrives and nothing of it is shown")
{
    char line[300];
    S_EQ(typed("noecho", 256, false, line, sizeof line), Console_Status_ok);
    S_TRUE(strcmp(line, "s3cret-word") == 0);  /* S_STR would print it */
}

SCASE(CON0018, 0, "Ctrl-D on an empty line: status eof")
{
    char line[300];
    S_EQ(typed("ctrld", 256, true, line, sizeof line), Console_Status_eof);
}

SCASE(CON0019, 0, "bytes typed before anyone reads are kept for the next readLine")
{
    struct ipc_conn c;
    S_IPC(st_connect(SVC_SERIAL, "con-typist", &c));
    st_input("typeahead");
    st_sleep_ms(500);
    char line[300];
    S_EQ(con_read(&c, 256, true, line, sizeof line), Console_Status_ok);
    S_STR(line, "early");
    ipc_detach(&c);
}

SCASE(CON0020, 1, "what if the terminal sends NULs, high bytes and broken escape sequences?")
{
    /* the rest is swallowed, but bytes >= 0x80 were input the editor
     * dropped: the line is not ok to run (issue 19) */
    char line[300];
    S_EQ(typed("garbage", 256, true, line, sizeof line), Console_Status_notAscii);
    S_STR(line, "ok");
}

SCASE(CON0021, 1, "what if a line is longer than the editor holds? (its 255 bytes, tooLong)")
{
    char line[300];
    S_EQ(typed("overlong", 256, true, line, sizeof line), Console_Status_tooLong);
    S_EQ(strlen(line), 255);
    for (int i = 0; i < 255; i++)
        S_EQ(line[i], 'a');
}

SCASE(CON0022, 0, "rt_console_readline: a prompt without a newline shows, the line comes back")
{
    st_input("rtread");
    printf("name? ");
    char line[64];
    S_EQ(rt_console_readline(line, sizeof line), 5);
    S_STR(line, "vecta");
}

SCASE(CON0023, 0, "output from another client while a line is edited is printed above it")
{
    struct ipc_conn c, w;
    S_IPC(st_connect(SVC_SERIAL, "con-typist", &c));
    S_IPC(st_connect(SVC_SERIAL, "con-writer", &w));
    uint8_t buf[64];
    size_t len = build_read(buf, sizeof buf, 256, true);
    int st;
    st_input("interleave");
    printf("edit> ");
    fflush(stdout);
    st_send(&c, Console_method_readLine, buf, (uint32_t)len, &st);
    S_IPC(st);
    st_sleep_ms(300);           /* the scenario types "half" */
    uint32_t wr;
    const char *msg = "a message from elsewhere\n";
    S_EQ(con_write(&w, msg, strlen(msg), &wr), Console_method_write | IPC_REPLY);
    st_input("interleave2");    /* the scenario finishes the line */
    S_IPC(ipc_recv(&c, &reply, 20000000));
    char line[64];
    S_EQ(read_result(&reply, line, sizeof line), Console_Status_ok);
    S_STR(line, "half-done");
    ipc_detach(&c);
    ipc_detach(&w);
}

SCASE(CON0024, 1, "what if 3000 bytes arrive while nobody reads? (the driver pauses the UART; nothing after is lost)")
{
    struct ipc_conn c;
    S_IPC(st_connect(SVC_SERIAL, "con-typist", &c));
    st_input("paste");
    st_sleep_ms(1500);          /* the scenario pastes 3000 x's, Enter, "tail", Enter */
    char line[300];
    S_EQ(con_read(&c, 256, true, line, sizeof line), Console_Status_tooLong);
    S_EQ(strlen(line), 255);
    S_EQ(con_read(&c, 256, true, line, sizeof line), Console_Status_ok);
    S_STR(line, "tail");
    ipc_detach(&c);
}
