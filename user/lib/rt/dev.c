/*
 * dev.c: a driver's device, from its Bundle (dev.h).
 */
#include <stdio.h>
#include <string.h>

#include "dev.h"
#include "ipc.h"
#include "schema/device.capnp.h"

#define IOVA_BASE 0x100000ull   /* device addresses start at 1 MiB: 0 is never valid */

static uint32_t cfg_read32(void *ctx, uint16_t off)
{
    return *(volatile const uint32_t *)((const volatile uint8_t *)ctx + off);
}
/* The frame is read-only: a write would fault, so lib/pci's writes
 * (which the driver's code paths never make) are dropped. */
static void cfg_nowrite(void *ctx, uint16_t off, uint32_t val) { (void)ctx, (void)off, (void)val; }

static int map(v_handle frame, uint64_t bytes, unsigned rights, uint64_t *va)
{
    *va = rt_va_alloc(bytes);
    return (int)v_as_map(rt_aspace(), frame, *va, rights).err;
}

int rt_dev_open(struct rt_dev *d, const char *name, const char **why)
{
    char n[V_BUNDLE_NAME + 8];
    struct v_capinfo ci;
    uint64_t va;
    int e;
    memset(d, 0, sizeof *d);
    snprintf(n, sizeof n, "%s.cfg", name);
    d->cfg_frame = rt_cap(n);
    if (!d->cfg_frame) {
        *why = "no configuration frame in the Bundle";
        return V_ENOTFOUND;
    }
    if ((e = map(d->cfg_frame, V_PAGE_SIZE, V_R_READ, &va))) {
        *why = "cannot map the configuration frame";
        return e;
    }
    d->cfg_va = (const volatile uint8_t *)va;
    d->cfg = (struct pci_cfg){cfg_read32, cfg_nowrite, (void *)va};
    if (pci_header_read(&d->cfg, &d->hdr) != PCI_OK) {
        *why = "no device answers at the configuration frame";
        return V_ENOTFOUND;
    }
    for (unsigned i = 0; i < 6; i++) {
        snprintf(n, sizeof n, "%s.bar%u", name, i);
        v_handle f = rt_cap(n);
        if (!f || v_cap_info(f, (uint64_t)&ci).err || ci.type != V_TYPE_FRAME)
            continue;
        if ((e = map(f, ci.size, V_R_READ | V_R_WRITE, &va))) {
            *why = "cannot map a BAR frame";
            return e;
        }
        d->bar[i] = (struct rt_bar){f, (volatile uint8_t *)va, ci.phys, ci.size};
        d->bars[i] = (struct pci_bar){.index = (uint8_t)i, .addr = ci.phys, .size = ci.size};
    }
    snprintf(n, sizeof n, "%s.irq", name);
    d->irq = rt_cap(n);
    if (d->irq && !v_cap_info(d->irq, (uint64_t)&ci).err)
        d->lines = ci.arg;
    /* the DMA space: paid by our own Reticle, from the configuration frame */
    struct v_ret r = v_dma_create(rt_memory(), d->cfg_frame, V_SLOT_ANY);
    if (!r.err) {
        d->dma = (v_handle)r.val;
        if (!v_cap_info(d->dma, (uint64_t)&ci).err) {
            d->bdf = (uint16_t)ci.arg;
            d->confined = (ci.arg & V_DMA_CONFINED) != 0;
        }
    } else if (r.err != V_ENOSYS) {
        *why = "cannot make the DMA space";
        return (int)r.err;
    }
    d->next_iova = IOVA_BASE;
    return V_OK;
}

int rt_dev_dma_map(struct rt_dev *d, v_handle frame, unsigned rights, uint64_t *dev_addr)
{
    struct v_capinfo ci;
    if (v_cap_info(frame, (uint64_t)&ci).err || ci.type != V_TYPE_FRAME)
        return V_ETYPE;
    if (!d->dma) {              /* a kernel without DMA spaces: the physical address */
        *dev_addr = ci.phys;
        return V_OK;
    }
    struct v_ret r = v_dma_map(d->dma, frame, d->next_iova, rights);
    if (r.err)
        return (int)r.err;
    *dev_addr = r.val;
    d->next_iova += ci.size + V_PAGE_SIZE;   /* an unmapped page between mappings */
    return V_OK;
}

int rt_dev_dma_alloc(struct rt_dev *d, unsigned pages, unsigned rights, void **va,
                     uint64_t *dev_addr, v_handle *frame)
{
    struct v_ret r = v_retype(rt_memory(), V_TYPE_FRAME, pages, V_SLOT_ANY);
    if (r.err)
        return (int)r.err;
    v_handle f = (v_handle)r.val;
    uint64_t at;
    int e = map(f, (uint64_t)pages * V_PAGE_SIZE, V_R_READ | V_R_WRITE, &at);
    struct v_ret c = e ? (struct v_ret){e, 0} : v_cap_copy(f, V_SLOT_ANY);
    if (!c.err && (e = rt_dev_dma_map(d, (v_handle)c.val, rights, dev_addr)))
        v_cap_delete((v_handle)c.val);
    if (c.err || e) {
        v_cap_delete(f);
        return c.err ? (int)c.err : e;
    }
    *va = (void *)at;
    if (frame)
        *frame = f;
    return V_OK;
}

int rt_dev_line(const struct rt_dev *d, int from)
{
    for (int l = from < 0 ? 0 : from; l < 64; l++)
        if (d->lines & 1ull << l)
            return l;
    return -1;
}

int rt_dev_msix(struct rt_dev *d, const struct pci_msix *mx, unsigned entry, int line, unsigned bit)
{
    const struct rt_bar *b = &d->bar[mx->table_bir % 6];
    uint64_t at = (uint64_t)mx->table_off + (uint64_t)entry * PCI_MSIX_ENTRY_SIZE;
    if (!b->frame || entry >= mx->table_size || at + PCI_MSIX_ENTRY_SIZE > b->size)
        return V_ERANGE;
    struct v_ret r = v_irq_bind(d->irq, (uint64_t)line, bit, d->cfg_frame);
    if (r.err)
        return (int)r.err;
    volatile uint32_t *e = (volatile uint32_t *)(b->va + at);
    e[0] = (uint32_t)(r.val >> 32);     /* message address */
    e[1] = 0;                           /* upper address */
    e[2] = (uint32_t)r.val;             /* message data */
    e[3] = 0;                           /* vector control: unmasked */
    return V_OK;
}

void rt_dev_register(struct rt_dev *d)
{
    static struct ipc_conn c;
    static struct ipc_msg reply;
    if (!d->dma || ipc_open("devmgr", &c) != IPC_OK)
        return;
    struct v_ret r = v_cap_mint(d->dma, V_SLOT_ANY, V_R_READ | V_R_GRANT, 0);
    if (r.err)
        return;
    v_handle cap = (v_handle)r.val;
    /* the connection stays open for our life: its close tells the device
     * manager we are gone */
    ipc_call(&c, DeviceManager_method_registerDma, 0, 0, &cap, 1, &reply, 2000000);
}
