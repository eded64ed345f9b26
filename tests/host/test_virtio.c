/* test_virtio: lib/virtio's modern-PCI handshake against a simulated
 * common configuration (honest, legacy-only, refusing, lying), and the
 * virtio-blk request builder. */
#include "vtest.h"
#include "virtio/virtio.h"

/* The device side of struct virtio_pci_common_cfg. */
struct cdev {
    uint64_t features;        /* offered */
    uint64_t driver;          /* written by the driver */
    uint32_t dfsel, gfsel;
    uint8_t status;
    uint8_t cfggen;
    uint16_t numq, qsel;
    uint16_t qmax[4], qsize[4], qmsix[4], qenable[4], qnoff[4];
    uint64_t qdesc[4], qdrv[4], qdev[4];
    /* Misbehaviour switches. */
    bool refuse_features;     /* clears FEATURES_OK */
    bool stuck_reset;         /* status never reads 0 */
    bool needs_reset;         /* sets DEVICE_NEEDS_RESET when DRIVER_OK is written */
    bool no_msix;             /* vectors read back NO_VECTOR */
    int cfggen_bumps;         /* config generation changes on this many reads */
    unsigned bad_access;      /* offsets past the structure, wrong widths */
};

static unsigned width_at(uint32_t off)
{
    if (off == VIRTIO_COMMON_STATUS || off == VIRTIO_COMMON_CFGGEN)
        return 1;
    if (off < VIRTIO_COMMON_MSIX || off >= VIRTIO_COMMON_Q_DESC)
        return 4;
    return 2;
}

static uint32_t c_read(void *ctx, uint32_t off, unsigned w)
{
    struct cdev *d = ctx;
    if (off >= VIRTIO_COMMON_LEN || w != width_at(off)) {
        d->bad_access++;
        return 0xffffffff;
    }
    unsigned q = d->qsel < 4 ? d->qsel : 0;
    switch (off) {
    case VIRTIO_COMMON_DF: return d->dfsel < 2 ? (uint32_t)(d->features >> (32 * d->dfsel)) : 0;
    case VIRTIO_COMMON_NUMQ: return d->numq;
    case VIRTIO_COMMON_STATUS: return d->stuck_reset ? 1 : d->status;
    case VIRTIO_COMMON_CFGGEN:
        if (d->cfggen_bumps > 0) {
            d->cfggen_bumps--;
            d->cfggen++;
        }
        return d->cfggen;
    case VIRTIO_COMMON_Q_SIZE: return d->qsel < d->numq ? d->qsize[q] : 0;
    case VIRTIO_COMMON_Q_MSIX: return d->qmsix[q];
    case VIRTIO_COMMON_Q_ENABLE: return d->qenable[q];
    case VIRTIO_COMMON_Q_NOFF: return d->qnoff[q];
    default: return 0;
    }
}

static void c_write(void *ctx, uint32_t off, unsigned w, uint32_t v)
{
    struct cdev *d = ctx;
    if (off >= VIRTIO_COMMON_LEN || w != width_at(off)) {
        d->bad_access++;
        return;
    }
    unsigned q = d->qsel < 4 ? d->qsel : 0;
    switch (off) {
    case VIRTIO_COMMON_DFSELECT: d->dfsel = v; break;
    case VIRTIO_COMMON_GFSELECT: d->gfsel = v; break;
    case VIRTIO_COMMON_GF:
        if (d->gfsel < 2)
            d->driver = (d->driver & ~(0xffffffffull << (32 * d->gfsel))) | (uint64_t)v << (32 * d->gfsel);
        break;
    case VIRTIO_COMMON_STATUS:
        if (v == 0) {
            d->status = 0;
            d->driver = 0;
            for (int i = 0; i < 4; i++)
                d->qenable[i] = 0, d->qsize[i] = d->qmax[i];
            break;
        }
        if ((v & VIRTIO_STATUS_FEATURES_OK) && d->refuse_features)
            v &= ~VIRTIO_STATUS_FEATURES_OK;
        if ((v & VIRTIO_STATUS_DRIVER_OK) && d->needs_reset)
            v |= VIRTIO_STATUS_NEEDS_RESET;
        d->status = (uint8_t)v;
        break;
    case VIRTIO_COMMON_Q_SELECT: d->qsel = (uint16_t)v; break;
    case VIRTIO_COMMON_Q_SIZE: d->qsize[q] = (uint16_t)v; break;
    case VIRTIO_COMMON_Q_MSIX: d->qmsix[q] = d->no_msix ? VIRTIO_MSI_NO_VECTOR : (uint16_t)v; break;
    case VIRTIO_COMMON_Q_ENABLE: d->qenable[q] = (uint16_t)v; break;
    case VIRTIO_COMMON_Q_DESC: d->qdesc[q] = (d->qdesc[q] & ~0xffffffffull) | v; break;
    case VIRTIO_COMMON_Q_DESC + 4: d->qdesc[q] = (d->qdesc[q] & 0xffffffffull) | (uint64_t)v << 32; break;
    case VIRTIO_COMMON_Q_DRIVER: d->qdrv[q] = (d->qdrv[q] & ~0xffffffffull) | v; break;
    case VIRTIO_COMMON_Q_DRIVER + 4: d->qdrv[q] = (d->qdrv[q] & 0xffffffffull) | (uint64_t)v << 32; break;
    case VIRTIO_COMMON_Q_DEVICE: d->qdev[q] = (d->qdev[q] & ~0xffffffffull) | v; break;
    case VIRTIO_COMMON_Q_DEVICE + 4: d->qdev[q] = (d->qdev[q] & 0xffffffffull) | (uint64_t)v << 32; break;
    default: break;
    }
}

/* virtio-blk as QEMU offers it: VERSION_1, EVENT_IDX, INDIRECT, FLUSH,
 * BLK_SIZE, SEG_MAX, ACCESS_PLATFORM (with an IOMMU); one queue of 256. */
static struct cdev blk(void)
{
    struct cdev d = {
        .features = VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX | VIRTIO_F_INDIRECT_DESC |
                    VIRTIO_F_ACCESS_PLATFORM | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_BLK_SIZE |
                    VIRTIO_BLK_F_SEG_MAX | (1ull << 40),
        .numq = 1, .qmax = {256}, .qsize = {256}, .qnoff = {0},
    };
    return d;
}

static struct virtio_regs regs_of(struct cdev *d) { return (struct virtio_regs){c_read, c_write, d}; }

TEST(handshake)
{
    struct cdev d = blk();
    struct virtio_regs r = regs_of(&d);
    d.status = 0x0f;
    CHECK_EQ(virtio_reset(&r, 10), VIRTIO_OK);
    CHECK_EQ(d.status, 0);
    uint64_t acc;
    CHECK_EQ(virtio_negotiate(&r, VIRTIO_F_EVENT_IDX | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_RO,
                              VIRTIO_F_ACCESS_PLATFORM, &acc), VIRTIO_OK);
    /* Only what we asked for and the device offered; never INDIRECT or bit 40. */
    CHECK_EQ(acc, VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX | VIRTIO_BLK_F_FLUSH | VIRTIO_F_ACCESS_PLATFORM);
    CHECK_EQ(d.driver, acc);
    CHECK_EQ(d.status, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);

    struct virtio_queue_info qi;
    CHECK_EQ(virtio_queue_probe(&r, 0, 128, &qi), VIRTIO_OK);
    CHECK_EQ(qi.size, 128);
    CHECK_EQ(virtio_queue_enable(&r, 0, qi.size, 0x10000, 0x10800, 0x11000, 1), VIRTIO_OK);
    CHECK_EQ(d.qsize[0], 128);
    CHECK_EQ(d.qdesc[0], 0x10000);
    CHECK_EQ(d.qdrv[0], 0x10800);
    CHECK_EQ(d.qdev[0], 0x11000);
    CHECK_EQ(d.qmsix[0], 1);
    CHECK_EQ(d.qenable[0], 1);
    CHECK_EQ(virtio_driver_ok(&r), VIRTIO_OK);
    CHECK(d.status & VIRTIO_STATUS_DRIVER_OK);
    /* Enabling twice is out of order. */
    CHECK_EQ(virtio_queue_probe(&r, 0, 128, &qi), VIRTIO_ESTATE);
    CHECK_EQ(virtio_queue_enable(&r, 0, 128, 0x10000, 0x10800, 0x11000, 1), VIRTIO_ESTATE);
    CHECK_EQ(d.bad_access, 0);
    /* 64-bit ring addresses go in two halves. */
    d = blk();
    CHECK_EQ(virtio_queue_enable(&r, 0, 256, 0x123400000000ull, 0x123400001000ull, 0x1234000f0000ull,
                                 VIRTIO_MSI_NO_VECTOR), VIRTIO_OK);
    CHECK_EQ(d.qdesc[0], 0x123400000000ull);
    CHECK_EQ(d.qdev[0], 0x1234000f0000ull);
    CHECK_EQ(d.qmsix[0], 0);              /* NO_VECTOR: not written */
}

TEST(refuses_legacy)
{
    struct cdev d = blk();
    d.features &= ~VIRTIO_F_VERSION_1;
    struct virtio_regs r = regs_of(&d);
    uint64_t acc;
    CHECK_EQ(virtio_negotiate(&r, ~0ull, 0, &acc), VIRTIO_ELEGACY);
    CHECK_EQ(acc, 0);
    CHECK(d.status & VIRTIO_STATUS_FAILED);
    CHECK(!(d.status & VIRTIO_STATUS_FEATURES_OK));
    CHECK_EQ(d.driver, 0);                /* no features were written */
}

TEST(feature_failures)
{
    struct cdev d = blk();
    struct virtio_regs r = regs_of(&d);
    uint64_t acc;
    CHECK_EQ(virtio_negotiate(&r, 0, VIRTIO_BLK_F_RO, &acc), VIRTIO_EFEATURES);
    CHECK(d.status & VIRTIO_STATUS_FAILED);
    d = blk();
    d.refuse_features = true;
    CHECK_EQ(virtio_negotiate(&r, VIRTIO_F_EVENT_IDX, 0, &acc), VIRTIO_EREFUSED);
    CHECK(d.status & VIRTIO_STATUS_FAILED);
    CHECK_EQ(acc, VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX);
    d = blk();
    d.needs_reset = true;
    CHECK_EQ(virtio_negotiate(&r, 0, 0, &acc), VIRTIO_OK);
    CHECK_EQ(virtio_driver_ok(&r), VIRTIO_ENEEDS_RESET);
    CHECK(d.status & VIRTIO_STATUS_FAILED);
    d = blk();
    CHECK_EQ(virtio_driver_ok(&r), VIRTIO_ESTATE);   /* before FEATURES_OK */
    d = blk();
    d.stuck_reset = true;
    CHECK_EQ(virtio_reset(&r, 100), VIRTIO_ETIMEOUT);
}

TEST(queue_failures)
{
    struct cdev d = blk();
    struct virtio_regs r = regs_of(&d);
    struct virtio_queue_info qi;
    CHECK_EQ(virtio_queue_probe(&r, 1, 128, &qi), VIRTIO_EQUEUE);     /* only one queue */
    CHECK_EQ(virtio_queue_probe(&r, 0, 100, &qi), VIRTIO_EINVAL);     /* not a power of two */
    CHECK_EQ(virtio_queue_probe(&r, 0, 0, &qi), VIRTIO_EINVAL);
    d.numq = 2;                                                        /* queue 1 exists, size 0 */
    CHECK_EQ(virtio_queue_probe(&r, 1, 128, &qi), VIRTIO_EQUEUE);
    d.qsize[0] = 100;                                                  /* device max not 2^n */
    CHECK_EQ(virtio_queue_probe(&r, 0, 1024, &qi), VIRTIO_OK);
    CHECK_EQ(qi.size, 64);
    d.qsize[0] = 256;
    CHECK_EQ(virtio_queue_enable(&r, 0, 512, 0x10000, 0x12000, 0x13000, 0), VIRTIO_EQUEUE);  /* > max */
    CHECK_EQ(virtio_queue_enable(&r, 0, 96, 0x10000, 0x12000, 0x13000, 0), VIRTIO_EINVAL);
    CHECK_EQ(virtio_queue_enable(&r, 0, 64, 0x10008, 0x12000, 0x13000, 0), VIRTIO_EINVAL);   /* desc align */
    CHECK_EQ(virtio_queue_enable(&r, 0, 64, 0x10000, 0x12001, 0x13000, 0), VIRTIO_EINVAL);
    CHECK_EQ(virtio_queue_enable(&r, 0, 64, 0x10000, 0x12000, 0x13002, 0), VIRTIO_EINVAL);
    CHECK_EQ(virtio_queue_enable(&r, 2, 64, 0x10000, 0x12000, 0x13000, 0), VIRTIO_EQUEUE);
    d.no_msix = true;
    CHECK_EQ(virtio_queue_enable(&r, 0, 64, 0x10000, 0x12000, 0x13000, 3), VIRTIO_EMSIX);
    CHECK_EQ(d.qenable[0], 0);             /* never enabled with a vector it refused */
    CHECK_EQ(d.bad_access, 0);
}

static void snap(void *ctx) { (*(int *)ctx)++; }

TEST(config_generation)
{
    struct cdev d = blk();
    struct virtio_regs r = regs_of(&d);
    int reads = 0;
    CHECK_EQ(virtio_config_read(&r, snap, &reads, 4), VIRTIO_OK);
    CHECK_EQ(reads, 1);
    reads = 0;
    d.cfggen_bumps = 3;                    /* changes under the first reads */
    CHECK_EQ(virtio_config_read(&r, snap, &reads, 4), VIRTIO_OK);
    CHECK(reads >= 2);
    d.cfggen_bumps = 1000;                 /* never settles */
    CHECK_EQ(virtio_config_read(&r, snap, &reads, 4), VIRTIO_ETIMEOUT);
}

TEST(blk_requests)
{
    struct virtq_seg s[3];
    unsigned nout, nin;
    CHECK_EQ(virtio_blk_segs(VIRTIO_BLK_T_IN, 8, 2048, 0x1000, 0x2000, 4096, 0x1010, s, &nout, &nin), VIRTIO_OK);
    CHECK_EQ(nout, 1);
    CHECK_EQ(nin, 2);
    CHECK_EQ(s[0].len, 16);
    CHECK_EQ(s[1].addr, 0x2000);
    CHECK_EQ(s[1].len, 4096);
    CHECK_EQ(s[2].len, 1);
    CHECK_EQ(virtio_blk_segs(VIRTIO_BLK_T_OUT, 2040, 2048, 0x1000, 0x2000, 4096, 0x1010, s, &nout, &nin),
             VIRTIO_OK);                   /* the last 8 sectors */
    CHECK_EQ(nout, 2);
    CHECK_EQ(nin, 1);
    CHECK_EQ(virtio_blk_segs(VIRTIO_BLK_T_OUT, 2041, 2048, 0x1000, 0x2000, 4096, 0x1010, s, &nout, &nin),
             VIRTIO_EINVAL);               /* one sector past the end */
    CHECK_EQ(virtio_blk_segs(VIRTIO_BLK_T_IN, UINT64_MAX, UINT64_MAX, 0, 0, 512, 0, s, &nout, &nin),
             VIRTIO_EINVAL);               /* sector + count overflows */
    CHECK_EQ(virtio_blk_segs(VIRTIO_BLK_T_IN, 0, 2048, 0, 0, 0, 0, s, &nout, &nin), VIRTIO_EINVAL);
    CHECK_EQ(virtio_blk_segs(VIRTIO_BLK_T_IN, 0, 2048, 0, 0, 513, 0, s, &nout, &nin), VIRTIO_EINVAL);
    CHECK_EQ(virtio_blk_segs(VIRTIO_BLK_T_GET_ID, 0, 2048, 0, 0, 512, 0, s, &nout, &nin), VIRTIO_EINVAL);
    CHECK_EQ(virtio_blk_segs(VIRTIO_BLK_T_FLUSH, 0, 2048, 0x1000, 0, 0, 0x1010, s, &nout, &nin), VIRTIO_OK);
    CHECK_EQ(nout, 1);
    CHECK_EQ(nin, 1);
    CHECK_EQ(s[1].addr, 0x1010);
    CHECK_EQ(virtio_blk_segs(VIRTIO_BLK_T_FLUSH, 0, 2048, 0, 0, 512, 0, s, &nout, &nin), VIRTIO_EINVAL);
    CHECK_STR(virtio_err_name(VIRTIO_ELEGACY), "VIRTIO_ELEGACY");
    CHECK_STR(virtq_err_name(VIRTQ_EDEV_LEN), "VIRTQ_EDEV_LEN");
}
