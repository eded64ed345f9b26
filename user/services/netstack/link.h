/*
 * link.h: the netif seam. An Ethernet interface of the stack whose frames
 * leave through a function (tx) and arrive through link_input, so that
 * what carries them - a Ring to the virtio-net driver Task (schema/
 * netif.capnp), a socketpair in a host test, a pair of links in one
 * process - is not lwIP's business.
 *
 * Invariants: link_input never trusts a frame: one shorter than an
 * Ethernet header (14 bytes) or longer than header + MTU is dropped and
 * counted by reason before lwIP sees it; a frame lwIP accepts is copied
 * into a pbuf, so the caller's buffer (a Ring slot the peer may still be
 * writing) is read exactly once. tx is handed each frame flattened into
 * one buffer of at most LINK_FRAME_MAX bytes.
 */
#ifndef NETSTACK_LINK_H
#define NETSTACK_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/netif.h"

#define LINK_MTU 1500
#define LINK_FRAME_MIN 14
#define LINK_FRAME_MAX (14 + LINK_MTU)

struct link_counters {
    uint64_t rx, tx, rx_runt, rx_giant, rx_nomem, rx_refused, tx_failed;
};

/* Returns 0 when the frame was taken; anything else counts as tx_failed. */
typedef int link_tx_fn(void *ctx, const void *frame, uint32_t len);
/* Optional: where to flatten a frame of len bytes (a transmit buffer the
 * device reads, so nothing is copied again); 0: none free, the frame is
 * dropped and counted. Without it frames are flattened into buf. */
typedef void *link_txbuf_fn(void *ctx, uint32_t len);

struct link {
    struct netif netif;
    link_tx_fn *tx;
    link_txbuf_fn *txbuf;           /* optional: set it before link_add, which keeps it */
    void *ctx;
    struct link_counters n;
    uint8_t buf[LINK_FRAME_MAX];
};

/* Add the interface with a static IPv4 configuration (host byte order),
 * up and default if `dflt`. Returns an lwIP err_t. */
int link_add(struct link *l, const uint8_t mac[6], uint32_t addr, uint32_t mask, uint32_t gw,
             link_tx_fn *tx, void *ctx, bool dflt);
void link_input(struct link *l, const void *frame, uint32_t len);

#endif
