/*
 * klib.c: the memory and string functions the compiler may emit calls
 * to, and that kernel code uses: the freestanding ones of lib/string,
 * under their standard names, except memcpy and memset, which the kernel
 * uses to clear and copy whole pages: `rep` string instructions by words
 * (fast on hardware; under TCG's icount every iteration counts, so words,
 * not bytes).
 */
#include "kernel.h"
#include "string/vstring.h"

void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    size_t words = n / 8, bytes = n % 8;
    __asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(words) : : "memory");
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(bytes) : : "memory");
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    uint64_t v = (uint8_t)c * 0x0101010101010101ull;
    size_t head = (8 - ((uint64_t)d & 7)) & 7;
    if (head > n)
        head = n;
    size_t words = (n - head) / 8, tail = (n - head) % 8;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(head) : "a"(v) : "memory");
    __asm__ volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(v) : "memory");
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(tail) : "a"(v) : "memory");
    return dst;
}
void *memmove(void *dst, const void *src, size_t n) { return vs_memmove(dst, src, n); }
int memcmp(const void *a, const void *b, size_t n) { return vs_memcmp(a, b, n); }
size_t strlen(const char *s) { return vs_strlen(s); }
int strcmp(const char *a, const char *b) { return vs_strcmp(a, b); }
int strncmp(const char *a, const char *b, size_t n) { return vs_strncmp(a, b, n); }
