/*
 * vstring: the mem* and str* functions the kernel and the user runtime need,
 * under vs_ names so host tests can link them next to glibc.
 *
 * Contract: each function behaves as its C11 namesake (strlcpy/strlcat as
 * OpenBSD's), for the same defined inputs. In particular:
 *   - vs_memmove is correct for any overlap; vs_memcpy requires disjoint
 *     buffers (it copies forwards, but callers must not rely on that);
 *   - comparisons treat bytes as unsigned char and return <0, 0 or >0
 *     (the magnitude is not part of the contract);
 *   - vs_strlcpy / vs_strlcat never write more than `size` bytes into dst,
 *     always NUL-terminate when they write at all, and return the length of
 *     the string they tried to create (so `ret >= size` means truncation).
 *     vs_strlcat with no NUL in dst[0..size) writes nothing and returns
 *     size + strlen(src).
 *   - vs_strstr with an empty needle returns hay.
 *
 * Invariants of the implementation:
 *   - nothing here calls a function outside this file: the kernel and the
 *     runtime build memcpy/memmove/memset/memcmp on top of these, so a
 *     compiler-generated call to memcpy inside vs_memcpy would recurse
 *     forever. lib/string/rules.mk checks that the kernel and user objects
 *     have no undefined symbols at all.
 *   - reads never go past what the C function may read: the str* functions
 *     go byte by byte and stop at the NUL; the mem* functions use 8-byte
 *     words only on aligned addresses fully inside [p, p+n).
 *
 * vs_strstr is the simple O(len(hay) * len(needle)) search: the runtime
 * uses it on short strings, and clear beats clever here.
 */
#ifndef LIB_STRING_VSTRING_H
#define LIB_STRING_VSTRING_H

#include <stddef.h>

void *vs_memcpy(void *restrict dst, const void *restrict src, size_t n);
void *vs_memmove(void *dst, const void *src, size_t n);
void *vs_memset(void *dst, int c, size_t n);
int vs_memcmp(const void *a, const void *b, size_t n);
void *vs_memchr(const void *s, int c, size_t n);

size_t vs_strlen(const char *s);
size_t vs_strnlen(const char *s, size_t max);
int vs_strcmp(const char *a, const char *b);
int vs_strncmp(const char *a, const char *b, size_t n);
char *vs_strchr(const char *s, int c);
char *vs_strrchr(const char *s, int c);
char *vs_strstr(const char *hay, const char *needle);
size_t vs_strlcpy(char *restrict dst, const char *restrict src, size_t size);
size_t vs_strlcat(char *restrict dst, const char *restrict src, size_t size);

#endif
