/* Spawning from a prepared image (rt_image_prepare): read-only segments
 * shared by every child, writable data copied per child. */
#include "ktest.h"

static int image_spawn(const struct rt_image *im, unsigned mode, uint64_t param,
                       struct rt_child *c)
{
    struct rt_bundle_item all[1] = {{"debug", DEBUG, false}};
    struct rt_spawn_args a = {
        .image = im, .name = "kchild", .reticle = T, .memory = 256 * 1024, .prio = 1,
        .fault_signal = SIGF, .arg = mode | param << 8, .items = all, .nitems = 1,
    };
    return rt_spawn(&a, c);
}

static uint64_t used(v_handle reticle)
{
    struct v_capinfo ci;
    return v_cap_info(reticle, (uint64_t)&ci).err ? 0 : ci.size - ci.free;
}

KCASE(IMG0001, 0, "children spawned from one image run, and its read-only segments are not in their Reticles")
{
    struct rt_image im;
    K_EQ(rt_image_prepare(T, child_elf, child_len, &im), 0);
    K_TRUE(im.nframe >= 1);
    struct rt_child a, b, copied;
    K_EQ(image_spawn(&im, M_EXIT, 7, &a), 0);
    K_EQ(image_spawn(&im, M_EXIT, 8, &b), 0);
    struct v_taskinfo i;
    WAIT(&a, &i);
    K_EQ(i.state, V_TASK_DEAD);
    K_EQ(i.exit_code, 7);
    WAIT(&b, &i);
    K_EQ(i.exit_code, 8);
    /* the same ELF spawned by copying: its code is in its own Reticle */
    SPAWN(M_EXIT, 9, 1, 0, 0, &copied);
    WAIT(&copied, &i);
    K_EQ(i.exit_code, 9);
    uint64_t shared = 0;
    for (unsigned k = 0; k < im.nframe; k++)
        shared += 4096ull * im.frame[k].pages;
    K_TRUE(used(a.reticle) + shared <= used(copied.reticle));
    K_EQ(rt_child_destroy(&a), 0);
    K_EQ(rt_child_destroy(&b), 0);
    K_EQ(rt_child_destroy(&copied), 0);
    /* the children are gone; the image's frames are not */
    struct v_capinfo ci;
    K_OK(v_cap_info(im.frame[0].cap, (uint64_t)&ci));
    K_EQ(ci.type, V_TYPE_FRAME);
    K_EQ(rt_image_release(&im), 0);
    K_EQ(im.nframe, 0);
}

KCASE(IMG0002, 0, "a child writing its shared code faults, and the next child's code is intact")
{
    struct rt_image im;
    K_EQ(rt_image_prepare(T, child_elf, child_len, &im), 0);
    struct rt_child c;
    K_EQ(image_spawn(&im, M_FAULT, F_WRITE_CODE, &c), 0);
    struct v_taskinfo i;
    WAIT(&c, &i);
    K_EQ(i.state, V_TASK_FAULTED);
    K_EQ(i.fault.vector, 14);
    K_EQ(rt_child_destroy(&c), 0);
    K_EQ(image_spawn(&im, M_EXIT, 5, &c), 0);
    WAIT(&c, &i);
    K_EQ(i.state, V_TASK_DEAD);
    K_EQ(i.exit_code, 5);
    K_EQ(rt_child_destroy(&c), 0);
    K_EQ(rt_image_release(&im), 0);
}

KCASE(IMG0003, 1, "what if an image is prepared from a bad ELF or a Reticle too small for it?")
{
    static const uint8_t junk[64] = {0x7f, 'E', 'L', 'F'};
    struct rt_image im;
    K_EQ(rt_image_prepare(T, junk, sizeof junk, &im), V_EINVAL);
    K_EQ(im.nframe, 0);
    /* room for kchild's text (7 pages) but not its read-only data (1) as
     * well beside the Reticle's own bookkeeping:
     * the first frame is made, the second is not, the first goes again */
    v_handle small = (v_handle)K_OK(v_retype(T, V_TYPE_RETICLE, 8 * 4096, V_SLOT_ANY));
    uint64_t before = used(small);
    K_EQ(rt_image_prepare(small, child_elf, child_len, &im), V_ENOMEM);
    K_EQ(im.nframe, 0);
    K_EQ(used(small), before);  /* what it had made is deleted again */
    K_OK(v_cap_delete(small));
}
