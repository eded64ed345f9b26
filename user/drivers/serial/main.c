/*
 * serial: the console service (schema/console.capnp) over the 16550 on
 * COM1, interrupt-driven in both directions.
 *
 * Bundle: "listen" (accept Ring), "ioports" (0x3f8..0x3ff), "irq" (line
 * 4), optionally "log". The kernel's polled console is used only until
 * this Task starts and for panics.
 *
 * Output. Console.write queues the bytes in a transmit buffer drained on
 * THR-empty interrupts (16 bytes a FIFO fill), and replies once they are
 * queued, with `written` = all of them. A lone '\n' goes out as CR LF.
 * A write is queued whole or not at all, so writes from different
 * clients never interleave inside one message; when the buffer has no
 * room the request is held (one per connection) and replied to when the
 * interrupts have made room: that is the flow control. A second write
 * from a connection whose first is still held gets an IPC_ERROR reply.
 *
 * Input. Received bytes go to a type-ahead buffer (1 KiB). When it is
 * full the driver stops taking bytes from the UART (its received-data
 * interrupt is turned off) until a reader makes room: bytes then wait in
 * the UART's FIFO (and under QEMU in the chardev), and on real hardware
 * a long paste may overrun. While a client has a readLine pending they
 * are fed to the line editor (lib/line: echo, history, arrows, Ctrl-U,
 * Ctrl-W, Ctrl-L ...), and the reply goes out when the line ends:
 *   Enter          status ok, the line (tooLong and its first maxBytes
 *                  bytes if it is longer than maxBytes or the editor
 *                  refused a byte typed into a full line; notAscii if
 *                  it dropped a byte >= 0x80)
 *   Tab            completes the first word from the request's words
 *   Ctrl-C         status ok, empty line (the terminal shows ^C)
 *   Ctrl-D (empty) status eof
 * Only one readLine may be pending at a time, across all clients: a
 * readLine arriving while another (from anyone) is pending is answered
 * at once with status eof and an empty line: "no input for you now".
 * The prompt is whatever the client wrote on the current terminal line
 * before asking (the service tracks it), so Ctrl-L can redraw it. Output
 * that arrives while a line is being edited is printed above it: the
 * line is erased, the output written, and prompt and line redrawn.
 *
 * Hostile clients: payloads that are not a valid message, unknown
 * methods and replies sent as requests get IPC_ERROR; capabilities
 * sent along are deleted; a Ring that breaks the protocol is closed
 * (ipc_serve); a client that disconnects with a readLine pending frees
 * the reader slot. Replies are sent without waiting: a client that does
 * not read its replies loses them rather than stalling the service.
 */
#include <stdio.h>
#include <string.h>

#include "ipc.h"
#include "line/line.h"
#include "logc.h"
#include "rt.h"
#include "schema/console.capnp.h"
#include "uart.h"

#define IRQ_LINE 4
#define IRQ_BIT RT_SIG_IRQ
#define TXQ_SIZE 8192
#define RXQ_SIZE 1024
#define PROMPT_MAX 64

/* ---- transmit queue ------------------------------------------------- */

static uint8_t txq[TXQ_SIZE];
static unsigned tx_head, tx_len;  /* oldest byte, bytes queued */
static uint8_t tx_last;           /* the last byte queued: CR LF translation */
static uint64_t tx_dropped;       /* echo bytes lost to a full buffer */

static unsigned tx_free(void) { return TXQ_SIZE - tx_len; }

static void tx_byte(uint8_t c)
{
    txq[(tx_head + tx_len) % TXQ_SIZE] = c;
    tx_len++;
    tx_last = c;
}

/* Queue bytes as they are, translating a lone LF to CR LF. The caller
 * has checked there is room (at worst two bytes per input byte). */
static void tx_put(const void *p, size_t n)
{
    const uint8_t *s = p;
    for (size_t i = 0; i < n; i++) {
        if (tx_free() < 2) {
            tx_dropped += n - i;
            return;
        }
        if (s[i] == '\n' && tx_last != '\r')
            tx_byte('\r');
        tx_byte(s[i]);
    }
}

static void tx_puts(const char *s) { tx_put(s, strlen(s)); }

static unsigned tx_take(uint8_t *buf, unsigned max)
{
    unsigned n = tx_len < max ? tx_len : max;
    for (unsigned i = 0; i < n; i++)
        buf[i] = txq[(tx_head + i) % TXQ_SIZE];
    tx_head = (tx_head + n) % TXQ_SIZE;
    tx_len -= n;
    return n;
}

/* ---- receive queue -------------------------------------------------- */

static uint8_t rxq[RXQ_SIZE];
static unsigned rx_head, rx_len;

static bool rx_byte(uint8_t c)
{
    if (rx_len == RXQ_SIZE)
        return false;           /* the UART keeps it: receiving pauses */
    rxq[(rx_head + rx_len) % RXQ_SIZE] = c;
    rx_len++;
    return true;
}

/* ---- the terminal line: prompt tracking and the reader -------------- */

/* What clients wrote on the terminal's current line (printable bytes). */
static char tail[PROMPT_MAX + 1];
static unsigned tail_len;

static void track(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n' || p[i] == '\r')
            tail_len = 0;
        else if (p[i] >= 0x20 && p[i] < 0x7f && tail_len < PROMPT_MAX)
            tail[tail_len++] = (char)p[i];
    }
    tail[tail_len] = 0;
}

static struct line_editor ed;
static struct {
    bool active;
    struct ipc_conn *conn;
    uint64_t id;
    uint32_t max;
    bool echo;
    bool mute;                  /* swallow the editor's output (line_start) */
    char prompt[PROMPT_MAX + 1];
} rd;

static void ed_out(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    if (rd.echo && !rd.mute)
        tx_put(s, n);
}

/* ---- replies -------------------------------------------------------- */

static void reply_line(struct ipc_conn *c, uint64_t id, enum Console_Status st,
                       const char *text, size_t len)
{
    uint8_t buf[LINE_CAP + 64];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Console_readLine_Results_B r = Console_readLine_Results_build_root(&b);
    Console_readLine_Results_set_status(r, st);
    Console_readLine_Results_set_line(r, text, len);
    ipc_reply_built(c, Console_method_readLine, id, &b);
}

static void reply_written(struct ipc_conn *c, uint64_t id, uint32_t n)
{
    uint8_t buf[32];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Console_write_Results_set_written(Console_write_Results_build_root(&b), n);
    ipc_reply_built(c, Console_method_write, id, &b);
}

/* ---- reading lines -------------------------------------------------- */

static void finish_line(enum line_event ev)
{
    const char *text = line_text(&ed);
    size_t len = line_length(&ed);
    if (!rd.echo)
        tx_puts(ev == LINE_CANCEL ? "^C\r\n" : "\r\n");
    tail_len = 0;
    tail[0] = 0;
    rd.active = false;
    if (ev == LINE_EOF)
        reply_line(rd.conn, rd.id, Console_Status_eof, "", 0);
    else if (ev == LINE_CANCEL)
        reply_line(rd.conn, rd.id, Console_Status_ok, "", 0);
    else if (len > rd.max || (line_lost(&ed) & LINE_LOST_FULL))
        reply_line(rd.conn, rd.id, Console_Status_tooLong, text, len < rd.max ? len : rd.max);
    else if (line_lost(&ed) & LINE_LOST_NONASCII)
        reply_line(rd.conn, rd.id, Console_Status_notAscii, text, len);
    else
        reply_line(rd.conn, rd.id, Console_Status_ok, text, len);
}

/* Feed type-ahead to the editor while someone is reading; take bytes
 * from a paused UART again once there is room. */
static void pump(void)
{
    for (int round = 0; round < 64; round++) {
        while (rd.active && rx_len) {
            uint8_t c = rxq[rx_head];
            rx_head = (rx_head + 1) % RXQ_SIZE;
            rx_len--;
            enum line_event ev = line_feed(&ed, c);
            if (ev != LINE_NONE)
                finish_line(ev);
        }
        if (!uart_rx_paused() || rx_len == RXQ_SIZE)
            return;
        uart_rx_resume(rx_byte);
    }
}

/* The reader's client went away: free the slot for the next one. */
static void reader_gone(void)
{
    rd.active = false;
    if (rd.echo && line_length(&ed))
        tx_puts("\r\n");
    tail_len = 0;
    tail[0] = 0;
}

static void start_read(struct ipc_conn *c, uint64_t id, uint32_t max, bool echo)
{
    rd.active = true;
    rd.conn = c;
    rd.id = id;
    rd.max = max;
    rd.echo = echo;
    memcpy(rd.prompt, tail, tail_len + 1);
    rd.mute = true;             /* the client already printed its prompt */
    line_start(&ed, rd.prompt);
    rd.mute = false;
    pump();
}

/* ---- writing -------------------------------------------------------- */

/* A write held for lack of room, per connection. */
static struct held {
    bool active;
    uint64_t id;
    uint32_t len;
    uint8_t data[IPC_PAYLOAD_MAX];
} held[IPC_MAX_CONNS];
static struct ipc_server srv;

/* Room needed to print n client bytes, in the worst case, including the
 * erase and redraw around them when a line is being edited. */
static size_t room_for(size_t n)
{
    return 2 * n + (rd.active ? 2 * (PROMPT_MAX + LINE_CAP) + 32 : 0);
}

static bool try_output(const uint8_t *p, size_t n)
{
    if (tx_free() < room_for(n))
        return false;
    if (!rd.active || n == 0) {
        tx_put(p, n);
        track(p, n);
        return true;
    }
    tx_puts("\r\x1b[K");
    tx_put(p, n);
    if (p[n - 1] != '\n')
        tx_puts("\r\n");
    tx_puts(rd.prompt);
    if (rd.echo) {
        size_t len = line_length(&ed), cur = line_cursor(&ed);
        tx_put(line_text(&ed), len);
        if (len > cur) {
            char mv[16];
            int k = snprintf(mv, sizeof mv, "\x1b[%zuD", len - cur);
            tx_put(mv, (size_t)k);
        }
    }
    return true;
}

static void retry_held(void)
{
    for (unsigned k = 0; k < IPC_MAX_CONNS; k++) {
        struct held *h = &held[k];
        if (!h->active || !srv.used[k])
            continue;
        if (!try_output(h->data, h->len))
            break;              /* keep the order: nobody overtakes */
        h->active = false;
        reply_written(&srv.conns[k], h->id, h->len);
    }
}

static bool any_held(void)
{
    for (unsigned k = 0; k < IPC_MAX_CONNS; k++)
        if (held[k].active && srv.used[k])
            return true;
    return false;
}

/* ---- the protocol ----------------------------------------------------- */

static void serve_write(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    struct capnp_data d = Console_write_Params_bytes(Console_write_Params_read_root(msg));
    struct held *h = &held[c - srv.conns];
    if (capnp_msg_error(msg) || h->active) {
        ipc_reply_error(c, m->hdr.id);
        return;
    }
    if (!any_held() && try_output(d.ptr, d.len)) {
        uart_kick(tx_take);
        reply_written(c, m->hdr.id, d.len);
        return;
    }
    h->active = true;           /* d.len <= the payload, which fits */
    h->id = m->hdr.id;
    h->len = d.len;
    memcpy(h->data, d.ptr, d.len);
    uart_kick(tx_take);
}

/* The reader's completion words, blank-separated in the request, kept
 * NUL-separated for the editor until the next request. */
static char words[1024 + 2];

static void set_words(struct capnp_text w)
{
    size_t n = 0;
    for (size_t i = 0; w.str && i < w.len && n + 2 < sizeof words; i++) {
        char c = w.str[i];
        if (c == ' ') {
            if (n && words[n - 1])
                words[n++] = 0;
        } else if (c > ' ' && c < 0x7f) {
            words[n++] = c;
        }
    }
    if (n && words[n - 1])
        words[n++] = 0;
    words[n] = 0;
    line_set_words(&ed, words);
}

static void serve_readLine(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    Console_readLine_Params_R p = Console_readLine_Params_read_root(msg);
    uint32_t max = Console_readLine_Params_maxBytes(p);
    bool echo = Console_readLine_Params_echo(p);
    struct capnp_text w = Console_readLine_Params_words(p);
    if (capnp_msg_error(msg)) {
        ipc_reply_error(c, m->hdr.id);
        return;
    }
    /* ipc_serve may not have looked at the reader's Ring yet this round */
    if (rd.active && ring_closed(&rd.conn->in))
        reader_gone();
    if (rd.active) {
        reply_line(c, m->hdr.id, Console_Status_eof, "", 0);
        return;
    }
    set_words(w);
    start_read(c, m->hdr.id, max, echo);
    uart_kick(tx_take);
}

#define ROW(name) IPC_METHOD(Console, name)
static const struct ipc_method methods[] = {Console_METHODS(ROW) {0, 0, 0}};

static void on_close(struct ipc_server *s, struct ipc_conn *c)
{
    held[c - s->conns].active = false;
    if (rd.active && rd.conn == c)
        reader_gone();
}

static v_handle irq;

static void on_bits(struct ipc_server *s, uint64_t bits)
{
    (void)s;
    if (!(bits & 1ull << IRQ_BIT))
        return;
    uart_service(rx_byte, tx_take);
    v_irq_ack(irq, IRQ_LINE);
    pump();
    retry_held();
    uart_kick(tx_take);
}

int main(void)
{
    v_handle listen = rt_cap("listen");
    irq = rt_cap("irq");
    if (!listen)
        return 2;
    int e = uart_init(rt_cap("ioports"));
    if (e) {
        rt_log(RT_LOG_ERROR, "no 16550 at %#x: %s", UART_BASE, rt_errname(e));
        return 3;
    }
    struct v_ret r = v_irq_bind(irq, IRQ_LINE, IRQ_BIT, 0);
    if (r.err) {
        rt_log(RT_LOG_ERROR, "cannot bind IRQ %d: %s", IRQ_LINE, rt_errname(r.err));
        return 4;
    }
    line_init(&ed, ed_out, 0);
    if ((e = ipc_server_init(&srv, listen))) {
        rt_log(RT_LOG_ERROR, "cannot serve: %s", ipc_strerror(e));
        return 5;
    }
    srv.on_bits = on_bits;
    srv.on_close = on_close;
    srv.extra_bits = 1ull << IRQ_BIT;
    rt_log(RT_LOG_INFO, "COM1 taken over, IRQ %d", IRQ_LINE);
    ipc_serve_methods(&srv, methods, V_TIMEOUT_NEVER);
    return 0;
}
