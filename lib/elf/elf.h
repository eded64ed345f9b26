/*
 * elf: validation of ELF64 x86_64 executables, for the kernel (root Task)
 * and for init (every other Task).
 *
 * elf_parse() reads only within [buf, buf+len) and either accepts the
 * whole file or names the first thing wrong with it; a loader then trusts
 * the segments it returns:
 *   - every PT_LOAD lies in [lo, hi) given by the caller (user space),
 *     does not wrap, and file bytes lie inside the file;
 *   - filesz <= memsz, vaddr and offset agree modulo the page size;
 *   - no segment is both writable and executable (W^X);
 *   - loadable segments do not overlap, even at page granularity;
 *   - the entry point lies inside an executable segment.
 */
#ifndef LIB_ELF_H
#define LIB_ELF_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 8

enum elf_err {
    ELF_OK = 0,
    ELF_ETRUNC,        /* file shorter than its headers say */
    ELF_EMAGIC,        /* not an ELF file */
    ELF_ECLASS,        /* not 64-bit little-endian x86_64 */
    ELF_ETYPE,         /* not an executable (ET_EXEC) */
    ELF_EPHDR,         /* program header table malformed */
    ELF_ETOOMANY,      /* more than ELF_MAX_SEGMENTS loadable segments */
    ELF_ESEGMENT,      /* a segment's sizes or offsets are inconsistent */
    ELF_ERANGE,        /* a segment lies outside the allowed addresses */
    ELF_EOVERLAP,      /* two segments share a page */
    ELF_EWX,           /* a segment is writable and executable */
    ELF_EENTRY,        /* entry point not in an executable segment */
    ELF_ENOLOAD,       /* no loadable segment */
};

enum { ELF_R = 4, ELF_W = 2, ELF_X = 1 };

struct elf_segment {
    uint64_t vaddr, memsz;    /* memory image [vaddr, vaddr+memsz) */
    uint64_t offset, filesz;  /* file bytes copied to vaddr */
    unsigned flags;           /* ELF_R | ELF_W | ELF_X */
};

struct elf_image {
    uint64_t entry;
    unsigned nseg;
    struct elf_segment seg[ELF_MAX_SEGMENTS];
};

enum elf_err elf_parse(const void *buf, size_t len, uint64_t lo, uint64_t hi,
                       struct elf_image *out);
const char *elf_strerror(enum elf_err e);

#endif
