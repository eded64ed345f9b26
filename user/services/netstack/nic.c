/*
 * nic.c: the stack's real interface, en0, over the virtio-net driver Task
 * (schema/netif.capnp, docs/NETWORK.md "The driver and the stack").
 *
 * The stack owns a pool of NRX + NTX packet buffers (one frame) and lends
 * it to the driver at attach; the device reads and writes those buffers
 * through the IOMMU, so a frame is never copied between the two Tasks.
 * Received frames arrive by number (kindRx), are copied once into a pbuf
 * by link_input and go back at once (kindRxFree). lwIP's output is
 * flattened straight into a free transmit buffer, and the buffers of one
 * pump() go to the driver as one kindTx batch.
 *
 * Invariants:
 *   - A number from the driver is acted on only if the driver holds that
 *     buffer now (receive numbers: lent to the driver; done numbers: sent
 *     for transmission) and a length only if it covers a header and a
 *     frame and fits the buffer; anything else is counted (bad) and
 *     dropped. A frame is read exactly once, into a pbuf.
 *   - The stack never waits for the driver: batches go out only into a
 *     free Ring slot; a transmit with no free buffer is dropped (lwIP's
 *     TCP retransmits).
 *   - The driver gone: en0 goes down, its buffers are forgotten (the
 *     driver resets its device before it lets the pool go).
 */
#include <stdio.h>
#include <string.h>

#include "capnp/capnp.h"
#include "link.h"
#include "logc.h"
#include "lwip/dhcp.h"
#include "lwip/netif.h"
#include "netstack.h"
#include "schema/netif.capnp.h"
#include "virtio/netpool.h"

#define NRX 64
#define NTX 64
#define BUFSZ 2048
#define POOL_PAGES ((NRX + NTX) * BUFSZ / V_PAGE_SIZE)

enum { B_STACK, B_DRIVER };

static struct ipc_conn drv;
static bool up;
static uint8_t *pool;
static struct netpool np;         /* owners: B_STACK, B_DRIVER */
static uint16_t tx_free[NTX];
static unsigned n_tx_free;
static uint32_t tx_batch[NTX];
static unsigned n_tx_batch;
static uint16_t rx_back[NRX];
static unsigned n_rx_back;
static struct link en0;
static bool dhcp_on;

static uint8_t *buf_at(unsigned b) { return pool + (size_t)b * BUFSZ; }

static int nic_tx(void *ctx, const void *frame, uint32_t len)
{
    (void)ctx;
    (void)frame;        /* already in the buffer nic_txbuf gave */
    unsigned b = tx_free[--n_tx_free];
    np.own[b] = B_DRIVER;
    tx_batch[n_tx_batch++] = b << 16 | (Netif_hdrBytes + len);
    return 0;
}

/* Where link_output should flatten a frame: the next free transmit
 * buffer, after its (zeroed) virtio-net header; 0 if none is free. */
static void *nic_txbuf(void *ctx, uint32_t len)
{
    (void)ctx;
    if (!up || !n_tx_free || len > Netif_maxFrame)
        return 0;
    uint8_t *p = buf_at(tx_free[n_tx_free - 1]);
    memset(p, 0, Netif_hdrBytes);
    return p + Netif_hdrBytes;
}

static bool changed;

/* lwIP calls this with the new address set and the netmask and gateway
 * not yet: the interface is shown after the pump (say_address). */
static void status_cb(struct netif *n)
{
    (void)n;
    changed = true;
}

static void say_address(struct netif *n)
{
    changed = false;
    if (!netif_is_up(n) || ip4_addr_isany_val(*netif_ip4_addr(n)))
        return;
    char a[16], m[16], g[16];
    ip4addr_ntoa_r(netif_ip4_addr(n), a, sizeof a);
    ip4addr_ntoa_r(netif_ip4_netmask(n), m, sizeof m);
    ip4addr_ntoa_r(netif_ip4_gw(n), g, sizeof g);
    printf("net: en0 %s netmask %s gateway %s (%s)\n", a, m, g, dhcp_on ? "DHCP" : "static");
    rt_log(RT_LOG_INFO, "en0 %s netmask %s gateway %s (%s)", a, m, g, dhcp_on ? "DHCP" : "static");
}

/* Start argument (the manifest's args[0]): 0 = DHCP; else static, bit
 * 63 set, address in bits 0..31, prefix length in bits 32..37, the
 * gateway's last octet in bits 40..47 (the gateway is in the interface's
 * own subnet, 0: none); bit 62: the address's last octet is the MAC's
 * last byte (one image for several machines). */
static void addresses(uint64_t arg, const uint8_t mac[6], uint32_t *a, uint32_t *m, uint32_t *g)
{
    *a = *m = *g = 0;
    if (!(arg >> 63))
        return;
    unsigned prefix = (unsigned)(arg >> 32) & 63;
    *a = (uint32_t)arg;
    if (arg >> 62 & 1)
        *a = (*a & ~0xffu) | mac[5];
    *m = prefix ? ~0u << (32 - (prefix > 32 ? 32 : prefix)) : 0;
    *g = (arg >> 40) & 0xff ? (*a & *m) | ((arg >> 40) & 0xff) : 0;
}

void nic_start(void)
{
    if (ipc_open("nic", &drv) != IPC_OK)
        return;             /* no driver granted: loopback only */
    struct v_ret r = v_retype(rt_memory(), V_TYPE_FRAME, POOL_PAGES, V_SLOT_ANY);
    if (r.err) {
        printf("net: no memory for the packet pool\n");
        return;
    }
    v_handle f = (v_handle)r.val;
    uint64_t va = rt_va_alloc((uint64_t)POOL_PAGES * V_PAGE_SIZE);
    struct v_ret c = v_as_map(rt_aspace(), f, va, V_R_READ | V_R_WRITE).err ? (struct v_ret){1, 0}
                   : v_cap_copy(f, V_SLOT_ANY);
    if (c.err) {
        printf("net: cannot map the packet pool\n");
        return;
    }
    pool = (uint8_t *)va;
    uint64_t buf[4];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Netif_attach_Params_B p = Netif_attach_Params_build_root(&b);
    Netif_attach_Params_set_rxBuffers(p, NRX);
    Netif_attach_Params_set_txBuffers(p, NTX);
    Netif_attach_Params_set_bufSize(p, BUFSZ);
    size_t len;
    const uint8_t *bytes = capnp_builder_bytes(&b, &len);
    v_handle cap = (v_handle)c.val;
    static struct ipc_msg rep;
    int e = ipc_call(&drv, Netif_method_attach, bytes, (uint32_t)len, &cap, 1, &rep, 5000000);
    struct capnp_msg msg;
    uint64_t mac = 0;
    enum Netif_Status st = Netif_Status_badPool;
    if (e == IPC_OK && ipc_request_open(&msg, &rep) == 0) {
        Netif_attach_Results_R res = Netif_attach_Results_read_root(&msg);
        st = Netif_attach_Results_status(res);
        mac = Netif_attach_Results_mac(res);
        if (capnp_msg_error(&msg))
            st = Netif_Status_badPool;
    }
    if (e != IPC_OK || st != Netif_Status_ok) {
        printf("net: the driver refused the pool: %s\n", e ? ipc_strerror(e) : "status not ok");
        ipc_detach(&drv);
        return;
    }
    ring_set_sleeping(&drv.in, true);
    ring_set_sleeping(&drv.out, true);
    netpool_init(&np, NRX, NTX, B_STACK);
    for (unsigned i = 0; i < NRX; i++)
        np.own[i] = B_DRIVER;
    for (unsigned i = 0; i < NTX; i++)
        tx_free[n_tx_free++] = (uint16_t)(NRX + NTX - 1 - i);
    uint8_t hw[6];
    for (int i = 0; i < 6; i++)
        hw[i] = (uint8_t)(mac >> (40 - 8 * i));
    uint32_t a, m, g;
    addresses(rt_arg(), hw, &a, &m, &g);
    en0.txbuf = nic_txbuf;
    if (link_add(&en0, hw, a, m, g, nic_tx, 0, true) != ERR_OK) {
        printf("net: cannot add en0\n");
        return;
    }
    up = true;
    srv.extra_bits |= ipc_bits(&drv);
    netif_set_status_callback(&en0.netif, status_cb);
    dhcp_on = a == 0;
    printf("net: en0 %02x:%02x:%02x:%02x:%02x:%02x over virtio-net, %s\n", hw[0], hw[1], hw[2], hw[3],
           hw[4], hw[5], dhcp_on ? "asking DHCP" : "static");
    if (dhcp_on)
        dhcp_start(&en0.netif);
    else
        say_address(&en0.netif);
}

static void down(const char *why)
{
    printf("net: en0 down: %s\n", why);
    rt_log(RT_LOG_WARN, "en0 down: %s", why);
    up = false;
    srv.extra_bits &= ~ipc_bits(&drv);
    if (dhcp_on)
        dhcp_stop(&en0.netif);
    netif_set_down(&en0.netif);
    ipc_detach(&drv);
}

static void on_rx(const struct ipc_msg *m)
{
    for (uint32_t i = 0; i < netpool_n32(m->hdr.len); i++) {
        unsigned b;
        uint32_t len;
        netpool_get32(m->data, i, &b, &len);
        if (netpool_take(&np, true, b, B_DRIVER, B_STACK, (int32_t)len, Netif_hdrBytes + Netif_minFrame,
                         BUFSZ) != NETPOOL_OK)
            continue;
        link_input(&en0, buf_at(b) + Netif_hdrBytes, len - Netif_hdrBytes);
        rx_back[n_rx_back++] = (uint16_t)b;
    }
}

static void on_tx_done(const struct ipc_msg *m)
{
    for (uint32_t i = 0; i < netpool_n16(m->hdr.len); i++) {
        unsigned b = netpool_get16(m->data, i);
        if (netpool_take(&np, false, b, B_DRIVER, B_STACK, -1, 0, 0) == NETPOOL_OK)
            tx_free[n_tx_free++] = (uint16_t)b;
    }
}

/* Frames from the driver into lwIP; true if any came. */
bool nic_poll(void)
{
    bool moved = false;
    static struct ipc_msg m;
    for (int k = 0; up && k < 16; k++) {
        int e = ipc_try_recv(&drv, &m);
        if (e == IPC_EMPTY)
            break;
        if (e != IPC_OK) {
            down(e == IPC_CLOSED ? "the driver is gone" : "the driver broke the Ring protocol");
            return true;
        }
        for (unsigned i = 0; i < m.ncaps; i++)
            v_cap_delete(m.caps[i]);
        if (m.hdr.kind == Netif_kindRx)
            on_rx(&m);
        else if (m.hdr.kind == Netif_kindTxDone)
            on_tx_done(&m);
        else
            np.bad++;
        moved = true;
    }
    return moved;
}

/* Batches to the driver, each only into a free slot. */
void nic_flush(void)
{
    struct ring_slot *slot;
    if (changed)
        say_address(&en0.netif);
    if (!up)
        return;
    if (n_rx_back && ring_reserve(&drv.out, &slot) == RING_OK &&
        ipc_send(&drv, Netif_kindRxFree, 0, rx_back, n_rx_back * 2, 0, 0, 0) == IPC_OK) {
        for (unsigned i = 0; i < n_rx_back; i++)
            np.own[rx_back[i]] = B_DRIVER;
        n_rx_back = 0;
    }
    if (n_tx_batch && ring_reserve(&drv.out, &slot) == RING_OK &&
        ipc_send(&drv, Netif_kindTx, 0, tx_batch, n_tx_batch * 4, 0, 0, 0) == IPC_OK)
        n_tx_batch = 0;
}

bool nic_info(struct nic_info *out)
{
    memset(out, 0, sizeof *out);
    if (!pool)
        return false;
    out->up = up;
    out->dhcp = dhcp_on;
    for (int i = 0; i < 6; i++)
        out->mac = out->mac << 8 | en0.netif.hwaddr[i];
    out->addr = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&en0.netif)));
    out->mask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(&en0.netif)));
    out->gw = lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(&en0.netif)));
    out->n = en0.n;
    out->bad = (uint32_t)np.bad;
    return true;
}
