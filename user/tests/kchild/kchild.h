/* kchild.h: the modes of user/tests/kchild, shared with user/ktest. */
#ifndef KCHILD_H
#define KCHILD_H

enum { M_EXIT = 1, M_FAULT, M_SPIN, M_PONG, M_FUZZ, M_HOG, M_BUNDLE, M_READSHARED, M_ECHO,
       M_WAITFOREVER, M_REVOKER, M_ACCEPT, M_DRAINER, M_LABEL };
/* M_LABEL (user/tests/ktest/t_label.c): a Task that tries every way out.
 * Bundle: "tx" a Ring's send end (the receive end bound by the parent),
 * "secret" a labelled frame, "shared" an unlabelled frame the parent
 * maps too, "sig" a signal on the parent. Variants (the parameter): */
enum {
    LABEL_LEAK = 1,     /* read the secret, then try each way out; exit code:
                         * each attempt's error, 5 bits each (LABEL_STEP) */
    LABEL_RAISE,        /* map shared writable and bind tx, raise own label,
                         * then write shared: must fault (77: it did not) */
    LABEL_REVOKED,      /* map shared, bind tx, say ready, wait for go, write
                         * shared: must fault once ownership was revoked */
    LABEL_CONTROL,      /* with "table" (a lower Task's table), "task" (a lower
                         * configured Task), "ports", "fresh" (a Task never
                         * configured), "space" (an unlabelled space) and
                         * "dma" (a DMA space, if the machine has ECAM):
                         * grant, bundle_add, kill, io_out, start, suspend,
                         * resume, config and dma_map; exit code as
                         * LABEL_LEAK's (LC_*) */
};
enum { LC_GRANT, LC_BUNDLE, LC_KILL, LC_PORT, LC_START, LC_SUSPEND, LC_RESUME, LC_CONFIG,
       LC_DMA, LC_COUNT };
#define LABEL_STEP(code, k) (((code) >> (5 * (k))) & 31)
enum { LS_READ, LS_BIND, LS_SHARED, LS_SENDCAP, LS_SIGNAL, LS_CONSOLE, LS_COUNT };
#define LABEL_SECRET_VA 0x60000000ull
#define LABEL_SHARED_VA 0x60100000ull
#define LABEL_TX_VA     0x60200000ull
#define LABEL_OWN_VA    0x60300000ull
#define LABEL_READY_BIT 41      /* on the parent */
#define LABEL_GO_BIT    42      /* on the child */
/* M_ACCEPT: a server of many connections. Each arrives on the "ctl" Ring
 * as a message of kind ACCEPT_CONNECT carrying two capabilities (the
 * request Ring's receive end, then the reply Ring's send end); requests
 * are echoed with kind + 1; kind 99 on "ctl" ends it, exit code = the
 * connections it served (negative: it broke). */
#define ACCEPT_CONNECT 1
#define ACCEPT_CONNS 16
#define ACCEPT_VA 0x50000000ull     /* connection k at ACCEPT_VA + k * 2 MiB */
/* M_REVOKER: signal bits between the child and its parent */
#define REVOKER_READY_BIT 30    /* on the parent: the chain is built */
#define REVOKER_GO_BIT 31       /* on the child: revoke it now */
/* M_DRAINER (the same bits): n copies of a frame spread over tables
 * that sit in one table, which it then deletes: the deletion's whole
 * cost is emptying destroyed tables (the drain), not walking a chain. */
#define DRAINER_PER_TABLE 4095

enum {
    F_DE, F_BP, F_UD, F_HLT, F_CLI, F_IN, F_WRMSR, F_CR3, F_LGDT, F_INT80, F_NONCANON, F_SS,
    F_NULL, F_WRITE_CODE, F_EXEC_DATA, F_READ_KERNEL, F_EXEC_KERNEL, F_TRAPFLAG, F_MOVAPS, F_X87,
    F_IRET, F_WRITE_BUNDLE, F_STACK, F_WRITE_RODATA, F_COUNT
};

#define SHARED_VA 0x10000000ull
#define RX_VA 0x20000000ull
#define TX_VA 0x20100000ull

#endif
