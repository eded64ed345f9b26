/*
 * svctest: see svctest.h. This file starts the services, routes the
 * suite's own output through the console service once it answers (so
 * it cannot interleave with what the driver is still sending), runs the
 * cases in ID order and ends QEMU with the verdict.
 */
#include "svctest.h"

#include "console.h"

struct svc svcs[NSVC] = {
    [SVC_LOG] = {.name = "log", .module = "logd.elf"},
    [SVC_SERIAL] = {.name = "serial", .module = "serial.elf"},
    [SVC_TIMER] = {.name = "timer", .module = "timerd.elf"},
    [SVC_SHELL] = {.name = "vshell", .module = "vshell.elf"},
};
v_handle T, SELF;
static v_handle SIGF, DEBUG;

#define FAULT_BIT RT_SIG_FAULT

void st_sleep_ms(uint64_t ms)
{
    v_timer_set(RT_SIG_TIMER, ms * 1000);
    v_signal_wait(1ull << RT_SIG_TIMER, V_TIMEOUT_NEVER);
}

uint64_t st_free(void)
{
    struct v_capinfo i;
    return v_cap_info(T, (uint64_t)&i).err ? ~0ull : i.free;
}

uint64_t st_quiesce(void)
{
    uint64_t f = st_free();
    for (int i = 0; i < 100; i++) {
        st_sleep_ms(10);
        uint64_t g = st_free();
        if (g == f)
            break;
        f = g;
    }
    return f;
}

uint64_t st_settle(uint64_t want)
{
    uint64_t f = st_free();
    for (int i = 0; i < 100 && f != want; i++) {
        st_sleep_ms(10);
        f = st_free();
    }
    return f;
}

bool st_alive(int s)
{
    struct v_taskinfo ti;
    if (!svcs[s].running || v_task_info(svcs[s].child.task, (uint64_t)&ti).err)
        return false;
    return (ti.state == V_TASK_RUNNABLE || ti.state == V_TASK_BLOCKED) && ti.faults == 0;
}

void st_input(const char *tag)
{
    printf("SVCTEST INPUT %s\n", tag);
    fflush(stdout);
}

int st_connect(int s, const char *as, struct ipc_conn *c)
{
    v_handle client[2];
    memset(c, 0, sizeof *c);
    int e = ipc_introduce(T, svcs[s].accept_tx, as, client);
    if (e)
        return e;
    if ((e = ipc_attach(c, client[0], client[1]))) {
        v_cap_delete(client[0]);
        v_cap_delete(client[1]);
    }
    return e;
}

uint64_t st_send(struct ipc_conn *c, uint16_t kind, const void *p, uint32_t len, int *status)
{
    uint64_t id = c->next_id++;
    *status = ipc_send(c, kind, id, p, len, 0, 0, 1000000);
    return id;
}

int st_call(struct ipc_conn *c, uint16_t kind, const void *p, uint32_t len,
            struct ipc_msg *reply, uint64_t timeout_us)
{
    int st;
    uint64_t id = st_send(c, kind, p, len, &st);
    if (st)
        return st;
    for (;;) {
        if ((st = ipc_recv(c, reply, timeout_us)))
            return st;
        for (unsigned i = 0; i < reply->ncaps; i++)
            v_cap_delete(reply->caps[i]);
        if (reply->hdr.id < id)
            continue;
        return reply->hdr.id == id && (reply->hdr.kind & IPC_REPLY) ? IPC_OK : IPC_CORRUPT;
    }
}

/* ---- starting services ---------------------------------------------- */

static const struct v_bootinfo *bootinfo(void)
{
    const struct v_bootinfo *b = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    return b->magic == (V_BUNDLE_MAGIC ^ 1) ? b : 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strnlen(s, 48), b = strlen(suffix);
    return a >= b && !memcmp(s + a - b, suffix, b) && (a == b || s[a - b - 1] == '/');
}

static int start(int s, unsigned prio, struct rt_bundle_item *extra, unsigned nextra)
{
    struct svc *v = &svcs[s];
    if (!v->elf)
        return V_ENOTFOUND;
    struct v_ret r = v_retype(T, V_TYPE_RING_SEND, V_RING_PARAM(3, 6), V_SLOT_ANY);
    if (r.err)
        return (int)r.err;
    v->accept_tx = (v_handle)r.val;
    struct rt_bundle_item items[16];
    unsigned n = 0;
    items[n++] = (struct rt_bundle_item){"listen", V_RING_RECV_END(r.val), true};
    for (unsigned i = 0; i < nextra && n < 16; i++)
        items[n++] = extra[i];
    struct rt_spawn_args a = {
        .elf = v->elf, .elf_len = v->elf_len, .name = v->name, .reticle = T,
        .memory = 1 << 20, .prio = prio, .table_bits = 8, .fault_signal = SIGF,
        .items = items, .nitems = n, .give_memory = true,
    };
    int e = rt_spawn(&a, &v->child);
    if (!e)
        v->running = true;
    return e;
}

/* A connection for a child: `client` of `provider` (-1: the mocks), as
 * Bundle entries NAME and NAME.rx. */
static int grant_conn(int provider, const char *client, const char *name,
                      struct rt_bundle_item *items, char names[2][24])
{
    v_handle c[2];
    int e = ipc_introduce(T, provider < 0 ? mock_accept_tx : svcs[provider].accept_tx, client, c);
    if (e)
        return -e;
    snprintf(names[0], 24, "%s", name);
    snprintf(names[1], 24, "%s.rx", name);
    items[0] = (struct rt_bundle_item){names[0], c[0], true};
    items[1] = (struct rt_bundle_item){names[1], c[1], true};
    return 0;
}

static int start_all(bool shell)
{
    static char nm[8][2][24];
    struct rt_bundle_item it[10];
    int e;
    if ((e = start(SVC_LOG, 10, 0, 0)))
        return printf("svctest: cannot start logd: %s\n", rt_errname(e)), e;

    struct v_ret io = v_cap_mint(rt_cap("ioports"), V_SLOT_ANY, V_R_READ | V_R_WRITE | V_R_GRANT,
                                 V_IOPORTS(0x3f8, 8));
    struct v_ret irq = v_cap_mint(rt_cap("irq"), V_SLOT_ANY, V_R_CONTROL | V_R_GRANT, 1u << 4);
    if (io.err || irq.err)
        return printf("svctest: cannot mint device capabilities\n"), V_EINVAL;
    it[0] = (struct rt_bundle_item){"ioports", (v_handle)io.val, true};
    it[1] = (struct rt_bundle_item){"irq", (v_handle)irq.val, true};
    if ((e = grant_conn(SVC_LOG, "serial", "log", it + 2, nm[0])) ||
        (e = start(SVC_SERIAL, 12, it, 4)))
        return printf("svctest: cannot start serial: %d\n", e), e;

    if ((e = grant_conn(SVC_LOG, "timer", "log", it, nm[1])) || (e = start(SVC_TIMER, 10, it, 2)))
        return printf("svctest: cannot start timerd: %d\n", e), e;
    if (!shell)
        return 0;
    /* The shell: console, log and timer; init and SYS: are svctest's mocks (mock.c). */
    if ((e = grant_conn(SVC_SERIAL, "vshell", "console", it, nm[2])) ||
        (e = grant_conn(SVC_LOG, "vshell", "log", it + 2, nm[3])) ||
        (e = grant_conn(SVC_TIMER, "vshell", "timer", it + 4, nm[4])))
        return printf("svctest: cannot connect the shell: %d\n", e), e;
    struct v_ret r = v_retype(T, V_TYPE_RING_SEND, V_RING_PARAM(3, 6), V_SLOT_ANY);
    if (r.err)
        return (int)r.err;
    mock_accept_tx = (v_handle)r.val;
    mock_accept_rx = V_RING_RECV_END(r.val);
    if ((e = grant_conn(-1, "vshell:init", "init", it + 6, nm[5])) ||
        (e = grant_conn(-1, "vshell:naming", "SYS:", it + 8, nm[6])))
        return printf("svctest: cannot connect the shell to the mocks: %d\n", e), e;
    if ((e = start(SVC_SHELL, 8, it, 10)))
        return printf("svctest: cannot start vshell: %s\n", rt_errname(e)), e;
    return 0;
}

/* ---- output ----------------------------------------------------------- */

static void debug_write(const char *s, size_t n)
{
    while (n) {
        size_t k = n > 4096 ? 4096 : n;
        v_debug_write(DEBUG, (uint64_t)s, k);
        s += k;
        n -= k;
    }
}

/* Through the console service; if it stops answering, the kernel's. */
static void out(const char *s, size_t n)
{
    if (rt_console_write(s, n) < 0)
        debug_write(s, n);
}

/* ---- the suite ---------------------------------------------------------- */

/* Bits a case left pending (children, doorbells) are not the next one's;
 * the fault bit is left as it is. */
static void clear_signals(void)
{
    v_signal_wait(~0ull & ~(1ull << FAULT_BIT), 0);
}

int main(void)
{
    const struct v_bootinfo *bi = bootinfo();
    if (!bi)
        rt_die("svctest: no boot information");
    for (unsigned m = 1; m < bi->nmodules && m < 16; m++)
        for (int s = 0; s < NSVC; s++)
            if (ends_with(bi->module[m].name, svcs[s].module)) {
                svcs[s].elf = (const void *)bi->module[m].vaddr;
                svcs[s].elf_len = bi->module[m].size;
            }
    bool shell = strstr(bi->cmdline, "shell") != 0;
    SELF = rt_cap("self");
    DEBUG = rt_cap("debug");
    SIGF = (v_handle)v_signal_mint(SELF, 1ull << FAULT_BIT, V_SLOT_ANY).val;
    struct v_ret r = v_retype(rt_cap("reticle0"), V_TYPE_RETICLE, 32ull << 20, V_SLOT_ANY);
    if (r.err)
        rt_die("svctest: cannot make the test Reticle: %s", rt_errname(r.err));
    T = (v_handle)r.val;
    if (start_all(shell))
        return 1;

    v_handle con[2];
    int e = ipc_introduce(T, svcs[SVC_SERIAL].accept_tx, "svctest", con);
    if (!e)
        e = rt_console_use(con[0], con[1]);
    if (e)
        printf("svctest: console not reachable (%s): output stays on the kernel console\n",
               ipc_strerror(e));
    else
        rt_set_output(out);

    if (shell) {
        mock_serve_shell();
        st_sleep_ms(200);       /* let the driver send what it holds */
        return 0;
    }

    unsigned failed = suite_run("SVCTEST", NULL, clear_signals);
    fflush(stdout);
    st_sleep_ms(200);
    return failed ? 1 : 0;
}
