/* Freestanding stand-in for <stdio.h>: the libsodium subset prints nothing. */
#ifndef VECTRA_SODIUM_STDIO_H
#define VECTRA_SODIUM_STDIO_H
#endif
