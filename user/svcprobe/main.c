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
 *   0  idle forever
 */
#include <stdio.h>
#include <string.h>

#include "ipc.h"
#include "rt.h"
#include "schema/naming.capnp.h"
#include "schema/supervisor.capnp.h"

static uint8_t buf[IPC_PAYLOAD_MAX] __attribute__((aligned(8)));

static void list(struct ipc_conn *sys, const char *path)
{
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Naming_resolve_Params_B p = Naming_resolve_Params_build_root(&b);
    Naming_resolve_Params_set_path(p, path, strlen(path));
    size_t len;
    const uint8_t *bytes = capnp_builder_bytes(&b, &len);
    static struct ipc_msg rep;
    int e = ipc_call(sys, Naming_method_resolve, bytes, (uint32_t)len, 0, 0, &rep, 2000000);
    if (e) {
        printf("probe: resolve %s: %s\n", path, ipc_strerror(e));
        return;
    }
    struct capnp_msg msg;
    capnp_msg_init_flat(&msg, rep.data, rep.hdr.len);
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
    Naming_connect_Params_B p = Naming_connect_Params_build_root(&b);
    Naming_connect_Params_set_path(p, path, strlen(path));
    size_t len;
    const uint8_t *bytes = capnp_builder_bytes(&b, &len);
    static struct ipc_msg rep;
    int e = ipc_call(sys, Naming_method_connect, bytes, (uint32_t)len, 0, 0, &rep, 2000000);
    if (e)
        return -e;
    struct capnp_msg msg;
    capnp_msg_init_flat(&msg, rep.data, rep.hdr.len);
    unsigned st = Naming_connect_Results_status(Naming_connect_Results_read_root(&msg));
    printf("probe: connect %s: status %u, %u capabilities\n", path, st, rep.ncaps);
    for (unsigned i = 0; i < rep.ncaps; i++)
        v_cap_delete(rep.caps[i]);
    return (int)st;
}

static int report_and_halt(void)
{
    struct ipc_conn init;
    int e = ipc_open("init", &init);
    if (e) {
        printf("probe: no connection to init: %s\n", ipc_strerror(e));
        return 1;
    }
    static struct ipc_msg rep;
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
            printf("probe: task %llu %s %s restarts=%u\n",
                   (unsigned long long)Supervisor_TaskInfo_id(r), Supervisor_TaskInfo_name(r).str,
                   Supervisor_TaskInfo_state(r).str, Supervisor_TaskInfo_restarts(r));
        }
    }
    printf("probe: asking init to halt\n");
    fflush(stdout);
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
        v_timer_set(60, 10500000);
        v_signal_wait(1ull << 60, V_TIMEOUT_NEVER);
        return report_and_halt();
    case 2:
        v_timer_set(60, 3000000);
        v_signal_wait(1ull << 60, V_TIMEOUT_NEVER);
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
    default:
        v_signal_wait(1ull << 59, V_TIMEOUT_NEVER);
        return 0;
    }
}
