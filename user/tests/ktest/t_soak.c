/* A real service (user/services/timerd, boot module "timerd.elf") crashed and
 * restarted under load, as init restarts services: the accounting of
 * every Reticle involved stays exact through every cycle. */
#include <stdlib.h>

#include "ipc.h"
#include "ktest.h"
#include "schema/timer.capnp.h"

static const void *find_module(const char *name, size_t *len)
{
    const struct v_bootinfo *b = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    for (unsigned i = 0; i < b->nmodules; i++)
        if (!strcmp(b->module[i].name, name)) {
            *len = b->module[i].size;
            return (const void *)b->module[i].vaddr;
        }
    return 0;
}

static size_t build_sleep(uint8_t *buf, size_t cap, uint64_t us)
{
    struct capnp_builder b;
    capnp_builder_init(&b, buf, cap);
    Timer_sleep_Params_set_us(Timer_sleep_Params_build_root(&b), us);
    size_t len;
    capnp_builder_bytes(&b, &len);
    return len;
}

/* kt_soak_cycles (100; "soak=N" on the command line: make soak's 1 000).
 * Each cycle: timerd is spawned on the same accept Ring (as init keeps a
 * service's), a client connects through it (as init introduces one),
 * makes now() and sleep() calls, leaves a sleep pending, and the service
 * is killed in the middle of it and destroyed. The client sees the
 * connection closed; the test Reticle's bytes, the accept Ring and the
 * root's table come back exactly, every cycle, not just at the end. */
KCASE(SOK0001, 1, "what if a real service is killed mid-request and restarted, cycle after cycle?")
{
    size_t len;
    const void *elf = find_module("timerd.elf", &len);
    if (!elf) {
        kt_fail(__LINE__, "no timerd.elf among the boot modules");
        return;
    }
    struct ipc_msg *reply = malloc(sizeof *reply);
    K_TRUE(reply != 0);
    uint64_t ring = K_OK(v_retype(T, V_TYPE_RING_SEND, IPC_RING_PARAM, V_SLOT_ANY));
    v_handle acc_tx = (v_handle)ring, acc_rx = V_RING_RECV_END(ring);
    uint64_t f0 = 0, t0 = 0, answered = 0;
    for (uint64_t cycle = 0; cycle < kt_soak_cycles; cycle++) {
        v_handle listen = (v_handle)K_OK(v_cap_copy(acc_rx, V_SLOT_ANY));
        struct rt_bundle_item it[] = {{"listen", listen, true}};
        struct rt_spawn_args a = {
            .elf = elf, .elf_len = len, .name = "timer", .reticle = T, .memory = 256 * 1024,
            .prio = 16, .table_bits = 7, .fault_signal = SIGF, .items = it, .nitems = 1,
            .give_memory = true,
        };
        struct rt_child c;
        int e = rt_spawn(&a, &c);
        if (e) {
            kt_fail(__LINE__, "cycle %lu: spawn: %s", cycle, rt_errname(e));
            break;
        }
        v_handle client[2];
        struct ipc_conn conn;
        K_EQ(ipc_introduce(T, acc_tx, "soak", client), IPC_OK);
        K_EQ(ipc_attach(&conn, client[0], client[1]), IPC_OK);
        for (int k = 0; k < 3; k++) {
            K_EQ(ipc_call(&conn, Timer_method_now, 0, 0, 0, 0, reply, 2000000), IPC_OK);
            answered++;
        }
        uint8_t buf[32];
        size_t n = build_sleep(buf, sizeof buf, 1000);
        K_EQ(ipc_call(&conn, Timer_method_sleep, buf, (uint32_t)n, 0, 0, reply, 2000000), IPC_OK);
        answered++;
        /* a sleep left pending, then the crash in the middle of it */
        n = build_sleep(buf, sizeof buf, 500000);
        K_EQ(ipc_send(&conn, Timer_method_sleep, 99, buf, (uint32_t)n, 0, 0, 1000000), IPC_OK);
        v_yield();
        K_OK(v_task_kill(c.task));
        K_EQ(rt_child_destroy(&c), 0);
        K_EQ(ipc_recv(&conn, reply, 1000000), IPC_CLOSED);     /* never completed */
        ipc_detach(&conn);
        struct v_capinfo ai;
        K_OK(v_cap_info(acc_rx, (uint64_t)&ai));
        K_EQ(ai.free, V_RING_XQ);                /* nothing left queued on the accept Ring */
        if (cycle == 0) {
            f0 = kt_free(T);
            t0 = kt_table_free();
        } else if (kt_free(T) != f0 || kt_table_free() != t0) {
            kt_fail(__LINE__, "cycle %lu: %ld bytes and %ld slots went", cycle,
                    (long)(f0 - kt_free(T)), (long)(t0 - kt_table_free()));
            break;
        }
    }
    printf("KTEST NOTE SOK0001 %lu crash-and-restart cycles of timerd, %lu requests answered, "
           "0 bytes and 0 slots lost after the first cycle\n",
           kt_soak_cycles, answered);
    K_OK(v_cap_delete(acc_tx));
    K_OK(v_cap_delete(acc_rx));
    free(reply);
}
