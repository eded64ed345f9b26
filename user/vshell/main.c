/*
 * vshell: the interactive shell. See vshell.h for what it talks to.
 *
 * The loop: print "vectra> ", read a line through the console service
 * (which edits it: history, arrows, Ctrl-C, Ctrl-U, Tab completion of the
 * command names it is given ...), split it into words (split: blanks,
 * quotes, backslashes), run the command. A line the editor had to cut
 * (too long) or drop bytes from (non-ASCII) is refused, never run.
 * Empty lines and Ctrl-C give a new prompt, Ctrl-D too, unknown commands
 * and bad arguments one line of error. The shell exits when its console
 * connection is gone (status 3), so its supervisor can restart it with a
 * fresh one, and on `exit` (status 0: init's "always" policy starts a new
 * shell).
 *
 * Calls skip late replies to earlier calls that timed out, so a slow
 * service cannot desynchronise a connection; a connection the service
 * closed is reopened through the naming root (SYS:svc/<name>) on its
 * next use, if the shell has one. A naming root that closed (its naming
 * service restarted) cannot be reopened through itself: init makes it
 * again (Supervisor.reroot), for roots the shell's manifest entry grants.
 */
#include "vshell.h"

#include <string.h>

#include "console.h"
#include "rt.h"
#include "schema/naming.capnp.h"
#include "schema/supervisor.capnp.h"

#define BACKOFF_BIT 58

static void pause_ms(uint64_t ms)
{
    v_timer_set(BACKOFF_BIT, ms * 1000);
    v_signal_wait(1ull << BACKOFF_BIT, V_TIMEOUT_NEVER);
}

/* ---- connections ------------------------------------------------------- */

#define MAX_CONNS 8
static struct named_conn {
    char name[V_BUNDLE_NAME];
    struct ipc_conn c;
    enum { C_UNTRIED, C_OPEN, C_LOST, C_ABSENT } state;
} conns[MAX_CONNS];

/* *unsent (optional): the request never left (the failure was in sending). */
static int call_raw(struct ipc_conn *c, uint16_t method, const void *p, size_t len,
                    struct ipc_msg *reply, uint64_t timeout_us, bool *unsent)
{
    uint64_t id = c->next_id++;
    int st = ipc_send(c, method, id, p, (uint32_t)len, 0, 0, timeout_us);
    if (unsent)
        *unsent = st != IPC_OK;
    while (!st) {
        if ((st = ipc_recv(c, reply, timeout_us)))
            break;
        if (reply->hdr.id >= id)
            return reply->hdr.id == id && (reply->hdr.kind & IPC_REPLY) ? IPC_OK : IPC_CORRUPT;
        for (unsigned i = 0; i < reply->ncaps; i++)   /* a late reply: skip it */
            v_cap_delete(reply->caps[i]);
    }
    return st;
}

int sh_call_raw(struct ipc_conn *c, uint16_t method, const void *p, size_t len,
                struct ipc_msg *reply, uint64_t timeout_us)
{
    return call_raw(c, method, p, len, reply, timeout_us, 0);
}

static struct named_conn *find_conn(const char *name)
{
    for (unsigned i = 0; i < MAX_CONNS; i++)
        if (conns[i].state != C_UNTRIED && !strcmp(conns[i].name, name))
            return &conns[i];
    for (unsigned i = 0; i < MAX_CONNS; i++)
        if (conns[i].state == C_UNTRIED) {
            strlcpy(conns[i].name, name, sizeof conns[i].name);
            /* given but already closed (its service restarted before the
             * first use): lost, so it is made again through SYS: */
            conns[i].state = ipc_open(name, &conns[i].c) == IPC_OK ? C_OPEN
                             : rt_cap(name)                        ? C_LOST
                                                                   : C_ABSENT;
            return &conns[i];
        }
    return 0;
}

/* Why init would not remake a naming root during this command ("" if it
 * was not asked, or did not say). */
static char lost_why[128];

static bool is_root(const char *name)
{
    size_t n = strlen(name);
    return n > 1 && name[n - 1] == ':';
}

/* Ask over via for a connection, with method's request p (Naming.connect
 * or Supervisor.reroot), and attach n to the two ends the ok reply
 * carries. *via_closed (optional): via was closed before the request went
 * out, so asking again on a new via is safe. */
static bool ask_conn(struct named_conn *via, uint16_t method, const uint8_t *p, size_t len,
                     struct named_conn *n, bool *via_closed)
{
    static struct ipc_msg reply;
    bool unsent;
    int st = call_raw(&via->c, method, p, len, &reply, 2000000, &unsent);
    if (via_closed)
        *via_closed = st == IPC_CLOSED && unsent;
    if (st == IPC_CLOSED || st == IPC_CORRUPT) {
        ipc_detach(&via->c);
        via->state = C_LOST;
    }
    if (st)
        return false;
    struct capnp_msg msg;
    bool ok = reply.hdr.kind == (method | IPC_REPLY) &&
              !capnp_msg_init_flat(&msg, reply.data, reply.hdr.len);
    if (ok && method == Supervisor_method_reroot) {
        Supervisor_reroot_Results_R r = Supervisor_reroot_Results_read_root(&msg);
        struct capnp_text why = Supervisor_reroot_Results_message(r);
        ok = Supervisor_reroot_Results_status(r) == Supervisor_Status_ok;
        if (!ok && why.str)
            snprintf(lost_why, sizeof lost_why, "init: %.*s", (int)why.len, why.str);
    } else if (ok) {
        ok = Naming_connect_Results_status(Naming_connect_Results_read_root(&msg)) ==
             Naming_Status_ok;
    }
    ok = ok && reply.ncaps == 2 && !capnp_msg_error(&msg) &&
         ipc_attach(&n->c, reply.caps[0], reply.caps[1]) == IPC_OK;
    if (!ok)
        for (unsigned i = 0; i < reply.ncaps; i++)
            v_cap_delete(reply.caps[i]);
    if (ok)
        n->state = C_OPEN;
    return ok;
}

/* A lost naming root, made again by init (Supervisor.reroot): its naming
 * service restarted, and only init can connect the shell to the new one. */
static bool reroot(struct named_conn *root)
{
    struct named_conn *init = find_conn("init");
    if (!init || init->state != C_OPEN)
        return false;
    uint8_t buf[64];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Supervisor_reroot_Params_set_name(Supervisor_reroot_Params_build_root(&b), root->name,
                                      strlen(root->name));
    size_t len;
    const uint8_t *p = capnp_builder_bytes(&b, &len);
    return ask_conn(init, Supervisor_method_reroot, p, len, root, 0);
}

/* A lost connection, made again: a root through init, a service through
 * the naming root (SYS:svc/<name>), remaking the root first if it is gone. */
static bool reconnect(struct named_conn *n)
{
    if (is_root(n->name))
        return reroot(n);
    struct named_conn *root = find_conn("SYS:");
    if (!root || (root->state == C_LOST && !reroot(root)) || root->state != C_OPEN)
        return false;
    char path[64];
    snprintf(path, sizeof path, "SYS:svc/%s", n->name);
    uint8_t buf[128];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Naming_connect_Params_set_path(Naming_connect_Params_build_root(&b), path, strlen(path));
    size_t len;
    const uint8_t *p = capnp_builder_bytes(&b, &len);
    bool root_closed;
    if (ask_conn(root, Naming_method_connect, p, len, n, &root_closed))
        return true;
    /* the root died with its naming service and nobody had noticed */
    return root_closed && reroot(root) && ask_conn(root, Naming_method_connect, p, len, n, 0);
}

/* Whether both ends of an open connection still exist. A connection the
 * naming service made is carved from its memory, so its Rings are
 * destroyed (and unmapped) when that service stops or restarts: touching
 * them then would fault the shell, so it must be found lost first. */
static bool ends_exist(const struct ipc_conn *c)
{
    struct v_capinfo info;
    return !v_cap_info(c->tx, (uint64_t)&info).err && !v_cap_info(c->rx, (uint64_t)&info).err;
}

/* The end of a line saying a connection is gone: init's reason, if any. */
static void say_why(void)
{
    if (lost_why[0]) {
        printf(" (");
        sh_clean_str(lost_why, strlen(lost_why), 0);
        printf(")");
    }
    printf("\n");
}

/* The one wording for a connection that is gone and could not be made
 * again (whether found closed before the call or during it). */
static void say_closed(const char *cmd, const char *name)
{
    printf("%s: the connection to %s is closed", cmd, name);
    say_why();
}

struct ipc_conn *sh_conn_any(const char *cmd, const char *name)
{
    struct named_conn *n = find_conn(name);
    if (n && n->state == C_ABSENT && !is_root(name))
        n->state = C_LOST;      /* not in the Bundle: made through SYS:svc/<name> */
    return sh_conn(cmd, name);
}

struct ipc_conn *sh_conn(const char *cmd, const char *name)
{
    struct named_conn *n = find_conn(name);
    if (!n) {
        printf("%s: too many connections\n", cmd);
        return 0;
    }
    lost_why[0] = 0;
    if (n->state == C_OPEN && !ends_exist(&n->c)) {
        ipc_detach(&n->c);
        n->state = C_LOST;
    }
    if (n->state == C_LOST && !reconnect(n)) {
        say_closed(cmd, name);
        return 0;
    }
    if (n->state == C_ABSENT) {
        printf("%s: no connection to %s (the shell was not given one)\n", cmd, name);
        return 0;
    }
    return &n->c;
}

bool sh_call(const char *cmd, const char *conn, uint16_t method, const void *payload,
             size_t len, struct sh_reply *r, uint64_t timeout_us)
{
    struct ipc_conn *c = sh_conn(cmd, conn);
    if (!c)
        return false;
    bool unsent;
    int st = call_raw(c, method, payload, len, &r->m, timeout_us, &unsent);
    if (st == IPC_CLOSED && unsent) {
        /* closed before the request went out (the service restarted):
         * nothing was sent, so asking again on a new connection is safe */
        struct named_conn *n = find_conn(conn);
        ipc_detach(&n->c);
        n->state = C_LOST;
        if (reconnect(n))
            st = call_raw(&n->c, method, payload, len, &r->m, timeout_us, 0);
    }
    if (!st) {
        for (unsigned i = 0; i < r->m.ncaps; i++)
            v_cap_delete(r->m.caps[i]);
        r->m.ncaps = 0;
    }
    if (st == IPC_CLOSED || st == IPC_CORRUPT) {
        struct named_conn *n = find_conn(conn);
        if (n->state == C_OPEN)
            ipc_detach(&n->c);
        n->state = C_LOST;
    }
    if (st == IPC_TIMEOUT) {
        printf("%s: %s did not answer in time\n", cmd, conn);
        return false;
    }
    if (st == IPC_CLOSED) {
        say_closed(cmd, conn);
        return false;
    }
    if (st) {
        printf("%s: %s: %s", cmd, conn, ipc_strerror(st));
        say_why();
        return false;
    }
    if (r->m.hdr.kind == (IPC_ERROR | IPC_REPLY)) {
        printf("%s: %s refused the request\n", cmd, conn);
        return false;
    }
    if (r->m.hdr.kind != (method | IPC_REPLY)) {
        printf("%s: %s answered something else\n", cmd, conn);
        return false;
    }
    if (r->m.hdr.len == 0) {    /* no payload: every field its default */
        memset(r->m.data, 0, 8);
        r->m.hdr.len = 8;
    }
    if (capnp_msg_init_flat(&r->msg, r->m.data, r->m.hdr.len)) {
        printf("%s: malformed reply from %s\n", cmd, conn);
        return false;
    }
    capnp_msg_set_limits(&r->msg, 4 * (r->m.hdr.len / 8) + 64, 8);
    return true;
}

bool sh_call_built(const char *cmd, const char *conn, uint16_t method, struct capnp_builder *b,
                   struct sh_reply *r, uint64_t timeout_us)
{
    size_t len;
    const uint8_t *p = capnp_builder_bytes(b, &len);
    if (capnp_builder_error(b)) {
        printf("%s: arguments too long\n", cmd);
        return false;
    }
    return sh_call(cmd, conn, method, p, len, r, timeout_us);
}

bool sh_reply_ok(const char *cmd, struct sh_reply *r)
{
    if (!capnp_msg_error(&r->msg))
        return true;
    printf("%s: malformed reply (%s)\n", cmd, capnp_errname(capnp_msg_error(&r->msg)));
    return false;
}

/* ---- output helpers ------------------------------------------------------ */

void sh_clean_str(const char *s, size_t len, int width)
{
    char buf[128];
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)s[i];
        buf[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        if (k == sizeof buf) {
            printf("%.*s", (int)k, buf);
            k = 0;
        }
    }
    if (k)
        printf("%.*s", (int)k, buf);
    for (size_t i = len; width > 0 && i < (size_t)width; i++)
        putchar(' ');
}

void sh_clean(struct capnp_text t, int width)
{
    sh_clean_str(t.str ? t.str : "", t.str ? t.len : 0, width);
}

const char *sh_size(uint64_t n, char buf[16])
{
    static const char units[] = "KMGT";
    if (n < 1024) {
        snprintf(buf, 16, "%llu", (unsigned long long)n);
        return buf;
    }
    unsigned u = 0;
    uint64_t scale = 1024;
    while (u < 3 && n >= scale * 1024) {
        scale *= 1024;
        u++;
    }
    uint64_t whole = n / scale, tenth = (n % scale) * 10 / scale;
    snprintf(buf, 16, "%llu.%llu%c", (unsigned long long)whole, (unsigned long long)tenth,
             units[u]);
    return buf;
}

bool sh_number(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && (*s | 32) >= 'a' && (*s | 32) <= 'f')
            d = (unsigned)((*s | 32) - 'a' + 10);
        else
            return false;
        if (v > (~0ull - d) / base)
            return false;       /* overflow */
        v = v * base + d;
    }
    *out = v;
    return true;
}

/* ---- the loop --------------------------------------------------------------- */

/* Splits line into words in place. Blanks separate words; 'single
 * quotes' keep everything up to the next ' as it is; "double quotes" keep
 * blanks, and \" and \\ inside them stand for " and \; outside quotes a
 * backslash keeps the next character as it is. Quotes may touch other
 * text (a'b c'd is one word). The write position never passes the read
 * position, so the words can be rebuilt in the line itself. Returns the
 * number of words, or -1 after saying why there are none. */
static int split(char *line, char **argv)
{
    int argc = 0;
    char *r = line, *w = line;
    for (;;) {
        while (*r == ' ' || *r == '\t')
            r++;
        if (!*r)
            return argc;
        if (argc == SH_MAXARGS) {
            printf("vshell: too many words (at most %d)\n", SH_MAXARGS);
            return -1;
        }
        argv[argc++] = w;
        char q = 0;
        while (*r && (q || (*r != ' ' && *r != '\t'))) {
            char c = *r++;
            if (q == '\'') {
                if (c == '\'')
                    q = 0;
                else
                    *w++ = c;
            } else if (c == '\\' && (!q || *r == '"' || *r == '\\')) {
                if (!*r) {
                    printf("vshell: a backslash ends the line (nothing to quote)\n");
                    return -1;
                }
                *w++ = *r++;
            } else if (q == '"') {
                if (c == '"')
                    q = 0;
                else
                    *w++ = c;
            } else if (c == '\'' || c == '"') {
                q = c;
            } else {
                *w++ = c;
            }
        }
        if (q) {
            printf("vshell: no closing %c quote\n", q);
            return -1;
        }
        char *end = w;
        if (*r)
            r++;
        *end = 0;
        w = end + 1;
    }
}

static void run(char *line)
{
    char *argv[SH_MAXARGS + 1];
    int argc = split(line, argv);
    if (argc <= 0)
        return;
    argv[argc] = 0;
    for (unsigned i = 0; i < sh_ncmds; i++)
        if (!strcmp(argv[0], sh_cmds[i].name)) {
            sh_cmds[i].run(argc, argv);
            return;
        }
    printf("vshell: unknown command '");
    sh_clean_str(argv[0], strlen(argv[0]), 0);
    printf("' (try 'help')\n");
}

bool sh_exiting;

int main(void)
{
    if (rt_console_attach())
        return 2;
    printf("Vectra shell. Type 'help' for the commands.\n");
    static char words[512];
    for (unsigned i = 0, n = 0; i < sh_ncmds; i++)
        n += (size_t)snprintf(words + n, sizeof words - n, "%s ", sh_cmds[i].name);
    rt_console_set_words(words);
    static char line[LINE_MAX_SHELL];
    unsigned quiet_eofs = 0, errors = 0;
    for (;;) {
        printf("vectra> ");
        int n = rt_console_readline(line, sizeof line);
        if (n >= 0) {
            quiet_eofs = errors = 0;
            run(line);
            if (sh_exiting)
                return 0;
        } else if (n == RT_CONSOLE_TOOLONG) {
            printf("vshell: line too long (at most %d bytes); nothing was run\n",
                   LINE_MAX_SHELL - 1);
        } else if (n == RT_CONSOLE_NOTASCII) {
            printf("vshell: the line had non-ASCII characters, which the console drops; "
                   "nothing was run\n");
        } else if (n == RT_CONSOLE_EOF) {
            /* Ctrl-D, or someone else is reading: do not spin */
            pause_ms(quiet_eofs < 5 ? 50 : 500);
            quiet_eofs++;
        } else {
            if (++errors > 3)
                return 3;
            pause_ms(200);
        }
        fflush(stdout);
    }
}
