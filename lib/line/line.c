/*
 * line: see line.h for the contract.
 *
 * Every edit follows the same two steps: change the buffer, then redraw the
 * part of the screen line from the first changed column to the end, erase
 * whatever the old line left beyond it, and move the cursor back. The
 * screen cursor always sits at prompt + cur between calls, so every move
 * is relative to where the editor itself left it.
 */
#include "line/line.h"

#include "string/vstring.h"

enum { ESC_NONE, ESC_ESC, ESC_CSI, ESC_SS3 };

#define CTRL(c) ((c) & 0x1f)
#define PARAM_MAX 9999u

static void put(struct line_editor *e, const char *s, size_t n)
{
    if (n && e->out)
        e->out(e->ctx, s, n);
}

static void puts_(struct line_editor *e, const char *s)
{
    put(e, s, vs_strlen(s));
}

/* ESC [ n <dir>, with n omitted when it is 1; nothing when n is 0. */
static void move(struct line_editor *e, size_t n, char dir)
{
    char b[32];
    size_t k = sizeof b;
    if (!n)
        return;
    b[--k] = dir;
    if (n > 1)
        for (; n; n /= 10)
            b[--k] = (char)('0' + n % 10);
    b[--k] = '[';
    b[--k] = '\x1b';
    put(e, b + k, sizeof b - k);
}

/* The screen shows the old line with the cursor at column `from` of the
 * new buffer (the buffer already changed): rewrite from there, erase the
 * rest, and put the cursor at cur. */
static void redraw_from(struct line_editor *e, size_t from)
{
    put(e, e->buf + from, e->len - from);
    puts_(e, "\x1b[K");
    move(e, e->len - e->cur, 'D');
}

static void set_text(struct line_editor *e, const char *s)
{
    move(e, e->cur, 'D');
    e->len = vs_strlcpy(e->buf, s, sizeof e->buf);
    e->cur = e->len;
    put(e, e->buf, e->len);
    puts_(e, "\x1b[K");
}

static void reset_line(struct line_editor *e)
{
    e->len = e->cur = 0;
    e->buf[0] = 0;
    e->hist_pos = 0;
    e->esc = ESC_NONE;
    e->finished = false;
    e->lost = 0;
}

void line_init(struct line_editor *e, line_out_fn *out, void *ctx)
{
    vs_memset(e, 0, sizeof *e);
    e->out = out;
    e->ctx = ctx;
    e->prompt = "";
}

void line_start(struct line_editor *e, const char *prompt)
{
    reset_line(e);
    e->prompt = prompt ? prompt : "";
    puts_(e, e->prompt);
}

const char *line_text(const struct line_editor *e)
{
    return e->buf;
}

size_t line_length(const struct line_editor *e)
{
    return e->len;
}

size_t line_cursor(const struct line_editor *e)
{
    return e->cur;
}

unsigned line_lost(const struct line_editor *e)
{
    return e->lost;
}

void line_set_words(struct line_editor *e, const char *words)
{
    e->words = words;
}

static const char *hist_entry(const struct line_editor *e, unsigned k)
{
    return e->hist[(e->hist_head + LINE_HISTORY - k) % LINE_HISTORY];
}

void line_history_add(struct line_editor *e, const char *s)
{
    size_t n = vs_strnlen(s, LINE_CAP + 1);
    if (n == 0 || n > LINE_CAP)
        return;
    if (e->hist_count && vs_strcmp(hist_entry(e, 1), s) == 0)
        return;
    vs_memcpy(e->hist[e->hist_head], s, n + 1);
    e->hist_head = (e->hist_head + 1) % LINE_HISTORY;
    if (e->hist_count < LINE_HISTORY)
        e->hist_count++;
}

bool line_ok(const struct line_editor *e)
{
    if (e->cur > e->len || e->len > LINE_CAP || e->buf[e->len] != 0)
        return false;
    for (size_t i = 0; i < e->len; i++)
        if (e->buf[i] < 0x20 || e->buf[i] > 0x7e)
            return false;
    return e->hist_pos <= e->hist_count && e->hist_count <= LINE_HISTORY &&
           e->hist_head < LINE_HISTORY;
}

/* ---- edits ---------------------------------------------------------- */

static void insert(struct line_editor *e, char c)
{
    if (e->len == LINE_CAP) {
        puts_(e, "\a");
        e->lost |= LINE_LOST_FULL;
        return;
    }
    vs_memmove(e->buf + e->cur + 1, e->buf + e->cur, e->len - e->cur + 1);
    e->buf[e->cur] = c;
    e->len++;
    e->cur++;
    /* Echo from the new character on; nothing to erase as the line grew. */
    put(e, e->buf + e->cur - 1, e->len - e->cur + 1);
    move(e, e->len - e->cur, 'D');
}

/* Delete buf[at, at+n) with the cursor ending at `at` (at <= cur). */
static void delete_range(struct line_editor *e, size_t at, size_t n)
{
    if (!n)
        return;
    move(e, e->cur - at, 'D');
    vs_memmove(e->buf + at, e->buf + at + n, e->len - at - n + 1);
    e->len -= n;
    e->cur = at;
    redraw_from(e, at);
}

static void backspace(struct line_editor *e)
{
    if (e->cur)
        delete_range(e, e->cur - 1, 1);
}

static void delete_at_cursor(struct line_editor *e)
{
    if (e->cur < e->len)
        delete_range(e, e->cur, 1);
}

static void delete_word(struct line_editor *e)
{
    size_t at = e->cur;
    while (at && e->buf[at - 1] == ' ')
        at--;
    while (at && e->buf[at - 1] != ' ')
        at--;
    delete_range(e, at, e->cur - at);
}

static void go_to(struct line_editor *e, size_t pos)
{
    if (pos < e->cur)
        move(e, e->cur - pos, 'D');
    else
        move(e, pos - e->cur, 'C');
    e->cur = pos;
}

static void history(struct line_editor *e, bool older)
{
    if (older) {
        if (e->hist_pos == e->hist_count)
            return;
        if (e->hist_pos == 0)
            vs_memcpy(e->saved, e->buf, e->len + 1);
        e->hist_pos++;
        set_text(e, hist_entry(e, e->hist_pos));
    } else {
        if (e->hist_pos == 0)
            return;
        e->hist_pos--;
        set_text(e, e->hist_pos ? hist_entry(e, e->hist_pos) : e->saved);
    }
}

static void clear_screen(struct line_editor *e)
{
    puts_(e, "\x1b[H\x1b[2J");
    puts_(e, e->prompt);
    put(e, e->buf, e->len);
    move(e, e->len - e->cur, 'D');
}

static enum line_event finish(struct line_editor *e, enum line_event ev)
{
    e->finished = true;
    if (ev == LINE_DONE)
        line_history_add(e, e->buf);
    return ev;
}

/* ---- input ------------------------------------------------------------ */

static void csi_final(struct line_editor *e, uint8_t c)
{
    switch (c) {
    case 'A': history(e, true); break;
    case 'B': history(e, false); break;
    case 'C': go_to(e, e->cur < e->len ? e->cur + 1 : e->cur); break;
    case 'D': go_to(e, e->cur ? e->cur - 1 : 0); break;
    case 'H': go_to(e, 0); break;
    case 'F': go_to(e, e->len); break;
    case '~':
        switch (e->param) {
        case 1: case 7: go_to(e, 0); break;
        case 4: case 8: go_to(e, e->len); break;
        case 3: delete_at_cursor(e); break;
        default: break;
        }
        break;
    default:
        break;
    }
}

/* Tab at the end of the first word: the words of e->words it begins. */
static void complete(struct line_editor *e)
{
    if (!e->words || e->cur != e->len || vs_memchr(e->buf, ' ', e->len))
        return;
    const char *first = 0;
    size_t common = 0, n = 0;
    for (const char *w = e->words; *w; w += vs_strlen(w) + 1) {
        if (vs_strncmp(w, e->buf, e->len))
            continue;
        if (!n++) {
            first = w;
            common = vs_strlen(w);
        } else {
            size_t k = e->len;
            while (k < common && w[k] == first[k])
                k++;
            common = k;
        }
    }
    if (!n) {
        puts_(e, "\a");
        return;
    }
    if (common > e->len) {
        for (size_t k = e->len; k < common; k++)
            insert(e, first[k]);
        if (n == 1)
            insert(e, ' ');
        return;
    }
    if (n == 1) {
        insert(e, ' ');
        return;
    }
    puts_(e, "\r\n");   /* nothing to add: show the choices, then the line again */
    for (const char *w = e->words; *w; w += vs_strlen(w) + 1)
        if (!vs_strncmp(w, e->buf, e->len)) {
            puts_(e, w);
            puts_(e, "  ");
        }
    puts_(e, "\r\n");
    puts_(e, e->prompt);
    put(e, e->buf, e->len);
}

/* One byte outside any escape sequence. */
static enum line_event plain(struct line_editor *e, uint8_t c)
{
    if (c >= 0x20 && c < 0x7f) {
        insert(e, (char)c);
        return LINE_NONE;
    }
    switch (c) {
    case '\r':
        e->after_cr = true;
        puts_(e, "\r\n");
        return finish(e, LINE_DONE);
    case '\n':
        puts_(e, "\r\n");
        return finish(e, LINE_DONE);
    case 0x1b: e->esc = ESC_ESC; break;
    case 0x7f:
    case CTRL('H'): backspace(e); break;
    case CTRL('A'): go_to(e, 0); break;
    case CTRL('E'): go_to(e, e->len); break;
    case CTRL('B'): csi_final(e, 'D'); break;
    case CTRL('F'): csi_final(e, 'C'); break;
    case CTRL('K'): {
        size_t n = e->len - e->cur;
        if (n) {
            e->len = e->cur;
            e->buf[e->len] = 0;
            puts_(e, "\x1b[K");
        }
        break;
    }
    case CTRL('U'): delete_range(e, 0, e->cur); break;
    case CTRL('W'): delete_word(e); break;
    case CTRL('L'): clear_screen(e); break;
    case CTRL('C'):
        puts_(e, "^C\r\n");
        e->len = e->cur = 0;
        e->buf[0] = 0;
        return finish(e, LINE_CANCEL);
    case CTRL('D'):
        if (e->len == 0) {
            puts_(e, "\r\n");
            return finish(e, LINE_EOF);
        }
        delete_at_cursor(e);
        break;
    case '\t': complete(e); break;
    default:
        if (c >= 0x80 && !(e->lost & LINE_LOST_NONASCII)) {
            puts_(e, "\a");
            e->lost |= LINE_LOST_NONASCII;
        }
        break;   /* other controls */
    }
    return LINE_NONE;
}

enum line_event line_feed(struct line_editor *e, uint8_t c)
{
    if (e->after_cr) {
        e->after_cr = false;
        if (c == '\n')
            return LINE_NONE;
    }
    if (e->finished)
        reset_line(e);

    /* Inside an escape sequence, a control byte aborts it and counts as
     * itself (ESC restarts a sequence). */
    bool control = c < 0x20 || c >= 0x7f;
    switch (e->esc) {
    case ESC_ESC:
        if (control)
            break;
        if (c == '[') {
            e->esc = ESC_CSI;
            e->param = 0;
            e->param_done = false;
        } else if (c == 'O') {
            e->esc = ESC_SS3;
        } else {
            e->esc = ESC_NONE;   /* Alt-<key>: swallowed */
        }
        return LINE_NONE;
    case ESC_CSI:
        if (control)
            break;
        if (c >= '0' && c <= '9') {
            if (!e->param_done) {
                e->param = e->param * 10 + (unsigned)(c - '0');
                if (e->param > PARAM_MAX)
                    e->param = PARAM_MAX;
            }
        } else if (c == ';') {
            e->param_done = true;
        } else if (c >= 0x40) {   /* final byte */
            e->esc = ESC_NONE;
            csi_final(e, c);
        }
        /* other parameter / intermediate bytes (0x20-0x3f): ignored */
        return LINE_NONE;
    case ESC_SS3:
        if (control)
            break;
        e->esc = ESC_NONE;
        if (c == 'A' || c == 'B' || c == 'C' || c == 'D' || c == 'H' || c == 'F') {
            e->param = 0;
            csi_final(e, c);
        }
        return LINE_NONE;
    default:
        break;
    }
    e->esc = ESC_NONE;
    return plain(e, c);
}
