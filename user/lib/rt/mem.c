/*
 * mem.c: memory for the Task itself: frames retyped from its own Reticle
 * and mapped into its own address space. The frame capabilities stay in
 * the Task's table; freeing is by deleting them (or the Reticle).
 */
#include "rt.h"

v_handle rt_memory(void)
{
    static v_handle h;
    if (!h)
        h = rt_cap("memory");
    if (!h)
        h = rt_cap("reticle0");
    return h;
}

v_handle rt_aspace(void)
{
    static v_handle h;
    if (!h)
        h = rt_cap("aspace");
    return h;
}

int rt_map_frames(v_handle reticle, uint64_t vaddr, unsigned npages, unsigned rights,
                  v_handle *frames)
{
    if (!reticle)
        reticle = rt_memory();
    for (unsigned i = 0; i < npages; i++) {
        struct v_ret r = v_retype(reticle, V_TYPE_FRAME, 0, V_SLOT_ANY);
        if (r.err)
            return (int)r.err;
        struct v_ret m = v_as_map(rt_aspace(), r.val, vaddr + 4096ull * i, rights);
        if (m.err) {
            v_cap_delete(r.val);
            return (int)m.err;
        }
        if (frames)
            frames[i] = (v_handle)r.val;
    }
    return V_OK;
}
