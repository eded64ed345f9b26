/*
 * reticle.c: see reticle.h. Pure arithmetic on the header; the syscall
 * that uses it (retype) is in object.c.
 */
#include "core/reticle.h"
#include "arch.h"

#define MAX_DEVICE_RETICLES 8
static struct reticle device_headers[MAX_DEVICE_RETICLES];
static unsigned ndevice;

struct reticle *reticle_init(paddr_t base, uint64_t size)
{
    KASSERT(base % PAGE_SIZE == 0 && size % PAGE_SIZE == 0 && size > V_RETICLE_HEADER);
    struct reticle *r = arch_phys_to_virt(base);
    memset(r, 0, V_RETICLE_HEADER);
    r->base = base;
    r->size = size;
    r->watermark = V_RETICLE_HEADER;
    return r;
}

struct reticle *reticle_init_device(paddr_t base, uint64_t size)
{
    if (ndevice == MAX_DEVICE_RETICLES)
        return 0;
    struct reticle *r = &device_headers[ndevice++];
    r->base = base;
    r->size = size;
    r->watermark = 0;
    r->device = 1;
    return r;
}

paddr_t reticle_fit(const struct reticle *r, uint64_t size, uint64_t align, uint64_t *pad)
{
    uint64_t start = r->base + r->watermark;
    uint64_t at = ALIGN_UP(start, align);
    if (size == 0 || at < start || at - r->base > r->size || size > r->size - (at - r->base))
        return 0;
    *pad = at - start;
    return at;
}

paddr_t reticle_take(struct reticle *r, uint64_t size, uint64_t align, uint64_t *pad)
{
    paddr_t at = reticle_fit(r, size, align, pad);
    KASSERT(at);
    r->watermark = at + size - r->base;
    r->live++;
    if (!r->device)
        memset(arch_phys_to_virt(at), 0, size);
    return at;
}

void reticle_release(struct reticle *r, paddr_t at, uint64_t size, uint64_t pad)
{
    if (!r || r->dead)
        return;
    KASSERT(r->live > 0);
    r->live--;
    if (r->live == 0)
        r->watermark = r->device ? 0 : V_RETICLE_HEADER;
    else if (at + size - r->base == r->watermark)
        r->watermark = at - pad - r->base;
}

/* ---- retype ------------------------------------------------------------ */

#include "core/aspace.h"
#include "core/object.h"
#include "core/ring.h"
#include "core/syscall.h"
#include "core/task.h"

uint64_t obj_size(unsigned type, uint64_t param)
{
    switch (type) {
    case V_TYPE_RETICLE:
        return param % PAGE_SIZE == 0 && param >= 2 * PAGE_SIZE ? param : 0;
    case V_TYPE_TASK:
        return param == 0 ? V_SIZE_TASK : 0;
    case V_TYPE_CAPTABLE:
        return param >= V_CAPTABLE_MIN_BITS && param <= V_CAPTABLE_MAX_BITS
                   ? (uint64_t)V_SIZE_CAPSLOT << param : 0;
    case V_TYPE_ASPACE:
        return param == 0 ? V_SIZE_ASPACE : 0;
    case V_TYPE_FRAME:
        return param == 0 ? V_SIZE_FRAME : 0;
    case V_TYPE_RING_SEND:
        return ring_object_size(param);
    default:
        return 0;
    }
}

static uint64_t obj_align(unsigned type, uint64_t size)
{
    switch (type) {
    case V_TYPE_TASK:
        return V_SIZE_TASK;     /* task_of_slot finds a Task by alignment */
    case V_TYPE_CAPTABLE:
        return size;            /* table_of finds a table by alignment */
    default:
        return PAGE_SIZE;
    }
}

/* retype(reticle, type, param, dst) -> handle. A Ring (type
 * V_TYPE_RING_SEND) yields two capabilities: the send end in dst (or the
 * lowest free slot) and the receive end in the next free slot; the result
 * is send | recv << 32. */
struct v_ret sys_retype(struct task *self, const struct sys_args *a)
{
    struct captable *tab = task_table(self);
    struct cap *rc, *dst, *dst2 = 0;
    unsigned type = (unsigned)a->a[1];
    uint64_t param = a->a[2];
    int e = cap_lookup(tab, (v_handle)a->a[0], V_TYPE_RETICLE, V_R_CONTROL, &rc);
    if (e)
        return sys_err(e);
    struct reticle *r = rc->obj;
    if (a->a[1] >= V_NTYPES)
        return sys_err(V_EINVAL);
    uint64_t size = obj_size(type, param);
    if (!size)
        return sys_err(type == V_TYPE_RETICLE && param % PAGE_SIZE ? V_EALIGN : V_EINVAL);
    if (r->device && type != V_TYPE_FRAME)
        return sys_err(V_EINVAL);
    if (type == V_TYPE_ASPACE && !aspace_asid_available())
        return sys_err(V_EFULL);
    uint64_t align = obj_align(type, size), pad;
    if (!reticle_fit(r, size, align, &pad))
        return sys_err(V_ENOMEM);
    if ((e = cap_dest(tab, (uint32_t)a->a[3], &dst)))
        return sys_err(e);
    if (type == V_TYPE_RING_SEND) {
        struct cap *s = captable_slots(tab);
        for (uint32_t i = 1; i < tab->nslots && !dst2; i++)
            if (cap_empty(&s[i]) && &s[i] != dst)
                dst2 = &s[i];
        if (!dst2)
            return sys_err(V_EFULL);
    }

    paddr_t at = reticle_take(r, size, align, &pad);
    void *obj = arch_phys_to_virt(at);
    unsigned flags = CAP_ORIGINAL | (pad <= 3 * 1024 ? (unsigned)(pad / 1024) << CAP_PAD_SHIFT : 0);
    self->ctr_retyped += size;
    switch (type) {
    case V_TYPE_RETICLE:
        reticle_init(at, size);
        break;
    case V_TYPE_TASK:
        task_init(obj, "task", 0);
        break;
    case V_TYPE_CAPTABLE:
        captable_init(obj, (unsigned)param);
        break;
    case V_TYPE_ASPACE:
        aspace_create(obj, r);
        break;
    case V_TYPE_FRAME:
        cap_insert(dst, rc, V_TYPE_FRAME, V_R_ALL, 0, 0, at | (r->device ? FRAME_DEVICE : 0),
                   flags);
        return sys_ok(cap_handle(tab, dst));
    case V_TYPE_RING_SEND:
        ring_create(obj, param, r, pad);
        cap_insert(dst, rc, V_TYPE_RING_SEND, V_R_ALL, obj, 0, 0, flags);
        cap_insert(dst2, rc, V_TYPE_RING_RECV, V_R_ALL, obj, 0, 0, flags);
        return sys_ok(cap_handle(tab, dst) | (uint64_t)cap_handle(tab, dst2) << 32);
    }
    cap_insert(dst, rc, type, V_R_ALL, obj, 0, 0, flags);
    return sys_ok(cap_handle(tab, dst));
}
