/*
 * blkbench: Vectra's side of the block figures (scripts/bench, beside
 * bench/linux/linux-bench.c's): O_DIRECT-like reads through the block
 * client library (user/lib/rt/blk.c) a Task uses, from the request to its
 * completion, of the same 64 MiB disk with the same known contents.
 *
 *   blk_read4k_random  one 4 KiB read at the same seeded random blocks
 *   blk_read1m_seq     one 1 MiB read (one request: the driver takes up
 *                      to 1 MiB), sequential over the disk twice
 *   blk_irq_to_client_wake from the completion's interrupt to the client's
 *                      return from blk_wait (the driver woken by the
 *                      MSI, its reply, the client's wake-up)
 *   blk_irq_to_driver_wake from the completion's interrupt to the driver
 *                      Task's return to its queue's handler (the stamp
 *                      the driver reports in info's irqWakeTsc, asked
 *                      after the sample; a completion found by a poll,
 *                      not the interrupt, leaves no stamp and no sample)
 *
 * Under -icount a halted CPU counts no instructions, but its clock jumps
 * to the next timer, by an amount that depends on when the host's read
 * completes. So, as in the Linux guest, the CPU never halts while a read
 * is out: a priority-0 Task in our address space (the spinner) stores
 * the TSC and counts its loops (BENCHSPIN_INSNS instructions each), and a
 * sample is the TSC delta less the spinner's instructions. A read the
 * host finished before the client slept (the spinner never ran) is left
 * out and counted, as Linux's are. Every read is checked against the
 * disk's words, so no figure comes from a failed read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchspin.h"
#include "blk.h"
#include "conn.h"
#include "rt.h"

#define DISK_BYTES (64ull << 20)
#define BLK_4K 4096u
#define BLK_1M (1u << 20)
#define N_4K 2000
#define N_1M 128
#define SPIN_STACK_VA 0x6000000000ull

static uint64_t splitmix64(uint64_t k)
{
    uint64_t z = (k + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void check(const uint64_t *buf, uint64_t off, uint64_t len)
{
    for (uint64_t j = 0; j < len / 8; j++)
        if (buf[j] != splitmix64(off / 8 + j))
            rt_die("blkbench: the read at %llu holds the wrong bytes at +%llu",
                   (unsigned long long)off, (unsigned long long)j * 8);
}

struct figure {
    uint64_t *insn, *irq, *drv;
    size_t n, fast, ndrv;
};

/* One read; false if it finished before the client slept. */
static bool timed_read(struct blk *b, uint64_t *buf, uint64_t off, uint32_t len,
                       struct figure *f)
{
    uint64_t c0 = benchspin.count, t0 = benchspin_tsc();
    int e = blk_read(b, 0, off / 512, len / 512, 10000000);
    uint64_t t1 = benchspin_tsc(), spun = (benchspin.count - c0) * BENCHSPIN_INSNS;
    if (e != BLK_OK)
        rt_die("blkbench: read of %u bytes at %llu: %s", len, (unsigned long long)off,
               blk_strerror(e));
    check(buf, off, len);
    if (!spun) {
        f->fast++;
        return false;
    }
    if (spun > t1 - t0)
        rt_die("blkbench: the spinner ran longer than the read");
    f->insn[f->n] = t1 - t0 - spun;
    f->irq[f->n] = t1 - benchspin.tsc;
    f->n++;
    uint64_t woke = 0;
    if (f->drv && (e = blk_irq_wake_tsc(b, &woke, 10000000)) != BLK_OK)
        rt_die("blkbench: info: %s", blk_strerror(e));
    if (f->drv && woke > benchspin.tsc && woke < t1)
        f->drv[f->ndrv++] = woke - benchspin.tsc;
    return true;
}

int main(void)
{
    struct ipc_conn *c;
    int st;
    while ((st = rt_conn_get("virtio-blk", true, &c)) != IPC_OK)
        if (v_signal_wait(1ull << 40, 100000).err != V_ETIMEOUT)
            rt_die("blkbench: no block device (%d)", st);
    uint64_t va = rt_va_alloc(BLK_1M);
    v_handle frame;
    /* the buffer, the spinner and its stack: from our Reticle (2 MiB, the manifest says) */
    struct v_ret r = v_retype(rt_memory(), V_TYPE_FRAME, BLK_1M / 4096, V_SLOT_ANY);
    struct v_ret m = r.err ? r : v_as_map(rt_aspace(), r.val, va, V_R_READ | V_R_WRITE);
    if (m.err)
        rt_die("blkbench: no 1 MiB buffer (%s: %s)", r.err ? "retype" : "map",
               rt_errname(m.err));
    frame = (v_handle)r.val;
    struct blk b;
    if ((st = blk_open(&b, c, frame, 2000000)) != BLK_OK)
        rt_die("blkbench: %s", blk_strerror(st));
    if (b.sectors * 512 != DISK_BYTES)
        rt_die("blkbench: the disk holds %llu bytes, not %llu",
               (unsigned long long)b.sectors * 512, DISK_BYTES);
    uint64_t *buf = (uint64_t *)va;
    static uint64_t s4[N_4K], i4[N_4K], d4[N_4K], s1[N_1M], i1[N_1M];
    struct figure f4 = {s4, i4, d4, 0, 0, 0}, f1 = {s1, i1, 0, 0, 0, 0};
    benchspin_start(SPIN_STACK_VA, "blkbench");
    for (uint64_t i = 0; f4.n < N_4K; i++) {
        if (i == 10 * N_4K)
            rt_die("blkbench: %zu of %llu 4 KiB reads finished before the client slept",
                   f4.fast, (unsigned long long)i);
        uint64_t blk = splitmix64((1ull << 32) + i) % (DISK_BYTES / BLK_4K);
        size_t before = f4.n;
        size_t dbefore = f4.ndrv;
        if (timed_read(&b, buf, blk * BLK_4K, BLK_4K, &f4) && i < N_4K / 10) {
            f4.n = before;          /* warm-up */
            f4.ndrv = dbefore;
        }
    }
    for (uint64_t i = 0; f1.n < N_1M; i++) {
        if (i == 10 * N_1M)
            rt_die("blkbench: %zu 1 MiB reads finished before the client slept", f1.fast);
        size_t before = f1.n;
        if (timed_read(&b, buf, i * BLK_1M % DISK_BYTES, BLK_1M, &f1) && i < N_1M / 16)
            f1.n = before;
    }
    printf("blkbench: left out (finished before the client slept): %zu 4 KiB reads, "
           "%zu 1 MiB reads\n", f4.fast, f1.fast);
    benchspin_report("blk_read4k_random", s4, f4.n);
    benchspin_report("blk_irq_to_client_wake", i4, f4.n);
    printf("blkbench: %zu of %zu 4 KiB reads' completions woke the driver by interrupt\n",
           f4.ndrv, f4.n);
    if (f4.ndrv)
        benchspin_report("blk_irq_to_driver_wake", d4, f4.ndrv);
    benchspin_report("blk_read1m_seq", s1, f1.n);
    printf("blkbench: done\n");
    for (;;)
        rt_sleep_us(V_TIMEOUT_NEVER);
}
