/*
 * kchild: the child Task of the in-guest test suite (user/tests/ktest). Its
 * start argument picks what it does: mode in the low byte, a parameter
 * above. Many modes are deliberately hostile.
 */
#include <stdio.h>
#include <string.h>

#include "ring/ring.h"
#include "rt.h"
#include "kchild.h"

static uint64_t rng;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void do_fault(unsigned which)
{
    static const uint8_t code_byte = 0xc3;
    volatile uint64_t zero = 0;
    switch (which) {
    case F_DE: __asm__ volatile("xor %%edx, %%edx; divq %0" ::"r"(zero) : "rax", "rdx"); break;
    case F_BP: __asm__ volatile("int3"); break;
    case F_UD: __asm__ volatile("ud2"); break;
    case F_HLT: __asm__ volatile("hlt"); break;
    case F_CLI: __asm__ volatile("cli"); break;
    case F_IN: __asm__ volatile("inb $0x60, %%al" ::: "rax"); break;
    case F_WRMSR: __asm__ volatile("wrmsr" ::"c"(0x10), "a"(0), "d"(0)); break;
    case F_CR3: __asm__ volatile("mov %0, %%cr3" ::"r"(0ull)); break;
    case F_LGDT: { uint64_t d[2] = {0}; __asm__ volatile("lgdt %0" ::"m"(d)); break; }
    case F_INT80: __asm__ volatile("int $0x80"); break;
    case F_NONCANON: __asm__ volatile("mov (%0), %%rax" ::"r"(0x8000000000000000ull) : "rax"); break;
    case F_SS: __asm__ volatile("mov %%rsp, %%rbx; mov %0, %%rsp; push %%rax; mov %%rbx, %%rsp"
                                ::"r"(0x8000000000000000ull) : "rbx", "memory"); break;
    case F_NULL: (void)*(volatile int *)zero; break;
    case F_WRITE_CODE: *(volatile uint8_t *)(uintptr_t)&do_fault = 0; break;
    case F_EXEC_DATA: { static uint8_t data[16] = {0xc3}; ((void (*)(void))(uintptr_t)data)(); break; }
    case F_READ_KERNEL: (void)*(volatile uint64_t *)0xffffffff80100000ull; break;
    case F_EXEC_KERNEL: ((void (*)(void))0xffffffff80100000ull)(); break;
    case F_TRAPFLAG: __asm__ volatile("pushf; orq $0x100, (%%rsp); popf; nop" ::: "memory"); break;
    case F_MOVAPS: {
        static uint8_t buf[48] __attribute__((aligned(16)));
        __asm__ volatile("movaps (%0), %%xmm0" ::"r"(buf + 1) : "xmm0");
        break;
    }
    case F_X87: {
        uint16_t cw = 0x37f & ~(1u << 2);        /* unmask zero-divide */
        __asm__ volatile("fldcw %0; fld1; fldz; fdivrp; fwait" ::"m"(cw));
        break;
    }
    case F_IRET: __asm__ volatile("pushq $0; pushq $0; pushq $0x202; pushq $0x08; pushq $0; iretq"); break;
    case F_WRITE_BUNDLE: *(volatile uint64_t *)V_BUNDLE_ADDR = 1; break;
    case F_STACK: { volatile char big[4096]; big[0] = 1; do_fault(F_STACK); (void)big[0]; break; }
    case F_WRITE_RODATA: *(volatile uint8_t *)(uintptr_t)&code_byte = 0; break;
    }
}

/* Random system calls: every call number (and some past the end), with
 * arguments drawn from small numbers, handles of live objects (made
 * first, of every kind the child can make), stale and made-up handles,
 * kernel, non-canonical and own pointers. Blocking calls get a short
 * timeout so they are reached too. Every call is made: the child holds
 * no capability to its own Task, so task_kill and task_suspend cannot
 * stop it; only task_exit is left out. */
static int fuzz(uint64_t seed, uint64_t calls)
{
    rng = seed | 1;
    v_handle mem = rt_cap("memory");
    v_handle live[16], made_as = 0;
    unsigned nlive = 0;
    static const struct { unsigned type; uint64_t param; } kinds[] = {
        {V_TYPE_FRAME, 0}, {V_TYPE_FRAME, 2}, {V_TYPE_RING_SEND, V_RING_PARAM(2, 6)},
        {V_TYPE_CAPTABLE, 5}, {V_TYPE_RETICLE, 16384}, {V_TYPE_TASK, 0},
        {V_TYPE_ASPACE, 0},
    };
    for (unsigned k = 0; mem && k < sizeof kinds / sizeof kinds[0]; k++) {
        struct v_ret r = v_retype(mem, kinds[k].type, kinds[k].param, V_SLOT_ANY);
        if (r.err)
            continue;
        live[nlive++] = (v_handle)r.val;
        if (kinds[k].type == V_TYPE_ASPACE)
            made_as = (v_handle)r.val;
        if (kinds[k].type == V_TYPE_RING_SEND)
            live[nlive++] = V_RING_RECV_END(r.val);
    }
    if (mem)
        live[nlive++] = mem;
    if (rt_aspace())
        live[nlive++] = rt_aspace();
    if (rt_cap("labels"))
        live[nlive++] = rt_cap("labels");       /* a LabelCap (label_own, cap_mint) */
    /* Slots below the first object made here hold this Task's own code,
     * data and stack frames (and its Bundle's capabilities): a call that
     * deleted one would only fault the fuzzer itself, ending the run
     * early, so handles into them are moved above them. */
    uint32_t base = nlive ? V_HANDLE_SLOT(live[0]) : 1;
    for (uint64_t i = 0; i < calls; i++) {
        uint64_t n = next_rand() % (V_NSYSCALLS + 3);
        if (n == V_SYS_task_exit)
            continue;
        uint64_t a[6];
        for (int k = 0; k < 6; k++) {
            uint64_t r = next_rand();
            switch (r % 8) {
            case 0: a[k] = r >> 40; break;                       /* small */
            case 1: a[k] = V_HANDLE(r % 64, (r >> 8) % 4); break; /* plausible or stale handle */
            case 2: a[k] = 0xffffffff80000000ull + (r >> 20); break; /* kernel pointer */
            case 3: a[k] = 0x8000000000000000ull | r; break;     /* non-canonical */
            case 4: a[k] = 0x400000 + (r % 0x10000); break;      /* our own memory */
            case 5:
            case 6: a[k] = nlive ? live[(r >> 8) % nlive] : r; break;  /* a live object */
            default: a[k] = r; break;
            }
        }
        for (int k = 0; k < 6; k++)
            if (V_HANDLE_SLOT(a[k]) >= 1 && V_HANDLE_SLOT(a[k]) < base && a[k] >> 32 == 0)
                a[k] = V_HANDLE(V_HANDLE_SLOT(a[k]) + base, V_HANDLE_GEN((uint32_t)a[k]));
        if (n == V_SYS_signal_wait)
            a[1] %= 200;                                         /* at most 0.2 ms */
        if (n == V_SYS_signal_call)
            a[3] %= 200;
        /* Raising its own space's label (through any copy of its handle)
         * would take the write right from its own unlabelled stack: the
         * fuzzer would fault itself. The space it made, and any fresh
         * frame, gets a random label. */
        struct v_capinfo ci;
        if (n == V_SYS_label_set && a[0] != made_as && !v_cap_info(a[0], (uint64_t)&ci).err &&
            ci.type == V_TYPE_ASPACE)
            a[1] = 0;
        v_syscall6(n, a[0], a[1], a[2], a[3], a[4], a[5]);
    }
    return 0;
}

/* M_LABEL: see kchild.h. */
static int64_t label_child(uint64_t variant)
{
    v_handle as = rt_cap("aspace"), mem = rt_cap("memory"), tx = rt_cap("tx");
    v_handle shared = rt_cap("shared"), sig = rt_cap("sig");
    int64_t code = 0;
    if (variant == LABEL_LEAK) {
        int64_t e[LS_COUNT];
        uint8_t s = 0;
        e[LS_READ] = v_as_map(as, rt_cap("secret"), LABEL_SECRET_VA, V_R_READ).err;
        if (!e[LS_READ])
            s = *(volatile uint8_t *)LABEL_SECRET_VA;
        e[LS_BIND] = v_ring_bind(tx, LABEL_TX_VA, 5).err;
        e[LS_SHARED] = v_as_map(as, shared, LABEL_SHARED_VA, V_R_READ | V_R_WRITE).err;
        if (!e[LS_SHARED])
            *(volatile uint8_t *)LABEL_SHARED_VA = s;
        /* a frame of its own, holding the secret, handed over */
        struct v_ret f = v_retype(mem, V_TYPE_FRAME, 0, V_SLOT_ANY);
        e[LS_SENDCAP] = f.err;
        if (!f.err && !(e[LS_SENDCAP] = v_as_map(as, f.val, LABEL_OWN_VA,
                                                 V_R_READ | V_R_WRITE).err)) {
            *(volatile uint8_t *)LABEL_OWN_VA = s;
            e[LS_SENDCAP] = v_ring_send_cap(tx, f.val, V_MOVE).err;
        }
        e[LS_SIGNAL] = v_signal_raise(sig, 1ull << LABEL_READY_BIT).err;
        static const char msg[] = "kchild: a labelled child wrote this\n";
        e[LS_CONSOLE] = v_debug_write(rt_cap("debug"), (uint64_t)msg, sizeof msg - 1).err;
        for (int k = 0; k < LS_COUNT; k++)
            code |= (e[k] & 31) << (5 * k);
        return code;
    }
    if (variant == LABEL_CONTROL) {
        int64_t e[LC_COUNT];
        v_handle table = rt_cap("table"), task = rt_cap("task");
        struct v_ret f = v_retype(mem, V_TYPE_FRAME, 0, V_SLOT_ANY);
        e[LC_GRANT] = f.err ? f.err : v_cap_grant(table, f.val, V_SLOT_ANY, 0).err;
        e[LC_BUNDLE] = v_bundle_add(task, (uint64_t)"x", 1, 0, 0).err;
        e[LC_KILL] = v_task_kill(task).err;
        e[LC_PORT] = v_io_out(rt_cap("ports"), 0x3ff, 1, 0x5a).err;    /* COM1 scratch */
        e[LC_START] = v_task_start(task, 0x400000, 0x800000, 0).err;
        e[LC_SUSPEND] = v_task_suspend(task).err;
        e[LC_RESUME] = v_task_resume(task).err;
        e[LC_CONFIG] = v_task_config(rt_cap("fresh"), table, rt_cap("space"), 0, 0, 0).err;
        struct v_ret d = v_retype(mem, V_TYPE_FRAME, 0, V_SLOT_ANY);
        e[LC_DMA] = d.err ? d.err : v_dma_map(rt_cap("dma"), d.val, 0x100000, V_R_READ).err;
        for (int k = 0; k < LC_COUNT; k++)
            code |= (e[k] & 31) << (5 * k);
        return code;
    }
    if (v_as_map(as, shared, LABEL_SHARED_VA, V_R_READ | V_R_WRITE).err)
        return 1;
    if (v_ring_bind(tx, LABEL_TX_VA, 5).err)
        return 2;
    if (variant == LABEL_RAISE) {
        if (v_label_set(as, 1).err)
            return 3;
    } else {
        if (v_signal_raise(sig, 1ull << LABEL_READY_BIT).err)
            return 4;
        v_signal_wait(1ull << LABEL_GO_BIT, V_TIMEOUT_NEVER);
    }
    *(volatile uint8_t *)LABEL_SHARED_VA = 0x5a;    /* must fault */
    return 77;
}

static int hog(void)
{
    v_handle mem = rt_cap("memory");
    int n = 0;
    for (;;) {
        struct v_ret r = v_retype(mem, V_TYPE_FRAME, 0, V_SLOT_ANY);
        if (r.err == V_ENOMEM || r.err == V_EFULL)
            return n;
        if (r.err)
            return -1;
        n++;
    }
}

/* Build a derivation chain of n copies of a frame capability, each link
 * moved out into big tables as soon as its child exists (so the Task's
 * own table holds three), tell the parent, wait for its word, revoke the
 * chain's root in one call, and exit with the chain's length. */
static int revoker(uint64_t n)
{
    v_handle mem = rt_cap("memory"), parent = rt_cap("parent");
    struct v_ret r = v_retype(mem, V_TYPE_FRAME, 0, V_SLOT_ANY);
    if (r.err)
        return -1;
    v_handle root = (v_handle)r.val, prev = root, tab = 0;
    for (uint64_t i = 0; i < n; i++) {
        r = v_cap_copy(prev, V_SLOT_ANY);
        if (r.err)
            return -2;
        v_handle h = (v_handle)r.val;
        if (prev != root) {
            r = tab ? v_cap_grant(tab, prev, V_SLOT_ANY, V_MOVE) : (struct v_ret){V_EFULL, 0};
            if (r.err == V_EFULL) {         /* a new table; the full one moves into it */
                struct v_ret t = v_retype(mem, V_TYPE_CAPTABLE, V_CAPTABLE_MAX_BITS, V_SLOT_ANY);
                if (t.err)
                    return -3;
                if (tab && v_cap_grant((v_handle)t.val, tab, V_SLOT_ANY, V_MOVE).err)
                    return -4;
                tab = (v_handle)t.val;
                r = v_cap_grant(tab, prev, V_SLOT_ANY, V_MOVE);
            }
            if (r.err)
                return -5;
        }
        prev = h;
    }
    v_signal_raise(parent, 1ull << REVOKER_READY_BIT);
    v_signal_wait(1ull << REVOKER_GO_BIT, V_TIMEOUT_NEVER);
    if (v_cap_revoke(root).err)
        return -6;
    struct v_capinfo i;
    if (v_cap_info(prev, (uint64_t)&i).err != V_ESTALE)
        return -7;                          /* the chain's last link is gone */
    return (int)(n > 0x7fffffff ? 0x7fffffff : n);
}

static int drainer(uint64_t n)
{
    v_handle mem = rt_cap("memory"), parent = rt_cap("parent");
    struct v_ret r = v_retype(mem, V_TYPE_FRAME, 0, V_SLOT_ANY);
    struct v_ret top = v_retype(mem, V_TYPE_CAPTABLE, V_CAPTABLE_MAX_BITS, V_SLOT_ANY);
    if (r.err || top.err)
        return -1;
    v_handle frame = (v_handle)r.val;
    for (uint64_t done = 0; done < n;) {
        struct v_ret t = v_retype(mem, V_TYPE_CAPTABLE, V_CAPTABLE_MAX_BITS, V_SLOT_ANY);
        if (t.err)
            return -2;
        for (unsigned k = 0; k < DRAINER_PER_TABLE && done < n; k++, done++)
            if (v_cap_grant((v_handle)t.val, frame, V_SLOT_ANY, 0).err)
                return -3;
        if (v_cap_grant((v_handle)top.val, (v_handle)t.val, V_SLOT_ANY, V_MOVE).err)
            return -4;
    }
    v_signal_raise(parent, 1ull << REVOKER_READY_BIT);
    v_signal_wait(1ull << REVOKER_GO_BIT, V_TIMEOUT_NEVER);
    if (v_cap_delete((v_handle)top.val).err)
        return -5;
    struct v_capinfo i;
    if (v_cap_info(frame, (uint64_t)&i).err)
        return -6;
    /* every copy is gone: revoking the frame now finds no child */
    if (v_cap_info((v_handle)top.val, (uint64_t)&i).err != V_ESTALE)
        return -7;
    return (int)(n > 0x7fffffff ? 0x7fffffff : n);
}

/* One connection of M_ACCEPT: bound at a fixed place, reused after the
 * connection goes, whoever ended it. */
struct aconn {
    bool live;
    v_handle rx, tx;
    struct ring_view in, out;
};

static void aconn_drop(struct aconn *c)
{
    v_cap_delete(c->rx);            /* stale if the client revoked them: fine */
    v_cap_delete(c->tx);
    c->live = false;
}

static bool aconn_open(struct aconn *c, unsigned k, v_handle rx, v_handle tx)
{
    uint64_t va = ACCEPT_VA + (uint64_t)k * 0x200000;
    c->rx = rx;
    c->tx = tx;
    c->live = true;
    struct v_ret a = v_ring_bind(rx, va, k + 1), b = v_ring_bind(tx, va + 0x100000, k + 1);
    if (a.err || b.err || ring_view_init(&c->in, (void *)va, a.val, false) ||
        ring_view_init(&c->out, (void *)(va + 0x100000), b.val, true)) {
        aconn_drop(c);              /* closed already, or a hostile control block */
        return false;
    }
    return true;
}

/* Echo what is waiting on c, then sleep on it; false when it is over. */
static bool aconn_serve(struct aconn *c)
{
    ring_set_sleeping(&c->in, false);
    for (;;) {
        struct ring_slot h;
        uint64_t buf[32];
        enum ring_status st = ring_pop(&c->in, &h, buf, sizeof buf);
        if (st == RING_EMPTY) {
            ring_set_sleeping(&c->in, true);
            if (ring_count(&c->in) == 0)
                return true;        /* the client's next request rings bit k + 1 */
            ring_set_sleeping(&c->in, false);
            continue;
        }
        if (st != RING_OK)
            return false;           /* closed, or garbage from a hostile peer */
        h.kind++;
        h.ncaps = 0;
        if (ring_push(&c->out, &h, buf) != RING_OK)
            return false;           /* a client that does not read is dropped */
        if (ring_peer_sleeping(&c->out))
            v_ring_notify(c->tx);
    }
}

static int accept_server(void)
{
    v_handle ctl = rt_cap("ctl");
    struct ring_view cv;
    struct v_ret r = v_ring_bind(ctl, ACCEPT_VA - 0x200000, 0);
    if (r.err || ring_view_init(&cv, (void *)(ACCEPT_VA - 0x200000), r.val, false))
        return -1;
    static struct aconn conn[ACCEPT_CONNS];
    int served = 0;
    for (;;) {
        struct ring_slot h;
        enum ring_status st;
        while ((st = ring_pop(&cv, &h, 0, 0)) == RING_OK) {
            if (h.kind == 99)
                return served;
            if (h.kind != ACCEPT_CONNECT || h.ncaps != 2)
                return -2;
            struct v_ret a = v_ring_recv_cap(ctl, V_SLOT_ANY), b = v_ring_recv_cap(ctl, V_SLOT_ANY);
            unsigned k = 0;
            while (k < ACCEPT_CONNS && conn[k].live)
                k++;
            if (a.err || b.err || k == ACCEPT_CONNS) {
                v_cap_delete((v_handle)a.val);
                v_cap_delete((v_handle)b.val);
                continue;
            }
            served += aconn_open(&conn[k], k, (v_handle)a.val, (v_handle)b.val);
        }
        if (st != RING_EMPTY)
            return -3;
        for (unsigned k = 0; k < ACCEPT_CONNS; k++)
            if (conn[k].live && !aconn_serve(&conn[k]))
                aconn_drop(&conn[k]);
        ring_set_sleeping(&cv, true);
        if (ring_count(&cv) == 0)
            v_signal_wait(~0ull >> 1, 100000);
        ring_set_sleeping(&cv, false);
    }
}

static int check_bundle(void)
{
    const struct v_bundle *b = rt_bundle();
    if (!b)
        return 10;
    if (b->count != 2)
        return 11;
    struct v_capinfo info;
    v_handle d = rt_cap("debug"), s = rt_cap("shared");
    if (!d || !s)
        return 12;
    if (v_cap_info(d, (uint64_t)&info).err || info.type != V_TYPE_DEBUG)
        return 13;
    if (v_cap_info(s, (uint64_t)&info).err || info.type != V_TYPE_FRAME)
        return 14;
    if (rt_cap("nonexistent"))
        return 15;
    printf("kchild: bundle has debug=%#x shared=%#x\n", d, s);
    return 0;
}

static volatile uint64_t *map_shared(void)
{
    v_handle s = rt_cap("shared");
    if (v_as_map(rt_aspace(), s, SHARED_VA, V_R_READ | V_R_WRITE).err)
        return 0;
    return (volatile uint64_t *)SHARED_VA;
}

static int spin(void)
{
    volatile uint64_t *p = map_shared();
    if (!p)
        return 20;
    for (;;)
        p[0]++;
}

static int pong(uint64_t rounds)
{
    v_handle peer = rt_cap("peer");
    if (v_signal_wait(1, V_TIMEOUT_NEVER).err)
        return 30;
    for (uint64_t i = 1; i < rounds; i++)
        if (v_signal_call(peer, 2, 1, V_TIMEOUT_NEVER).err)
            return 31;
    v_signal_raise(peer, 2);
    return 0;
}

/* Echo every message back with kind + 1; a capability that arrives is
 * taken and its type echoed in the reply's id. kind 99 ends. */
static int echo(void)
{
    v_handle rx = rt_cap("rx"), tx = rt_cap("tx");
    if (v_ring_bind(rx, RX_VA, 0).err || v_ring_bind(tx, TX_VA, 1).err)
        return 40;
    struct ring_view in, out;
    if (ring_view_init(&in, (void *)RX_VA, 65536, false) ||
        ring_view_init(&out, (void *)TX_VA, 65536, true))
        return 41;
    for (;;) {
        struct ring_slot h;
        uint8_t buf[4096];
        enum ring_status st = ring_pop(&in, &h, buf, sizeof buf);
        if (st == RING_EMPTY) {
            ring_set_sleeping(&in, true);
            if (ring_count(&in) == 0)
                v_signal_wait(1, V_TIMEOUT_NEVER);
            ring_set_sleeping(&in, false);
            continue;
        }
        if (st == RING_CLOSED)
            return 0;
        if (st != RING_OK)
            return 42;
        if (h.kind == 99)
            return 0;
        if (h.ncaps) {
            struct v_ret r = v_ring_recv_cap(rx, V_SLOT_ANY);
            struct v_capinfo info;
            h.id = r.err ? 1000 + (uint64_t)r.err : (v_cap_info(r.val, (uint64_t)&info), info.type);
            if (!r.err && info.type == V_TYPE_FRAME)
                v_as_unmap(r.val);          /* take it from the sender */
            if (!r.err && info.type == V_TYPE_FRAME &&
                !v_as_map(rt_aspace(), r.val, SHARED_VA, V_R_READ).err)
                h.id = *(volatile uint64_t *)SHARED_VA;
        }
        h.kind++;
        h.ncaps = 0;
        while ((st = ring_push(&out, &h, buf)) == RING_FULL)
            v_yield();
        if (st != RING_OK)
            return 43;
        if (ring_peer_sleeping(&out))
            v_ring_notify(tx);
    }
}

int main(void)
{
    uint64_t arg = rt_arg();
    unsigned mode = arg & 0xff;
    uint64_t param = arg >> 8;
    switch (mode) {
    case M_EXIT: return (int)param;
    case M_FAULT: do_fault((unsigned)param); return 99;
    case M_SPIN: return spin();
    case M_PONG: return pong(param);
    case M_FUZZ: return fuzz(param & 0xffffff, param >> 24);
    case M_HOG: return hog();
    case M_BUNDLE: return check_bundle();
    case M_READSHARED: { volatile uint64_t *p = map_shared(); return p ? (int)p[0] : -1; }
    case M_ECHO: return echo();
    case M_WAITFOREVER: v_signal_wait(1ull << 40, V_TIMEOUT_NEVER); return 0;
    case M_REVOKER: return revoker(param);
    case M_DRAINER: return drainer(param);
    case M_LABEL:   /* its verdicts take more than an int's 32 bits */
        v_task_exit((uint64_t)label_child(param));
        return 97;
    case M_ACCEPT: return accept_server();
    }
    return 98;
}
