/*
 * libc.c: the standard C subset, as thin wrappers over lib/ (which is
 * where the logic lives and is tested on the host), plus stdout and the
 * heap, which need the kernel.
 *
 * stdout is line-buffered into the kernel debug console ("debug" in the
 * Bundle) until a Task redirects it with rt_set_output. The heap grows by
 * mapping frames retyped from the Task's own Reticle at HEAP_BASE.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/fmt.h"
#include "heap/heap.h"
#include "rt.h"
#include "sort/sort.h"
#include "strconv/strconv.h"
#include "string/vstring.h"

/* Long copies and fills use `rep movsq` / `rep stosq`, the string
 * instructions by words: one instruction per 8 bytes (per iteration under
 * TCG icount, where a word loop costs four or five), and fast on hardware.
 * Short ones stay with lib/string, whose loops win below a few words. */
#define REP_MIN 64

void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
    if (n < REP_MIN)
        return vs_memcpy(d, s, n);
    void *p = d;
    size_t words = n / 8, bytes = n % 8;
    __asm__ volatile("rep movsq" : "+D"(p), "+S"(s), "+c"(words) : : "memory");
    __asm__ volatile("rep movsb" : "+D"(p), "+S"(s), "+c"(bytes) : : "memory");
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    if (n >= REP_MIN && (uintptr_t)d - (uintptr_t)s >= n)   /* d before s, or apart */
        return memcpy(d, s, n);
    return vs_memmove(d, s, n);
}

void *memset(void *d, int c, size_t n)
{
    if (n < REP_MIN)
        return vs_memset(d, c, n);
    void *p = d;
    size_t words = n / 8, bytes = n % 8;
    uint64_t v = (uint8_t)c * 0x0101010101010101ull;
    __asm__ volatile("rep stosq" : "+D"(p), "+c"(words) : "a"(v) : "memory");
    __asm__ volatile("rep stosb" : "+D"(p), "+c"(bytes) : "a"(v) : "memory");
    return d;
}
int memcmp(const void *a, const void *b, size_t n) { return vs_memcmp(a, b, n); }
void *memchr(const void *s, int c, size_t n) { return vs_memchr(s, c, n); }
size_t strlen(const char *s) { return vs_strlen(s); }
size_t strnlen(const char *s, size_t m) { return vs_strnlen(s, m); }
int strcmp(const char *a, const char *b) { return vs_strcmp(a, b); }
int strncmp(const char *a, const char *b, size_t n) { return vs_strncmp(a, b, n); }
char *strchr(const char *s, int c) { return vs_strchr(s, c); }
char *strrchr(const char *s, int c) { return vs_strrchr(s, c); }
char *strstr(const char *h, const char *n) { return vs_strstr(h, n); }
size_t strlcpy(char *restrict d, const char *restrict s, size_t n) { return vs_strlcpy(d, s, n); }
size_t strlcat(char *restrict d, const char *restrict s, size_t n) { return vs_strlcat(d, s, n); }

unsigned long long strtoull(const char *s, char **e, int b) { return sc_strtoull(s, e, b, 0); }
long long strtoll(const char *s, char **e, int b) { return sc_strtoll(s, e, b, 0); }
unsigned long strtoul(const char *s, char **e, int b) { return sc_strtoull(s, e, b, 0); }
long strtol(const char *s, char **e, int b) { return sc_strtoll(s, e, b, 0); }
void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    sort_qsort(base, n, size, cmp);
}
int abs(int v) { return v < 0 ? -v : v; }
int atoi(const char *s) { return (int)sc_strtoll(s, 0, 10, 0); }

/* ---- stdout ---- */

struct rt_file {
    char buf[512];
    size_t len;
};
static struct rt_file out_file;
FILE *const stdout = &out_file;

static void debug_out(const char *s, size_t n)
{
    static v_handle debug;
    if (!debug)
        debug = rt_cap("debug");
    while (n) {
        size_t k = n > 4096 ? 4096 : n;
        v_debug_write(debug, (uint64_t)s, k);
        s += k;
        n -= k;
    }
}
static rt_write_fn *output = debug_out;

void rt_set_output(rt_write_fn *fn)
{
    fflush(stdout);
    output = fn ? fn : debug_out;
}

int fflush(FILE *f)
{
    if (f->len) {
        output(f->buf, f->len);
        f->len = 0;
    }
    return 0;
}

static void out_sink(void *ctx, const char *s, size_t n)
{
    FILE *f = ctx;
    for (size_t i = 0; i < n; i++) {
        f->buf[f->len++] = s[i];
        if (s[i] == '\n' || f->len == sizeof f->buf)
            fflush(f);
    }
}

int vprintf(const char *fmt, va_list ap) { return fmt_vformat(out_sink, stdout, fmt, ap); }
int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}
int vsnprintf(char *b, size_t n, const char *fmt, va_list ap) { return fmt_vsnprintf(b, n, fmt, ap); }
int snprintf(char *b, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(b, n, fmt, ap);
    va_end(ap);
    return r;
}
int puts(const char *s) { return printf("%s\n", s); }
int putchar(int c)
{
    char ch = (char)c;
    out_sink(stdout, &ch, 1);
    return c;
}
void rt_puts(const char *s) { printf("%s", s); }

void exit(int status) { rt_exit(status); }
void abort(void) { rt_die("abort()"); }
void rt_assert_fail(const char *e, const char *file, int line)
{
    rt_die("assertion failed: %s (%s:%d)", e, file, line);
}

/* ---- heap ---- */

#define HEAP_BASE 0x0000200000000000ull   /* grows up; far from everything else */
#define HEAP_CHUNK (64 * 1024)
static struct heap heap;
static bool heap_ready;
static uint64_t heap_top = HEAP_BASE;

static bool heap_grow(struct heap *h, size_t min)
{
    size_t bytes = min + 4096 > HEAP_CHUNK ? (min + 4096 + 4095) & ~(size_t)4095 : HEAP_CHUNK;
    if (rt_map_frames(0, heap_top, (unsigned)(bytes / 4096), V_R_READ | V_R_WRITE, 0) != V_OK)
        return false;
    heap_add_region(h, (void *)heap_top, bytes);
    heap_top += bytes;
    return true;
}

static void heap_report(struct heap *h, enum heap_fault fault, const void *p)
{
    rt_die("heap corruption detected (fault %d) at %p", (int)fault, p);
}

static struct heap *the_heap(void)
{
    if (!heap_ready) {
        heap_init(&heap);
        heap.grow = heap_grow;
        heap.report = heap_report;
        heap_ready = true;
    }
    return &heap;
}

void *malloc(size_t n) { return heap_malloc(the_heap(), n); }
void *calloc(size_t c, size_t s) { return heap_calloc(the_heap(), c, s); }
void *realloc(void *p, size_t n) { return heap_realloc(the_heap(), p, n); }
void free(void *p) { heap_free(the_heap(), p); }
