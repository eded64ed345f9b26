/*
 * test_line: lib/line's editing, exact output bytes, history, and a
 * terminal model. The model is a tiny VT100 (printable characters, CR, LF,
 * BEL, ESC[nC, ESC[nD, ESC[K, ESC[H, ESC[2J, and nothing else: any other
 * output byte fails the test). The random runs feed 100k+ hostile bytes
 * and check after every byte that the editor's invariants hold and that
 * the modelled screen shows exactly prompt + line with the cursor at
 * prompt + cursor, which is what "the bytes a terminal needs" means.
 */
#include "line/line.h"
#include "vtest.h"
#include "vtest_util.h"

#include <stdlib.h>

static uint64_t rng_state = 0x94d049bb133111ebull;

static uint64_t rnd(void) { return vtest_xorshift64(&rng_state); }

/* ---- captured output ------------------------------------------------------ */

static char out[1 << 16];
static size_t out_len;

static void capture(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    CHECK(out_len + n < sizeof out);
    memcpy(out + out_len, s, n);
    out_len += n;
    out[out_len] = 0;
}

static void clear_out(void)
{
    out_len = 0;
    out[0] = 0;
}

static struct line_editor ed;

static void start(void)
{
    clear_out();
    line_init(&ed, capture, NULL);
    line_start(&ed, "> ");
    CHECK_STR(out, "> ");
    clear_out();
}

/* Feed a string; return the last event that was not LINE_NONE. */
static enum line_event feed(const char *s)
{
    enum line_event last = LINE_NONE;
    for (; *s; s++) {
        enum line_event ev = line_feed(&ed, (uint8_t)*s);
        CHECK(line_ok(&ed));
        if (ev != LINE_NONE)
            last = ev;
    }
    return last;
}

/* ---- exact bytes ---------------------------------------------------------- */

TEST(typing_echoes)
{
    start();
    CHECK_EQ(feed("ls -l"), LINE_NONE);
    CHECK_STR(out, "ls -l");
    CHECK_STR(line_text(&ed), "ls -l");
    CHECK_EQ(line_cursor(&ed), 5);
}

TEST(insert_in_middle_rewrites_tail_and_moves_back)
{
    start();
    feed("abc\x1b[D\x1b[DX");
    CHECK_STR(line_text(&ed), "aXbc");
    CHECK_EQ(line_cursor(&ed), 2);
    CHECK_STR(out, "abc\x1b[D\x1b[DXbc\x1b[2D");
}

TEST(backspace_at_end_and_in_middle)
{
    start();
    feed("ab\x7f");
    CHECK_STR(line_text(&ed), "a");
    CHECK_STR(out, "ab\x1b[D\x1b[K");
    start();
    feed("abc\x1b[D\x08");   /* BS (0x08) works like DEL */
    CHECK_STR(line_text(&ed), "ac");
    CHECK_EQ(line_cursor(&ed), 1);
    CHECK_STR(out, "abc\x1b[D\x1b[Dc\x1b[K\x1b[D");
    clear_out();
    feed("\x7f\x7f\x7f");    /* at column 0: nothing happens, nothing printed */
    CHECK_STR(line_text(&ed), "c");
    CHECK_STR(out, "\x1b[Dc\x1b[K\x1b[D");   /* only the first one deleted something */
    CHECK_EQ(line_cursor(&ed), 0);
}

TEST(delete_key_and_ctrl_d_delete_at_cursor)
{
    start();
    feed("abcd\x1b[D\x1b[D");
    clear_out();
    feed("\x1b[3~");
    CHECK_STR(line_text(&ed), "abd");
    CHECK_STR(out, "d\x1b[K\x1b[D");
    clear_out();
    CHECK_EQ(feed("\x04"), LINE_NONE);   /* Ctrl-D on a non-empty line */
    CHECK_STR(line_text(&ed), "ab");
    CHECK_STR(out, "\x1b[K");
    clear_out();
    feed("\x1b[3~");                   /* at the end: nothing */
    CHECK_STR(out, "");
}

TEST(home_end_in_every_spelling)
{
    static const char *const homes[] = {"\x1b[H", "\x1b[1~", "\x1b[7~", "\x1bOH", "\x01"};
    static const char *const ends[] = {"\x1b[F", "\x1b[4~", "\x1b[8~", "\x1bOF", "\x05"};
    for (int i = 0; i < 5; i++) {
        start();
        feed("hello");
        clear_out();
        feed(homes[i]);
        CHECK_EQ(line_cursor(&ed), 0);
        CHECK_STR(out, "\x1b[5D");
        clear_out();
        feed(homes[i]);                /* already there: no output */
        CHECK_STR(out, "");
        feed(ends[i]);
        CHECK_EQ(line_cursor(&ed), 5);
        CHECK_STR(out, "\x1b[5C");
    }
}

TEST(arrows_stop_at_the_ends)
{
    start();
    feed("ab");
    clear_out();
    feed("\x1b[C");   /* right at the end */
    CHECK_STR(out, "");
    feed("\x1b[D\x1b[D\x1b[D\x1bOD\x02");   /* three lefts too many */
    CHECK_EQ(line_cursor(&ed), 0);
    CHECK_STR(out, "\x1b[D\x1b[D");
    clear_out();
    feed("\x06\x1bOC");   /* Ctrl-F, SS3 right */
    CHECK_EQ(line_cursor(&ed), 2);
    CHECK_STR(out, "\x1b[C\x1b[C");
}

TEST(kill_to_start_to_end_and_word)
{
    start();
    feed("one two three\x1b[D\x1b[D");
    clear_out();
    feed("\x0b");   /* Ctrl-K */
    CHECK_STR(line_text(&ed), "one two thr");
    CHECK_STR(out, "\x1b[K");
    clear_out();
    feed("\x17");   /* Ctrl-W */
    CHECK_STR(line_text(&ed), "one two ");
    CHECK_STR(out, "\x1b[3D\x1b[K");
    clear_out();
    feed("\x17");   /* skips the spaces, then the word */
    CHECK_STR(line_text(&ed), "one ");
    feed("\x1b[D\x1b[D");
    clear_out();
    feed("\x15");   /* Ctrl-U with the cursor at 2 */
    CHECK_STR(line_text(&ed), "e ");
    CHECK_EQ(line_cursor(&ed), 0);
    CHECK_STR(out, "\x1b[2De \x1b[K\x1b[2D");
}

TEST(enter_cr_lf_and_crlf)
{
    start();
    CHECK_EQ(feed("abc\r"), LINE_DONE);
    CHECK_STR(line_text(&ed), "abc");
    CHECK_STR(out, "abc\r\n");
    line_start(&ed, "> ");
    clear_out();
    /* The LF of a CRLF is swallowed, even after line_start. */
    CHECK_EQ(feed("\n"), LINE_NONE);
    CHECK_STR(out, "");
    CHECK_EQ(feed("x\n"), LINE_DONE);
    CHECK_STR(line_text(&ed), "x");
    /* LF LF is two Enters; CR CR is two Enters; LF CR is two. */
    int dones = 0;
    for (const char *s = "\n\n\r\r\n\r"; *s; s++)
        dones += line_feed(&ed, (uint8_t)*s) == LINE_DONE;
    CHECK_EQ(dones, 5);
}

TEST(next_byte_after_done_starts_a_fresh_line)
{
    start();
    feed("first\r");
    CHECK_STR(line_text(&ed), "first");   /* readable until the next line */
    feed("s");
    CHECK_STR(line_text(&ed), "s");
}

TEST(ctrl_c_cancels_and_ctrl_d_on_empty_is_eof)
{
    start();
    CHECK_EQ(feed("rm -rf\x1b[D\x03"), LINE_CANCEL);
    CHECK_STR(line_text(&ed), "");
    CHECK_STR(out, "rm -rf\x1b[D^C\r\n");
    start();
    CHECK_EQ(feed("\x04"), LINE_EOF);
    CHECK_STR(out, "\r\n");
    start();
    feed("x\x7f");
    CHECK_EQ(feed("\x04"), LINE_EOF);   /* empty again after editing */
}

TEST(overlong_input_is_refused_with_bell)
{
    start();
    for (int i = 0; i < LINE_CAP + 45; i++)
        CHECK_EQ(line_feed(&ed, 'a' + (uint8_t)(i % 26)), LINE_NONE);
    CHECK_EQ(line_length(&ed), LINE_CAP);
    int bells = 0;
    for (size_t i = 0; i < out_len; i++)
        bells += out[i] == '\a';
    CHECK_EQ(bells, 45);
    CHECK(line_ok(&ed));
    /* Inserting in the middle of a full line is refused too. */
    feed("\x01");
    clear_out();
    feed("Z");
    CHECK_STR(out, "\a");
    CHECK_EQ(line_text(&ed)[0], 'a');
    /* And after deleting one, one fits. */
    feed("\x1b[3~Z");
    CHECK_EQ(line_text(&ed)[0], 'Z');
    CHECK_EQ(line_length(&ed), LINE_CAP);
}

TEST(ctrl_l_clears_and_redraws_prompt_and_line)
{
    start();
    feed("abc\x1b[D");
    clear_out();
    feed("\x0c");
    CHECK_STR(out, "\x1b[H\x1b[2J> abc\x1b[D");
    CHECK_EQ(line_cursor(&ed), 2);
}

TEST(history_up_down_and_saved_line)
{
    start();
    feed("one\r");
    feed("two\r");
    feed("\r");             /* empty lines are not kept */
    feed("two\r");          /* nor repeats of the newest */
    feed("three\r");
    line_start(&ed, "> ");
    feed("par");
    clear_out();
    feed("\x1b[A");
    CHECK_STR(line_text(&ed), "three");
    CHECK_STR(out, "\x1b[3Dthree\x1b[K");
    feed("\x1b[A");
    CHECK_STR(line_text(&ed), "two");
    feed("\x1bOA");
    CHECK_STR(line_text(&ed), "one");
    clear_out();
    feed("\x1b[A");         /* past the oldest: nothing */
    CHECK_STR(line_text(&ed), "one");
    CHECK_STR(out, "");
    feed("\x1b[B\x1b[B");
    CHECK_STR(line_text(&ed), "three");
    feed("\x1b[B");         /* back to the line being typed */
    CHECK_STR(line_text(&ed), "par");
    clear_out();
    feed("\x1b[B");         /* already at the bottom */
    CHECK_STR(out, "");
    /* Editing a recalled line does not change the entry. */
    feed("\x1b[A!\r");
    CHECK_STR(line_text(&ed), "three!");
    feed("\x1b[A\x1b[A");
    CHECK_STR(line_text(&ed), "three");
}

TEST(history_ring_keeps_the_newest)
{
    start();
    char cmd[16];
    for (int i = 0; i < LINE_HISTORY + 5; i++) {
        snprintf(cmd, sizeof cmd, "cmd%d\r", i);
        feed(cmd);
    }
    line_start(&ed, "> ");
    for (int i = 0; i < LINE_HISTORY + 3; i++)
        feed("\x1b[A");
    snprintf(cmd, sizeof cmd, "cmd%d", 5);   /* the oldest one kept */
    CHECK_STR(line_text(&ed), cmd);
    CHECK(line_ok(&ed));
}

TEST(history_add_rejects_empty_and_overlong)
{
    start();
    char big[LINE_CAP + 2];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = 0;
    line_history_add(&ed, big);
    line_history_add(&ed, "");
    line_history_add(&ed, "ok");
    feed("\x1b[A\x1b[A");
    CHECK_STR(line_text(&ed), "ok");
}

TEST(unknown_sequences_and_garbage_are_swallowed)
{
    static const char *const junk[] = {
        "\x1b[5~", "\x1b[6~", "\x1b[2~", "\x1b[15~", "\x1b[Z", "\x1b[?25h", "\x1b[1;5X",
        "\x1bx", "\x1bOP", "\x1bOz", "\x1b[99999999999999999999~", "\t", "\x80", "\xff",
        "\x1b[\x80", "\x1bO\xc3", "\x00", "\x1c", "\x1f", "\x1b\x1b[Z",
    };
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        start();
        feed("ab");
        clear_out();
        /* NUL cannot go through feed(): send the bytes one by one. */
        const char *j = junk[i];
        size_t n = strlen(j) ? strlen(j) : 1;
        for (size_t k = 0; k < n; k++)
            CHECK_EQ(line_feed(&ed, (uint8_t)j[k]), LINE_NONE);
        CHECK_STR(line_text(&ed), "ab");
        CHECK_EQ(line_cursor(&ed), 2);
        /* a byte >= 0x80 is not silent: one BEL, and the line is marked */
        bool high = false;
        for (size_t k = 0; k < n; k++)
            high |= (uint8_t)j[k] >= 0x80;
        CHECK_STR(out, high ? "\a" : "");
        CHECK_EQ(line_lost(&ed), high ? LINE_LOST_NONASCII : 0u);
    }
}

TEST(what_if_input_is_lost_to_a_full_line_or_non_ascii)
{
    start();
    for (int i = 0; i < LINE_CAP; i++)
        feed("a");
    CHECK_EQ(line_lost(&ed), 0u);      /* exactly full loses nothing */
    feed("b");
    CHECK_EQ(line_lost(&ed), LINE_LOST_FULL);
    feed("\x7f");                       /* room again: the loss is remembered */
    CHECK_EQ(line_feed(&ed, '\r'), LINE_DONE);
    CHECK_EQ(line_lost(&ed), LINE_LOST_FULL);
    CHECK_EQ(line_feed(&ed, 'x'), LINE_NONE);   /* a new line starts clean */
    CHECK_EQ(line_lost(&ed), 0u);
    clear_out();
    feed("caf\xc3\xa9");               /* two bytes >= 0x80: one BEL */
    CHECK_STR(out, "caf\a");
    CHECK_EQ(line_lost(&ed), LINE_LOST_NONASCII);
    CHECK_STR(line_text(&ed), "xcaf");
}

TEST(tab_completes_the_first_word)
{
    static const char words[] = "help\0halt\0restart\0reboot\0ls\0";
    start();
    line_set_words(&ed, words);
    feed("he\t");
    CHECK_STR(line_text(&ed), "help ");
    CHECK_STR(out, "help ");
    feed("\x15re\t");                  /* two matches, nothing to add: listed */
    CHECK_STR(line_text(&ed), "re");
    CHECK(strstr(out, "\r\nrestart  reboot  \r\n> re"));
    clear_out();
    feed("s\t");                        /* now one */
    CHECK_STR(line_text(&ed), "restart ");
    feed("\x15h\t");                   /* common prefix only: "h" has no more */
    CHECK_STR(line_text(&ed), "h");
    feed("\x15x\t");                   /* no match: BEL */
    CHECK_STR(line_text(&ed), "x");
    clear_out();
    feed("\x15ls -\t");                /* past the first word: nothing */
    CHECK_STR(line_text(&ed), "ls -");
    CHECK(strstr(out, "ls -"));
    clear_out();
    feed("\t");
    CHECK_STR(out, "");
    feed("\x01\t");                    /* cursor not at the end: nothing */
    CHECK_STR(line_text(&ed), "ls -");
}

TEST(control_byte_inside_escape_still_works)
{
    start();
    feed("ab");
    CHECK_EQ(feed("\x1b[1\x03"), LINE_CANCEL);   /* Ctrl-C interrupts the sequence */
    start();
    CHECK_EQ(feed("ab\x1b\r"), LINE_DONE);
    CHECK_STR(line_text(&ed), "ab");
    start();
    feed("ab\x1b[\x1b[D");                      /* a new ESC restarts */
    CHECK_EQ(line_cursor(&ed), 1);
    /* A sequence with parameters: modifiers are ignored, the key acts. */
    feed("\x1b[1;5C");
    CHECK_EQ(line_cursor(&ed), 2);
}

TEST(null_output_callback_is_allowed)
{
    struct line_editor e;
    line_init(&e, NULL, NULL);
    line_start(&e, NULL);
    for (const char *s = "abc\x1b[D\x7f\x0c"; *s; s++)
        line_feed(&e, (uint8_t)*s);
    CHECK_STR(line_text(&e), "ac");
    CHECK(line_ok(&e));
}

/* ---- the terminal model ----------------------------------------------------- */

enum { COLS = 400, ROWS = 4 };

struct term {
    char cell[ROWS][COLS];   /* 0 = blank */
    int row, col;
    int esc;                 /* 0 none, 1 after ESC, 2 in CSI */
    unsigned n;
    bool has_n;
};

static struct term term;

static void term_reset(void)
{
    memset(&term, 0, sizeof term);
}

static void term_byte(unsigned char c)
{
    struct term *t = &term;
    if (t->esc == 1) {
        if (c != '[')
            vtest_fail(__FILE__, __LINE__, "ESC followed by 0x%02x", c);
        t->esc = 2;
        t->n = 0;
        t->has_n = false;
        return;
    }
    if (t->esc == 2) {
        if (c >= '0' && c <= '9') {
            t->n = t->n * 10 + (c - '0');
            t->has_n = true;
            return;
        }
        t->esc = 0;
        unsigned n = t->has_n ? t->n : 1;
        switch (c) {
        case 'C':
            if (t->has_n && t->n < 2)
                vtest_fail(__FILE__, __LINE__, "ESC[%uC should omit the count", t->n);
            t->col += (int)n;
            if (t->col >= COLS)
                vtest_fail(__FILE__, __LINE__, "cursor right past the screen");
            break;
        case 'D':
            if (t->has_n && t->n < 2)
                vtest_fail(__FILE__, __LINE__, "ESC[%uD should omit the count", t->n);
            t->col -= (int)n;
            if (t->col < 0)
                vtest_fail(__FILE__, __LINE__, "cursor left past column 0");
            break;
        case 'K':
            if (t->has_n)
                vtest_fail(__FILE__, __LINE__, "unexpected ESC[%uK", t->n);
            memset(&t->cell[t->row][t->col], 0, (size_t)(COLS - t->col));
            break;
        case 'H':
            t->row = t->col = 0;
            break;
        case 'J':
            if (t->n != 2)
                vtest_fail(__FILE__, __LINE__, "unexpected ESC[%uJ", t->n);
            memset(t->cell, 0, sizeof t->cell);
            break;
        default:
            vtest_fail(__FILE__, __LINE__, "unexpected CSI final 0x%02x", c);
        }
        return;
    }
    switch (c) {
    case 0x1b: t->esc = 1; return;
    case '\r': t->col = 0; return;
    case '\a': return;
    case '\n':
        if (++t->row == ROWS) {   /* scroll */
            memmove(t->cell[0], t->cell[1], sizeof t->cell - COLS);
            memset(t->cell[ROWS - 1], 0, COLS);
            t->row = ROWS - 1;
        }
        return;
    default:
        if (c < 0x20 || c >= 0x7f)
            vtest_fail(__FILE__, __LINE__, "editor wrote control byte 0x%02x", c);
        if (t->col >= COLS)
            vtest_fail(__FILE__, __LINE__, "wrote past the screen");
        t->cell[t->row][t->col++] = (char)c;
    }
}

static void term_out(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        term_byte((unsigned char)s[i]);
}

/* The screen row shows prompt + line, blank after, cursor in place. */
static void check_screen(const char *prompt)
{
    size_t pl = strlen(prompt), len = line_length(&ed);
    const char *row = term.cell[term.row];
    if (memcmp(row, prompt, pl) != 0 || memcmp(row + pl, line_text(&ed), len) != 0)
        vtest_fail(__FILE__, __LINE__, "screen \"%.*s\" != \"%s%s\"", (int)(pl + len), row,
                   prompt, line_text(&ed));
    for (size_t i = pl + len; i < COLS; i++)
        if (row[i])
            vtest_fail(__FILE__, __LINE__, "stale 0x%02x at column %zu", row[i], i);
    if ((size_t)term.col != pl + line_cursor(&ed))
        vtest_fail(__FILE__, __LINE__, "cursor at %d, want %zu", term.col, pl + line_cursor(&ed));
}

/* A byte biased towards what exercises the editor: text, editing keys,
 * pieces of escape sequences, and plain garbage. */
static uint8_t hostile_byte(void)
{
    static const char keys[] = "\x7f\x08\x01\x05\x02\x06\x0b\x15\x17\x0c\x04\x1b[O~;ABCDHF134789";
    switch (rnd() % 16) {
    case 0: return (uint8_t)rnd();                             /* anything */
    case 1: case 2: case 3: case 4: return (uint8_t)(keys[rnd() % (sizeof keys - 1)]);
    case 5: return rnd() % 50 == 0 ? (uint8_t)"\r\n\x03"[rnd() % 3] : ' ';
    default: return (uint8_t)(0x20 + rnd() % 95);              /* printable */
    }
}

static void run_model(long bytes, bool restart_with_prompt)
{
    const char *prompt = "vectra$ ";
    term_reset();
    line_init(&ed, term_out, NULL);
    line_start(&ed, prompt);
    const char *shown = prompt;   /* what precedes the line on screen */
    long events = 0;
    for (long i = 0; i < bytes; i++) {
        uint8_t c = hostile_byte();
        enum line_event ev = line_feed(&ed, c);
        if (!line_ok(&ed))
            vtest_fail(__FILE__, __LINE__, "invariants broken after byte %ld", i);
        if (ev != LINE_NONE) {
            events++;
            CHECK_EQ(term.col, 0);   /* the event moved to a fresh row */
            if (restart_with_prompt)
                line_start(&ed, prompt);
            shown = restart_with_prompt ? prompt : "";
            continue;
        }
        /* Ctrl-L (always handled, even mid-sequence) redraws the prompt
         * the editor was last started with. */
        if (c == 0x0c)
            shown = prompt;
        check_screen(shown);
    }
    CHECK(events > 100);
}

TEST(random_bytes_keep_invariants_and_screen_in_sync)
{
    run_model(150000, true);
}

TEST(random_bytes_without_line_start_between_lines)
{
    run_model(100000, false);
}

TEST(long_lines_near_capacity_stay_in_sync)
{
    /* Mostly printable and cursor keys, few Enters: lines fill up. */
    const char *prompt = "$ ";
    term_reset();
    line_init(&ed, term_out, NULL);
    line_start(&ed, prompt);
    for (long i = 0; i < 50000; i++) {
        uint8_t c = rnd() % 8 ? (uint8_t)(0x20 + rnd() % 95)
                              : (uint8_t)"\x7f\x01\x05\x02\x06\x17"[rnd() % 6];
        if (i % 5000 == 4999)
            c = '\r';
        if (line_feed(&ed, c) != LINE_NONE) {
            line_start(&ed, prompt);
            continue;
        }
        CHECK(line_ok(&ed));
        check_screen(prompt);
    }
}
