/*
 * arch/cc.h: lwIP's compiler and platform seam for Vectra (docs/NETWORK.md).
 *
 * One header for both worlds lwIP is built in: the user world (freestanding,
 * the runtime's small C library, user/lib/rt/include) and the host (glibc, for
 * tests). Only <stdint.h>, <stddef.h> and <string.h> are used;
 * lwIP's own ctype and inttypes fallbacks replace the rest, so no header of
 * the host leaks into the user build. An assertion in lwIP is a bug in the
 * stack Task: it ends the Task (the supervisor restarts it), never the system.
 */
#ifndef VECTRA_LWIP_ARCH_CC_H
#define VECTRA_LWIP_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H 1
#ifdef VECTRA_USER
#define LWIP_NO_LIMITS_H 1   /* gcc's limits.h wants a C library's below it */
#define INT_MAX 0x7fffffff
#define SSIZE_MAX INT64_MAX
#define LWIP_NO_UNISTD_H 1
typedef long ssize_t;
#endif
#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

/* lwIP takes the tie-breaking randomness of its TCP initial sequence
 * numbers and local ports from here (lwip_port.c). */
uint32_t vlwip_rand(void);
#define LWIP_RAND() vlwip_rand()

__attribute__((noreturn)) void vlwip_assert(const char *msg, const char *file, int line);
void vlwip_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define LWIP_PLATFORM_ASSERT(x) vlwip_assert((x), __FILE__, __LINE__)
#define LWIP_PLATFORM_DIAG(x) vlwip_diag x

#endif
