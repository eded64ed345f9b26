#ifndef RT_STDLIB_H
#define RT_STDLIB_H
#include <stddef.h>
void *malloc(size_t n);
void *calloc(size_t count, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);
unsigned long strtoul(const char *s, char **end, int base);
long strtol(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);
void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
__attribute__((noreturn)) void exit(int status);
__attribute__((noreturn)) void abort(void);
int abs(int v);
int atoi(const char *s);
#endif
