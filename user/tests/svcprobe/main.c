/*
 * svcprobe: a service for testing init and the naming service. What it
 * does is its start argument (args[0] in the manifest):
 *   1  fault at once (a crash loop under a restarting policy)
 *   2  run for three seconds, then fault (restarted every time)
 *   3  a naming client: list SYS: and SYS:svc, connect to SYS:svc/naming
 *      (and to a name that does not exist), report each result
 *   4  look for a naming root it was not given
 *   5  exit with status 3 at once
 *   6  after 10.5 s, ask init (Supervisor) for its services and events,
 *      print them, and halt the system
 *   7  ask init (Supervisor.reroot) for naming roots it was not granted
 *      and for names that are not roots; each answer is printed and
 *      logged as "reroot PASS|FAIL <question>: <status>, <n> capabilities"
 *   0  idle forever
 */
#include <stdio.h>
#include <string.h>

#include "ipc.h"
#include "logc.h"
#include "rt.h"
#include "schema/naming.capnp.h"
#include "schema/supervisor.capnp.h"

static uint8_t buf[IPC_PAYLOAD_MAX] __attribute__((aligned(8)));
static struct ipc_msg rep;

/* Call method with b's message and open the reply in msg; 0 or an ipc
 * status. */
static int call_built(struct ipc_conn *c, uint16_t method, struct capnp_builder *b,
                      struct capnp_msg *msg)
{
    size_t len;
    const uint8_t *bytes = capnp_builder_bytes(b, &len);
    int e = ipc_call(c, method, bytes, (uint32_t)len, 0, 0, &rep, 2000000);
    if (!e)
        capnp_msg_init_flat(msg, rep.data, rep.hdr.len);
    return e;
}

static void list(struct ipc_conn *sys, const char *path)
{
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Naming_resolve_Params_set_path(Naming_resolve_Params_build_root(&b), path, strlen(path));
    struct capnp_msg msg;
    int e = call_built(sys, Naming_method_resolve, &b, &msg);
    if (e) {
        printf("probe: resolve %s: %s\n", path, ipc_strerror(e));
        return;
    }
    Naming_Resolution_R r = Naming_resolve_Results_result(Naming_resolve_Results_read_root(&msg));
    printf("probe: resolve %s: status %u", path, (unsigned)Naming_Resolution_status(r));
    if (Naming_Resolution_which(r) == Naming_Resolution_which_directory) {
        struct capnp_list l = Naming_Resolution_directory_entries(Naming_Resolution_directory(r));
        for (uint32_t i = 0; i < capnp_list_len(l); i++)
            printf(" %s", capnp_list_text(l, i).str);
    }
    printf("\n");
}

static int connect_to(struct ipc_conn *sys, const char *path)
{
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Naming_connect_Params_set_path(Naming_connect_Params_build_root(&b), path, strlen(path));
    struct capnp_msg msg;
    int e = call_built(sys, Naming_method_connect, &b, &msg);
    if (e)
        return -e;
    unsigned st = Naming_connect_Results_status(Naming_connect_Results_read_root(&msg));
    printf("probe: connect %s: status %u, %u capabilities\n", path, st, rep.ncaps);
    for (unsigned i = 0; i < rep.ncaps; i++)
        v_cap_delete(rep.caps[i]);
    return (int)st;
}

static bool open_init(struct ipc_conn *init)
{
    int e = ipc_open("init", init);
    if (e)
        printf("probe: no connection to init: %s\n", ipc_strerror(e));
    return !e;
}

/* Ask init for the root `name`, which must be refused with status want
 * and no capabilities: the question, and the answer, go to the debug
 * console (if any) and the log (if any). */
static bool reroot_refused(struct ipc_conn *init, const char *question, const char *name,
                           size_t len, enum Supervisor_Status want)
{
    static const char *const names[] = {"ok",     "notFound", "badState",   "denied",
                                        "failed", "badName",  "unavailable"};
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Supervisor_Named_set_name(Supervisor_Named_build_root(&b), name, len);
    struct capnp_msg msg;
    int e = call_built(init, Supervisor_method_reroot, &b, &msg);
    unsigned st = e ? 99 : Supervisor_StatusReply_status(Supervisor_StatusReply_read_root(&msg));
    unsigned ncaps = e ? 0 : rep.ncaps;
    for (unsigned i = 0; i < ncaps; i++)
        v_cap_delete(rep.caps[i]);
    bool pass = !e && st == want && ncaps == 0 && !capnp_msg_error(&msg);
    const char *got = e ? ipc_strerror(e) : st < 7 ? names[st] : "?";
    printf("probe: reroot %s %s: %s, %u capabilities\n", pass ? "PASS" : "FAIL", question, got,
           ncaps);
    rt_log(pass ? RT_LOG_INFO : RT_LOG_ERROR, "reroot %s %s: %s, %u capabilities",
           pass ? "PASS" : "FAIL", question, got, ncaps);
    return pass;
}

/* A service that holds "init" and "log" but no naming root. */
static int reroot_hostile(void)
{
    struct ipc_conn init;
    if (!open_init(&init))
        return 1;
    bool ok = reroot_refused(&init, "what if a service without SYS: asks for it?", "SYS:", 4,
                             Supervisor_Status_denied);
    ok &= reroot_refused(&init, "what if it asks for a root nobody has?", "NOWHERE:", 8,
                         Supervisor_Status_denied);
    ok &= reroot_refused(&init, "what if it names a connection it holds that is no root?",
                         "log", 3, Supervisor_Status_badName);
    ok &= reroot_refused(&init, "what if the name is empty?", "", 0, Supervisor_Status_badName);
    ok &= reroot_refused(&init, "what if the name hides a NUL?", "SYS:\0:", 6,
                         Supervisor_Status_badName);
    ok &= reroot_refused(&init, "what if the name is longer than any grant's?",
                         "SYSSYSSYSSYSSYSSYSSYS:", 22, Supervisor_Status_badName);
    rt_log(RT_LOG_INFO, "reroot checks done");
    return ok ? 0 : 1;
}

static int report_and_halt(void)
{
    struct ipc_conn init;
    int e;
    if (!open_init(&init))
        return 1;
    if ((e = ipc_call(&init, Supervisor_method_listServices, 0, 0, 0, 0, &rep, 2000000))) {
        printf("probe: listServices: %s\n", ipc_strerror(e));
        return 1;
    }
    struct capnp_msg msg;
    capnp_msg_init_flat(&msg, rep.data, rep.hdr.len);
    Supervisor_ServiceInfo_RList l =
        Supervisor_listServices_Results_services(Supervisor_listServices_Results_read_root(&msg));
    for (uint32_t i = 0; i < Supervisor_ServiceInfo_RList_len(l); i++) {
        Supervisor_ServiceInfo_R r = Supervisor_ServiceInfo_RList_get(l, i);
        printf("probe: service %s state=%s restarts=%u reason=%s\n",
               Supervisor_ServiceInfo_name(r).str, Supervisor_ServiceInfo_state(r).str,
               Supervisor_ServiceInfo_restarts(r), Supervisor_ServiceInfo_reason(r).str);
    }
    if ((e = ipc_call(&init, Supervisor_method_listTasks, 0, 0, 0, 0, &rep, 2000000)) == 0) {
        capnp_msg_init_flat(&msg, rep.data, rep.hdr.len);
        Supervisor_TaskInfo_RList t =
            Supervisor_listTasks_Results_tasks(Supervisor_listTasks_Results_read_root(&msg));
        for (uint32_t i = 0; i < Supervisor_TaskInfo_RList_len(t); i++) {
            Supervisor_TaskInfo_R r = Supervisor_TaskInfo_RList_get(t, i);
            printf("probe: task %llu %s %s restarts=%u",
                   (unsigned long long)Supervisor_TaskInfo_id(r), Supervisor_TaskInfo_name(r).str,
                   Supervisor_TaskInfo_state(r).str, Supervisor_TaskInfo_restarts(r));
            if (Supervisor_TaskInfo_label(r))
                printf(" label=%#llx", (unsigned long long)Supervisor_TaskInfo_label(r));
            printf("\n");
        }
    }
    printf("probe: asking init to halt\n");
    fflush(stdout);
    ipc_call(&init, Supervisor_method_halt, 0, 0, 0, 0, &rep, 2000000);
    return 0;
}

/* Mode 8: a service whose manifest grants it the most a Bundle can need
 * (init, 14 connections to naming, the console, and 9 introducers of its
 * own): every grant must be there, each connection with its ".rx" end;
 * then ask init to halt. */
static int check_grants(void)
{
    const struct v_bundle *b = rt_bundle();
    static const char *const fixed[] = {"listen", "init", "init.rx", "debug"};
    unsigned missing = 0;
    char name[V_BUNDLE_NAME + 8];
    for (unsigned i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (!rt_cap(fixed[i]))
            printf("probe: missing %s\n", fixed[i]), missing++;
    for (int i = 1; i <= 14; i++) {
        snprintf(name, sizeof name, "g%d", i);
        if (!rt_cap(name))
            printf("probe: missing %s\n", name), missing++;
        snprintf(name, sizeof name, "g%d.rx", i);
        if (!rt_cap(name))
            printf("probe: missing %s\n", name), missing++;
    }
    for (int i = 1; i <= 9; i++) {
        snprintf(name, sizeof name, "listen.intro%d", i);
        if (!rt_cap(name))
            printf("probe: missing %s\n", name), missing++;
    }
    printf("probe: %u Bundle entries, %u grants missing\n", b ? b->count : 0, missing);
    fflush(stdout);
    struct ipc_conn init;
    if (!open_init(&init))
        return 1;
    ipc_call(&init, Supervisor_method_halt, 0, 0, 0, 0, &rep, 2000000);
    return 0;
}

int main(void)
{
    uint64_t mode = rt_arg();
    switch (mode) {
    case 1:
        __asm__ volatile("ud2");
        return 1;
    case 6:
        v_timer_set(RT_SIG_TIMER, 10500000);
        v_signal_wait(1ull << RT_SIG_TIMER, V_TIMEOUT_NEVER);
        return report_and_halt();
    case 2:
        v_timer_set(RT_SIG_TIMER, 3000000);
        v_signal_wait(1ull << RT_SIG_TIMER, V_TIMEOUT_NEVER);
        __asm__ volatile("ud2");
        return 1;
    case 3: {
        struct ipc_conn sys;
        int e = ipc_open("SYS:", &sys);
        if (e) {
            printf("probe: no naming root: %s\n", ipc_strerror(e));
            return 1;
        }
        list(&sys, "SYS:");
        list(&sys, "SYS:svc");
        list(&sys, "SYS:svc/naming");
        list(&sys, "nonsense");
        connect_to(&sys, "SYS:svc/naming");
        connect_to(&sys, "SYS:svc/nosuch");
        printf("probe: naming checks done\n");
        return 0;
    }
    case 4:
        if (!rt_cap("SYS:"))
            printf("probe: no naming root: cannot resolve SYS:svc/naming\n");
        else
            printf("probe: unexpectedly holds a naming root\n");
        return 0;
    case 5:
        return 3;
    case 7:
        return reroot_hostile();
    case 8:
        v_timer_set(RT_SIG_TIMER, 1500000);           /* the introducers start after it */
        v_signal_wait(1ull << RT_SIG_TIMER, V_TIMEOUT_NEVER);
        return check_grants();
    default:
        rt_sleep_us(V_TIMEOUT_NEVER);
        return 0;
    }
}
