/*
 * virtio.c: a virtio 1.x modern PCI device with one queue, for a driver
 * Task (dev.h). lib/virtio does the protocol; this maps it onto the
 * frames of the device grant.
 */
#include "dev.h"
#include "ipc.h"

uint32_t rt_virtio_common_read(void *ctx, uint32_t off, unsigned w)
{
    volatile uint8_t *p = (volatile uint8_t *)ctx + off;
    return w == 1 ? *p : w == 2 ? *(volatile uint16_t *)p : *(volatile uint32_t *)p;
}

void rt_virtio_common_write(void *ctx, uint32_t off, unsigned w, uint32_t v)
{
    volatile uint8_t *p = (volatile uint8_t *)ctx + off;
    if (w == 1)
        *p = (uint8_t)v;
    else if (w == 2)
        *(volatile uint16_t *)p = (uint16_t)v;
    else
        *(volatile uint32_t *)p = v;
}

volatile uint8_t *rt_virtio_region(const struct rt_virtio *v, const struct pci_virtio_region *r)
{
    return v->dev.bar[r->bar].va + r->offset;
}

uint8_t rt_virtio_status(const struct rt_virtio *v)
{
    return (uint8_t)rt_virtio_common_read(v->regs.ctx, VIRTIO_COMMON_STATUS, 1);
}

int rt_virtio_open(struct rt_virtio *v, const char *name, uint16_t type, unsigned bit,
                   struct virtq_slot *slots, const char **why)
{
    int e = rt_dev_open(&v->dev, name, why);
    if (e)
        return e;
    enum pci_err pe = pci_virtio_layout_read(&v->dev.cfg, v->dev.bars, &v->lay);
    if (pe || pci_virtio_device_type(&v->dev.hdr) != type) {
        *why = pe ? pci_err_name(pe) : "not the virtio device type this driver drives";
        return V_EINVAL;
    }
    v->regs = (struct virtio_regs){rt_virtio_common_read, rt_virtio_common_write,
                                   (void *)rt_virtio_region(v, &v->lay.common)};
    v->slots = slots;
    if ((e = rt_dev_dma_alloc(&v->dev, 1, V_R_READ | V_R_WRITE, &v->ring_va, &v->ring_dev, 0))) {
        *why = "no DMA memory for the queue";
        return e;
    }
    struct pci_cap_iter it = {0};
    struct pci_cap cap;
    struct pci_msix mx;
    v->line = rt_dev_line(&v->dev, V_IRQ_MSI_FIRST);
    if (v->line >= 0 && (pci_cap_find(&v->dev.cfg, &it, PCI_CAP_MSIX, &cap) != PCI_OK ||
                         pci_msix_read(&v->dev.cfg, &cap, &mx) != PCI_OK ||
                         rt_dev_msix(&v->dev, &mx, 0, v->line, bit) != V_OK))
        v->line = -1;
    return V_OK;
}

int rt_virtio_setup(struct rt_virtio *v, uint64_t supported, uint16_t qsize, const char **why)
{
    enum virtio_err e;
    struct virtio_queue_info qi;
    uint64_t at;
    struct virtq_layout l;
    if ((e = virtio_reset(&v->regs, 1000000)) ||
        (e = virtio_negotiate(&v->regs, supported | VIRTIO_F_ACCESS_PLATFORM, 0, &v->features)) ||
        (e = virtio_queue_probe(&v->regs, 0, qsize, &qi)))
        goto fail;
    if (pci_virtio_notify_at(&v->lay, qi.notify_off, &at) != PCI_OK || virtq_layout(qi.size, &l) ||
        l.total > V_PAGE_SIZE ||
        virtq_init(&v->q, qi.size, v->ring_va, V_PAGE_SIZE, v->slots,
                   (v->features & VIRTIO_F_EVENT_IDX) != 0)) {
        e = VIRTIO_EQUEUE;
        goto fail;
    }
    v->notify = (volatile uint16_t *)(v->dev.bar[v->lay.notify.bar].va + at);
    rt_virtio_common_write(v->regs.ctx, VIRTIO_COMMON_MSIX, 2, VIRTIO_MSI_NO_VECTOR);
    if ((e = virtio_queue_enable(&v->regs, 0, qi.size, v->ring_dev + l.desc_off,
                                 v->ring_dev + l.avail_off, v->ring_dev + l.used_off,
                                 v->line >= 0 ? 0 : VIRTIO_MSI_NO_VECTOR)) ||
        (e = virtio_driver_ok(&v->regs)))
        goto fail;
    return 0;
fail:
    *why = virtio_err_name(e);
    virtio_fail(&v->regs);
    return -1;
}

void rt_virtio_kick(struct rt_virtio *v)
{
    if (virtq_kick_needed(&v->q))
        *v->notify = 0;         /* the queue's index */
}

static struct rt_virtio *served;
static unsigned served_bit;
static void (*served_harvest)(void);

static void on_bits(struct ipc_server *s, uint64_t bits)
{
    (void)s;
    if (bits & 1ull << served_bit) {
        served->irq_wake_tsc = rt_tsc();
        served_harvest();
        v_irq_ack(served->dev.irq, (uint64_t)served->line);
    }
}

int rt_virtio_serve(struct rt_virtio *v, struct ipc_server *srv, unsigned bit,
                    void (*handle)(struct ipc_server *, struct ipc_conn *, struct ipc_msg *),
                    void (*on_close)(struct ipc_server *, struct ipc_conn *), void (*harvest)(void))
{
    v_handle listen = rt_cap("listen");
    if (!listen || ipc_server_init(srv, listen))
        return 2;
    served = v;
    served_bit = bit;
    served_harvest = harvest;
    srv->handle = handle;
    srv->on_close = on_close;
    srv->on_bits = on_bits;
    srv->extra_bits = v->line >= 0 ? 1ull << bit : 0;
    for (;;) {
        ipc_serve(srv, v->line >= 0 ? 100000 : 1000);
        harvest();
    }
}
