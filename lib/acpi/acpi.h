/*
 * acpi: the static ACPI tables a microkernel platform needs, read from
 * firmware-owned memory that is trusted to exist but not to be right.
 *
 * What it reads: the RSDP (v1 and v2, found by scanning a range), the
 * RSDT or XSDT, and three tables: MADT (interrupt controllers), MCFG
 * (PCI ECAM windows) and DMAR (Intel VT-d remapping units). Formats:
 * ACPI 6.5 §5.2 and Intel VT-d 4.1 §8; docs/DEVICES.md lists each field.
 *
 * How it reaches memory: every physical address goes through the
 * caller's acpi_mem.map, which returns a pointer to exactly `len`
 * readable bytes or NULL. The kernel passes its direct map (bounded by
 * RAM and firmware regions), a Task a window it was given, a host test
 * a buffer. Nothing is allocated; nothing is written.
 *
 * Invariants:
 *   - No byte outside what map() returned, or outside a table's own
 *     checked length, is ever read. Every table is checksummed and its
 *     length checked against both its header and ACPI_TABLE_MAX before
 *     any field past the header is looked at.
 *   - Sub-structures (MADT entries, DMAR structures, device scopes) are
 *     accepted only when their length is at least the minimum for their
 *     type and they end inside their parent; a zero length (which would
 *     loop forever) is ACPI_EENTRY. acpi_*_open() walks the whole table
 *     once, so a later iteration over an opened table cannot fail.
 *   - Unknown sub-structure types are skipped by their length (the spec
 *     adds types; old readers must step over them).
 *   - Multi-byte fields are read byte by byte (little-endian): tables are
 *     byte-packed and often misaligned.
 */
#ifndef LIB_ACPI_H
#define LIB_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum acpi_err {
    ACPI_OK = 0,
    ACPI_ENOTFOUND,   /* no RSDP in the range, or no table with that signature */
    ACPI_EMAP,        /* map() refused an address the tables point to */
    ACPI_ETRUNC,      /* fewer bytes than a header or a fixed field needs */
    ACPI_ECHECKSUM,   /* bytes do not sum to zero */
    ACPI_ESIG,        /* signature is not the one asked for */
    ACPI_ELENGTH,     /* a length field below the header size or above the maximum */
    ACPI_EREVISION,   /* RSDP revision/length that cannot be */
    ACPI_EENTRY,      /* a sub-structure shorter than its type or running past its parent */
    ACPI_EVALUE,      /* a field with an impossible value (e.g. MCFG end bus < start bus) */
    ACPI_ETOOMANY,    /* more items than the caller's fixed-size summary holds */
    ACPI_EEND,        /* iteration finished (not a failure) */
};

const char *acpi_err_name(enum acpi_err e);

#define ACPI_HDR_LEN 36u
#define ACPI_TABLE_MAX (1u << 20)   /* no sane static table is larger than 1 MiB */

struct acpi_mem {
    /* Pointer to `len` bytes at physical `phys`, or NULL if the caller
     * does not vouch for all of them. */
    const void *(*map)(void *ctx, uint64_t phys, uint64_t len);
    void *ctx;
};

/* ---- RSDP -------------------------------------------------------------- */

struct acpi_rsdp {
    uint64_t phys;        /* where it was found */
    uint8_t revision;     /* 0 = ACPI 1.0 (RSDT only), 2+ = has XSDT */
    char oem[6];
    uint32_t rsdt;
    uint64_t xsdt;        /* 0 if revision < 2 */
};

/* Validate one RSDP at p (avail bytes readable). */
enum acpi_err acpi_rsdp_parse(const uint8_t *p, size_t avail, uint64_t phys, struct acpi_rsdp *out);

/* Scan [buf, buf+len), which is physical memory starting at phys, at every
 * 16-byte-aligned physical address for a valid RSDP; the first valid one
 * wins (candidates with a bad checksum are skipped, as firmware scans do).
 * Firmware puts it in the first KiB of the EBDA or in 0xE0000-0xFFFFF. */
enum acpi_err acpi_rsdp_find(const uint8_t *buf, size_t len, uint64_t phys, struct acpi_rsdp *out);

/* ---- System description tables --------------------------------------- */

struct acpi_table {
    const uint8_t *p;     /* the whole table, len bytes, checksum verified */
    uint32_t len;
    uint64_t phys;
    uint8_t revision;
};

/* Check a table at p with avail readable bytes: header, length, checksum
 * and (if sig is not NULL) the signature. */
enum acpi_err acpi_table_check(const uint8_t *p, size_t avail, const char *sig, struct acpi_table *out);

/* Map and check the table at phys (header first, then its whole length). */
enum acpi_err acpi_table_map(const struct acpi_mem *m, uint64_t phys, const char *sig, struct acpi_table *out);

struct acpi_root {
    struct acpi_table t;  /* the XSDT or the RSDT */
    uint32_t entry_size;  /* 8 for an XSDT, 4 for an RSDT */
    uint32_t count;
};

/* Open the XSDT if the RSDP has one, else the RSDT. */
enum acpi_err acpi_root_open(const struct acpi_mem *m, const struct acpi_rsdp *r, struct acpi_root *out);
uint64_t acpi_root_entry(const struct acpi_root *root, uint32_t i);

/* The instance-th (from 0) table with signature sig named by the root.
 * Entries that fail to map or check are errors, not skipped: a root that
 * names a broken table is itself suspect. */
enum acpi_err acpi_find(const struct acpi_mem *m, const struct acpi_root *root, const char sig[4],
                        uint32_t instance, struct acpi_table *out);

/* ---- MADT (signature "APIC") ------------------------------------------ */

enum acpi_madt_type {
    ACPI_MADT_LAPIC = 0,
    ACPI_MADT_IOAPIC = 1,
    ACPI_MADT_ISO = 2,          /* interrupt source override */
    ACPI_MADT_NMI_SOURCE = 3,
    ACPI_MADT_LAPIC_NMI = 4,
    ACPI_MADT_LAPIC_ADDR = 5,   /* 64-bit local APIC address override */
    ACPI_MADT_X2APIC = 9,
    ACPI_MADT_X2APIC_NMI = 10,
};

#define ACPI_MADT_PCAT_COMPAT 1u       /* a pair of 8259s is present */
#define ACPI_LAPIC_ENABLED 1u
#define ACPI_LAPIC_ONLINE_CAPABLE 2u
#define ACPI_MPS_POLARITY(f) ((f) & 3u)        /* 0 bus default, 1 high, 3 low */
#define ACPI_MPS_TRIGGER(f) (((f) >> 2) & 3u)  /* 0 bus default, 1 edge, 3 level */
#define ACPI_NMI_ALL_CPUS 0xffffffffu

struct acpi_madt_entry {
    uint8_t type, len;
    union {
        struct { uint32_t uid, apic_id, flags; } lapic;              /* LAPIC and X2APIC */
        struct { uint8_t id; uint32_t addr, gsi_base; } ioapic;
        struct { uint8_t bus, source; uint32_t gsi; uint16_t flags; } iso;
        struct { uint16_t flags; uint32_t gsi; } nmi_source;
        struct { uint32_t uid; uint16_t flags; uint8_t lint; } lapic_nmi;  /* both NMI kinds */
        struct { uint64_t addr; } lapic_addr;
    } u;
    const uint8_t *raw;   /* the entry's len bytes, for types not decoded here */
};

struct acpi_madt {
    const struct acpi_table *t;
    uint64_t lapic_addr;  /* the 32-bit field, or the override if one is present */
    uint32_t flags;
    uint32_t count;       /* entries */
};

struct acpi_iter {
    uint32_t off;
};

enum acpi_err acpi_madt_open(const struct acpi_table *t, struct acpi_madt *out);
/* Next entry; ACPI_EEND after the last. Start with it = {0}. */
enum acpi_err acpi_madt_next(const struct acpi_madt *m, struct acpi_iter *it, struct acpi_madt_entry *e);

/* ---- MCFG -------------------------------------------------------------- */

struct acpi_mcfg_range {
    uint64_t base;        /* ECAM address of (segment, bus 0) even if start_bus > 0 */
    uint16_t segment;
    uint8_t start_bus, end_bus;
};

struct acpi_mcfg {
    const struct acpi_table *t;
    uint32_t count;
};

enum acpi_err acpi_mcfg_open(const struct acpi_table *t, struct acpi_mcfg *out);
void acpi_mcfg_get(const struct acpi_mcfg *m, uint32_t i, struct acpi_mcfg_range *out);

/* ---- DMAR -------------------------------------------------------------- */

enum acpi_dmar_type {
    ACPI_DMAR_DRHD = 0,
    ACPI_DMAR_RMRR = 1,
    ACPI_DMAR_ATSR = 2,
    ACPI_DMAR_RHSA = 3,
    ACPI_DMAR_ANDD = 4,
    ACPI_DMAR_SATC = 5,
};

#define ACPI_DMAR_INTR_REMAP 1u
#define ACPI_DMAR_X2APIC_OPT_OUT 2u
#define ACPI_DMAR_DMA_CTRL_OPT_IN 4u
#define ACPI_DRHD_INCLUDE_PCI_ALL 1u

enum acpi_scope_type {
    ACPI_SCOPE_ENDPOINT = 1,
    ACPI_SCOPE_BRIDGE = 2,      /* PCI sub-hierarchy */
    ACPI_SCOPE_IOAPIC = 3,
    ACPI_SCOPE_HPET = 4,
    ACPI_SCOPE_NAMESPACE = 5,
};

struct acpi_dmar_unit {
    uint16_t type, len;
    uint8_t flags;
    uint8_t size;         /* DRHD: register set is 2^size pages (0 on older tables) */
    uint16_t segment;
    uint64_t base;        /* DRHD: register base; RMRR: region base */
    uint64_t limit;       /* RMRR: last byte of the region (inclusive) */
    const uint8_t *scopes;  /* DRHD/RMRR/ATSR: device scope bytes */
    uint32_t scopes_len;
    const uint8_t *raw;
};

struct acpi_dmar_scope {
    uint8_t type, len;
    uint8_t enum_id;      /* I/O APIC id or HPET number for those types */
    uint8_t start_bus;
    uint8_t npath;        /* (device, function) pairs */
    const uint8_t *path;  /* path[2*i] = device, path[2*i+1] = function */
};

struct acpi_dmar {
    const struct acpi_table *t;
    uint8_t haw;          /* host address width: haw + 1 bits */
    uint8_t flags;
    uint32_t count;
};

enum acpi_err acpi_dmar_open(const struct acpi_table *t, struct acpi_dmar *out);
enum acpi_err acpi_dmar_next(const struct acpi_dmar *d, struct acpi_iter *it, struct acpi_dmar_unit *u);
/* Scopes of a unit returned by acpi_dmar_next (already validated by open). */
enum acpi_err acpi_dmar_scope_next(const struct acpi_dmar_unit *u, struct acpi_iter *it,
                                   struct acpi_dmar_scope *s);

/* The source id (bus << 8 | devfn) a scope names, following its path
 * through bridges (VT-d 8.3.1): each (device, function) pair but the last
 * is a PCI-to-PCI bridge on the current bus, whose secondary bus is where
 * the next pair lives. secondary() reads that bus number from the
 * bridge's configuration space, or returns -1 when there is no bridge
 * there (no function, a type 0 header, or no ECAM page for it). A path of
 * no pairs, a hop to no bridge, or a bridge whose secondary bus is not
 * above its own (unassigned, or a loop) is ACPI_EVALUE. */
typedef int (*acpi_secondary_bus_fn)(void *ctx, uint16_t bridge_bdf);
enum acpi_err acpi_dmar_scope_source(const struct acpi_dmar_scope *s, acpi_secondary_bus_fn secondary,
                                     void *ctx, uint16_t *bdf);

/* ---- The kernel's summary ---------------------------------------------- */

/* What the kernel needs to hand out authority over interrupt controllers,
 * IOMMUs and config space (docs/DEVICES.md says why exactly this). Fixed
 * sizes: a table with more is ACPI_ETOOMANY, never silently cut. */
#define ACPI_MAX_CPUS 64
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_ISOS 24
#define ACPI_MAX_NMIS 8
#define ACPI_MAX_ECAM 4
#define ACPI_MAX_IOMMUS 8
#define ACPI_MAX_RMRRS 8

struct acpi_platform {
    uint64_t lapic_addr;
    bool pcat_compat;
    uint32_t ncpus;
    struct { uint32_t uid, apic_id; } cpu[ACPI_MAX_CPUS];   /* enabled or online-capable only */
    uint32_t nioapics;
    struct { uint8_t id; uint32_t addr, gsi_base; } ioapic[ACPI_MAX_IOAPICS];
    uint32_t nisos;
    struct { uint8_t source; uint32_t gsi; uint16_t flags; } iso[ACPI_MAX_ISOS];
    uint32_t nnmis;       /* local APIC NMI lines (both MADT kinds) */
    struct { uint32_t uid; uint16_t flags; uint8_t lint; } nmi[ACPI_MAX_NMIS];
    uint32_t nnmi_gsis;   /* GSIs wired to NMI (never to be handed out as IRQs) */
    struct { uint32_t gsi; uint16_t flags; } nmi_gsi[ACPI_MAX_NMIS];
    uint32_t necam;
    struct acpi_mcfg_range ecam[ACPI_MAX_ECAM];
    bool has_dmar;        /* false: no IOMMU, DMA is unconfined */
    uint8_t dmar_haw, dmar_flags;
    uint32_t niommus;
    struct { uint64_t base; uint16_t segment; uint8_t flags, size; } iommu[ACPI_MAX_IOMMUS];
    uint32_t nrmrrs;
    struct { uint64_t base, limit; uint16_t segment; } rmrr[ACPI_MAX_RMRRS];
};

/* Fill *p from the MADT (required), MCFG (optional) and DMAR (optional)
 * named by root. On error *p is partly filled and must not be used. */
enum acpi_err acpi_platform_read(const struct acpi_mem *m, const struct acpi_root *root,
                                 struct acpi_platform *p);

#endif
