/*
 * line: the shell's line editor, as a state machine with no I/O of its own.
 *
 * The shell feeds it one input byte at a time; it edits its buffer, writes
 * the bytes a VT100-compatible terminal needs to show the change through
 * the output callback, and says when a line is complete:
 *
 *     line_init(&ed, write_to_console, ctx);
 *     line_start(&ed, "$ ");                   prints the prompt
 *     for (;;) {
 *         switch (line_feed(&ed, getbyte())) {
 *         case LINE_DONE:   run(line_text(&ed)); line_start(&ed, "$ "); break;
 *         case LINE_CANCEL: line_start(&ed, "$ "); break;
 *         case LINE_EOF:    exit();
 *         case LINE_NONE:   break;
 *         }
 *     }
 *
 * Keys:
 *   printable ASCII      insert at the cursor (refused with BEL when full)
 *   BS (0x08), DEL 0x7f  delete before the cursor
 *   ESC[3~, Ctrl-D       delete at the cursor; Ctrl-D on an empty line: EOF
 *   ESC[D / ESC[C        left / right (also ESC O D / ESC O C, Ctrl-B / Ctrl-F)
 *   ESC[H ESC[1~ ESC[7~  home (also ESC O H, Ctrl-A)
 *   ESC[F ESC[4~ ESC[8~  end (also ESC O F, Ctrl-E)
 *   ESC[A / ESC[B        previous / next history entry (also ESC O A / B)
 *   Ctrl-U / Ctrl-K      delete to the start / to the end of the line
 *   Ctrl-W               delete the word before the cursor
 *   Ctrl-L               clear the screen and redraw prompt and line
 *   Ctrl-C               abandon the line (prints ^C): LINE_CANCEL
 *   Tab                  complete the first word from the caller's word
 *                        list (line_set_words): one match is completed and
 *                        a blank added; several are completed to their
 *                        common prefix, and listed when that adds nothing
 *   CR or LF             LINE_DONE; an LF right after a CR is swallowed,
 *                        so CRLF is one Enter (even across line_start)
 * Everything else is swallowed: other control bytes, unknown or over-long
 * escape sequences, ESC + any other character (Alt-x). A control byte
 * inside an escape sequence ends the sequence and is then handled as
 * itself, so Ctrl-C always works.
 *
 * Lost input: the editor is ASCII-only and holds LINE_CAP bytes. A byte
 * >= 0x80, or a character typed into a full line, is not inserted: the
 * terminal hears BEL (once a line for non-ASCII) and line_lost() says so
 * until the next line starts, so the caller can refuse the line instead
 * of running what is left of it.
 *
 * Output uses only: the line's own characters, CR LF, BEL, ESC[K (erase to
 * end of line), ESC[nD / ESC[nC (cursor left / right n; n omitted for 1),
 * and for Ctrl-L ESC[H ESC[2J. Cursor moves are relative, so the prompt
 * may contain escape sequences of its own; prompt plus line are assumed to
 * fit on one terminal row (there is no wrap handling).
 *
 * History: each non-empty line entered that differs from the newest entry
 * is kept in a ring of LINE_HISTORY lines. Browsing up saves the line being
 * edited and browsing back down to the bottom restores it; editing a
 * recalled line changes the buffer, not the history entry.
 *
 * Invariants (checked by line_ok): cursor <= length <= LINE_CAP,
 * buf[length] == 0 and the buffer holds only printable ASCII; the history
 * position never exceeds the number of entries. After LINE_DONE, CANCEL or
 * EOF the text stays readable through line_text until line_start or the
 * next byte that starts a new line.
 */
#ifndef LIB_LINE_LINE_H
#define LIB_LINE_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINE_CAP 255      /* bytes of text, the NUL excluded */
#define LINE_HISTORY 16

#define LINE_LOST_FULL 1u       /* typed into a full line */
#define LINE_LOST_NONASCII 2u   /* a byte >= 0x80 */

enum line_event {
    LINE_NONE = 0,   /* keep feeding */
    LINE_DONE,       /* Enter: line_text() is the line */
    LINE_CANCEL,     /* Ctrl-C: the line was abandoned */
    LINE_EOF,        /* Ctrl-D on an empty line */
};

typedef void line_out_fn(void *ctx, const char *bytes, size_t n);

struct line_editor {
    /* Set by line_init. */
    line_out_fn *out;
    void *ctx;
    const char *prompt;   /* from line_start; the caller keeps it alive */

    /* The line being edited. */
    char buf[LINE_CAP + 1];
    size_t len, cur;

    /* Input state. */
    uint8_t esc;          /* escape-sequence parser state (line.c) */
    unsigned param;       /* first numeric CSI parameter, saturating */
    bool param_done;      /* a ';' ended the first parameter */
    bool after_cr;        /* the last byte was a CR taken as Enter */
    bool finished;        /* an event ended the line; next byte starts anew */
    uint8_t lost;         /* LINE_LOST_* bits since the line started */

    /* Tab completion: NUL-separated words ended by an empty one; the
     * caller keeps it alive (NULL: Tab does nothing). */
    const char *words;

    /* History ring: entry k (1 = newest) is hist[(head - k) mod N]. */
    char hist[LINE_HISTORY][LINE_CAP + 1];
    unsigned hist_count, hist_head, hist_pos;   /* hist_pos 0: not browsing */
    char saved[LINE_CAP + 1];                   /* the line before browsing */
};

void line_init(struct line_editor *e, line_out_fn *out, void *ctx);
void line_start(struct line_editor *e, const char *prompt);
enum line_event line_feed(struct line_editor *e, uint8_t byte);

const char *line_text(const struct line_editor *e);
size_t line_length(const struct line_editor *e);
size_t line_cursor(const struct line_editor *e);
unsigned line_lost(const struct line_editor *e);
void line_set_words(struct line_editor *e, const char *words);

/* Add a line to the history as if it had been entered (ignored if empty,
 * longer than LINE_CAP, or equal to the newest entry). */
void line_history_add(struct line_editor *e, const char *s);

/* True if every invariant above holds. */
bool line_ok(const struct line_editor *e);

#endif
