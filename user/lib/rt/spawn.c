/*
 * spawn.c: a child Task from an ELF image in memory.
 *
 * Everything the child is made of — its Task, table, address space,
 * page tables, code, data, stack and Bundle page — is carved from one
 * private Reticle retyped from the parent's, so the child's memory is
 * exactly that Reticle's size, and destroying the child is deleting that
 * one capability (which returns every byte to the parent's Reticle).
 *
 * Each loaded segment is one multi-page frame (and the stack another),
 * born with its bytes (frame_load copies them from the ELF image, so no
 * byte is zeroed and then overwritten), mapped into the child, and moved
 * to the child's table, so the parent's table holds only the five handles
 * of struct rt_child. A spawn is three calls per segment, not five per
 * page.
 *
 * A program spawned many times can be prepared once (rt_image_prepare):
 * its read-only segments are loaded into frames of the caller's choosing,
 * copied once, like a page cache, and each spawn from the image maps
 * them read-only through a capability minted for the child instead of
 * copying them, so its cost no longer grows with the program's code and
 * constants; writable segments and the stack are still copied (zeroed)
 * per child. docs/DECISIONS.md says why this and not demand paging.
 */
#include <string.h>

#include "elf/elf.h"
#include "rt.h"

static uint64_t spawn_label;    /* the label of the child being made */

/* The frame capability f (just made in our table) mapped in the child at
 * va and moved to the child's table; deleted if either fails. */
static int give(const struct rt_child *c, struct v_ret f, uint64_t va, unsigned rights)
{
    if (f.err)
        return (int)f.err;
    int e = (int)v_as_map(c->aspace, f.val, va, rights).err;
    if (!e)
        e = (int)v_cap_grant(c->table, f.val, V_SLOT_ANY, V_MOVE).err;
    if (e)
        v_cap_delete(f.val);
    return e;
}

/* A new frame of npages in the child's Reticle holding src's n bytes at
 * off (zero elsewhere), mapped in the child at va and handed to it. A
 * labelled child's own frames carry its label (a fresh original may be
 * raised; shared image frames keep the preparer's, which it only reads). */
static int child_frame(const struct rt_child *c, uint64_t va, unsigned npages, unsigned rights,
                       const uint8_t *src, size_t n, size_t off)
{
    struct v_ret f = v_frame_load(c->reticle, npages, off, (uint64_t)src, n, V_SLOT_ANY);
    if (!f.err && spawn_label) {
        int e = (int)v_label_set(f.val, spawn_label).err;
        if (e) {
            v_cap_delete(f.val);
            return e;
        }
    }
    return give(c, f, va, rights);
}

/* A prepared frame shared: a capability minted from it with only the
 * mapping's rights and GRANT, which moving it needs (one mapping per
 * capability; the child may pass its code on, read-only), mapped in the child at
 * va and moved to the child's table, so deleting the child's Reticle
 * (its table) unmaps it and the frame stays with the image. */
static int child_share(const struct rt_child *c, v_handle frame, uint64_t va, unsigned rights)
{
    return give(c, v_cap_mint(frame, V_SLOT_ANY, rights | V_R_GRANT, 0), va, rights);
}

/* One chunk of a segment: npages at va, src's n bytes at off in it. */
typedef int (*chunk_fn)(void *ctx, const struct elf_segment *s, uint64_t va, unsigned npages,
                        unsigned rights, const uint8_t *src, size_t n, size_t off);

/* Segments larger than the biggest frame are loaded in chunks of it.
 * Inlined into both callers, so fn is a direct (inlined) call: a spawn
 * without an image costs what it did before images. */
#define INLINE static inline __attribute__((always_inline))
INLINE int each_chunk(const uint8_t *file, const struct elf_image *img, chunk_fn fn, void *ctx)
{
    const uint64_t chunk = (uint64_t)V_FRAME_MAX_PAGES * 4096;
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct elf_segment *s = &img->seg[i];
        unsigned rights = V_R_READ | (s->flags & ELF_W ? V_R_WRITE : 0) |
                          (s->flags & ELF_X ? V_R_EXEC : 0);
        uint64_t end = (s->vaddr + s->memsz + 4095) & ~4095ull;
        uint64_t fend = s->vaddr + s->filesz;
        for (uint64_t va = s->vaddr & ~4095ull; va < end; va += chunk) {
            uint64_t top = end - va < chunk ? end : va + chunk;
            uint64_t lo = va > s->vaddr ? va : s->vaddr;
            uint64_t hi = top < fend ? top : fend;
            int e = fn(ctx, s, va, (unsigned)((top - va) / 4096), rights,
                       lo < hi ? file + s->offset + (lo - s->vaddr) : 0, lo < hi ? hi - lo : 0,
                       lo - va);
            if (e)
                return e;
        }
    }
    return V_OK;
}

struct load_ctx {
    const struct rt_child *c;
    const struct rt_image *image;
};

/* A read-only chunk the image prepared is shared; anything else (writable
 * data, the stack, a chunk the image could not hold) is copied. */
INLINE int load_chunk(void *ctx, const struct elf_segment *s, uint64_t va, unsigned npages,
                      unsigned rights, const uint8_t *src, size_t n, size_t off)
{
    const struct load_ctx *l = ctx;
    if (l->image && !(s->flags & ELF_W))
        for (unsigned k = 0; k < l->image->nframe; k++)
            if (l->image->frame[k].va == va && l->image->frame[k].pages == npages)
                return child_share(l->c, l->image->frame[k].cap, va, rights);
    return child_frame(l->c, va, npages, rights, src, n, off);
}

INLINE int prepare_chunk(void *ctx, const struct elf_segment *s, uint64_t va, unsigned npages,
                         unsigned rights, const uint8_t *src, size_t n, size_t off)
{
    struct rt_image *im = ctx;
    (void)rights;
    if (s->flags & ELF_W || im->nframe == RT_IMAGE_FRAMES)
        return V_OK;                    /* copied per child */
    struct v_ret f = v_frame_load(im->reticle, npages, off, (uint64_t)src, n, V_SLOT_ANY);
    if (f.err)
        return (int)f.err;
    im->frame[im->nframe++] = (struct rt_image_frame){.va = va, .pages = npages,
                                                      .cap = (v_handle)f.val};
    return V_OK;
}

int rt_image_prepare(v_handle reticle, const void *elf, size_t len, struct rt_image *out)
{
    struct elf_image img;
    *out = (struct rt_image){.elf = elf, .elf_len = len, .reticle = reticle};
    if (elf_parse(elf, len, V_PROGRAM_BASE, V_STACK_TOP, &img) != ELF_OK)
        return V_EINVAL;
    int e = each_chunk(elf, &img, prepare_chunk, out);
    if (e)
        rt_image_release(out);
    return e;
}

int rt_image_release(struct rt_image *im)
{
    int e = V_OK;
    for (unsigned k = 0; k < im->nframe; k++) {
        int d = (int)v_cap_delete(im->frame[k].cap).err;
        if (d && !e)
            e = d;
    }
    *im = (struct rt_image){0};
    return e;
}

int rt_spawn(const struct rt_spawn_args *a, struct rt_child *out)
{
    struct elf_image img;
    const void *elf = a->image ? a->image->elf : a->elf;
    size_t elf_len = a->image ? a->image->elf_len : a->elf_len;
    unsigned stack_pages = a->stack_pages ? a->stack_pages : 8;
    unsigned bits = a->table_bits ? a->table_bits : 6;
    if (elf_parse(elf, elf_len, V_PROGRAM_BASE, V_STACK_TOP - 4096ull * (stack_pages + 1),
                  &img) != ELF_OK)
        return V_EINVAL;
    struct rt_child c = {0};
    struct v_ret r = v_retype(a->reticle, V_TYPE_RETICLE, a->memory, V_SLOT_ANY);
    if (r.err)
        return (int)r.err;
    c.reticle = (v_handle)r.val;
    int e;
#define TRY(call, field)                          \
    do {                                          \
        struct v_ret t_ = (call);                 \
        if (t_.err) {                             \
            e = (int)t_.err;                      \
            goto fail;                            \
        }                                         \
        c.field = (v_handle)t_.val;               \
    } while (0)
    TRY(v_retype(c.reticle, V_TYPE_TASK, 0, V_SLOT_ANY), task);
    TRY(v_retype(c.reticle, V_TYPE_CAPTABLE, bits, V_SLOT_ANY), table);
    TRY(v_retype(c.reticle, V_TYPE_ASPACE, 0, V_SLOT_ANY), aspace);
    TRY(v_retype(c.reticle, V_TYPE_FRAME, 0, V_SLOT_ANY), bundle);
#undef TRY
    /* A labelled child: its space and every frame it writes carry the
     * label (a label only rises: memory made at a lower one could not be
     * written by it), and a LabelCap it owns is bound before anything is
     * mapped. */
    spawn_label = a->label;
    if ((a->label && (e = (int)v_label_set(c.aspace, a->label).err)) ||
        (a->own && (e = (int)v_label_own(c.aspace, a->own).err)))
        goto fail;
    struct load_ctx l = {.c = &c, .image = a->image};
    if ((e = each_chunk(elf, &img, load_chunk, &l)))
        goto fail;
    if ((e = child_frame(&c, V_STACK_TOP - 4096ull * stack_pages, stack_pages,
                         V_R_READ | V_R_WRITE, 0, 0, 0)))
        goto fail;
    if ((e = (int)v_task_config(c.task, c.table, c.aspace, a->prio, a->fault_signal, c.bundle)
                 .err))
        goto fail;
    if (a->name && (e = (int)v_bundle_add(c.task, (uint64_t)a->name, strlen(a->name), 0, 0).err))
        goto fail;
    for (unsigned i = 0; i < a->nitems; i++)
        if ((e = (int)v_bundle_add(c.task, (uint64_t)a->items[i].name, strlen(a->items[i].name),
                                   a->items[i].cap, a->items[i].move ? V_MOVE : 0)
                     .err))
            goto fail;
    if (a->give_memory) {
        /* the rest of the private Reticle becomes the child's own memory,
         * with its own address space to map it in */
        struct v_ret m = v_cap_copy(c.reticle, V_SLOT_ANY);
        if ((e = (int)m.err) ||
            (e = (int)v_bundle_add(c.task, (uint64_t)"memory", 6, m.val, V_MOVE).err))
            goto fail;
        m = v_cap_copy(c.aspace, V_SLOT_ANY);
        if ((e = (int)m.err) ||
            (e = (int)v_bundle_add(c.task, (uint64_t)"aspace", 6, m.val, V_MOVE).err))
            goto fail;
    }
    if ((e = (int)v_task_start(c.task, img.entry, V_STACK_TOP, a->arg).err))
        goto fail;
    *out = c;
    return V_OK;
fail:
    v_cap_delete(c.reticle);
    return e;
}

int rt_child_destroy(struct rt_child *c)
{
    int e = (int)v_cap_delete(c->reticle).err;
    *c = (struct rt_child){0};
    return e;
}
