/*
 * store: the content-addressed capsule store on a block device.
 *
 * What it owns: the on-disk format of docs/STORE.md (two superblock slots,
 * copy-on-write catalogs, blob extents) and the rules that keep it
 * consistent across a crash at any write. The device, SHA-256 and all
 * memory come from the caller: `struct store` is one caller-provided
 * object (about 140 KiB) and nothing here allocates or calls libc.
 *
 * Model. Blobs are immutable byte strings named by their SHA-256 and
 * verified on every read. Everything mutable lives in the catalog: the
 * blob table, the installed capsules, the current and previous system
 * generation (which version of each capsule is active, and its previous
 * one), boot-attempt counting, the trust policy and sealed Machine key
 * blob references, and the per-capsule state volumes. Mutating calls
 * change only the in-memory *staged* root; store_commit() publishes it.
 *
 * Invariants.
 *  1. A block referenced by either committed superblock slot (its catalog
 *     or any blob of its catalog) is never written. New data and catalogs
 *     go only to blocks outside both, so a crash at any write leaves both
 *     committed roots intact.
 *  2. A commit is: write blobs and catalog, flush, write the one
 *     superblock slot that does not hold the newest root (sequence + 1),
 *     flush. The superblock write is the single point of atomicity; a torn
 *     one fails its checksum and open takes the other slot (the old state).
 *  3. Free space is whatever no root references: derivable from the
 *     committed roots alone, so an interrupted install leaves nothing but
 *     free space. Unreferenced blobs still in the table are reclaimed by
 *     store_gc().
 *  4. Every byte of the metadata has one permitted value and is checked
 *     at open; every blob byte (and its block padding) is checked at read.
 *     Corruption is a named error, never wrong bytes.
 *  5. A failed call changes nothing (validate, then act), except that an
 *     I/O error while writing a superblock leaves the store `broken`:
 *     only a fresh store_open() can say which root is on disk.
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the device ---- */

/* Callbacks return 0 on success, anything else is an I/O error. Block
 * numbers and counts are in units of block_size (512 or 4096). */
struct store_dev {
    void *ctx;
    uint32_t block_size;
    uint64_t nblocks;
    int (*read)(void *ctx, uint64_t blk, uint32_t n, void *buf);
    int (*write)(void *ctx, uint64_t blk, uint32_t n, const void *buf);
    int (*flush)(void *ctx);
    void (*sha256)(uint8_t out[32], const void *msg, size_t len);
};

/* ---- limits and layout constants (docs/STORE.md) ---- */

#define STORE_VERSION 1u
#define STORE_SB_SIZE 112u         /* used bytes of a superblock block */
#define STORE_DATA_START 2u        /* blocks 0 and 1 are the two slots */
#define STORE_MAX_BLOBS 256u
#define STORE_MAX_CAPSULES 64u
#define STORE_MAX_PINS 64u         /* capsules in one generation */
#define STORE_MAX_STATES 64u
#define STORE_NAME_MAX 64u         /* capsule name, version, state owner */
#define STORE_STATE_MAX 65536u     /* bytes of one state volume */
#define STORE_CAT_HEADER 144u
#define STORE_CAT_BLOB 48u
#define STORE_CAT_CAPSULE 200u
#define STORE_CAT_PIN 64u
#define STORE_CAT_STATE 104u
#define STORE_CAT_MAX                                                                  \
    (STORE_CAT_HEADER + STORE_MAX_BLOBS * STORE_CAT_BLOB +                             \
     STORE_MAX_CAPSULES * STORE_CAT_CAPSULE + 2 * STORE_MAX_PINS * STORE_CAT_PIN +     \
     STORE_MAX_STATES * STORE_CAT_STATE)
#define STORE_CAT_BUF 40960u       /* STORE_CAT_MAX rounded up to 4 KiB */
#define STORE_MIN_BLOCKS 64u

/* ---- errors ---- */

#define STORE_ERRORS(X)                                                              \
    X(OK, "ok")                                                                      \
    X(IO_READ, "the device failed a read")                                           \
    X(IO_WRITE, "the device failed a write")                                         \
    X(IO_FLUSH, "the device failed a flush")                                         \
    X(BAD_DEVICE, "device block size is not 512 or 4096, or the device is too small") \
    X(NO_STORE, "neither superblock slot holds a store")                             \
    X(SB_MAGIC, "superblock magic is wrong")                                         \
    X(SB_VERSION, "unsupported store format version")                                \
    X(SB_CHECKSUM, "superblock checksum does not match")                             \
    X(SB_FORMAT, "superblock fields are inconsistent")                               \
    X(CATALOG_CHECKSUM, "catalog checksum does not match its superblock")            \
    X(CATALOG_FORMAT, "catalog is malformed")                                        \
    X(BLOB_CORRUPT, "blob contents do not match its name")                           \
    X(NOT_FOUND, "no such blob, capsule or state volume")                            \
    X(EXISTS, "already present")                                                     \
    X(NO_SPACE, "not enough free space on the device")                               \
    X(TOO_MANY, "a catalog table is full")                                           \
    X(TOO_BIG, "data larger than its limit or the caller's buffer")                  \
    X(BAD_NAME, "name or version is empty, too long or has bad bytes")               \
    X(IN_USE, "the capsule is active or previous in a generation")                   \
    X(NO_PREVIOUS, "the capsule has no previous version to roll back to")           \
    X(SAME, "that version is already active")                                        \
    X(BROKEN, "a superblock write failed: reopen the store")

enum store_err {
#define STORE_X_ENUM(name, msg) STORE_E_##name,
    STORE_ERRORS(STORE_X_ENUM)
#undef STORE_X_ENUM
    STORE_NERRORS
};

const char *store_err_name(enum store_err e); /* "BLOB_CORRUPT" */
const char *store_err_msg(enum store_err e);

/* ---- the root (what one catalog says) ---- */

struct store_blob {
    uint8_t hash[32];
    uint64_t start;         /* first block; 0 iff len == 0 */
    uint64_t len;           /* bytes */
};

struct store_capsule {
    uint8_t vcid[32];       /* SHA-256 of the capsule's manifest */
    uint8_t file[32];       /* blob holding the whole .vcap */
    uint8_t name_len, ver_len;
    char name[STORE_NAME_MAX];
    char ver[STORE_NAME_MAX];
};

/* One capsule's place in a generation; previous is all-zero for none. */
struct store_pin {
    uint8_t active[32];
    uint8_t previous[32];
};

struct store_gen {
    uint64_t number;
    uint32_t npins;
    struct store_pin pins[STORE_MAX_PINS];
};

struct store_state {
    uint8_t name_len;
    uint32_t schema;        /* the owner's state-schema version */
    char name[STORE_NAME_MAX];
    uint8_t blob[32];
};

enum store_ref { STORE_REF_POLICY, STORE_REF_MKEY, STORE_NREFS };

struct store_root {
    uint64_t seq;
    uint64_t cat_start;     /* where this root's catalog is (from its superblock) */
    uint32_t cat_blocks;
    uint32_t boot_attempts; /* boots of `cur` not yet confirmed */
    uint32_t boot_max;      /* attempts before falling back to `prev` */
    bool confirmed;         /* cur reached readiness at least once */
    bool has_prev;
    bool has_ref[STORE_NREFS];
    uint8_t ref[STORE_NREFS][32];
    struct store_gen cur, prev;
    uint32_t nblobs, ncaps, nstates;
    struct store_blob blobs[STORE_MAX_BLOBS];       /* sorted by hash */
    struct store_capsule caps[STORE_MAX_CAPSULES];  /* sorted by vcid */
    struct store_state states[STORE_MAX_STATES];    /* in insertion order */
};

struct store_extent {
    uint64_t start, n;
};

#define STORE_MAX_EXTENTS (3 * (STORE_MAX_BLOBS + 1) + 1)

struct store {
    struct store_dev dev;       /* immutable after open */
    bool broken;
    uint32_t slot;              /* slot holding `committed` */
    struct store_root committed;
    struct store_root staged;   /* committed + what the caller changed */
    bool gen_bumped;            /* staged.cur already a new generation */
    uint32_t nolder;            /* extents of the other slot's root */
    struct store_extent older[STORE_MAX_BLOBS + 1];
    struct store_extent scratch[STORE_MAX_EXTENTS];
    uint8_t cat[STORE_CAT_BUF];
    uint8_t block[4096];
};

/* What open found in each slot. */
struct store_report {
    enum store_err slot_err[2];
    uint64_t slot_seq[2];       /* valid when slot_err is OK */
    uint32_t used;              /* the slot opened */
    bool fell_back;             /* the newer-looking slot was bad */
};

/* ---- lifetime ---- */

/* Writes an empty store (both slots, sequence 1 and 2). */
enum store_err store_format(struct store *st, const struct store_dev *dev, uint32_t boot_max);
enum store_err store_open(struct store *st, const struct store_dev *dev,
                          struct store_report *rep);
/* Publishes the staged root (invariant 2). */
enum store_err store_commit(struct store *st);
/* Forgets staged changes (blocks written for them are free again). */
void store_abort(struct store *st);

/* ---- blobs ---- */

/* Writes data as a blob (or finds it already there); its name to hash. */
enum store_err store_blob_put(struct store *st, const void *data, size_t len,
                              uint8_t hash[32]);
/* Reads a blob into buf (cap bytes) and verifies it against its name. */
enum store_err store_blob_read(struct store *st, const uint8_t hash[32], void *buf,
                               size_t cap, size_t *len);
const struct store_blob *store_blob_find(const struct store_root *r, const uint8_t hash[32]);

/* ---- capsules and generations ---- */

/* Records an installed capsule whose file is already a blob. The caller
 * has verified it (lib/capsule) and passes its VCID, name and version. */
enum store_err store_capsule_add(struct store *st, const uint8_t vcid[32],
                                 const uint8_t file[32], const char *name, size_t name_len,
                                 const char *ver, size_t ver_len);
/* Forgets an installed capsule (IN_USE while a generation names it). */
enum store_err store_capsule_remove(struct store *st, const uint8_t vcid[32]);
const struct store_capsule *store_capsule_find(const struct store_root *r,
                                               const uint8_t vcid[32]);

/* Makes vcid the active version of its capsule; the version it replaces
 * becomes the previous one. The first change after a commit starts a new
 * generation (the old one becomes `prev`, the boot count restarts). */
enum store_err store_activate(struct store *st, const uint8_t vcid[32]);
/* Swaps the active and previous versions of the capsule called name. */
enum store_err store_rollback(struct store *st, const char *name, size_t name_len);
/* Takes the capsule called name out of the generation. */
enum store_err store_deactivate(struct store *st, const char *name, size_t name_len);
const struct store_pin *store_pin_find(const struct store_root *r, const struct store_gen *g,
                                       const char *name, size_t name_len);

/* Boot counting: begin counts one attempt of the current generation, or,
 * when it has failed boot_max times unconfirmed, falls back to the
 * previous generation (*fell_back). confirm marks the current generation
 * good. Both stage; the caller commits before starting anything. */
enum store_err store_boot_begin(struct store *st, bool *fell_back);
enum store_err store_boot_confirm(struct store *st);
/* Falls back to the previous generation now, as begin does after boot_max
 * failures (its services did not reach readiness); NO_PREVIOUS without one. */
enum store_err store_boot_fallback(struct store *st);

/* ---- references and state volumes ---- */

enum store_err store_ref_set(struct store *st, enum store_ref which, const void *data,
                             size_t len);
enum store_err store_ref_read(struct store *st, enum store_ref which, void *buf, size_t cap,
                              size_t *len);
enum store_err store_state_write(struct store *st, const char *name, size_t name_len,
                                 uint32_t schema, const void *data, size_t len);
enum store_err store_state_read(struct store *st, const char *name, size_t name_len,
                                uint32_t *schema, void *buf, size_t cap, size_t *len);

/* ---- space ---- */

/* Blocks no root references (what the next allocation may use). */
uint64_t store_free_blocks(struct store *st);
/* Drops unreferenced blobs and commits twice, so that neither slot still
 * holds what was dropped; *freed is the count of blocks regained. */
enum store_err store_gc(struct store *st, uint64_t *freed);

/* Reads and verifies every blob of the staged root; on BLOB_CORRUPT
 * *bad is the blob. buf must hold the largest blob. */
enum store_err store_verify_all(struct store *st, void *buf, size_t cap,
                                const struct store_blob **bad);

#endif
