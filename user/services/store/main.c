/*
 * store: the capsule store service (schema/store.capnp) over the system
 * disk. It connects to the block driver (grant "disk": a connection to
 * virtio-blk), opens the store with lib/store (docs/STORE.md) and serves
 * what the store holds: its status, the installed capsules, the current
 * and previous generations, blob reads verified on every read, a verify
 * of every blob, and state volumes.
 *
 * The device: one frame of BUF_PAGES pages is attached to the driver as
 * the buffer every transfer goes through (zero copy between the driver
 * and this buffer; lib/store's own buffers are copied to and from it).
 * A blob is read whole into a buffer sized at mount for the largest blob
 * (at most MAX_BLOB) and verified by lib/store against its name before a
 * byte of it is answered; a damaged one is Status.corrupt with the blob
 * named in the reply and in the log.
 *
 * No store on the disk (a blank disk, both superblocks damaged) is not
 * fatal: the service serves status notOpen with the reason, so the shell
 * can say what is wrong.
 */
#include <stdio.h>
#include <string.h>

#include "blk.h"
#include "crypto/sha256.h"
#include "ipc.h"
#include "logc.h"
#include "rt.h"
#include "schema/store.capnp.h"
#include "store/store.h"

#define BUF_PAGES 64                    /* 256 KiB transfer buffer */
#define MAX_BLOB (4u << 20)
#define UPLOAD_MAX (2u << 20)           /* the largest capsule install takes */
#define T_IO 10000000ull

static struct ipc_server srv;
static struct ipc_conn disk_conn;
static struct blk disk;
static uint8_t *xfer;                   /* the attached buffer */
static uint64_t xfer_bytes;
static struct store st;
static struct store_report report;
static enum store_err open_err = STORE_E_NO_STORE;
static bool opened;
static uint8_t *blobbuf;
/* blobbuf holds this verified blob (until blobbuf is used for anything else) */
static bool cached;
static uint8_t cached_hash[32];
static size_t cached_len;
static size_t blobcap;
static uint64_t ios, io_errors;

/* ---- the device under lib/store ---- */

static uint32_t chunk_bytes(uint64_t left)
{
    uint64_t c = xfer_bytes;
    if (disk.max_transfer && c > disk.max_transfer)
        c = disk.max_transfer & ~511ull;
    return (uint32_t)(left < c ? left : c);
}

static int dev_rw(void *ctx, bool write, uint64_t blk, uint32_t n, uint8_t *buf)
{
    (void)ctx;
    uint64_t bs = st.dev.block_size, left = (uint64_t)n * bs, sector = blk * (bs / 512);
    while (left) {
        uint32_t c = chunk_bytes(left);
        if (write)
            memcpy(xfer, buf, c);
        int e = write ? blk_write(&disk, 0, sector, c / 512, T_IO)
                      : blk_read(&disk, 0, sector, c / 512, T_IO);
        ios++;
        if (e) {
            io_errors++;
            rt_log(RT_LOG_WARN, "store: %s of sectors %llu+%u: %s", write ? "write" : "read",
                   (unsigned long long)sector, c / 512, blk_strerror(e));
            return e;
        }
        if (!write)
            memcpy(buf, xfer, c);
        buf += c;
        left -= c;
        sector += c / 512;
    }
    return 0;
}

static int dev_read(void *ctx, uint64_t blk, uint32_t n, void *buf)
{
    return dev_rw(ctx, false, blk, n, buf);
}

static int dev_write(void *ctx, uint64_t blk, uint32_t n, const void *buf)
{
    return dev_rw(ctx, true, blk, n, (uint8_t *)(uintptr_t)buf);
}

static int dev_flush(void *ctx)
{
    (void)ctx;
    int e = blk_flush(&disk, T_IO);
    if (e && e != BLK_EUNSUPP) {
        io_errors++;
        rt_log(RT_LOG_WARN, "store: flush: %s", blk_strerror(e));
        return e;
    }
    return 0;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t)hi << 32 | lo;
}

static void hash(uint8_t out[32], const void *msg, size_t len) { sha256(out, msg, len); }

static void hex(char *out, const uint8_t *h, unsigned n)
{
    static const char d[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = d[h[i] >> 4];
        out[2 * i + 1] = d[h[i] & 15];
    }
    out[2 * n] = 0;
}

/* Connect to the driver (it may still be finding its device) and open. */
static bool mount(void)
{
    uint64_t va = rt_va_alloc(BUF_PAGES * V_PAGE_SIZE);
    struct v_ret r = v_retype(rt_memory(), V_TYPE_FRAME, BUF_PAGES, V_SLOT_ANY);
    if (r.err || v_as_map(rt_aspace(), (v_handle)r.val, va, V_R_READ | V_R_WRITE).err) {
        printf("store: no memory for the transfer buffer\n");
        return false;
    }
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
        printf("store: no disk: %s\n", blk_strerror(e));
        rt_log(RT_LOG_ERROR, "store: no disk: %s", blk_strerror(e));
        return false;
    }
    struct store_dev dev = {
        .ctx = 0, .block_size = 4096, .nblocks = disk.sectors / 8,
        .read = dev_read, .write = dev_write, .flush = dev_flush, .sha256 = hash,
    };
    st.dev.block_size = dev.block_size;
    open_err = store_open(&st, &dev, &report);
    /* a read that failed (a timeout while the host was slow) is retried:
     * store_open never falls back from a slot it could not read */
    for (int tries = 0; open_err == STORE_E_IO_READ && tries < 3; tries++) {
        rt_sleep_us(100000);
        open_err = store_open(&st, &dev, &report);
    }
    if (open_err == STORE_E_NO_STORE || open_err == STORE_E_BAD_DEVICE) {
        /* a store formatted with 512-byte blocks */
        dev.block_size = 512;
        dev.nblocks = disk.sectors;
        st.dev.block_size = 512;
        enum store_err e2 = store_open(&st, &dev, &report);
        if (e2 == STORE_E_OK)
            open_err = e2;
    }
    if (open_err) {
        printf("store: no store on the disk: %s (%s)\n", store_err_name(open_err),
               store_err_msg(open_err));
        rt_log(RT_LOG_ERROR, "store: no store on the disk: %s", store_err_name(open_err));
        return false;
    }
    uint64_t big = 0;
    for (uint32_t i = 0; i < st.committed.nblobs; i++)
        if (st.committed.blobs[i].len > big)
            big = st.committed.blobs[i].len;
    big = big < UPLOAD_MAX ? UPLOAD_MAX : big;    /* what an install may add */
    if (big > MAX_BLOB)
        big = MAX_BLOB;
    unsigned pages = (unsigned)((big + st.dev.block_size + V_PAGE_SIZE - 1) / V_PAGE_SIZE);
    uint64_t bva = rt_va_alloc((uint64_t)pages * V_PAGE_SIZE);
    struct v_ret br = v_retype(rt_memory(), V_TYPE_FRAME, pages, V_SLOT_ANY);
    if (br.err || v_as_map(rt_aspace(), (v_handle)br.val, bva, V_R_READ | V_R_WRITE).err) {
        printf("store: no memory for a %llu-byte blob buffer\n", (unsigned long long)big);
        return false;
    }
    blobbuf = (uint8_t *)bva;
    blobcap = (size_t)pages * V_PAGE_SIZE;
    opened = true;
    printf("store: opened slot %u (seq %llu%s%s), generation %llu, %u capsules, %u blobs, %llu of %llu blocks free\n",
           report.used, (unsigned long long)st.committed.seq,
           report.fell_back ? ", the newer slot was bad: " : "",
           report.fell_back ? store_err_name(report.slot_err[report.used ^ 1]) : "",
           (unsigned long long)st.committed.cur.number, st.committed.ncaps, st.committed.nblobs,
           (unsigned long long)store_free_blocks(&st), (unsigned long long)st.dev.nblocks);
    if (report.fell_back)
        rt_log(RT_LOG_WARN, "store: slot %u bad (%s); opened slot %u", report.used ^ 1,
               store_err_name(report.slot_err[report.used ^ 1]), report.used);
    rt_log(RT_LOG_INFO, "store: opened slot %u seq %llu generation %llu", report.used,
           (unsigned long long)st.committed.seq, (unsigned long long)st.committed.cur.number);
    return true;
}

/* ---- replies ---- */

static enum Store_Status status_of(enum store_err e)
{
    switch (e) {
    case STORE_E_OK: return Store_Status_ok;
    case STORE_E_IO_READ: case STORE_E_IO_WRITE: case STORE_E_IO_FLUSH: return Store_Status_ioError;
    case STORE_E_SB_CHECKSUM: case STORE_E_CATALOG_CHECKSUM: case STORE_E_CATALOG_FORMAT:
    case STORE_E_BLOB_CORRUPT: case STORE_E_SB_FORMAT: case STORE_E_SB_MAGIC:
        return Store_Status_corrupt;
    case STORE_E_NOT_FOUND: return Store_Status_notFound;
    case STORE_E_EXISTS: return Store_Status_exists;
    case STORE_E_NO_SPACE: return Store_Status_noSpace;
    case STORE_E_TOO_BIG: return Store_Status_tooBig;
    case STORE_E_BAD_NAME: return Store_Status_badRequest;
    case STORE_E_IN_USE: return Store_Status_inUse;
    default: return Store_Status_refused;
    }
}

static uint8_t out[IPC_PAYLOAD_MAX];

#define SET_ERR(IF, r, e)                                                                  \
    do {                                                                                   \
        IF##_set_status(r, status_of(e));                                                  \
        if (e) {                                                                           \
            IF##_set_error(r, store_err_name(e), strlen(store_err_name(e)));               \
            IF##_set_why(r, store_err_msg(e), strlen(store_err_msg(e)));                   \
        }                                                                                  \
    } while (0)

static void serve_status(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    (void)msg;
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Store_status_Results_B r = Store_status_Results_build_root(&b);
    if (!opened) {
        Store_status_Results_set_status(r, Store_Status_notOpen);
        Store_status_Results_set_error(r, store_err_name(open_err), strlen(store_err_name(open_err)));
        Store_status_Results_set_why(r, store_err_msg(open_err), strlen(store_err_msg(open_err)));
        ipc_reply_built(c, Store_method_status, m->hdr.id, &b);
        return;
    }
    const struct store_root *k = &st.committed;
    Store_status_Results_set_status(r, Store_Status_ok);
    Store_status_Results_set_seq(r, k->seq);
    Store_status_Results_set_slot(r, st.slot);
    Store_status_Results_set_fellBack(r, report.fell_back);
    /* The slots now, not at mount: commits alternate between the slots, so
     * after any commit since the mount the slot in use holds the committed
     * root and the other one the root before it (a failed superblock write
     * reopens the store, which refreshes the report). */
    bool moved = k->seq != report.slot_seq[report.used] || st.slot != report.used;
    for (unsigned s = 0; s < 2; s++) {
        char t[80];
        if (moved)
            snprintf(t, sizeof t, "ok seq %llu",
                     (unsigned long long)(s == st.slot ? k->seq : k->seq - 1));
        else if (report.slot_err[s] == STORE_E_OK)
            snprintf(t, sizeof t, "ok seq %llu", (unsigned long long)report.slot_seq[s]);
        else
            snprintf(t, sizeof t, "%s", store_err_name(report.slot_err[s]));
        (s ? Store_status_Results_set_slot1 : Store_status_Results_set_slot0)(r, t, strlen(t));
    }
    Store_status_Results_set_blockSize(r, st.dev.block_size);
    Store_status_Results_set_blocks(r, st.dev.nblocks);
    Store_status_Results_set_freeBlocks(r, store_free_blocks(&st));
    Store_status_Results_set_blobs(r, k->nblobs);
    Store_status_Results_set_capsules(r, k->ncaps);
    Store_status_Results_set_states(r, k->nstates);
    Store_status_Results_set_generation(r, k->cur.number);
    Store_status_Results_set_hasPrevious(r, k->has_prev);
    Store_status_Results_set_previousGeneration(r, k->has_prev ? k->prev.number : 0);
    Store_status_Results_set_bootAttempts(r, k->boot_attempts);
    Store_status_Results_set_bootMax(r, k->boot_max);
    Store_status_Results_set_confirmed(r, k->confirmed);
    ipc_reply_built(c, Store_method_status, m->hdr.id, &b);
}

static bool not_open(struct ipc_conn *c, uint16_t method, uint64_t id)
{
    if (opened)
        return false;
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    /* every result struct has status as its first field: build status's */
    Store_status_Results_B r = Store_status_Results_build_root(&b);
    Store_status_Results_set_status(r, Store_Status_notOpen);
    ipc_reply_built(c, method, id, &b);
    return true;
}

static bool same(const uint8_t a[32], const uint8_t b[32]) { return !memcmp(a, b, 32); }

static void serve_installed(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    (void)msg;
    if (not_open(c, Store_method_installed, m->hdr.id))
        return;
    const struct store_root *k = &st.committed;
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Store_installed_Results_B r = Store_installed_Results_build_root(&b);
    Store_installed_Results_set_status(r, Store_Status_ok);
    Store_Capsule_BList l = Store_installed_Results_init_capsules(r, k->ncaps);
    for (uint32_t i = 0; i < k->ncaps; i++) {
        const struct store_capsule *cap = &k->caps[i];
        Store_Capsule_B e = Store_Capsule_BList_get(l, i);
        Store_Capsule_set_name(e, cap->name, cap->name_len);
        Store_Capsule_set_version(e, cap->ver, cap->ver_len);
        Store_Capsule_set_vcid(e, cap->vcid, 32);
        Store_Capsule_set_file(e, cap->file, 32);
        const struct store_blob *fb = store_blob_find(k, cap->file);
        Store_Capsule_set_bytes(e, fb ? fb->len : 0);
        const struct store_pin *p = store_pin_find(k, &k->cur, cap->name, cap->name_len);
        Store_Capsule_set_active(e, p && same(p->active, cap->vcid));
        Store_Capsule_set_previous(e, p && same(p->previous, cap->vcid));
    }
    ipc_reply_built(c, Store_method_installed, m->hdr.id, &b);
}

static void version_of(const uint8_t vcid[32], const char **v, size_t *n)
{
    static const uint8_t zero[32];
    const struct store_capsule *cap = same(vcid, zero) ? 0 : store_capsule_find(&st.committed, vcid);
    *v = cap ? cap->ver : "";
    *n = cap ? cap->ver_len : 0;
}

static void build_gen(Store_Generation_B g, const struct store_gen *gen)
{
    Store_Generation_set_number(g, gen->number);
    Store_Pin_BList l = Store_Generation_init_pins(g, gen->npins);
    for (uint32_t i = 0; i < gen->npins; i++) {
        const struct store_pin *p = &gen->pins[i];
        Store_Pin_B e = Store_Pin_BList_get(l, i);
        const struct store_capsule *cap = store_capsule_find(&st.committed, p->active);
        if (cap)
            Store_Pin_set_name(e, cap->name, cap->name_len);
        const char *v;
        size_t n;
        version_of(p->active, &v, &n);
        Store_Pin_set_active(e, v, n);
        version_of(p->previous, &v, &n);
        Store_Pin_set_previous(e, v, n);
    }
}

static void serve_generations(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    (void)msg;
    if (not_open(c, Store_method_generations, m->hdr.id))
        return;
    const struct store_root *k = &st.committed;
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Store_generations_Results_B r = Store_generations_Results_build_root(&b);
    Store_generations_Results_set_status(r, Store_Status_ok);
    build_gen(Store_generations_Results_init_current(r), &k->cur);
    Store_generations_Results_set_hasPrevious(r, k->has_prev);
    if (k->has_prev)
        build_gen(Store_generations_Results_init_previous(r), &k->prev);
    ipc_reply_built(c, Store_method_generations, m->hdr.id, &b);
}

static void serve_verify(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    (void)msg;
    if (not_open(c, Store_method_verify, m->hdr.id))
        return;
    const struct store_blob *bad = 0;
    cached = false;
    enum store_err e = store_verify_all(&st, blobbuf, blobcap, &bad);
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Store_verify_Results_B r = Store_verify_Results_build_root(&b);
    SET_ERR(Store_verify_Results, r, e);
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < st.staged.nblobs; i++)
        bytes += st.staged.blobs[i].len;
    Store_verify_Results_set_blobs(r, st.staged.nblobs);
    Store_verify_Results_set_bytes(r, bytes);
    if (e && bad) {
        char h[65];
        hex(h, bad->hash, 32);
        Store_verify_Results_set_blob(r, bad->hash, 32);
        rt_log(RT_LOG_ERROR, "store: blob %s: %s", h, store_err_name(e));
    }
    ipc_reply_built(c, Store_method_verify, m->hdr.id, &b);
}

static void serve_read(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    if (not_open(c, Store_method_read, m->hdr.id))
        return;
    Store_read_Params_R p = Store_read_Params_read_root(msg);
    struct capnp_data h = Store_read_Params_blob(p);
    uint64_t off = Store_read_Params_offset(p);
    uint32_t n = Store_read_Params_n(p);
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Store_read_Results_B r = Store_read_Results_build_root(&b);
    if (capnp_msg_error(msg) || h.len != 32 || n > Store_maxRead) {
        Store_read_Results_set_status(r, Store_Status_badRequest);
        ipc_reply_built(c, Store_method_read, m->hdr.id, &b);
        return;
    }
    uint8_t name[32];
    memcpy(name, h.ptr, 32);
    size_t len = 0;
    enum store_err e;
    if (cached && same(cached_hash, name) && store_blob_find(&st.committed, name)) {
        /* the blob read and verified last, asked for again at another
         * offset (a client reading a capsule in maxRead pieces) */
        e = STORE_E_OK;
        len = cached_len;
    } else {
        cached = false;
        uint64_t t0 = rdtsc();
        e = store_blob_read(&st, name, blobbuf, blobcap, &len);
        Store_read_Results_set_cycles(r, rdtsc() - t0);
        if (e == STORE_E_OK) {
            cached = true;
            memcpy(cached_hash, name, 32);
            cached_len = len;
        }
    }
    SET_ERR(Store_read_Results, r, e);
    if (e == STORE_E_BLOB_CORRUPT || e == STORE_E_IO_READ) {
        char hx[65];
        hex(hx, name, 32);
        rt_log(RT_LOG_ERROR, "store: blob %s: %s", hx, store_err_name(e));
    }
    if (e == STORE_E_OK) {
        Store_read_Results_set_length(r, len);
        if (off < len) {
            uint64_t k = len - off < n ? len - off : n;
            Store_read_Results_set_bytes(r, blobbuf + off, (uint32_t)k);
        }
    }
    ipc_reply_built(c, Store_method_read, m->hdr.id, &b);
}

static void serve_stateRead(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    if (not_open(c, Store_method_stateRead, m->hdr.id))
        return;
    struct capnp_text name = Store_stateRead_Params_name(Store_stateRead_Params_read_root(msg));
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Store_stateRead_Results_B r = Store_stateRead_Results_build_root(&b);
    if (capnp_msg_error(msg)) {
        Store_stateRead_Results_set_status(r, Store_Status_badRequest);
        ipc_reply_built(c, Store_method_stateRead, m->hdr.id, &b);
        return;
    }
    uint32_t schema = 0;
    size_t len = 0;
    cached = false;
    enum store_err e = store_state_read(&st, name.str, name.len, &schema, blobbuf, blobcap, &len);
    if (e == STORE_E_OK && len > Store_maxRead)
        e = STORE_E_TOO_BIG;
    SET_ERR(Store_stateRead_Results, r, e);
    if (e == STORE_E_OK) {
        Store_stateRead_Results_set_schema(r, schema);
        Store_stateRead_Results_set_bytes(r, blobbuf, (uint32_t)len);
    }
    ipc_reply_built(c, Store_method_stateRead, m->hdr.id, &b);
}

/* Commit what was staged, or forget it; reopen if a superblock write
 * failed, so what is served is what is on disk. */
static enum store_err finish(enum store_err e)
{
    if (e == STORE_E_OK)
        e = store_commit(&st);
    else
        store_abort(&st);
    if (e == STORE_E_BROKEN || (e && st.broken)) {
        enum store_err e2 = store_open(&st, &st.dev, &report);
        if (e2) {
            opened = false;
            open_err = e2;
        }
    }
    return e;
}

static void serve_stateWrite(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    if (not_open(c, Store_method_stateWrite, m->hdr.id))
        return;
    Store_stateWrite_Params_R p = Store_stateWrite_Params_read_root(msg);
    struct capnp_text name = Store_stateWrite_Params_name(p);
    struct capnp_data d = Store_stateWrite_Params_bytes(p);
    uint32_t schema = Store_stateWrite_Params_schema(p);
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Store_stateWrite_Results_B r = Store_stateWrite_Results_build_root(&b);
    if (capnp_msg_error(msg)) {
        Store_stateWrite_Results_set_status(r, Store_Status_badRequest);
        ipc_reply_built(c, Store_method_stateWrite, m->hdr.id, &b);
        return;
    }
    enum store_err e = finish(store_state_write(&st, name.str, name.len, schema, d.ptr, d.len));
    SET_ERR(Store_stateWrite_Results, r, e);
    Store_stateWrite_Results_set_seq(r, st.committed.seq);
    rt_log(e ? RT_LOG_WARN : RT_LOG_INFO, "store: state %.*s written: %s", (int)name.len,
           name.str, store_err_name(e));
    ipc_reply_built(c, Store_method_stateWrite, m->hdr.id, &b);
}

/* ---- changes (init only) ---- */

static uint8_t *upbuf;                  /* the upload buffer, made at the first putBegin */
static uint64_t up_len, up_have;        /* announced bytes; bytes received so far (in order) */
static uint8_t up_hash[32];
static struct ipc_conn *up_conn;        /* the connection uploading, or 0 */

static bool from_init(const struct ipc_conn *c) { return !strcmp(c->peer, "init"); }

/* A Change reply: e (with its name and reason), the committed root. */
static void change_reply(struct ipc_conn *c, uint16_t method, uint64_t id, enum store_err e,
                         enum Store_Status override, bool fell_back, uint64_t freed)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Store_Change_B r = Store_Change_build_root(&b);
    SET_ERR(Store_Change, r, e);
    if (override)
        Store_Change_set_status(r, override);
    if (opened) {
        Store_Change_set_seq(r, st.committed.seq);
        Store_Change_set_generation(r, st.committed.cur.number);
        Store_Change_set_freeBlocks(r, store_free_blocks(&st));
    }
    Store_Change_set_fellBack(r, fell_back);
    Store_Change_set_freed(r, freed);
    ipc_reply_built(c, method, id, &b);
}

static void refuse(struct ipc_conn *c, uint16_t method, uint64_t id, enum Store_Status s,
                   const char *why)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Store_Change_B r = Store_Change_build_root(&b);
    Store_Change_set_status(r, s);
    Store_Change_set_why(r, why, strlen(why));
    ipc_reply_built(c, method, id, &b);
}

/* Common gate of every change: the store is open, the caller is init and
 * the request opened. */
static bool change_gate(struct ipc_conn *c, uint16_t method, uint64_t id, struct capnp_msg *msg)
{
    if (not_open(c, method, id))
        return false;
    if (!from_init(c)) {
        refuse(c, method, id, Store_Status_denied, "only init changes the store");
        rt_log(RT_LOG_WARN, "store: change refused to '%s': only init changes the store", c->peer);
        return false;
    }
    if (capnp_msg_error(msg)) {
        refuse(c, method, id, Store_Status_badRequest, "malformed request");
        return false;
    }
    return true;
}

static void serve_putBegin(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    if (!change_gate(c, Store_method_putBegin, m->hdr.id, msg))
        return;
    Store_putBegin_Params_R p = Store_putBegin_Params_read_root(msg);
    uint64_t n = Store_putBegin_Params_bytes(p);
    struct capnp_data h = Store_putBegin_Params_sha256(p);
    if (h.len != 32 || n == 0)
        return refuse(c, Store_method_putBegin, m->hdr.id, Store_Status_badRequest,
                      "sha256 must be 32 bytes and the size above 0");
    if (n > UPLOAD_MAX)
        return change_reply(c, Store_method_putBegin, m->hdr.id, STORE_E_TOO_BIG, 0, false, 0);
    if (store_blob_find(&st.committed, h.ptr))
        return change_reply(c, Store_method_putBegin, m->hdr.id, STORE_E_EXISTS, 0, false, 0);
    uint64_t need = (n + st.dev.block_size - 1) / st.dev.block_size;
    if (need > store_free_blocks(&st))
        return change_reply(c, Store_method_putBegin, m->hdr.id, STORE_E_NO_SPACE, 0, false, 0);
    if (!upbuf) {
        unsigned pages = UPLOAD_MAX / V_PAGE_SIZE;
        uint64_t va = rt_va_alloc((uint64_t)pages * V_PAGE_SIZE);
        struct v_ret r = v_retype(rt_memory(), V_TYPE_FRAME, pages, V_SLOT_ANY);
        if (r.err || v_as_map(rt_aspace(), (v_handle)r.val, va, V_R_READ | V_R_WRITE).err)
            return refuse(c, Store_method_putBegin, m->hdr.id, Store_Status_noSpace,
                          "no memory for the upload buffer");
        upbuf = (uint8_t *)va;
    }
    up_conn = c;
    up_len = n;
    up_have = 0;
    memcpy(up_hash, h.ptr, 32);
    change_reply(c, Store_method_putBegin, m->hdr.id, STORE_E_OK, 0, false, 0);
}

static void serve_putChunk(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    if (!change_gate(c, Store_method_putChunk, m->hdr.id, msg))
        return;
    Store_putChunk_Params_R p = Store_putChunk_Params_read_root(msg);
    uint64_t off = Store_putChunk_Params_offset(p);
    struct capnp_data d = Store_putChunk_Params_bytes(p);
    if (up_conn != c)
        return refuse(c, Store_method_putChunk, m->hdr.id, Store_Status_badRequest,
                      "no upload begun on this connection");
    if (off != up_have || d.len > up_len - up_have)
        return refuse(c, Store_method_putChunk, m->hdr.id, Store_Status_badRequest,
                      "chunks must come in order and within the announced size");
    memcpy(upbuf + off, d.ptr, d.len);
    up_have += d.len;
    change_reply(c, Store_method_putChunk, m->hdr.id, STORE_E_OK, 0, false, 0);
}

static void serve_install(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    if (!change_gate(c, Store_method_install, m->hdr.id, msg))
        return;
    Store_install_Params_R p = Store_install_Params_read_root(msg);
    struct capnp_data vcid = Store_install_Params_vcid(p);
    struct capnp_text name = Store_install_Params_name(p);
    struct capnp_text ver = Store_install_Params_version(p);
    bool act = Store_install_Params_activate(p);
    if (up_conn != c || up_have != up_len || vcid.len != 32)
        return refuse(c, Store_method_install, m->hdr.id, Store_Status_badRequest,
                      "no complete upload on this connection, or vcid not 32 bytes");
    up_conn = 0;
    uint8_t h[32];
    sha256(h, upbuf, up_len);
    if (memcmp(h, up_hash, 32))
        return refuse(c, Store_method_install, m->hdr.id, Store_Status_corrupt,
                      "the bytes received do not hash to the announced sha256");
    enum store_err e = store_capsule_find(&st.committed, vcid.ptr) ? STORE_E_EXISTS : STORE_E_OK;
    for (uint32_t i = 0; !e && i < st.committed.ncaps; i++) {
        const struct store_capsule *k = &st.committed.caps[i];
        if (k->name_len == name.len && k->ver_len == ver.len && !memcmp(k->name, name.str, name.len) &&
            !memcmp(k->ver, ver.str, ver.len))
            e = STORE_E_EXISTS;
    }
    uint8_t file[32];
    if (!e)
        e = store_blob_put(&st, upbuf, up_len, file);
    if (!e)
        e = store_capsule_add(&st, vcid.ptr, file, name.str, name.len, ver.str, ver.len);
    if (!e && act)
        e = store_activate(&st, vcid.ptr);
    e = finish(e);
    rt_log(e ? RT_LOG_WARN : RT_LOG_INFO, "store: install %.*s %.*s: %s", (int)name.len, name.str,
           (int)ver.len, ver.str, store_err_name(e));
    change_reply(c, Store_method_install, m->hdr.id, e, 0, false, 0);
}

static void serve_activate(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    if (!change_gate(c, Store_method_activate, m->hdr.id, msg))
        return;
    struct capnp_data v = Store_activate_Params_vcid(Store_activate_Params_read_root(msg));
    enum store_err e = v.len == 32 ? finish(store_activate(&st, v.ptr)) : STORE_E_NOT_FOUND;
    rt_log(e ? RT_LOG_WARN : RT_LOG_INFO, "store: activate: %s, generation %llu",
           store_err_name(e), (unsigned long long)st.committed.cur.number);
    change_reply(c, Store_method_activate, m->hdr.id, e, 0, false, 0);
}

static void serve_rollback(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    if (!change_gate(c, Store_method_rollback, m->hdr.id, msg))
        return;
    struct capnp_text n = Store_rollback_Params_name(Store_rollback_Params_read_root(msg));
    enum store_err e = finish(store_rollback(&st, n.str ? n.str : "", n.len));
    rt_log(e ? RT_LOG_WARN : RT_LOG_INFO, "store: rollback %.*s: %s, generation %llu",
           (int)n.len, n.str ? n.str : "", store_err_name(e),
           (unsigned long long)st.committed.cur.number);
    change_reply(c, Store_method_rollback, m->hdr.id, e, 0, false, 0);
}

static void serve_remove(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    if (!change_gate(c, Store_method_remove, m->hdr.id, msg))
        return;
    struct capnp_data v = Store_remove_Params_vcid(Store_remove_Params_read_root(msg));
    enum store_err e = v.len == 32 ? finish(store_capsule_remove(&st, v.ptr)) : STORE_E_NOT_FOUND;
    rt_log(e ? RT_LOG_WARN : RT_LOG_INFO, "store: remove: %s", store_err_name(e));
    change_reply(c, Store_method_remove, m->hdr.id, e, 0, false, 0);
}

static void serve_gc(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    if (!change_gate(c, Store_method_gc, m->hdr.id, msg))
        return;
    uint64_t freed = 0;
    enum store_err e = store_gc(&st, &freed);
    if (e) {
        store_abort(&st);
        if (st.broken)
            finish(e);
    }
    rt_log(e ? RT_LOG_WARN : RT_LOG_INFO, "store: gc: %s, %llu blocks freed", store_err_name(e),
           (unsigned long long)freed);
    change_reply(c, Store_method_gc, m->hdr.id, e, 0, false, freed);
}

static void serve_boot(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    if (!change_gate(c, Store_method_boot, m->hdr.id, msg))
        return;
    enum Store_BootStep step = Store_boot_Params_step(Store_boot_Params_read_root(msg));
    bool fell = false;
    enum store_err e;
    if (step != Store_BootStep_fallback && step <= Store_BootStep_confirm &&
        st.committed.confirmed)
        /* a confirmed generation: nothing to count, nothing to commit */
        return change_reply(c, Store_method_boot, m->hdr.id, STORE_E_OK, 0, false, 0);
    if (step == Store_BootStep_begin)
        e = store_boot_begin(&st, &fell);
    else if (step == Store_BootStep_confirm)
        e = store_boot_confirm(&st);
    else if (step == Store_BootStep_fallback)
        e = (fell = true, store_boot_fallback(&st));
    else
        return refuse(c, Store_method_boot, m->hdr.id, Store_Status_badRequest, "unknown step");
    e = finish(e);
    rt_log(e ? RT_LOG_WARN : RT_LOG_INFO, "store: boot %s: %s, generation %llu%s",
           step == Store_BootStep_begin ? "begin" : step == Store_BootStep_confirm ? "confirm"
                                                                                   : "fallback",
           store_err_name(e), (unsigned long long)st.committed.cur.number,
           fell && !e ? " (fell back)" : "");
    change_reply(c, Store_method_boot, m->hdr.id, e, 0, fell && !e, 0);
}

#define ROW(name) IPC_METHOD(Store, name)
static const struct ipc_method methods[] = {Store_METHODS(ROW){0, 0, 0}};

int main(void)
{
    v_handle listen = rt_cap("listen");
    if (!listen || ipc_server_init(&srv, listen))
        return 2;
    mount();
    rt_log(RT_LOG_INFO, "store service started");
    ipc_serve_methods(&srv, methods, V_TIMEOUT_NEVER);
    return 0;
}
