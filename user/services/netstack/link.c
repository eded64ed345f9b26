/*
 * link.c: see link.h.
 */
#include "link.h"

#include <string.h>

#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

static err_t link_output(struct netif *n, struct pbuf *p)
{
    struct link *l = n->state;
    uint8_t *to = p->tot_len > LINK_FRAME_MAX ? 0 : l->txbuf ? l->txbuf(l->ctx, p->tot_len) : l->buf;
    if (!to || pbuf_copy_partial(p, to, p->tot_len, 0) != p->tot_len) {
        l->n.tx_failed++;
        return ERR_BUF;
    }
    if (l->tx(l->ctx, to, p->tot_len)) {
        l->n.tx_failed++;
        return ERR_IF;
    }
    l->n.tx++;
    return ERR_OK;
}

static err_t link_init(struct netif *n)
{
    n->name[0] = 'e';
    n->name[1] = 'n';
    n->output = etharp_output;
    n->linkoutput = link_output;
    n->mtu = LINK_MTU;
    n->hwaddr_len = 6;
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
    return ERR_OK;
}

int link_add(struct link *l, const uint8_t mac[6], uint32_t addr, uint32_t mask, uint32_t gw,
             link_tx_fn *tx, void *ctx, bool dflt)
{
    memset(&l->n, 0, sizeof l->n);
    l->tx = tx;      /* l->txbuf: the caller's, untouched */
    l->ctx = ctx;
    ip4_addr_t a, m, g;
    ip4_addr_set_u32(&a, lwip_htonl(addr));
    ip4_addr_set_u32(&m, lwip_htonl(mask));
    ip4_addr_set_u32(&g, lwip_htonl(gw));
    memcpy(l->netif.hwaddr, mac, 6);
    if (!netif_add(&l->netif, &a, &m, &g, l, link_init, ethernet_input))
        return ERR_IF;
    memcpy(l->netif.hwaddr, mac, 6);
    l->netif.hwaddr_len = 6;
    if (dflt)
        netif_set_default(&l->netif);
    netif_set_up(&l->netif);
    return ERR_OK;
}

void link_input(struct link *l, const void *frame, uint32_t len)
{
    if (len < LINK_FRAME_MIN) {
        l->n.rx_runt++;
        return;
    }
    if (len > LINK_FRAME_MAX) {
        l->n.rx_giant++;
        return;
    }
    struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
    if (!p) {
        l->n.rx_nomem++;
        return;
    }
    if (pbuf_take(p, frame, (u16_t)len) != ERR_OK || l->netif.input(p, &l->netif) != ERR_OK) {
        pbuf_free(p);
        l->n.rx_refused++;
        return;
    }
    l->n.rx++;
}
