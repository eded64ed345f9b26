/* Address spaces: mapping rights, W^X, NX, ranges, page-table memory. */
#include "ktest.h"

KCASE(AS0001, 0, "a mapped frame is readable and writable, and shared through a copy")
{
    v_handle f = kt_frame();
    v_handle g = (v_handle)K_OK(v_cap_copy(f, V_SLOT_ANY));
    K_OK(v_as_map(AS, f, SCRATCH_VA, V_R_READ | V_R_WRITE));
    K_OK(v_as_map(AS, g, SCRATCH_VA + 0x10000, V_R_READ));
    *(volatile uint64_t *)SCRATCH_VA = 0x1234abcd;
    K_EQ(*(volatile uint64_t *)(SCRATCH_VA + 0x10000), 0x1234abcd);
    struct v_capinfo i;
    K_OK(v_cap_info(f, (uint64_t)&i));
    K_EQ(i.mapped, SCRATCH_VA);
    K_OK(v_cap_delete(f));
}

KCASE(AS0002, 1, "what if a mapping asks to be writable and executable?")
{
    v_handle f = kt_frame();
    K_ERR(v_as_map(AS, f, SCRATCH_VA, V_R_READ | V_R_WRITE | V_R_EXEC), V_EWX);
    K_OK(v_cap_delete(f));
}

KCASE(AS0003, 1, "what if a mapping has no read right, or unknown rights?")
{
    v_handle f = kt_frame();
    K_ERR(v_as_map(AS, f, SCRATCH_VA, V_R_WRITE), V_EINVAL);
    K_ERR(v_as_map(AS, f, SCRATCH_VA, 0), V_EINVAL);
    K_ERR(v_as_map(AS, f, SCRATCH_VA, V_R_READ | V_R_GRANT), V_EINVAL);
    K_OK(v_cap_delete(f));
}

KCASE(AS0004, 1, "what if a frame is mapped at a misaligned, kernel, non-canonical or null address?")
{
    v_handle f = kt_frame();
    K_ERR(v_as_map(AS, f, SCRATCH_VA + 8, V_R_READ), V_EALIGN);
    K_ERR(v_as_map(AS, f, 0xffffffff80000000ull, V_R_READ), V_ERANGE);
    K_ERR(v_as_map(AS, f, 0xffff800000000000ull, V_R_READ), V_ERANGE);
    K_ERR(v_as_map(AS, f, 0x0000800000000000ull, V_R_READ), V_ERANGE);
    K_ERR(v_as_map(AS, f, 0, V_R_READ), V_ERANGE);
    K_ERR(v_as_map(AS, f, V_USER_TOP, V_R_READ), V_ERANGE);
    K_OK(v_cap_delete(f));
}

KCASE(AS0005, 1, "what if a frame is mapped over an existing mapping (code, Bundle, another frame)?")
{
    v_handle f = kt_frame(), g = kt_frame();
    K_ERR(v_as_map(AS, f, V_PROGRAM_BASE, V_R_READ), V_EEXIST);
    K_ERR(v_as_map(AS, f, V_BUNDLE_ADDR, V_R_READ), V_EEXIST);
    K_OK(v_as_map(AS, f, SCRATCH_VA, V_R_READ));
    K_ERR(v_as_map(AS, g, SCRATCH_VA, V_R_READ), V_EEXIST);
    K_ERR(v_as_map(AS, f, SCRATCH_VA + 4096, V_R_READ), V_EEXIST);  /* one mapping per cap */
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(g));
}

KCASE(AS0006, 0, "unmap removes the mapping and a second unmap says so")
{
    v_handle f = kt_frame();
    K_OK(v_as_map(AS, f, SCRATCH_VA, V_R_READ));
    K_OK(v_as_unmap(f));
    K_ERR(v_as_unmap(f), V_ENOTMAPPED);
    K_OK(v_as_map(AS, f, SCRATCH_VA, V_R_READ));    /* the place is free again */
    K_OK(v_cap_delete(f));
}

KCASE(AS0007, 0, "deleting a mapped frame's capability unmaps it")
{
    v_handle f = kt_frame(), g = kt_frame();
    K_OK(v_as_map(AS, f, SCRATCH_VA, V_R_READ));
    K_OK(v_cap_delete(f));
    K_OK(v_as_map(AS, g, SCRATCH_VA, V_R_READ));    /* would be V_EEXIST if still mapped */
    K_OK(v_cap_delete(g));
}

KCASE(AS0008, 1, "what if as_map is given a task where a space is, or a space where a frame is?")
{
    v_handle f = kt_frame();
    K_ERR(v_as_map(SELF, f, SCRATCH_VA, V_R_READ), V_ETYPE);
    K_ERR(v_as_map(AS, AS, SCRATCH_VA, V_R_READ), V_ETYPE);
    K_ERR(v_as_unmap(AS), V_ETYPE);
    v_handle ro = (v_handle)K_OK(v_cap_mint(AS, V_SLOT_ANY, V_R_READ, 0));
    K_ERR(v_as_map(ro, f, SCRATCH_VA, V_R_READ), V_ERIGHTS);
    K_OK(v_cap_delete(ro));
    K_OK(v_cap_delete(f));
}

KCASE(AS0009, 1, "what if mapping needs page tables the address space's Reticle cannot pay for?")
{
    v_handle sub = (v_handle)K_OK(v_retype(T, V_TYPE_RETICLE, 16384, V_SLOT_ANY));
    v_handle as = (v_handle)K_OK(v_retype(sub, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    v_handle f = kt_frame();
    /* 8 KiB for the space, 1 KiB header, at most one page left: 3 tables needed */
    K_ERR(v_as_map(as, f, 0x10000000ull, V_R_READ), V_ENOMEM);
    struct v_capinfo i;
    K_OK(v_cap_info(f, (uint64_t)&i));
    K_EQ(i.mapped, 0);
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(sub));
}

KCASE(AS0010, 0, "page tables are paid by the space's Reticle and returned with the space")
{
    v_handle sub = (v_handle)K_OK(v_retype(T, V_TYPE_RETICLE, 128 * 1024, V_SLOT_ANY));
    uint64_t whole = kt_free(sub);
    v_handle as = (v_handle)K_OK(v_retype(sub, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    uint64_t after_as = kt_free(sub);
    v_handle f = kt_frame(), g = kt_frame();
    K_OK(v_as_map(as, f, 0x10000000ull, V_R_READ));
    K_EQ(kt_free(sub), after_as - 4 * 4096);        /* 3 tables and the tomb page */
    K_OK(v_as_map(as, g, 0x10001000ull, V_R_READ));
    K_EQ(kt_free(sub), after_as - 4 * 4096);        /* same tables */
    struct v_capinfo i;
    K_OK(v_cap_info(as, (uint64_t)&i));
    K_EQ(i.free, 3);                                /* page-table pages in use */
    K_OK(v_cap_delete(as));
    K_EQ(kt_free(sub), whole);
    K_OK(v_cap_delete(f));                          /* unmapping from a dead space is harmless */
    K_OK(v_cap_delete(g));
    K_OK(v_cap_delete(sub));
}

KCASE(AS0011, 1, "what if more address spaces are made than there are ASIDs?")
{
    v_handle sub = (v_handle)K_OK(v_retype(T, V_TYPE_RETICLE, 9ull << 20, V_SLOT_ANY));
    v_handle tab = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 11, V_SLOT_ANY));
    int n = 0;
    struct v_ret r;
    for (;;) {
        r = v_retype(sub, V_TYPE_ASPACE, 0, V_SLOT_ANY);
        if (r.err)
            break;
        K_OK(v_cap_grant(tab, r.val, V_SLOT_ANY, V_MOVE));
        n++;
    }
    K_EQ(r.err, V_EFULL);
    K_TRUE(n > 900 && n < V_MAX_ASPACES);
    K_OK(v_cap_delete(tab));
    K_OK(v_cap_revoke(sub));
    K_OK(v_retype(sub, V_TYPE_ASPACE, 0, V_SLOT_ANY));   /* ASIDs came back */
    K_OK(v_cap_delete(sub));
}

KCASE(AS0012, 0, "a read-only mapping faults a child that writes it, and the kernel is unhurt")
{
    struct rt_child c;
    SPAWN(M_FAULT, F_WRITE_BUNDLE, 1, 0, 0, &c);
    struct v_taskinfo i;
    WAIT(&c, &i);
    K_EQ(i.state, V_TASK_FAULTED);
    K_EQ(i.fault.addr, V_BUNDLE_ADDR);
    K_EQ(i.fault.error & 2, 2);              /* a write */
    K_EQ(rt_child_destroy(&c), 0);
}

/* Regression (ABI review, finding 3): with the Reticle's hole list full, a
 * mapping that needed page tables passed the check and then asserted. */
KCASE(AS0013, 1, "what if a space's Reticle has a full hole list when page tables are needed?")
{
    v_handle sub = (v_handle)K_OK(v_retype(T, V_TYPE_RETICLE, 1024 * 1024, V_SLOT_ANY));
    v_handle as = (v_handle)K_OK(v_retype(sub, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    v_handle pages[130];
    for (int i = 0; i < 130; i++)
        pages[i] = (v_handle)K_OK(v_retype(sub, V_TYPE_FRAME, 0, V_SLOT_ANY));
    for (int i = 0; i < 130; i += 2)            /* 65 separate holes: the list is full */
        K_OK(v_cap_delete(pages[i]));
    v_handle f = kt_frame();
    struct v_ret r = v_as_map(as, f, 0x10000000ull, V_R_READ);
    K_TRUE(r.err == V_OK || r.err == V_ENOMEM);
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(sub));
}

KCASE(AS0014, 0, "a frame of several pages is one contiguous run, mapped and unmapped whole")
{
    uint64_t free0 = kt_free(T);
    v_handle f = (v_handle)K_OK(v_retype(T, V_TYPE_FRAME, 5, V_SLOT_ANY));
    K_EQ(kt_free(T), free0 - 5 * 4096);
    struct v_capinfo i;
    K_OK(v_cap_info(f, (uint64_t)&i));
    K_EQ(i.size, 5 * 4096);
    uint64_t phys = i.phys;
    v_handle g = (v_handle)K_OK(v_cap_copy(f, V_SLOT_ANY));
    K_OK(v_as_map(AS, f, SCRATCH_VA, V_R_READ | V_R_WRITE));
    K_OK(v_as_map(AS, g, SCRATCH_VA + 0x100000, V_R_READ));
    for (uint64_t p = 0; p < 5; p++) {
        K_EQ(*(volatile uint64_t *)(SCRATCH_VA + p * 4096 + 8), 0);     /* retype zeroes */
        *(volatile uint64_t *)(SCRATCH_VA + p * 4096 + 8) = 0x5a00 + p;
    }
    for (uint64_t p = 0; p < 5; p++)
        K_EQ(*(volatile uint64_t *)(SCRATCH_VA + 0x100000 + p * 4096 + 8), 0x5a00 + p);
    K_OK(v_cap_info(g, (uint64_t)&i));
    K_EQ(i.size, 5 * 4096);
    K_EQ(i.phys, phys);
    K_EQ(i.mapped, SCRATCH_VA + 0x100000);
    K_OK(v_as_unmap(f));
    v_handle h = kt_frame();                        /* f's last page is free again */
    K_OK(v_as_map(AS, h, SCRATCH_VA + 4 * 4096, V_R_READ));
    K_OK(v_cap_delete(h));
    K_OK(v_cap_delete(f));                          /* the copy and its mapping go too */
    h = kt_frame();
    K_OK(v_as_map(AS, h, SCRATCH_VA + 0x100000 + 2 * 4096, V_R_READ));
    K_OK(v_cap_delete(h));
    K_EQ(kt_free(T), free0);
}

KCASE(AS0015, 1, "what if a frame of several pages would overlap a mapping or cross the top of user space?")
{
    v_handle f = (v_handle)K_OK(v_retype(T, V_TYPE_FRAME, 4, V_SLOT_ANY));
    v_handle g = kt_frame(), h = kt_frame();
    K_OK(v_as_map(AS, g, SCRATCH_VA + 3 * 4096, V_R_READ));
    K_ERR(v_as_map(AS, f, SCRATCH_VA, V_R_READ), V_EEXIST);
    K_OK(v_as_map(AS, h, SCRATCH_VA, V_R_READ));    /* nothing of f was left behind */
    K_OK(v_as_unmap(h));
    K_ERR(v_as_map(AS, f, V_USER_TOP - 2 * 4096, V_R_READ), V_ERANGE);
    K_ERR(v_as_map(AS, f, V_PROGRAM_BASE - 2 * 4096, V_R_READ), V_EEXIST);  /* runs into code */
    K_ERR(v_as_map(AS, f, SCRATCH_VA + 4096, V_R_READ | V_R_WRITE | V_R_EXEC), V_EWX);
    struct v_capinfo i;
    K_OK(v_cap_info(f, (uint64_t)&i));
    K_EQ(i.mapped, 0);
    K_OK(v_as_unmap(g));
    K_OK(v_as_map(AS, f, SCRATCH_VA, V_R_READ));    /* and now it fits */
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(g));
    K_OK(v_cap_delete(h));
    /* the largest frame, and more than a Reticle holds */
    v_handle big = (v_handle)K_OK(v_retype(T, V_TYPE_FRAME, V_FRAME_MAX_PAGES, V_SLOT_ANY));
    K_OK(v_cap_info(big, (uint64_t)&i));
    K_EQ(i.size, (uint64_t)V_FRAME_MAX_PAGES * 4096);
    K_OK(v_cap_delete(big));
    v_handle sub = (v_handle)K_OK(v_retype(T, V_TYPE_RETICLE, 64 * 1024, V_SLOT_ANY));
    K_ERR(v_retype(sub, V_TYPE_FRAME, 16, V_SLOT_ANY), V_ENOMEM);
    K_OK(v_retype(sub, V_TYPE_FRAME, 15, V_SLOT_ANY));    /* 60 KiB + the 1 KiB header fit */
    K_OK(v_cap_delete(sub));
}

KCASE(AS0016, 0, "a run across a 2 MiB boundary takes a second leaf table and is checked in both")
{
    v_handle sub = (v_handle)K_OK(v_retype(T, V_TYPE_RETICLE, 128 * 1024, V_SLOT_ANY));
    v_handle as = (v_handle)K_OK(v_retype(sub, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    uint64_t after_as = kt_free(sub);
    const uint64_t edge = 0x10200000ull;            /* a 2 MiB boundary */
    v_handle f = (v_handle)K_OK(v_retype(T, V_TYPE_FRAME, 3, V_SLOT_ANY));
    v_handle g = kt_frame();
    K_OK(v_as_map(as, g, edge + 4096, V_R_READ));   /* in the second leaf table */
    K_EQ(kt_free(sub), after_as - 4 * 4096);        /* 3 tables and the tomb page */
    K_ERR(v_as_map(as, f, edge - 4096, V_R_READ), V_EEXIST);
    K_EQ(kt_free(sub), after_as - 4 * 4096);        /* refused before any table was made */
    K_OK(v_as_unmap(g));
    K_OK(v_as_map(as, f, edge - 4096, V_R_READ));
    K_EQ(kt_free(sub), after_as - 5 * 4096);        /* the first leaf table joined */
    struct v_capinfo i;
    K_OK(v_cap_info(as, (uint64_t)&i));
    K_EQ(i.free, 4);
    K_ERR(v_as_map(as, g, edge + 4096, V_R_READ), V_EEXIST);   /* f's third page */
    K_OK(v_as_unmap(f));
    K_OK(v_as_map(as, g, edge + 4096, V_R_READ));   /* all three pages are gone */
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(g));
    K_OK(v_cap_delete(sub));
}

/* An address space's generation used to be 11 bits, so after 2 048
 * reuses of one ASID a stale frame capability's record matched the new
 * space and as_unmap through it removed another capability's mapping of
 * the same frame. Generations are 64 bits now: cycle one ASID three times
 * past the old wrap and check at each multiple of 2 048. */
KCASE(AS0017, 1, "what if a stale frame capability is unmapped after its ASID was reused 2048 times?")
{
    uint64_t f0 = kt_free(T);
    v_handle f1 = kt_frame();
    v_handle f2 = (v_handle)K_OK(v_cap_copy(f1, V_SLOT_ANY));
    v_handle other = kt_frame();
    v_handle a1 = (v_handle)K_OK(v_retype(T, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    K_OK(v_as_map(a1, f1, SCRATCH_VA, V_R_READ));
    K_OK(v_cap_delete(a1));             /* f1 still records (ASID, generation, va) */
    for (unsigned round = 1; round <= 3; round++) {
        for (unsigned i = 1; i < 2048; i++)
            K_OK(v_cap_delete((v_handle)K_OK(v_retype(T, V_TYPE_ASPACE, 0, V_SLOT_ANY))));
        v_handle a2 = (v_handle)K_OK(v_retype(T, V_TYPE_ASPACE, 0, V_SLOT_ANY));
        K_OK(v_as_map(a2, f2, SCRATCH_VA, V_R_READ));
        (void)v_as_unmap(f1);            /* stale: must not touch a2 */
        K_ERR(v_as_map(a2, other, SCRATCH_VA, V_R_READ), V_EEXIST);   /* f2 still mapped */
        struct v_capinfo i;
        K_OK(v_cap_info(f2, (uint64_t)&i));
        K_TRUE(i.mapped != 0);
        K_OK(v_as_unmap(f2));
        K_OK(v_as_map(a2, other, SCRATCH_VA, V_R_READ));  /* and now it is really gone */
        K_OK(v_as_unmap(other));
        K_OK(v_cap_delete(a2));
        if (round < 3) {                  /* f1 stale again, one generation further on */
            v_handle a3 = (v_handle)K_OK(v_retype(T, V_TYPE_ASPACE, 0, V_SLOT_ANY));
            K_OK(v_as_map(a3, f1, SCRATCH_VA, V_R_READ));
            K_OK(v_cap_delete(a3));
        }
    }
    K_OK(v_cap_delete(f1));
    K_OK(v_cap_delete(other));
    K_EQ(kt_free(T), f0);
}
