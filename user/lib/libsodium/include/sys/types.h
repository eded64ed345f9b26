/* Freestanding stand-in for <sys/types.h> (libsodium subset). */
#ifndef VECTRA_SODIUM_SYS_TYPES_H
#define VECTRA_SODIUM_SYS_TYPES_H
#include <stddef.h>
typedef long ssize_t;
#endif
