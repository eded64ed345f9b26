/*
 * rt.h: the Vectra user runtime every Task links.
 *
 *   crt0 -> rt_start -> main -> rt_exit     a Task's life
 *   rt_cap("console")                       a capability from the Bundle, by name
 *   rt_arg()                                the start argument from the parent
 *   rt_map_frames / rt_unmap_frames         memory from the Task's own Reticle
 *   rt_spawn / rt_child_destroy             children from ELF images
 *   rt_image_prepare / rt_image_release     a program's read-only segments, shared
 *   rt_die(fmt, ...)                        print a reason and exit non-zero
 * The standard C subset (string.h, stdio.h, stdlib.h, assert.h) is in the
 * headers beside this one.
 */
#ifndef RT_H
#define RT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vectra/abi.h>
#include <vectra/usys.h>

__attribute__((noreturn)) void rt_exit(int status);
__attribute__((noreturn, format(printf, 1, 2))) void rt_die(const char *fmt, ...);
void rt_puts(const char *s);
uint64_t rt_arg(void);

/* The Bundle: a handle by name (0 if absent), and the whole listing. */
v_handle rt_cap(const char *name);
const struct v_bundle *rt_bundle(void);
const char *rt_errname(int64_t err);

/* Signal bits 56..63 are never handed out by rt_bit_alloc (1..55); each
 * that is used has one meaning in every Task:
 *   RT_SIG_IRQ    a driver's first interrupt line (v_irq_bind); more count up
 *   RT_SIG_TIMER  the Task's one kernel timer (v_timer_set)
 *   RT_SIG_SLEEP  raised by nobody, so a wait on it alone is a sleep (a
 *                 wait on mask 0 is V_EINVAL at once, not a sleep)
 *   RT_SIG_FAULT  a child faulted or exited (its fault signal's bit) */
#define RT_SIG_IRQ   56
#define RT_SIG_TIMER 57
#define RT_SIG_SLEEP 62
#define RT_SIG_FAULT V_SIGNAL_FAULT
static inline void rt_sleep_us(uint64_t us) { v_signal_wait(1ull << RT_SIG_SLEEP, us); }

/* The time stamp counter, fenced so no load or store moves across it:
 * under -icount it is the guest's instruction count (make bench). */
static inline uint64_t rt_tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t)hi << 32 | lo;
}

/* Map npages fresh zeroed frames at vaddr with rights (V_R_READ|V_R_WRITE..),
 * retyped from reticle (0: the Task's own, "memory" or "reticle0"). The
 * frame handles go to frames[] if given. Returns a V_E* code. */
int rt_map_frames(v_handle reticle, uint64_t vaddr, unsigned npages, unsigned rights,
                  v_handle *frames);
v_handle rt_memory(void);   /* the Task's own Reticle */
v_handle rt_aspace(void);   /* the Task's own address space */

/* Children. */
struct rt_bundle_item {
    const char *name;
    v_handle cap;
    bool move;
};
/* A prepared program: its read-only segments loaded once into frames
 * carved from `reticle`, shared by every child spawned from it (mapped
 * read-only, one minted capability per child). Chunks beyond
 * RT_IMAGE_FRAMES are copied per child like writable data. Release it
 * only when no child spawned from it lives: deleting a frame unmaps it
 * from every child (they would fault). */
#define RT_IMAGE_FRAMES 16
struct rt_image_frame {
    uint64_t va;
    unsigned pages;
    v_handle cap;               /* the frame's original, in the caller's table */
};
struct rt_image {
    const void *elf;
    size_t elf_len;
    v_handle reticle;
    unsigned nframe;
    struct rt_image_frame frame[RT_IMAGE_FRAMES];
};
int rt_image_prepare(v_handle reticle, const void *elf, size_t len, struct rt_image *out);
int rt_image_release(struct rt_image *im);

struct rt_spawn_args {
    const void *elf;
    size_t elf_len;
    const char *name;
    v_handle reticle;           /* the child's memory is carved from here */
    uint64_t memory;            /* bytes of its private Reticle */
    unsigned prio;
    unsigned stack_pages;       /* default 8 */
    unsigned table_bits;        /* default 6 (64 slots) */
    v_handle fault_signal;      /* 0: nobody is told of its faults */
    uint64_t arg;               /* start argument */
    const struct rt_bundle_item *items;
    unsigned nitems;
    bool give_memory;           /* add its Reticle as "memory" and its space as "aspace" */
    const struct rt_image *image; /* if set: spawn from it (elf, elf_len ignored) */
    uint64_t label;             /* its space's label and its memory's (docs/LABELS.md) */
    v_handle own;               /* a LabelCap its space owns from the start, or 0 */
};
struct rt_child {
    v_handle reticle, task, table, aspace, bundle;
};
int rt_spawn(const struct rt_spawn_args *a, struct rt_child *out);
int rt_child_destroy(struct rt_child *c);

#endif
