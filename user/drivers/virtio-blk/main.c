/*
 * virtio-blk: the block driver Task (schema/block.capnp, docs/DEVICES.md).
 *
 * It holds only its device (user/lib/rt/vd.dev.h: the read-only configuration
 * frame, the BAR frames, its MSI lines, the DMA space it makes from the
 * configuration frame) and serves Block to its clients. The device is a
 * virtio 1.x modern PCI function driven through lib/virtio: feature
 * negotiation (FLUSH, RO, EVENT_IDX and ACCESS_PLATFORM, which an IOMMU
 * needs, when offered), one split queue of QSIZE descriptors, MSI-X for
 * the queue (polling every millisecond if the grant has no MSI line).
 *
 * Data path: a client attaches a frame; the driver maps that frame for
 * the device only (it never maps client data itself) and each read or
 * write becomes one three-descriptor chain: the request header and the
 * status byte live in the driver's own DMA page, the data segment points
 * into the client's frame. Many requests are in flight at once (up to
 * Block.maxInFlight per connection, VREQ_MAX in all).
 *
 * Invariants:
 *   - Every used-ring entry is checked twice: by lib/virtq (head in
 *     flight, length within the chain) and by lib/virtio/vreq (the token
 *     names a live request of this generation), so a reply is sent at
 *     most once; the status byte is read once.
 *   - A device that lies, or sets NEEDS_RESET, is reset (which stops its
 *     DMA) before anything else happens; every request still in flight is
 *     then answered deviceLost exactly once (virtq_drain), and the device
 *     is set up again.
 *   - A client's frame stays mapped for the device until no request in
 *     flight uses it, even after the client is gone.
 *   - If this Task dies, clients see their connection close; the client
 *     library fails what was in flight (blk.h), never completes it.
 *
 * Start argument 1 is the DMA-escape test: one read aimed at a device
 * address outside every mapping, reported, then normal service.
 */
#include <stdio.h>
#include <string.h>

#include "dev.h"
#include "ipc.h"
#include "logc.h"
#include "rt.h"
#include "schema/block.capnp.h"
#include "virtio/virtio.h"
#include "virtio/vreq.h"

#define QSIZE 64
#define QBIT 40
#define MAX_BUFS 32
#define MAX_TRANSFER (1u << 20)
#define STATUS_OFF 2048          /* status bytes after the 64 16-byte headers */

static struct rt_virtio vd;
static uint64_t capacity;
static struct virtq_slot slots[QSIZE];
static volatile uint8_t *reqmem;
static uint64_t reqmem_dev;
static struct vreq_table reqs;
static bool broken;
static struct ipc_server srv;

struct buf {
    bool used, closing;
    uint32_t owner;
    uint16_t id;
    v_handle frame;
    uint64_t daddr, bytes;
};
static struct buf bufs[MAX_BUFS];
static uint32_t owner_of[IPC_MAX_CONNS], next_owner = 1;
static uint16_t next_buf_id = 1;

/* ---- device access ---------------------------------------------------- */

static void read_capacity(void *ctx)
{
    volatile uint32_t *c = (volatile uint32_t *)rt_virtio_region(&vd, &vd.lay.device);
    *(uint64_t *)ctx = (uint64_t)c[1] << 32 | c[0];
}

/* Reset, negotiate, one queue, DRIVER_OK, the disk's size. Also after
 * a device was lost. */
static int device_setup(const char **why)
{
    enum virtio_err e = VIRTIO_OK;
    if (rt_virtio_setup(&vd, VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_RO | VIRTIO_F_EVENT_IDX, QSIZE, why))
        return -1;
    if (!vd.lay.device.present || vd.lay.device.length < 8 ||
        (e = virtio_config_read(&vd.regs, read_capacity, &capacity, 16))) {
        *why = e ? virtio_err_name(e) : "no device configuration region of 8 bytes";
        virtio_fail(&vd.regs);
        return -1;
    }
    broken = false;
    return 0;
}

/* ---- replies ------------------------------------------------------------ */

static struct ipc_conn *conn_of(uint32_t owner)
{
    for (unsigned i = 0; i < IPC_MAX_CONNS; i++)
        if (srv.used[i] && owner_of[i] == owner)
            return &srv.conns[i];
    return 0;
}

static uint32_t owner(struct ipc_conn *c)
{
    unsigned i = (unsigned)(c - srv.conns);
    if (!owner_of[i])
        owner_of[i] = next_owner++;
    return owner_of[i];
}

static void reply_st(struct ipc_conn *c, uint16_t method, uint64_t id, enum Block_Status st)
{
    uint8_t buf[64];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    /* read, write, flush and detach results are all (status) */
    Block_read_Results_set_status(Block_read_Results_build_root(&b), st);
    ipc_reply_built(c, method, id, &b);
}

/* Buffers of clients that left, once the device has given them back. */
static void reap(void)
{
    for (unsigned i = 0; i < MAX_BUFS; i++)
        if (bufs[i].used && bufs[i].closing && !vreq_using(&reqs, bufs[i].owner, bufs[i].id)) {
            v_as_unmap(bufs[i].frame);
            v_cap_delete(bufs[i].frame);
            bufs[i].used = false;
        }
}

static const uint16_t op_method[] = {Block_method_read, Block_method_write, Block_method_flush};

static void finish(const struct vreq *r, enum Block_Status st)
{
    struct ipc_conn *c = conn_of(r->owner);
    if (c)
        reply_st(c, op_method[r->op], r->client_id, st);
}

/* The device broke the protocol: stop it, fail what it held, start over. */
static void device_lost(const char *what)
{
    rt_log(RT_LOG_WARN, "virtio-blk: device lost (%s): reset", what);
    printf("virtio-blk: device lost (%s): reset, requests in flight failed\n", what);
    virtio_reset(&vd.regs, 1000000);
    struct vreq r;
    while (vreq_drain(&reqs, &vd.q, &r) == VREQ_OK)
        finish(&r, Block_Status_deviceLost);
    const char *why;
    if (device_setup(&why)) {
        broken = true;
        printf("virtio-blk: the device did not come back: %s\n", why);
    }
    reap();
}

static void harvest(void)
{
    if (broken)
        return;
    for (;;) {
        struct vreq r;
        unsigned slot;
        uint32_t len;
        enum vreq_err e = vreq_next(&reqs, &vd.q, &r, &slot, &len);
        if (e == VREQ_EMPTY) {
            if (!virtq_enable_intr(&vd.q))
                break;
            continue;
        }
        if (e != VREQ_OK)
            return device_lost("it broke the virtqueue protocol");
        uint8_t status = reqmem[STATUS_OFF + slot];           /* read once */
        static const enum Block_Status map[] = {Block_Status_ok, Block_Status_ioError,
                                                Block_Status_unsupported, Block_Status_deviceLost};
        finish(&r, map[vreq_blk_result(status, len)]);
    }
    if (rt_virtio_status(&vd) & VIRTIO_STATUS_NEEDS_RESET)
        device_lost("it set DEVICE_NEEDS_RESET");
    reap();
}

/* ---- requests ------------------------------------------------------------ */

static struct buf *find_buf(uint32_t own, uint32_t id)
{
    for (unsigned i = 0; i < MAX_BUFS; i++)
        if (bufs[i].used && !bufs[i].closing && bufs[i].owner == own && bufs[i].id == id)
            return &bufs[i];
    return 0;
}

/* Queue one request; its reply comes from harvest (or now, if refused). */
static void submit(struct ipc_conn *c, uint64_t id, unsigned op, uint32_t type, const struct buf *b,
                   uint64_t offset, uint64_t sector, uint32_t count)
{
    uint16_t method = op_method[op];
    uint32_t own = owner(c);
    if (broken)
        return reply_st(c, method, id, Block_Status_deviceLost);
    if (vreq_of(&reqs, own) >= Block_maxInFlight)
        return reply_st(c, method, id, Block_Status_busy);
    uint64_t bytes = (uint64_t)count * VIRTIO_BLK_SECTOR;
    if (type != VIRTIO_BLK_T_FLUSH &&
        (count == 0 || bytes > MAX_TRANSFER || offset > b->bytes || bytes > b->bytes - offset))
        return reply_st(c, method, id, Block_Status_badRequest);
    if (type == VIRTIO_BLK_T_OUT && (vd.features & VIRTIO_BLK_F_RO))
        return reply_st(c, method, id, Block_Status_ioError);
    uint64_t token;
    struct vreq t = {.client_id = id, .owner = own, .bytes = (uint32_t)bytes,
                     .buffer = b ? b->id : 0, .op = (uint8_t)op};
    if (vreq_alloc(&reqs, &t, &token))
        return reply_st(c, method, id, Block_Status_busy);
    unsigned slot = (unsigned)(token & 0xffffffffu);
    struct virtio_blk_req *h = (struct virtio_blk_req *)(reqmem + 16 * slot);
    *h = (struct virtio_blk_req){type, 0, sector};
    reqmem[STATUS_OFF + slot] = 0xff;
    struct virtq_seg segs[3];
    unsigned nout, nin;
    struct vreq r;
    if (virtio_blk_segs(type, sector, capacity, reqmem_dev + 16 * slot, b ? b->daddr + offset : 0,
                        (uint32_t)bytes, reqmem_dev + STATUS_OFF + slot, segs, &nout, &nin)) {
        vreq_take(&reqs, token, &r);
        return reply_st(c, method, id, Block_Status_badRequest);
    }
    enum virtq_err e = virtq_add(&vd.q, segs, nout, nin, token, 0);
    if (e) {
        vreq_take(&reqs, token, &r);
        return reply_st(c, method, id, e == VIRTQ_EFULL ? Block_Status_busy : Block_Status_deviceLost);
    }
    rt_virtio_kick(&vd);
}

static void do_info(struct ipc_conn *c, const struct ipc_msg *m)
{
    uint8_t buf[128];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Block_info_Results_B r = Block_info_Results_build_root(&b);
    Block_info_Results_set_status(r, broken ? Block_Status_deviceLost : Block_Status_ok);
    Block_info_Results_set_sectors(r, capacity);
    Block_info_Results_set_sectorSize(r, VIRTIO_BLK_SECTOR);
    Block_info_Results_set_readOnly(r, (vd.features & VIRTIO_BLK_F_RO) != 0);
    Block_info_Results_set_maxInFlight(r, Block_maxInFlight);
    Block_info_Results_set_maxTransfer(r, MAX_TRANSFER);
    Block_info_Results_set_irqWakeTsc(r, vd.irq_wake_tsc);
    ipc_reply_built(c, Block_method_info, m->hdr.id, &b);
}

static void do_attach(struct ipc_conn *c, const struct ipc_msg *m)
{
    uint8_t out[64];
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Block_attach_Results_B r = Block_attach_Results_build_root(&b);
    uint32_t own = owner(c);
    struct v_capinfo ci;
    unsigned mine = 0, k = MAX_BUFS;
    for (unsigned i = 0; i < MAX_BUFS; i++) {
        mine += bufs[i].used && bufs[i].owner == own && !bufs[i].closing;
        if (!bufs[i].used && k == MAX_BUFS)
            k = i;
    }
    enum Block_Status st = Block_Status_ok;
    uint64_t dev_addr = 0;
    if (m->ncaps != 1 || v_cap_info(m->caps[0], (uint64_t)&ci).err || ci.type != V_TYPE_FRAME ||
        (ci.rights & (V_R_READ | V_R_WRITE)) != (V_R_READ | V_R_WRITE) || ci.mapped)
        st = Block_Status_badBuffer;
    else if (mine >= Block_maxBuffers || k == MAX_BUFS)
        st = Block_Status_busy;
    else if (rt_dev_dma_map(&vd.dev, m->caps[0], V_R_READ | V_R_WRITE, &dev_addr))
        st = Block_Status_badBuffer;
    if (st != Block_Status_ok) {
        for (unsigned i = 0; i < m->ncaps; i++)
            v_cap_delete(m->caps[i]);
    } else {
        bufs[k] = (struct buf){true, false, own, next_buf_id++, m->caps[0], dev_addr, ci.size};
        if (!next_buf_id)
            next_buf_id = 1;
        Block_attach_Results_set_buffer(r, bufs[k].id);
        Block_attach_Results_set_bytes(r, ci.size);
    }
    Block_attach_Results_set_status(r, st);
    ipc_reply_built(c, Block_method_attach, m->hdr.id, &b);
}

static void handle(struct ipc_server *s, struct ipc_conn *c, struct ipc_msg *m)
{
    (void)s;
    if (m->hdr.kind == Block_method_attach)
        return do_attach(c, m);
    for (unsigned i = 0; i < m->ncaps; i++)
        v_cap_delete(m->caps[i]);
    struct capnp_msg msg;
    if (ipc_request_open(&msg, m))
        return ipc_reply_error(c, m->hdr.id);
    /* read and write share their parameters' layout */
    Block_read_Params_R p = Block_read_Params_read_root(&msg);
    uint32_t bid = Block_read_Params_buffer(p);
    uint64_t off = Block_read_Params_offset(p), sector = Block_read_Params_sector(p);
    uint32_t count = Block_read_Params_count(p);
    if (capnp_msg_error(&msg))
        return ipc_reply_error(c, m->hdr.id);
    struct buf *b = find_buf(owner(c), bid);
    switch (m->hdr.kind) {
    case Block_method_info:
        return do_info(c, m);
    case Block_method_detach: {
        uint32_t id = Block_detach_Params_buffer(Block_detach_Params_read_root(&msg));
        struct buf *d = find_buf(owner(c), id);
        if (d && vreq_using(&reqs, d->owner, d->id))
            return reply_st(c, Block_method_detach, m->hdr.id, Block_Status_busy);
        if (d) {
            d->closing = true;
            reap();
        }
        return reply_st(c, Block_method_detach, m->hdr.id, d ? Block_Status_ok : Block_Status_badBuffer);
    }
    case Block_method_read:
    case Block_method_write:
        if (!b)
            return reply_st(c, m->hdr.kind, m->hdr.id, Block_Status_badBuffer);
        submit(c, m->hdr.id, m->hdr.kind == Block_method_write, m->hdr.kind == Block_method_write
               ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, b, off, sector, count);
        return harvest();
    case Block_method_flush:
        if (!(vd.features & VIRTIO_BLK_F_FLUSH))
            return reply_st(c, Block_method_flush, m->hdr.id, Block_Status_unsupported);
        submit(c, m->hdr.id, 2, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0);
        return harvest();
    }
    ipc_reply_error(c, m->hdr.id);
}

static void on_close(struct ipc_server *s, struct ipc_conn *c)
{
    (void)s;
    unsigned i = (unsigned)(c - srv.conns);
    for (unsigned k = 0; k < MAX_BUFS; k++)
        if (bufs[k].used && bufs[k].owner == owner_of[i])
            bufs[k].closing = true;
    owner_of[i] = 0;
    reap();
}

/* ---- the DMA-escape test ---------------------------------------------- */

static void escape_test(void)
{
    struct v_capinfo before = {0}, after = {0};
    if (vd.dev.dma)
        v_cap_info(vd.dev.dma, (uint64_t)&before);
    uint64_t token;
    struct vreq t = {.owner = 0, .op = 0};
    vreq_alloc(&reqs, &t, &token);
    unsigned slot = (unsigned)(token & 0xffffffffu);
    *(struct virtio_blk_req *)(reqmem + 16 * slot) = (struct virtio_blk_req){VIRTIO_BLK_T_IN, 0, 0};
    struct virtq_seg segs[3];
    unsigned nout, nin;
    uint64_t target = 0x40000000ull;    /* mapped for nobody: RAM at 1 GiB, or nothing */
    virtio_blk_segs(VIRTIO_BLK_T_IN, 0, capacity, reqmem_dev + 16 * slot, target, 4096,
                    reqmem_dev + STATUS_OFF + slot, segs, &nout, &nin);
    virtq_add(&vd.q, segs, nout, nin, token, 0);
    rt_virtio_kick(&vd);
    printf("virtio-blk: escape test: asked the device to write 4096 bytes at device address %#llx\n",
           (unsigned long long)target);
    for (int i = 0; i < 200 && reqs.live; i++) {
        rt_sleep_us(10000);
        harvest();
    }
    if (reqs.live)
        device_lost("escape test: no completion");
    if (vd.dev.dma)
        v_cap_info(vd.dev.dma, (uint64_t)&after);
    printf("virtio-blk: escape test: DMA space %s, faults %llu -> %llu, last fault at %#llx\n",
           vd.dev.confined ? "confined" : "UNCONFINED", (unsigned long long)before.free,
           (unsigned long long)after.free, (unsigned long long)after.phys);
}

int main(void)
{
    const char *why = "";
    int e = rt_virtio_open(&vd, "dev", VIRTIO_ID_BLOCK, QBIT, slots, &why);
    if (e || (e = rt_dev_dma_alloc(&vd.dev, 1, V_R_READ | V_R_WRITE, (void **)&reqmem, &reqmem_dev, 0))) {
        printf("virtio-blk: %s (%s)\n", e ? why : "no DMA memory", rt_errname(e));
        return 3;
    }
    vreq_init(&reqs);
    if (device_setup(&why)) {
        printf("virtio-blk: device setup failed: %s\n", why);
        return 3;
    }
    rt_dev_register(&vd.dev);
    printf("virtio-blk: %llu sectors (%llu MiB)%s%s, %s, DMA %s\n", (unsigned long long)capacity,
           (unsigned long long)(capacity >> 11), vd.features & VIRTIO_BLK_F_FLUSH ? ", flush" : "",
           vd.features & VIRTIO_BLK_F_RO ? ", read-only" : "",
           vd.line >= 0 ? "MSI-X" : "polling", vd.dev.confined ? "confined by the IOMMU" : "unconfined");
    if (rt_arg() == 1)
        escape_test();
    rt_log(RT_LOG_INFO, "virtio-blk: %llu sectors", (unsigned long long)capacity);
    return rt_virtio_serve(&vd, &srv, QBIT, handle, on_close, harvest);
}
