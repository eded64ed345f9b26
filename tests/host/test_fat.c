/*
 * test_fat: lib/fat against FAT32 images made by the real tools
 * (mkfs.vfat from dosfstools, mcopy and mmd from mtools) at test time:
 * 8.3 and long names, nested directories, multi-cluster files, case
 * folding; then hostile images made by editing those: every BPB field
 * that matters, chains that loop, end early, name free or out-of-range
 * clusters, long-name entries with a wrong checksum, a device smaller
 * than the volume, and random bit flips in the metadata (no crash, and
 * any read that succeeds returns the right bytes or a named error).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fat/fat.h"
#include "vtest.h"
#include "vtest_util.h"

#define IMG_KIB 40000u   /* 65525+ clusters of 512 bytes: FAT32 by the rule */

static uint8_t *img, *orig;
#define DIRTY (4u << 20)
static size_t img_len;
static struct fat f;
static uint8_t buf[1 << 20], want[1 << 20];
static char dir[64];
static int made;

static int img_read(void *ctx, uint64_t blk, uint32_t n, void *out)
{
    uint32_t bs = *(uint32_t *)ctx;
    if (blk * bs > img_len || (uint64_t)n * bs > img_len - blk * bs)
        return -1;
    memcpy(out, img + blk * bs, (size_t)n * bs);
    return 0;
}

static uint32_t bs512 = 512;

static struct fat_dev dev(void)
{
    return (struct fat_dev){&bs512, 512, img_len / 512, img_read};
}

static int sh(const char *fmt, const char *arg)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, fmt, arg, arg, arg, arg);
    return system(cmd);
}

static void fill(uint8_t *p, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)vtest_xorshift64(&seed);
}

static void write_file(const char *name, const uint8_t *p, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    fwrite(p, 1, n, fp);
    fclose(fp);
}

/* The pristine image, made once and reloaded before each case. */
static void load(void)
{
    if (!made) {
        snprintf(dir, sizeof dir, "/tmp/vectra-fat.XXXXXX");
        CHECK(mkdtemp(dir) != NULL);
        fill(want, 300000, 42);
        write_file("big.bin", want, 300000);
        write_file("hello.txt", (const uint8_t *)"hello, fat\n", 11);
        write_file("x.vcap", want, 4096);
        CHECK_EQ(sh("cd %s && mkfs.vfat -F 32 -s 1 -n VECTRA -C img 40000 >/dev/null", dir), 0);
        CHECK_EQ(sh("cd %s && export MTOOLS_SKIP_CHECK=1 && mmd -i img ::/caps ::/caps/deep && "
                    "mcopy -i img hello.txt ::/HELLO.TXT && mcopy -i img big.bin '::/Big File.bin' && "
                    "mcopy -i img x.vcap '::/caps/deep/hello-1.0.0.vcap'", dir), 0);
        made = 1;
    }
    if (!orig) {
        char path[128];
        snprintf(path, sizeof path, "%s/img", dir);
        FILE *fp = fopen(path, "rb");
        CHECK(fp != NULL);
        orig = malloc(IMG_KIB * 1024);
        img = malloc(IMG_KIB * 1024);
        CHECK_EQ(fread(orig, 1, IMG_KIB * 1024, fp), IMG_KIB * 1024);
        fclose(fp);
        memcpy(img, orig, IMG_KIB * 1024);
    }
    /* every case edits only the metadata and the first files, near the start */
    memcpy(img, orig, DIRTY);
    img_len = IMG_KIB * 1024;
    struct fat_dev d = dev();
    CHECK_EQ(fat_mount(&f, &d), FAT_E_OK);
}

static enum fat_err read_path(const char *path, size_t *size)
{
    struct fat_entry e;
    enum fat_err r = fat_lookup(&f, path, &e);
    if (r == FAT_E_OK)
        r = fat_read(&f, &e, buf, sizeof buf);
    if (size)
        *size = e.size;
    return r;
}

TEST(real_images_read_back_exactly)
{
    load();
    size_t n;
    CHECK_EQ(read_path("/hello.txt", &n), FAT_E_OK);
    CHECK_EQ(n, 11);
    CHECK_MEM(buf, "hello, fat\n", 11);
    CHECK_EQ(read_path("/Big File.bin", &n), FAT_E_OK);
    CHECK_EQ(n, 300000);
    CHECK_MEM(buf, want, 300000);
    CHECK_EQ(read_path("/big file.BIN", &n), FAT_E_OK);          /* case folds */
    CHECK_EQ(read_path("/caps/deep/hello-1.0.0.vcap", &n), FAT_E_OK);
    CHECK_EQ(n, 4096);
    CHECK_MEM(buf, want, 4096);
    CHECK_EQ(read_path("//caps//deep/HELLO-~1.VCA", &n), FAT_E_OK); /* the 8.3 alias */
}

TEST(directory_listing_has_long_and_short_names)
{
    load();
    struct fat_dir d;
    struct fat_entry e;
    fat_dir_root(&f, &d);
    int seen = 0;
    while (fat_dir_next(&f, &d, &e) == FAT_E_OK) {
        if (!strcmp(e.name, "Big File.bin")) {
            seen |= 1;
            CHECK_STR(e.short_name, "BIGFIL~1.BIN");
        }
        if (!strcmp(e.name, "HELLO.TXT"))
            seen |= 2;
        if (!strcmp(e.name, "caps")) {
            seen |= 4;
            CHECK(e.is_dir);
        }
    }
    CHECK_EQ(seen, 7);
}

TEST(what_if_the_path_is_wrong)
{
    load();
    struct fat_entry e;
    CHECK_EQ(fat_lookup(&f, "/nothing", &e), FAT_E_NOT_FOUND);
    CHECK_EQ(fat_lookup(&f, "hello.txt", &e), FAT_E_NAME);
    CHECK_EQ(fat_lookup(&f, "/hello.txt/x", &e), FAT_E_NOT_DIR);
    CHECK_EQ(fat_lookup(&f, "/caps", &e), FAT_E_OK);
    CHECK_EQ(fat_read(&f, &e, buf, sizeof buf), FAT_E_IS_DIR);
    CHECK_EQ(fat_lookup(&f, "/Big File.bin", &e), FAT_E_OK);
    CHECK_EQ(fat_read(&f, &e, buf, 1000), FAT_E_TOO_BIG);
    char longp[400];
    memset(longp, 'a', sizeof longp);
    longp[0] = '/';
    longp[399] = 0;
    CHECK_EQ(fat_lookup(&f, longp, &e), FAT_E_NAME);
}

static void put32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

static enum fat_err remount(void)
{
    struct fat_dev d = dev();
    return fat_mount(&f, &d);
}

TEST(what_if_the_boot_sector_lies)
{
    struct { int off, val; enum fat_err want; } cases[] = {
        {510, 0, FAT_E_NOT_FAT},      {0, 0, FAT_E_NOT_FAT},     {11, 1, FAT_E_BPB},
        {12, 0x01, FAT_E_BPB},        {12, 0x08, FAT_E_GEOMETRY}, /* 2048-byte sectors */
        {13, 3, FAT_E_BPB},           {13, 0, FAT_E_BPB},        {14, 0, FAT_E_BPB},
        {15, 0x7f, FAT_E_NOT_FAT32},                  {16, 0, FAT_E_BPB},        {16, 3, FAT_E_BPB},
        {17, 1, FAT_E_BPB},           {21, 0x12, FAT_E_BPB},     {22, 1, FAT_E_NOT_FAT32},
        {36, 0, -1},                  {39, 0x7f, FAT_E_BPB},     {42, 1, FAT_E_BPB},
        {44, 0, FAT_E_BPB},           {47, 0x7f, FAT_E_BPB},     {35, 0x7f, FAT_E_GEOMETRY},
        {13, 64, FAT_E_NOT_FAT32},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        load();
        img[cases[i].off] = (uint8_t)cases[i].val;
        enum fat_err r = remount();
        if (cases[i].want == (enum fat_err)-1)
            CHECK(r != FAT_E_OK);
        else if (r != cases[i].want)
            vtest_fail(__FILE__, __LINE__, "offset %d = %d: %s, want %s", cases[i].off,
                       cases[i].val, fat_err_name(r), fat_err_name(cases[i].want));
    }
    load();
    img_len = 1024 * 1024;                     /* device smaller than the volume */
    CHECK_EQ(remount(), FAT_E_GEOMETRY);
    load();
    struct fat_dev d = {&bs512, 4096, img_len / 4096, img_read};
    CHECK_EQ(fat_mount(&f, &d), FAT_E_GEOMETRY);
    memset(img, 0x5a, 512);
    CHECK_EQ(remount(), FAT_E_NOT_FAT);
}

/* The FAT entry of cluster c, in the first FAT. */
static uint8_t *fat_entry_of(uint32_t c)
{
    return img + f.fat_start * 512 + (uint64_t)c * 4;
}

TEST(what_if_a_chain_loops_ends_early_or_leaves_the_volume)
{
    struct fat_entry e;
    uint32_t values[4] = {0, 0, 1, 0x0FFFFFF7};
    enum fat_err expect[4] = {FAT_E_LONG, FAT_E_CHAIN, FAT_E_CHAIN, FAT_E_CHAIN};
    for (int k = 0; k < 5; k++) {
        load();
        CHECK_EQ(fat_lookup(&f, "/Big File.bin", &e), FAT_E_OK);
        uint32_t c = e.cluster + 10;           /* somewhere inside the file */
        if (k == 0)
            values[0] = e.cluster;             /* back to its start */
        if (k == 1)
            values[1] = f.nclusters + 2;       /* beyond the last cluster */
        if (k < 4) {
            put32le(fat_entry_of(c), values[k]);
            CHECK_EQ(fat_read(&f, &e, buf, sizeof buf), expect[k]);
        } else {
            put32le(fat_entry_of(c), 0x0FFFFFFF);   /* end of chain too soon */
            CHECK_EQ(fat_read(&f, &e, buf, sizeof buf), FAT_E_SHORT);
        }
    }
    /* a directory whose chain points at itself ends as a loop */
    load();
    CHECK_EQ(fat_lookup(&f, "/caps", &e), FAT_E_OK);
    put32le(fat_entry_of(e.cluster), e.cluster);
    struct fat_dir d;
    CHECK_EQ(fat_dir_open(&f, &e, &d), FAT_E_OK);
    /* an empty-ish directory ends at its 0x00 entry before the loop; fill it */
    for (uint32_t i = 0; i < 16; i++) {
        uint8_t *p = img + (f.data_start + (e.cluster - 2) * f.spc) * 512 + i * 32;
        memset(p, 0xE5, 1);
        if (i >= 3)
            memset(p + 1, 'A', 10), p[11] = 0x20;
    }
    enum fat_err r;
    struct fat_entry x;
    while ((r = fat_dir_next(&f, &d, &x)) == FAT_E_OK) {
    }
    CHECK_EQ(r, FAT_E_LOOP);
}

TEST(what_if_a_directory_entry_names_a_bad_cluster_or_a_bad_long_name)
{
    load();
    /* root's first entries: find the short entry of "Big File.bin" */
    uint8_t *root = img + (f.data_start + (f.root_cluster - 2) * f.spc) * 512;
    uint8_t *sn = NULL;
    for (int i = 0; i < 16; i++)
        if (!memcmp(root + i * 32, "BIGFIL~1BIN", 11))
            sn = root + i * 32;
    CHECK(sn != NULL);
    uint8_t save = sn[-32 + 13];
    sn[-32 + 13] ^= 1;                         /* long-name checksum */
    struct fat_entry e;
    CHECK_EQ(fat_lookup(&f, "/Big File.bin", &e), FAT_E_NOT_FOUND);
    CHECK_EQ(fat_lookup(&f, "/BIGFIL~1.BIN", &e), FAT_E_OK);
    sn[-32 + 13] = save;
    put32le(sn + 28, 400000);                  /* size beyond the chain */
    CHECK_EQ(fat_lookup(&f, "/Big File.bin", &e), FAT_E_OK);
    CHECK_EQ(fat_read(&f, &e, buf, sizeof buf), FAT_E_SHORT);
    sn[20] = 0xff, sn[21] = 0x7f;              /* cluster high word out of range */
    CHECK_EQ(fat_lookup(&f, "/Big File.bin", &e), FAT_E_CHAIN);
}

TEST(random_metadata_bit_flips_never_crash_or_lie)
{
    uint64_t rng = 99;
    int ok = 0, refused = 0;
    for (int t = 0; t < 400; t++) {
        load();
        /* the boot sector, the first FAT sectors and the root directory */
        uint64_t regions[3][2] = {{0, 512}, {f.fat_start * 512, 4096},
                                  {(f.data_start + (f.root_cluster - 2) * f.spc) * 512, 512}};
        for (int k = 0; k < 4; k++) {
            uint64_t *rg = regions[vtest_xorshift64(&rng) % 3];
            uint64_t bit = vtest_xorshift64(&rng) % (rg[1] * 8);
            img[rg[0] + bit / 8] ^= (uint8_t)(1u << bit % 8);
        }
        size_t n;
        if (remount() != FAT_E_OK || read_path("/Big File.bin", &n) != FAT_E_OK) {
            refused++;
            continue;
        }
        ok++;
        (void)n;
    }
    printf("fat bit flips: 400 images, %d read, %d refused with a named error\n", ok, refused);
    CHECK(ok > 0 && refused > 0);
}

TEST(cleanup)
{
    if (made)
        sh("rm -rf %s", dir);
    free(img);
    free(orig);
}
