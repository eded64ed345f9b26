/*
 * virtio.c: see virtio.h.
 */
#include "virtio/virtio.h"
#include "virtio/virtq.h"

const char *virtio_err_name(enum virtio_err e)
{
    static const char *const names[] = {
        "VIRTIO_OK", "VIRTIO_ELEGACY", "VIRTIO_EFEATURES", "VIRTIO_EREFUSED", "VIRTIO_ENEEDS_RESET",
        "VIRTIO_ETIMEOUT", "VIRTIO_EQUEUE", "VIRTIO_ESTATE", "VIRTIO_EMSIX", "VIRTIO_EINVAL",
    };
    return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "VIRTIO_E?";
}

static uint32_t rd(const struct virtio_regs *r, uint32_t off, unsigned w) { return r->read(r->ctx, off, w); }
static void wr(const struct virtio_regs *r, uint32_t off, unsigned w, uint32_t v) { r->write(r->ctx, off, w, v); }

static uint8_t status(const struct virtio_regs *r) { return (uint8_t)rd(r, VIRTIO_COMMON_STATUS, 1); }

/* Add bits to the status as §3.1.1 does: write back what was read, plus. */
static uint8_t status_set(const struct virtio_regs *r, uint8_t bits)
{
    uint8_t s = (uint8_t)(status(r) | bits);
    wr(r, VIRTIO_COMMON_STATUS, 1, s);
    return s;
}

void virtio_fail(const struct virtio_regs *r) { status_set(r, VIRTIO_STATUS_FAILED); }

static enum virtio_err fail(const struct virtio_regs *r, enum virtio_err e)
{
    virtio_fail(r);
    return e;
}

enum virtio_err virtio_reset(const struct virtio_regs *r, uint32_t spins)
{
    wr(r, VIRTIO_COMMON_STATUS, 1, 0);
    for (uint32_t i = 0; i < spins; i++)
        if (status(r) == 0)
            return VIRTIO_OK;
    return VIRTIO_ETIMEOUT;
}

enum virtio_err virtio_negotiate(const struct virtio_regs *r, uint64_t supported, uint64_t required,
                                 uint64_t *accepted)
{
    *accepted = 0;
    status_set(r, VIRTIO_STATUS_ACKNOWLEDGE);
    status_set(r, VIRTIO_STATUS_DRIVER);
    uint64_t dev = 0;
    for (uint32_t sel = 0; sel < 2; sel++) {
        wr(r, VIRTIO_COMMON_DFSELECT, 4, sel);
        dev |= (uint64_t)rd(r, VIRTIO_COMMON_DF, 4) << (32 * sel);
    }
    if (!(dev & VIRTIO_F_VERSION_1))
        return fail(r, VIRTIO_ELEGACY);
    required |= VIRTIO_F_VERSION_1;
    if ((dev & required) != required)
        return fail(r, VIRTIO_EFEATURES);
    uint64_t acc = dev & (supported | required);
    for (uint32_t sel = 0; sel < 2; sel++) {
        wr(r, VIRTIO_COMMON_GFSELECT, 4, sel);
        wr(r, VIRTIO_COMMON_GF, 4, (uint32_t)(acc >> (32 * sel)));
    }
    *accepted = acc;
    status_set(r, VIRTIO_STATUS_FEATURES_OK);
    uint8_t s = status(r);
    if (s & VIRTIO_STATUS_NEEDS_RESET)
        return fail(r, VIRTIO_ENEEDS_RESET);
    if (!(s & VIRTIO_STATUS_FEATURES_OK))
        return fail(r, VIRTIO_EREFUSED);
    return VIRTIO_OK;
}

enum virtio_err virtio_queue_probe(const struct virtio_regs *r, uint16_t index, uint16_t wanted,
                                   struct virtio_queue_info *out)
{
    if (wanted == 0 || (wanted & (wanted - 1)))
        return VIRTIO_EINVAL;
    if (index >= (uint16_t)rd(r, VIRTIO_COMMON_NUMQ, 2))
        return VIRTIO_EQUEUE;
    wr(r, VIRTIO_COMMON_Q_SELECT, 2, index);
    uint16_t max = (uint16_t)rd(r, VIRTIO_COMMON_Q_SIZE, 2);
    if (max == 0)
        return VIRTIO_EQUEUE;    /* §4.1.4.3: 0 means the queue is unavailable */
    if ((uint16_t)rd(r, VIRTIO_COMMON_Q_ENABLE, 2) != 0)
        return VIRTIO_ESTATE;
    /* Largest power of two <= min(wanted, max): split queues need one,
     * and a device may advertise a max that is not. */
    uint16_t n = wanted < max ? wanted : max;
    while (n & (n - 1))
        n &= (uint16_t)(n - 1);
    out->size = n;
    out->notify_off = (uint16_t)rd(r, VIRTIO_COMMON_Q_NOFF, 2);
    return VIRTIO_OK;
}

static void wr64(const struct virtio_regs *r, uint32_t off, uint64_t v)
{
    wr(r, off, 4, (uint32_t)v);
    wr(r, off + 4, 4, (uint32_t)(v >> 32));
}

enum virtio_err virtio_queue_enable(const struct virtio_regs *r, uint16_t index, uint16_t size, uint64_t desc,
                                    uint64_t driver, uint64_t device, uint16_t msix_vector)
{
    /* §2.7: descriptor table 16-, available ring 2-, used ring 4-aligned. */
    if (size == 0 || (size & (size - 1)) || (desc & 15) || (driver & 1) || (device & 3))
        return VIRTIO_EINVAL;
    if (index >= (uint16_t)rd(r, VIRTIO_COMMON_NUMQ, 2))
        return VIRTIO_EQUEUE;
    wr(r, VIRTIO_COMMON_Q_SELECT, 2, index);
    if ((uint16_t)rd(r, VIRTIO_COMMON_Q_ENABLE, 2) != 0)
        return VIRTIO_ESTATE;
    uint16_t max = (uint16_t)rd(r, VIRTIO_COMMON_Q_SIZE, 2);
    if (max == 0 || size > max)
        return VIRTIO_EQUEUE;
    wr(r, VIRTIO_COMMON_Q_SIZE, 2, size);
    wr64(r, VIRTIO_COMMON_Q_DESC, desc);
    wr64(r, VIRTIO_COMMON_Q_DRIVER, driver);
    wr64(r, VIRTIO_COMMON_Q_DEVICE, device);
    if (msix_vector != VIRTIO_MSI_NO_VECTOR) {
        wr(r, VIRTIO_COMMON_Q_MSIX, 2, msix_vector);
        if ((uint16_t)rd(r, VIRTIO_COMMON_Q_MSIX, 2) != msix_vector)
            return VIRTIO_EMSIX;
    }
    wr(r, VIRTIO_COMMON_Q_ENABLE, 2, 1);
    return VIRTIO_OK;
}

enum virtio_err virtio_driver_ok(const struct virtio_regs *r)
{
    uint8_t s = status(r);
    if (!(s & VIRTIO_STATUS_FEATURES_OK) || (s & VIRTIO_STATUS_FAILED))
        return VIRTIO_ESTATE;
    status_set(r, VIRTIO_STATUS_DRIVER_OK);
    if (status(r) & VIRTIO_STATUS_NEEDS_RESET)
        return fail(r, VIRTIO_ENEEDS_RESET);
    return VIRTIO_OK;
}

enum virtio_err virtio_config_read(const struct virtio_regs *r, void (*read)(void *ctx), void *ctx,
                                   uint32_t tries)
{
    for (uint32_t i = 0; i < tries; i++) {
        uint8_t before = (uint8_t)rd(r, VIRTIO_COMMON_CFGGEN, 1);
        read(ctx);
        if ((uint8_t)rd(r, VIRTIO_COMMON_CFGGEN, 1) == before)
            return VIRTIO_OK;
    }
    return VIRTIO_ETIMEOUT;
}

enum virtio_err virtio_blk_segs(uint32_t type, uint64_t sector, uint64_t capacity, uint64_t hdr_addr,
                                uint64_t data_addr, uint32_t data_len, uint64_t status_addr,
                                struct virtq_seg segs[3], unsigned *nout, unsigned *nin)
{
    segs[0] = (struct virtq_seg){hdr_addr, sizeof(struct virtio_blk_req)};
    if (type == VIRTIO_BLK_T_FLUSH) {
        if (data_len != 0)
            return VIRTIO_EINVAL;
        segs[1] = (struct virtq_seg){status_addr, 1};
        *nout = 1, *nin = 1;
        return VIRTIO_OK;
    }
    if (type != VIRTIO_BLK_T_IN && type != VIRTIO_BLK_T_OUT)
        return VIRTIO_EINVAL;
    uint64_t count = data_len / VIRTIO_BLK_SECTOR;
    if (data_len == 0 || data_len % VIRTIO_BLK_SECTOR || sector > capacity || count > capacity - sector)
        return VIRTIO_EINVAL;
    segs[1] = (struct virtq_seg){data_addr, data_len};
    segs[2] = (struct virtq_seg){status_addr, 1};
    /* IN: the device writes the data; OUT: it reads it. */
    *nout = type == VIRTIO_BLK_T_OUT ? 2 : 1;
    *nin = type == VIRTIO_BLK_T_OUT ? 1 : 2;
    return VIRTIO_OK;
}
