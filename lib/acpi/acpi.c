/*
 * acpi.c: see acpi.h. Every reader is "check the whole, then decode":
 * *_open walks all sub-structures with the same step function the
 * iterator uses, so the iterator's bounds were proven before it runs.
 */
#include "acpi/acpi.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static bool sum_zero(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s == 0;
}

static bool sig_is(const uint8_t *p, const char *sig)
{
    return p[0] == (uint8_t)sig[0] && p[1] == (uint8_t)sig[1] && p[2] == (uint8_t)sig[2] &&
           p[3] == (uint8_t)sig[3];
}

const char *acpi_err_name(enum acpi_err e)
{
    static const char *const names[] = {
        "ACPI_OK", "ACPI_ENOTFOUND", "ACPI_EMAP", "ACPI_ETRUNC", "ACPI_ECHECKSUM", "ACPI_ESIG",
        "ACPI_ELENGTH", "ACPI_EREVISION", "ACPI_EENTRY", "ACPI_EVALUE", "ACPI_ETOOMANY", "ACPI_EEND",
    };
    return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "ACPI_E?";
}

/* ---- RSDP -------------------------------------------------------------- */

#define RSDP_V1_LEN 20u
#define RSDP_V2_LEN 36u

enum acpi_err acpi_rsdp_parse(const uint8_t *p, size_t avail, uint64_t phys, struct acpi_rsdp *out)
{
    if (avail < RSDP_V1_LEN)
        return ACPI_ETRUNC;
    static const char magic[8] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
    for (int i = 0; i < 8; i++)
        if (p[i] != (uint8_t)magic[i])
            return ACPI_ESIG;
    if (!sum_zero(p, RSDP_V1_LEN))
        return ACPI_ECHECKSUM;
    uint8_t rev = p[15];
    uint64_t xsdt = 0;
    if (rev == 1)
        return ACPI_EREVISION;  /* never defined: 0 is ACPI 1.0, 2 is ACPI 2.0+ */
    if (rev >= 2) {
        if (avail < RSDP_V2_LEN)
            return ACPI_ETRUNC;
        uint32_t len = rd32(p + 20);
        if (len < RSDP_V2_LEN || len > avail)
            return len < RSDP_V2_LEN ? ACPI_EREVISION : ACPI_ETRUNC;
        if (!sum_zero(p, len))
            return ACPI_ECHECKSUM;
        xsdt = rd64(p + 24);
    }
    out->phys = phys;
    out->revision = rev;
    for (int i = 0; i < 6; i++)
        out->oem[i] = (char)p[9 + i];
    out->rsdt = rd32(p + 16);
    out->xsdt = xsdt;
    return ACPI_OK;
}

enum acpi_err acpi_rsdp_find(const uint8_t *buf, size_t len, uint64_t phys, struct acpi_rsdp *out)
{
    size_t start = (size_t)((16 - (phys & 15)) & 15);
    for (size_t off = start; off < len && len - off >= RSDP_V1_LEN; off += 16)
        if (acpi_rsdp_parse(buf + off, len - off, phys + off, out) == ACPI_OK)
            return ACPI_OK;
    return ACPI_ENOTFOUND;
}

/* ---- Tables ------------------------------------------------------------ */

enum acpi_err acpi_table_check(const uint8_t *p, size_t avail, const char *sig, struct acpi_table *out)
{
    if (avail < ACPI_HDR_LEN)
        return ACPI_ETRUNC;
    if (sig && !sig_is(p, sig))
        return ACPI_ESIG;
    uint32_t len = rd32(p + 4);
    if (len < ACPI_HDR_LEN || len > ACPI_TABLE_MAX)
        return ACPI_ELENGTH;
    if (len > avail)
        return ACPI_ETRUNC;
    if (!sum_zero(p, len))
        return ACPI_ECHECKSUM;
    out->p = p;
    out->len = len;
    out->phys = 0;
    out->revision = p[8];
    return ACPI_OK;
}

enum acpi_err acpi_table_map(const struct acpi_mem *m, uint64_t phys, const char *sig, struct acpi_table *out)
{
    const uint8_t *h = m->map(m->ctx, phys, ACPI_HDR_LEN);
    if (!h)
        return ACPI_EMAP;
    if (sig && !sig_is(h, sig))
        return ACPI_ESIG;
    uint32_t len = rd32(h + 4);
    if (len < ACPI_HDR_LEN || len > ACPI_TABLE_MAX)
        return ACPI_ELENGTH;
    /* Map again at full length: the header's mapping vouches for 36 bytes only. */
    const uint8_t *p = m->map(m->ctx, phys, len);
    if (!p)
        return ACPI_EMAP;
    enum acpi_err e = acpi_table_check(p, len, sig, out);
    if (e == ACPI_OK)
        out->phys = phys;
    return e;
}

enum acpi_err acpi_root_open(const struct acpi_mem *m, const struct acpi_rsdp *r, struct acpi_root *out)
{
    bool x = r->revision >= 2 && r->xsdt != 0;
    enum acpi_err e = acpi_table_map(m, x ? r->xsdt : r->rsdt, x ? "XSDT" : "RSDT", &out->t);
    if (e != ACPI_OK)
        return e;
    out->entry_size = x ? 8 : 4;
    /* A trailing partial entry is a lie about the table's contents. */
    if ((out->t.len - ACPI_HDR_LEN) % out->entry_size)
        return ACPI_ELENGTH;
    out->count = (out->t.len - ACPI_HDR_LEN) / out->entry_size;
    return ACPI_OK;
}

uint64_t acpi_root_entry(const struct acpi_root *root, uint32_t i)
{
    if (i >= root->count)
        return 0;
    const uint8_t *p = root->t.p + ACPI_HDR_LEN + (size_t)i * root->entry_size;
    return root->entry_size == 8 ? rd64(p) : rd32(p);
}

enum acpi_err acpi_find(const struct acpi_mem *m, const struct acpi_root *root, const char sig[4],
                        uint32_t instance, struct acpi_table *out)
{
    for (uint32_t i = 0; i < root->count; i++) {
        uint64_t phys = acpi_root_entry(root, i);
        const uint8_t *h = m->map(m->ctx, phys, 4);
        if (!h)
            return ACPI_EMAP;
        if (!sig_is(h, sig))
            continue;
        if (instance-- == 0)
            return acpi_table_map(m, phys, sig, out);
    }
    return ACPI_ENOTFOUND;
}

/* ---- Sub-structure walking ---------------------------------------------

 * One step over a list of (type, length) records that fills [start, end)
 * of a table: the record at *off must have a header, a length of at least
 * the minimum for its type, and end inside the table. hdr is 2 (MADT:
 * u8 type, u8 length) or 4 (DMAR: u16 type, u16 length). */
struct walk {
    const uint8_t *p;
    uint32_t end;
    uint32_t hdr;
    const uint8_t *min;   /* minimum length per known type, 0 = unknown */
    uint32_t nmin;
};

static enum acpi_err walk_step(const struct walk *w, uint32_t off, uint32_t *type, uint32_t *len)
{
    if (off >= w->end)
        return ACPI_EEND;
    if (w->end - off < w->hdr)
        return ACPI_EENTRY;
    const uint8_t *r = w->p + off;
    uint32_t t = w->hdr == 2 ? r[0] : rd16(r);
    uint32_t l = w->hdr == 2 ? r[1] : rd16(r + 2);
    uint32_t min = t < w->nmin && w->min[t] ? w->min[t] : w->hdr;
    if (l < min || l > w->end - off)
        return ACPI_EENTRY;
    *type = t;
    *len = l;
    return ACPI_OK;
}

/* Walk everything once; count records. */
static enum acpi_err walk_all(const struct walk *w, uint32_t start, uint32_t *count)
{
    uint32_t n = 0, t, l;
    enum acpi_err e;
    for (uint32_t off = start; (e = walk_step(w, off, &t, &l)) == ACPI_OK; off += l)
        n++;
    *count = n;
    return e == ACPI_EEND ? ACPI_OK : e;
}

/* Check signature and fixed part, then every record from start. */
static enum acpi_err walk_open(const struct acpi_table *t, const char *sig, const struct walk *w,
                               uint32_t start, uint32_t *count)
{
    if (!sig_is(t->p, sig))
        return ACPI_ESIG;
    if (t->len < start)
        return ACPI_ETRUNC;
    return walk_all(w, start, count);
}

/* The record at the iterator (0 = the first, at start); advances it. */
static enum acpi_err walk_next(const struct walk *w, struct acpi_iter *it, uint32_t start, uint32_t *off,
                               uint32_t *type, uint32_t *len)
{
    *off = it->off ? it->off : start;
    enum acpi_err e = walk_step(w, *off, type, len);
    if (e == ACPI_OK)
        it->off = *off + *len;
    return e;
}

/* ---- MADT -------------------------------------------------------------- */

#define MADT_ENTRIES 44u
static const uint8_t madt_min[] = {
    [ACPI_MADT_LAPIC] = 8,  [ACPI_MADT_IOAPIC] = 12,     [ACPI_MADT_ISO] = 10,
    [ACPI_MADT_NMI_SOURCE] = 8, [ACPI_MADT_LAPIC_NMI] = 6, [ACPI_MADT_LAPIC_ADDR] = 12,
    [ACPI_MADT_X2APIC] = 16, [ACPI_MADT_X2APIC_NMI] = 12,
};

static struct walk madt_walk(const struct acpi_table *t)
{
    return (struct walk){t->p, t->len, 2, madt_min, sizeof madt_min};
}

static void madt_decode(const uint8_t *r, struct acpi_madt_entry *e)
{
    e->type = r[0];
    e->len = r[1];
    e->raw = r;
    switch (r[0]) {
    case ACPI_MADT_LAPIC:
        e->u.lapic.uid = r[2];
        e->u.lapic.apic_id = r[3];
        e->u.lapic.flags = rd32(r + 4);
        break;
    case ACPI_MADT_X2APIC:
        e->u.lapic.apic_id = rd32(r + 4);
        e->u.lapic.flags = rd32(r + 8);
        e->u.lapic.uid = rd32(r + 12);
        break;
    case ACPI_MADT_IOAPIC:
        e->u.ioapic.id = r[2];
        e->u.ioapic.addr = rd32(r + 4);
        e->u.ioapic.gsi_base = rd32(r + 8);
        break;
    case ACPI_MADT_ISO:
        e->u.iso.bus = r[2];
        e->u.iso.source = r[3];
        e->u.iso.gsi = rd32(r + 4);
        e->u.iso.flags = rd16(r + 8);
        break;
    case ACPI_MADT_NMI_SOURCE:
        e->u.nmi_source.flags = rd16(r + 2);
        e->u.nmi_source.gsi = rd32(r + 4);
        break;
    case ACPI_MADT_LAPIC_NMI:
        e->u.lapic_nmi.uid = r[2] == 0xff ? ACPI_NMI_ALL_CPUS : r[2];
        e->u.lapic_nmi.flags = rd16(r + 3);
        e->u.lapic_nmi.lint = r[5];
        break;
    case ACPI_MADT_X2APIC_NMI:
        e->u.lapic_nmi.flags = rd16(r + 2);
        e->u.lapic_nmi.uid = rd32(r + 4);
        e->u.lapic_nmi.lint = r[8];
        break;
    case ACPI_MADT_LAPIC_ADDR:
        e->u.lapic_addr.addr = rd64(r + 4);
        break;
    default:
        break;
    }
}

enum acpi_err acpi_madt_open(const struct acpi_table *t, struct acpi_madt *out)
{
    struct walk w = madt_walk(t);
    enum acpi_err e = walk_open(t, "APIC", &w, MADT_ENTRIES, &out->count);
    if (e != ACPI_OK)
        return e;
    out->t = t;
    out->lapic_addr = rd32(t->p + 36);
    out->flags = rd32(t->p + 40);
    struct acpi_iter it = {0};
    struct acpi_madt_entry ent;
    while (acpi_madt_next(out, &it, &ent) == ACPI_OK)
        if (ent.type == ACPI_MADT_LAPIC_ADDR)
            out->lapic_addr = ent.u.lapic_addr.addr;
    return ACPI_OK;
}

enum acpi_err acpi_madt_next(const struct acpi_madt *m, struct acpi_iter *it, struct acpi_madt_entry *e)
{
    struct walk w = madt_walk(m->t);
    uint32_t off, t, l;
    enum acpi_err err = walk_next(&w, it, MADT_ENTRIES, &off, &t, &l);
    if (err == ACPI_OK)
        madt_decode(m->t->p + off, e);
    return err;
}

/* ---- MCFG -------------------------------------------------------------- */

#define MCFG_ENTRIES 44u
#define MCFG_ENTRY_LEN 16u

enum acpi_err acpi_mcfg_open(const struct acpi_table *t, struct acpi_mcfg *out)
{
    if (!sig_is(t->p, "MCFG"))
        return ACPI_ESIG;
    if (t->len < MCFG_ENTRIES)
        return ACPI_ETRUNC;
    if ((t->len - MCFG_ENTRIES) % MCFG_ENTRY_LEN)
        return ACPI_EENTRY;
    out->t = t;
    out->count = (t->len - MCFG_ENTRIES) / MCFG_ENTRY_LEN;
    for (uint32_t i = 0; i < out->count; i++) {
        struct acpi_mcfg_range r;
        acpi_mcfg_get(out, i, &r);
        /* The window spans up to 256 MiB from base: it must not wrap, and
         * ECAM windows are at least 1 MiB (one bus) aligned. */
        if (r.end_bus < r.start_bus || (r.base & 0xfffff) ||
            r.base > UINT64_MAX - ((uint64_t)(r.end_bus + 1) << 20))
            return ACPI_EVALUE;
    }
    return ACPI_OK;
}

void acpi_mcfg_get(const struct acpi_mcfg *m, uint32_t i, struct acpi_mcfg_range *out)
{
    const uint8_t *r = m->t->p + MCFG_ENTRIES + (size_t)i * MCFG_ENTRY_LEN;
    out->base = rd64(r);
    out->segment = rd16(r + 8);
    out->start_bus = r[10];
    out->end_bus = r[11];
}

/* ---- DMAR -------------------------------------------------------------- */

#define DMAR_UNITS 48u
#define SCOPE_MIN 6u
static const uint8_t dmar_min[] = {
    [ACPI_DMAR_DRHD] = 16, [ACPI_DMAR_RMRR] = 24, [ACPI_DMAR_ATSR] = 8,
    [ACPI_DMAR_RHSA] = 20, [ACPI_DMAR_ANDD] = 8,  [ACPI_DMAR_SATC] = 8,
};

/* Where the device scopes start inside each structure that has them. */
static uint32_t dmar_scope_off(uint32_t type)
{
    switch (type) {
    case ACPI_DMAR_DRHD: return 16;
    case ACPI_DMAR_RMRR: return 24;
    case ACPI_DMAR_ATSR:
    case ACPI_DMAR_SATC: return 8;
    default: return 0;
    }
}

static struct walk dmar_walk(const struct acpi_table *t)
{
    return (struct walk){t->p, t->len, 4, dmar_min, sizeof dmar_min};
}

static enum acpi_err scope_step(const struct acpi_dmar_unit *u, uint32_t off, struct acpi_dmar_scope *s)
{
    if (off >= u->scopes_len)
        return ACPI_EEND;
    const uint8_t *r = u->scopes + off;
    uint32_t room = u->scopes_len - off;
    /* A path is (device, function) pairs, so the length past the fixed
     * six bytes must be even. */
    if (room < SCOPE_MIN || r[1] < SCOPE_MIN || r[1] > room || (r[1] - SCOPE_MIN) % 2)
        return ACPI_EENTRY;
    s->type = r[0];
    s->len = r[1];
    s->enum_id = r[4];
    s->start_bus = r[5];
    s->npath = (uint8_t)((r[1] - SCOPE_MIN) / 2);
    s->path = r + SCOPE_MIN;
    return ACPI_OK;
}

static void dmar_decode(const uint8_t *r, uint32_t type, uint32_t len, struct acpi_dmar_unit *u)
{
    *u = (struct acpi_dmar_unit){.type = (uint16_t)type, .len = (uint16_t)len, .raw = r};
    switch (type) {
    case ACPI_DMAR_DRHD:
        u->flags = r[4];
        u->size = r[5];
        u->segment = rd16(r + 6);
        u->base = rd64(r + 8);
        break;
    case ACPI_DMAR_RMRR:
        u->segment = rd16(r + 6);
        u->base = rd64(r + 8);
        u->limit = rd64(r + 16);
        break;
    case ACPI_DMAR_ATSR:
    case ACPI_DMAR_SATC:
        u->flags = r[4];
        u->segment = rd16(r + 6);
        break;
    case ACPI_DMAR_RHSA:
        u->base = rd64(r + 8);
        break;
    default:
        break;
    }
    uint32_t so = dmar_scope_off(type);
    if (so) {
        u->scopes = r + so;
        u->scopes_len = len - so;
    }
}

enum acpi_err acpi_dmar_open(const struct acpi_table *t, struct acpi_dmar *out)
{
    struct walk w = dmar_walk(t);
    enum acpi_err e = walk_open(t, "DMAR", &w, DMAR_UNITS, &out->count);
    if (e != ACPI_OK)
        return e;
    out->t = t;
    out->haw = t->p[36];
    out->flags = t->p[37];
    struct acpi_iter it = {0};
    struct acpi_dmar_unit u;
    while ((e = acpi_dmar_next(out, &it, &u)) == ACPI_OK) {
        if (u.type == ACPI_DMAR_DRHD && (u.base & 0xfff))
            return ACPI_EVALUE;   /* register sets are page-aligned */
        if (u.type == ACPI_DMAR_RMRR &&
            (u.limit < u.base || (u.base & 0xfff) || ((u.limit + 1) & 0xfff)))
            return ACPI_EVALUE;   /* RMRRs are whole 4 KiB pages */
        struct acpi_iter si = {0};
        struct acpi_dmar_scope s;
        enum acpi_err se;
        while ((se = scope_step(&u, si.off, &s)) == ACPI_OK)
            si.off += s.len;
        if (se != ACPI_EEND)
            return se;
    }
    return e == ACPI_EEND ? ACPI_OK : e;
}

enum acpi_err acpi_dmar_next(const struct acpi_dmar *d, struct acpi_iter *it, struct acpi_dmar_unit *u)
{
    struct walk w = dmar_walk(d->t);
    uint32_t off, t, l;
    enum acpi_err e = walk_next(&w, it, DMAR_UNITS, &off, &t, &l);
    if (e == ACPI_OK)
        dmar_decode(d->t->p + off, t, l, u);
    return e;
}

enum acpi_err acpi_dmar_scope_next(const struct acpi_dmar_unit *u, struct acpi_iter *it,
                                   struct acpi_dmar_scope *s)
{
    enum acpi_err e = scope_step(u, it->off, s);
    if (e == ACPI_OK)
        it->off += s->len;
    return e;
}

enum acpi_err acpi_dmar_scope_source(const struct acpi_dmar_scope *s, acpi_secondary_bus_fn secondary,
                                     void *ctx, uint16_t *bdf)
{
    if (s->npath == 0)
        return ACPI_EVALUE;
    unsigned bus = s->start_bus;
    for (unsigned i = 0;; i++) {
        /* device is 5 bits and function 3: a wider value names nothing */
        if (s->path[2 * i] > 31 || s->path[2 * i + 1] > 7)
            return ACPI_EVALUE;
        uint16_t here = (uint16_t)(bus << 8 | s->path[2 * i] << 3 | s->path[2 * i + 1]);
        if (i + 1 == s->npath) {
            *bdf = here;
            return ACPI_OK;
        }
        /* Bus numbers only grow downstream, which also bounds the walk. */
        int next = secondary(ctx, here);
        if (next < 0 || next > 255 || (unsigned)next <= bus)
            return ACPI_EVALUE;
        bus = (unsigned)next;
    }
}

/* ---- Platform summary -------------------------------------------------- */

static enum acpi_err read_madt(const struct acpi_table *t, struct acpi_platform *p)
{
    struct acpi_madt m;
    enum acpi_err e = acpi_madt_open(t, &m);
    if (e != ACPI_OK)
        return e;
    p->lapic_addr = m.lapic_addr;
    p->pcat_compat = m.flags & ACPI_MADT_PCAT_COMPAT;
    struct acpi_iter it = {0};
    struct acpi_madt_entry x;
    while (acpi_madt_next(&m, &it, &x) == ACPI_OK) {
        switch (x.type) {
        case ACPI_MADT_LAPIC:
        case ACPI_MADT_X2APIC:
            if (!(x.u.lapic.flags & (ACPI_LAPIC_ENABLED | ACPI_LAPIC_ONLINE_CAPABLE)))
                break;
            if (p->ncpus == ACPI_MAX_CPUS)
                return ACPI_ETOOMANY;
            p->cpu[p->ncpus].uid = x.u.lapic.uid;
            p->cpu[p->ncpus++].apic_id = x.u.lapic.apic_id;
            break;
        case ACPI_MADT_IOAPIC:
            if (p->nioapics == ACPI_MAX_IOAPICS)
                return ACPI_ETOOMANY;
            p->ioapic[p->nioapics].id = x.u.ioapic.id;
            p->ioapic[p->nioapics].addr = x.u.ioapic.addr;
            p->ioapic[p->nioapics++].gsi_base = x.u.ioapic.gsi_base;
            break;
        case ACPI_MADT_ISO:
            if (x.u.iso.bus != 0)
                return ACPI_EVALUE;   /* the spec fixes bus 0 (ISA) */
            if (p->nisos == ACPI_MAX_ISOS)
                return ACPI_ETOOMANY;
            p->iso[p->nisos].source = x.u.iso.source;
            p->iso[p->nisos].gsi = x.u.iso.gsi;
            p->iso[p->nisos++].flags = x.u.iso.flags;
            break;
        case ACPI_MADT_LAPIC_NMI:
        case ACPI_MADT_X2APIC_NMI:
            if (x.u.lapic_nmi.lint > 1)
                return ACPI_EVALUE;   /* a local APIC has LINT0 and LINT1 only */
            if (p->nnmis == ACPI_MAX_NMIS)
                return ACPI_ETOOMANY;
            p->nmi[p->nnmis].uid = x.u.lapic_nmi.uid;
            p->nmi[p->nnmis].flags = x.u.lapic_nmi.flags;
            p->nmi[p->nnmis++].lint = x.u.lapic_nmi.lint;
            break;
        case ACPI_MADT_NMI_SOURCE:
            if (p->nnmi_gsis == ACPI_MAX_NMIS)
                return ACPI_ETOOMANY;
            p->nmi_gsi[p->nnmi_gsis].gsi = x.u.nmi_source.gsi;
            p->nmi_gsi[p->nnmi_gsis++].flags = x.u.nmi_source.flags;
            break;
        default:
            break;
        }
    }
    return ACPI_OK;
}

static enum acpi_err read_dmar(const struct acpi_table *t, struct acpi_platform *p)
{
    struct acpi_dmar d;
    enum acpi_err e = acpi_dmar_open(t, &d);
    if (e != ACPI_OK)
        return e;
    p->has_dmar = true;
    p->dmar_haw = d.haw;
    p->dmar_flags = d.flags;
    struct acpi_iter it = {0};
    struct acpi_dmar_unit u;
    while (acpi_dmar_next(&d, &it, &u) == ACPI_OK) {
        if (u.type == ACPI_DMAR_DRHD) {
            if (p->niommus == ACPI_MAX_IOMMUS)
                return ACPI_ETOOMANY;
            p->iommu[p->niommus].base = u.base;
            p->iommu[p->niommus].segment = u.segment;
            p->iommu[p->niommus].flags = u.flags;
            p->iommu[p->niommus++].size = u.size;
        } else if (u.type == ACPI_DMAR_RMRR) {
            if (p->nrmrrs == ACPI_MAX_RMRRS)
                return ACPI_ETOOMANY;
            p->rmrr[p->nrmrrs].base = u.base;
            p->rmrr[p->nrmrrs].limit = u.limit;
            p->rmrr[p->nrmrrs++].segment = u.segment;
        }
    }
    return ACPI_OK;
}

enum acpi_err acpi_platform_read(const struct acpi_mem *m, const struct acpi_root *root,
                                 struct acpi_platform *p)
{
    *p = (struct acpi_platform){0};
    struct acpi_table t;
    enum acpi_err e = acpi_find(m, root, "APIC", 0, &t);
    if (e == ACPI_OK)
        e = read_madt(&t, p);
    if (e != ACPI_OK)
        return e;

    e = acpi_find(m, root, "MCFG", 0, &t);
    if (e == ACPI_OK) {
        struct acpi_mcfg mc;
        if ((e = acpi_mcfg_open(&t, &mc)) != ACPI_OK)
            return e;
        if (mc.count > ACPI_MAX_ECAM)
            return ACPI_ETOOMANY;
        for (uint32_t i = 0; i < mc.count; i++)
            acpi_mcfg_get(&mc, i, &p->ecam[i]);
        p->necam = mc.count;
    } else if (e != ACPI_ENOTFOUND) {
        return e;
    }

    e = acpi_find(m, root, "DMAR", 0, &t);
    if (e == ACPI_OK)
        return read_dmar(&t, p);
    return e == ACPI_ENOTFOUND ? ACPI_OK : e;
}
