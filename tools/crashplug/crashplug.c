/*
 * crashplug.c: a QEMU TCG plugin that ends the machine abruptly at a chosen
 * guest instruction (scripts/store-crash, docs/STORE.md "Crash consistency
 * in QEMU"). It counts the instructions the vCPU executes (per translation
 * block, so a cut lands on a block boundary) and watches for the marker
 * instruction `xchg %bx,%bx` (66 87 db), which init executes when its
 * crash workload begins and ends (user/init/capstore.c, `storecrash`).
 *
 * Arguments (-plugin build/tools/crashplug.so,at=N,out=PATH):
 *   at=N    N instructions after marker K (mark=K, default 0: the first),
 *           _exit(CRASH_EXIT) at once: no device is flushed or closed, the
 *           disk file holds whatever writes QEMU had already made (0: never)
 *   mark=K  count at= from the K-th marker (init executes one before each
 *           change of its workload, and one at its end)
 *   out=PATH  append "mark K INSNS" at each marker (INSNS since the first)
 *           and "cut INSNS" at the cut
 *
 * The declarations below are the subset of QEMU's plugin API (version 1,
 * QEMU 7.2, docs/devel/tcg-plugins) this plugin uses; Debian ships no
 * qemu-plugin.h. The guest has one vCPU (scripts/scenario.py: -smp 1), so
 * the counters need no atomics.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

#define EXPORT __attribute__((visibility("default")))
#define CRASH_EXIT 86

EXPORT int qemu_plugin_version = 1;

static uint64_t insns;          /* executed since the machine started */
static uint64_t start;          /* insns at the first marker */
static bool started;
static unsigned marks;
static uint64_t cut_at;         /* 0: never */
static unsigned cut_mark;       /* at= counts from this marker */
static uint64_t cut_base;       /* insns at that marker */
static int out_fd = -1;

static void note(const char *fmt, uint64_t a, uint64_t b)
{
    if (out_fd < 0)
        return;
    char line[96];
    int n = snprintf(line, sizeof line, fmt, (unsigned long long)a, (unsigned long long)b);
    if (n > 0 && write(out_fd, line, (size_t)n) < 0)
        return;
}

static void tb_exec(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    insns += (uintptr_t)udata;
    if (cut_at && marks > cut_mark && insns - cut_base >= cut_at) {
        note("cut %llu %llu\n", insns - start, insns);
        _exit(CRASH_EXIT);
    }
}

static void marker(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    (void)udata;
    if (!started) {
        started = true;
        start = insns;
    }
    if (marks == cut_mark)
        cut_base = insns;
    note("mark %llu %llu\n", marks++, insns - start);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *in = qemu_plugin_tb_get_insn(tb, i);
        static const uint8_t mark[3] = {0x66, 0x87, 0xdb};
        if (qemu_plugin_insn_size(in) == 3 && !memcmp(qemu_plugin_insn_data(in), mark, 3))
            qemu_plugin_register_vcpu_insn_exec_cb(in, marker, QEMU_PLUGIN_CB_NO_REGS, 0);
    }
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    note("exit %llu %llu\n", insns - start, insns);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "at=", 3)) {
            cut_at = strtoull(argv[i] + 3, 0, 10);
        } else if (!strncmp(argv[i], "mark=", 5)) {
            cut_mark = (unsigned)strtoul(argv[i] + 5, 0, 10);
        } else if (!strncmp(argv[i], "out=", 4)) {
            out_fd = open(argv[i] + 4, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (out_fd < 0)
                return -1;
        } else {
            fprintf(stderr, "crashplug: unknown argument %s\n", argv[i]);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, 0);
    return 0;
}
