/*
 * klib.c: the memory and string functions the compiler may emit calls
 * to, and that kernel code uses: the freestanding ones of lib/string,
 * under their standard names.
 */
#include "kernel.h"
#include "string/vstring.h"

void *memcpy(void *dst, const void *src, size_t n) { return vs_memcpy(dst, src, n); }
void *memset(void *dst, int c, size_t n) { return vs_memset(dst, c, n); }
void *memmove(void *dst, const void *src, size_t n) { return vs_memmove(dst, src, n); }
int memcmp(const void *a, const void *b, size_t n) { return vs_memcmp(a, b, n); }
size_t strlen(const char *s) { return vs_strlen(s); }
int strcmp(const char *a, const char *b) { return vs_strcmp(a, b); }
int strncmp(const char *a, const char *b, size_t n) { return vs_strncmp(a, b, n); }
