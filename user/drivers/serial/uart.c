/*
 * uart.c: see uart.h. Register names are the 16550's.
 *
 * A FIFO fill (up to UART_FIFO bytes to THR) is one batch system call,
 * not one io_out per byte. Reception stays a call per register read:
 * how many bytes wait is known only from LSR, one byte at a time, and a
 * batch of two calls costs more than two calls (docs/BENCHMARKS.md,
 * batch_1).
 */
#include "uart.h"

enum {
    RBR = 0, THR = 0, DLL = 0,
    IER = 1, DLM = 1,
    IIR = 2, FCR = 2,
    LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7,
};
#define IER_RDA 0x01      /* received data available (and the FIFO timeout) */
#define IER_THRE 0x02     /* transmit holding register empty */
#define IER_RLS 0x04      /* receiver line status (overrun, framing) */
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define IIR_NONE 0x01

struct uart_stats uart_stats;
static v_handle io;
static bool paused;                 /* RX interrupt off: the consumer is full */
#define IER_ON (IER_RDA | IER_THRE | IER_RLS)

static uint8_t in(unsigned reg)
{
    struct v_ret r = v_io_in(io, UART_BASE + reg, 1);
    return r.err ? 0xff : (uint8_t)r.val;
}

static void out(unsigned reg, uint8_t v)
{
    v_io_out(io, UART_BASE + reg, 1, v);
}

/* Bytes to THR in one trap; on any failure (the port capability gone)
 * the rest of the fill is lost, as a failed out() would lose it. The
 * calls differ only in the byte, so only that is written per fill. */
static struct v_batch_call thr_calls[UART_FIFO];
static struct v_batch_result thr_res[UART_FIFO];

static void out_thr_init(void)
{
    for (unsigned i = 0; i < UART_FIFO; i++)
        thr_calls[i] = (struct v_batch_call){.sysno = V_SYS_io_out,
                                             .arg = {io, UART_BASE + THR, 1, 0}};
}

static void out_thr(const uint8_t *buf, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        thr_calls[i].arg[3] = buf[i];
    if (n)
        v_batch((uint64_t)thr_calls, n, (uint64_t)thr_res);
}

int uart_init(v_handle ioports)
{
    if (!ioports)
        return V_EHANDLE;
    io = ioports;
    out_thr_init();
    /* Is anything there? The scratch register keeps what is written. */
    struct v_ret r = v_io_out(io, UART_BASE + SCR, 1, 0x5a);
    if (r.err)
        return (int)r.err;
    if (in(SCR) != 0x5a)
        return V_ENOTFOUND;
    out(IER, 0);
    out(LCR, 0x80);              /* DLAB: divisor 1 = 115200 baud */
    out(DLL, 1);
    out(DLM, 0);
    out(LCR, 0x03);              /* 8N1 */
    out(FCR, 0x07);              /* FIFOs on and cleared, RX trigger 1 byte */
    out(MCR, 0x0b);              /* DTR, RTS, OUT2 (gates the IRQ line on a PC) */
    for (int i = 0; i < 64 && (in(LSR) & LSR_DR); i++)
        (void)in(RBR);           /* whatever arrived before us */
    (void)in(IIR);
    (void)in(MSR);
    out(IER, IER_ON);
    return V_OK;
}

static void fill_fifo(uart_tx_fn *tx)
{
    uint8_t buf[UART_FIFO];
    unsigned n = tx(buf, UART_FIFO);
    out_thr(buf, n);
    uart_stats.tx += n;
}

void uart_kick(uart_tx_fn *tx)
{
    uart_stats.kicks++;
    if (in(LSR) & LSR_THRE)
        fill_fifo(tx);
}

/* Hand received bytes over while the consumer takes them. The byte a
 * full consumer refused is kept and offered first on resume. */
static int held = -1;

static void drain_rx(uart_rx_fn *rx, uint8_t *lsr)
{
    if (held >= 0) {
        if (!rx((uint8_t)held))
            return;
        held = -1;
        uart_stats.rx++;
    }
    for (int i = 0; i < 256 && (*lsr & LSR_DR); i++) {
        uint8_t c = in(RBR);
        if (!rx(c)) {
            held = c;
            paused = true;
            uart_stats.pauses++;
            out(IER, IER_ON & ~IER_RDA);
            return;
        }
        uart_stats.rx++;
        *lsr = in(LSR);
    }
}

bool uart_rx_paused(void) { return paused; }

void uart_rx_resume(uart_rx_fn *rx)
{
    if (!paused)
        return;
    paused = false;
    uint8_t lsr = in(LSR);
    drain_rx(rx, &lsr);
    if (!paused)
        out(IER, IER_ON);      /* bytes still waiting raise it at once */
}

void uart_service(uart_rx_fn *rx, uart_tx_fn *tx)
{
    uart_stats.irqs++;
    /* Bounded: a device that never says "nothing pending" cannot hang us. */
    for (int round = 0; round < 64; round++) {
        uint8_t iir = in(IIR);
        uint8_t lsr = in(LSR);
        if (lsr & LSR_OE)
            uart_stats.overruns++;
        if (!paused)
            drain_rx(rx, &lsr);
        if (lsr & LSR_THRE)
            fill_fifo(tx);
        if (iir & IIR_NONE)
            break;
        if ((iir & 0x0e) == 0)   /* modem status: reading MSR clears it */
            (void)in(MSR);
    }
}
