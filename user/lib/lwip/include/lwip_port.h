/*
 * lwip_port.h: the Vectra side of lwIP's platform (port.c).
 */
#ifndef VECTRA_LWIP_PORT_H
#define VECTRA_LWIP_PORT_H
#include <stdint.h>

/* sys_now()'s source, in milliseconds; host tests may point it at a
 * clock of their own. */
extern uint32_t (*vlwip_clock)(void);

#endif
