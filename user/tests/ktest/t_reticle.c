/* Reticle: retype, accounting, revocation. */
#include "ktest.h"

KCASE(RET0001, 0, "retype makes each kind of object and counts its bytes")
{
    uint64_t f0 = kt_free(T);
    static const struct { unsigned type; uint64_t param; } kinds[] = {
        {V_TYPE_TASK, 0}, {V_TYPE_CAPTABLE, 6}, {V_TYPE_ASPACE, 0}, {V_TYPE_FRAME, 0},
        {V_TYPE_RETICLE, 16384}, {V_TYPE_RING_SEND, V_RING_PARAM(4, 6)},
    };
    v_handle h[7];
    for (int i = 0; i < 6; i++) {
        uint64_t v = K_OK(v_retype(T, kinds[i].type, kinds[i].param, V_SLOT_ANY));
        h[i] = (v_handle)v;
        struct v_capinfo info;
        K_OK(v_cap_info(h[i], (uint64_t)&info));
        K_EQ(info.type, kinds[i].type);
        if (kinds[i].type == V_TYPE_RING_SEND) {
            h[6] = V_RING_RECV_END(v);
            K_OK(v_cap_info(h[6], (uint64_t)&info));
            K_EQ(info.type, V_TYPE_RING_RECV);
        }
    }
    K_TRUE(kt_free(T) < f0);
    for (int i = 0; i < 7; i++)         /* in creation order: not the easy LIFO */
        K_OK(v_cap_delete(h[i]));
    K_EQ(kt_free(T), f0);
}

KCASE(RET0002, 0, "retyped memory is zeroed even after it held data")
{
    v_handle f = kt_frame();
    K_OK(v_as_map(AS, f, SCRATCH_VA, V_R_READ | V_R_WRITE));
    memset((void *)SCRATCH_VA, 0x5a, 4096);
    struct v_capinfo i1, i2;
    K_OK(v_cap_info(f, (uint64_t)&i1));
    K_OK(v_cap_delete(f));
    f = kt_frame();
    K_OK(v_cap_info(f, (uint64_t)&i2));
    K_EQ(i1.phys, i2.phys);                 /* the same page came back */
    K_OK(v_as_map(AS, f, SCRATCH_VA, V_R_READ));
    for (int i = 0; i < 4096; i++)
        K_EQ(((volatile uint8_t *)SCRATCH_VA)[i], 0);
    K_OK(v_cap_delete(f));
}

KCASE(RET0003, 0, "a sub-Reticle's objects never overlap its parent's later objects")
{
    v_handle sub = (v_handle)K_OK(v_retype(T, V_TYPE_RETICLE, 32768, V_SLOT_ANY));
    v_handle a = (v_handle)K_OK(v_retype(sub, V_TYPE_FRAME, 0, V_SLOT_ANY));
    v_handle b = kt_frame();
    struct v_capinfo is, ia, ib;
    K_OK(v_cap_info(sub, (uint64_t)&is));
    K_OK(v_cap_info(a, (uint64_t)&ia));
    K_OK(v_cap_info(b, (uint64_t)&ib));
    K_TRUE(ia.phys >= is.phys && ia.phys + 4096 <= is.phys + is.size);
    K_TRUE(ib.phys >= is.phys + is.size || ib.phys + 4096 <= is.phys);
    K_OK(v_cap_delete(b));
    K_OK(v_cap_delete(sub));
}

KCASE(RET0004, 0, "revoking a Reticle destroys everything carved from it and makes it whole")
{
    v_handle sub = (v_handle)K_OK(v_retype(T, V_TYPE_RETICLE, 256 * 1024, V_SLOT_ANY));
    uint64_t whole = kt_free(sub);
    v_handle f = (v_handle)K_OK(v_retype(sub, V_TYPE_FRAME, 0, V_SLOT_ANY));
    K_OK(v_retype(sub, V_TYPE_TASK, 0, V_SLOT_ANY));
    K_OK(v_retype(sub, V_TYPE_CAPTABLE, 7, V_SLOT_ANY));
    K_OK(v_retype(sub, V_TYPE_RING_SEND, V_RING_PARAM(3, 7), V_SLOT_ANY));
    K_TRUE(kt_free(sub) < whole);
    K_OK(v_cap_revoke(sub));
    K_EQ(kt_free(sub), whole);
    struct v_capinfo i;
    K_ERR(v_cap_info(f, (uint64_t)&i), V_ESTALE);
    K_OK(v_cap_delete(sub));
}

KCASE(RET0005, 0, "after spawning and destroying 1000 Tasks the Reticle's free bytes are exactly what they were")
{
    uint64_t before = kt_free(T);
    for (int i = 0; i < 1000; i++) {
        struct rt_child c;
        SPAWN(M_EXIT, 0, 1, 0, 0, &c);
        K_EQ(rt_child_destroy(&c), 0);
        if (kt_free(T) != before) {
            kt_fail(__LINE__, "after %d spawns free is %llu, was %llu", i + 1,
                    (unsigned long long)kt_free(T), (unsigned long long)before);
            return;
        }
    }
    K_EQ(kt_free(T), before);
}

KCASE(RET0006, 1, "what if retype asks for more than the Reticle has?")
{
    v_handle sub = (v_handle)K_OK(v_retype(T, V_TYPE_RETICLE, 16384, V_SLOT_ANY));
    K_ERR(v_retype(sub, V_TYPE_RETICLE, 16384, V_SLOT_ANY), V_ENOMEM);
    K_ERR(v_retype(sub, V_TYPE_RETICLE, 1ull << 40, V_SLOT_ANY), V_ENOMEM);
    K_ERR(v_retype(sub, V_TYPE_CAPTABLE, 12, V_SLOT_ANY), V_ENOMEM);
    K_OK(v_cap_delete(sub));
}

KCASE(RET0007, 1, "what if a Reticle is exhausted page by page, then everything is freed?")
{
    v_handle sub = (v_handle)K_OK(v_retype(T, V_TYPE_RETICLE, 64 * 1024, V_SLOT_ANY));
    uint64_t whole = kt_free(sub);
    int n = 0;
    for (;;) {
        struct v_ret r = v_retype(sub, V_TYPE_FRAME, 0, V_SLOT_ANY);
        if (r.err) {
            K_EQ(r.err, V_ENOMEM);
            break;
        }
        n++;
    }
    K_EQ(n, 15);
    K_OK(v_cap_revoke(sub));
    K_EQ(kt_free(sub), whole);
    K_OK(v_cap_delete(sub));
}

KCASE(RET0008, 1, "what if retype names an unknown or non-retypable type?")
{
    K_ERR(v_retype(T, 0, 0, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, V_TYPE_SIGNAL, 0, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, V_TYPE_RING_RECV, 0, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, V_TYPE_IRQ, 0, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, V_TYPE_DEBUG, 0, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, 99, 0, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, ~0ull, 0, V_SLOT_ANY), V_EINVAL);
}

KCASE(RET0009, 1, "what if retype parameters are out of range?")
{
    K_ERR(v_retype(T, V_TYPE_CAPTABLE, 4, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, V_TYPE_CAPTABLE, 13, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, V_TYPE_TASK, 1, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, V_TYPE_FRAME, V_FRAME_MAX_PAGES + 1, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, V_TYPE_FRAME, ~0ull, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, V_TYPE_FRAME, 1ull << 32, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, V_TYPE_RETICLE, 4096, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, V_TYPE_RETICLE, 10000, V_SLOT_ANY), V_EALIGN);
    K_ERR(v_retype(T, V_TYPE_RING_SEND, 13, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, V_TYPE_RING_SEND, V_RING_PARAM(2, 5), V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, V_TYPE_RING_SEND, V_RING_PARAM(2, 13), V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, V_TYPE_RING_SEND, V_RING_PARAM(12, 12), V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(T, V_TYPE_RING_SEND, 1ull << 20, V_SLOT_ANY), V_EINVAL);
}

KCASE(RET0010, 1, "what if retype is called through a frame, a task or a read-only Reticle?")
{
    v_handle f = kt_frame();
    K_ERR(v_retype(f, V_TYPE_FRAME, 0, V_SLOT_ANY), V_ETYPE);
    K_ERR(v_retype(SELF, V_TYPE_FRAME, 0, V_SLOT_ANY), V_ETYPE);
    v_handle ro = (v_handle)K_OK(v_cap_mint(T, V_SLOT_ANY, V_R_READ, 0));
    K_ERR(v_retype(ro, V_TYPE_FRAME, 0, V_SLOT_ANY), V_ERIGHTS);
    K_OK(v_cap_delete(ro));
    K_OK(v_cap_delete(f));
}

KCASE(RET0011, 1, "what if retype's destination slot is occupied or the table full?")
{
    v_handle f = kt_frame();
    K_ERR(v_retype(T, V_TYPE_FRAME, 0, V_HANDLE_SLOT(f)), V_EOCCUPIED);
    K_ERR(v_retype(T, V_TYPE_FRAME, 0, 4096), V_ERANGE);
    K_OK(v_cap_delete(f));
    uint64_t before = kt_free(T);
    K_EQ(kt_free(T), before);
}

KCASE(RET0012, 1, "what if a Reticle is revoked while its Task runs and its frame is mapped?")
{
    struct rt_child c;
    v_handle shared = kt_frame();
    /* moved, not copied: a copy would be the child of ours and die with it */
    struct rt_bundle_item it = {"shared", 0, true};
    it.cap = (v_handle)K_OK(v_cap_copy(shared, V_SLOT_ANY));
    SPAWN(M_SPIN, 0, 1, &it, 1, &c);
    kt_sleep_ms(5);
    K_OK(v_cap_revoke(c.reticle));   /* the child's Task, table, space: gone */
    struct v_taskinfo info;
    K_ERR(v_task_info(c.task, (uint64_t)&info), V_ESTALE);
    K_EQ(rt_child_destroy(&c), 0);
    K_OK(v_cap_delete(shared));
}

KCASE(RET0013, 1, "what if one Task exhausts its memory: does another Task's Reticle notice?")
{
    struct rt_child a, b;
    SPAWN(M_HOG, 0, 1, 0, 0, &a);
    struct v_taskinfo ia;
    WAIT(&a, &ia);
    K_EQ(ia.state, V_TASK_DEAD);
    K_TRUE(ia.exit_code > 10);
    SPAWN(M_HOG, 0, 1, 0, 0, &b);
    struct v_taskinfo ib;
    WAIT(&b, &ib);
    K_EQ(ib.exit_code, ia.exit_code);   /* the second got exactly as much */
    K_EQ(rt_child_destroy(&a), 0);
    K_EQ(rt_child_destroy(&b), 0);
}

KCASE(RET0014, 0, "a device Reticle yields uncached frames and nothing else")
{
    if (!MMIO)
        return;
    v_handle f = (v_handle)K_OK(v_retype(MMIO, V_TYPE_FRAME, 0, V_SLOT_ANY));
    struct v_capinfo i;
    K_OK(v_cap_info(f, (uint64_t)&i));
    K_TRUE(i.phys >= 0x10000000ull);
    K_ERR(v_retype(MMIO, V_TYPE_TASK, 0, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_retype(MMIO, V_TYPE_RETICLE, 8192, V_SLOT_ANY), V_EINVAL);
    /* a device frame of several pages: the next contiguous MMIO range */
    v_handle g = (v_handle)K_OK(v_retype(MMIO, V_TYPE_FRAME, 3, V_SLOT_ANY));
    struct v_capinfo j;
    K_OK(v_cap_info(g, (uint64_t)&j));
    K_EQ(j.size, 3 * 4096);
    K_EQ(j.phys, i.phys + 4096);
    K_OK(v_as_map(AS, g, SCRATCH_VA, V_R_READ));
    K_OK(v_cap_delete(g));
    K_OK(v_cap_delete(f));
}

KCASE(RET0015, 1, "what if a Task gives away a Reticle and the giver revokes it later?")
{
    v_handle sub = (v_handle)K_OK(v_retype(T, V_TYPE_RETICLE, 64 * 1024, V_SLOT_ANY));
    v_handle tab = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 5, V_SLOT_ANY));
    v_handle there = (v_handle)K_OK(v_cap_grant(tab, sub, V_SLOT_ANY, 0));
    (void)there;
    K_OK(v_cap_revoke(sub));
    struct v_capinfo i;
    K_OK(v_cap_info(tab, (uint64_t)&i));
    K_EQ(i.free, 31);
    K_OK(v_cap_delete(tab));
    K_OK(v_cap_delete(sub));
}

/* frame_load: a frame born with contents */
static uint8_t load_src[3 * 4096] __attribute__((aligned(4096)));

KCASE(RET0016, 0, "frame_load puts the bytes at the offset and zeroes the rest of every page")
{
    for (unsigned i = 0; i < sizeof load_src; i++)
        load_src[i] = (uint8_t)(i * 7 + 1);
    uint64_t free0 = kt_free(T);
    /* 5000 bytes from an odd source address, at offset 300, in 3 pages */
    v_handle f = (v_handle)K_OK(v_frame_load(T, 3, 300, (uint64_t)load_src + 5, 5000, V_SLOT_ANY));
    K_EQ(kt_free(T), free0 - 3 * 4096);
    struct v_capinfo i;
    K_OK(v_cap_info(f, (uint64_t)&i));
    K_EQ(i.type, V_TYPE_FRAME);
    K_EQ(i.size, 3 * 4096);
    K_EQ(i.rights, V_R_ALL);
    K_OK(v_as_map(AS, f, SCRATCH_VA, V_R_READ));
    const volatile uint8_t *p = (const volatile uint8_t *)SCRATCH_VA;
    unsigned bad = 0;
    for (unsigned k = 0; k < 3 * 4096; k++) {
        uint8_t want = k >= 300 && k < 5300 ? load_src[5 + k - 300] : 0;
        bad += p[k] != want;
    }
    K_EQ(bad, 0);
    K_OK(v_cap_delete(f));
    /* one page, no bytes: a zeroed frame, as retype gives */
    f = (v_handle)K_OK(v_frame_load(T, 0, 0, 0, 0, V_SLOT_ANY));
    K_OK(v_cap_info(f, (uint64_t)&i));
    K_EQ(i.size, 4096);
    K_OK(v_cap_delete(f));
    /* the whole frame from the source, exactly filled */
    f = (v_handle)K_OK(v_frame_load(T, 2, 0, (uint64_t)load_src, 8192, V_SLOT_ANY));
    K_OK(v_as_map(AS, f, SCRATCH_VA, V_R_READ));
    bad = 0;
    for (unsigned k = 0; k < 8192; k++)
        bad += p[k] != load_src[k];
    K_EQ(bad, 0);
    K_OK(v_cap_delete(f));
    K_EQ(kt_free(T), free0);
}

KCASE(RET0017, 1, "what if frame_load is given a bad Reticle, sizes, offsets or source?")
{
    uint64_t free0 = kt_free(T), slots0 = kt_table_free();
    uint64_t s = (uint64_t)load_src;
    v_handle ro = (v_handle)K_OK(v_cap_mint(T, V_SLOT_ANY, V_R_READ, 0));
    v_handle f = kt_frame();
    K_ERR(v_frame_load(ro, 1, 0, s, 16, V_SLOT_ANY), V_ERIGHTS);
    K_ERR(v_frame_load(f, 1, 0, s, 16, V_SLOT_ANY), V_ETYPE);
    K_ERR(v_frame_load(0, 1, 0, s, 16, V_SLOT_ANY), V_EHANDLE);
    K_ERR(v_frame_load(0xffff, 1, 0, s, 16, V_SLOT_ANY), V_EHANDLE);      /* out of range */
    K_ERR(v_frame_load(T, V_FRAME_MAX_PAGES + 1, 0, s, 16, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_frame_load(T, ~0ull, 0, s, 16, V_SLOT_ANY), V_EINVAL);
    if (MMIO)
        K_ERR(v_frame_load(MMIO, 1, 0, s, 16, V_SLOT_ANY), V_EINVAL);
    K_ERR(v_frame_load(T, 1, 0, s, 4097, V_SLOT_ANY), V_ETOOBIG);
    K_ERR(v_frame_load(T, 1, 4090, s, 7, V_SLOT_ANY), V_ETOOBIG);
    K_ERR(v_frame_load(T, 1, ~0ull, s, 2, V_SLOT_ANY), V_ETOOBIG);      /* offset + len wraps */
    K_ERR(v_frame_load(T, 1, 4097, s, 0, V_SLOT_ANY), V_ETOOBIG);
    K_ERR(v_frame_load(T, 1, 0, ~0ull, 16, V_SLOT_ANY), V_EFAULT);
    K_ERR(v_frame_load(T, 1, 0, 0xffffffff80100000ull, 16, V_SLOT_ANY), V_EFAULT);  /* kernel */
    K_ERR(v_frame_load(T, 1, 0, 0x0000800000000000ull, 16, V_SLOT_ANY), V_EFAULT);
    K_ERR(v_frame_load(T, 1, 0, 0, 16, V_SLOT_ANY), V_EFAULT);          /* null */
    K_ERR(v_frame_load(T, 1, 0, SCRATCH_VA, 16, V_SLOT_ANY), V_EFAULT); /* unmapped */
    K_ERR(v_frame_load(T, 1, 0, V_USER_TOP - 8, 16, V_SLOT_ANY), V_EFAULT);
    /* mapped, then a hole: the last byte is unmapped */
    K_OK(v_as_map(AS, f, SCRATCH_VA, V_R_READ | V_R_WRITE));
    K_ERR(v_frame_load(T, 1, 0, SCRATCH_VA + 4000, 97, V_SLOT_ANY), V_EFAULT);
    v_handle g = (v_handle)K_OK(v_frame_load(T, 1, 0, SCRATCH_VA + 4000, 96, V_SLOT_ANY));
    K_OK(v_cap_delete(g));
    /* destinations: occupied, out of range */
    K_ERR(v_frame_load(T, 1, 0, s, 16, f), V_EOCCUPIED);
    K_ERR(v_frame_load(T, 1, 0, s, 16, 1ull << 40), V_ERANGE);
    /* more than the Reticle holds */
    v_handle sub = (v_handle)K_OK(v_retype(T, V_TYPE_RETICLE, 16384, V_SLOT_ANY));
    uint64_t sub_free = kt_free(sub);
    K_ERR(v_frame_load(sub, 4, 0, s, 16, V_SLOT_ANY), V_ENOMEM);
    K_EQ(kt_free(sub), sub_free);
    K_OK(v_cap_delete(sub));
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(ro));
    K_EQ(kt_free(T), free0);
    K_EQ(kt_table_free(), slots0);
}

/* A map checked whole and taken page by page could find the hole list
 * full half-way and lose the rest of what it checked: PANIC in
 * reticle_take (the recipe). The page tables are now one run. */
KCASE(RET0018, 1, "what if the page tables a map needs are checked in a Reticle whose hole list is full?")
{
    uint64_t f0 = kt_free(T);
    v_handle sub = (v_handle)K_OK(v_retype(T, V_TYPE_RETICLE, 12288 + 2048 * 200, V_SLOT_ANY));
    v_handle as = (v_handle)K_OK(v_retype(sub, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    static v_handle task[201];
    unsigned n = 0;
    for (; n < 201; n++) {
        struct v_ret r = v_retype(sub, V_TYPE_TASK, 0, V_SLOT_ANY);
        if (r.err)
            break;
        task[n] = (v_handle)r.val;
    }
    K_EQ(n, 201);
    /* 57 holes of 2 KiB and one of 16 KiB that starts off a page boundary */
    for (unsigned k = 2; k <= 112; k += 2)
        K_OK(v_cap_delete(task[k]));
    for (unsigned k = 114; k <= 121; k++)
        K_OK(v_cap_delete(task[k]));
    uint64_t before = kt_free(sub);
    v_handle f = kt_frame();
    struct v_ret r = v_as_map(as, f, 0x400000000000ull, V_R_READ | V_R_WRITE);
    K_TRUE(r.err == V_OK || r.err == V_ENOMEM);
    if (r.err == V_OK) {
        K_TRUE(kt_free(sub) <= before - 3 * 4096);     /* padding may be lost */
        K_OK(v_as_unmap(f));
    } else {
        K_EQ(kt_free(sub), before);
    }
    /* what the map took comes back with the space, and nothing is lost */
    K_OK(v_cap_delete(as));
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(sub));
    K_EQ(kt_free(T), f0);
}
