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
 * Connections are the runtime's (user/lib/rt/conn.c): calls skip late
 * replies to earlier calls that timed out; a connection the service
 * closed is reopened through the naming root (SYS:svc/<name>) on its
 * next use, and a naming root that closed is made again by init
 * (Supervisor.reroot). The shell only puts what happened into words.
 */
#include "vshell.h"

#include <string.h>

#include "conn.h"
#include "console.h"
#include "rt.h"

#define BACKOFF_BIT RT_SIG_TIMER

static void pause_ms(uint64_t ms)
{
    v_timer_set(BACKOFF_BIT, ms * 1000);
    v_signal_wait(1ull << BACKOFF_BIT, V_TIMEOUT_NEVER);
}

/* ---- connections: rt's reconnecting connections, with the shell's words */

int sh_call_raw(struct ipc_conn *c, uint16_t method, const void *p, size_t len,
                struct ipc_msg *reply, uint64_t timeout_us)
{
    return rt_call_skip(c, method, p, len, reply, timeout_us, 0);
}

/* The end of a line saying a connection is gone: init's reason, if any. */
static void say_why(void)
{
    const char *why = rt_conn_why();
    if (why[0]) {
        printf(" (");
        sh_clean_str(why, strlen(why), 0);
        printf(")");
    }
    printf("\n");
}

/* What a failed get or call means, in one line; true if it failed. */
static bool say_failure(const char *cmd, const char *name, int st)
{
    switch (st) {
    case IPC_OK:
        return false;
    case RT_CONN_FULL:
        printf("%s: too many connections\n", cmd);
        break;
    case RT_CONN_ABSENT:
        printf("%s: no connection to %s (the shell was not given one)\n", cmd, name);
        break;
    case IPC_TIMEOUT:
        printf("%s: %s did not answer in time\n", cmd, name);
        break;
    case IPC_CLOSED:
        /* the one wording for a connection that is gone and could not be
         * made again (whether found closed before the call or during it) */
        printf("%s: the connection to %s is closed", cmd, name);
        say_why();
        break;
    default:
        printf("%s: %s: %s", cmd, name, ipc_strerror(st));
        say_why();
    }
    return true;
}

static struct ipc_conn *get(const char *cmd, const char *name, bool any)
{
    struct ipc_conn *c;
    return say_failure(cmd, name, rt_conn_get(name, any, &c)) ? 0 : c;
}

struct ipc_conn *sh_conn(const char *cmd, const char *name) { return get(cmd, name, false); }
struct ipc_conn *sh_conn_any(const char *cmd, const char *name) { return get(cmd, name, true); }

bool sh_call(const char *cmd, const char *conn, uint16_t method, const void *payload,
             size_t len, struct sh_reply *r, uint64_t timeout_us)
{
    int st = rt_conn_call(conn, false, method, payload, len, &r->m, timeout_us);
    if (!st) {
        for (unsigned i = 0; i < r->m.ncaps; i++)
            v_cap_delete(r->m.caps[i]);
        r->m.ncaps = 0;
    }
    if (say_failure(cmd, conn, st))
        return false;
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
    if (sh_run_tool(argc, argv))
        return;
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
