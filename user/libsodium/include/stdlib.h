/* Freestanding stand-in for <stdlib.h> (libsodium subset). */
#ifndef VECTRA_SODIUM_STDLIB_H
#define VECTRA_SODIUM_STDLIB_H
#include <stddef.h>
void abort(void) __attribute__((noreturn));
#endif
