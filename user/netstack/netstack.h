/*
 * netstack.h: the netstack Task's parts (main.c: the loop; sock.c: sockets).
 */
#ifndef NETSTACK_H
#define NETSTACK_H

#include <stdbool.h>

#include "ipc.h"

extern struct ipc_server srv;

/* Run lwIP and every socket to rest, and arm the timer. */
void pump(void);
/* A request on a control (Net) connection. */
void net_request(struct ipc_conn *c, struct ipc_msg *m);
/* Move every socket's Rings as far as they go; true if anything moved. */
bool socks_service(void);
/* The control connection c is gone: its sockets live on, owned by nobody. */
void socks_orphan(struct ipc_conn *c);

#endif
