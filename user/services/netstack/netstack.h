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

/* en0 over the virtio-net driver (nic.c): attach the pool, add the netif,
 * DHCP or the static address of the start argument; nothing without a
 * "nic" connection. */
void nic_start(void);
bool nic_poll(void);     /* frames from the driver into lwIP; true if any */
void nic_flush(void);    /* batches to the driver */
#include "link.h"
struct nic_info {
    bool up, dhcp;
    uint64_t mac;
    uint32_t addr, mask, gw, bad;
    struct link_counters n;
};
bool nic_info(struct nic_info *out);   /* false: no interface */

#endif
