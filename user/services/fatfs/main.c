/*
 * fatfs: the read-only FAT32 interchange volume (schema/fat.capnp) on a
 * second disk (grant "disk": a connection to its virtio-blk driver),
 * through lib/fat. Nothing is ever written to the disk.
 *
 * A file is read whole into one buffer (at most Fat.maxFile bytes), its
 * cluster chain checked end to end by lib/fat, at the first read of it,
 * and kept until another file is asked for; reads are then served from
 * the buffer in Fat.maxRead-byte pieces. Damage is a named error (CHAIN,
 * LOOP, SHORT, LONG ...), never bytes of some other cluster.
 */
#include <stdio.h>
#include <string.h>

#include "blk.h"
#include "fat/fat.h"
#include "ipc.h"
#include "logc.h"
#include "rt.h"
#include "schema/fat.capnp.h"

#define BUF_PAGES 16                    /* 64 KiB transfer buffer */
#define T_IO 10000000ull

static struct ipc_server srv;
static struct ipc_conn disk_conn;
static struct blk disk;
static uint8_t *xfer;
static uint64_t xfer_bytes;
static struct fat fs;
static enum fat_err mount_err = FAT_E_IO;
static bool mounted;
static uint8_t *file;                   /* Fat.maxFile bytes */
static char file_path[256];
static uint32_t file_size;
static bool file_ok;

static int dev_read(void *ctx, uint64_t blk, uint32_t n, void *buf)
{
    (void)ctx;
    uint8_t *out = buf;
    uint64_t left = (uint64_t)n * 512, sector = blk;
    while (left) {
        uint64_t c = left < xfer_bytes ? left : xfer_bytes;
        if (disk.max_transfer && c > disk.max_transfer)
            c = disk.max_transfer & ~511ull;
        int e = blk_read(&disk, 0, sector, (uint32_t)(c / 512), T_IO);
        if (e) {
            rt_log(RT_LOG_WARN, "fat: read of sectors %llu+%llu: %s", (unsigned long long)sector,
                   (unsigned long long)(c / 512), blk_strerror(e));
            return e;
        }
        memcpy(out, xfer, c);
        out += c;
        left -= c;
        sector += c / 512;
    }
    return 0;
}

static bool mount(void)
{
    uint64_t va = rt_va_alloc(BUF_PAGES * V_PAGE_SIZE);
    struct v_ret r = v_retype(rt_memory(), V_TYPE_FRAME, BUF_PAGES, V_SLOT_ANY);
    if (r.err || v_as_map(rt_aspace(), (v_handle)r.val, va, V_R_READ | V_R_WRITE).err)
        return false;
    xfer = (uint8_t *)va;
    xfer_bytes = BUF_PAGES * V_PAGE_SIZE;
    int e = BLK_EDISCONNECTED;
    for (unsigned tries = 0; tries < 1000; tries++) {   /* 10 s */
        if (ipc_open("disk", &disk_conn) == IPC_OK) {
            e = blk_open(&disk, &disk_conn, (v_handle)r.val, 2000000);
            if (e == BLK_OK)
                break;
            ipc_detach(&disk_conn);
        }
        rt_sleep_us(10000);
    }
    if (e != BLK_OK) {
        printf("fat: no disk: %s\n", blk_strerror(e));
        return false;
    }
    unsigned pages = (unsigned)(Fat_maxFile / V_PAGE_SIZE);
    uint64_t fva = rt_va_alloc((uint64_t)pages * V_PAGE_SIZE);
    struct v_ret fr = v_retype(rt_memory(), V_TYPE_FRAME, pages, V_SLOT_ANY);
    if (fr.err || v_as_map(rt_aspace(), (v_handle)fr.val, fva, V_R_READ | V_R_WRITE).err) {
        printf("fat: no memory for the file buffer: %s\n", rt_errname(fr.err));
        return false;
    }
    file = (uint8_t *)fva;
    struct fat_dev dev = {.ctx = 0, .block_size = 512, .nblocks = disk.sectors, .read = dev_read};
    mount_err = fat_mount(&fs, &dev);
    if (mount_err) {
        printf("fat: no FAT32 volume on the disk: %s (%s)\n", fat_err_name(mount_err),
               fat_err_msg(mount_err));
        return false;
    }
    mounted = true;
    printf("fat: mounted a FAT32 volume: %u clusters of %u bytes (read-only)\n", fs.nclusters,
           fs.cluster_bytes);
    rt_log(RT_LOG_INFO, "fat: mounted, %u clusters of %u bytes", fs.nclusters, fs.cluster_bytes);
    return true;
}

static enum Fat_Status status_of(enum fat_err e)
{
    switch (e) {
    case FAT_E_OK: return Fat_Status_ok;
    case FAT_E_IO: return Fat_Status_ioError;
    case FAT_E_NOT_FOUND: return Fat_Status_notFound;
    case FAT_E_NOT_DIR: case FAT_E_IS_DIR: case FAT_E_NAME: return Fat_Status_badRequest;
    case FAT_E_TOO_BIG: return Fat_Status_tooBig;
    default: return Fat_Status_damaged;
    }
}

static uint8_t out[IPC_PAYLOAD_MAX];

#define SET_ERR(IF, r, st, e)                                                              \
    do {                                                                                   \
        IF##_set_status(r, st);                                                            \
        IF##_set_error(r, fat_err_name(e), strlen(fat_err_name(e)));                       \
        IF##_set_why(r, fat_err_msg(e), strlen(fat_err_msg(e)));                           \
    } while (0)

static void serve_info(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    (void)msg;
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Fat_info_Results_B r = Fat_info_Results_build_root(&b);
    if (!mounted) {
        SET_ERR(Fat_info_Results, r, Fat_Status_notMounted, mount_err);
    } else {
        Fat_info_Results_set_clusterBytes(r, fs.cluster_bytes);
        Fat_info_Results_set_clusters(r, fs.nclusters);
        Fat_info_Results_set_sectorBytes(r, fs.bps);
    }
    ipc_reply_built(c, Fat_method_info, m->hdr.id, &b);
}

/* A path from a request: NUL-terminated in buf, or false. */
static bool path_of(struct capnp_text t, char *buf, size_t cap)
{
    if (t.len == 0 || t.len >= cap || memchr(t.str, 0, t.len))
        return false;
    memcpy(buf, t.str, t.len);
    buf[t.len] = 0;
    return true;
}

static void serve_list(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    static struct fat_entry ents[Fat_maxEntries], e;
    Fat_list_Params_R p = Fat_list_Params_read_root(msg);
    char path[256];
    bool ok = path_of(Fat_list_Params_path(p), path, sizeof path) && !capnp_msg_error(msg);
    uint32_t skip = Fat_list_Params_skip(p);
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Fat_list_Results_B r = Fat_list_Results_build_root(&b);
    if (!mounted) {
        SET_ERR(Fat_list_Results, r, Fat_Status_notMounted, mount_err);
        ipc_reply_built(c, Fat_method_list, m->hdr.id, &b);
        return;
    }
    if (!ok) {
        Fat_list_Results_set_status(r, Fat_Status_badRequest);
        ipc_reply_built(c, Fat_method_list, m->hdr.id, &b);
        return;
    }
    struct fat_dir d;
    enum fat_err err = FAT_E_OK;
    if (!strcmp(path, "/")) {
        fat_dir_root(&fs, &d);
    } else {
        err = fat_lookup(&fs, path, &e);
        if (!err)
            err = fat_dir_open(&fs, &e, &d);
    }
    uint32_t n = 0, seen = 0;
    bool more = false;
    bool walking = !err;
    while (!err) {
        err = fat_dir_next(&fs, &d, &e);
        if (err)
            break;
        if (seen++ < skip)
            continue;
        if (n == Fat_maxEntries) {
            more = true;
            break;
        }
        ents[n++] = e;
    }
    if (walking && err == FAT_E_NOT_FOUND)   /* the end of the directory */
        err = FAT_E_OK;
    if (err) {
        SET_ERR(Fat_list_Results, r, status_of(err), err);
    } else {
        Fat_Entry_BList l = Fat_list_Results_init_entries(r, n);
        for (uint32_t i = 0; i < n; i++) {
            Fat_Entry_B x = Fat_Entry_BList_get(l, i);
            Fat_Entry_set_name(x, ents[i].name, strlen(ents[i].name));
            Fat_Entry_set_isDir(x, ents[i].is_dir);
            Fat_Entry_set_size(x, ents[i].size);
        }
        Fat_list_Results_set_more(r, more);
    }
    ipc_reply_built(c, Fat_method_list, m->hdr.id, &b);
}

static void serve_read(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    Fat_read_Params_R p = Fat_read_Params_read_root(msg);
    char path[256];
    bool ok = path_of(Fat_read_Params_path(p), path, sizeof path) && !capnp_msg_error(msg);
    uint64_t off = Fat_read_Params_offset(p);
    uint32_t n = Fat_read_Params_n(p);
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Fat_read_Results_B r = Fat_read_Results_build_root(&b);
    if (!mounted) {
        SET_ERR(Fat_read_Results, r, Fat_Status_notMounted, mount_err);
        ipc_reply_built(c, Fat_method_read, m->hdr.id, &b);
        return;
    }
    if (!ok || n > Fat_maxRead) {
        Fat_read_Results_set_status(r, Fat_Status_badRequest);
        ipc_reply_built(c, Fat_method_read, m->hdr.id, &b);
        return;
    }
    if (!file_ok || strcmp(path, file_path)) {
        static struct fat_entry e;
        file_ok = false;
        enum fat_err err = fat_lookup(&fs, path, &e);
        if (!err && e.is_dir)
            err = FAT_E_IS_DIR;
        if (!err)
            err = fat_read(&fs, &e, file, Fat_maxFile);
        if (err) {
            SET_ERR(Fat_read_Results, r, status_of(err), err);
            if (err != FAT_E_NOT_FOUND)
                rt_log(RT_LOG_WARN, "fat: %s: %s", path, fat_err_name(err));
            ipc_reply_built(c, Fat_method_read, m->hdr.id, &b);
            return;
        }
        memcpy(file_path, path, strlen(path) + 1);
        file_size = e.size;
        file_ok = true;
    }
    Fat_read_Results_set_size(r, file_size);
    if (off < file_size) {
        uint64_t k = file_size - off < n ? file_size - off : n;
        Fat_read_Results_set_bytes(r, file + off, (uint32_t)k);
    }
    ipc_reply_built(c, Fat_method_read, m->hdr.id, &b);
}

#define ROW(name) IPC_METHOD(Fat, name)
static const struct ipc_method methods[] = {Fat_METHODS(ROW){0, 0, 0}};

int main(void)
{
    v_handle listen = rt_cap("listen");
    if (!listen || ipc_server_init(&srv, listen))
        return 2;
    mount();
    rt_log(RT_LOG_INFO, "fat service started");
    ipc_serve_methods(&srv, methods, V_TIMEOUT_NEVER);
    return 0;
}
