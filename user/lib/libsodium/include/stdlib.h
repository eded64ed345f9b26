/* Freestanding stand-in for <stdlib.h> (libsodium subset). */
#ifndef VECTRA_SODIUM_STDLIB_H
#define VECTRA_SODIUM_STDLIB_H
#include <stddef.h>
void abort(void) __attribute__((noreturn));
/* The Argon2 part (libsodium-keys.a) allocates its memory through these,
 * renamed at compile time to sodium_big_malloc / sodium_big_free. */
void *malloc(size_t n);
void free(void *p);
#endif
