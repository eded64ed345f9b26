/*
 * tools.c: a word that is no shell command may name a tool, a program of
 * its own (a service whose restart policy is `tool`: net, ping, fetch,
 * listen, docs/NETWORK.md). The shell asks init to run it with the rest
 * of the line (Supervisor.run), then waits until that service is no
 * longer running (not at all with a last word "&"): the tool prints on
 * the console itself and exits. Code
 * of the tools is not in the shell.
 */
#include <string.h>

#include "conn.h"
#include "rt.h"
#include "schema/supervisor.capnp.h"
#include "vshell.h"

#define NAP_BIT 62     /* raised by nobody: a wait on it alone is a sleep (the Task's one
                        * kernel timer stays the shell's) */
#define TOOL_WAIT_S 120

static struct sh_reply rep;
static uint8_t out[512];

static void nap(uint64_t ms)
{
    v_signal_wait(1ull << NAP_BIT, ms * 1000);
}

/* Is service `name` running? false also when init cannot say. */
static bool running(const char *name)
{
    if (!sh_call("run", "init", Supervisor_method_listServices, 0, 0, &rep, 2000000))
        return false;
    Supervisor_ServiceInfo_RList l =
        Supervisor_listServices_Results_services(Supervisor_listServices_Results_read_root(&rep.msg));
    for (uint32_t i = 0; i < Supervisor_ServiceInfo_RList_len(l); i++) {
        Supervisor_ServiceInfo_R s = Supervisor_ServiceInfo_RList_get(l, i);
        struct capnp_text n = Supervisor_ServiceInfo_name(s), st = Supervisor_ServiceInfo_state(s);
        if (n.str && n.len == strlen(name) && !memcmp(n.str, name, n.len))
            return st.str && st.len == 7 && !memcmp(st.str, "running", 7);
    }
    return false;
}

bool sh_run_tool(int argc, char **argv)
{
    char line[128];
    size_t n = 0;
    bool wait = !(argc > 1 && !strcmp(argv[argc - 1], "&"));  /* "&": do not wait for it */
    if (!wait)
        argc--;
    for (int i = 1; i < argc; i++) {
        size_t k = strlen(argv[i]);
        if (n + k + 2 > sizeof line) {
            printf("%s: the command line is too long\n", argv[0]);
            return true;
        }
        if (n)
            line[n++] = ' ';
        memcpy(line + n, argv[i], k);
        n += k;
    }
    line[n] = 0;
    struct capnp_builder b;
    Supervisor_run_Params_B p;
    /* the tool is the service named as the word, or "<word>-tool" when
     * that name is taken by a service (net: the network stack itself) */
    char name[40];
    enum Supervisor_Status st = Supervisor_Status_notFound;
    Supervisor_StatusReply_R r;
    for (int k = 0; k < 2 && (st == Supervisor_Status_notFound || st == Supervisor_Status_denied); k++) {
        if (snprintf(name, sizeof name, k ? "%s-tool" : "%s", argv[0]) >= (int)sizeof name)
            return false;
        capnp_builder_init(&b, out, sizeof out);
        p = Supervisor_run_Params_build_root(&b);
        Supervisor_run_Params_set_name(p, name, strlen(name));
        Supervisor_run_Params_set_args(p, line, n);
        /* quietly: a Supervisor without run (an older init, the test mock)
         * or none at all means there are no tools, and the word is unknown */
        size_t len;
        const uint8_t *bytes = capnp_builder_bytes(&b, &len);
        if (capnp_builder_error(&b) ||
            rt_conn_call("init", false, Supervisor_method_run, bytes, len, &rep.m, 5000000) ||
            rep.m.hdr.kind != (Supervisor_method_run | IPC_REPLY) ||
            capnp_msg_init_flat(&rep.msg, rep.m.data, rep.m.hdr.len))
            return false;
        for (unsigned i = 0; i < rep.m.ncaps; i++)
            v_cap_delete(rep.m.caps[i]);
        capnp_msg_set_limits(&rep.msg, 4 * (rep.m.hdr.len / 8) + 64, 8);
        r = Supervisor_StatusReply_read_root(&rep.msg);
        st = Supervisor_StatusReply_status(r);
    }
    if (st == Supervisor_Status_notFound || st == Supervisor_Status_denied)
        return false;           /* no such tool: an unknown command */
    if (st != Supervisor_Status_ok) {
        struct capnp_text m = Supervisor_StatusReply_message(r);
        printf("%s: ", argv[0]);
        sh_clean(m, 0);
        printf("\n");
        return true;
    }
    for (unsigned t = 0; wait && t < TOOL_WAIT_S * 10 && running(name); t++)
        nap(100);
    return true;
}
