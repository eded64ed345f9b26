/* test_acpi: lib/acpi against QEMU q35's real tables and against
 * synthetic tables that lie about their lengths, types and values. */
#include "vtest.h"
#include "vtest_util.h"
#include "acpi/acpi.h"

struct q35_chunk {
    uint64_t phys;
    uint32_t len;
    const char *hex;
};
#include "acpi_q35_tables.h"

/* ---- Simulated physical memory: a set of regions; map() vouches only for
 * a range that lies wholly inside one of them. */

#define MAXREG 16
struct physmem {
    unsigned n;
    struct { uint64_t phys; uint32_t len; uint8_t *p; } r[MAXREG];
    unsigned maps;
};

static const void *pm_map(void *ctx, uint64_t phys, uint64_t len)
{
    struct physmem *m = ctx;
    m->maps++;
    for (unsigned i = 0; i < m->n; i++)
        if (phys >= m->r[i].phys && len <= m->r[i].len && phys - m->r[i].phys <= m->r[i].len - len)
            return m->r[i].p + (phys - m->r[i].phys);
    return NULL;
}

static uint8_t q35_bytes[2][MAXREG][256];

static struct physmem load_q35(const struct q35_chunk *c, unsigned n, unsigned which)
{
    struct physmem m = {0};
    for (unsigned i = 0; i < n; i++) {
        CHECK(c[i].len <= 256);
        CHECK_EQ(vtest_unhex(q35_bytes[which][i], c[i].hex), c[i].len);
        m.r[i].phys = c[i].phys;
        m.r[i].len = c[i].len;
        m.r[i].p = q35_bytes[which][i];
    }
    m.n = n;
    return m;
}

/* What both firmwares' tables must say about the same q35 machine. */
static void check_q35(struct physmem *pm, uint8_t rev)
{
    struct acpi_mem mem = {pm_map, pm};
    struct acpi_rsdp r;
    CHECK_EQ(acpi_rsdp_parse(pm->r[0].p, pm->r[0].len, pm->r[0].phys, &r), ACPI_OK);
    CHECK_EQ(r.revision, rev);
    CHECK_MEM(r.oem, "BOCHS ", 6);
    struct acpi_root root;
    CHECK_EQ(acpi_root_open(&mem, &r, &root), ACPI_OK);
    CHECK_EQ(root.entry_size, rev >= 2 ? 8 : 4);
    CHECK_EQ(root.count, 6);   /* FACP APIC HPET MCFG DMAR WAET */

    struct acpi_platform p;
    CHECK_EQ(acpi_platform_read(&mem, &root, &p), ACPI_OK);
    CHECK_EQ(p.lapic_addr, 0xfee00000);
    CHECK(p.pcat_compat);
    CHECK_EQ(p.ncpus, 1);
    CHECK_EQ(p.cpu[0].apic_id, 0);
    CHECK_EQ(p.nioapics, 1);
    CHECK_EQ(p.ioapic[0].addr, 0xfec00000);
    CHECK_EQ(p.ioapic[0].gsi_base, 0);
    /* QEMU overrides IRQ0 -> GSI2 and makes the PCI IRQs 5, 9, 10, 11 level/high. */
    CHECK(p.nisos >= 1);
    CHECK_EQ(p.iso[0].source, 0);
    CHECK_EQ(p.iso[0].gsi, 2);
    CHECK_EQ(p.nnmis, 1);
    CHECK_EQ(p.nmi[0].uid, ACPI_NMI_ALL_CPUS);
    CHECK_EQ(p.nmi[0].lint, 1);
    CHECK_EQ(p.nnmi_gsis, 0);
    CHECK_EQ(p.necam, 1);
    CHECK_EQ(p.ecam[0].base, 0xb0000000);
    CHECK_EQ(p.ecam[0].segment, 0);
    CHECK_EQ(p.ecam[0].start_bus, 0);
    CHECK_EQ(p.ecam[0].end_bus, 0xff);
    CHECK(p.has_dmar);
    CHECK_EQ(p.dmar_haw, 38);          /* 39-bit host addresses */
    CHECK_EQ(p.niommus, 1);
    CHECK_EQ(p.iommu[0].base, 0xfed90000);
    CHECK_EQ(p.iommu[0].flags & ACPI_DRHD_INCLUDE_PCI_ALL, 0);
    CHECK_EQ(p.nrmrrs, 0);

    /* The DRHD's scopes: the I/O APIC (id 0 behind bus 0xff), then endpoints. */
    struct acpi_table t;
    CHECK_EQ(acpi_find(&mem, &root, "DMAR", 0, &t), ACPI_OK);
    struct acpi_dmar d;
    CHECK_EQ(acpi_dmar_open(&t, &d), ACPI_OK);
    struct acpi_iter it = {0}, si = {0};
    struct acpi_dmar_unit u;
    CHECK_EQ(acpi_dmar_next(&d, &it, &u), ACPI_OK);
    CHECK_EQ(u.type, ACPI_DMAR_DRHD);
    struct acpi_dmar_scope s;
    CHECK_EQ(acpi_dmar_scope_next(&u, &si, &s), ACPI_OK);
    CHECK_EQ(s.type, ACPI_SCOPE_IOAPIC);
    CHECK_EQ(s.start_bus, 0xff);
    CHECK_EQ(s.npath, 1);
    unsigned endpoints = 0;
    bool lpc = false;
    while (acpi_dmar_scope_next(&u, &si, &s) == ACPI_OK) {
        CHECK_EQ(s.type, ACPI_SCOPE_ENDPOINT);
        endpoints++;
        lpc |= s.path[0] == 0x1f && s.path[1] == 0;
    }
    CHECK(endpoints >= 4);
    CHECK(lpc);
    CHECK_EQ(acpi_dmar_next(&d, &it, &u), ACPI_EEND);
    CHECK_EQ(acpi_find(&mem, &root, "SSDT", 0, &t), ACPI_ENOTFOUND);
}

TEST(q35_seabios_rsdt)
{
    struct physmem pm = load_q35(q35_seabios, sizeof q35_seabios / sizeof q35_seabios[0], 0);
    check_q35(&pm, 0);
}

TEST(q35_ovmf_xsdt)
{
    struct physmem pm = load_q35(q35_ovmf, sizeof q35_ovmf / sizeof q35_ovmf[0], 1);
    check_q35(&pm, 2);
}

TEST(q35_rsdp_found_by_scan)
{
    /* The SeaBIOS RSDP placed in a zeroed copy of the BIOS area. */
    static uint8_t bios[0x20000];
    memset(bios, 0, sizeof bios);
    uint8_t rsdp[20];
    vtest_unhex(rsdp, q35_seabios[0].hex);
    uint64_t at = q35_seabios[0].phys;
    memcpy(bios + (at - 0xe0000), rsdp, 20);
    struct acpi_rsdp r;
    CHECK_EQ(acpi_rsdp_find(bios, sizeof bios, 0xe0000, &r), ACPI_OK);
    CHECK_EQ(r.phys, at);
    CHECK_EQ(r.rsdt, 0x3fe22bd);
    /* Off the 16-byte grid it is not an RSDP. */
    memmove(bios + (at - 0xe0000) + 4, bios + (at - 0xe0000), 20);
    CHECK_EQ(acpi_rsdp_find(bios, sizeof bios, 0xe0000, &r), ACPI_ENOTFOUND);
}

/* ---- Synthetic tables ------------------------------------------------- */

#define ARENA_PHYS 0x7f000000ull
static uint8_t arena[65536];
static uint32_t arena_used;

struct syn {
    struct physmem pm;
    struct acpi_mem mem;
    uint8_t rsdp[36];
    uint32_t madt, mcfg, dmar, xsdt;   /* offsets in arena */
};

static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)v), wr16(p + 2, (uint16_t)(v >> 16)); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v), wr32(p + 4, (uint32_t)(v >> 32)); }

static void fix_sum(uint8_t *p, uint32_t len, uint32_t at)
{
    uint8_t s = 0;
    p[at] = 0;
    for (uint32_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    p[at] = (uint8_t)-s;
}

/* Table at arena offset off: set its length and checksum. */
static void seal(uint32_t off, uint32_t len)
{
    wr32(arena + off + 4, len);
    fix_sum(arena + off, len, 9);
}

static uint32_t begin(const char *sig)
{
    uint32_t off = (arena_used + 15) & ~15u;
    memset(arena + off, 0, 4096);
    memcpy(arena + off, sig, 4);
    arena[off + 8] = 1;
    memcpy(arena + off + 10, "VECTRA", 6);
    arena_used = off;
    return off;
}

static uint32_t put(uint32_t off, uint32_t at, const uint8_t *b, uint32_t n)
{
    memcpy(arena + off + at, b, n);
    return at + n;
}

/* A machine with 2 CPUs (one disabled), 1 I/O APIC, 2 overrides, an NMI,
 * one ECAM window, one IOMMU for everything and one RMRR. */
static void build(struct syn *s)
{
    arena_used = 0;
    uint8_t e[64];
    uint32_t n;

    s->madt = begin("APIC");
    wr32(arena + s->madt + 36, 0xfee00000);
    wr32(arena + s->madt + 40, ACPI_MADT_PCAT_COMPAT);
    n = 44;
    n = put(s->madt, n, (const uint8_t[]){0, 8, 0, 0, 1, 0, 0, 0}, 8);
    n = put(s->madt, n, (const uint8_t[]){0, 8, 1, 1, 0, 0, 0, 0}, 8);     /* disabled */
    n = put(s->madt, n, (const uint8_t[]){9, 16, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0}, 16);
    n = put(s->madt, n, (const uint8_t[]){1, 12, 4, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0}, 12);
    n = put(s->madt, n, (const uint8_t[]){2, 10, 0, 0, 2, 0, 0, 0, 0, 0}, 10);
    n = put(s->madt, n, (const uint8_t[]){2, 10, 0, 9, 9, 0, 0, 0, 0xd, 0}, 10);
    n = put(s->madt, n, (const uint8_t[]){4, 6, 0xff, 5, 0, 1}, 6);
    n = put(s->madt, n, (const uint8_t[]){3, 8, 0xd, 0, 23, 0, 0, 0}, 8);   /* GSI 23 is an NMI */
    n = put(s->madt, n, (const uint8_t[]){0x7f, 3, 0}, 3);                 /* unknown type */
    seal(s->madt, n);
    arena_used += n;

    s->mcfg = begin("MCFG");
    memset(e, 0, 16);
    wr64(e, 0xb0000000);
    e[11] = 0x3f;
    n = put(s->mcfg, 44, e, 16);
    seal(s->mcfg, n);
    arena_used += n;

    s->dmar = begin("DMAR");
    arena[s->dmar + 36] = 45;
    arena[s->dmar + 37] = ACPI_DMAR_INTR_REMAP;
    n = 48;
    memset(e, 0, sizeof e);
    wr16(e, ACPI_DMAR_DRHD);
    wr16(e + 2, 16 + 8 + 10);
    e[4] = ACPI_DRHD_INCLUDE_PCI_ALL;
    wr64(e + 8, 0xfed90000);
    memcpy(e + 16, (const uint8_t[]){3, 8, 0, 0, 4, 0xff, 0, 0}, 8);        /* I/O APIC 4 */
    memcpy(e + 24, (const uint8_t[]){1, 10, 0, 0, 0, 0, 2, 0, 3, 1}, 10);   /* 00:02.0 -> 03.1 */
    n = put(s->dmar, n, e, 34);
    memset(e, 0, sizeof e);
    wr16(e, ACPI_DMAR_RMRR);
    wr16(e + 2, 24 + 8);
    wr64(e + 8, 0x7c000000);
    wr64(e + 16, 0x7c00ffff);
    memcpy(e + 24, (const uint8_t[]){1, 8, 0, 0, 0, 0, 0x1d, 0}, 8);
    n = put(s->dmar, n, e, 32);
    n = put(s->dmar, n, (const uint8_t[]){0x40, 0, 6, 0, 0, 0}, 6);        /* unknown type */
    seal(s->dmar, n);
    arena_used += n;

    s->xsdt = begin("XSDT");
    wr64(arena + s->xsdt + 36, ARENA_PHYS + s->madt);
    wr64(arena + s->xsdt + 44, ARENA_PHYS + s->mcfg);
    wr64(arena + s->xsdt + 52, ARENA_PHYS + s->dmar);
    seal(s->xsdt, 60);
    arena_used += 60;

    memset(s->rsdp, 0, 36);
    memcpy(s->rsdp, "RSD PTR ", 8);
    memcpy(s->rsdp + 9, "VECTRA", 6);
    s->rsdp[15] = 2;
    wr32(s->rsdp + 20, 36);
    wr64(s->rsdp + 24, ARENA_PHYS + s->xsdt);
    fix_sum(s->rsdp, 20, 8);
    fix_sum(s->rsdp, 36, 32);

    s->pm = (struct physmem){.n = 1};
    s->pm.r[0].phys = ARENA_PHYS;
    s->pm.r[0].len = sizeof arena;
    s->pm.r[0].p = arena;
    s->mem = (struct acpi_mem){pm_map, &s->pm};
}

static enum acpi_err platform(struct syn *s, struct acpi_platform *p)
{
    struct acpi_rsdp r;
    struct acpi_root root;
    enum acpi_err e = acpi_rsdp_parse(s->rsdp, 36, 0xe0000, &r);
    if (e == ACPI_OK)
        e = acpi_root_open(&s->mem, &r, &root);
    if (e == ACPI_OK)
        e = acpi_platform_read(&s->mem, &root, p);
    return e;
}

TEST(synthetic_platform)
{
    struct syn s;
    build(&s);
    struct acpi_platform p;
    CHECK_EQ(platform(&s, &p), ACPI_OK);
    CHECK_EQ(p.ncpus, 2);              /* the disabled one is left out */
    CHECK_EQ(p.cpu[1].apic_id, 7);
    CHECK_EQ(p.cpu[1].uid, 2);
    CHECK_EQ(p.nioapics, 1);
    CHECK_EQ(p.ioapic[0].id, 4);
    CHECK_EQ(p.nisos, 2);
    CHECK_EQ(p.iso[1].source, 9);
    CHECK_EQ(ACPI_MPS_TRIGGER(p.iso[1].flags), 3);
    CHECK_EQ(ACPI_MPS_POLARITY(p.iso[1].flags), 1);
    CHECK_EQ(p.nnmis, 1);
    CHECK_EQ(p.nmi[0].flags, 5);
    CHECK_EQ(p.nnmi_gsis, 1);
    CHECK_EQ(p.nmi_gsi[0].gsi, 23);
    CHECK_EQ(p.nmi_gsi[0].flags, 0xd);
    CHECK_EQ(p.necam, 1);
    CHECK_EQ(p.ecam[0].end_bus, 0x3f);
    CHECK_EQ(p.dmar_haw, 45);
    CHECK_EQ(p.niommus, 1);
    CHECK_EQ(p.iommu[0].flags, ACPI_DRHD_INCLUDE_PCI_ALL);
    CHECK_EQ(p.nrmrrs, 1);
    CHECK_EQ(p.rmrr[0].limit, 0x7c00ffff);

    struct acpi_table t;
    CHECK_EQ(acpi_table_map(&s.mem, ARENA_PHYS + s.dmar, "DMAR", &t), ACPI_OK);
    struct acpi_dmar d;
    CHECK_EQ(acpi_dmar_open(&t, &d), ACPI_OK);
    CHECK_EQ(d.count, 3);
    struct acpi_iter it = {0}, si = {0};
    struct acpi_dmar_unit u;
    struct acpi_dmar_scope sc;
    CHECK_EQ(acpi_dmar_next(&d, &it, &u), ACPI_OK);
    CHECK_EQ(acpi_dmar_scope_next(&u, &si, &sc), ACPI_OK);
    CHECK_EQ(sc.enum_id, 4);
    CHECK_EQ(acpi_dmar_scope_next(&u, &si, &sc), ACPI_OK);
    CHECK_EQ(sc.npath, 2);
    CHECK_EQ(sc.path[2], 3);
    CHECK_EQ(sc.path[3], 1);
    CHECK_EQ(acpi_dmar_scope_next(&u, &si, &sc), ACPI_EEND);
}

TEST(madt_lapic_override_wins)
{
    struct syn s;
    build(&s);
    uint32_t len = arena[s.madt + 4] | arena[s.madt + 5] << 8;
    uint8_t e[12] = {5, 12};
    wr64(e + 4, 0x123456789000ull);
    memcpy(arena + s.madt + len, e, 12);
    seal(s.madt, len + 12);
    struct acpi_platform p;
    CHECK_EQ(platform(&s, &p), ACPI_OK);
    CHECK_EQ(p.lapic_addr, 0x123456789000ull);
}

TEST(rsdp_hostile)
{
    struct syn s;
    build(&s);
    struct acpi_rsdp r;
    CHECK_EQ(acpi_rsdp_parse(s.rsdp, 19, 0, &r), ACPI_ETRUNC);
    CHECK_EQ(acpi_rsdp_parse(s.rsdp, 20, 0, &r), ACPI_ETRUNC);     /* v2 needs 36 */
    s.rsdp[0] = 'r';
    CHECK_EQ(acpi_rsdp_parse(s.rsdp, 36, 0, &r), ACPI_ESIG);
    build(&s);
    s.rsdp[9] ^= 1;                                                 /* v1 checksum */
    CHECK_EQ(acpi_rsdp_parse(s.rsdp, 36, 0, &r), ACPI_ECHECKSUM);
    build(&s);
    s.rsdp[33] = 1;                                                 /* extended checksum */
    CHECK_EQ(acpi_rsdp_parse(s.rsdp, 36, 0, &r), ACPI_ECHECKSUM);
    build(&s);
    s.rsdp[15] = 1;                                                 /* never-defined revision */
    fix_sum(s.rsdp, 20, 8);
    CHECK_EQ(acpi_rsdp_parse(s.rsdp, 36, 0, &r), ACPI_EREVISION);
    build(&s);
    wr32(s.rsdp + 20, 20);                                          /* v2 claiming v1 length */
    fix_sum(s.rsdp, 20, 8);
    CHECK_EQ(acpi_rsdp_parse(s.rsdp, 36, 0, &r), ACPI_EREVISION);
    wr32(s.rsdp + 20, 4000);                                        /* longer than what we have */
    fix_sum(s.rsdp, 20, 8);
    CHECK_EQ(acpi_rsdp_parse(s.rsdp, 36, 0, &r), ACPI_ETRUNC);
    /* A scan over a buffer too short for even one RSDP. */
    CHECK_EQ(acpi_rsdp_find(s.rsdp, 19, 0, &r), ACPI_ENOTFOUND);
}

TEST(table_lengths_lie)
{
    struct syn s;
    build(&s);
    struct acpi_table t;
    uint64_t madt = ARENA_PHYS + s.madt;
    CHECK_EQ(acpi_table_map(&s.mem, madt, "MCFG", &t), ACPI_ESIG);
    wr32(arena + s.madt + 4, 35);
    CHECK_EQ(acpi_table_map(&s.mem, madt, "APIC", &t), ACPI_ELENGTH);
    wr32(arena + s.madt + 4, ACPI_TABLE_MAX + 1);
    CHECK_EQ(acpi_table_map(&s.mem, madt, "APIC", &t), ACPI_ELENGTH);
    wr32(arena + s.madt + 4, 70000);        /* runs past mapped memory */
    CHECK_EQ(acpi_table_map(&s.mem, ARENA_PHYS + 40000, NULL, &t), ACPI_ELENGTH);   /* zeroes: length 0 */
    CHECK_EQ(acpi_table_map(&s.mem, madt, "APIC", &t), ACPI_EMAP);
    CHECK_EQ(acpi_table_check(arena + s.madt, 35, NULL, &t), ACPI_ETRUNC);
    CHECK_EQ(acpi_table_check(arena + s.madt, 1000, NULL, &t), ACPI_ETRUNC);
    build(&s);
    arena[s.madt + 50] ^= 0x40;
    CHECK_EQ(acpi_table_map(&s.mem, madt, "APIC", &t), ACPI_ECHECKSUM);
    CHECK_EQ(acpi_table_map(&s.mem, 0x1000, "APIC", &t), ACPI_EMAP);
}

TEST(root_hostile)
{
    struct syn s;
    build(&s);
    struct acpi_rsdp r;
    struct acpi_root root;
    struct acpi_platform p;
    CHECK_EQ(acpi_rsdp_parse(s.rsdp, 36, 0, &r), ACPI_OK);
    seal(s.xsdt, 59);                        /* a partial 8-byte entry */
    CHECK_EQ(acpi_root_open(&s.mem, &r, &root), ACPI_ELENGTH);
    build(&s);
    wr64(arena + s.xsdt + 44, 0xdead0000);   /* names unmapped memory */
    seal(s.xsdt, 60);
    CHECK_EQ(platform(&s, &p), ACPI_EMAP);
    build(&s);
    wr64(arena + s.xsdt + 36, ARENA_PHYS + s.mcfg);   /* no MADT at all */
    seal(s.xsdt, 60);
    CHECK_EQ(platform(&s, &p), ACPI_ENOTFOUND);
    build(&s);
    memcpy(arena + s.xsdt, "RSDT", 4);       /* the RSDP says XSDT */
    seal(s.xsdt, 60);
    CHECK_EQ(platform(&s, &p), ACPI_ESIG);
    /* An index past the end reads nothing. */
    build(&s);
    CHECK_EQ(acpi_rsdp_parse(s.rsdp, 36, 0, &r), ACPI_OK);
    CHECK_EQ(acpi_root_open(&s.mem, &r, &root), ACPI_OK);
    CHECK_EQ(acpi_root_entry(&root, 3), 0);
}

/* The platform read after resealing one table (by its arena offset) at len. */
static enum acpi_err platform_with_len(uint32_t (*which)(const struct syn *), uint32_t len)
{
    struct syn s;
    build(&s);
    seal(which(&s), len);
    struct acpi_platform p;
    return platform(&s, &p);
}
static uint32_t madt_of(const struct syn *s) { return s->madt; }
static uint32_t mcfg_of(const struct syn *s) { return s->mcfg; }
static uint32_t dmar_of(const struct syn *s) { return s->dmar; }

/* Replace the MADT's entries after the two CPUs with `bytes`. */
static enum acpi_err madt_with(const uint8_t *bytes, uint32_t n)
{
    struct syn s;
    build(&s);
    uint32_t at = 44 + 16;
    memcpy(arena + s.madt + at, bytes, n);
    seal(s.madt, at + n);
    struct acpi_platform p;
    return platform(&s, &p);
}

TEST(madt_entries_lie)
{
    CHECK_EQ(madt_with((const uint8_t[]){1, 0}, 2), ACPI_EENTRY);          /* zero length: loop */
    CHECK_EQ(madt_with((const uint8_t[]){0x80, 1}, 2), ACPI_EENTRY);       /* below the header */
    CHECK_EQ(madt_with((const uint8_t[]){1, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 11), ACPI_EENTRY);
    CHECK_EQ(madt_with((const uint8_t[]){1, 12, 0, 0}, 4), ACPI_EENTRY);   /* past the table */
    CHECK_EQ(madt_with((const uint8_t[]){1}, 1), ACPI_EENTRY);             /* half a header */
    CHECK_EQ(madt_with((const uint8_t[]){2, 10, 1, 0, 0, 0, 0, 0, 0, 0}, 10), ACPI_EVALUE); /* bus 1 */
    CHECK_EQ(madt_with((const uint8_t[]){4, 6, 0, 0, 0, 2}, 6), ACPI_EVALUE);  /* LINT2 */
    /* Longer than its type is fine: later revisions append fields. */
    CHECK_EQ(madt_with((const uint8_t[]){1, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 14), ACPI_OK);
    uint8_t many[12 * (ACPI_MAX_IOAPICS + 1)];
    for (unsigned i = 0; i <= ACPI_MAX_IOAPICS; i++)
        memcpy(many + 12 * i, (const uint8_t[]){1, 12, (uint8_t)i, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0}, 12);
    CHECK_EQ(madt_with(many, 12 * ACPI_MAX_IOAPICS), ACPI_OK);
    CHECK_EQ(madt_with(many, sizeof many), ACPI_ETOOMANY);
    CHECK_EQ(platform_with_len(madt_of, 43), ACPI_ETRUNC);
}

TEST(mcfg_lies)
{
    struct syn s;
    struct acpi_platform p;
    CHECK_EQ(platform_with_len(mcfg_of, 44 + 15), ACPI_EENTRY);
    build(&s);
    arena[s.mcfg + 44 + 10] = 0x40;           /* start bus after end bus */
    seal(s.mcfg, 60);
    CHECK_EQ(platform(&s, &p), ACPI_EVALUE);
    build(&s);
    wr64(arena + s.mcfg + 44, 0xb0001000);    /* not bus-aligned */
    seal(s.mcfg, 60);
    CHECK_EQ(platform(&s, &p), ACPI_EVALUE);
    build(&s);
    wr64(arena + s.mcfg + 44, 0xfffffffffff00000ull);   /* window wraps */
    seal(s.mcfg, 60);
    CHECK_EQ(platform(&s, &p), ACPI_EVALUE);
    build(&s);
    seal(s.mcfg, 44);                          /* no windows at all: legal */
    CHECK_EQ(platform(&s, &p), ACPI_OK);
    CHECK_EQ(p.necam, 0);
}

/* Patch the DMAR at byte `at` with `bytes` and reseal. */
static enum acpi_err dmar_patch(uint32_t at, const uint8_t *bytes, uint32_t n)
{
    struct syn s;
    build(&s);
    uint32_t len = arena[s.dmar + 4] | arena[s.dmar + 5] << 8;
    memcpy(arena + s.dmar + at, bytes, n);
    seal(s.dmar, len);
    struct acpi_platform p;
    return platform(&s, &p);
}

TEST(dmar_lies)
{
    /* DRHD at 48 (34 bytes; scopes at 64 and 72), RMRR at 82, unknown at 114. */
    CHECK_EQ(dmar_patch(50, (const uint8_t[]){0, 0}, 2), ACPI_EENTRY);       /* zero length */
    CHECK_EQ(dmar_patch(50, (const uint8_t[]){15, 0}, 2), ACPI_EENTRY);      /* below DRHD minimum */
    CHECK_EQ(dmar_patch(50, (const uint8_t[]){0xff, 0}, 2), ACPI_EENTRY);    /* past the table */
    CHECK_EQ(dmar_patch(65, (const uint8_t[]){0}, 1), ACPI_EENTRY);          /* scope length 0 */
    CHECK_EQ(dmar_patch(65, (const uint8_t[]){5}, 1), ACPI_EENTRY);          /* below scope minimum */
    CHECK_EQ(dmar_patch(73, (const uint8_t[]){9}, 1), ACPI_EENTRY);          /* half a path pair */
    CHECK_EQ(dmar_patch(73, (const uint8_t[]){12}, 1), ACPI_EENTRY);         /* past its unit */
    CHECK_EQ(dmar_patch(56, (const uint8_t[]){0x10}, 1), ACPI_EVALUE);       /* unaligned registers */
    CHECK_EQ(dmar_patch(98, (const uint8_t[]){0xff, 0xff, 0xff, 0x7b}, 4), ACPI_EVALUE); /* limit < base */
    CHECK_EQ(dmar_patch(98, (const uint8_t[]){0x00, 0x10}, 2), ACPI_EVALUE); /* not page end */
    CHECK_EQ(dmar_patch(116, (const uint8_t[]){3, 0}, 2), ACPI_EENTRY);      /* below 4-byte header */
    CHECK_EQ(platform_with_len(dmar_of, 47), ACPI_ETRUNC);
}

/* Random corruption of every table, checksums refreshed so parsing gets
 * past them: whatever comes back is a named result, and ASan watches
 * every read. */
TEST(random_corruption_is_named)
{
    uint64_t rng = 0x5eed;
    unsigned ok = 0, bad = 0;
    for (int round = 0; round < 20000; round++) {
        struct syn s;
        build(&s);
        uint32_t offs[3] = {s.madt, s.mcfg, s.dmar};
        uint32_t off = offs[vtest_xorshift64(&rng) % 3];
        uint32_t len = arena[off + 4] | arena[off + 5] << 8;
        int flips = 1 + (int)(vtest_xorshift64(&rng) % 4);
        for (int i = 0; i < flips; i++) {
            uint32_t at = 36 + (uint32_t)(vtest_xorshift64(&rng) % (len - 36));
            arena[off + at] = (uint8_t)vtest_xorshift64(&rng);
        }
        if (vtest_xorshift64(&rng) % 4 == 0)
            len = 36 + (uint32_t)(vtest_xorshift64(&rng) % (len - 35));
        seal(off, len);
        struct acpi_platform p;
        enum acpi_err e = platform(&s, &p);
        CHECK(e < ACPI_EEND);
        CHECK(acpi_err_name(e)[0] == 'A');
        if (e == ACPI_OK)
            ok++;
        else
            bad++;
    }
    CHECK(ok > 0);
    CHECK(bad > 0);
}

/* ---- A scope's path through bridges (VT-d 8.3.1) ---------------------- */

/* A simulated hierarchy: bridges listed by source id with their secondary
 * bus; anything else answers "no bridge here". */
struct bridges {
    unsigned n, asked;
    struct { uint16_t bdf; int secondary; } b[4];
};

static int sim_secondary(void *ctx, uint16_t bdf)
{
    struct bridges *h = ctx;
    h->asked++;
    for (unsigned i = 0; i < h->n; i++)
        if (h->b[i].bdf == bdf)
            return h->b[i].secondary;
    return -1;
}

static enum acpi_err source_of(struct bridges *h, uint8_t start_bus, const uint8_t *path,
                               uint8_t npath, uint16_t *bdf)
{
    struct acpi_dmar_scope s = {.type = 1, .start_bus = start_bus, .npath = npath, .path = path};
    return acpi_dmar_scope_source(&s, sim_secondary, h, bdf);
}

TEST(scope_path_followed)
{
    /* root port 00:1c.0 → bus 2; a PCIe-to-PCI bridge 02:00.0 → bus 3 */
    struct bridges h = {2, 0, {{0x00e0, 2}, {0x0200, 3}}};
    uint16_t bdf = 0;
    CHECK_EQ(source_of(&h, 0, (const uint8_t[]){0x1c, 0}, 1, &bdf), ACPI_OK);
    CHECK_EQ(bdf, 0x00e0);
    CHECK_EQ(h.asked, 0);                       /* one pair: no bridge read */
    CHECK_EQ(source_of(&h, 0, (const uint8_t[]){0x1c, 0, 0, 0}, 2, &bdf), ACPI_OK);
    CHECK_EQ(bdf, 0x0200);
    CHECK_EQ(source_of(&h, 0, (const uint8_t[]){0x1c, 0, 0, 0, 5, 1}, 3, &bdf), ACPI_OK);
    CHECK_EQ(bdf, 0x0329);                      /* 03:05.1 */
}

TEST(scope_path_lies)
{
    struct bridges h = {3, 0, {{0x00e0, 2}, {0x0200, 2}, {0x0208, 0}}};
    uint16_t bdf = 0x1234;
    CHECK_EQ(source_of(&h, 0, (const uint8_t[]){0}, 0, &bdf), ACPI_EVALUE);          /* no pairs */
    CHECK_EQ(source_of(&h, 0, (const uint8_t[]){0x1d, 0, 0, 0}, 2, &bdf), ACPI_EVALUE); /* no bridge */
    CHECK_EQ(source_of(&h, 0, (const uint8_t[]){0x1c, 0, 0, 0, 0, 0}, 3, &bdf), ACPI_EVALUE); /* loop */
    CHECK_EQ(source_of(&h, 2, (const uint8_t[]){1, 0, 0, 0}, 2, &bdf), ACPI_EVALUE); /* unassigned */
    CHECK_EQ(source_of(&h, 0, (const uint8_t[]){32, 0}, 1, &bdf), ACPI_EVALUE);      /* device 32 */
    CHECK_EQ(source_of(&h, 0, (const uint8_t[]){0x1c, 8}, 1, &bdf), ACPI_EVALUE);    /* function 8 */
    CHECK_EQ(bdf, 0x1234);                      /* untouched on refusal */
    /* A path as long as a scope can hold terminates: bus numbers rise. */
    struct bridges up = {0};
    uint8_t path[2 * 120];
    for (unsigned i = 0; i < 120; i++) {
        path[2 * i] = (uint8_t)(i % 32);
        path[2 * i + 1] = 0;
        if (up.n < 4) {
            up.b[up.n].bdf = (uint16_t)(i << 8 | (i % 32) << 3);
            up.b[up.n].secondary = (int)i + 1;
            up.n++;
        }
    }
    CHECK_EQ(source_of(&up, 0, path, 120, &bdf), ACPI_EVALUE);
    CHECK_EQ(up.asked, 5);
}
