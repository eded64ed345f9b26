/*
 * cmds.c: the shell's commands. Each checks its arguments first (one
 * line of usage when they are wrong), makes its calls through sh_call,
 * checks the reply (sh_reply_ok) before printing anything from it, and
 * prints text from services only through sh_clean.
 */
#include <stdint.h>
#include <string.h>

#include "capsule/capsule.h"
#include "semver/semver.h"

#include "schema/log.capnp.h"
#include "schema/naming.capnp.h"
#include "schema/supervisor.capnp.h"
#include "schema/timer.capnp.h"
#include "vshell.h"

#define T_SUP 2000000ull      /* how long init may take to answer */
#define T_SVC 1000000ull
#define SHOW_LAST 20          /* log and events show the newest this many */

static struct sh_reply rep;
static uint8_t out[IPC_PAYLOAD_MAX];

static bool usage(int argc, int min, int max, char **argv, const char *args)
{
    if (argc - 1 >= min && argc - 1 <= max)
        return true;
    printf("usage: %s %s\n", argv[0], args);
    return false;
}

static const char *sup_status(enum Supervisor_Status s)
{
    static const char *const names[] = {"ok",     "not found", "wrong state", "denied",
                                        "failed", "bad name",  "unavailable"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown status";
}

/* "cmd: what: status[: message]", what and message cleaned. */
static void say_status(const char *cmd, const char *what, enum Supervisor_Status st,
                       struct capnp_text msg)
{
    printf("%s: ", cmd);
    sh_clean_str(what, strlen(what), 0);
    printf(": %s", sup_status(st));
    if (msg.len) {
        printf(": ");
        sh_clean(msg, 0);
    }
    printf("\n");
}

/* ---- help, echo ---------------------------------------------------------- */

static const struct sh_cmd *find_cmd(const char *name)
{
    for (unsigned i = 0; i < sh_ncmds; i++)
        if (!strcmp(name, sh_cmds[i].name))
            return &sh_cmds[i];
    return 0;
}

static void cmd_help(int argc, char **argv)
{
    if (!usage(argc, 0, 1, argv, "[command]"))
        return;
    if (argc == 2) {
        const struct sh_cmd *c = find_cmd(argv[1]);
        if (!c) {
            printf("help: no command '");
            sh_clean_str(argv[1], strlen(argv[1]), 0);
            printf("' (try 'help')\n");
            return;
        }
        printf("usage: %s %s\n  %s\n", c->name, c->args, c->help);
        return;
    }
    printf("Commands (help CMD for one):\n");
    for (unsigned i = 0; i < sh_ncmds; i++) {
        char head[32];
        snprintf(head, sizeof head, "%s %s", sh_cmds[i].name, sh_cmds[i].args);
        printf("  %-20s %s\n", head, sh_cmds[i].help);
    }
    printf("Words split at blanks; 'single' or \"double\" quotes keep blanks, \\ quotes one "
           "character.\n"
           "Keys: Tab completes a command; arrows, Home/End, Ctrl-A/E/U/K/W/L; Up/Down for "
           "history;\n"
           "Ctrl-C drops the line. Under make run, QEMU's escape key is Ctrl-] (Ctrl-] x quits).\n");
}

static void cmd_exit(int argc, char **argv)
{
    if (!usage(argc, 0, 0, argv, ""))
        return;
    printf("exit: leaving this shell; init starts a new one (halt stops the machine)\n");
    sh_exiting = true;
}

static void cmd_echo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        printf("%s%s", argv[i], i + 1 < argc ? " " : "");
    printf("\n");
}

/* ---- Supervisor ----------------------------------------------------------- */

static bool sup_call0(const char *cmd, uint16_t method)
{
    return sh_call(cmd, "init", method, 0, 0, &rep, T_SUP);
}

/* start, stop, restart, caps, capsuleInfo, capsuleStart, capsuleStop,
 * rollback and reroot take one struct, Supervisor.Named. */
static bool sup_call_name(const char *cmd, uint16_t method, const char *name, uint64_t timeout)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_Named_set_name(Supervisor_Named_build_root(&b), name, strlen(name));
    return sh_call_built(cmd, "init", method, &b, &rep, timeout);
}

/* The reply of start, stop, restart, kill, capsuleStart and capsuleStop:
 * one struct, Supervisor.StatusReply, said as "cmd: what: ...". */
static void status_reply(const char *cmd, const char *what)
{
    Supervisor_StatusReply_R r = Supervisor_StatusReply_read_root(&rep.msg);
    enum Supervisor_Status st = Supervisor_StatusReply_status(r);
    struct capnp_text msg = Supervisor_StatusReply_message(r);
    if (sh_reply_ok(cmd, &rep))
        say_status(cmd, what, st, msg);
}

/* One page of listTasks or listServices from position from (their
 * Params are the same shape: one UInt32). */
static bool sup_page(const char *cmd, uint16_t method, uint32_t from)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_listTasks_Params_set_from(Supervisor_listTasks_Params_build_root(&b), from);
    return sh_call_built(cmd, "init", method, &b, &rep, T_SUP);
}

/* A label as its categories, "{}" when empty, and what is owned after
 * "own": "{0,5} own {5}" (docs/LABELS.md). */
static void sh_cats(uint64_t set)
{
    printf("{");
    for (int c = 0, first = 1; c < 64; c++)
        if (set >> c & 1) {
            printf(first ? "%d" : ",%d", c);
            first = 0;
        }
    printf("}");
}

static void sh_label(uint64_t label, uint64_t own)
{
    sh_cats(label);
    if (own) {
        printf(" own ");
        sh_cats(own);
    }
}

static void cmd_ps(int argc, char **argv)
{
    if (!usage(argc, 0, 0, argv, ""))
        return;
    uint32_t shown = 0;
    for (uint32_t from = 0, page = 0;; page++) {
        if (!sup_page(argv[0], Supervisor_method_listTasks, from))
            return;
        Supervisor_listTasks_Results_R r = Supervisor_listTasks_Results_read_root(&rep.msg);
        Supervisor_TaskInfo_RList l = Supervisor_listTasks_Results_tasks(r);
        uint32_t next = Supervisor_listTasks_Results_next(r);
        if (!sh_reply_ok(argv[0], &rep))
            return;
        if (!page)
            printf("%6s  %-16s %-10s %4s %8s %8s %6s  %s\n", "ID", "NAME", "STATE", "PRI", "MEMORY",
                   "RESTARTS", "FAULTS", "LABEL");
        for (uint32_t i = 0; i < Supervisor_TaskInfo_RList_len(l); i++, shown++) {
            Supervisor_TaskInfo_R t = Supervisor_TaskInfo_RList_get(l, i);
            char sz[16];
            printf("%6llu  ", (unsigned long long)Supervisor_TaskInfo_id(t));
            sh_clean(Supervisor_TaskInfo_name(t), 16);
            printf(" ");
            sh_clean(Supervisor_TaskInfo_state(t), 10);
            printf(" %4u %8s %8u %6llu  ", Supervisor_TaskInfo_priority(t),
                   sh_size(Supervisor_TaskInfo_memory(t), sz), Supervisor_TaskInfo_restarts(t),
                   (unsigned long long)Supervisor_TaskInfo_faults(t));
            sh_label(Supervisor_TaskInfo_label(t), Supervisor_TaskInfo_own(t));
            printf("\n");
        }
        if (next <= from)       /* 0: complete; a page that does not advance ends it too */
            break;
        from = next;
    }
    if (!shown)
        printf("(no tasks)\n");
}

static void cmd_services(int argc, char **argv)
{
    if (!usage(argc, 0, 0, argv, ""))
        return;
    uint32_t shown = 0;
    for (uint32_t from = 0, page = 0;; page++) {
        if (!sup_page(argv[0], Supervisor_method_listServices, from))
            return;
        Supervisor_listServices_Results_R r = Supervisor_listServices_Results_read_root(&rep.msg);
        Supervisor_ServiceInfo_RList l = Supervisor_listServices_Results_services(r);
        uint32_t next = Supervisor_listServices_Results_next(r);
        if (!sh_reply_ok(argv[0], &rep))
            return;
        if (!page)
            printf("%-16s %-11s %6s %8s %-10s %s\n", "NAME", "STATE", "TASK", "RESTARTS",
                   "POLICY", "LAST EXIT / REASON");
        for (uint32_t i = 0; i < Supervisor_ServiceInfo_RList_len(l); i++, shown++) {
            Supervisor_ServiceInfo_R s = Supervisor_ServiceInfo_RList_get(l, i);
            sh_clean(Supervisor_ServiceInfo_name(s), 16);
            printf(" ");
            sh_clean(Supervisor_ServiceInfo_state(s), 11);
            uint64_t task = Supervisor_ServiceInfo_task(s);
            if (task)
                printf(" %6llu", (unsigned long long)task);
            else
                printf(" %6s", "-");
            printf(" %8u ", Supervisor_ServiceInfo_restarts(s));
            sh_clean(Supervisor_ServiceInfo_policy(s), 10);
            int64_t last = Supervisor_ServiceInfo_lastExit(s);
            if (last == INT64_MIN)      /* it never exited */
                printf(" %s ", "-");
            else
                printf(" %lld ", (long long)last);
            sh_clean(Supervisor_ServiceInfo_reason(s), 0);
            struct capnp_text cap = Supervisor_ServiceInfo_capsule(s);
            if (cap.len) {
                printf(" [capsule ");
                sh_clean(cap, 0);
                printf("]");
            }
            printf("\n");
        }
        if (next <= from)
            break;
        from = next;
    }
    if (!shown)
        printf("(no services)\n");
}

/* start, stop, restart: (name) -> (status, message). */
static void by_name(int argc, char **argv, uint16_t method)
{
    if (usage(argc, 1, 1, argv, "<service>") && sup_call_name(argv[0], method, argv[1], T_SUP))
        status_reply(argv[0], argv[1]);
}

static void cmd_start(int argc, char **argv) { by_name(argc, argv, Supervisor_method_start); }

/* Services without which nobody can type to this shell again: itself and
 * the console driver. Stopping one needs -f. */
static const char *const essential[][2] = {
    {"vshell", "it is this shell"},
    {"serial", "it is the console this shell reads from"},
};

static void cmd_stop(int argc, char **argv)
{
    bool force = argc == 3 && !strcmp(argv[1], "-f");
    if (force) {
        argv[1] = argv[2];
        argc = 2;
    }
    if (!usage(argc, 1, 1, argv, "[-f] <service>"))
        return;
    for (unsigned i = 0; !force && i < sizeof essential / sizeof essential[0]; i++)
        if (!strcmp(argv[1], essential[i][0])) {
            printf("stop: not stopping %s: %s, and nothing would restart it, so no one "
                   "could type here again (stop -f %s to do it anyway)\n",
                   argv[1], essential[i][1], argv[1]);
            return;
        }
    if (sup_call_name(argv[0], Supervisor_method_stop, argv[1], T_SUP))
        status_reply(argv[0], argv[1]);
}
static void cmd_restart(int argc, char **argv) { by_name(argc, argv, Supervisor_method_restart); }

static void cmd_kill(int argc, char **argv)
{
    uint64_t id;
    if (!usage(argc, 1, 1, argv, "<task id>"))
        return;
    if (!sh_number(argv[1], &id) || id == 0) {
        printf("kill: '");
        sh_clean_str(argv[1], strlen(argv[1]), 0);
        printf("' is not a task id (see ps)\n");
        return;
    }
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_kill_Params_set_id(Supervisor_kill_Params_build_root(&b), id);
    if (!sh_call_built(argv[0], "init", Supervisor_method_kill, &b, &rep, T_SUP))
        return;
    char what[24];
    snprintf(what, sizeof what, "%llu", (unsigned long long)id);
    status_reply("kill", what);
}

static void cmd_mem(int argc, char **argv)
{
    if (!usage(argc, 0, 0, argv, "") || !sup_call0(argv[0], Supervisor_method_memory))
        return;
    Supervisor_ReticleInfo_RList l =
        Supervisor_memory_Results_reticles(Supervisor_memory_Results_read_root(&rep.msg));
    if (!sh_reply_ok(argv[0], &rep))
        return;
    printf("%-16s %9s %9s %9s %8s\n", "RETICLE", "SIZE", "USED", "FREE", "OBJECTS");
    for (uint32_t i = 0; i < Supervisor_ReticleInfo_RList_len(l); i++) {
        Supervisor_ReticleInfo_R r = Supervisor_ReticleInfo_RList_get(l, i);
        uint64_t size = Supervisor_ReticleInfo_size(r), free = Supervisor_ReticleInfo_free(r);
        char a[16], u[16], f[16];
        sh_clean(Supervisor_ReticleInfo_name(r), 16);
        printf(" %9s %9s %9s %8llu\n", sh_size(size, a), sh_size(free <= size ? size - free : 0, u),
               sh_size(free, f), (unsigned long long)Supervisor_ReticleInfo_objects(r));
    }
    sh_reply_ok(argv[0], &rep);
}

static void cmd_caps(int argc, char **argv)
{
    if (!usage(argc, 1, 1, argv, "<service>") ||
        !sup_call_name(argv[0], Supervisor_method_caps, argv[1], T_SUP))
        return;
    Supervisor_caps_Results_R r = Supervisor_caps_Results_read_root(&rep.msg);
    enum Supervisor_Status st = Supervisor_caps_Results_status(r);
    Supervisor_CapInfo_RList l = Supervisor_caps_Results_caps(r);
    if (!sh_reply_ok(argv[0], &rep))
        return;
    if (st != Supervisor_Status_ok)
        return say_status("caps", argv[1], st, (struct capnp_text){"", 0});
    /* RIGHTS as the kernel wrote them into the Bundle when it granted
     * each capability: read, write, execute, grant, control */
    printf("%-24s %-10s %-6s %10s\n", "NAME", "TYPE", "RIGHTS", "HANDLE");
    for (uint32_t i = 0; i < Supervisor_CapInfo_RList_len(l); i++) {
        Supervisor_CapInfo_R c = Supervisor_CapInfo_RList_get(l, i);
        sh_clean(Supervisor_CapInfo_name(c), 24);
        printf(" ");
        sh_clean(Supervisor_CapInfo_type(c), 10);
        uint32_t rt = Supervisor_CapInfo_rights(c);
        char rs[6] = "-----";
        static const char letter[] = "rwxgc";
        for (unsigned k = 0; k < 5; k++)
            if (rt & 1u << k)
                rs[k] = letter[k];
        printf(" %-6s %#10x\n", rs, Supervisor_CapInfo_handle(c));
    }
    if (!Supervisor_CapInfo_RList_len(l))
        printf("(no capabilities)\n");
    sh_reply_ok(argv[0], &rep);
}

/* The newest SHOW_LAST of a paged list, kept as text lines. */
static char last[SHOW_LAST][240];
static unsigned nlast, shown_from;
static uint64_t total_seen;

static void keep(const char *line)
{
    strlcpy(last[(shown_from + nlast) % SHOW_LAST], line, sizeof last[0]);
    if (nlast < SHOW_LAST)
        nlast++;
    else
        shown_from = (shown_from + 1) % SHOW_LAST;
    total_seen++;
}

static void keep_reset(void) { nlast = shown_from = 0, total_seen = 0; }

static void keep_print(const char *what)
{
    if (total_seen > nlast)
        printf("(%llu older %s not shown)\n", (unsigned long long)(total_seen - nlast), what);
    for (unsigned i = 0; i < nlast; i++) {
        const char *s = last[(shown_from + i) % SHOW_LAST];
        sh_clean_str(s, strlen(s), 0);
        printf("\n");
    }
    if (!total_seen)
        printf("(no %s)\n", what);
}

static void cat_text(char *dst, size_t cap, struct capnp_text t)
{
    size_t n = strlen(dst);
    if (n + 1 >= cap)
        return;
    size_t k = t.len < cap - n - 1 ? t.len : cap - n - 1;
    memcpy(dst + n, t.str, k);
    dst[n + k] = 0;
    for (size_t i = n; i < n + k; i++)
        if (!dst[i])
            dst[i] = '?';   /* an embedded NUL would end the line early */
}

/* Keep "<head>service: text<tail>" (cleaned later, by keep_print). */
static void keep_record(char line[240], struct capnp_text service, struct capnp_text text,
                        const char *tail)
{
    cat_text(line, 240, service);
    cat_text(line, 240, (struct capnp_text){": ", 2});
    cat_text(line, 240, text);
    cat_text(line, 240, (struct capnp_text){tail, (uint32_t)strlen(tail)});
    keep(line);
}

/* One page of a paged list (events, log): the items after `after` kept,
 * *next where the next page starts. Returns how many came, -1 after
 * saying why there are none. */
typedef int page_fn(const char *cmd, uint64_t after, uint64_t *next);

/* Every page, up to max_pages; false if one failed (already said). */
static bool keep_pages(const char *cmd, page_fn *page, int max_pages)
{
    keep_reset();
    uint64_t after = 0, next;
    for (int i = 0; i < max_pages; i++) {
        int n = page(cmd, after, &next);
        if (n < 0)
            return false;
        if (n == 0 || next <= after)
            break;              /* the end, or a service that does not advance */
        after = next;
    }
    return true;
}

static int events_page(const char *cmd, uint64_t after, uint64_t *next)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_events_Params_B p = Supervisor_events_Params_build_root(&b);
    Supervisor_events_Params_set_after(p, after);
    Supervisor_events_Params_set_limit(p, 32);
    if (!sh_call_built(cmd, "init", Supervisor_method_events, &b, &rep, T_SUP))
        return -1;
    Supervisor_events_Results_R r = Supervisor_events_Results_read_root(&rep.msg);
    Supervisor_Event_RList l = Supervisor_events_Results_events(r);
    *next = Supervisor_events_Results_next(r);
    uint32_t n = Supervisor_Event_RList_len(l);
    for (uint32_t i = 0; i < n; i++) {
        Supervisor_Event_R e = Supervisor_Event_RList_get(l, i);
        uint64_t t = Supervisor_Event_time(e);
        char line[240];
        snprintf(line, sizeof line, "[%5llu.%03llu] ", (unsigned long long)(t / 1000000),
                 (unsigned long long)(t / 1000 % 1000));
        keep_record(line, Supervisor_Event_service(e), Supervisor_Event_text(e), "");
    }
    return sh_reply_ok(cmd, &rep) ? (int)n : -1;
}

static void cmd_events(int argc, char **argv)
{
    if (usage(argc, 0, 0, argv, "") && keep_pages(argv[0], events_page, 64))
        keep_print("events");
}

static void cmd_halt(int argc, char **argv)
{
    if (!usage(argc, 0, 0, argv, ""))
        return;
    printf("%s: asking init to %s the machine\n", argv[0], argv[0][0] == 'h' ? "halt" : "reset");
    fflush(stdout);
    if (sup_call0(argv[0], argv[0][0] == 'h' ? Supervisor_method_halt : Supervisor_method_reboot))
        printf("%s: init agreed\n", argv[0]);
}

/* ---- naming ------------------------------------------------------------------ */

static void cmd_ls(int argc, char **argv)
{
    if (!usage(argc, 0, 1, argv, "[root:path]"))
        return;
    /* "svc" means "SYS:svc"; a root is everything up to and including ':' */
    char path[128], root[V_BUNDLE_NAME];
    const char *arg = argc > 1 ? argv[1] : "SYS:";
    if (arg[0] == '-') {
        printf("ls: no options (usage: ls [root:path]; a path never starts with '-')\n");
        return;
    }
    const char *colon = strchr(arg, ':');
    if (!colon)
        snprintf(path, sizeof path, "SYS:%s", arg);
    else
        snprintf(path, sizeof path, "%s", arg);
    colon = strchr(path, ':');
    size_t rl = (size_t)(colon - path) + 1;
    if (rl >= sizeof root || strlen(arg) >= sizeof path - 4) {
        printf("ls: path too long\n");
        return;
    }
    memcpy(root, path, rl);
    root[rl] = 0;
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Naming_resolve_Params_set_path(Naming_resolve_Params_build_root(&b), path, strlen(path));
    if (!sh_call_built(argv[0], root, Naming_method_resolve, &b, &rep, T_SVC))
        return;
    Naming_Resolution_R r = Naming_resolve_Results_result(Naming_resolve_Results_read_root(&rep.msg));
    enum Naming_Status st = Naming_Resolution_status(r);
    enum Naming_Resolution_which w = Naming_Resolution_which(r);
    if (!sh_reply_ok(argv[0], &rep))
        return;
    static const char *const why[] = {"ok", "not found", "denied", "not a valid path",
                                      "not running"};
    if (st != Naming_Status_ok) {
        printf("ls: ");
        sh_clean_str(path, strlen(path), 0);
        printf(": %s\n", (unsigned)st < 5 ? why[st] : "unknown status");
        return;
    }
    if (w == Naming_Resolution_which_directory) {
        struct capnp_list l = Naming_Resolution_directory_entries(Naming_Resolution_directory(r));
        for (uint32_t i = 0; i < capnp_list_len(l); i++) {
            sh_clean(capnp_list_text(l, i), 0);
            printf("\n");
        }
        if (!capnp_list_len(l))
            printf("(empty)\n");
    } else if (w == Naming_Resolution_which_service) {
        Naming_Resolution_service_R s = Naming_Resolution_service(r);
        sh_clean_str(path, strlen(path), 0);
        printf("  service ");
        sh_clean(Naming_Resolution_service_provider(s), 0);
        uint64_t id = Naming_Resolution_service_interfaceId(s);
        if (id)
            printf("  interface %#llx", (unsigned long long)id);
        printf("\n");
    } else {
        sh_clean_str(path, strlen(path), 0);
        printf(": nothing there\n");
    }
    sh_reply_ok(argv[0], &rep);
}

/* ---- log, timer ----------------------------------------------------------------- */

static const char *const level_names[] = {"trace", "debug", "info", "warn", "error", "fatal"};

/* What `log` asks for, the first record's sequence number, and the
 * distinct sources seen (for "no records from X"). */
static const char *log_source;
static unsigned log_min;
static uint64_t log_first;
static char sources[16][V_BUNDLE_NAME];
static unsigned nsources;

static void note_source(struct capnp_text t)
{
    char name[V_BUNDLE_NAME] = "";
    cat_text(name, sizeof name, t);
    for (unsigned i = 0; i < nsources; i++)
        if (!strcmp(sources[i], name))
            return;
    if (nsources < 16)
        strlcpy(sources[nsources++], name, sizeof sources[0]);
}

static int log_page(const char *cmd, uint64_t after, uint64_t *next)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Log_query_Params_B q = Log_query_Params_build_root(&b);
    Log_query_Params_set_minLevel(q, (enum Log_Level)log_min);
    Log_query_Params_set_source(q, log_source, strlen(log_source));
    Log_query_Params_set_after(q, after);
    Log_query_Params_set_limit(q, 64);
    if (!sh_call_built(cmd, "log", Log_method_query, &b, &rep, T_SVC))
        return -1;
    Log_query_Results_R r = Log_query_Results_read_root(&rep.msg);
    Log_Record_RList l = Log_query_Results_records(r);
    *next = Log_query_Results_next(r);
    uint32_t n = Log_Record_RList_len(l);
    for (uint32_t i = 0; i < n; i++) {
        Log_Record_R e = Log_Record_RList_get(l, i);
        if (!log_first)
            log_first = Log_Record_sequence(e);
        /* stamped with when it happened; one written down later (init's
         * replay of what came before the log) also says when */
        uint64_t at = Log_Record_timestamp(e), ns = Log_Record_eventTime(e);
        ns = ns && ns <= at ? ns : at;
        unsigned lv = Log_Record_level(e);
        char line[240], tail[40] = "";
        snprintf(line, sizeof line, "[%5llu.%06llu] %-5s ",
                 (unsigned long long)(ns / 1000000000), (unsigned long long)(ns / 1000 % 1000000),
                 lv < 6 ? level_names[lv] : "?");
        if (at - ns >= 1000000)
            snprintf(tail, sizeof tail, "  (logged at %llu.%06llu)",
                     (unsigned long long)(at / 1000000000),
                     (unsigned long long)(at / 1000 % 1000000));
        note_source(Log_Record_source(e));
        keep_record(line, Log_Record_source(e), Log_Record_text(e), tail);
    }
    return sh_reply_ok(cmd, &rep) ? (int)n : -1;
}

static int level_of(const char *name)
{
    for (int i = 0; i < 6; i++)
        if (!strcmp(name, level_names[i]))
            return i;
    return -1;
}

/* `log [source|*] [level]`, or `log level`: a level name alone is a level
 * (no service is called trace, debug, info, warn, error or fatal). */
static void cmd_log(int argc, char **argv)
{
    if (!usage(argc, 0, 2, argv, "[source|*] [trace|debug|info|warn|error|fatal]"))
        return;
    const char *src = argc > 1 ? argv[1] : "*", *lvl = argc > 2 ? argv[2] : 0;
    if (argc == 2 && level_of(argv[1]) >= 0)
        src = "*", lvl = argv[1];
    log_source = strcmp(src, "*") ? src : "";
    log_min = 0;
    if (lvl && level_of(lvl) < 0) {
        printf("log: no level '");
        sh_clean_str(lvl, strlen(lvl), 0);
        printf("' (trace debug info warn error fatal)\n");
        return;
    }
    if (lvl)
        log_min = (unsigned)level_of(lvl);
    log_first = 0;
    nsources = 0;
    if (!keep_pages(argv[0], log_page, 256))
        return;
    if (!total_seen && *log_source) {
        /* nothing from that source: if it has no records at all (a typo?),
         * say which sources there are */
        const char *want = log_source;
        log_source = "";
        log_min = 0;
        if (!keep_pages(argv[0], log_page, 256))
            return;
        for (unsigned i = 0; i < nsources; i++)
            if (!strcmp(sources[i], want)) {
                printf("(no records)\n");      /* only none at that level */
                return;
            }
        printf("log: no records from '");
        sh_clean_str(want, strlen(want), 0);
        printf("'%s", nsources ? "; sources with records:" : "");
        for (unsigned i = 0; i < nsources; i++) {
            printf(" ");
            sh_clean_str(sources[i], strlen(sources[i]), 0);
        }
        printf("\n");
        return;
    }
    /* Sequences start at 1 and have no gaps: unfiltered, a first record
     * after 1 means the service dropped the ones before it. */
    if (!*log_source && log_min == 0 && log_first > 1)
        printf("(the log service dropped %llu older records)\n",
               (unsigned long long)(log_first - 1));
    keep_print("records");
}

static void cmd_uptime(int argc, char **argv)
{
    if (!usage(argc, 0, 0, argv, ""))
        return;
    uint8_t buf[16];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Timer_now_Params_build_root(&b);
    if (!sh_call_built(argv[0], "timer", Timer_method_now, &b, &rep, T_SVC))
        return;
    uint64_t us = Timer_now_Results_us(Timer_now_Results_read_root(&rep.msg));
    if (!sh_reply_ok(argv[0], &rep))
        return;
    uint64_t s = us / 1000000;
    printf("up %llu:%02llu:%02llu.%03llu\n", (unsigned long long)(s / 3600),
           (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60),
           (unsigned long long)(us / 1000 % 1000));
}

/* ---- call ---------------------------------------------------------------------- */

/* `call SERVICE METHOD [TEXT]`: one request with TEXT's bytes as the
 * payload (raw: the shell does not encode schemas), the answer printed as
 * text when it is printable ASCII, else in hex. */
static void cmd_call(int argc, char **argv)
{
    uint64_t method;
    if (argc < 2) {
        printf("usage: call <service> [<method> [field=value ...]] | call <service> <number> [text]\n");
        return;
    }
    if (argc == 2 || (!sh_number(argv[2], &method) && argv[2][0] != '-')) {
        sh_call_schema(argc, argv);   /* a method name: by schema (call.c) */
        return;
    }
    if (!usage(argc, 2, 3, argv, "<service> <method number> [text]"))
        return;
    if (!sh_number(argv[2], &method) || method >= (IPC_ERROR & 0xff00u)) {
        printf("call: '");
        sh_clean_str(argv[2], strlen(argv[2]), 0);
        printf("' is not a method number (0-%u)\n", (IPC_ERROR & 0xff00u) - 1);
        return;
    }
    const char *text = argc > 3 ? argv[3] : "";
    struct ipc_conn *c = sh_conn_any("call", argv[1]);
    if (!c)
        return;
    static struct ipc_msg reply;
    int st = sh_call_raw(c, (uint16_t)method, text, strlen(text), &reply, T_SVC);
    if (st) {
        printf("call: %s: %s\n", argv[1], ipc_strerror(st));
        return;
    }
    for (unsigned i = 0; i < reply.ncaps; i++)
        v_cap_delete(reply.caps[i]);
    if (reply.hdr.kind == (IPC_ERROR | IPC_REPLY)) {
        printf("call: %s refused method %llu\n", argv[1], (unsigned long long)method);
        return;
    }
    bool printable = true;
    for (uint32_t i = 0; i < reply.hdr.len; i++)
        printable &= reply.data[i] >= 0x20 && reply.data[i] < 0x7f;
    if (printable) {
        sh_clean_str((const char *)reply.data, reply.hdr.len, 0);
    } else {
        for (uint32_t i = 0; i < reply.hdr.len; i++)
            printf("%02x%s", reply.data[i], i % 32 == 31 ? "\n" : " ");
    }
    printf("%s(%u bytes)\n", reply.hdr.len ? "  " : "", reply.hdr.len);
}

/* ---- capsules ---------------------------------------------------------------- */

#define T_UPGRADE 5000000ull  /* switch, readiness window (300 ms), rollback */

static void hexbytes(struct capnp_data d, unsigned max)
{
    for (uint32_t i = 0; i < d.len && i < max; i++)
        printf("%02x", d.ptr[i]);
    if (!d.len)
        printf("-");
}

static void capsule_list(const char *cmd)
{
    if (!sh_call(cmd, "init", Supervisor_method_listCapsules, 0, 0, &rep, T_SUP))
        return;
    Supervisor_CapsuleInfo_RList l = Supervisor_listCapsules_Results_capsules(
        Supervisor_listCapsules_Results_read_root(&rep.msg));
    if (!sh_reply_ok(cmd, &rep))
        return;
    printf("%-12s %-10s %-3s %-12s %-10s %-12s %s\n", "NAME", "VERSION", "DOM", "STATE",
           "SERVICE", "VCID", "REASON / NOTE");
    for (uint32_t i = 0; i < Supervisor_CapsuleInfo_RList_len(l); i++) {
        Supervisor_CapsuleInfo_R c = Supervisor_CapsuleInfo_RList_get(l, i);
        sh_clean(Supervisor_CapsuleInfo_name(c), 12);
        printf(" ");
        sh_clean(Supervisor_CapsuleInfo_version(c), 10);
        printf(" ");
        sh_clean(Supervisor_CapsuleInfo_domain(c), 3);
        printf(" ");
        sh_clean(Supervisor_CapsuleInfo_state(c), 12);
        printf(" ");
        struct capnp_text svc = Supervisor_CapsuleInfo_service(c);
        sh_clean(svc.len ? svc : (struct capnp_text){"-", 1}, 10);
        printf(" ");
        struct capnp_data id = Supervisor_CapsuleInfo_vcid(c);
        hexbytes(id, 6);
        printf("%*s", id.len >= 6 ? 1 : (int)(13 - (id.len ? 2 * id.len : 1)), "");
        sh_clean(Supervisor_CapsuleInfo_reason(c), 0);
        printf("\n");
    }
    if (!Supervisor_CapsuleInfo_RList_len(l))
        printf("(no capsules in the boot image)\n");
    sh_reply_ok(cmd, &rep);
}

static void field(const char *label, struct capnp_text t)
{
    if (!t.len)
        return;
    printf("  %-9s ", label);
    sh_clean(t, 0);
    printf("\n");
}

static void list_field(const char *label, struct capnp_list l)
{
    printf("  %-9s", label);
    for (uint32_t i = 0; i < capnp_list_len(l); i++) {
        printf(" ");
        sh_clean(capnp_list_text(l, i), 0);
    }
    printf("%s\n", capnp_list_len(l) ? "" : " -");
}

static void capsule_info(const char *cmd, const char *name)
{
    if (!sup_call_name(cmd, Supervisor_method_capsuleInfo, name, T_SUP))
        return;
    Supervisor_capsuleInfo_Results_R r = Supervisor_capsuleInfo_Results_read_root(&rep.msg);
    enum Supervisor_Status st = Supervisor_capsuleInfo_Results_status(r);
    Supervisor_CapsuleInfo_RList l = Supervisor_capsuleInfo_Results_capsules(r);
    if (!sh_reply_ok(cmd, &rep))
        return;
    if (st != Supervisor_Status_ok)
        return say_status(cmd, name, st, (struct capnp_text){"", 0});
    for (uint32_t i = 0; i < Supervisor_CapsuleInfo_RList_len(l); i++) {
        Supervisor_CapsuleInfo_R c = Supervisor_CapsuleInfo_RList_get(l, i);
        sh_clean(Supervisor_CapsuleInfo_name(c), 0);
        printf(" ");
        sh_clean(Supervisor_CapsuleInfo_version(c), 0);
        printf(" (");
        sh_clean(Supervisor_CapsuleInfo_module(c), 0);
        printf(")\n  %-9s ", "vcid");
        hexbytes(Supervisor_CapsuleInfo_vcid(c), 32);
        printf("\n  %-9s ", "state");
        sh_clean(Supervisor_CapsuleInfo_state(c), 0);
        struct capnp_text svc = Supervisor_CapsuleInfo_service(c);
        if (svc.len) {
            printf(" (service ");
            sh_clean(svc, 0);
            printf(")");
        }
        printf("\n");
        field("domain", Supervisor_CapsuleInfo_domain(c));
        field("signer", Supervisor_CapsuleInfo_signer(c));
        list_field("requires", Supervisor_CapsuleInfo_requires(c));
        list_field("provides", Supervisor_CapsuleInfo_provides(c));
        field("intent", Supervisor_CapsuleInfo_intent(c));
        field("counters", Supervisor_CapsuleInfo_counters(c));
        struct capnp_list v = Supervisor_CapsuleInfo_vouchers(c);
        for (uint32_t j = 0; j < capnp_list_len(v); j++) {
            printf("  %-9s ", j ? "" : "vouched");
            sh_clean(capnp_list_text(v, j), 0);
            printf("\n");
        }
        field("reason", Supervisor_CapsuleInfo_reason(c));
    }
    sh_reply_ok(cmd, &rep);
}

/* start and stop answer a StatusReply; rollback its own (status,
 * message, cycles). */
static void capsule_by_name(const char *cmd, const char *name, uint16_t method)
{
    if (!sup_call_name(cmd, method, name, T_UPGRADE))
        return;
    if (method != Supervisor_method_rollback)
        return status_reply(cmd, name);
    Supervisor_rollback_Results_R r = Supervisor_rollback_Results_read_root(&rep.msg);
    enum Supervisor_Status st = Supervisor_rollback_Results_status(r);
    struct capnp_text msg = Supervisor_rollback_Results_message(r);
    if (sh_reply_ok(cmd, &rep))
        say_status(cmd, name, st, msg);
}


/* The version the service of capsule `name` runs now ("" if none). */
static void current_version(const char *name, char *ver, size_t cap)
{
    ver[0] = 0;
    if (!sup_call_name("upgrade", Supervisor_method_capsuleInfo, name, T_SUP))
        return;
    Supervisor_CapsuleInfo_RList l = Supervisor_capsuleInfo_Results_capsules(
        Supervisor_capsuleInfo_Results_read_root(&rep.msg));
    for (uint32_t i = 0; i < Supervisor_CapsuleInfo_RList_len(l); i++) {
        Supervisor_CapsuleInfo_R c = Supervisor_CapsuleInfo_RList_get(l, i);
        struct capnp_text st = Supervisor_CapsuleInfo_state(c);
        if (Supervisor_CapsuleInfo_service(c).len && st.len &&
            !(st.len == 8 && !memcmp(st.str, "previous", 8))) {
            ver[0] = 0;
            cat_text(ver, cap, Supervisor_CapsuleInfo_version(c));
        }
    }
    if (capnp_msg_error(&rep.msg))
        ver[0] = 0;
}

static void capsule_upgrade(const char *cmd, const char *name, const char *ver)
{
    char now[64];
    current_version(name, now, sizeof now);
    if (now[0] && capsule_valid_semver((struct capsule_str){ver, (uint32_t)strlen(ver)}) &&
        semver_cmp(ver, now) < 0) {
        printf("%s: warning: ", cmd);
        sh_clean_str(ver, strlen(ver), 0);
        printf(" is older than the running ");
        sh_clean_str(now, strlen(now), 0);
        printf(": this is a downgrade\n");
    }
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_upgrade_Params_B p = Supervisor_upgrade_Params_build_root(&b);
    Supervisor_upgrade_Params_set_name(p, name, strlen(name));
    Supervisor_upgrade_Params_set_version(p, ver, strlen(ver));
    printf("%s: asking init to switch ", cmd);
    sh_clean_str(name, strlen(name), 0);
    printf(" to ");
    sh_clean_str(ver, strlen(ver), 0);
    printf(" and wait for its readiness window\n");
    fflush(stdout);
    if (!sh_call_built(cmd, "init", Supervisor_method_upgrade, &b, &rep, T_UPGRADE))
        return;
    Supervisor_upgrade_Results_R r = Supervisor_upgrade_Results_read_root(&rep.msg);
    enum Supervisor_Status st = Supervisor_upgrade_Results_status(r);
    struct capnp_text msg = Supervisor_upgrade_Results_message(r);
    uint64_t sw = Supervisor_upgrade_Results_switchCycles(r);
    uint64_t rb = Supervisor_upgrade_Results_rollbackCycles(r);
    if (!sh_reply_ok(cmd, &rep))
        return;
    say_status(cmd, name, st, msg);
    if (sw || rb)
        printf("%s: switch %llu cycles, rollback %llu cycles\n", cmd, (unsigned long long)sw,
               (unsigned long long)rb);
}

/* install, remove, gc, generations: a StatusReply (the store's). */
static void capsule_store(const char *cmd, uint16_t method, const char *a, const char *b2)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    if (method == Supervisor_method_install) {
        Supervisor_install_Params_set_source(Supervisor_install_Params_build_root(&b), a,
                                             strlen(a));
    } else if (method == Supervisor_method_remove) {
        Supervisor_remove_Params_B p = Supervisor_remove_Params_build_root(&b);
        Supervisor_remove_Params_set_name(p, a, strlen(a));
        Supervisor_remove_Params_set_version(p, b2, strlen(b2));
    }
    bool params = method == Supervisor_method_install || method == Supervisor_method_remove;
    if (params ? !sh_call_built(cmd, "init", method, &b, &rep, T_UPGRADE * 6)
               : !sh_call(cmd, "init", method, 0, 0, &rep, T_UPGRADE * 6))
        return;
    Supervisor_StatusReply_R r = Supervisor_StatusReply_read_root(&rep.msg);
    enum Supervisor_Status st = Supervisor_StatusReply_status(r);
    struct capnp_text msg = Supervisor_StatusReply_message(r);
    if (!sh_reply_ok(cmd, &rep))
        return;
    if (method == Supervisor_method_generations && st == Supervisor_Status_ok) {
        for (uint32_t i = 0, at = 0; i <= msg.len; i++)    /* one line each */
            if (i == msg.len || msg.str[i] == '\n') {
                sh_clean_str(msg.str + at, i - at, 0);
                printf("\n");
                at = i + 1;
            }
        return;
    }
    say_status(cmd, a ? a : "store", st, msg);
}

static void cmd_capsule(int argc, char **argv)
{
    static const char use[] = "list | info <name> | start <name> | stop <name> | "
                              "upgrade <name> <version> | rollback <name> | install <source> | "
                              "remove <name> <version> | gc | generations";
    const char *sub0 = argc > 1 ? argv[1] : "";
    if (!strcmp(sub0, "install") && argc == 3)
        return capsule_store("install", Supervisor_method_install, argv[2], 0);
    if (!strcmp(sub0, "remove") && argc == 4)
        return capsule_store("remove", Supervisor_method_remove, argv[2], argv[3]);
    if (!strcmp(sub0, "gc") && argc == 2)
        return capsule_store("gc", Supervisor_method_gc, 0, 0);
    if (!strcmp(sub0, "generations") && argc == 2)
        return capsule_store("generations", Supervisor_method_generations, 0, 0);
    const char *sub = argc > 1 ? argv[1] : "";
    if (!strcmp(sub, "list") && argc == 2)
        return capsule_list("capsule list");
    if (!strcmp(sub, "info") && argc == 3)
        return capsule_info("capsule info", argv[2]);
    if (!strcmp(sub, "start") && argc == 3)
        return capsule_by_name("capsule start", argv[2], Supervisor_method_capsuleStart);
    if (!strcmp(sub, "stop") && argc == 3)
        return capsule_by_name("capsule stop", argv[2], Supervisor_method_capsuleStop);
    if (!strcmp(sub, "rollback") && argc == 3)
        return capsule_by_name("rollback", argv[2], Supervisor_method_rollback);
    if (!strcmp(sub, "upgrade") && argc == 4)
        return capsule_upgrade("upgrade", argv[2], argv[3]);
    printf("usage: capsule %s\n", use);
}

void cmd_devices(int argc, char **argv);   /* devices.c */
void cmd_blk(int argc, char **argv);
void cmd_store(int argc, char **argv);   /* store.c */
void cmd_fat(int argc, char **argv);     /* store.c */
void cmd_setup(int argc, char **argv);   /* keys.c */
void cmd_login(int argc, char **argv);
void cmd_logout(int argc, char **argv);
void cmd_whoami(int argc, char **argv);
void cmd_sign(int argc, char **argv);

const struct sh_cmd sh_cmds[] = {
    {"help", "[command]", "list the commands, or say how to use one", cmd_help},
    {"ps", "", "Tasks: id, name, state, priority, memory, restarts, faults, label", cmd_ps},
    {"services", "", "services: state, Task, restarts, policy, last exit", cmd_services},
    {"caps", "<service>", "the capabilities a service holds", cmd_caps},
    {"ls", "[root:path]", "what a naming root has under a path (default SYS:)", cmd_ls},
    {"start", "<service>", "start a stopped service", cmd_start},
    {"stop", "[-f] <service>", "stop a running service (-f: even vshell or serial)", cmd_stop},
    {"restart", "<service>", "stop and start a service", cmd_restart},
    {"kill", "<task id>", "kill a Task (its supervisor decides what follows)", cmd_kill},
    {"log", "[source|*] [level]", "the newest log records, by source and least level", cmd_log},
    {"mem", "", "memory: each Reticle's size, use and objects", cmd_mem},
    {"events", "", "the newest supervision events: exits, faults, restarts", cmd_events},
    {"capsule", "<subcommand>",
     "capsules: list, info N, start N, stop N, upgrade N VER, rollback N, install SRC, "
     "remove N VER, gc, generations", cmd_capsule},
    {"devices", "", "PCI devices: who holds each, its interrupts, DMA mappings and faults",
     cmd_devices},
    {"blk", "<subcommand>", "the disk: info, read SECTOR (hex), write SECTOR TEXT, flush", cmd_blk},
    {"store", "<subcommand>", "the capsule store: status, ls, gens, verify, read HASH, state NAME [TEXT]",
     cmd_store},
    {"fat", "<subcommand>", "the FAT32 interchange disk (read-only): info, ls [PATH], cat PATH", cmd_fat},
    {"setup", "new|restore <person> <machine>",
     "first boot: a Person (24 words) and this Machine's sealed key and certificate", cmd_setup},
    {"login", "", "unseal this Machine's key (asks the passphrase)", cmd_login},
    {"logout", "", "wipe the unsealed key, revoke the session's capability", cmd_logout},
    {"whoami", "", "this Machine's identity and the session", cmd_whoami},
    {"sign", "<text>", "sign text with this Machine's key (needs login)", cmd_sign},
    {"echo", "[words]", "print the words", cmd_echo},
    {"uptime", "", "time since boot", cmd_uptime},
    {"halt", "", "stop the machine", cmd_halt},
    {"reboot", "", "reset the machine", cmd_halt},
    {"call", "<service> [<method> [field=value ...]]",
     "call a method by its schema and print the results (call <service> lists its methods; "
     "call <service> <number> [text] sends raw bytes)", cmd_call},
    {"exit", "", "leave this shell (init starts a new one)", cmd_exit},
};
const unsigned sh_ncmds = sizeof sh_cmds / sizeof sh_cmds[0];
