/* test_pci: lib/pci against a simulated function's config space laid out
 * as QEMU's virtio-blk-pci (modern) lays it out, and against devices whose
 * BARs, capability lists and virtio capabilities lie. */
#include "vtest.h"
#include "vtest_util.h"
#include "pci/pci.h"

/* ---- A simulated function ------------------------------------------- */

struct fdev {
    uint8_t cfg[PCI_CFG_SIZE];
    uint64_t bar_size[6];       /* 0 = unimplemented */
    uint32_t bar_flags[6];      /* low bits hardwired: io, type, prefetch */
    unsigned reads, bad_access, decode_violations;
};

static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24); }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }

static uint32_t f_read(void *ctx, uint16_t off)
{
    struct fdev *d = ctx;
    d->reads++;
    if ((off & 3) || off >= PCI_CFG_SIZE) {
        d->bad_access++;
        return 0xffffffff;
    }
    return get32(d->cfg + off);
}

/* Which BAR (and which half) does a dword at off belong to? -1 if none. */
static int bar_of(const struct fdev *d, uint16_t off, bool *upper)
{
    if (off < PCI_BAR0 || off >= PCI_BAR0 + 24)
        return -1;
    int i = (off - PCI_BAR0) / 4;
    *upper = false;
    if (i > 0 && ((d->bar_flags[i - 1] & 7) == 4)) {
        *upper = true;
        return i - 1;
    }
    return i;
}

static void f_write(void *ctx, uint16_t off, uint32_t v)
{
    struct fdev *d = ctx;
    if ((off & 3) || off >= PCI_CFG_SIZE) {
        d->bad_access++;
        return;
    }
    bool upper;
    int b = bar_of(d, off, &upper);
    if (b >= 0) {
        uint64_t sz = d->bar_size[b];
        uint64_t mask = sz ? ~(sz - 1) : 0;
        uint16_t cmd = (uint16_t)get32(d->cfg + PCI_COMMAND);
        if (v == 0xffffffffu && (cmd & (PCI_CMD_IO | PCI_CMD_MEM)))
            d->decode_violations++;
        if (upper)
            put32(d->cfg + off, v & (uint32_t)(mask >> 32));
        else
            put32(d->cfg + off, (v & (uint32_t)mask & ((d->bar_flags[b] & 1) ? ~3u : ~0xfu)) |
                                    d->bar_flags[b]);
        return;
    }
    if (off == PCI_COMMAND) {
        /* status is RW1C: a 1 written clears it */
        uint32_t old = get32(d->cfg + off);
        uint32_t st = (old >> 16) & ~(v >> 16);
        put32(d->cfg + off, (v & 0xffff) | st << 16);
        return;
    }
    put32(d->cfg + off, v);
}

static struct pci_cfg cfg_of(struct fdev *d) { return (struct pci_cfg){f_read, f_write, d}; }

static void set_bar(struct fdev *d, int i, uint64_t addr, uint64_t size, uint32_t flags)
{
    d->bar_size[i] = size;
    d->bar_flags[i] = flags;
    put32(d->cfg + PCI_BAR0 + 4 * i, (uint32_t)addr | flags);
    if ((flags & 7) == 4)
        put32(d->cfg + PCI_BAR0 + 4 * i + 4, (uint32_t)(addr >> 32));
}

/* A virtio vendor capability at off. */
static void vcap(struct fdev *d, uint8_t off, uint8_t next, uint8_t len, uint8_t type, uint8_t bar,
                 uint32_t offset, uint32_t length)
{
    uint8_t *c = d->cfg + off;
    c[0] = PCI_CAP_VENDOR, c[1] = next, c[2] = len, c[3] = type, c[4] = bar;
    put32(c + 8, offset);
    put32(c + 12, length);
}

/* virtio-blk as QEMU 7.2 builds it with disable-legacy=on (device 0x1042;
 * compare the real, transitional one at the end of this file): MSI-X in BAR1, the virtio regions in a
 * 64-bit prefetchable BAR4, vendor capabilities chained from 0x84. */
static void virtio_blk(struct fdev *d)
{
    memset(d, 0, sizeof *d);
    put32(d->cfg, 0x10421af4);
    put32(d->cfg + PCI_COMMAND, 0x00100007);    /* caps in status; io|mem|master */
    put32(d->cfg + PCI_CLASS_REV, 0x01000001);  /* storage/SCSI, rev 1 */
    put32(d->cfg + 0x0c, 0);
    put32(d->cfg + PCI_SUBSYS, 0x11001af4);
    put32(d->cfg + PCI_INTERRUPT, 0x0000010b);
    set_bar(d, 0, 0xc080, 0x80, 1);             /* legacy I/O window */
    set_bar(d, 1, 0xfebd1000, 0x1000, 0);
    set_bar(d, 4, 0xfe000000, 0x4000, 0xc);     /* 64-bit, prefetchable */
    d->cfg[PCI_CAP_PTR] = 0x98;
    /* MSI-X: 2 vectors, table at BAR1+0, PBA at BAR1+0x800 */
    d->cfg[0x98] = PCI_CAP_MSIX, d->cfg[0x99] = 0x84;
    put16(d->cfg + 0x9a, 1);
    put32(d->cfg + 0x9c, 1);
    put32(d->cfg + 0xa0, 0x800 | 1);
    vcap(d, 0x84, 0x70, 20, PCI_VIRTIO_PCI_CFG, 0, 0, 0);
    vcap(d, 0x70, 0x60, 20, PCI_VIRTIO_NOTIFY, 4, 0x3000, 0x1000);
    put32(d->cfg + 0x70 + 16, 4);
    vcap(d, 0x60, 0x50, 16, PCI_VIRTIO_DEVICE, 4, 0x2000, 0x1000);
    vcap(d, 0x50, 0x40, 16, PCI_VIRTIO_ISR, 4, 0x1000, 0x1000);
    vcap(d, 0x40, 0x00, 16, PCI_VIRTIO_COMMON, 4, 0x0000, 0x1000);
}

static void probe_bars(struct fdev *d, struct pci_bar bars[6])
{
    struct pci_cfg c = cfg_of(d);
    memset(bars, 0, 6 * sizeof bars[0]);
    for (uint8_t i = 0; i < 6; i++) {
        enum pci_err e = pci_bar_probe(&c, 6, i, &bars[i]);
        CHECK(e == PCI_OK || e == PCI_ENOBAR);
        if (e == PCI_OK && bars[i].is64)
            i++;
    }
}

/* The virtio-blk function, its accessor and its probed BARs. */
static void fixture(struct fdev *d, struct pci_cfg *c, struct pci_bar bars[6])
{
    virtio_blk(d);
    *c = cfg_of(d);
    probe_bars(d, bars);
}

TEST(ecam_arithmetic)
{
    struct pci_ecam e = {0xb0000000, 0, 0, 0xff};
    uint64_t a;
    CHECK_EQ(pci_ecam_addr(&e, 0, 0, 0, 0, &a), PCI_OK);
    CHECK_EQ(a, 0xb0000000);
    CHECK_EQ(pci_ecam_addr(&e, 0x12, 0x1f, 7, 0xffc, &a), PCI_OK);
    CHECK_EQ(a, 0xb0000000 + (0x12ull << 20) + (0x1f << 15) + (7 << 12) + 0xffc);
    CHECK_EQ(pci_ecam_size(&e), 256ull << 20);
    CHECK_EQ(pci_ecam_addr(&e, 0, 32, 0, 0, &a), PCI_ERANGE);
    CHECK_EQ(pci_ecam_addr(&e, 0, 0, 8, 0, &a), PCI_ERANGE);
    CHECK_EQ(pci_ecam_addr(&e, 0, 0, 0, 4096, &a), PCI_ERANGE);
    struct pci_ecam part = {0xe0000000, 1, 0x10, 0x1f};
    CHECK_EQ(pci_ecam_addr(&part, 0x0f, 0, 0, 0, &a), PCI_ERANGE);
    CHECK_EQ(pci_ecam_addr(&part, 0x20, 0, 0, 0, &a), PCI_ERANGE);
    CHECK_EQ(pci_ecam_addr(&part, 0x10, 0, 0, 0, &a), PCI_OK);
    CHECK_EQ(a, 0xe1000000);   /* the base is bus 0's, even when the window starts later */
    CHECK_EQ(pci_ecam_size(&part), 16ull << 20);
}

TEST(header_decode)
{
    struct fdev d;
    virtio_blk(&d);
    struct pci_cfg c = cfg_of(&d);
    struct pci_header h;
    CHECK_EQ(pci_header_read(&c, &h), PCI_OK);
    CHECK_EQ(h.vendor, 0x1af4);
    CHECK_EQ(h.device, 0x1042);
    CHECK_EQ(h.class_code, 1);
    CHECK_EQ(h.revision, 1);
    CHECK_EQ(h.header_type, 0);
    CHECK(!h.multifunction);
    CHECK_EQ(h.nbars, 6);
    CHECK_EQ(h.cap_ptr, 0x98);
    CHECK_EQ(h.irq_pin, 1);
    CHECK_EQ(h.irq_line, 11);
    CHECK_EQ(pci_virtio_device_type(&h), 2);     /* block */
    h.device = 0x1001;                            /* transitional: subsystem id says */
    h.subsys_id = 2;
    CHECK_EQ(pci_virtio_device_type(&h), 2);
    h.device = 0x10f0;
    CHECK_EQ(pci_virtio_device_type(&h), 0);
    h.vendor = 0x8086;
    CHECK_EQ(pci_virtio_device_type(&h), 0);

    d.cfg[0x0e] = 0x81;                           /* multi-function bridge */
    put32(d.cfg + 0x18, 0x00050400);
    CHECK_EQ(pci_header_read(&c, &h), PCI_OK);
    CHECK_EQ(h.header_type, 1);
    CHECK(h.multifunction);
    CHECK_EQ(h.nbars, 2);
    CHECK_EQ(h.secondary_bus, 4);
    CHECK_EQ(h.subordinate_bus, 5);

    put32(d.cfg, 0xffffffff);
    CHECK_EQ(pci_header_read(&c, &h), PCI_ENODEV);
    CHECK_EQ(d.bad_access, 0);
}

TEST(bar_sizing_protocol)
{
    struct fdev d;
    virtio_blk(&d);
    uint8_t before[64];
    memcpy(before, d.cfg, 64);
    struct pci_bar b[6];
    probe_bars(&d, b);
    CHECK(b[0].io);
    CHECK_EQ(b[0].addr, 0xc080);
    CHECK_EQ(b[0].size, 0x80);
    CHECK(!b[1].io && !b[1].is64);
    CHECK_EQ(b[1].addr, 0xfebd1000);
    CHECK_EQ(b[1].size, 0x1000);
    CHECK_EQ(b[2].size, 0);
    CHECK(b[4].is64 && b[4].prefetchable);
    CHECK_EQ(b[4].addr, 0xfe000000);
    CHECK_EQ(b[4].size, 0x4000);
    /* Every BAR and the command register are as they were; decode was
     * never on while a BAR held all-ones. */
    CHECK_MEM(d.cfg, before, 64);
    CHECK_EQ(d.decode_violations, 0);
    CHECK_EQ(d.bad_access, 0);

    /* A 64-bit BAR above 4 GiB larger than 4 GiB. */
    set_bar(&d, 2, 0x4000000000ull, 0x200000000ull, 0x4);
    struct pci_cfg c = cfg_of(&d);
    struct pci_bar x;
    CHECK_EQ(pci_bar_probe(&c, 6, 2, &x), PCI_OK);
    CHECK_EQ(x.addr, 0x4000000000ull);
    CHECK_EQ(x.size, 0x200000000ull);
}

TEST(bar_hostile)
{
    struct pci_bar b;
    CHECK_EQ(pci_bar_decode(6, 0, 0, 0, 0, &b), PCI_EBAR);
    CHECK_EQ(pci_bar_decode(0, 0x6, 0, 0xfffffff6, 0, &b), PCI_EBAR);       /* reserved type 3 */
    CHECK_EQ(pci_bar_decode(5, 0x4, 0, 0xfffffff4, 0xffffffff, &b), PCI_EBAR); /* 64-bit in BAR 5 */
    CHECK_EQ(pci_bar_decode(0, 0, 0, 0, 0, &b), PCI_ENOBAR);
    CHECK_EQ(pci_bar_decode(0, 1, 0, 1, 0, &b), PCI_ENOBAR);
    /* A mask with holes: the lowest writable bit is the size. */
    CHECK_EQ(pci_bar_decode(0, 0xa0000000, 0, 0xf0f01000, 0, &b), PCI_OK);
    CHECK_EQ(b.size, 0x1000);
    /* 16-bit I/O decoder: upper half reads back zero. */
    CHECK_EQ(pci_bar_decode(0, 0xc001, 0, 0x0000ffe1, 0, &b), PCI_OK);
    CHECK_EQ(b.size, 0x20);
    /* Programmed address + size past 2^64. */
    CHECK_EQ(pci_bar_decode(0, 0xfffff004, 0xffffffff, 0xffffe004, 0xffffffff, &b), PCI_EBAR);
    struct fdev d;
    virtio_blk(&d);
    struct pci_cfg c = cfg_of(&d);
    CHECK_EQ(pci_bar_probe(&c, 6, 6, &b), PCI_EBAR);
    CHECK_EQ(pci_bar_probe(&c, 2, 2, &b), PCI_EBAR);       /* a bridge has two */
    set_bar(&d, 1, 0xfe000000, 0x1000, 0x4);
    CHECK_EQ(pci_bar_probe(&c, 2, 1, &b), PCI_EBAR);       /* 64-bit in a bridge's last BAR */
}

TEST(capability_walk)
{
    struct fdev d;
    virtio_blk(&d);
    struct pci_cfg c = cfg_of(&d);
    struct pci_cap_iter it = {0};
    struct pci_cap cap;
    uint8_t seen[8];
    unsigned n = 0;
    while (pci_cap_next(&c, &it, &cap) == PCI_OK && n < 8)
        seen[n++] = cap.off;
    CHECK_EQ(n, 6);
    CHECK_EQ(seen[0], 0x98);
    CHECK_EQ(seen[5], 0x40);
    it = (struct pci_cap_iter){0};
    CHECK_EQ(pci_cap_find(&c, &it, PCI_CAP_MSIX, &cap), PCI_OK);
    CHECK_EQ(cap.off, 0x98);
    it = (struct pci_cap_iter){0};
    CHECK_EQ(pci_cap_find(&c, &it, PCI_CAP_MSI, &cap), PCI_ENOTFOUND);

    /* No list when the status bit is clear, whatever the pointer says. */
    put32(d.cfg + PCI_COMMAND, 0x7);
    it = (struct pci_cap_iter){0};
    CHECK_EQ(pci_cap_next(&c, &it, &cap), PCI_EEND);
}

TEST(capability_list_lies)
{
    struct fdev d;
    struct pci_cfg c = cfg_of(&d);
    struct pci_cap_iter it;
    struct pci_cap cap;
    /* A cycle through the middle of the list. */
    virtio_blk(&d);
    d.cfg[0x41] = 0x70;
    it = (struct pci_cap_iter){0};
    CHECK_EQ(pci_cap_find(&c, &it, 0x77, &cap), PCI_ELOOP);
    /* A self-loop, with the reserved low bits set to hide it. */
    virtio_blk(&d);
    d.cfg[0x99] = 0x9b;
    it = (struct pci_cap_iter){0};
    CHECK_EQ(pci_cap_find(&c, &it, 0x77, &cap), PCI_ELOOP);
    /* Into the header. */
    virtio_blk(&d);
    d.cfg[0x41] = 0x3c;
    it = (struct pci_cap_iter){0};
    CHECK_EQ(pci_cap_find(&c, &it, 0x77, &cap), PCI_ECAP);
    /* Every possible 48-long chain ends: the walk never exceeds 48 steps. */
    virtio_blk(&d);
    d.cfg[PCI_CAP_PTR] = 0x40;
    for (unsigned p = 0x40; p < 0x100; p += 4)
        d.cfg[p] = 0x77, d.cfg[p + 1] = (uint8_t)(p + 4 == 0x100 ? 0x40 : p + 4);
    it = (struct pci_cap_iter){0};
    unsigned steps = 0;
    enum pci_err e;
    while ((e = pci_cap_next(&c, &it, &cap)) == PCI_OK)
        steps++;
    CHECK_EQ(e, PCI_ELOOP);
    CHECK_EQ(steps, 48);
    /* Random lists: the walk always ends with a named result, in bounds. */
    uint64_t rng = 0xc0ffee;
    for (int round = 0; round < 2000; round++) {
        virtio_blk(&d);
        for (unsigned p = 0x34; p < 0x100; p++)
            if (vtest_xorshift64(&rng) % 3 == 0)
                d.cfg[p] = (uint8_t)vtest_xorshift64(&rng);
        it = (struct pci_cap_iter){0};
        steps = 0;
        while ((e = pci_cap_next(&c, &it, &cap)) == PCI_OK)
            CHECK(++steps <= 48 && cap.off >= 0x40 && (cap.off & 3) == 0);
        CHECK(e == PCI_EEND || e == PCI_ELOOP || e == PCI_ECAP);
        struct pci_virtio_layout l;
        struct pci_bar bars[6];
        probe_bars(&d, bars);
        (void)pci_virtio_layout_read(&c, bars, &l);
        (void)pci_virtio_layout_read(&c, NULL, &l);
    }
    CHECK_EQ(d.bad_access, 0);
}

TEST(msi_and_msix)
{
    struct fdev d;
    struct pci_cfg c;
    struct pci_bar bars[6];
    fixture(&d, &c, bars);
    struct pci_cap_iter it = {0};
    struct pci_cap cap;
    CHECK_EQ(pci_cap_find(&c, &it, PCI_CAP_MSIX, &cap), PCI_OK);
    struct pci_msix x;
    CHECK_EQ(pci_msix_read(&c, &cap, &x), PCI_OK);
    CHECK_EQ(x.table_size, 2);
    CHECK_EQ(x.table_bir, 1);
    CHECK_EQ(x.table_off, 0);
    CHECK_EQ(x.pba_bir, 1);
    CHECK_EQ(x.pba_off, 0x800);
    CHECK(!x.enabled);
    CHECK_EQ(pci_msix_check(&x, bars), PCI_OK);
    x.table_size = 2048;                          /* 32 KiB of table in a 4 KiB BAR */
    CHECK_EQ(pci_msix_check(&x, bars), PCI_EBAR);
    x.table_size = 2, x.pba_off = 0xffc;          /* PBA's 8 bytes cross the end */
    CHECK_EQ(pci_msix_check(&x, bars), PCI_EBAR);
    x.pba_off = 0, x.table_bir = 2;               /* unimplemented BAR */
    CHECK_EQ(pci_msix_check(&x, bars), PCI_ENOBAR);
    x.table_bir = 0;                              /* I/O BAR */
    CHECK_EQ(pci_msix_check(&x, bars), PCI_EBAR);
    put32(d.cfg + 0x9c, 6);                       /* BIR 6 */
    CHECK_EQ(pci_msix_read(&c, &cap, &x), PCI_ECAP);
    struct pci_cap wrong = {PCI_CAP_MSIX, 0xf8};  /* 12 bytes do not fit */
    CHECK_EQ(pci_msix_read(&c, &wrong, &x), PCI_ECAP);

    /* MSI, 64-bit with per-vector masking, 4 vectors, at 0xe0. */
    d.cfg[0xe0] = PCI_CAP_MSI;
    put16(d.cfg + 0xe2, 0x0184);
    struct pci_cap m = {PCI_CAP_MSI, 0xe0};
    struct pci_msi msi;
    CHECK_EQ(pci_msi_read(&c, &m, &msi), PCI_OK);
    CHECK(msi.is64 && msi.per_vector_mask && !msi.enabled);
    CHECK_EQ(msi.vectors_log2, 2);
    CHECK_EQ(msi.addr_lo, 0xe4);
    CHECK_EQ(msi.addr_hi, 0xe8);
    CHECK_EQ(msi.data, 0xec);
    CHECK_EQ(msi.mask, 0xf0);
    CHECK_EQ(msi.pending, 0xf4);
    put16(d.cfg + 0xe2, 0x0000);                  /* 32-bit, no masking */
    CHECK_EQ(pci_msi_read(&c, &m, &msi), PCI_OK);
    CHECK_EQ(msi.data, 0xe8);
    CHECK_EQ(msi.addr_hi, 0);
    CHECK_EQ(msi.mask, 0);
    put16(d.cfg + 0xe2, 0x000c);                  /* 64 vectors: not in the spec */
    CHECK_EQ(pci_msi_read(&c, &m, &msi), PCI_ECAP);
    d.cfg[0xf0] = PCI_CAP_MSI;                    /* 24 bytes at 0xf0 run off the end */
    put16(d.cfg + 0xf2, 0x0180);
    CHECK_EQ(pci_msi_read(&c, &(struct pci_cap){PCI_CAP_MSI, 0xf0}, &msi), PCI_ECAP);
}

TEST(virtio_layout)
{
    struct fdev d;
    struct pci_cfg c;
    struct pci_bar bars[6];
    fixture(&d, &c, bars);
    struct pci_virtio_layout l;
    CHECK_EQ(pci_virtio_layout_read(&c, bars, &l), PCI_OK);
    CHECK(l.common.present && l.notify.present && l.isr.present && l.device.present);
    CHECK_EQ(l.common.bar, 4);
    CHECK_EQ(l.common.offset, 0);
    CHECK_EQ(l.isr.offset, 0x1000);
    CHECK_EQ(l.device.offset, 0x2000);
    CHECK_EQ(l.notify.offset, 0x3000);
    CHECK_EQ(l.notify_off_multiplier, 4);
    uint64_t at;
    CHECK_EQ(pci_virtio_notify_at(&l, 0, &at), PCI_OK);
    CHECK_EQ(at, 0x3000);
    CHECK_EQ(pci_virtio_notify_at(&l, 3, &at), PCI_OK);
    CHECK_EQ(at, 0x300c);
    CHECK_EQ(pci_virtio_notify_at(&l, 1023, &at), PCI_OK);
    CHECK_EQ(pci_virtio_notify_at(&l, 1024, &at), PCI_EVIRTIO);   /* past the region */
    CHECK_EQ(pci_virtio_notify_at(&l, 0xffff, &at), PCI_EVIRTIO);

    /* A second common capability is ignored: the first one wins. */
    vcap(&d, 0xc0, 0x84, 16, PCI_VIRTIO_COMMON, 4, 0x100, 0x38);
    d.cfg[0x99] = 0xc0;
    CHECK_EQ(pci_virtio_layout_read(&c, bars, &l), PCI_OK);
    CHECK_EQ(l.common.offset, 0x100);
    /* One naming a reserved BAR is skipped, and the next one used. */
    d.cfg[0xc4] = 7;
    CHECK_EQ(pci_virtio_layout_read(&c, bars, &l), PCI_OK);
    CHECK_EQ(l.common.offset, 0);
}

TEST(virtio_layout_lies)
{
    struct fdev d;
    struct pci_cfg c = cfg_of(&d);
    struct pci_bar bars[6];
    struct pci_virtio_layout l;
#define LIE(stmt)                                                      \
    do {                                                               \
        virtio_blk(&d);                                                \
        probe_bars(&d, bars);                                          \
        stmt;                                                          \
        CHECK_EQ(pci_virtio_layout_read(&c, bars, &l), PCI_EVIRTIO);   \
    } while (0)
    LIE(put32(d.cfg + 0x40 + 12, 0x37));            /* common cfg too short */
    LIE(put32(d.cfg + 0x40 + 8, 0x3800));           /* common cfg past BAR4 */
    LIE(put32(d.cfg + 0x40 + 8, 0xfffffff0));       /* offset + length wraps 32 bits */
    LIE((d.cfg[0x44] = 1, put32(d.cfg + 0x4c, 0x1004))); /* 4 bytes more than BAR1 */
    LIE(d.cfg[0x44] = 0);                           /* names the I/O BAR */
    LIE(d.cfg[0x44] = 2);                           /* names an unimplemented BAR */
    LIE(d.cfg[0x72] = 16);                          /* notify cap without its multiplier */
    LIE(put32(d.cfg + 0x70 + 16, 6));               /* multiplier not a power of two */
    LIE(d.cfg[0x42] = 8);                           /* capability shorter than its header */
    LIE(d.cfg[0x51] = 0);                           /* no common cap reachable */
    LIE((d.cfg[0x53] = 0x42));                      /* ISR cap is of an unknown type */
    LIE(put32(d.cfg + 0x70 + 12, 1));               /* notify region below 2 bytes */
#undef LIE
    /* A capability that runs past config space. */
    virtio_blk(&d);
    probe_bars(&d, bars);
    d.cfg[0x41] = 0xf8;
    vcap(&d, 0xf8, 0, 16, PCI_VIRTIO_COMMON, 4, 0, 0x1000);
    CHECK_EQ(pci_virtio_layout_read(&c, bars, &l), PCI_EVIRTIO);
    /* A loop in the list surfaces as the loop. */
    virtio_blk(&d);
    d.cfg[0x41] = 0x98;
    CHECK_EQ(pci_virtio_layout_read(&c, bars, &l), PCI_ELOOP);
    CHECK_EQ(d.bad_access, 0);
    CHECK(pci_err_name(PCI_ELOOP)[4] == 'E');
}

/* ---- Real config space ----------------------------------------------
 * The first 256 bytes of 00:02.0 (virtio-blk-pci) and 00:03.0
 * (virtio-rng-pci) of QEMU 7.2 q35 after SeaBIOS assigned the BARs, read
 * through ECAM with the monitor:
 *   qemu-system-x86_64 -machine q35 -device intel-iommu -nodefaults -monitor stdio \
 *     -drive if=none,id=d0,file=disk.img,format=raw \
 *     -device virtio-blk-pci,drive=d0,addr=2.0 -device virtio-rng-pci,addr=3.0
 *   (qemu) xp /64xw 0xb0010000        (and 0xb0018000)
 * BAR sizes from `info pci`: BAR0 I/O 0x80 (blk) / 0x20 (rng), BAR1 4 KiB,
 * BAR4 64-bit prefetchable 16 KiB. These are transitional devices (ids
 * 0x1001, 0x1005; the type in the subsystem id) with modern capabilities. */
static const uint32_t qemu_blk_cfg[64] = {
    0x10011af4, 0x00100107, 0x01000000, 0x00000000,
    0x0000c001, 0xfebfd000, 0x00000000, 0x00000000,
    0xfebf400c, 0x00000000, 0x00000000, 0x00021af4,
    0x00000000, 0x00000098, 0x00000000, 0x0000010b,
    0x01100009, 0x00000004, 0x00000000, 0x00001000,
    0x03104009, 0x00000004, 0x00001000, 0x00001000,
    0x04105009, 0x00000004, 0x00002000, 0x00001000,
    0x02146009, 0x00000004, 0x00003000, 0x00001000,
    0x00000004, 0x05147009, 0x00000000, 0x00000000,
    0x00000000, 0x00000000, 0x00018411, 0x00000001,
    0x00000801, 0x00000000, 0x00000000, 0x00000000,
    0x00000000, 0x00000000, 0x00000000, 0x00000000,
    0x00000000, 0x00000000, 0x00000000, 0x00000000,
    0x00000000, 0x00000000, 0x00000000, 0x00000000,
    0x00000000, 0x00000000, 0x00000000, 0x00000000,
    0x00000000, 0x00000000, 0x00000000, 0x00000000,
};
static const uint32_t qemu_rng_cfg[64] = {
    0x10051af4, 0x00100103, 0x00ff0000, 0x00000000,
    0x0000c0c1, 0xfebfe000, 0x00000000, 0x00000000,
    0xfebf800c, 0x00000000, 0x00000000, 0x00041af4,
    0x00000000, 0x00000098, 0x00000000, 0x0000010b,
    0x01100009, 0x00000004, 0x00000000, 0x00001000,
    0x03104009, 0x00000004, 0x00001000, 0x00001000,
    0x04105009, 0x00000004, 0x00002000, 0x00001000,
    0x02146009, 0x00000004, 0x00003000, 0x00001000,
    0x00000004, 0x05147009, 0x00000000, 0x00000000,
    0x00000000, 0x00000000, 0x00018411, 0x00000001,
    0x00000801, 0x00000000, 0x00000000, 0x00000000,
    0x00000000, 0x00000000, 0x00000000, 0x00000000,
    0x00000000, 0x00000000, 0x00000000, 0x00000000,
    0x00000000, 0x00000000, 0x00000000, 0x00000000,
    0x00000000, 0x00000000, 0x00000000, 0x00000000,
    0x00000000, 0x00000000, 0x00000000, 0x00000000,
};

static void load_real(struct fdev *d, const uint32_t *dw, uint64_t io_size)
{
    memset(d, 0, sizeof *d);
    for (int i = 0; i < 64; i++)
        put32(d->cfg + 4 * i, dw[i]);
    d->bar_size[0] = io_size, d->bar_flags[0] = 1;
    d->bar_size[1] = 0x1000;
    d->bar_size[4] = 0x4000, d->bar_flags[4] = 0xc;
}

static void check_real(const uint32_t *dw, uint64_t io_size, uint16_t type, uint8_t class_code)
{
    struct fdev d;
    load_real(&d, dw, io_size);
    struct pci_cfg c = cfg_of(&d);
    struct pci_header h;
    CHECK_EQ(pci_header_read(&c, &h), PCI_OK);
    CHECK_EQ(h.vendor, PCI_VIRTIO_VENDOR);
    CHECK_EQ(pci_virtio_device_type(&h), type);
    CHECK_EQ(h.class_code, class_code);
    CHECK_EQ(h.irq_pin, 1);
    struct pci_bar bars[6];
    probe_bars(&d, bars);
    CHECK(bars[0].io);
    CHECK_EQ(bars[0].size, io_size);
    CHECK_EQ(bars[1].size, 0x1000);
    CHECK(bars[4].is64 && bars[4].prefetchable);
    CHECK_EQ(bars[4].size, 0x4000);
    CHECK_EQ(bars[4].addr, dw[8] & ~0xfu);
    for (int i = 0; i < 16; i++)   /* the sizing protocol left the header as it was */
        CHECK_EQ(get32(d.cfg + 4 * i), dw[i]);
    CHECK_EQ(d.decode_violations, 0);
    struct pci_cap_iter it = {0};
    struct pci_cap cap;
    CHECK_EQ(pci_cap_find(&c, &it, PCI_CAP_MSIX, &cap), PCI_OK);
    struct pci_msix x;
    CHECK_EQ(pci_msix_read(&c, &cap, &x), PCI_OK);
    CHECK_EQ(x.table_size, 2);
    CHECK_EQ(x.table_bir, 1);
    CHECK_EQ(x.pba_off, 0x800);
    CHECK_EQ(pci_msix_check(&x, bars), PCI_OK);
    struct pci_virtio_layout l;
    CHECK_EQ(pci_virtio_layout_read(&c, bars, &l), PCI_OK);
    CHECK_EQ(l.common.bar, 4);
    CHECK_EQ(l.common.length, 0x1000);
    CHECK_EQ(l.isr.offset, 0x1000);
    CHECK_EQ(l.device.offset, 0x2000);
    CHECK_EQ(l.notify.offset, 0x3000);
    CHECK_EQ(l.notify_off_multiplier, 4);
    CHECK_EQ(d.bad_access, 0);
}

TEST(qemu_virtio_blk_config_space)
{
    check_real(qemu_blk_cfg, 0x80, 2, 1);
}

TEST(qemu_virtio_rng_config_space)
{
    check_real(qemu_rng_cfg, 0x20, 4, 0);   /* class 0x00, subclass 0xff */
}

/* The manifest's device matches: exactly "pci:VVVV:DDDD" or "class:CC:SS". */
TEST(driver_match)
{
    struct pci_match m;
    struct pci_header blk = {.vendor = 0x1af4, .device = 0x1042, .class_code = 0x01, .subclass = 0x00};
    CHECK_EQ(pci_match_parse("pci:1af4:1042", 13, &m), PCI_OK);
    CHECK(!m.by_class && m.a == 0x1af4 && m.b == 0x1042);
    CHECK(pci_match(&m, &blk));
    CHECK_EQ(pci_match_parse("pci:1AF4:1041", 13, &m), PCI_OK);
    CHECK(!pci_match(&m, &blk));
    CHECK_EQ(pci_match_parse("class:1:0", 9, &m), PCI_OK);
    CHECK(m.by_class && m.a == 1 && m.b == 0);
    CHECK(pci_match(&m, &blk));
    struct pci_header none = blk;
    none.vendor = 0xffff;
    CHECK(!pci_match(&m, &none));        /* nothing answers: never a match */
    static const char *const bad[] = {
        "", "pci", "pci:", "pci:1af4", "pci:1af4:", "pci::1042", "pci:1af41:1042",
        "pci:1af4:10420", "pci:0x1a:1042", "pci:1af4:1042:", "pci:1af4 :1042", "pci:1af4:104g",
        "class:001:00", "class:01:000", "class:01", "Class:01:00", "usb:1:2", "pci:1af4:1042\n",
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ(pci_match_parse(bad[i], strlen(bad[i]), &m), PCI_EMATCH);
    CHECK_EQ(pci_match_parse("pci:1af4:1042", 9, &m), PCI_EMATCH);   /* the length rules, not the NUL */
    CHECK_EQ(pci_match_parse("pci:1af4:10\0002", 14, &m), PCI_EMATCH);
}
