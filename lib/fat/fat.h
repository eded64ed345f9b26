/*
 * fat: a read-only FAT32 reader, for the interchange volumes capsules
 * arrive on without a network (a disk image made on the host with mtools
 * or mkfs.vfat).
 *
 * Shape: pure logic over a block-read callback (the store's device shape),
 * no allocation: `struct fat` carries one sector buffer and one cached FAT
 * sector. Everything read from the disk is hostile:
 *  - the BPB is validated in full before anything else is read; the FAT
 *    type is decided by the cluster count, as the specification says, and
 *    only FAT32 is accepted;
 *  - every cluster number is checked against the volume before it is
 *    used, a chain may not name a free, reserved or bad cluster, and a
 *    walk longer than the volume has clusters is a loop (FAT_E_LOOP);
 *  - a file's chain must end exactly where its size does (so a loop in
 *    a file is caught however short the file); a directory is at most 2 MiB
 *    (65536 entries, the specification's limit).
 * Long file names (VFAT) are used when their checksum matches their short
 * entry, as UTF-8; otherwise the 8.3 name is used. Lookup is
 * case-insensitive for ASCII, as FAT is.
 */
#ifndef FAT_FAT_H
#define FAT_FAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fat_dev {
    void *ctx;
    uint32_t block_size;   /* must equal the volume's bytes per sector */
    uint64_t nblocks;
    int (*read)(void *ctx, uint64_t blk, uint32_t n, void *buf);
};

#define FAT_ERRORS(X)                                                        \
    X(OK, "ok")                                                              \
    X(IO, "the device failed a read")                                        \
    X(NOT_FAT, "no FAT boot sector (signature or jump)")                     \
    X(BPB, "BIOS parameter block fields are invalid")                        \
    X(NOT_FAT32, "the volume is FAT12/16, not FAT32")                        \
    X(GEOMETRY, "sector size differs from the device, or volume exceeds it") \
    X(CHAIN, "cluster chain names a free, bad or out-of-range cluster")      \
    X(LOOP, "cluster chain is longer than the volume: a loop")               \
    X(SHORT, "cluster chain ends before the file does")                      \
    X(LONG, "cluster chain goes on after the file ends (a loop or lost clusters)") \
    X(NOT_FOUND, "no such file or directory")                                \
    X(NOT_DIR, "a path component is not a directory")                        \
    X(IS_DIR, "that is a directory")                                         \
    X(NAME, "path is empty, relative or has an over-long component")         \
    X(TOO_BIG, "file is larger than the buffer")

enum fat_err {
#define FAT_X_ENUM(name, msg) FAT_E_##name,
    FAT_ERRORS(FAT_X_ENUM)
#undef FAT_X_ENUM
    FAT_NERRORS
};

const char *fat_err_name(enum fat_err e);
const char *fat_err_msg(enum fat_err e);

#define FAT_NAME_MAX 768   /* 255 UTF-16 units as UTF-8, plus NUL */
#define FAT_DIR_MAX (2u << 20)

/* A long name being collected (its entries precede the short entry). */
struct fat_lfn {
    uint16_t u[20 * 13];
    uint32_t n;        /* units the first entry announced */
    uint32_t expect;   /* next ordinal, 0 = complete */
    uint8_t sum;       /* checksum of the short name it belongs to */
    bool active;
};

struct fat {
    struct fat_dev dev;     /* immutable after mount */
    uint32_t bps, spc, cluster_bytes;
    uint64_t fat_start, data_start;
    uint32_t fat_sectors, nclusters, root_cluster;
    uint64_t cached;        /* FAT sector in fatbuf, or UINT64_MAX */
    uint8_t fatbuf[4096];
    uint8_t sec[4096];
    struct fat_lfn lfn;
};

struct fat_entry {
    char name[FAT_NAME_MAX];    /* long name if valid, else 8.3 */
    char short_name[13];
    uint8_t attr;
    bool is_dir;
    uint32_t cluster;
    uint32_t size;
};

/* Iterates one directory. */
struct fat_dir {
    uint32_t cluster;      /* current cluster */
    uint32_t off;          /* next entry within the cluster */
    uint32_t index;        /* entries read from the directory */
    uint32_t steps;        /* clusters walked */
    bool end;
};

enum fat_err fat_mount(struct fat *f, const struct fat_dev *dev);
void fat_dir_root(const struct fat *f, struct fat_dir *d);
enum fat_err fat_dir_open(const struct fat *f, const struct fat_entry *e, struct fat_dir *d);
/* FAT_E_OK with *e filled, or FAT_E_NOT_FOUND at the end. */
enum fat_err fat_dir_next(struct fat *f, struct fat_dir *d, struct fat_entry *e);
/* Looks up "/dir/file" from the root. */
enum fat_err fat_lookup(struct fat *f, const char *path, struct fat_entry *e);
/* Reads the whole file into buf. */
enum fat_err fat_read(struct fat *f, const struct fat_entry *e, void *buf, size_t cap);

#endif
