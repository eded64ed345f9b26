/*
 * kbpeer.h: what user/bench/kbench and its child user/bench/kbpeer agree on: the
 * child's modes (its start argument), the Signal bits, the addresses
 * both map, the page they share, and the one way both read the clock.
 *
 * Under QEMU TCG with -icount shift=0 the TSC advances by one per guest
 * instruction and there is one CPU, so a TSC value read in one Task and
 * compared with one read in another is an exact instruction count of
 * everything that ran in between, kernel included.
 */
#ifndef KBPEER_H
#define KBPEER_H

#include <stdint.h>

enum kb_mode {
    P_EXIT = 1,     /* return 0 at once: the spawn target */
    P_PONG,         /* signal_call ping-pong partner */
    P_ECHO_CALL,    /* Ring echo server; doorbell and wait in one signal_call */
    P_ECHO_NOTIFY,  /* Ring echo server; lib/ring's sleeping words, ring_notify, signal_wait */
    P_SINK,         /* stream consumer: drains a Ring in batches */
    P_FRAMES,       /* takes handed-over frames, maps, reads, hands them back */
    P_FAULT,        /* notes the TSC and reads an unmapped address */
    P_ECHO_COPY,    /* Ring echo server that copies: ring_pop, then ring_push the same bytes */
    P_IRQ,          /* on each request, notes the TSC and makes the UART interrupt */
};

/* Signal bits of the child (doorbells of the Rings it binds). */
#define KB_BIT_REQ   1      /* a request / data arrived */
#define KB_BIT_TXSP  2      /* the child's send Ring has room (unused in echo) */
/* Signal bits of kbench. */
#define KB_BIT_REP   3      /* a reply arrived */
#define KB_BIT_SPACE 4      /* the producer's Ring has room */
#define KB_BIT_IRQ   5      /* the UART's interrupt line (irq_wake) */
#define KB_COM1      0x3f8
#define KB_BIT_FAULT V_SIGNAL_FAULT   /* supervisor: a child faulted or exited */

/* Addresses in the child. */
#define KB_SHARED_VA 0x10000000ull  /* struct kb_shared, shared with kbench */
#define KB_RX_VA     0x20000000ull  /* Ring end the child receives on */
#define KB_TX_VA     0x20100000ull  /* Ring end the child sends on */
#define KB_BUF_VA    0x30000000ull  /* where the child maps handed-over frames */
#define KB_FAULT_VA  0x7000000000ull /* never mapped */

/* Ring message kinds. */
#define KB_K_REQ   10       /* request; the reply has kind + 1 */
#define KB_K_DATA  20       /* stream data */
#define KB_K_STOP  99       /* the last message: the child returns 0 */
#define KB_K_IPC   30       /* user/bench/kbipc: echo the payload in the reply */

/* 64 KiB payloads travel as 16 frames, 8 per message (the transfer
 * queue holds V_RING_XQ = 8 capabilities). */
#define KB_FRAMES_PER_MSG 8

struct kb_shared {
    volatile uint64_t t_fault;  /* P_FAULT: TSC just before the faulting load; P_IRQ: before
                                   the register write that raises the interrupt */
    volatile uint64_t t_cap;    /* P_ECHO_CALL: TSC once a moved capability is in its table */
    volatile uint64_t sum;      /* P_SINK / P_FRAMES: what it read, for kbench to check */
    volatile uint64_t count;    /* messages consumed */
};

/* lfence on both sides keeps rdtsc from moving across the measured code
 * (the same reading as bench/linux/linux-bench.c). */
static inline uint64_t kb_tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

#endif
