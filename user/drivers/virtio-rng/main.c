/*
 * virtio-rng: the entropy device's driver Task (schema/rng.capnp).
 *
 * Each client attaches one frame, mapped for the device only (device
 * writes); a read becomes one device-writable descriptor over
 * [offset, offset + bytes) of it, answered with the length the device
 * reports (lib/virtq has checked it is within the descriptor). One read
 * in flight per connection; a client's frame stays mapped until the
 * device has given back every read into it, even after the client left.
 * A device that lies is reset and every read in flight answered
 * deviceLost, once (the same rules as virtio-blk, docs/DEVICES.md).
 */
#include <stdio.h>
#include <string.h>

#include "dev.h"
#include "ipc.h"
#include "logc.h"
#include "rt.h"
#include "schema/rng.capnp.h"
#include "virtio/virtio.h"
#include "virtio/vreq.h"

#define QSIZE 16
#define QBIT 40
#define MAX_READ 4096u

static struct rt_virtio vd;
static struct virtq_slot slots[QSIZE];
static struct vreq_table reqs;
static struct ipc_server srv;
static bool broken;

/* Per connection slot: its owner number and its frame. */
static struct client {
    uint32_t owner;
    v_handle frame;
    uint64_t daddr, bytes;
} cl[IPC_MAX_CONNS];
/* Frames of clients that left while a read was in flight. */
static struct gone {
    uint32_t owner;
    v_handle frame;
} gone[IPC_MAX_CONNS];
static uint32_t next_owner = 1;

static struct client *client(struct ipc_conn *c)
{
    struct client *k = &cl[c - srv.conns];
    if (!k->owner)
        k->owner = next_owner++;
    return k;
}

static void reply(uint32_t owner, uint64_t id, enum Rng_Status st, uint32_t got)
{
    for (unsigned i = 0; i < IPC_MAX_CONNS; i++) {
        if (!srv.used[i] || cl[i].owner != owner)
            continue;
        uint8_t buf[48];
        struct capnp_builder b;
        capnp_builder_init(&b, buf, sizeof buf);
        Rng_read_Results_B r = Rng_read_Results_build_root(&b);
        Rng_read_Results_set_status(r, st);
        Rng_read_Results_set_got(r, got);
        ipc_reply_built(&srv.conns[i], Rng_method_read, id, &b);
    }
}

static void reap(void)
{
    for (unsigned i = 0; i < IPC_MAX_CONNS; i++)
        if (gone[i].frame && !vreq_of(&reqs, gone[i].owner)) {
            v_as_unmap(gone[i].frame);
            v_cap_delete(gone[i].frame);
            gone[i].frame = 0;
        }
}

static void device_lost(const char *what)
{
    printf("virtio-rng: device lost (%s): reset, reads in flight failed\n", what);
    virtio_reset(&vd.regs, 1000000);
    struct vreq r;
    while (vreq_drain(&reqs, &vd.q, &r) == VREQ_OK)
        reply(r.owner, r.client_id, Rng_Status_deviceLost, 0);
    const char *why;
    broken = rt_virtio_setup(&vd, 0, QSIZE, &why) != 0;
    reap();
}

static void harvest(void)
{
    struct vreq r;
    unsigned slot;
    uint32_t len;
    enum vreq_err e;
    while (!broken && (e = vreq_next(&reqs, &vd.q, &r, &slot, &len)) != VREQ_EMPTY) {
        if (e != VREQ_OK)
            return device_lost("it broke the virtqueue protocol");
        reply(r.owner, r.client_id, Rng_Status_ok, len);
    }
    if (!broken && rt_virtio_status(&vd) & VIRTIO_STATUS_NEEDS_RESET)
        device_lost("it set DEVICE_NEEDS_RESET");
    reap();
}

static void do_attach(struct ipc_conn *c, const struct ipc_msg *m)
{
    struct client *k = client(c);
    struct v_capinfo ci;
    enum Rng_Status st = Rng_Status_ok;
    uint64_t daddr;
    if (k->frame || m->ncaps != 1 || v_cap_info(m->caps[0], (uint64_t)&ci).err ||
        ci.type != V_TYPE_FRAME || !(ci.rights & V_R_WRITE) || ci.mapped ||
        rt_dev_dma_map(&vd.dev, m->caps[0], V_R_WRITE, &daddr)) {
        st = Rng_Status_badRequest;
        for (unsigned i = 0; i < m->ncaps; i++)
            v_cap_delete(m->caps[i]);
    } else {
        *k = (struct client){k->owner, m->caps[0], daddr, ci.size};
    }
    uint8_t buf[48];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Rng_attach_Results_B r = Rng_attach_Results_build_root(&b);
    Rng_attach_Results_set_status(r, st);
    Rng_attach_Results_set_bytes(r, st ? 0 : ci.size);
    ipc_reply_built(c, Rng_method_attach, m->hdr.id, &b);
}

static void do_read(struct ipc_conn *c, const struct ipc_msg *m)
{
    struct client *k = client(c);
    struct capnp_msg msg;
    if (ipc_request_open(&msg, m))
        return ipc_reply_error(c, m->hdr.id);
    Rng_read_Params_R p = Rng_read_Params_read_root(&msg);
    uint64_t off = Rng_read_Params_offset(p);
    uint32_t n = Rng_read_Params_bytes(p);
    if (capnp_msg_error(&msg))
        return ipc_reply_error(c, m->hdr.id);
    if (!k->frame)
        return reply(k->owner, m->hdr.id, Rng_Status_noBuffer, 0);
    if (n == 0 || n > MAX_READ || off > k->bytes || n > k->bytes - off)
        return reply(k->owner, m->hdr.id, Rng_Status_badRequest, 0);
    if (broken)
        return reply(k->owner, m->hdr.id, Rng_Status_deviceLost, 0);
    if (vreq_of(&reqs, k->owner))
        return reply(k->owner, m->hdr.id, Rng_Status_busy, 0);
    uint64_t token;
    struct vreq r = {.client_id = m->hdr.id, .owner = k->owner, .bytes = n};
    struct virtq_seg seg = {k->daddr + off, n};
    if (vreq_alloc(&reqs, &r, &token))
        return reply(k->owner, m->hdr.id, Rng_Status_busy, 0);
    if (virtq_add(&vd.q, &seg, 0, 1, token, 0)) {
        vreq_take(&reqs, token, &r);
        return reply(k->owner, m->hdr.id, Rng_Status_busy, 0);
    }
    rt_virtio_kick(&vd);
}

static void handle(struct ipc_server *s, struct ipc_conn *c, struct ipc_msg *m)
{
    (void)s;
    if (m->hdr.kind == Rng_method_attach)
        return do_attach(c, m);
    for (unsigned i = 0; i < m->ncaps; i++)
        v_cap_delete(m->caps[i]);
    if (m->hdr.kind == Rng_method_read)
        return do_read(c, m);
    ipc_reply_error(c, m->hdr.id);
}

static void on_close(struct ipc_server *s, struct ipc_conn *c)
{
    (void)s;
    struct client *k = &cl[c - srv.conns];
    for (unsigned i = 0; k->frame && i < IPC_MAX_CONNS; i++)
        if (!gone[i].frame) {
            gone[i] = (struct gone){k->owner, k->frame};
            k->frame = 0;
        }
    *k = (struct client){0};
    reap();
}

int main(void)
{
    const char *why = "";
    int e = rt_virtio_open(&vd, "dev", VIRTIO_ID_RNG, QBIT, slots, &why);
    if (e || rt_virtio_setup(&vd, 0, QSIZE, &why)) {
        printf("virtio-rng: %s\n", why);
        return 3;
    }
    vreq_init(&reqs);
    rt_dev_register(&vd.dev);
    printf("virtio-rng: ready, %s, DMA %s\n", vd.line >= 0 ? "MSI-X" : "polling",
           vd.dev.confined ? "confined by the IOMMU" : "unconfined");
    rt_log(RT_LOG_INFO, "virtio-rng: ready");
    return rt_virtio_serve(&vd, &srv, QBIT, handle, on_close, harvest);
}
