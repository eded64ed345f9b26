/* Freestanding stand-in for <errno.h> (the Argon2 part of libsodium sets
 * errno once, on a failed allocation; glue-keys.c defines it). */
#ifndef VECTRA_SODIUM_ERRNO_H
#define VECTRA_SODIUM_ERRNO_H
extern int errno;
#define ENOMEM 12
#define EINVAL 22
#endif
