/*
 * blktest: a block client for the device scenarios (tests/scenarios/
 * devices_*.scn). Through SYS:svc/virtio-blk it keeps Block.maxInFlight
 * 64 KiB reads in flight, forever; it says "I/O running" once enough have
 * completed, and when the driver dies it reports how each request in
 * flight ended (the named error, once each), connects again (init has
 * restarted the driver), checks that a read succeeds, and says so.
 */
#include <stdio.h>
#include <string.h>

#include "blk.h"
#include "ipc.h"
#include "rt.h"
#include "schema/naming.capnp.h"

#define PAGES 64                /* 256 KiB: four 64 KiB requests */
#define CHUNK_SECTORS 128

static struct ipc_conn sys, disk_conn;
static struct blk disk;
static v_handle frame;

static bool connect_disk(void)
{
    static uint8_t buf[256];
    static struct ipc_msg reply;
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    static const char path[] = "SYS:svc/virtio-blk";
    Naming_connect_Params_set_path(Naming_connect_Params_build_root(&b), path, sizeof path - 1);
    size_t len;
    const uint8_t *p = capnp_builder_bytes(&b, &len);
    if (ipc_call(&sys, Naming_method_connect, p, (uint32_t)len, 0, 0, &reply, 2000000))
        return false;
    struct capnp_msg msg;
    bool ok = !ipc_request_open(&msg, &reply) &&
              Naming_connect_Results_status(Naming_connect_Results_read_root(&msg)) == Naming_Status_ok &&
              reply.ncaps == 2 && ipc_attach(&disk_conn, reply.caps[0], reply.caps[1]) == IPC_OK;
    if (!ok)
        for (unsigned i = 0; i < reply.ncaps; i++)
            v_cap_delete(reply.caps[i]);
    return ok && blk_open(&disk, &disk_conn, frame, 2000000) == BLK_OK;
}

int main(void)
{
    uint64_t va = rt_va_alloc(PAGES * V_PAGE_SIZE);
    if (ipc_open("SYS:", &sys)) {
        printf("blktest: no naming root\n");
        return 2;
    }
    struct v_ret r = v_retype(rt_memory(), V_TYPE_FRAME, PAGES, V_SLOT_ANY);
    if (r.err || v_as_map(rt_aspace(), (v_handle)r.val, va, V_R_READ | V_R_WRITE).err) {
        printf("blktest: no buffer\n");
        return 2;
    }
    frame = (v_handle)r.val;
    while (!connect_disk())
        v_signal_wait(0, 100000);
    uint64_t done = 0, failed = 0, sector = 0;
    for (;;) {
        uint64_t t[BLK_MAX_INFLIGHT];
        int e[BLK_MAX_INFLIGHT];
        for (unsigned i = 0; i < BLK_MAX_INFLIGHT; i++) {
            e[i] = blk_submit(&disk, false, (uint64_t)i * CHUNK_SECTORS * 512, sector, CHUNK_SECTORS, &t[i]);
            sector = (sector + CHUNK_SECTORS) % (disk.sectors - CHUNK_SECTORS);
        }
        for (unsigned i = 0; i < BLK_MAX_INFLIGHT; i++) {
            if (!e[i])
                e[i] = blk_wait(&disk, t[i], 5000000);
            if (e[i] == BLK_OK) {
                done++;
                continue;
            }
            failed++;
            printf("blktest: request %llu failed: %s\n", (unsigned long long)t[i], blk_strerror(e[i]));
        }
        if (done == 64)
            printf("blktest: I/O running (%llu requests of 64 KiB done)\n", (unsigned long long)done);
        if (!disk.closed)
            continue;
        printf("blktest: the driver is gone: %llu requests failed, none completed twice; connecting again\n",
               (unsigned long long)failed);
        ipc_detach(&disk_conn);
        while (!connect_disk())
            v_signal_wait(0, 100000);
        int er = blk_read(&disk, 0, 0, CHUNK_SECTORS, 5000000);
        printf("blktest: after the restart a read: %s\n", blk_strerror(er));
        break;
    }
    for (;;)
        v_signal_wait(0, V_TIMEOUT_NEVER);
}
