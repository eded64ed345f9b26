/* test_elf: lib/elf against well-formed and hostile executables. */
#include "vtest.h"
#include "elf/elf.h"

#include <stdlib.h>

#define LO 0x1000ull
#define HI 0x7fff00000000ull

struct ph {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/* A minimal executable: header, n program headers, 8 KiB of "file". */
static size_t build(uint8_t *buf, const struct ph *ph, unsigned n, uint64_t entry)
{
    memset(buf, 0, 16384);
    memcpy(buf, "\x7f" "ELF", 4);
    buf[4] = 2; buf[5] = 1; buf[6] = 1;
    uint16_t type = 2, mach = 62, phentsize = 56, phnum = (uint16_t)n;
    uint64_t phoff = 64;
    memcpy(buf + 16, &type, 2);
    memcpy(buf + 18, &mach, 2);
    memcpy(buf + 24, &entry, 8);
    memcpy(buf + 32, &phoff, 8);
    memcpy(buf + 54, &phentsize, 2);
    memcpy(buf + 56, &phnum, 2);
    for (unsigned i = 0; i < n; i++)
        memcpy(buf + 64 + 56 * i, &ph[i], 56);
    return 16384;
}

static const struct ph text = {1, 5, 0x1000, 0x400000, 0, 0x100, 0x100, 0x1000};
static const struct ph data = {1, 6, 0x2000, 0x401000, 0, 0x80, 0x2000, 0x1000};

TEST(accepts_text_and_data)
{
    uint8_t buf[16384];
    struct ph ph[2] = {text, data};
    size_t n = build(buf, ph, 2, 0x400010);
    struct elf_image img;
    CHECK_EQ(elf_parse(buf, n, LO, HI, &img), ELF_OK);
    CHECK_EQ(img.nseg, 2);
    CHECK_EQ(img.entry, 0x400010);
    CHECK_EQ(img.seg[0].flags, ELF_R | ELF_X);
    CHECK_EQ(img.seg[1].flags, ELF_R | ELF_W);
    CHECK_EQ(img.seg[1].memsz, 0x2000);
}

TEST(refuses_short_and_bad_magic)
{
    uint8_t buf[16384] = {0};
    struct elf_image img;
    CHECK_EQ(elf_parse(buf, 0, LO, HI, &img), ELF_EMAGIC);
    build(buf, &text, 1, 0x400000);
    CHECK_EQ(elf_parse(buf, 10, LO, HI, &img), ELF_ETRUNC);
    buf[1] = 'X';
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_EMAGIC);
}

TEST(refuses_wrong_class_machine_type)
{
    uint8_t buf[16384];
    struct elf_image img;
    build(buf, &text, 1, 0x400000);
    buf[4] = 1;
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_ECLASS);
    build(buf, &text, 1, 0x400000);
    buf[18] = 3;
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_ECLASS);
    build(buf, &text, 1, 0x400000);
    buf[16] = 3; /* ET_DYN */
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_ETYPE);
}

TEST(refuses_phdr_table_outside_file)
{
    uint8_t buf[16384];
    struct elf_image img;
    build(buf, &text, 1, 0x400000);
    uint64_t phoff = 16384 - 20;
    memcpy(buf + 32, &phoff, 8);
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_ETRUNC);
    phoff = ~0ull - 10;
    memcpy(buf + 32, &phoff, 8);
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_ETRUNC);
    build(buf, &text, 1, 0x400000);
    buf[54] = 40; /* phentsize */
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_EPHDR);
}

TEST(refuses_segment_inconsistencies)
{
    uint8_t buf[16384];
    struct elf_image img;
    struct ph p = text;
    p.filesz = p.memsz + 1;
    build(buf, &p, 1, 0x400000);
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_ESEGMENT);
    p = text;
    p.offset = 0x1001;
    build(buf, &p, 1, 0x400000);
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_ESEGMENT);
    p = text;
    p.offset = 0x3000;
    p.filesz = p.memsz = 0x2000;
    build(buf, &p, 1, 0x400000);
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_ETRUNC);
}

TEST(refuses_kernel_and_wrapping_addresses)
{
    uint8_t buf[16384];
    struct elf_image img;
    struct ph p = text;
    p.vaddr = 0xffffffff80000000ull;
    build(buf, &p, 1, p.vaddr);
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_ERANGE);
    p = text;
    p.vaddr = HI - 0x1000;
    p.memsz = ~0ull - 5;
    p.filesz = 0x10;
    build(buf, &p, 1, p.vaddr);
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_ERANGE);
    p = text;
    p.vaddr = 0;
    p.offset = 0;
    build(buf, &p, 1, 0);
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_ERANGE);
}

TEST(refuses_wx_overlap_entry)
{
    uint8_t buf[16384];
    struct elf_image img;
    struct ph p = text;
    p.flags = 7;
    build(buf, &p, 1, 0x400000);
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_EWX);
    struct ph two[2] = {text, data};
    two[1].vaddr = 0x400080; /* same page as text */
    two[1].offset = 0x2080;
    build(buf, two, 2, 0x400000);
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_EOVERLAP);
    struct ph ok[2] = {text, data};
    build(buf, ok, 2, 0x401000); /* entry in data */
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_EENTRY);
    CHECK_EQ(img.nseg, 0);
}

TEST(refuses_no_load_and_too_many)
{
    uint8_t buf[16384];
    struct elf_image img;
    struct ph p = text;
    p.type = 4; /* PT_NOTE */
    build(buf, &p, 1, 0x400000);
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_ENOLOAD);
    struct ph many[ELF_MAX_SEGMENTS + 1];
    for (unsigned i = 0; i <= ELF_MAX_SEGMENTS; i++) {
        many[i] = text;
        many[i].vaddr = 0x400000 + 0x1000ull * i;
        many[i].offset = 0x1000;
    }
    build(buf, many, ELF_MAX_SEGMENTS + 1, 0x400000);
    CHECK_EQ(elf_parse(buf, 16384, LO, HI, &img), ELF_ETOOMANY);
}

/* What if every byte of the headers is garbage? Random mutations of a
 * good file must produce ELF_OK or a named error, and an accepted image
 * must satisfy every promise of elf.h. */
TEST(random_mutations_keep_promises)
{
    uint8_t buf[16384], good[16384];
    struct ph ph[2] = {text, data};
    build(good, ph, 2, 0x400010);
    srand(1234);
    for (int iter = 0; iter < 200000; iter++) {
        memcpy(buf, good, sizeof buf);
        int flips = 1 + rand() % 8;
        for (int f = 0; f < flips; f++)
            buf[rand() % 200] = (uint8_t)rand();
        size_t len = rand() % 4 ? sizeof buf : (size_t)(rand() % 300);
        struct elf_image img;
        enum elf_err e = elf_parse(buf, len, LO, HI, &img);
        CHECK(e <= ELF_ENOLOAD);
        CHECK(elf_strerror(e) != 0);
        if (e != ELF_OK)
            continue;
        int has_entry = 0;
        for (unsigned i = 0; i < img.nseg; i++) {
            const struct elf_segment *s = &img.seg[i];
            CHECK(s->vaddr >= LO && s->vaddr + s->memsz <= HI && s->vaddr + s->memsz > s->vaddr);
            CHECK(s->filesz <= s->memsz && s->offset + s->filesz <= len);
            CHECK(!((s->flags & ELF_W) && (s->flags & ELF_X)));
            if ((s->flags & ELF_X) && img.entry >= s->vaddr && img.entry < s->vaddr + s->memsz)
                has_entry = 1;
        }
        CHECK(has_entry);
    }
}
