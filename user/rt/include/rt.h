/*
 * rt.h: the user runtime every Task links.
 */
#ifndef RT_H
#define RT_H
#include <stddef.h>
#include <stdint.h>
#include <vectra/abi.h>
#include <vectra/usys.h>

__attribute__((noreturn)) void rt_exit(int status);
void rt_puts(const char *s);

#endif
