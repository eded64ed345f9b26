/*
 * fuzz/store_image: libFuzzer target for the on-disk parsers of lib/store
 * and lib/fat: open, verify and list a store image, and mount, list and
 * read a FAT32 volume, both from fuzzer-chosen bytes.
 *
 * Input: byte 0 chooses the mode.
 *   0-63    a store built by operations, then patched: the input is a
 *           list of operations (put a blob, record a capsule, activate,
 *           roll back, write state, commit, gc) run on a freshly formatted
 *           64-block store, followed after a 0xFF byte by (offset, xor)
 *           patches to the image. This reaches deep into the catalog with
 *           well-formed images that the patches then bend.
 *   64-127  the rest of the input is a raw store image (512-byte blocks).
 *   128-255 the rest is the start of a FAT32 volume on a 40 MB device
 *           (512-byte sectors; sectors past the input read as zeros).
 * SHA-256 is a stub (the first 32 bytes of the message mixed with its
 * length), weak on purpose so the fuzzer can forge checksums and get past
 * them into the parsers behind.
 *
 * Sources: lib/store, lib/fat and lib/string (FUZZ_SRCS_store_image in
 * lib/store/rules.mk).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fat/fat.h"
#include "store/store.h"

#define NBLK 64u
#define BS 512u
#define MAXIMG (1u << 20)

static uint8_t img[MAXIMG];
static size_t img_len;
static struct store st;
static struct fat fs;
static uint8_t buf[1 << 16];

static void weak_sha256(uint8_t out[32], const void *msg, size_t len)
{
    memset(out, 0, 32);
    memcpy(out, msg, len < 32 ? len : 32);
    out[31] ^= (uint8_t)len;
}

/* Blocks past the input read as zeros up to the device size, so a seed
 * can be the start of a 40 MB FAT32 volume. */
static uint64_t dev_blocks;

static int r_read(void *ctx, uint64_t blk, uint32_t n, void *out)
{
    (void)ctx;
    if (blk > dev_blocks || n > dev_blocks - blk)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *o = (uint8_t *)out + (size_t)i * BS;
        if ((blk + i + 1) * BS <= img_len)
            memcpy(o, img + (blk + i) * BS, BS);
        else
            memset(o, 0, BS);
    }
    return 0;
}

static int r_write(void *ctx, uint64_t blk, uint32_t n, const void *in)
{
    (void)ctx;
    if (blk * BS > img_len || (uint64_t)n * BS > img_len - blk * BS)
        return -1;
    memcpy(img + blk * BS, in, (size_t)n * BS);
    return 0;
}

static int r_flush(void *ctx)
{
    (void)ctx;
    return 0;
}

static const struct store_dev dev = {NULL, BS, NBLK, r_read, r_write, r_flush, weak_sha256};

/* Runs the operations in p[0..n) on st; returns where they stopped. */
static size_t build(const uint8_t *p, size_t n)
{
    static const char *const names[4] = {"a", "b", "core", "demo"};
    static const char *const vers[4] = {"1", "1.1", "2.0.0", "3"};
    size_t i = 0;
    while (i + 2 <= n && p[i] != 0xFF) {
        uint8_t op = p[i] & 7, arg = p[i + 1];
        const char *name = names[arg & 3], *ver = vers[arg >> 2 & 3];
        uint8_t h[32], v[32];
        weak_sha256(v, ver, strlen(ver));
        v[0] = (uint8_t)(arg & 3);
        i += 2;
        switch (op) {
        case 0: (void)store_blob_put(&st, p + i, n - i < arg ? n - i : arg, h); break;
        case 1:
            if (store_blob_put(&st, name, strlen(name), h) == STORE_E_OK)
                (void)store_capsule_add(&st, v, h, name, strlen(name), ver, strlen(ver));
            break;
        case 2: (void)store_activate(&st, v); break;
        case 3: (void)store_rollback(&st, name, strlen(name)); break;
        case 4: (void)store_state_write(&st, name, strlen(name), arg, p + i, n - i < 40 ? n - i : 40); break;
        case 5: (void)store_commit(&st); break;
        case 6: { uint64_t freed; (void)store_gc(&st, &freed); } break;
        default: { bool fb; (void)store_boot_begin(&st, &fb); (void)store_commit(&st); } break;
        }
    }
    return i;
}

static void use_store(void)
{
    struct store_report rep;
    struct store_dev d = dev;
    d.nblocks = dev_blocks = img_len / BS;
    if (store_open(&st, &d, &rep) != STORE_E_OK)
        return;
    const struct store_blob *bad;
    (void)store_verify_all(&st, buf, sizeof buf, &bad);
    for (uint32_t i = 0; i < st.staged.ncaps; i++)
        (void)store_pin_find(&st.staged, &st.staged.cur, st.staged.caps[i].name,
                             st.staged.caps[i].name_len);
    size_t len;
    uint32_t schema;
    (void)store_ref_read(&st, STORE_REF_POLICY, buf, sizeof buf, &len);
    if (st.staged.nstates)
        (void)store_state_read(&st, st.staged.states[0].name, st.staged.states[0].name_len,
                               &schema, buf, sizeof buf, &len);
    (void)store_free_blocks(&st);
}

static void walk(struct fat_dir *d, int depth)
{
    struct fat_entry e;
    for (int k = 0; k < 64 && fat_dir_next(&fs, d, &e) == FAT_E_OK; k++) {
        if (e.is_dir && depth < 3) {
            struct fat_dir sub;
            if (fat_dir_open(&fs, &e, &sub) == FAT_E_OK)
                walk(&sub, depth + 1);
        } else {
            (void)fat_read(&fs, &e, buf, sizeof buf);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > MAXIMG)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    if (data[0] < 64) {
        img_len = NBLK * BS;
        dev_blocks = NBLK;
        memset(img, 0, img_len);
        if (store_format(&st, &dev, 2) != STORE_E_OK)
            return 0;
        size_t i = build(p, n);
        for (i++; i + 3 <= n; i += 3)
            img[(p[i] | p[i + 1] << 8) % img_len] ^= p[i + 2];
        use_store();
    } else if (data[0] < 128) {
        img_len = n / BS * BS;
        memcpy(img, p, img_len);
        use_store();
    } else {
        img_len = n / BS * BS;
        memcpy(img, p, img_len);
        dev_blocks = 80000;
        struct fat_dev fd = {NULL, BS, dev_blocks, r_read};
        if (fat_mount(&fs, &fd) != FAT_E_OK)
            return 0;
        struct fat_dir root;
        fat_dir_root(&fs, &root);
        walk(&root, 0);
        struct fat_entry e;
        (void)fat_lookup(&fs, "/caps/hello-1.0.0.vcap", &e);
    }
    return 0;
}
