/*
 * virtio-net: the network device's driver Task (schema/netif.capnp,
 * docs/NETWORK.md).
 *
 * It holds only its device (user/lib/rt/dev.h: configuration frame, BARs,
 * MSI lines, the DMA space) and serves Netif to one client, the network
 * stack. The device is a virtio 1.x modern PCI function: features MAC,
 * STATUS and EVENT_IDX (and ACCESS_PLATFORM, which the IOMMU needs), two
 * split queues (0 receive, 1 transmit) of QSIZE entries each, both on
 * MSI-X entry 0 (polling every millisecond without an MSI line).
 *
 * Zero copy: the stack lends its packet pool (attach); the driver maps it
 * for the device only and never reads or writes a packet itself. Receive
 * buffers are posted to the device as one device-writable descriptor
 * each; a used one goes to the stack by number (kindRx) and comes back
 * (kindRxFree) to be posted again. Transmit buffers come by number
 * (kindTx), go to the device as one device-readable descriptor, and go
 * back by number once used (kindTxDone).
 *
 * Invariants:
 *   - Every buffer has exactly one owner: the stack, the device, or this
 *     Task's outgoing batch (lib/virtio/netpool). A number from the stack is acted on
 *     only if it is in its half of the pool and the stack owns it now,
 *     and a transmit length only if it holds a header and a frame of
 *     14..1514 bytes; anything else is dropped and counted (badNumbers),
 *     never posted. A used-ring entry is acted on only after lib/virtq
 *     has checked it (head in flight, length within the buffer).
 *   - The driver never waits for the stack: batches go out only into a
 *     free Ring slot and stay queued (at most the pool's size) otherwise.
 *   - The stack gone (its connection closed) or a device that breaks the
 *     queue protocol: the device is reset, which stops its DMA, before the
 *     pool is unmapped or any buffer changes owner; then it is set up
 *     again for the next attach.
 *   - Notifications are suppressed under load: EVENT_IDX on both queues;
 *     interrupts are off while a harvest runs and on again only when both
 *     used rings are empty; one kick per batch of transmit buffers, one
 *     Ring message per batch of completions.
 */
#include <stdio.h>
#include <string.h>

#include "dev.h"
#include "ipc.h"
#include "logc.h"
#include "rt.h"
#include "schema/netif.capnp.h"
#include "virtio/netpool.h"
#include "virtio/virtio.h"

#define QSIZE 128
#define QBIT 40
#define RXQ 0
#define TXQ 1
#define MAXBUF Netif_maxBuffers
#define BATCH_MAX ((IPC_PAYLOAD_MAX) / 4)

enum owner { O_STACK, O_DEVICE, O_OUT };

static struct rt_dev dev;
static struct pci_virtio_layout lay;
static struct virtio_regs regs;
static int line = -1;
static uint8_t *qmem;
static uint64_t qmem_dev;
static struct virtq q[2];
static struct virtq_slot slots[2][QSIZE];
static volatile uint16_t *notify[2];
static uint64_t features;
static uint8_t mac[6];
static bool link_up, broken;
static struct ipc_server srv;

/* The attached pool: at most one, of the connection `client`. */
static struct ipc_conn *client;
static v_handle pool;
static uint64_t pool_dev;
static unsigned nrx, ntx, bufsz;
static struct netpool np;         /* owners: enum owner */
static uint32_t rx_out[MAXBUF];   /* received, not yet told: (buf << 16) | len */
static unsigned n_rx_out;
static uint16_t tx_out[MAXBUF];   /* sent, not yet told */
static unsigned n_tx_out;

static struct {
    uint64_t rx, tx, rx_dropped, tx_dropped, interrupts, kicks;
} cnt;

/* ---- device access ---------------------------------------------------- */

static void read_config(void *ctx)
{
    (void)ctx;
    volatile uint8_t *c = dev.bar[lay.device.bar].va + lay.device.offset;
    for (int i = 0; i < 6; i++)
        mac[i] = c[i];
    link_up = !(features & VIRTIO_NET_F_STATUS) || (c[6] & 1);
}

static int queue_setup(unsigned i, const char **why)
{
    struct virtio_queue_info qi;
    struct virtq_layout l;
    uint64_t at;
    enum virtio_err e = virtio_queue_probe(&regs, (uint16_t)i, QSIZE, &qi);
    if (e) {
        *why = virtio_err_name(e);
        return -1;
    }
    uint8_t *mem = qmem + i * V_PAGE_SIZE;
    uint64_t mdev = qmem_dev + i * V_PAGE_SIZE;
    if (pci_virtio_notify_at(&lay, qi.notify_off, &at) != PCI_OK || virtq_layout(qi.size, &l) ||
        l.total > V_PAGE_SIZE ||
        virtq_init(&q[i], qi.size, mem, V_PAGE_SIZE, slots[i], (features & VIRTIO_F_EVENT_IDX) != 0)) {
        *why = "the queue does not fit its page";
        return -1;
    }
    notify[i] = (volatile uint16_t *)(dev.bar[lay.notify.bar].va + at);
    if ((e = virtio_queue_enable(&regs, (uint16_t)i, qi.size, mdev + l.desc_off, mdev + l.avail_off,
                                 mdev + l.used_off, line >= 0 ? 0 : VIRTIO_MSI_NO_VECTOR))) {
        *why = virtio_err_name(e);
        return -1;
    }
    return 0;
}

/* Reset, negotiate, both queues, DRIVER_OK, the MAC and link state. Also
 * after the stack left or the device was lost. */
static int device_setup(const char **why)
{
    enum virtio_err e;
    if ((e = virtio_reset(&regs, 1000000)) ||
        (e = virtio_negotiate(&regs, VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | VIRTIO_F_EVENT_IDX |
                              VIRTIO_F_ACCESS_PLATFORM, 0, &features))) {
        *why = virtio_err_name(e);
        goto fail;
    }
    rt_virtio_common_write(regs.ctx, VIRTIO_COMMON_MSIX, 2, VIRTIO_MSI_NO_VECTOR);
    if (queue_setup(RXQ, why) || queue_setup(TXQ, why))
        goto fail;
    if ((e = virtio_driver_ok(&regs))) {
        *why = virtio_err_name(e);
        goto fail;
    }
    if (!(features & VIRTIO_NET_F_MAC) || !lay.device.present || lay.device.length < 8 ||
        virtio_config_read(&regs, read_config, 0, 16)) {
        *why = "no MAC address in the device configuration";
        goto fail;
    }
    broken = false;
    return 0;
fail:
    virtio_fail(&regs);
    broken = true;
    return -1;
}

static void kick(unsigned i)
{
    if (virtq_kick_needed(&q[i])) {
        *notify[i] = (uint16_t)i;
        cnt.kicks++;
    }
}

/* ---- the pool --------------------------------------------------------- */

static void post_rx(unsigned b)
{
    struct virtq_seg seg = {pool_dev + (uint64_t)b * bufsz, bufsz};
    if (virtq_add(&q[RXQ], &seg, 0, 1, b, 0) == VIRTQ_OK)
        np.own[b] = O_DEVICE;
    else
        np.own[b] = O_STACK, cnt.rx_dropped++;  /* cannot happen: QSIZE >= nrx; the stack may give it back */
}

/* The device stopped (reset): take the pool back from it, then let it go. */
static void pool_release(void)
{
    struct virtq_done d;
    for (unsigned i = 0; i < 2; i++)
        while (virtq_drain(&q[i], &d) == VIRTQ_OK)
            ;
    if (pool) {
        v_as_unmap(pool);
        v_cap_delete(pool);
    }
    pool = 0;
    client = 0;
    n_rx_out = n_tx_out = 0;
    uint64_t bad = np.bad;
    netpool_init(&np, 1, 1, O_STACK);
    np.bad = bad;
}

static void restart_device(const char *what)
{
    rt_log(RT_LOG_WARN, "virtio-net: %s: device reset", what);
    printf("virtio-net: %s: device reset\n", what);
    virtio_reset(&regs, 1000000);
    pool_release();
    const char *why;
    if (device_setup(&why))
        printf("virtio-net: the device did not come back: %s\n", why);
}

/* ---- batches to the stack --------------------------------------------- */

static void flush_out(void)
{
    if (!client)
        return;
    struct ring_slot *slot;
    if (n_rx_out && ring_reserve(&client->out, &slot) == RING_OK &&
        ipc_send(client, Netif_kindRx, 0, rx_out, n_rx_out * 4, 0, 0, 0) == IPC_OK) {
        for (unsigned i = 0; i < n_rx_out; i++)
            np.own[rx_out[i] >> 16] = O_STACK;
        n_rx_out = 0;
    }
    if (n_tx_out && ring_reserve(&client->out, &slot) == RING_OK &&
        ipc_send(client, Netif_kindTxDone, 0, tx_out, n_tx_out * 2, 0, 0, 0) == IPC_OK) {
        for (unsigned i = 0; i < n_tx_out; i++)
            np.own[tx_out[i]] = O_STACK;
        n_tx_out = 0;
    }
}

static void harvest(void)
{
    if (broken || !client)
        return;
    for (;;) {
        virtq_disable_intr(&q[RXQ]);
        virtq_disable_intr(&q[TXQ]);
        struct virtq_done d;
        enum virtq_err e;
        bool reposted = false;
        while ((e = virtq_get(&q[RXQ], &d)) == VIRTQ_OK) {
            unsigned b = (unsigned)d.token;
            if (d.len < Netif_hdrBytes + Netif_minFrame) {
                cnt.rx_dropped++;           /* a runt: straight back to the device */
                post_rx(b);
                reposted = true;
                continue;
            }
            np.own[b] = O_OUT;
            rx_out[n_rx_out++] = b << 16 | d.len;
            cnt.rx++;
        }
        if (e != VIRTQ_EMPTY)
            return restart_device("the device broke the receive queue protocol");
        while ((e = virtq_get(&q[TXQ], &d)) == VIRTQ_OK) {
            np.own[d.token] = O_OUT;
            tx_out[n_tx_out++] = (uint16_t)d.token;
        }
        if (e != VIRTQ_EMPTY)
            return restart_device("the device broke the transmit queue protocol");
        if (reposted)
            kick(RXQ);
        flush_out();
        bool more = virtq_enable_intr(&q[RXQ]);
        more |= virtq_enable_intr(&q[TXQ]);
        if (!more)
            break;
    }
    if (rt_virtio_common_read(regs.ctx, VIRTIO_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET)
        restart_device("the device set DEVICE_NEEDS_RESET");
}

/* ---- requests ----------------------------------------------------------- */

static void reply_attach(struct ipc_conn *c, uint64_t id, enum Netif_Status st)
{
    uint8_t buf[64];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Netif_attach_Results_B r = Netif_attach_Results_build_root(&b);
    Netif_attach_Results_set_status(r, st);
    uint64_t m = 0;
    for (int i = 0; i < 6; i++)
        m = m << 8 | mac[i];
    Netif_attach_Results_set_mac(r, st == Netif_Status_ok ? m : 0);
    ipc_reply_built(c, Netif_method_attach, id, &b);
}

static void do_attach(struct ipc_conn *c, const struct ipc_msg *m)
{
    struct capnp_msg msg;
    struct v_capinfo ci;
    enum Netif_Status st = Netif_Status_ok;
    unsigned rx = 0, tx = 0, bs = 0;
    if (ipc_request_open(&msg, m) == 0) {
        Netif_attach_Params_R p = Netif_attach_Params_read_root(&msg);
        rx = Netif_attach_Params_rxBuffers(p);
        tx = Netif_attach_Params_txBuffers(p);
        bs = Netif_attach_Params_bufSize(p);
        if (capnp_msg_error(&msg))
            st = Netif_Status_badPool;
    } else
        st = Netif_Status_badPool;
    if (st == Netif_Status_ok && client)
        st = Netif_Status_busy;
    else if (st == Netif_Status_ok && broken)
        st = Netif_Status_deviceLost;
    else if (st == Netif_Status_ok &&
             (m->ncaps != 1 || v_cap_info(m->caps[0], (uint64_t)&ci).err || ci.type != V_TYPE_FRAME ||
              (ci.rights & (V_R_READ | V_R_WRITE)) != (V_R_READ | V_R_WRITE) || ci.mapped ||
              rx < 1 || rx > QSIZE || tx < 1 || tx > QSIZE || rx + tx > MAXBUF ||
              bs < Netif_hdrBytes + Netif_maxFrame || bs > 4096 ||
              (uint64_t)(rx + tx) * bs > ci.size ||
              rt_dev_dma_map(&dev, m->caps[0], V_R_READ | V_R_WRITE, &pool_dev)))
        st = Netif_Status_badPool;
    if (st != Netif_Status_ok) {
        for (unsigned i = 0; i < m->ncaps; i++)
            v_cap_delete(m->caps[i]);
        rt_log(RT_LOG_WARN, "virtio-net: %s: attach refused (%u)", c->peer, st);
        return reply_attach(c, m->hdr.id, st);
    }
    pool = m->caps[0];
    client = c;
    nrx = rx;
    ntx = tx;
    bufsz = bs;
    uint64_t bad = np.bad;
    netpool_init(&np, nrx, ntx, O_STACK);
    np.bad = bad;
    ring_set_sleeping(&c->in, true);
    ring_set_sleeping(&c->out, true);
    for (unsigned b = 0; b < nrx; b++)
        post_rx(b);
    kick(RXQ);
    reply_attach(c, m->hdr.id, Netif_Status_ok);
    printf("virtio-net: %s attached a pool of %u + %u buffers of %u bytes\n", c->peer, nrx, ntx, bufsz);
}

static void do_rx_free(const struct ipc_msg *m)
{
    for (uint32_t i = 0; i < netpool_n16(m->hdr.len); i++) {
        unsigned b = netpool_get16(m->data, i);
        if (netpool_take(&np, true, b, O_STACK, O_DEVICE, -1, 0, 0) == NETPOOL_OK)
            post_rx(b);
    }
    kick(RXQ);
}

static void do_tx(const struct ipc_msg *m)
{
    for (uint32_t i = 0; i < netpool_n32(m->hdr.len); i++) {
        unsigned b;
        uint32_t len;
        netpool_get32(m->data, i, &b, &len);
        if (netpool_take(&np, false, b, O_STACK, O_DEVICE, (int32_t)len, Netif_hdrBytes + Netif_minFrame,
                         Netif_hdrBytes + Netif_maxFrame) != NETPOOL_OK)
            continue;
        struct virtq_seg seg = {pool_dev + (uint64_t)b * bufsz, len};
        if (virtq_add(&q[TXQ], &seg, 1, 0, b, 0) != VIRTQ_OK) {
            cnt.tx_dropped++;       /* cannot happen: QSIZE >= ntx; the buffer goes back unsent */
            np.own[b] = O_OUT;
            tx_out[n_tx_out++] = (uint16_t)b;
            continue;
        }
        cnt.tx++;
    }
    kick(TXQ);
}

static void do_info(struct ipc_conn *c, uint64_t id)
{
    uint8_t buf[64];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Netif_info_Results_B r = Netif_info_Results_build_root(&b);
    uint64_t m = 0;
    for (int i = 0; i < 6; i++)
        m = m << 8 | mac[i];
    if (!broken)
        virtio_config_read(&regs, read_config, 0, 16);
    Netif_info_Results_set_mac(r, m);
    Netif_info_Results_set_mtu(r, 1500);
    Netif_info_Results_set_linkUp(r, link_up && !broken);
    ipc_reply_built(c, Netif_method_info, id, &b);
}

static void do_counters(struct ipc_conn *c, uint64_t id)
{
    uint8_t buf[128];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Netif_counters_Results_B r = Netif_counters_Results_build_root(&b);
    Netif_counters_Results_set_rxFrames(r, cnt.rx);
    Netif_counters_Results_set_txFrames(r, cnt.tx);
    Netif_counters_Results_set_rxDropped(r, cnt.rx_dropped);
    Netif_counters_Results_set_txDropped(r, cnt.tx_dropped);
    Netif_counters_Results_set_interrupts(r, cnt.interrupts);
    Netif_counters_Results_set_kicks(r, cnt.kicks);
    Netif_counters_Results_set_badNumbers(r, np.bad);
    ipc_reply_built(c, Netif_method_counters, id, &b);
}

static void handle(struct ipc_server *s, struct ipc_conn *c, struct ipc_msg *m)
{
    (void)s;
    if (m->hdr.kind == Netif_method_attach)
        return do_attach(c, m);
    for (unsigned i = 0; i < m->ncaps; i++)
        v_cap_delete(m->caps[i]);
    switch (m->hdr.kind) {
    case Netif_method_info:
        return do_info(c, m->hdr.id);
    case Netif_method_counters:
        return do_counters(c, m->hdr.id);
    case Netif_kindRxFree:
    case Netif_kindTx:
        if (c != client || broken) {
            np.bad++;
            return;
        }
        if (m->hdr.kind == Netif_kindTx)
            do_tx(m);
        else
            do_rx_free(m);
        harvest();
        return;
    }
    ipc_reply_error(c, m->hdr.id);
}

static void on_close(struct ipc_server *s, struct ipc_conn *c)
{
    (void)s;
    if (c == client)
        restart_device("the stack closed its connection");
}

static void on_bits(struct ipc_server *s, uint64_t bits)
{
    (void)s;
    if (bits & 1ull << QBIT) {
        cnt.interrupts++;
        harvest();
        v_irq_ack(dev.irq, (uint64_t)line);
    }
}

int main(void)
{
    const char *why = "";
    int e = rt_dev_open(&dev, "dev", &why);
    enum pci_err pe = e ? PCI_OK : pci_virtio_layout_read(&dev.cfg, dev.bars, &lay);
    if (!e && (pe || pci_virtio_device_type(&dev.hdr) != VIRTIO_ID_NET)) {
        why = pe ? pci_err_name(pe) : "not a virtio network device";
        e = V_EINVAL;
    }
    if (!e && (e = rt_dev_dma_alloc(&dev, 2, V_R_READ | V_R_WRITE, (void **)&qmem, &qmem_dev, 0)))
        why = "no DMA memory for the queues";
    if (e) {
        printf("virtio-net: %s (%s)\n", why, rt_errname(e));
        return 3;
    }
    regs = (struct virtio_regs){rt_virtio_common_read, rt_virtio_common_write,
                                (void *)(dev.bar[lay.common.bar].va + lay.common.offset)};
    struct pci_cap_iter it = {0};
    struct pci_cap cap;
    struct pci_msix mx;
    line = rt_dev_line(&dev, V_IRQ_MSI_FIRST);
    if (line >= 0 && (pci_cap_find(&dev.cfg, &it, PCI_CAP_MSIX, &cap) != PCI_OK ||
                      pci_msix_read(&dev.cfg, &cap, &mx) != PCI_OK || rt_dev_msix(&dev, &mx, 0, line, QBIT)))
        line = -1;
    if (device_setup(&why)) {
        printf("virtio-net: device setup failed: %s\n", why);
        return 3;
    }
    rt_dev_register(&dev);
    printf("virtio-net: MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s, %u-entry queues, %s%s, DMA %s\n",
           mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], link_up ? "up" : "down", q[RXQ].size,
           line >= 0 ? "MSI-X" : "polling", features & VIRTIO_F_EVENT_IDX ? ", event index" : "",
           dev.confined ? "confined by the IOMMU" : "unconfined");
    rt_log(RT_LOG_INFO, "virtio-net: ready");
    v_handle listen = rt_cap("listen");
    if (!listen || ipc_server_init(&srv, listen))
        return 2;
    srv.handle = handle;
    srv.on_close = on_close;
    srv.on_bits = on_bits;
    srv.extra_bits = line >= 0 ? 1ull << QBIT : 0;
    for (;;) {
        ipc_serve(&srv, line >= 0 ? 100000 : 1000);
        harvest();
        flush_out();
    }
}
