/*
 * fmt: the formatted-output engine behind the kernel's log and the user
 * runtime's printf family.
 *
 * fmt_vformat() walks a printf-style format and hands the output to a sink
 * callback in pieces; it never allocates and needs no buffer of its own
 * beyond a few dozen bytes of stack. fmt_snprintf() is the sink that
 * fills a caller's buffer.
 *
 * Supported: conversions d i u x X o c s p %; flags - + space # 0; width
 * and precision as digits or `*` (a negative `*` width means `-` and its
 * magnitude; a negative `*` precision means none); length modifiers hh h l
 * ll z t j. The output matches glibc for every such combination C defines
 * (tests/host/test_fmt.c checks this differentially), plus glibc's choices
 * where C leaves it open: `#` and `0` are ignored where they mean nothing
 * (`%#d`, `%05s`), `%%` ignores flags and width, and `%p` prints like
 * `%#lx` (so honours + space 0 and precision) and prints NULL as "(nil)".
 *
 * Deliberately different from C / glibc:
 *   - %s with a NULL pointer prints "(null)", cut by the precision like
 *     any other string (glibc prints nothing when precision < 6);
 *   - no floating point (%f %e %g %a): the kernel is built without SSE, and
 *     nothing in the runtime needs it; they print verbatim like any unknown
 *     conversion;
 *   - no %n (writing through an argument is an exploit primitive), no wide
 *     %lc / %ls, no positional arguments (%1$d), no ' or I flags: all are
 *     "unknown" and print verbatim.
 *
 * Unknown conversions: the whole specification, from its `%` to the
 * offending character inclusive (or to the end of the format if it ends
 * mid-specification), is copied to the output unchanged and consumes no
 * argument, `*` ones included. So a bad format can make the output wrong,
 * but never makes fmt read an argument the caller did not expect to pass
 * for a valid conversion.
 *
 * Invariants:
 *   - the sink is called only with n > 0, in output order;
 *   - a string argument is read only up to its NUL or its precision;
 *   - widths and precisions saturate at INT_MAX; the return value is the
 *     number of bytes produced, or -1 if that exceeds INT_MAX (the sink
 *     still received every byte, as C99's "EOVERFLOW" case).
 * A NULL format produces nothing; a NULL sink only counts.
 */
#ifndef LIB_FMT_FMT_H
#define LIB_FMT_FMT_H

#include <stdarg.h>
#include <stddef.h>

typedef void fmt_sink_fn(void *ctx, const char *s, size_t n);

int fmt_vformat(fmt_sink_fn *sink, void *ctx, const char *fmt, va_list ap);
int fmt_format(fmt_sink_fn *sink, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * C99 snprintf: writes at most size bytes including a terminating NUL
 * (always terminated when size > 0; buf may be NULL when size is 0) and
 * returns the length the full output would have had, or -1 past INT_MAX.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
