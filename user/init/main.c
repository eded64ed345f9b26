/*
 * init main: boot the system described by the manifest, then supervise
 * and serve until told to halt. The order is the layering's (init.h,
 * capsvc.h): verify the capsules, read and validate the manifest, bind
 * the capsule services to versions, spread refusals, start everything,
 * then serve. Every wake that is not a request goes to on_bits: a
 * child's end (SIG_CHILD), the one timer (SIG_TIMER), a probe's answer.
 */
#include <stdio.h>
#include <string.h>

#include "capsvc.h"
#include "console.h"
#include "trust.h"

static v_handle init_accept_rx;

static const void *module(const char *name, size_t *len)
{
    const struct v_bootinfo *b = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    for (uint32_t i = 0; i < b->nmodules && i < 16; i++)
        if (!strcmp(b->module[i].name, name)) {
            *len = b->module[i].size;
            return (const void *)b->module[i].vaddr;
        }
    return 0;
}

/* A new connection from init to a running service, or false. */
static bool connect_to(const char *name, v_handle client[2])
{
    int i = svc_find(name);
    return i >= 0 && svcs[i].state == S_RUNNING &&
           ipc_introduce(init_memory, svcs[i].accept_tx, "init", client) == IPC_OK;
}

/* init logs its events through the log service once it runs, and again
 * after every restart of it (the old connection died with it); likewise
 * its own output goes to the console service ("serial"): the kernel's
 * console is for before that, and for panics. */
static void log_connect(void)
{
    v_handle client[2];
    if (connect_to("log", client))
        event_log_use(client[0], client[1]);
}

static void console_connect(void)
{
    v_handle client[2];
    if (connect_to("serial", client) && rt_console_use(client[0], client[1]) != 0)
        rt_set_output(0);       /* back to the kernel console */
}

static void started(struct service *s)
{
    if (!strcmp(s->name, "log"))
        log_connect();
    if (!strcmp(s->name, "serial"))
        console_connect();
}

static void on_bits(struct ipc_server *s, uint64_t bits)
{
    (void)s;
    if (bits & (1ull << SIG_CHILD))
        supervise_check();
    upgrade_poll();
    deadline_run();
}

int main(void)
{
    printf("init: starting\n");
    init_memory = rt_cap("reticle0");
    init_fault_signal =
        (v_handle)v_signal_mint(rt_cap("self"), 1ull << SIG_CHILD, V_SLOT_ANY).val;
    struct v_ret r = v_retype(init_memory, V_TYPE_RING_SEND, IPC_RING_PARAM, V_SLOT_ANY);
    if (r.err)
        rt_die("init: cannot make its own accept Ring: %s", rt_errname(r.err));
    init_accept_tx = (v_handle)r.val;
    init_accept_rx = V_RING_RECV_END(r.val);

    const struct v_bootinfo *bi = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    char cmdline[sizeof bi->cmdline + 1];
    memcpy(cmdline, bi->cmdline, sizeof bi->cmdline);
    cmdline[sizeof bi->cmdline] = 0;
    capbench_init(cmdline);
    capsule_boot();
    size_t len;
    const void *man = capsule_system_manifest(&len);
    if (!man)
        man = module("system.manifest", &len);
    if (!man)
        rt_die("init: the boot image has no system.manifest");
    char err[128];
    if (manifest_load(man, len, err, sizeof err))
        rt_die("init: system.manifest: %s", err);
    manifest_validate();
    trust_persisted();      /* the install policy's memory of earlier boots */
    capsule_validate();     /* the version each capsule service runs */
    manifest_spread_refusals();
    unsigned accepted = 0;
    for (int i = 0; i < nsvc; i++)
        accepted += svcs[i].state != S_REFUSED;
    printf("init: manifest has %d services, %u accepted\n", nsvc, accepted);

    static struct ipc_server srv;
    svc_started_hook = started;
    start_all();
    for (int i = 0; i < nsvc; i++)
        if (svcs[i].state == S_RUNNING)
            printf("init: started %s (task %llu)\n", svcs[i].name,
                   (unsigned long long)svcs[i].task_id);
    fflush(stdout);
    log_connect();
    console_connect();

    if (ipc_server_init(&srv, init_accept_rx))
        rt_die("init: cannot serve its accept Ring");
    session_listen(&srv);   /* introduce grants into init: logged-in sessions */
    upgrade_init(&srv);     /* before any end is looked at */
    capstore_boot(cmdline); /* the store's generation, when the system has a store */
    srv.extra_bits = 1ull << SIG_CHILD | 1ull << SIG_TIMER;
    srv.on_bits = on_bits;
    supervise_check();
    monitor_arm();
    control_serve(&srv);
}
