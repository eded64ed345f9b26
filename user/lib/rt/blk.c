/*
 * blk.c: the block client (blk.h).
 */
#include <string.h>

#include "blk.h"
#include "schema/block.capnp.h"

const char *blk_strerror(int e)
{
    static const char *const names[] = {
        "ok", "I/O error", "not supported", "invalid request", "buffer refused", "busy",
        "device reset by its driver (request not done)", "driver disconnected (request not done)",
        "protocol error", "timed out",
    };
    return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "?";
}

static int from_status(unsigned st)
{
    static const int map[] = {BLK_OK, BLK_EIO, BLK_EUNSUPP, BLK_EINVAL, BLK_EBUFFER, BLK_EBUSY,
                              BLK_EDEVICE};
    return st < sizeof map / sizeof map[0] ? map[st] : BLK_EPROTO;
}

/* The connection is gone: everything in flight fails, once. */
static void lost(struct blk *b)
{
    b->closed = true;
    for (unsigned i = 0; i < BLK_MAX_INFLIGHT; i++)
        if (b->pend[i].live && !b->pend[i].done) {
            b->pend[i].done = true;
            b->pend[i].result = BLK_EDISCONNECTED;
        }
}

/* One reply: its pending entry gets a result. */
static void take(struct blk *b, const struct ipc_msg *m)
{
    for (unsigned i = 0; i < m->ncaps; i++)
        v_cap_delete(m->caps[i]);
    for (unsigned i = 0; i < BLK_MAX_INFLIGHT; i++) {
        struct blk_pending *p = &b->pend[i];
        if (!p->live || p->done || p->id != m->hdr.id)
            continue;
        struct capnp_msg msg;
        p->done = true;
        p->result = BLK_EPROTO;
        if (m->hdr.kind & IPC_REPLY && (m->hdr.kind & ~IPC_REPLY) != IPC_ERROR &&
            !ipc_request_open(&msg, m)) {
            unsigned st = Block_read_Results_status(Block_read_Results_read_root(&msg));
            if (!capnp_msg_error(&msg))
                p->result = from_status(st);
        }
        return;
    }
    /* a reply to nothing in flight is dropped: it cannot complete anything twice */
}

/* Receive until entry i has its result or timeout. */
static void pump(struct blk *b, unsigned i, uint64_t timeout_us)
{
    static struct ipc_msg m;
    uint64_t end = v_clock().val + timeout_us;
    while (!b->pend[i].done && !b->closed) {
        uint64_t now = v_clock().val;
        int e = ipc_recv(b->c, &m, now >= end ? 0 : end - now);
        if (e == IPC_OK)
            take(b, &m);
        else if (e == IPC_TIMEOUT || e == IPC_EMPTY)
            return;
        else
            lost(b);
    }
}

static int send(struct blk *b, uint16_t method, struct capnp_builder *bld, v_handle *caps,
                unsigned ncaps, uint64_t *ticket)
{
    if (b->closed)
        return BLK_EDISCONNECTED;
    unsigned i = 0;
    while (i < BLK_MAX_INFLIGHT && b->pend[i].live)
        i++;
    if (i == BLK_MAX_INFLIGHT)
        return BLK_EBUSY;
    size_t len;
    const uint8_t *p = capnp_builder_bytes(bld, &len);
    uint64_t id = ++b->c->next_id;
    int e = ipc_send(b->c, method, id, p, (uint32_t)len, caps, ncaps, 1000000);
    if (e == IPC_CLOSED) {
        lost(b);
        return BLK_EDISCONNECTED;
    }
    if (e)
        return e == IPC_TIMEOUT ? BLK_ETIMEOUT : BLK_EPROTO;
    b->pend[i] = (struct blk_pending){id, true, false, 0};
    *ticket = id;
    return BLK_OK;
}

int blk_wait(struct blk *b, uint64_t ticket, uint64_t timeout_us)
{
    for (unsigned i = 0; i < BLK_MAX_INFLIGHT; i++) {
        struct blk_pending *p = &b->pend[i];
        if (!p->live || p->id != ticket)
            continue;
        pump(b, i, timeout_us);
        if (!p->done)
            return BLK_ETIMEOUT;
        p->live = false;
        return p->result;
    }
    return BLK_EINVAL;
}

int blk_submit(struct blk *b, bool write, uint64_t offset, uint64_t sector, uint32_t count,
               uint64_t *ticket)
{
    uint8_t buf[96];
    struct capnp_builder bld;
    capnp_builder_init(&bld, buf, sizeof buf);
    /* read and write take the same parameters */
    Block_read_Params_B p = Block_read_Params_build_root(&bld);
    Block_read_Params_set_buffer(p, b->buffer);
    Block_read_Params_set_offset(p, offset);
    Block_read_Params_set_sector(p, sector);
    Block_read_Params_set_count(p, count);
    return send(b, write ? Block_method_write : Block_method_read, &bld, 0, 0, ticket);
}

int blk_submit_flush(struct blk *b, uint64_t *ticket)
{
    uint8_t buf[16];
    struct capnp_builder bld;
    capnp_builder_init(&bld, buf, sizeof buf);
    Block_flush_Params_build_root(&bld);
    return send(b, Block_method_flush, &bld, 0, 0, ticket);
}

/* (t is read after the submit that set it: not an argument beside it) */
static int sync(struct blk *b, int e, const uint64_t *t, uint64_t timeout_us)
{
    return e ? e : blk_wait(b, *t, timeout_us);
}

int blk_read(struct blk *b, uint64_t offset, uint64_t sector, uint32_t count, uint64_t timeout_us)
{
    uint64_t t = 0;
    return sync(b, blk_submit(b, false, offset, sector, count, &t), &t, timeout_us);
}

int blk_write(struct blk *b, uint64_t offset, uint64_t sector, uint32_t count, uint64_t timeout_us)
{
    uint64_t t = 0;
    return sync(b, blk_submit(b, true, offset, sector, count, &t), &t, timeout_us);
}

int blk_flush(struct blk *b, uint64_t timeout_us)
{
    uint64_t t = 0;
    return sync(b, blk_submit_flush(b, &t), &t, timeout_us);
}

/* A call with a result struct other than (status): info and attach. */
static int call(struct blk *b, uint16_t method, v_handle *caps, unsigned ncaps, struct ipc_msg *r,
                struct capnp_msg *msg, uint64_t timeout_us)
{
    int e = ipc_call(b->c, method, 0, 0, caps, ncaps, r, timeout_us);
    if (e == IPC_CLOSED)
        lost(b);
    if (e)
        return e == IPC_CLOSED ? BLK_EDISCONNECTED : e == IPC_TIMEOUT ? BLK_ETIMEOUT : BLK_EPROTO;
    for (unsigned i = 0; i < r->ncaps; i++)
        v_cap_delete(r->caps[i]);
    if (r->hdr.kind != (method | IPC_REPLY) || ipc_request_open(msg, r))
        return BLK_EPROTO;
    return BLK_OK;
}

int blk_irq_wake_tsc(struct blk *b, uint64_t *tsc, uint64_t timeout_us)
{
    static struct ipc_msg r;
    struct capnp_msg msg;
    int e = call(b, Block_method_info, 0, 0, &r, &msg, timeout_us);
    if (e)
        return e;
    Block_info_Results_R info = Block_info_Results_read_root(&msg);
    if ((e = from_status(Block_info_Results_status(info))))
        return e;
    *tsc = Block_info_Results_irqWakeTsc(info);
    return capnp_msg_error(&msg) ? BLK_EPROTO : BLK_OK;
}

int blk_open(struct blk *b, struct ipc_conn *c, v_handle frame, uint64_t timeout_us)
{
    static struct ipc_msg r;
    struct capnp_msg msg;
    memset(b, 0, sizeof *b);
    b->c = c;
    int e = call(b, Block_method_info, 0, 0, &r, &msg, timeout_us);
    if (e)
        return e;
    Block_info_Results_R info = Block_info_Results_read_root(&msg);
    if ((e = from_status(Block_info_Results_status(info))))
        return e;
    b->sectors = Block_info_Results_sectors(info);
    b->sector_size = Block_info_Results_sectorSize(info);
    b->max_transfer = Block_info_Results_maxTransfer(info);
    b->read_only = Block_info_Results_readOnly(info);
    if (capnp_msg_error(&msg) || b->sector_size != 512)
        return BLK_EPROTO;
    struct v_ret cp = v_cap_copy(frame, V_SLOT_ANY);
    if (cp.err)
        return BLK_EBUFFER;
    v_handle copy = (v_handle)cp.val;
    if ((e = call(b, Block_method_attach, &copy, 1, &r, &msg, timeout_us)))
        return e;
    Block_attach_Results_R at = Block_attach_Results_read_root(&msg);
    if ((e = from_status(Block_attach_Results_status(at))))
        return e;
    b->buffer = Block_attach_Results_buffer(at);
    b->buffer_bytes = Block_attach_Results_bytes(at);
    return capnp_msg_error(&msg) ? BLK_EPROTO : BLK_OK;
}
