/*
 * elf.c: see elf.h. All multi-byte fields are read with explicit
 * little-endian loads from the byte buffer, so an unaligned or truncated
 * file can never make us read outside it or trap on alignment.
 */
#include "elf/elf.h"

#define PT_LOAD 1
#define PAGE 4096ull

static uint64_t rd(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

const char *elf_strerror(enum elf_err e)
{
    switch (e) {
    case ELF_OK: return "ok";
    case ELF_ETRUNC: return "file is truncated";
    case ELF_EMAGIC: return "not an ELF file (bad magic)";
    case ELF_ECLASS: return "not a 64-bit little-endian x86_64 ELF";
    case ELF_ETYPE: return "not an executable (ET_EXEC)";
    case ELF_EPHDR: return "program header table is malformed";
    case ELF_ETOOMANY: return "too many loadable segments";
    case ELF_ESEGMENT: return "segment sizes or offsets are inconsistent";
    case ELF_ERANGE: return "segment outside user address space";
    case ELF_EOVERLAP: return "segments overlap";
    case ELF_EWX: return "segment is both writable and executable";
    case ELF_EENTRY: return "entry point is not in an executable segment";
    case ELF_ENOLOAD: return "no loadable segment";
    }
    return "unknown ELF error";
}

enum elf_err elf_parse(const void *buf, size_t len, uint64_t lo, uint64_t hi,
                       struct elf_image *out)
{
    const uint8_t *b = buf;
    out->nseg = 0;
    out->entry = 0;
    if (len < 64)
        return len >= 4 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F'
                   ? ELF_ETRUNC : ELF_EMAGIC;
    if (!(b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F'))
        return ELF_EMAGIC;
    if (b[4] != 2 || b[5] != 1 || b[6] != 1 || rd(b + 18, 2) != 62 /* EM_X86_64 */)
        return ELF_ECLASS;
    if (rd(b + 16, 2) != 2 /* ET_EXEC */)
        return ELF_ETYPE;

    uint64_t entry = rd(b + 24, 8);
    uint64_t phoff = rd(b + 32, 8);
    uint64_t phentsize = rd(b + 54, 2);
    uint64_t phnum = rd(b + 56, 2);
    if (phentsize != 56 || phnum == 0 || phnum > 64)
        return ELF_EPHDR;
    if (phoff > len || phnum * phentsize > len - phoff)
        return ELF_ETRUNC;

    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = b + phoff + i * phentsize;
        if (rd(ph, 4) != PT_LOAD)
            continue;
        struct elf_segment s;
        unsigned pf = (unsigned)rd(ph + 4, 4);
        s.flags = (pf & 4 ? ELF_R : 0) | (pf & 2 ? ELF_W : 0) | (pf & 1 ? ELF_X : 0);
        s.offset = rd(ph + 8, 8);
        s.vaddr = rd(ph + 16, 8);
        s.filesz = rd(ph + 32, 8);
        s.memsz = rd(ph + 40, 8);
        if (s.memsz == 0)
            continue;
        if (out->nseg == ELF_MAX_SEGMENTS)
            return ELF_ETOOMANY;
        if (s.filesz > s.memsz || (s.offset % PAGE) != (s.vaddr % PAGE))
            return ELF_ESEGMENT;
        if (s.offset > len || s.filesz > len - s.offset)
            return ELF_ETRUNC;
        if (s.vaddr < lo || s.vaddr >= hi || s.memsz > hi - s.vaddr)
            return ELF_ERANGE;
        if ((s.flags & ELF_W) && (s.flags & ELF_X))
            return ELF_EWX;
        uint64_t a0 = s.vaddr & ~(PAGE - 1);
        uint64_t a1 = (s.vaddr + s.memsz + PAGE - 1) & ~(PAGE - 1);
        for (unsigned j = 0; j < out->nseg; j++) {
            uint64_t b0 = out->seg[j].vaddr & ~(PAGE - 1);
            uint64_t b1 = (out->seg[j].vaddr + out->seg[j].memsz + PAGE - 1) & ~(PAGE - 1);
            if (a0 < b1 && b0 < a1)
                return ELF_EOVERLAP;
        }
        out->seg[out->nseg++] = s;
    }
    if (out->nseg == 0)
        return ELF_ENOLOAD;
    for (unsigned j = 0; j < out->nseg; j++) {
        const struct elf_segment *s = &out->seg[j];
        if ((s->flags & ELF_X) && entry >= s->vaddr && entry < s->vaddr + s->memsz) {
            out->entry = entry;
            return ELF_OK;
        }
    }
    out->nseg = 0;
    return ELF_EENTRY;
}
