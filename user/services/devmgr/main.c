/*
 * devmgr: the device manager (schema/device.capnp, docs/DEVICES.md).
 *
 * It holds what init granted it of the root's device authorities: the
 * ECAM window ("ecam0"), the MMIO Reticles ("mmio0", "mmio1", ...) and
 * the MSI lines ("irq"). At start it enumerates the buses through ECAM, bus
 * 0 and every bus behind a PCI-PCI bridge (PCIe root ports), with
 * lib/pci (header, BARs sized by the write-all-ones protocol, MSI-X, the
 * virtio capabilities), then serves:
 *   list         everything found, who holds it, its lines and DMA state;
 *   claim        init, for a service's `device` grant: the first unheld
 *                matching function (or the one that service held) is
 *                given to it -- a READ|CONTROL copy of its configuration
 *                page, an IRQ capability narrowed to the MSI lines
 *                allocated for it, and a frame for each page-aligned
 *                memory BAR; nothing else;
 *   registerDma  a driver, with a copy of the DMA space it made.
 *
 * Invariants:
 *   - Only the device manager writes configuration space. Before a
 *     function is handed over it enables memory decode, bus mastering
 *     and MSI-X (INTx off); the driver's copy has no WRITE right.
 *   - Everything handed out is a mint of a per-function original that
 *     this Task keeps; a new claim revokes the previous one's first, so
 *     a device is never held by two instances of a driver.
 *   - When the connection a driver registered its DMA space on closes
 *     (the driver died), bus mastering is switched off until the next
 *     claim: without an IOMMU that is what stops a dead driver's device
 *     from writing into freed memory.
 *   - Without an IOMMU (bootinfo platform.flags lacks V_PLATFORM_IOMMU)
 *     it says so ("DMA is unconfined") and refuses claims that require
 *     confinement.
 *   - Claims come only from the connection init introduced as "init".
 *   - Its start argument is the bootinfo's platform.flags (init's), with
 *     the first ECAM window's first bus in bits 32..39.
 */
#include <stdio.h>
#include <string.h>

#include "dev.h"
#include "ipc.h"
#include "logc.h"
#include "pci/pci.h"
#include "rt.h"
#include "schema/device.capnp.h"

#define MAX_FN 64
#define LINES_PER_FN 4

struct fn {
    uint16_t bdf;
    v_handle cfg;               /* the original, mapped read-write here */
    volatile uint8_t *va;
    struct pci_cfg pc;
    struct pci_header h;
    struct pci_bar bars[6];
    v_handle bar_frame[6];      /* originals; 0 where not handed */
    bool has_msix;
    struct pci_msix msix;
    uint16_t virtio_type;
    char holder[IPC_NAME];
    v_handle irq;               /* the original of the holder's IRQ capability */
    uint8_t lines[LINES_PER_FN];
    unsigned nlines;
    v_handle dma;               /* the holder's DMA space (a copy), 0 if none */
    const struct ipc_conn *dma_conn;
};

static struct fn fns[MAX_FN];
static unsigned nfn;
static v_handle ecam, irq_all;
static uint64_t msi_free;       /* MSI lines not yet allocated */
static bool iommu;

static uint32_t cfg_read32(void *ctx, uint16_t off)
{
    return *(volatile const uint32_t *)((const volatile uint8_t *)ctx + off);
}
static void cfg_write32(void *ctx, uint16_t off, uint32_t val)
{
    *(volatile uint32_t *)((volatile uint8_t *)ctx + off) = val;
}

/* A frame of `pages` at page `page` of reticle r. */
static struct v_ret carve(v_handle r, uint64_t page, uint64_t pages)
{
    return v_retype(r, V_TYPE_FRAME, V_FRAME_AT(page, pages), V_SLOT_ANY);
}

/* The MMIO Reticle (mmio0..mmio7) holding [addr, addr + size), and the
 * page of it where addr is. */
static v_handle mmio_for(uint64_t addr, uint64_t size, uint64_t *page)
{
    char name[8] = "mmio0";
    for (unsigned i = 0; i < 8; i++) {
        name[4] = (char)('0' + i);
        v_handle r = rt_cap(name);
        struct v_capinfo ci;
        if (!r || v_cap_info(r, (uint64_t)&ci).err)
            continue;
        if (addr >= ci.phys && size <= ci.size && addr - ci.phys <= ci.size - size) {
            *page = (addr - ci.phys) / V_PAGE_SIZE;
            return r;
        }
    }
    return 0;
}

static void probe_function(v_handle frame, uint16_t bdf)
{
    uint64_t va = rt_va_alloc(V_PAGE_SIZE);
    if (v_as_map(rt_aspace(), frame, va, V_R_READ | V_R_WRITE).err) {
        v_cap_delete(frame);
        return;
    }
    struct fn *f = &fns[nfn];
    memset(f, 0, sizeof *f);
    f->bdf = bdf;
    f->cfg = frame;
    f->va = (volatile uint8_t *)va;
    f->pc = (struct pci_cfg){cfg_read32, cfg_write32, (void *)va};
    if (pci_header_read(&f->pc, &f->h) != PCI_OK || f->h.vendor == 0xffff) {
        v_as_unmap(frame);
        v_cap_delete(frame);
        return;
    }
    nfn++;
    /* bridges and the host bridge keep their windows: never sized */
    if (f->h.header_type == 0 && f->h.class_code != 0x06)
        for (uint8_t i = 0; i < f->h.nbars; i++) {
            struct pci_bar b;
            if (pci_bar_probe(&f->pc, f->h.nbars, i, &b) != PCI_OK)
                continue;
            f->bars[i] = b;
            if (b.is64)
                i++;
        }
    struct pci_cap_iter it = {0};
    struct pci_cap cap;
    if (pci_cap_find(&f->pc, &it, PCI_CAP_MSIX, &cap) == PCI_OK &&
        pci_msix_read(&f->pc, &cap, &f->msix) == PCI_OK &&
        pci_msix_check(&f->msix, f->bars) == PCI_OK)
        f->has_msix = true;
    f->virtio_type = pci_virtio_device_type(&f->h);
}

/* One bus of the first ECAM window, function by function (a device's
 * functions 1-7 only if function 0 says it is multi-function), then the
 * bus behind each PCI-PCI bridge found on it. Firmware numbered the
 * buses; a bridge whose secondary bus is not above its own bus, outside
 * the window or already scanned is reported and not followed, so a
 * loop or a lie in the numbering ends the walk instead of repeating it.
 * The window's Reticle starts at bus ecam_first (from init's argument);
 * its size says how many buses it covers. */
static unsigned ecam_first, ecam_buses;
static uint64_t scanned[4];     /* 256 buses, one bit each */

static void enumerate(unsigned bus, unsigned depth)
{
    if (bus < ecam_first || bus - ecam_first >= ecam_buses || scanned[bus / 64] >> (bus % 64) & 1)
        return;
    scanned[bus / 64] |= 1ull << (bus % 64);
    unsigned first = nfn;
    for (unsigned dev = 0; dev < 32 && nfn < MAX_FN; dev++)
        for (unsigned fnum = 0; fnum < 8 && nfn < MAX_FN; fnum++) {
            unsigned before = nfn;
            struct v_ret r = carve(ecam, (uint64_t)(bus - ecam_first) * 256 + dev * 8 + fnum, 1);
            if (r.err)
                break;
            probe_function((v_handle)r.val, (uint16_t)(bus << 8 | dev << 3 | fnum));
            if (fnum == 0 && (nfn == before || !fns[before].h.multifunction))
                break;
        }
    unsigned last = nfn;
    for (unsigned i = first; i < last; i++) {
        const struct fn *f = &fns[i];
        if (f->h.header_type != 1)
            continue;
        unsigned sec = f->h.secondary_bus;
        if (sec <= bus || depth >= 8 || sec - ecam_first >= ecam_buses || scanned[sec / 64] >> (sec % 64) & 1)
            printf("devmgr: %02x:%02x.%x: bridge to bus %02x not followed (%s)\n", f->bdf >> 8,
                   f->bdf >> 3 & 31, f->bdf & 7, sec,
                   sec <= bus ? "not below it" : depth >= 8 ? "too deep" :
                   sec - ecam_first >= ecam_buses ? "outside the ECAM window" : "already scanned");
        else
            enumerate(sec, depth + 1);
    }
}

static const char *kind(const struct fn *f)
{
    switch (f->virtio_type) {
    case 1: return "virtio-net";
    case 2: return "virtio-blk";
    case 4: return "virtio-rng";
    }
    if (f->h.class_code == 0x06)
        return "bridge";
    if (f->h.class_code == 0x03)
        return "display";
    if (f->h.class_code == 0x01)
        return "storage";
    if (f->h.class_code == 0x02)
        return "network";
    return "device";
}

/* ---- the DMA space a holder registered -------------------------------- */

static void dma_info(const struct fn *f, struct v_capinfo *ci)
{
    memset(ci, 0, sizeof *ci);
    if (f->dma && v_cap_info(f->dma, (uint64_t)ci).err)
        memset(ci, 0, sizeof *ci);
}

/* ---- replies ----------------------------------------------------------- */

static void fill_device(DeviceManager_Device_B d, const struct fn *f)
{
    DeviceManager_Device_set_bdf(d, f->bdf);
    DeviceManager_Device_set_vendor(d, f->h.vendor);
    DeviceManager_Device_set_deviceId(d, f->h.device);
    DeviceManager_Device_set_classCode(d, f->h.class_code);
    DeviceManager_Device_set_subclass(d, f->h.subclass);
    DeviceManager_Device_set_progIf(d, f->h.prog_if);
    DeviceManager_Device_set_virtioType(d, f->virtio_type);
    unsigned nb = 0;
    for (unsigned i = 0; i < 6; i++)
        nb += f->bars[i].size != 0;
    DeviceManager_Bar_BList bl = DeviceManager_Device_init_bars(d, nb);
    for (unsigned i = 0, k = 0; i < 6; i++) {
        if (!f->bars[i].size)
            continue;
        DeviceManager_Bar_B b = DeviceManager_Bar_BList_get(bl, k++);
        DeviceManager_Bar_set_index(b, (uint8_t)i);
        DeviceManager_Bar_set_address(b, f->bars[i].addr);
        DeviceManager_Bar_set_size(b, f->bars[i].size);
        DeviceManager_Bar_set_io(b, f->bars[i].io);
        DeviceManager_Bar_set_prefetchable(b, f->bars[i].prefetchable);
        DeviceManager_Bar_set_handed(b, f->bar_frame[i] != 0);
    }
    DeviceManager_Device_set_holder(d, f->holder, strlen(f->holder));
    struct capnp_lbuilder ll = DeviceManager_Device_init_lines(d, f->nlines);
    for (unsigned i = 0; i < f->nlines; i++)
        capnp_lset_u8(ll, i, f->lines[i]);
    DeviceManager_Device_set_msixVectors(d, f->has_msix ? f->msix.table_size : 0);
    struct v_capinfo ci;
    dma_info(f, &ci);
    DeviceManager_Device_set_dmaRegistered(d, ci.type != 0);
    DeviceManager_Device_set_dmaConfined(d, (ci.arg & V_DMA_CONFINED) != 0);
    DeviceManager_Device_set_dmaPages(d, ci.mapped);
    DeviceManager_Device_set_dmaFaults(d, ci.free);
    DeviceManager_Device_set_dmaLastFault(d, ci.phys);
}

static void do_list(struct ipc_conn *c, const struct ipc_msg *m)
{
    static uint8_t buf[IPC_PAYLOAD_MAX];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    DeviceManager_list_Results_B r = DeviceManager_list_Results_build_root(&b);
    DeviceManager_list_Results_set_iommu(r, iommu);
    DeviceManager_Device_BList l = DeviceManager_list_Results_init_devices(r, nfn);
    for (unsigned i = 0; i < nfn; i++)
        fill_device(DeviceManager_Device_BList_get(l, i), &fns[i]);
    ipc_reply_built(c, DeviceManager_method_list, m->hdr.id, &b);
}

static void reply_status(struct ipc_conn *c, uint16_t method, uint64_t id, enum DeviceManager_Status st,
                         const struct fn *f, const v_handle *caps, unsigned ncaps)
{
    static uint8_t buf[2048];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    if (method == DeviceManager_method_claim) {
        DeviceManager_claim_Results_B r = DeviceManager_claim_Results_build_root(&b);
        DeviceManager_claim_Results_set_status(r, st);
        if (f)
            fill_device(DeviceManager_claim_Results_init_device(r), f);
    } else {
        DeviceManager_registerDma_Results_set_status(DeviceManager_registerDma_Results_build_root(&b), st);
    }
    size_t len;
    const uint8_t *p = capnp_builder_bytes(&b, &len);
    if (capnp_builder_error(&b) ||
        ipc_reply(c, &(struct ipc_msg){.hdr = {.id = id, .kind = method}}, p, (uint32_t)len, caps,
                  ncaps) != IPC_OK)
        for (unsigned i = 0; i < ncaps; i++)
            v_cap_delete(caps[i]);
}

/* ---- claim -------------------------------------------------------------- */

/* Take back everything the last claim of f handed out. */
static void reclaim(struct fn *f)
{
    v_cap_revoke(f->cfg);
    for (unsigned i = 0; i < 6; i++)
        if (f->bar_frame[i])
            v_cap_revoke(f->bar_frame[i]);
    if (f->irq)
        v_cap_revoke(f->irq);
    if (f->dma)
        v_cap_delete(f->dma);
    f->dma = 0;
    f->dma_conn = 0;
}

/* What the device needs once, at its first claim: frames for its BARs,
 * MSI lines and the IRQ capability covering them. */
static void prepare(struct fn *f)
{
    for (unsigned i = 0; i < 6; i++) {
        const struct pci_bar *b = &f->bars[i];
        uint64_t page;
        v_handle r;
        if (f->bar_frame[i] || !b->size || b->io || b->addr % V_PAGE_SIZE || b->size % V_PAGE_SIZE ||
            !(r = mmio_for(b->addr, b->size, &page)))
            continue;
        struct v_ret fr = carve(r, page, b->size / V_PAGE_SIZE);
        if (!fr.err)
            f->bar_frame[i] = (v_handle)fr.val;
    }
    if (f->nlines || !f->has_msix || !irq_all)
        return;
    uint64_t mask = 0;
    for (unsigned line = 0; line < 64 && f->nlines < LINES_PER_FN && f->nlines < f->msix.table_size;
         line++)
        if (msi_free & 1ull << line) {
            msi_free &= ~(1ull << line);
            mask |= 1ull << line;
            f->lines[f->nlines++] = (uint8_t)line;
        }
    struct v_ret ir = mask ? v_cap_mint(irq_all, V_SLOT_ANY, V_R_CONTROL | V_R_GRANT, mask)
                           : (struct v_ret){V_ENOMEM, 0};
    if (!ir.err)
        f->irq = (v_handle)ir.val;
}

/* Memory decode, bus mastering, MSI-X on (every entry still masked: the
 * driver programs and unmasks its own), INTx off. */
static void enable(struct fn *f)
{
    uint16_t cmd = pci_cfg_read16(&f->pc, PCI_COMMAND);
    pci_cfg_write16(&f->pc, PCI_COMMAND,
                    (uint16_t)(cmd | PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_DISABLE));
    if (f->has_msix) {
        uint16_t ctl = pci_cfg_read16(&f->pc, (uint16_t)(f->msix.off + 2));
        pci_cfg_write16(&f->pc, (uint16_t)(f->msix.off + 2),
                        (uint16_t)((ctl | PCI_MSIX_ENABLE) & ~PCI_MSIX_MASKALL));
    }
}

static void stop_dma(struct fn *f)
{
    uint16_t cmd = pci_cfg_read16(&f->pc, PCI_COMMAND);
    pci_cfg_write16(&f->pc, PCI_COMMAND, (uint16_t)(cmd & ~PCI_CMD_MASTER));
}

static void do_claim(struct ipc_conn *c, const struct ipc_msg *m)
{
    uint16_t k = DeviceManager_method_claim;
    struct capnp_msg msg;
    if (strcmp(c->peer, "init"))
        return reply_status(c, k, m->hdr.id, DeviceManager_Status_denied, 0, 0, 0);
    if (ipc_request_open(&msg, m))
        return ipc_reply_error(c, m->hdr.id);
    DeviceManager_claim_Params_R p = DeviceManager_claim_Params_read_root(&msg);
    struct capnp_text holder = DeviceManager_claim_Params_holder(p);
    struct capnp_text mt = DeviceManager_claim_Params_match(p);
    bool confined = DeviceManager_claim_Params_confined(p);
    struct pci_match match;
    if (capnp_msg_error(&msg) || !holder.len || holder.len >= IPC_NAME ||
        memchr(holder.str, 0, holder.len) || pci_match_parse(mt.str, mt.len, &match) != PCI_OK)
        return reply_status(c, k, m->hdr.id, DeviceManager_Status_badRequest, 0, 0, 0);
    if (confined && !iommu) {
        printf("devmgr: refusing '%.*s': it requires confined DMA and DMA is unconfined (no IOMMU)\n",
               (int)holder.len, holder.str);
        return reply_status(c, k, m->hdr.id, DeviceManager_Status_unconfined, 0, 0, 0);
    }
    struct fn *f = 0;
    for (unsigned i = 0; i < nfn && !f; i++)
        if (pci_match(&match, &fns[i].h) && strlen(fns[i].holder) == holder.len &&
            !memcmp(fns[i].holder, holder.str, holder.len))
            f = &fns[i];
    for (unsigned i = 0; i < nfn && !f; i++)
        if (pci_match(&match, &fns[i].h) && !fns[i].holder[0])
            f = &fns[i];
    if (!f)
        return reply_status(c, k, m->hdr.id, DeviceManager_Status_notFound, 0, 0, 0);
    reclaim(f);
    prepare(f);
    v_handle caps[IPC_MAX_CAPS];
    unsigned n = 0;
    struct v_ret r = v_cap_mint(f->cfg, V_SLOT_ANY, V_R_READ | V_R_CONTROL | V_R_GRANT, 0);
    if (r.err)
        return reply_status(c, k, m->hdr.id, DeviceManager_Status_noResources, 0, 0, 0);
    caps[n++] = (v_handle)r.val;
    if (f->irq && !(r = v_cap_copy(f->irq, V_SLOT_ANY)).err)
        caps[n++] = (v_handle)r.val;
    /* what does not fit beside them is not handed (and says so) */
    for (unsigned i = 0; i < 6; i++) {
        if (!f->bar_frame[i])
            continue;
        if (n == IPC_MAX_CAPS || (r = v_cap_mint(f->bar_frame[i], V_SLOT_ANY,
                                                 V_R_READ | V_R_WRITE | V_R_GRANT, 0)).err) {
            v_cap_delete(f->bar_frame[i]);
            f->bar_frame[i] = 0;
            continue;
        }
        caps[n++] = (v_handle)r.val;
    }
    if (n < 2 && f->irq) {      /* the IRQ capability could not be copied */
        v_cap_delete(f->irq);
        f->irq = 0;
        f->nlines = 0;
    }
    memcpy(f->holder, holder.str, holder.len);
    f->holder[holder.len] = 0;
    enable(f);
    printf("devmgr: %02x:%02x.%x %04x:%04x (%s) given to %s: %u lines, %u capabilities\n",
           f->bdf >> 8, f->bdf >> 3 & 31, f->bdf & 7, f->h.vendor, f->h.device, kind(f), f->holder,
           f->nlines, n);
    reply_status(c, k, m->hdr.id, DeviceManager_Status_ok, f, caps, n);
}

static void do_register(struct ipc_conn *c, const struct ipc_msg *m)
{
    uint16_t k = DeviceManager_method_registerDma;
    struct v_capinfo ci;
    if (m->ncaps != 1 || v_cap_info(m->caps[0], (uint64_t)&ci).err || ci.type != V_TYPE_DMA)
        return reply_status(c, k, m->hdr.id, DeviceManager_Status_badRequest, 0, 0, 0);
    for (unsigned i = 0; i < nfn; i++) {
        struct fn *f = &fns[i];
        if (f->bdf != (ci.arg & 0xffff) || strcmp(f->holder, c->peer))
            continue;
        if (f->dma)
            v_cap_delete(f->dma);
        f->dma = m->caps[0];
        f->dma_conn = c;
        return reply_status(c, k, m->hdr.id, DeviceManager_Status_ok, 0, 0, 0);
    }
    reply_status(c, k, m->hdr.id, DeviceManager_Status_denied, 0, 0, 0);
}

static void handle(struct ipc_server *s, struct ipc_conn *c, struct ipc_msg *m)
{
    (void)s;
    if (m->hdr.kind != DeviceManager_method_registerDma)
        for (unsigned i = 0; i < m->ncaps; i++)
            v_cap_delete(m->caps[i]);
    switch (m->hdr.kind) {
    case DeviceManager_method_list:
        return do_list(c, m);
    case DeviceManager_method_claim:
        return do_claim(c, m);
    case DeviceManager_method_registerDma:
        return do_register(c, m);
    }
    ipc_reply_error(c, m->hdr.id);
}

static void on_close(struct ipc_server *s, struct ipc_conn *c)
{
    (void)s;
    for (unsigned i = 0; i < nfn; i++)
        if (fns[i].dma_conn == c) {
            stop_dma(&fns[i]);
            v_cap_delete(fns[i].dma);
            fns[i].dma = 0;
            fns[i].dma_conn = 0;
            printf("devmgr: %s is gone: bus mastering of %02x:%02x.%x off until its next claim\n",
                   fns[i].holder, fns[i].bdf >> 8, fns[i].bdf >> 3 & 31, fns[i].bdf & 7);
        }
}

int main(void)
{
    v_handle listen = rt_cap("listen");
    static struct ipc_server srv;
    if (!listen || ipc_server_init(&srv, listen))
        return 2;
    ecam = rt_cap("ecam0");
    irq_all = rt_cap("irq");
    struct v_capinfo ci;
    if (irq_all && !v_cap_info(irq_all, (uint64_t)&ci).err)
        msi_free = ci.arg & ~0xffffull;
    /* init starts the holder of platform grants with the bootinfo's
     * platform.flags as its argument (user/init/device.c) */
    iommu = (rt_arg() & V_PLATFORM_IOMMU) != 0;
    if (ecam && !v_cap_info(ecam, (uint64_t)&ci).err) {
        ecam_first = (unsigned)(rt_arg() >> 32 & 0xff);
        ecam_buses = (unsigned)(ci.size >> 20);
        enumerate(ecam_first, 0);
    }
    unsigned nbus = 0;
    for (unsigned b = 0; b < 256; b++)
        nbus += scanned[b / 64] >> (b % 64) & 1;
    printf("devmgr: %u PCI functions on %u bus%s%s\n", nfn, nbus, nbus == 1 ? "" : "es",
           ecam ? "" : " (no ECAM window)");
    for (unsigned i = 0; i < nfn; i++) {
        const struct fn *f = &fns[i];
        printf("devmgr: %02x:%02x.%x %04x:%04x class %02x.%02x %s\n", f->bdf >> 8, f->bdf >> 3 & 31,
               f->bdf & 7, f->h.vendor, f->h.device, f->h.class_code, f->h.subclass, kind(f));
    }
    if (!iommu)
        printf("devmgr: no IOMMU: DMA is unconfined; drivers that require confinement are refused\n");
    srv.handle = handle;
    srv.on_close = on_close;
    rt_log(RT_LOG_INFO, "device manager: %u functions, DMA %s", nfn, iommu ? "confined" : "unconfined");
    ipc_serve(&srv, V_TIMEOUT_NEVER);
    return 0;
}
