/*
 * pci.c: see pci.h.
 */
#include "pci/pci.h"

const char *pci_err_name(enum pci_err e)
{
    static const char *const names[] = {
        "PCI_OK", "PCI_ENODEV", "PCI_ERANGE", "PCI_EBAR", "PCI_ENOBAR",
        "PCI_ECAP", "PCI_ELOOP", "PCI_ENOTFOUND", "PCI_EVIRTIO", "PCI_EEND", "PCI_EMATCH",
    };
    return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "PCI_E?";
}

/* Every access goes through here: aligned, inside the 4 KiB function. */
static uint32_t rd32(const struct pci_cfg *c, uint16_t off)
{
    return c->read32(c->ctx, (uint16_t)(off & (PCI_CFG_SIZE - 4)));
}

static void wr32(const struct pci_cfg *c, uint16_t off, uint32_t v)
{
    c->write32(c->ctx, (uint16_t)(off & (PCI_CFG_SIZE - 4)), v);
}

uint8_t pci_cfg_read8(const struct pci_cfg *c, uint16_t off)
{
    return (uint8_t)(rd32(c, off) >> (8 * (off & 3)));
}

uint16_t pci_cfg_read16(const struct pci_cfg *c, uint16_t off)
{
    return (uint16_t)(rd32(c, off) >> (8 * (off & 2)));
}

void pci_cfg_write16(const struct pci_cfg *c, uint16_t off, uint16_t val)
{
    unsigned sh = 8 * (off & 2);
    uint32_t v = rd32(c, off);
    /* The status register (upper half of dword 4) is write-1-to-clear:
     * writing back what was read would clear pending error bits. */
    if ((off & ~3u) == PCI_COMMAND)
        v &= 0x0000ffffu;
    v = (v & ~(0xffffu << sh)) | (uint32_t)val << sh;
    wr32(c, off, v);
}

/* ---- ECAM ------------------------------------------------------------- */

enum pci_err pci_ecam_addr(const struct pci_ecam *e, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t reg,
                           uint64_t *out)
{
    if (bus < e->start_bus || bus > e->end_bus || dev > 31 || fn > 7 || reg >= PCI_CFG_SIZE)
        return PCI_ERANGE;
    *out = e->base + ((uint64_t)bus << 20 | (uint64_t)dev << 15 | (uint64_t)fn << 12 | reg);
    return PCI_OK;
}

uint64_t pci_ecam_size(const struct pci_ecam *e)
{
    return e->end_bus < e->start_bus ? 0 : (uint64_t)(e->end_bus - e->start_bus + 1) << 20;
}

/* ---- Header ----------------------------------------------------------- */

enum pci_err pci_header_read(const struct pci_cfg *c, struct pci_header *h)
{
    uint32_t id = rd32(c, PCI_VENDOR);
    if ((id & 0xffff) == 0xffff)
        return PCI_ENODEV;
    uint32_t cs = rd32(c, PCI_COMMAND), cr = rd32(c, PCI_CLASS_REV), bh = rd32(c, 0x0c);
    uint32_t irq = rd32(c, PCI_INTERRUPT);
    *h = (struct pci_header){
        .vendor = (uint16_t)id, .device = (uint16_t)(id >> 16),
        .command = (uint16_t)cs, .status = (uint16_t)(cs >> 16),
        .revision = (uint8_t)cr, .prog_if = (uint8_t)(cr >> 8),
        .subclass = (uint8_t)(cr >> 16), .class_code = (uint8_t)(cr >> 24),
        .header_type = (uint8_t)((bh >> 16) & 0x7f), .multifunction = (bh >> 23) & 1,
        .irq_line = (uint8_t)irq, .irq_pin = (uint8_t)(irq >> 8),
    };
    if (h->status & PCI_STATUS_CAPS)
        h->cap_ptr = (uint8_t)(rd32(c, PCI_CAP_PTR) & 0xfc);
    if (h->header_type == 0) {
        uint32_t ss = rd32(c, PCI_SUBSYS);
        h->subsys_vendor = (uint16_t)ss;
        h->subsys_id = (uint16_t)(ss >> 16);
        h->nbars = 6;
    } else if (h->header_type == 1) {
        uint32_t b = rd32(c, 0x18);
        h->secondary_bus = (uint8_t)(b >> 8);
        h->subordinate_bus = (uint8_t)(b >> 16);
        h->nbars = 2;
    }
    return PCI_OK;
}

/* ---- BARs ------------------------------------------------------------- */

enum pci_err pci_bar_decode(uint8_t index, uint32_t orig_lo, uint32_t orig_hi, uint32_t probe_lo,
                            uint32_t probe_hi, struct pci_bar *out)
{
    if (index > 5)
        return PCI_EBAR;
    *out = (struct pci_bar){.index = index};
    if (orig_lo & 1) {
        /* I/O: the upper 16 bits of the mask may read back as zero on
         * devices that decode only 16-bit port addresses. */
        uint32_t m = probe_lo & ~3u;
        if ((m & 0xffff0000u) == 0 && m)
            m |= 0xffff0000u;
        if (m == 0)
            return PCI_ENOBAR;
        out->io = true;
        out->addr = orig_lo & ~3u;
        out->size = m & -m;
        return PCI_OK;
    }
    unsigned type = (orig_lo >> 1) & 3;
    if (type == 3 || (type == 2 && index == 5))
        return PCI_EBAR;
    out->prefetchable = (orig_lo >> 3) & 1;
    out->is64 = type == 2;
    uint64_t m = probe_lo & ~0xfu;
    out->addr = orig_lo & ~0xfu;
    if (out->is64) {
        m |= (uint64_t)probe_hi << 32;
        out->addr |= (uint64_t)orig_hi << 32;
    }
    if (m == 0)
        return PCI_ENOBAR;
    /* Hardware ties address bits below the size to zero, so the lowest
     * writable bit is the size, whatever a broken device does above it. */
    out->size = m & -m;
    if (out->addr > UINT64_MAX - out->size + 1)
        return PCI_EBAR;
    return PCI_OK;
}

/* Write all-ones into the BAR at off, read what sticks, restore. */
static uint32_t bar_probe_one(const struct pci_cfg *c, uint16_t off, uint32_t orig)
{
    wr32(c, off, 0xffffffffu);
    uint32_t p = rd32(c, off);
    wr32(c, off, orig);
    return p;
}

enum pci_err pci_bar_probe(const struct pci_cfg *c, uint8_t nbars, uint8_t index, struct pci_bar *out)
{
    if (index >= nbars || nbars > 6)
        return PCI_EBAR;
    uint16_t off = (uint16_t)(PCI_BAR0 + 4 * index);
    uint32_t lo = rd32(c, off), hi = 0, plo, phi = 0;
    bool is64 = !(lo & 1) && ((lo >> 1) & 3) == 2;
    if (is64 && index + 1 >= nbars)
        return PCI_EBAR;
    uint16_t cmd = pci_cfg_read16(c, PCI_COMMAND);
    pci_cfg_write16(c, PCI_COMMAND, (uint16_t)(cmd & ~(PCI_CMD_IO | PCI_CMD_MEM)));
    plo = bar_probe_one(c, off, lo);
    if (is64) {
        hi = rd32(c, (uint16_t)(off + 4));
        phi = bar_probe_one(c, (uint16_t)(off + 4), hi);
    }
    pci_cfg_write16(c, PCI_COMMAND, cmd);
    return pci_bar_decode(index, lo, hi, plo, phi, out);
}

/* ---- Capabilities ----------------------------------------------------- */

enum pci_err pci_cap_next(const struct pci_cfg *c, struct pci_cap_iter *it, struct pci_cap *out)
{
    if (!it->started) {
        it->started = true;
        it->seen = 0;
        it->next = (pci_cfg_read16(c, PCI_STATUS) & PCI_STATUS_CAPS) ? pci_cfg_read8(c, PCI_CAP_PTR) : 0;
    }
    /* The low two bits of a capability pointer are reserved (PCI 3.0 §6.7). */
    uint16_t p = it->next & 0xfc;
    if (p == 0)
        return PCI_EEND;
    if (p < 0x40)
        return PCI_ECAP;
    uint64_t bit = 1ull << ((p - 0x40) / 4);
    if (it->seen & bit)
        return PCI_ELOOP;
    it->seen |= bit;
    uint32_t d = rd32(c, p);
    out->id = (uint8_t)d;
    out->off = (uint8_t)p;
    it->next = (uint8_t)(d >> 8);
    return PCI_OK;
}

enum pci_err pci_cap_find(const struct pci_cfg *c, struct pci_cap_iter *it, uint8_t id, struct pci_cap *out)
{
    enum pci_err e;
    while ((e = pci_cap_next(c, it, out)) == PCI_OK)
        if (out->id == id)
            return PCI_OK;
    return e == PCI_EEND ? PCI_ENOTFOUND : e;
}

/* ---- MSI / MSI-X ------------------------------------------------------ */

enum pci_err pci_msi_read(const struct pci_cfg *c, const struct pci_cap *cap, struct pci_msi *out)
{
    if (cap->id != PCI_CAP_MSI)
        return PCI_ECAP;
    uint16_t ctl = pci_cfg_read16(c, (uint16_t)(cap->off + 2));
    *out = (struct pci_msi){
        .off = cap->off, .enabled = ctl & 1, .is64 = (ctl >> 7) & 1,
        .per_vector_mask = (ctl >> 8) & 1, .vectors_log2 = (uint8_t)((ctl >> 1) & 7),
    };
    if (out->vectors_log2 > 5)
        return PCI_ECAP;    /* 32 vectors at most */
    unsigned o = cap->off, d = out->is64 ? o + 12 : o + 8;
    unsigned end = out->per_vector_mask ? d + 12 : d + 2;
    if (end > 0x100)
        return PCI_ECAP;
    out->addr_lo = (uint8_t)(o + 4);
    out->addr_hi = out->is64 ? (uint8_t)(o + 8) : 0;
    out->data = (uint8_t)d;
    if (out->per_vector_mask) {
        out->mask = (uint8_t)(d + 4);
        out->pending = (uint8_t)(d + 8);
    }
    return PCI_OK;
}

enum pci_err pci_msix_read(const struct pci_cfg *c, const struct pci_cap *cap, struct pci_msix *out)
{
    if (cap->id != PCI_CAP_MSIX || cap->off + 12u > 0x100)
        return PCI_ECAP;
    uint16_t ctl = pci_cfg_read16(c, (uint16_t)(cap->off + 2));
    uint32_t t = rd32(c, (uint16_t)(cap->off + 4)), p = rd32(c, (uint16_t)(cap->off + 8));
    *out = (struct pci_msix){
        .off = cap->off, .enabled = (ctl & PCI_MSIX_ENABLE) != 0,
        .function_mask = (ctl & PCI_MSIX_MASKALL) != 0, .table_size = (uint16_t)((ctl & 0x7ff) + 1),
        .table_bir = (uint8_t)(t & 7), .table_off = t & ~7u,
        .pba_bir = (uint8_t)(p & 7), .pba_off = p & ~7u,
    };
    if (out->table_bir > 5 || out->pba_bir > 5)
        return PCI_ECAP;
    return PCI_OK;
}

/* Does [off, off+len) lie inside an implemented memory BAR? */
static enum pci_err in_bar(const struct pci_bar bars[6], uint8_t bir, uint64_t off, uint64_t len)
{
    const struct pci_bar *b = &bars[bir];
    if (b->size == 0)
        return PCI_ENOBAR;
    if (b->io || off > b->size || len > b->size - off)
        return PCI_EBAR;
    return PCI_OK;
}

enum pci_err pci_msix_check(const struct pci_msix *m, const struct pci_bar bars[6])
{
    enum pci_err e = in_bar(bars, m->table_bir, m->table_off, (uint64_t)m->table_size * PCI_MSIX_ENTRY_SIZE);
    if (e != PCI_OK)
        return e;
    return in_bar(bars, m->pba_bir, m->pba_off, ((uint64_t)m->table_size + 63) / 64 * 8);
}

/* ---- virtio-pci ------------------------------------------------------- */

#define VCAP_LEN 16u
#define VCAP_NOTIFY_LEN 20u

static enum pci_err virtio_region_check(const struct pci_virtio_region *r, const struct pci_bar *bars,
                                        uint32_t min)
{
    if (!r->present)
        return PCI_OK;
    if (r->length < min)
        return PCI_EVIRTIO;
    if (bars && in_bar(bars, r->bar, r->offset, r->length) != PCI_OK)
        return PCI_EVIRTIO;
    return PCI_OK;
}

enum pci_err pci_virtio_layout_read(const struct pci_cfg *c, const struct pci_bar bars[6],
                                    struct pci_virtio_layout *out)
{
    *out = (struct pci_virtio_layout){0};
    struct pci_cap_iter it = {0};
    struct pci_cap cap;
    enum pci_err e;
    while ((e = pci_cap_find(c, &it, PCI_CAP_VENDOR, &cap)) == PCI_OK) {
        uint32_t d0 = rd32(c, cap.off), d1 = rd32(c, (uint16_t)(cap.off + 4));
        uint8_t len = (uint8_t)(d0 >> 16), type = (uint8_t)(d0 >> 24), bar = (uint8_t)d1;
        if (len < VCAP_LEN || cap.off + (unsigned)len > 0x100)
            return PCI_EVIRTIO;
        if (bar > 5)
            continue;   /* reserved BAR values: the driver must ignore the capability */
        struct pci_virtio_region *r = type == PCI_VIRTIO_COMMON ? &out->common
                                    : type == PCI_VIRTIO_NOTIFY ? &out->notify
                                    : type == PCI_VIRTIO_ISR    ? &out->isr
                                    : type == PCI_VIRTIO_DEVICE ? &out->device : NULL;
        if (!r || r->present)
            continue;   /* unknown type, or not the first of its type */
        if (type == PCI_VIRTIO_NOTIFY) {
            if (len < VCAP_NOTIFY_LEN)
                return PCI_EVIRTIO;
            uint32_t m = rd32(c, (uint16_t)(cap.off + 16));
            if (m & (m - 1))
                return PCI_EVIRTIO;   /* must be 0 or a power of two */
            out->notify_off_multiplier = m;
        }
        r->present = true;
        r->bar = bar;
        r->offset = rd32(c, (uint16_t)(cap.off + 8));
        r->length = rd32(c, (uint16_t)(cap.off + 12));
    }
    if (e != PCI_ENOTFOUND)
        return e;
    if (!out->common.present || !out->notify.present || !out->isr.present)
        return PCI_EVIRTIO;
    if ((e = virtio_region_check(&out->common, bars, PCI_VIRTIO_COMMON_MIN)) != PCI_OK ||
        (e = virtio_region_check(&out->notify, bars, 2)) != PCI_OK ||
        (e = virtio_region_check(&out->isr, bars, 1)) != PCI_OK ||
        (e = virtio_region_check(&out->device, bars, 1)) != PCI_OK)
        return e;
    return PCI_OK;
}

enum pci_err pci_virtio_notify_at(const struct pci_virtio_layout *l, uint16_t queue_notify_off, uint64_t *bar_off)
{
    uint64_t rel = (uint64_t)queue_notify_off * l->notify_off_multiplier;
    if (!l->notify.present || l->notify.length < 2 || rel > l->notify.length - 2u)
        return PCI_EVIRTIO;
    *bar_off = l->notify.offset + rel;
    return PCI_OK;
}

uint16_t pci_virtio_device_type(const struct pci_header *h)
{
    if (h->vendor != PCI_VIRTIO_VENDOR)
        return 0;
    if (h->device >= 0x1040 && h->device <= 0x107f)
        return (uint16_t)(h->device - 0x1040);
    if (h->device >= 0x1000 && h->device <= 0x103f)
        return h->subsys_id;
    return 0;
}

/* ---- Driver matching -------------------------------------------------- */

/* 1..max hex digits from s[*i] up to the next ':' or the end. */
static bool hex_field(const char *s, size_t len, size_t *i, unsigned max, uint16_t *out)
{
    unsigned n = 0;
    uint16_t v = 0;
    for (; *i < len && s[*i] != ':'; (*i)++, n++) {
        char c = s[*i];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
        if (d == 16 || n == max)
            return false;
        v = (uint16_t)(v << 4 | d);
    }
    *out = v;
    return n > 0;
}

enum pci_err pci_match_parse(const char *s, size_t len, struct pci_match *out)
{
    static const char pci[] = "pci:", cls[] = "class:";
    size_t i;
    bool by_class;
    if (len >= 4 && s[0] == pci[0] && s[1] == pci[1] && s[2] == pci[2] && s[3] == pci[3])
        i = 4, by_class = false;
    else if (len >= 6 && s[0] == cls[0] && s[1] == cls[1] && s[2] == cls[2] && s[3] == cls[3] &&
             s[4] == cls[4] && s[5] == cls[5])
        i = 6, by_class = true;
    else
        return PCI_EMATCH;
    unsigned digits = by_class ? 2 : 4;
    uint16_t a, b;
    if (!hex_field(s, len, &i, digits, &a) || i == len || s[i++] != ':' ||
        !hex_field(s, len, &i, digits, &b) || i != len)
        return PCI_EMATCH;
    *out = (struct pci_match){by_class, a, b};
    return PCI_OK;
}

bool pci_match(const struct pci_match *m, const struct pci_header *h)
{
    if (h->vendor == 0xffff)
        return false;
    return m->by_class ? h->class_code == m->a && h->subclass == m->b
                       : h->vendor == m->a && h->device == m->b;
}
