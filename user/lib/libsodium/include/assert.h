/* Freestanding stand-in for <assert.h> (libsodium's BLAKE2b checks its
 * own lengths): a failed assertion aborts. */
#ifndef VECTRA_SODIUM_ASSERT_H
#define VECTRA_SODIUM_ASSERT_H
void abort(void) __attribute__((noreturn));
#define assert(e) ((e) ? (void)0 : abort())
#endif
