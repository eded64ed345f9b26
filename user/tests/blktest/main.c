/*
 * blktest: a block client for the device scenarios (tests/scenarios/
 * devices_*.scn). Through SYS:svc/virtio-blk it keeps Block.maxInFlight
 * 64 KiB reads in flight, forever; it says "I/O running" once enough have
 * completed, and when the driver dies it reports how each request in
 * flight ended (the named error, once each), connects again (init has
 * restarted the driver), checks that a read succeeds, and says so. At
 * start it also reads 64 bytes from the entropy device (virtio-rng).
 */
#include <stdio.h>
#include <string.h>

#include "blk.h"
#include "ipc.h"
#include "rt.h"
#include "schema/naming.capnp.h"
#include "schema/rng.capnp.h"

#define PAGES 64                /* 256 KiB: four 64 KiB requests */
#define CHUNK_SECTORS 128

static struct ipc_conn sys, disk_conn;
static struct blk disk;
static v_handle frame;

static bool connect(const char *path, struct ipc_conn *c)
{
    static uint8_t buf[256];
    static struct ipc_msg reply;
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Naming_connect_Params_set_path(Naming_connect_Params_build_root(&b), path, strlen(path));
    size_t len;
    const uint8_t *p = capnp_builder_bytes(&b, &len);
    if (ipc_call(&sys, Naming_method_connect, p, (uint32_t)len, 0, 0, &reply, 2000000))
        return false;
    struct capnp_msg msg;
    bool ok = !ipc_request_open(&msg, &reply) &&
              Naming_connect_Results_status(Naming_connect_Results_read_root(&msg)) == Naming_Status_ok &&
              reply.ncaps == 2 && ipc_attach(c, reply.caps[0], reply.caps[1]) == IPC_OK;
    if (!ok)
        for (unsigned i = 0; i < reply.ncaps; i++)
            v_cap_delete(reply.caps[i]);
    return ok;
}

static bool connect_disk(void)
{
    return connect("SYS:svc/virtio-blk", &disk_conn) &&
           blk_open(&disk, &disk_conn, frame, 2000000) == BLK_OK;
}

/* 64 bytes from the entropy device into a page of ours (schema/rng.capnp). */
static void entropy(void)
{
    static struct ipc_conn rc;
    static struct ipc_msg r;
    static uint8_t buf[64];
    uint64_t va = rt_va_alloc(V_PAGE_SIZE);
    v_handle f;
    if (!connect("SYS:svc/virtio-rng", &rc) || rt_map_frames(0, va, 1, V_R_READ | V_R_WRITE, &f))
        return (void)printf("blktest: no entropy device\n");
    struct v_ret cp = v_cap_copy(f, V_SLOT_ANY);
    v_handle copy = (v_handle)cp.val;
    struct capnp_msg msg;
    if (cp.err || ipc_call(&rc, Rng_method_attach, 0, 0, &copy, 1, &r, 2000000) ||
        ipc_request_open(&msg, &r) || Rng_attach_Results_status(Rng_attach_Results_read_root(&msg)))
        return (void)printf("blktest: the entropy device refused our page\n");
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Rng_read_Params_B p = Rng_read_Params_build_root(&b);
    Rng_read_Params_set_offset(p, 0);
    Rng_read_Params_set_bytes(p, 64);
    size_t len;
    const uint8_t *bytes = capnp_builder_bytes(&b, &len);
    if (ipc_call(&rc, Rng_method_read, bytes, (uint32_t)len, 0, 0, &r, 2000000) ||
        ipc_request_open(&msg, &r))
        return (void)printf("blktest: no answer from the entropy device\n");
    Rng_read_Results_R res = Rng_read_Results_read_root(&msg);
    const uint8_t *e = (const uint8_t *)va;
    unsigned nonzero = 0;
    for (unsigned i = 0; i < 64; i++)
        nonzero += e[i] != 0;
    printf("blktest: entropy: status %u, %u bytes, %u of 64 nonzero\n",
           (unsigned)Rng_read_Results_status(res), (unsigned)Rng_read_Results_got(res), nonzero);
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
    entropy();
    while (!connect_disk())
        rt_sleep_us(100000);
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
        printf("blktest: the driver is gone: %llu requests failed with a named error; connecting again\n",
               (unsigned long long)failed);
        ipc_detach(&disk_conn);
        while (!connect_disk())
            rt_sleep_us(100000);
        int er = blk_read(&disk, 0, 0, CHUNK_SECTORS, 5000000);
        printf("blktest: after the restart a read: %s\n", blk_strerror(er));
        break;
    }
    for (;;)
        rt_sleep_us(V_TIMEOUT_NEVER);
}
