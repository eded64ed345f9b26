/*
 * init main: boot the system described by the manifest, then supervise
 * and serve until told to halt.
 */
#include <stdio.h>
#include <string.h>

#include "init.h"

v_handle init_accept_tx, init_accept_rx, sigf;

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

static void on_bits(struct ipc_server *s, uint64_t bits)
{
    if (bits & (1ull << 63))
        supervise_check();
    monitor_tick();
    supervise_timers();
}

int main(void)
{
    printf("init: starting\n");
    init_memory = rt_cap("reticle0");
    sigf = (v_handle)v_signal_mint(rt_cap("self"), 1ull << 63, V_SLOT_ANY).val;
    struct v_ret r = v_retype(init_memory, V_TYPE_RING_SEND, IPC_RING_PARAM, V_SLOT_ANY);
    if (r.err)
        rt_die("init: cannot make its own accept Ring: %s", rt_errname(r.err));
    init_accept_tx = (v_handle)r.val;
    init_accept_rx = (v_handle)(r.val >> 32);

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
    unsigned accepted = 0;
    for (int i = 0; i < nsvc; i++)
        accepted += svcs[i].state != S_REFUSED;
    printf("init: manifest has %d services, %u accepted\n", nsvc, accepted);
    start_all();
    for (int i = 0; i < nsvc; i++)
        if (svcs[i].state == S_RUNNING)
            printf("init: started %s (task %llu)\n", svcs[i].name,
                   (unsigned long long)svcs[i].task_id);
    fflush(stdout);
    init_log_connect();
    init_console_connect();

    static struct ipc_server srv;
    if (ipc_server_init(&srv, init_accept_rx))
        rt_die("init: cannot serve its accept Ring");
    control_init(&srv);
    init_server = &srv;
    srv.extra_bits = 1ull << 63 | 1ull << 62;
    srv.on_bits = on_bits;
    supervise_check();
    for (;;)
        ipc_serve(&srv, V_TIMEOUT_NEVER);
}
