/*
 * strconv: text to integers, two ways.
 *
 * sc_strtoull / sc_strtoll are C's strtoull / strtoll (C locale) with the
 * errno replaced by an out-parameter, so the user runtime can wrap them
 * under the standard names:
 *   - leading white space (space \t \n \v \f \r), then an optional + or -;
 *   - base 0 picks 16 for "0x"/"0X", 8 for a leading "0", else 10; base 16
 *     also accepts an optional "0x"; bases 2..36 use 0-9 then a-z or A-Z.
 *     A "0x" not followed by a hex digit is the number 0 and *end points at
 *     the x. There is no "0b" prefix (that is C23).
 *   - sc_strtoull negates in unsigned arithmetic ("-1" is ULLONG_MAX, no
 *     error), as C specifies;
 *   - out of range: the result saturates (ULLONG_MAX; LLONG_MAX or
 *     LLONG_MIN), *err is SC_ERANGE, and *end still points past every digit;
 *   - no digits: returns 0, *end = s, *err = SC_EEMPTY (C sets no errno
 *     here; the runtime wrapper should leave errno alone for it);
 *   - base outside 0, 2..36: returns 0, *end = s, *err = SC_EBASE (EINVAL).
 *   Trailing text is not an error: *end says where the number stopped.
 *   end and err may be NULL. s may be NULL (treated as "").
 *
 * sc_parse_u64 is the strict parser for shell arguments and other whole
 * fields: exactly the len bytes at s must form one number, with no white
 * space, no sign and no trailing text (a NUL inside the field is just a bad
 * digit). Base 0 means: "0x" hexadecimal, "0o" octal, "0b" binary, anything
 * else decimal. A leading zero alone does NOT mean octal here, because a
 * user typing "010" means ten. Bases 16, 8 and 2 accept their own prefix.
 * On any error *out is left unchanged. A bad digit is reported in
 * preference to overflow ("99999999999999999999x" is SC_EDIGIT).
 */
#ifndef LIB_STRCONV_STRCONV_H
#define LIB_STRCONV_STRCONV_H

#include <stddef.h>
#include <stdint.h>

enum sc_err {
    SC_OK = 0,
    SC_EEMPTY,   /* no digits (empty field, or a prefix with nothing after) */
    SC_EDIGIT,   /* a character that is not a digit of the base */
    SC_ERANGE,   /* does not fit in the type; strto* saturate */
    SC_EBASE,    /* base is not 0 or 2..36 */
};

unsigned long long sc_strtoull(const char *s, char **end, int base, enum sc_err *err);
long long sc_strtoll(const char *s, char **end, int base, enum sc_err *err);

enum sc_err sc_parse_u64(const char *s, size_t len, int base, uint64_t *out);

/* "ok", "empty", "bad digit", "out of range", "bad base"; "?" otherwise. */
const char *sc_strerror(enum sc_err e);

#endif
