/*
 * cmds.c: the shell's commands. Each checks its arguments first (one
 * line of usage when they are wrong), makes its calls through sh_call,
 * checks the reply (sh_reply_ok) before printing anything from it, and
 * prints text from services only through sh_clean.
 */
#include <string.h>

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

static void cmd_help(int argc, char **argv)
{
    if (!usage(argc, 0, 0, argv, ""))
        return;
    printf("Commands:\n");
    for (unsigned i = 0; i < sh_ncmds; i++) {
        char head[32];
        snprintf(head, sizeof head, "%s %s", sh_cmds[i].name, sh_cmds[i].args);
        printf("  %-20s %s\n", head, sh_cmds[i].help);
    }
    printf("Keys: arrows, Home/End, Ctrl-A/E/U/K/W/L; Up/Down for history; Ctrl-C drops the line.\n");
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

/* start, stop, restart, caps, capsuleInfo, capsuleStart, capsuleStop and
 * rollback take the same parameters (name), one layout. */
static bool sup_call_name(const char *cmd, uint16_t method, const char *name, uint64_t timeout)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_start_Params_set_name(Supervisor_start_Params_build_root(&b), name, strlen(name));
    return sh_call_built(cmd, "init", method, &b, &rep, timeout);
}

/* The reply of start, stop, restart, kill, capsuleStart, capsuleStop and
 * rollback: (status, message[, ...]), one layout, said as "cmd: what: ...". */
static void status_reply(const char *cmd, const char *what)
{
    Supervisor_start_Results_R r = Supervisor_start_Results_read_root(&rep.msg);
    enum Supervisor_Status st = Supervisor_start_Results_status(r);
    struct capnp_text msg = Supervisor_start_Results_message(r);
    if (sh_reply_ok(cmd, &rep))
        say_status(cmd, what, st, msg);
}

static void cmd_ps(int argc, char **argv)
{
    if (!usage(argc, 0, 0, argv, "") || !sup_call0(argv[0], Supervisor_method_listTasks))
        return;
    Supervisor_TaskInfo_RList l =
        Supervisor_listTasks_Results_tasks(Supervisor_listTasks_Results_read_root(&rep.msg));
    if (!sh_reply_ok(argv[0], &rep))
        return;
    printf("%6s  %-16s %-10s %4s %8s %8s %6s\n", "ID", "NAME", "STATE", "PRI", "MEMORY",
           "RESTARTS", "FAULTS");
    for (uint32_t i = 0; i < Supervisor_TaskInfo_RList_len(l); i++) {
        Supervisor_TaskInfo_R t = Supervisor_TaskInfo_RList_get(l, i);
        char sz[16];
        printf("%6llu  ", (unsigned long long)Supervisor_TaskInfo_id(t));
        sh_clean(Supervisor_TaskInfo_name(t), 16);
        printf(" ");
        sh_clean(Supervisor_TaskInfo_state(t), 10);
        printf(" %4u %8s %8u %6llu\n", Supervisor_TaskInfo_priority(t),
               sh_size(Supervisor_TaskInfo_memory(t), sz), Supervisor_TaskInfo_restarts(t),
               (unsigned long long)Supervisor_TaskInfo_faults(t));
    }
    if (!Supervisor_TaskInfo_RList_len(l))
        printf("(no tasks)\n");
    sh_reply_ok(argv[0], &rep);
}

static void cmd_services(int argc, char **argv)
{
    if (!usage(argc, 0, 0, argv, "") || !sup_call0(argv[0], Supervisor_method_listServices))
        return;
    Supervisor_ServiceInfo_RList l = Supervisor_listServices_Results_services(
        Supervisor_listServices_Results_read_root(&rep.msg));
    if (!sh_reply_ok(argv[0], &rep))
        return;
    printf("%-16s %-11s %6s %8s %-10s %s\n", "NAME", "STATE", "TASK", "RESTARTS", "POLICY",
           "LAST EXIT / REASON");
    for (uint32_t i = 0; i < Supervisor_ServiceInfo_RList_len(l); i++) {
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
        printf(" %lld ", (long long)Supervisor_ServiceInfo_lastExit(s));
        sh_clean(Supervisor_ServiceInfo_reason(s), 0);
        struct capnp_text cap = Supervisor_ServiceInfo_capsule(s);
        if (cap.len) {
            printf(" [capsule ");
            sh_clean(cap, 0);
            printf("]");
        }
        printf("\n");
    }
    if (!Supervisor_ServiceInfo_RList_len(l))
        printf("(no services)\n");
    sh_reply_ok(argv[0], &rep);
}

/* start, stop, restart: (name) -> (status, message). */
static void by_name(int argc, char **argv, uint16_t method)
{
    if (usage(argc, 1, 1, argv, "<service>") && sup_call_name(argv[0], method, argv[1], T_SUP))
        status_reply(argv[0], argv[1]);
}

static void cmd_start(int argc, char **argv) { by_name(argc, argv, Supervisor_method_start); }
static void cmd_stop(int argc, char **argv) { by_name(argc, argv, Supervisor_method_stop); }
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

static void rights_str(uint32_t r, char buf[8])
{
    static const char letters[] = "rwxgc";
    for (int i = 0; i < 5; i++)
        buf[i] = r & (1u << i) ? letters[i] : '-';
    buf[5] = 0;
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
    printf("%-24s %-10s %10s %s\n", "NAME", "TYPE", "HANDLE", "RIGHTS");
    for (uint32_t i = 0; i < Supervisor_CapInfo_RList_len(l); i++) {
        Supervisor_CapInfo_R c = Supervisor_CapInfo_RList_get(l, i);
        char rs[8];
        rights_str(Supervisor_CapInfo_rights(c), rs);
        sh_clean(Supervisor_CapInfo_name(c), 24);
        printf(" ");
        sh_clean(Supervisor_CapInfo_type(c), 10);
        printf(" %#10x %s\n", Supervisor_CapInfo_handle(c), rs);
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

/* Keep "<head>service: text" (cleaned later, by keep_print). */
static void keep_record(char line[240], struct capnp_text service, struct capnp_text text)
{
    cat_text(line, 240, service);
    cat_text(line, 240, (struct capnp_text){": ", 2});
    cat_text(line, 240, text);
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
        keep_record(line, Supervisor_Event_service(e), Supervisor_Event_text(e));
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

/* What `log` asks for, and the first record's sequence number. */
static const char *log_source;
static unsigned log_min;
static uint64_t log_first;

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
        uint64_t ns = Log_Record_timestamp(e);
        unsigned lv = Log_Record_level(e);
        char line[240];
        snprintf(line, sizeof line, "[%5llu.%06llu] %-5s ",
                 (unsigned long long)(ns / 1000000000), (unsigned long long)(ns / 1000 % 1000000),
                 lv < 6 ? level_names[lv] : "?");
        keep_record(line, Log_Record_source(e), Log_Record_text(e));
    }
    return sh_reply_ok(cmd, &rep) ? (int)n : -1;
}

static void cmd_log(int argc, char **argv)
{
    if (!usage(argc, 0, 2, argv, "[service|*] [trace|debug|info|warn|error|fatal]"))
        return;
    log_source = argc > 1 && strcmp(argv[1], "*") ? argv[1] : "";
    log_min = 0;
    if (argc > 2) {
        for (log_min = 0; log_min < 6 && strcmp(argv[2], level_names[log_min]); log_min++)
            ;
        if (log_min == 6) {
            printf("log: no level '");
            sh_clean_str(argv[2], strlen(argv[2]), 0);
            printf("' (trace debug info warn error fatal)\n");
            return;
        }
    }
    log_first = 0;
    if (!keep_pages(argv[0], log_page, 256))
        return;
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

/* ---- capsules ---------------------------------------------------------------- */

#define T_UPGRADE 5000000ull  /* switch, readiness window (300 ms), rollback */

static void hexbytes(struct capnp_data d, unsigned max)
{
    for (uint32_t i = 0; i < d.len && i < max; i++)
        printf("%02x", d.ptr[i]);
    if (!d.len)
        printf("-");
}

static void cap_list(const char *cmd)
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

static void cap_info(const char *cmd, const char *name)
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
        field("reason", Supervisor_CapsuleInfo_reason(c));
    }
    sh_reply_ok(cmd, &rep);
}

/* start, stop and rollback answer (status, message[, cycles]). */
static void cap_by_name(const char *cmd, const char *name, uint16_t method)
{
    if (sup_call_name(cmd, method, name, T_UPGRADE))
        status_reply(cmd, name);
}

static void cap_upgrade(const char *cmd, const char *name, const char *ver)
{
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

static void cmd_capsule(int argc, char **argv)
{
    static const char use[] = "list | info <name> | start <name> | stop <name> | "
                              "upgrade <name> <version> | rollback <name>";
    const char *sub = argc > 1 ? argv[1] : "";
    if (!strcmp(sub, "list") && argc == 2)
        return cap_list("capsule list");
    if (!strcmp(sub, "info") && argc == 3)
        return cap_info("capsule info", argv[2]);
    if (!strcmp(sub, "start") && argc == 3)
        return cap_by_name("capsule start", argv[2], Supervisor_method_capsuleStart);
    if (!strcmp(sub, "stop") && argc == 3)
        return cap_by_name("capsule stop", argv[2], Supervisor_method_capsuleStop);
    if (!strcmp(sub, "rollback") && argc == 3)
        return cap_by_name("rollback", argv[2], Supervisor_method_rollback);
    if (!strcmp(sub, "upgrade") && argc == 4)
        return cap_upgrade("upgrade", argv[2], argv[3]);
    printf("usage: capsule %s\n", use);
}

const struct sh_cmd sh_cmds[] = {
    {"help", "", "list the commands", cmd_help},
    {"ps", "", "Tasks: id, name, state, priority, memory, restarts, faults", cmd_ps},
    {"services", "", "services: state, Task, restarts, policy, last exit", cmd_services},
    {"caps", "<service>", "the capabilities a service holds", cmd_caps},
    {"ls", "[root:path]", "what a naming root has under a path (default SYS:)", cmd_ls},
    {"start", "<service>", "start a stopped service", cmd_start},
    {"stop", "<service>", "stop a running service", cmd_stop},
    {"restart", "<service>", "stop and start a service", cmd_restart},
    {"kill", "<task id>", "kill a Task (its supervisor decides what follows)", cmd_kill},
    {"log", "[service] [level]", "the newest log records, optionally filtered", cmd_log},
    {"mem", "", "memory: each Reticle's size, use and objects", cmd_mem},
    {"events", "", "the newest supervision events: exits, faults, restarts", cmd_events},
    {"capsule", "<subcommand>",
     "capsules: list, info N, start N, stop N, upgrade N VER, rollback N", cmd_capsule},
    {"echo", "[words]", "print the words", cmd_echo},
    {"uptime", "", "time since boot", cmd_uptime},
    {"halt", "", "stop the machine", cmd_halt},
    {"reboot", "", "reset the machine", cmd_halt},
};
const unsigned sh_ncmds = sizeof sh_cmds / sizeof sh_cmds[0];
