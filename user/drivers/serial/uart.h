/*
 * uart.h: the 16550 on COM1, driven through an I/O-port capability.
 *
 * The driver owns the port once uart_init has run: it reprograms the line
 * (115200 8N1, FIFOs on, receive trigger at one byte), raises OUT2 so the
 * interrupt reaches the PIC, and enables the received-data, line-status
 * and THR-empty interrupts. The kernel's polled early console may still
 * write bytes for a panic; both only ever write whole bytes to THR.
 */
#ifndef SERIAL_UART_H
#define SERIAL_UART_H

#include <stdbool.h>
#include <stdint.h>

#include "rt.h"

#define UART_BASE 0x3f8
#define UART_PORTS 8
#define UART_FIFO 16      /* bytes the transmit FIFO takes when THR is empty */

/* Returns 0, or a V_E* code (no port capability, or no UART answers). */
int uart_init(v_handle ioports);

/* One interrupt's worth of work: every pending condition is handled until
 * the IIR says none is left. Received bytes go to rx(), as long as it
 * takes them: when it returns false the byte is kept, receiving pauses
 * (the received-data interrupt is turned off, so bytes wait in the UART
 * and, under an emulator, in its backend) until uart_rx_resume. When the
 * transmit FIFO is empty, up to UART_FIFO bytes are taken from tx()
 * (which returns how many it wrote to its buffer argument). */
typedef bool uart_rx_fn(uint8_t byte);
typedef unsigned uart_tx_fn(uint8_t *buf, unsigned max);
void uart_service(uart_rx_fn *rx, uart_tx_fn *tx);

/* There is room again: take bytes and interrupts again. */
void uart_rx_resume(uart_rx_fn *rx);
bool uart_rx_paused(void);

/* Start transmitting if the FIFO is idle (called after queueing). */
void uart_kick(uart_tx_fn *tx);

/* Counters for the curious (and the tests). */
struct uart_stats {
    uint64_t irqs, rx, tx, overruns, kicks, pauses;
};
extern struct uart_stats uart_stats;

#endif
