/*
 * capdemo: a small service that capsule tests package, in versions that
 * behave well and versions that do not (docs/CAPSULE.md, "In the OS").
 *
 * One binary serves every version: sys/capsules.mk patches the
 * configuration string below ("CAPDEMO-CONF <mode> <version>", see
 * user/tests/capdemo/capsule-tool conf) into a copy per capsule, so each
 * version is a distinct, immutable binary with its own digest. Modes:
 *   serve   serve forever: method 0 answers "capdemo <version> (<mode>)",
 *           anything else IPC_ERROR (which is all a readiness probe needs)
 *   crash   serve, then fault 100 ms after starting (a broken upgrade)
 *   silent  start but never serve (fails a readiness probe)
 *   hog     serve; after 200 ms retype 384 KiB of memory (above its mem_max)
 *   rogue   serve; after 200 ms make device-class system calls, a class
 *           its profile does not declare
 *   chatty  serve; after 200 ms make 5000 system calls at once (above
 *           its declared rate)
 * It prints through its "console" connection if it has one, else the
 * kernel console if it has "debug", else not at all.
 */
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "ipc.h"
#include "rt.h"

#define ACT_BIT RT_SIG_TIMER
#define HOG_VA 0x0000500000000000ull

/* Patched per version; volatile, so the compiler cannot fold it. */
static volatile const char conf[64] = "CAPDEMO-CONF serve 0.0.0";

static char mode[16], version[40];

static void read_conf(void)
{
    char c[65];
    for (int i = 0; i < 64; i++)
        c[i] = conf[i];
    c[64] = 0;
    char *p = c + 13;                   /* after "CAPDEMO-CONF " */
    char *sp = strchr(p, ' ');
    if (strncmp(c, "CAPDEMO-CONF", 12) || c[12] != ' ' || !sp)
        rt_die("capdemo: bad configuration");
    *sp = 0;
    strlcpy(mode, p, sizeof mode);
    strlcpy(version, sp + 1, sizeof version);
}

static bool is(const char *m) { return !strcmp(mode, m); }

static void handle(struct ipc_server *s, struct ipc_conn *c, struct ipc_msg *m)
{
    for (unsigned i = 0; i < m->ncaps; i++)
        v_cap_delete(m->caps[i]);
    if (m->hdr.kind == 0) {
        char text[80];
        int n = snprintf(text, sizeof text, "capdemo %s (%s)", version, mode);
        ipc_reply(c, m, text, (uint32_t)n, 0, 0);
        return;
    }
    ipc_send(c, IPC_ERROR | IPC_REPLY, m->hdr.id, 0, 0, 0, 0, 0);
}

/* The misbehaviour, on the timer. */
static void act(struct ipc_server *s, uint64_t bits)
{
    if (is("crash")) {
        printf("capdemo %s (crash): crashing on purpose\n", version);
        fflush(stdout);
        volatile uintptr_t nowhere = 16;
        *(volatile int *)nowhere = 1;
    } else if (is("hog")) {
        int e = rt_map_frames(0, HOG_VA, 96, V_R_READ | V_R_WRITE, 0);
        printf("capdemo %s (hog): took 384 KiB more (%s)\n", version, e ? rt_errname(e) : "ok");
    } else if (is("rogue")) {
        for (int i = 0; i < 8; i++)
            v_io_in(0, 0x80, 1);
        printf("capdemo %s (rogue): poked at I/O ports\n", version);
    } else if (is("chatty")) {
        for (int i = 0; i < 5000; i++)
            v_yield();
        printf("capdemo %s (chatty): made 5000 calls\n", version);
    }
    fflush(stdout);
}

int main(void)
{
    read_conf();
    if (rt_cap("console"))
        rt_console_attach();
    printf("capdemo %s: %s\n", version, is("silent") ? "up, not serving" : "serving");
    fflush(stdout);
    if (is("silent"))
        for (;;)
            v_signal_wait(1ull << ACT_BIT, V_TIMEOUT_NEVER);
    static struct ipc_server srv;
    if (ipc_server_init(&srv, rt_cap("listen")))
        rt_die("capdemo %s: cannot serve its accept Ring", version);
    srv.handle = handle;
    if (!is("serve")) {
        srv.extra_bits = 1ull << ACT_BIT;
        srv.on_bits = act;
        v_timer_set(ACT_BIT, is("crash") ? 100000 : 200000);
    }
    for (;;)
        ipc_serve(&srv, V_TIMEOUT_NEVER);
}
