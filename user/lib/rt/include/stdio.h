#ifndef RT_STDIO_H
#define RT_STDIO_H
#include <stdarg.h>
#include <stddef.h>
typedef struct rt_file FILE;
extern FILE *const stdout;
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int puts(const char *s);
int putchar(int c);
int fflush(FILE *f);
/* Where stdout goes: the kernel debug console until a Task sets another. */
typedef void rt_write_fn(const char *s, size_t n);
void rt_set_output(rt_write_fn *fn);
#endif
