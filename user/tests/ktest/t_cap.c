/* Capability operations: copy, mint, move, delete, revoke, grant, info. */
#include "ktest.h"

KCASE(CAP0001, 0, "copy gives a second handle to the same object with the same rights")
{
    v_handle f = kt_frame();
    K_TRUE(f);
    v_handle c = (v_handle)K_OK(v_cap_copy(f, V_SLOT_ANY));
    struct v_capinfo a, b;
    K_OK(v_cap_info(f, (uint64_t)&a));
    K_OK(v_cap_info(c, (uint64_t)&b));
    K_EQ(a.phys, b.phys);
    K_EQ(a.rights, b.rights);
    K_TRUE(c != f);
    K_OK(v_cap_delete(f));
}

KCASE(CAP0002, 0, "mint narrows rights and the narrow copy is refused a wider use")
{
    v_handle f = kt_frame();
    v_handle ro = (v_handle)K_OK(v_cap_mint(f, V_SLOT_ANY, V_R_READ | V_R_GRANT, 0));
    struct v_capinfo i;
    K_OK(v_cap_info(ro, (uint64_t)&i));
    K_EQ(i.rights, V_R_READ | V_R_GRANT);
    K_ERR(v_as_map(AS, ro, SCRATCH_VA, V_R_READ | V_R_WRITE), V_ERIGHTS);
    K_OK(v_as_map(AS, ro, SCRATCH_VA, V_R_READ));
    K_OK(v_cap_delete(f));
}

KCASE(CAP0003, 1, "what if mint asks for more rights than the source has?")
{
    v_handle f = kt_frame();
    v_handle ro = (v_handle)K_OK(v_cap_mint(f, V_SLOT_ANY, V_R_READ, 0));
    K_ERR(v_cap_mint(ro, V_SLOT_ANY, V_R_READ | V_R_WRITE, 0), V_EWIDEN);
    K_ERR(v_cap_mint(ro, V_SLOT_ANY, V_R_READ | V_R_CONTROL, 0), V_EWIDEN);
    K_OK(v_cap_delete(f));
}

KCASE(CAP0004, 1, "what if mint names rights that do not exist?")
{
    v_handle f = kt_frame();
    K_ERR(v_cap_mint(f, V_SLOT_ANY, 0x100, 0), V_EINVAL);
    K_ERR(v_cap_mint(f, V_SLOT_ANY, ~0ull, 0), V_EINVAL);
    K_OK(v_cap_delete(f));
}

KCASE(CAP0005, 1, "what if mint passes an argument to a type that has none?")
{
    v_handle f = kt_frame();
    K_ERR(v_cap_mint(f, V_SLOT_ANY, V_R_READ, 5), V_EINVAL);
    K_OK(v_cap_delete(f));
}

KCASE(CAP0006, 0, "mint narrows a signal capability's bits")
{
    v_handle s = (v_handle)K_OK(v_signal_mint(SELF, 0xf0, V_SLOT_ANY));
    v_handle n = (v_handle)K_OK(v_cap_mint(s, V_SLOT_ANY, V_R_WRITE, 0x30));
    K_ERR(v_signal_raise(n, 0x40), V_ERIGHTS);
    K_OK(v_signal_raise(n, 0x10));
    K_EQ(K_OK(v_signal_wait(0x10, 0)), 0x10);
    K_OK(v_cap_delete(s));
}

KCASE(CAP0007, 1, "what if mint widens a signal capability's bits?")
{
    v_handle s = (v_handle)K_OK(v_signal_mint(SELF, 0xf0, V_SLOT_ANY));
    K_ERR(v_cap_mint(s, V_SLOT_ANY, V_R_WRITE, 0x1f0), V_EWIDEN);
    K_ERR(v_cap_mint(s, V_SLOT_ANY, V_R_WRITE, 0x1), V_EWIDEN);
    K_OK(v_cap_delete(s));
}

KCASE(CAP0008, 0, "mint narrows an I/O port range and the narrow range is enforced")
{
    v_handle p = (v_handle)K_OK(v_cap_mint(IOPORTS, V_SLOT_ANY, V_R_READ | V_R_WRITE,
                                           V_IOPORTS(0x3f8, 8)));
    K_OK(v_io_in(p, 0x3fd, 1));
    K_ERR(v_io_in(p, 0x400, 1), V_ERANGE);
    K_ERR(v_io_in(p, 0x3ff, 2), V_ERANGE);
    K_OK(v_cap_delete(p));
}

KCASE(CAP0009, 1, "what if mint widens an I/O port range or makes an empty one?")
{
    v_handle p = (v_handle)K_OK(v_cap_mint(IOPORTS, V_SLOT_ANY, V_R_READ, V_IOPORTS(0x3f8, 8)));
    K_ERR(v_cap_mint(p, V_SLOT_ANY, V_R_READ, 0x3f0 | 16ull << 16), V_EWIDEN);
    K_ERR(v_cap_mint(p, V_SLOT_ANY, V_R_READ, 0x3f8 | 9ull << 16), V_EWIDEN);
    K_ERR(v_cap_mint(p, V_SLOT_ANY, V_R_READ, 0x3f8), V_EINVAL);
    K_OK(v_cap_delete(p));
}

KCASE(CAP0010, 0, "move relocates a capability and its old handle becomes stale")
{
    v_handle f = kt_frame();
    v_handle m = (v_handle)K_OK(v_cap_move(f, V_SLOT_ANY));
    struct v_capinfo i;
    K_ERR(v_cap_info(f, (uint64_t)&i), V_ESTALE);
    K_OK(v_cap_info(m, (uint64_t)&i));
    K_EQ(i.type, V_TYPE_FRAME);
    K_OK(v_cap_delete(m));
}

KCASE(CAP0011, 0, "move keeps derived capabilities attached: revoking the moved one reaches them")
{
    v_handle f = kt_frame();
    v_handle c = (v_handle)K_OK(v_cap_copy(f, V_SLOT_ANY));
    v_handle m = (v_handle)K_OK(v_cap_move(f, V_SLOT_ANY));
    K_OK(v_cap_revoke(m));
    struct v_capinfo i;
    K_ERR(v_cap_info(c, (uint64_t)&i), V_ESTALE);
    K_OK(v_cap_delete(m));
}

KCASE(CAP0012, 0, "delete makes the handle stale, and a reused slot gets a new generation")
{
    v_handle f = kt_frame();
    K_OK(v_cap_delete(f));
    struct v_capinfo i;
    K_ERR(v_cap_info(f, (uint64_t)&i), V_ESTALE);
    v_handle g = (v_handle)K_OK(v_retype(T, V_TYPE_FRAME, 0, V_HANDLE_SLOT(f)));
    K_EQ(V_HANDLE_SLOT(g), V_HANDLE_SLOT(f));
    K_TRUE(g != f);
    K_ERR(v_cap_info(f, (uint64_t)&i), V_ESTALE);
    K_OK(v_cap_info(g, (uint64_t)&i));
    K_OK(v_cap_delete(g));
}

KCASE(CAP0013, 0, "revoke deletes every derived capability and keeps the source")
{
    v_handle f = kt_frame();
    v_handle a = (v_handle)K_OK(v_cap_copy(f, V_SLOT_ANY));
    v_handle b = (v_handle)K_OK(v_cap_copy(a, V_SLOT_ANY));
    v_handle c = (v_handle)K_OK(v_cap_mint(f, V_SLOT_ANY, V_R_READ, 0));
    K_OK(v_cap_revoke(f));
    struct v_capinfo i;
    K_ERR(v_cap_info(a, (uint64_t)&i), V_ESTALE);
    K_ERR(v_cap_info(b, (uint64_t)&i), V_ESTALE);
    K_ERR(v_cap_info(c, (uint64_t)&i), V_ESTALE);
    K_OK(v_cap_info(f, (uint64_t)&i));
    K_OK(v_cap_delete(f));
}

KCASE(CAP0014, 0, "deleting a copy in the middle deletes what was derived from it, not its siblings")
{
    v_handle f = kt_frame();
    v_handle a = (v_handle)K_OK(v_cap_copy(f, V_SLOT_ANY));
    v_handle b = (v_handle)K_OK(v_cap_copy(a, V_SLOT_ANY));
    v_handle s = (v_handle)K_OK(v_cap_copy(f, V_SLOT_ANY));
    K_OK(v_cap_delete(a));
    struct v_capinfo i;
    K_ERR(v_cap_info(b, (uint64_t)&i), V_ESTALE);
    K_OK(v_cap_info(s, (uint64_t)&i));
    K_OK(v_cap_delete(f));
}

KCASE(CAP0015, 1, "what if a Task builds a derivation chain 500 deep and revokes its root?")
{
    v_handle f = kt_frame(), p = f;
    for (int i = 0; i < 500; i++)
        p = (v_handle)K_OK(v_cap_copy(p, V_SLOT_ANY));
    K_OK(v_cap_revoke(f));
    struct v_capinfo i;
    K_ERR(v_cap_info(p, (uint64_t)&i), V_ESTALE);
    K_OK(v_cap_delete(f));
}

KCASE(CAP0016, 1, "what if a handle is 0, out of range, or names an empty slot?")
{
    struct v_capinfo i;
    K_ERR(v_cap_info(0, (uint64_t)&i), V_EHANDLE);
    K_ERR(v_cap_info(0xffff, (uint64_t)&i), V_EHANDLE);
    K_ERR(v_cap_info(1023, (uint64_t)&i), V_EHANDLE);
    K_ERR(v_cap_delete(0), V_EHANDLE);
    K_ERR(v_cap_revoke(0xfffe), V_EHANDLE);
    K_ERR(v_cap_copy(0, V_SLOT_ANY), V_EHANDLE);
}

KCASE(CAP0017, 1, "what if a handle carries a wrong generation?")
{
    v_handle f = kt_frame();
    struct v_capinfo i;
    K_ERR(v_cap_info(f ^ (1u << 16), (uint64_t)&i), V_ESTALE);
    K_ERR(v_cap_info(f | 0xffff0000u, (uint64_t)&i), V_ESTALE);
    K_OK(v_cap_delete(f));
}

KCASE(CAP0018, 1, "what if the destination slot is occupied or out of the table?")
{
    v_handle f = kt_frame(), g = kt_frame();
    K_ERR(v_cap_copy(f, V_HANDLE_SLOT(g)), V_EOCCUPIED);
    K_ERR(v_cap_move(f, V_HANDLE_SLOT(g)), V_EOCCUPIED);
    K_ERR(v_cap_copy(f, 5000), V_ERANGE);
    K_ERR(v_cap_mint(f, V_SLOT_ANY | 0xffff, V_R_READ, 0), V_ERANGE);
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(g));
}

KCASE(CAP0019, 1, "what if cap_info is handed a kernel, non-canonical, unmapped or null pointer?")
{
    K_ERR(v_cap_info(TAB, 0xffffffff80100000ull), V_EFAULT);
    K_ERR(v_cap_info(TAB, 0x8000000000000000ull), V_EFAULT);
    K_ERR(v_cap_info(TAB, 0x0000500000000000ull), V_EFAULT);
    K_ERR(v_cap_info(TAB, 0), V_EFAULT);
    K_ERR(v_cap_info(TAB, V_USER_TOP - 8), V_EFAULT);
}

KCASE(CAP0020, 1, "what if cap_info is asked to write into read-only memory (code, Bundle)?")
{
    K_ERR(v_cap_info(TAB, (uint64_t)&kt_fail), V_EFAULT);
    K_ERR(v_cap_info(TAB, V_BUNDLE_ADDR), V_EFAULT);
}

KCASE(CAP0021, 0, "cap_info reports type, size and free space of a Reticle exactly")
{
    v_handle r = (v_handle)K_OK(v_retype(T, V_TYPE_RETICLE, 64 * 1024, V_SLOT_ANY));
    struct v_capinfo i;
    K_OK(v_cap_info(r, (uint64_t)&i));
    K_EQ(i.type, V_TYPE_RETICLE);
    K_EQ(i.size, 64 * 1024);
    K_EQ(i.free, 64 * 1024 - V_RETICLE_HEADER);
    K_OK(v_cap_delete(r));
}

KCASE(CAP0022, 0, "cap_grant copies a capability into another table; revoking the source reaches it")
{
    v_handle tab = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 5, V_SLOT_ANY));
    v_handle f = kt_frame();
    v_handle there = (v_handle)K_OK(v_cap_grant(tab, f, V_SLOT_ANY, 0));
    K_TRUE(there != 0);
    struct v_capinfo i;
    K_OK(v_cap_info(tab, (uint64_t)&i));
    K_EQ(i.free, 30);
    K_OK(v_cap_revoke(f));
    K_OK(v_cap_info(tab, (uint64_t)&i));
    K_EQ(i.free, 31);
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(tab));
}

KCASE(CAP0023, 0, "cap_grant with V_MOVE takes the capability out of the caller's table")
{
    v_handle tab = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 5, V_SLOT_ANY));
    v_handle f = kt_frame();
    K_OK(v_cap_grant(tab, f, V_SLOT_ANY, V_MOVE));
    struct v_capinfo i;
    K_ERR(v_cap_info(f, (uint64_t)&i), V_ESTALE);
    K_OK(v_cap_delete(tab));    /* the frame dies with the table that held it */
}

KCASE(CAP0024, 1, "what if a capability is granted into a full table?")
{
    v_handle tab = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 5, V_SLOT_ANY));
    v_handle f = kt_frame();
    for (int i = 0; i < 31; i++)
        K_OK(v_cap_grant(tab, f, V_SLOT_ANY, 0));
    K_ERR(v_cap_grant(tab, f, V_SLOT_ANY, V_MOVE), V_EFULL);
    struct v_capinfo i;
    K_OK(v_cap_info(f, (uint64_t)&i));     /* the failed move lost nothing */
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(tab));
}

KCASE(CAP0025, 1, "what if a capability without the grant right is granted?")
{
    v_handle tab = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 5, V_SLOT_ANY));
    v_handle f = kt_frame();
    v_handle ng = (v_handle)K_OK(v_cap_mint(f, V_SLOT_ANY, V_R_READ, 0));
    K_ERR(v_cap_grant(tab, ng, V_SLOT_ANY, 0), V_ERIGHTS);
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(tab));
}

KCASE(CAP0026, 1, "what if a table is granted into itself, or with unknown flags?")
{
    v_handle tab = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 5, V_SLOT_ANY));
    K_ERR(v_cap_grant(tab, tab, V_SLOT_ANY, 0), V_EINVAL);
    v_handle f = kt_frame();
    K_ERR(v_cap_grant(tab, f, V_SLOT_ANY, 6), V_EINVAL);
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(tab));
}

KCASE(CAP0027, 1, "what if cap_grant is given a frame where a table is expected?")
{
    v_handle f = kt_frame();
    K_ERR(v_cap_grant(f, f, V_SLOT_ANY, 0), V_ETYPE);
    K_OK(v_cap_delete(f));
}

KCASE(CAP0028, 0, "a table holding the only capability to a table is reclaimed with everything in it")
{
    uint64_t before = kt_free(T);
    v_handle outer = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 5, V_SLOT_ANY));
    v_handle inner = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 5, V_SLOT_ANY));
    v_handle f = kt_frame();
    K_OK(v_cap_grant(inner, f, V_SLOT_ANY, V_MOVE));
    K_OK(v_cap_grant(outer, inner, V_SLOT_ANY, V_MOVE));
    K_OK(v_cap_delete(outer));
    K_EQ(kt_free(T), before);
}

KCASE(CAP0029, 1, "what if a Task deletes the same handle twice?")
{
    v_handle f = kt_frame();
    K_OK(v_cap_delete(f));
    K_ERR(v_cap_delete(f), V_ESTALE);
    K_ERR(v_cap_revoke(f), V_ESTALE);
}

KCASE(CAP0030, 1, "what if the source of a queued copy is revoked while it waits in a Ring?")
{
    struct v_ret r = v_retype(T, V_TYPE_RING_SEND, V_RING_PARAM(2, 6), V_SLOT_ANY);
    K_OK(r);
    v_handle tx = (v_handle)r.val, rx = V_RING_RECV_END(r.val);
    v_handle f = kt_frame();
    K_OK(v_ring_send_cap(tx, f, 0));
    struct v_capinfo i;
    K_OK(v_cap_info(tx, (uint64_t)&i));
    K_EQ(i.free, V_RING_XQ - 1);
    K_OK(v_cap_revoke(f));                    /* the queued copy is derived from f */
    /* the revocation emptied its queue slot: nothing stale arrives */
    K_ERR(v_ring_recv_cap(rx, V_SLOT_ANY), V_EEMPTY);
    K_OK(v_cap_info(tx, (uint64_t)&i));
    K_EQ(i.free, V_RING_XQ);
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(tx));
    K_OK(v_cap_delete(rx));
}

/* Regression (ABI review, findings 5 and 6). */
KCASE(CAP0031, 1, "what if a handle or destination has bits above 32?")
{
    struct v_capinfo i;
    K_ERR(v_cap_info(TAB | 1ull << 40, (uint64_t)&i), V_EHANDLE);
    K_ERR(v_cap_copy(TAB, 1ull << 32), V_ERANGE);
    K_ERR(v_cap_delete(DEBUG | 1ull << 63), V_EHANDLE);
}

KCASE(CAP0032, 1, "what if a copy of a table's capability is granted into that table?")
{
    v_handle tab = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 5, V_SLOT_ANY));
    v_handle copy = (v_handle)K_OK(v_cap_copy(tab, V_SLOT_ANY));
    K_ERR(v_cap_grant(tab, copy, V_SLOT_ANY, 0), V_EINVAL);
    K_ERR(v_cap_grant(copy, tab, V_SLOT_ANY, V_MOVE), V_EINVAL);
    K_OK(v_cap_delete(tab));
}

KCASE(CAP0033, 1, "V_SLOT_ANY gives the lowest free slot of a full 4096-slot table, across groups")
{
    v_handle tab = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, V_CAPTABLE_MAX_BITS, V_SLOT_ANY));
    v_handle a = kt_frame(), b = kt_frame();
    /* b's copies at chosen slots (the free-slot index's group edges), a's everywhere else */
    static const uint32_t at[] = {4095, 193, 192, 191, 2, 383, 384};
    static const uint32_t order[] = {2, 191, 192, 193, 383, 384, 4095};
    const size_t n = sizeof at / sizeof at[0];
    for (size_t k = 0; k < n; k++)
        K_EQ(V_HANDLE_SLOT(K_OK(v_cap_grant(tab, b, at[k], 0))), at[k]);
    K_ERR(v_cap_grant(tab, b, 192, 0), V_EOCCUPIED);
    for (uint32_t k = 0; k < 4095 - n; k++)
        K_OK(v_cap_grant(tab, a, V_SLOT_ANY, 0));
    K_ERR(v_cap_grant(tab, a, V_SLOT_ANY, 0), V_EFULL);
    K_OK(v_cap_revoke(b));
    for (size_t k = 0; k < n; k++)
        K_EQ(V_HANDLE_SLOT(K_OK(v_cap_grant(tab, b, V_SLOT_ANY, 0))), order[k]);
    K_ERR(v_cap_grant(tab, b, V_SLOT_ANY, 0), V_EFULL);
    /* out and in again at the same low slot, a thousand times */
    K_OK(v_cap_revoke(b));
    for (int k = 0; k < 1000; k++) {
        K_EQ(V_HANDLE_SLOT(K_OK(v_cap_grant(tab, b, V_SLOT_ANY, 0))), 2);
        K_OK(v_cap_revoke(b));
    }
    struct v_capinfo i;
    K_OK(v_cap_info(tab, (uint64_t)&i));
    K_EQ(i.free, n);
    K_OK(v_cap_revoke(a));
    K_OK(v_cap_info(tab, (uint64_t)&i));
    K_EQ(i.free, 4095);
    K_OK(v_cap_delete(a));
    K_OK(v_cap_delete(b));
    K_OK(v_cap_delete(tab));
}
