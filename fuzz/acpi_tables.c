/*
 * fuzz/acpi_tables: libFuzzer target for lib/acpi. Byte 0 picks a mode:
 *   0-2  the rest is one table (MADT, MCFG, DMAR): its signature is
 *        forced and its checksum fixed (so mutations reach the parser
 *        rather than dying at the checksum), then it is opened and every
 *        entry, unit and device scope is iterated;
 *   3    the rest is physical memory from address 0: an RSDP at 0 (its
 *        checksums fixed), and the root and tables wherever its pointers
 *        say; checksums of the root and of the tables it names are fixed
 *        too, then acpi_platform_read runs on it.
 * map() vouches only for ranges inside the input, so any pointer outside
 * it must come back as ACPI_EMAP. Seeds: QEMU q35's real tables
 * (FUZZ_SEEDS_acpi_tables in lib/acpi/rules.mk).
 *
 * Sources: lib/acpi/acpi.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "acpi/acpi.h"

#define MAXIN 65536
static uint8_t buf[MAXIN];
static size_t buflen;

static const void *map(void *ctx, uint64_t phys, uint64_t len)
{
    (void)ctx;
    if (phys > buflen || len > buflen - phys)
        return NULL;
    return buf + phys;
}

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

static void fix(uint8_t *p, size_t len, size_t at)
{
    uint8_t s = 0;
    p[at] = 0;
    for (size_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    p[at] = (uint8_t)-s;
}

/* Fix the checksum of a table at phys if its header and length fit. */
static void fix_table(uint64_t phys)
{
    if (phys > buflen || buflen - phys < ACPI_HDR_LEN)
        return;
    uint32_t len = rd32(buf + phys + 4);
    if (len >= ACPI_HDR_LEN && len <= buflen - phys)
        fix(buf + phys, len, 9);
}

static void walk_table(const struct acpi_table *t, int kind)
{
    struct acpi_iter it = {0};
    if (kind == 0) {
        struct acpi_madt m;
        struct acpi_madt_entry e;
        if (acpi_madt_open(t, &m) == ACPI_OK)
            while (acpi_madt_next(&m, &it, &e) == ACPI_OK)
                if ((size_t)(e.raw - t->p) + e.len > t->len)
                    __builtin_trap();
    } else if (kind == 1) {
        struct acpi_mcfg m;
        struct acpi_mcfg_range r;
        if (acpi_mcfg_open(t, &m) == ACPI_OK)
            for (uint32_t i = 0; i < m.count; i++)
                acpi_mcfg_get(&m, i, &r);
    } else {
        struct acpi_dmar d;
        struct acpi_dmar_unit u;
        struct acpi_dmar_scope s;
        if (acpi_dmar_open(t, &d) == ACPI_OK)
            while (acpi_dmar_next(&d, &it, &u) == ACPI_OK) {
                struct acpi_iter si = {0};
                while (acpi_dmar_scope_next(&u, &si, &s) == ACPI_OK)
                    if (s.path + 2 * s.npath > u.raw + u.len)
                        __builtin_trap();
            }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > MAXIN)
        return 0;
    int mode = data[0] % 4;
    buflen = size - 1;
    memcpy(buf, data + 1, buflen);

    if (mode < 3) {
        static const char *const sigs[3] = {"APIC", "MCFG", "DMAR"};
        if (buflen >= ACPI_HDR_LEN) {
            memcpy(buf, sigs[mode], 4);
            fix_table(0);
        }
        struct acpi_table t;
        if (acpi_table_check(buf, buflen, sigs[mode], &t) == ACPI_OK)
            walk_table(&t, mode);
        return 0;
    }

    if (buflen >= 36) {
        fix(buf, 20, 8);
        fix(buf, 36, 32);
    }
    struct acpi_rsdp r;
    if (acpi_rsdp_parse(buf, buflen, 0, &r) != ACPI_OK)
        return 0;
    uint64_t root = r.revision >= 2 && r.xsdt ? r.xsdt : r.rsdt;
    fix_table(root);
    struct acpi_mem mem = {map, NULL};
    struct acpi_root rt;
    if (acpi_root_open(&mem, &r, &rt) != ACPI_OK)
        return 0;
    for (uint32_t i = 0; i < rt.count && i < 64; i++)
        fix_table(acpi_root_entry(&rt, i));
    /* Fixing a table can change the root's bytes if they overlap: reopen. */
    if (acpi_root_open(&mem, &r, &rt) != ACPI_OK)
        return 0;
    struct acpi_platform p;
    (void)acpi_platform_read(&mem, &rt, &p);
    return 0;
}
