/*
 * ktest: the in-guest test suite of the kernel's primitives. Runs as the
 * root Task of the ktest image (boot module 0), with user/tests/kchild as
 * module 1, and ends QEMU with its verdict.
 */
#include "ktest.h"
#include <stdlib.h>

uint64_t kt_revoke_nodes = 20000;
uint64_t kt_fuzz_calls = 100000;
uint64_t kt_soak_cycles = 100;
bool kt_revoke_strict;
#define ALIGN_UP_PAGE(x) (((x) + 4095) & ~4095ull)
v_handle T, SELF, TAB, AS, DEBUG, IRQ, IOPORTS, SIGF, MMIO, LABELS;
uint64_t kt_spawn_label;
v_handle kt_spawn_own;
const void *child_elf;
size_t child_len;

uint64_t kt_free(v_handle reticle)
{
    struct v_capinfo i;
    if (v_cap_info(reticle, (uint64_t)&i).err)
        return ~0ull;
    return i.free;
}

uint64_t kt_table_free(void)
{
    struct v_capinfo i;
    v_cap_info(TAB, (uint64_t)&i);
    return i.free;
}

v_handle kt_frame(void)
{
    struct v_ret r = v_retype(T, V_TYPE_FRAME, 0, V_SLOT_ANY);
    return r.err ? 0 : (v_handle)r.val;
}

/* One function's configuration page (00:00.0, the host bridge, whose DMA
 * space no device uses: its DMA is never started), or 0 without ECAM. */
v_handle kt_cfg_page(unsigned devfn)
{
    v_handle ecam = rt_cap("ecam0");
    if (!ecam)
        return 0;
    struct v_ret r = v_retype(ecam, V_TYPE_FRAME, V_FRAME_AT(devfn, 1), V_SLOT_ANY);
    return r.err ? 0 : (v_handle)r.val;
}

int kt_spawn(unsigned mode, uint64_t param, unsigned prio, const struct rt_bundle_item *items,
             unsigned n, struct rt_child *c)
{
    struct rt_bundle_item all[16];
    unsigned k = 0;
    all[k++] = (struct rt_bundle_item){"debug", DEBUG, false};
    for (unsigned i = 0; i < n && k < 16; i++)
        all[k++] = items[i];
    struct rt_spawn_args a = {
        .elf = child_elf, .elf_len = child_len, .name = "kchild", .reticle = T,
        .memory = 256 * 1024, .prio = prio, .fault_signal = SIGF,
        .arg = mode | param << 8, .items = all, .nitems = k, .give_memory = true,
        .label = kt_spawn_label, .own = kt_spawn_own,
    };
    return rt_spawn(&a, c);
}

void kt_sleep_ms(uint64_t ms)
{
    v_timer_set(RT_SIG_TIMER, ms * 1000);
    v_signal_wait(1ull << RT_SIG_TIMER, V_TIMEOUT_NEVER);
}

int kt_wait(struct rt_child *c, struct v_taskinfo *out)
{
    for (int i = 0; i < 500; i++) {
        if (v_task_info(c->task, (uint64_t)out).err)
            return 0;
        if (out->state == V_TASK_DEAD || out->state == V_TASK_FAULTED)
            return 1;
        v_signal_wait(1ull << FAULT_BIT, 20000);
    }
    return 0;
}

static const struct v_bootinfo *bootinfo(void)
{
    const struct v_bootinfo *b = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    return b->magic == (V_BUNDLE_MAGIC ^ 1) ? b : 0;
}

/* Every case must leave the test Reticle and the root table as it found
 * them; bits it left pending (children, doorbells) are not the next one's. */
static uint64_t free0, slots0;

static void note_free(void)
{
    free0 = kt_free(T);
    slots0 = kt_table_free();
}

static void check_free(void)
{
    v_signal_wait(~0ull, 0);
    uint64_t free1 = kt_free(T), slots1 = kt_table_free();
    if (!suite_failed && (free1 != free0 || slots1 != slots0))
        kt_fail(0, "leaked %lld bytes of the test Reticle and %lld slots",
                (long long)(free0 - free1), (long long)(slots0 - slots1));
}

int main(void)
{
    const struct v_bootinfo *bi = bootinfo();
    if (!bi || bi->nmodules < 2)
        rt_die("ktest: needs kchild as boot module 1");
    child_elf = (const void *)bi->module[1].vaddr;
    child_len = bi->module[1].size;
    SELF = rt_cap("self");
    TAB = rt_cap("table");
    AS = rt_cap("aspace");
    DEBUG = rt_cap("debug");
    IRQ = rt_cap("irq");
    IOPORTS = rt_cap("ioports");
    MMIO = rt_cap("mmio0");
    LABELS = rt_cap("labels");
    SIGF = (v_handle)v_signal_mint(SELF, 1ull << FAULT_BIT, V_SLOT_ANY).val;
    const char *sk = strstr(bi->cmdline, "soak=");
    if (sk)
        kt_soak_cycles = strtoull(sk + 5, 0, 10);
    const char *fz = strstr(bi->cmdline, "fuzz=");
    if (fz)
        kt_fuzz_calls = strtoull(fz + 5, 0, 10);
    static char only[8];
    const char *on = strstr(bi->cmdline, "only=");
    for (unsigned i = 0; on && i + 1 < sizeof only && on[5 + i] > ' '; i++)
        only[i] = on[5 + i];
    if (only[0])
        suite_only = only;
    const char *rv = strstr(bi->cmdline, "revoke=");
    if (rv) {
        kt_revoke_nodes = strtoull(rv + 7, 0, 10);
        kt_revoke_strict = true;
    }
    uint64_t size = (64ull << 20) + ALIGN_UP_PAGE(kt_revoke_nodes * 72);
    struct v_ret r = v_retype(rt_cap("reticle0"), V_TYPE_RETICLE, size, V_SLOT_ANY);
    if (r.err)
        rt_die("ktest: cannot make the test Reticle: %s", rt_errname(r.err));
    T = (v_handle)r.val;
    return suite_run("KTEST", note_free, check_free) ? 1 : 0;
}
