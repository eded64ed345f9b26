/*
 * heap: malloc / free / realloc / calloc / memalign over memory regions the
 * caller hands in. The user runtime adds a region each time it maps frames
 * and wraps these functions under the standard names.
 *
 * Use:
 *     struct heap h;
 *     heap_init(&h);
 *     h.grow = my_grow;        optional: asked for more memory when full
 *     h.report = my_report;    optional: told about every fault
 *     heap_add_region(&h, mem, size);
 *     void *p = heap_malloc(&h, 100);
 *
 * Contract:
 *   - every pointer returned is 16-byte aligned (heap_memalign: as asked)
 *     and the block behind it does not overlap any other live block;
 *   - heap_malloc(h, 0) returns a distinct minimal block; heap_free(h, NULL)
 *     does nothing; heap_realloc(h, NULL, n) is heap_malloc; heap_realloc(h,
 *     p, 0) frees p and returns NULL (glibc's choice); a failed realloc
 *     leaves p untouched; heap_calloc returns NULL when n * size overflows;
 *   - heap_add_region(h, mem, size) uses [mem, mem+size) rounded inwards to
 *     16 bytes; a region that starts exactly where an earlier one ends is
 *     merged into it, so a runtime that maps frames upwards gets one
 *     contiguous heap. It refuses regions that overlap a known one or are
 *     too small to hold one block (HEAP_REGION_MIN bytes), and will not
 *     extend a region whose end it finds corrupt;
 *   - when no free block fits, grow(h, min_bytes) is called (if set) and
 *     should add a region of at least min_bytes through heap_add_region and
 *     return true, or return false; malloc then returns NULL. grow may call
 *     heap_add_region and nothing else of this heap. It is asked at most
 *     HEAP_GROW_TRIES times per allocation;
 *   - the heap is not thread-safe: the caller serialises calls.
 *
 * Faults. Every block starts with a 16-byte header holding its size, its
 * predecessor's size and a check word: a keyed hash of the header's
 * address, both sizes, the block's state (in use, free, or merged away)
 * and, for a free block, its free-list links. Every header is verified
 * before it is trusted, so
 *   - freeing a pointer twice, or one that was merged away, is
 *     HEAP_FAULT_DOUBLE_FREE;
 *   - a pointer outside every region, or misaligned, is HEAP_FAULT_BAD_POINTER;
 *   - a header that fails its check (an overrun from the block before, an
 *     underrun, a wild pointer into the heap) is HEAP_FAULT_CORRUPT;
 *   - freeing or reallocating a block whose successor's header is corrupt
 *     is HEAP_FAULT_OVERRUN: this block was written past its end (the last
 *     block of a region is followed by a sentinel header, so this holds
 *     there too);
 *   - a free block whose links or list neighbours are inconsistent (written
 *     after free) is HEAP_FAULT_FREE_LIST.
 * Each fault is passed to report(h, fault, ptr) with the user pointer
 * concerned and counted in heap_stats. The call that found it then changes
 * nothing (free and realloc leave the block allocated; malloc skips the bad
 * free list and leaks what hangs off it), so the heap never builds on a
 * corrupted header: memory behind corruption is leaked, never handed out.
 * What it cannot see: writes inside a block's own slack (malloc(20) owns
 * 32 bytes), and use-after-free writes that miss the header and links.
 *
 * Complexity: blocks live in segregated free lists (two-level size
 * classes, 8 per power of two, found through bitmaps), so malloc and free
 * are O(1) apart from finding which region a freed pointer belongs to,
 * which is O(regions) and regions merge when contiguous. heap_stats walks
 * the free lists; heap_check walks everything and is meant for tests.
 *
 * Sizes: one block holds at most HEAP_MAX_ALLOC bytes (about 64 GiB);
 * larger regions are carved into several blocks.
 */
#ifndef LIB_HEAP_HEAP_H
#define LIB_HEAP_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEAP_ALIGN 16
#define HEAP_GROW_TRIES 4
#define HEAP_REGION_MIN 96        /* region record + one minimal block + sentinel */
#define HEAP_REGION_OVERHEAD 64   /* bytes of a region that no block can use */
#define HEAP_MAX_ALLOC ((size_t)0xfffffffeu * 16)

/* Two-level size classes: see heap.c. */
#define HEAP_FL_COUNT 30
#define HEAP_SL_COUNT 8

enum heap_fault {
    HEAP_FAULT_NONE = 0,
    HEAP_FAULT_BAD_POINTER,   /* pointer not from this heap */
    HEAP_FAULT_DOUBLE_FREE,   /* block already free */
    HEAP_FAULT_CORRUPT,       /* header fails its check */
    HEAP_FAULT_OVERRUN,       /* the header after this block is corrupt */
    HEAP_FAULT_FREE_LIST,     /* free-list links inconsistent */
};

enum heap_err {
    HEAP_OK = 0,
    HEAP_ETOOSMALL,   /* region cannot hold a block */
    HEAP_EOVERLAP,    /* region overlaps one the heap already has */
    HEAP_ERANGE,      /* region wraps around the address space */
    HEAP_ECORRUPT,    /* the heap's region list, or the region this one
                         would extend, is corrupt (also reported) */
};

struct heap;
typedef bool heap_grow_fn(struct heap *h, size_t min_bytes);
typedef void heap_report_fn(struct heap *h, enum heap_fault fault, const void *ptr);

struct heap_region;
struct heap_free;

struct heap {
    /* Set by the caller (after heap_init), read by the heap. */
    heap_grow_fn *grow;
    heap_report_fn *report;
    void *ctx;

    /* Private: changed only by heap_* functions. */
    uint64_t key;                       /* mixed into every check word */
    struct heap_region *regions;        /* newest first */
    uint32_t fl_bitmap;                 /* bit f: some sl_bitmap[f] bit set */
    uint32_t sl_bitmap[HEAP_FL_COUNT];  /* bit s: bins[f][s] non-empty */
    struct heap_free *bins[HEAP_FL_COUNT][HEAP_SL_COUNT];
    size_t total, in_use, allocations, nregions, faults;
};

struct heap_stats {
    size_t total;          /* bytes of all regions (after rounding) */
    size_t in_use;         /* bytes in allocated blocks, headers included */
    size_t free;           /* bytes in free blocks, headers included */
    size_t largest_free;   /* largest request that succeeds without grow */
    size_t allocations;    /* blocks in use */
    size_t regions;        /* regions, contiguous additions counted once */
    size_t faults;         /* faults reported so far */
};
/* On a heap with no faults: total == in_use + free + regions * HEAP_REGION_OVERHEAD. */

void heap_init(struct heap *h);
enum heap_err heap_add_region(struct heap *h, void *mem, size_t size);

void *heap_malloc(struct heap *h, size_t n);
void *heap_calloc(struct heap *h, size_t count, size_t size);
void *heap_realloc(struct heap *h, void *p, size_t n);
void *heap_memalign(struct heap *h, size_t align, size_t n);   /* align: power of two */
void heap_free(struct heap *h, void *p);

/* Bytes usable at p (>= what was asked), or 0 (with a report) if p is bad. */
size_t heap_usable_size(struct heap *h, const void *p);

void heap_stats(struct heap *h, struct heap_stats *out);

/* Walk every region and free list and verify every invariant; returns the
 * first problem found (HEAP_FAULT_NONE if all is well). Reports nothing. */
enum heap_fault heap_check(struct heap *h);

#endif
