/* Information-flow labels (docs/LABELS.md): label_set, label_own, and the
 * checks at every way out of a Task. Category 0 (bit 1) is "secret". */
#include "ktest.h"

#define C 1ull
#define LRA 0x44000000ull           /* the parent's end of the children's Ring */

static v_handle label_cap(uint64_t cats, uint32_t rights)
{
    struct v_ret r = v_cap_mint(LABELS, V_SLOT_ANY, rights, cats);
    return r.err ? 0 : (v_handle)r.val;
}

static uint64_t info_label(v_handle h, uint64_t *own)
{
    struct v_capinfo i;
    if (v_cap_info(h, (uint64_t)&i).err)
        return ~0ull;
    if (own)
        *own = i.own;
    return i.label;
}

KCASE(LAB0001, 0, "spaces and frames are born at the creator's write label; cap_info shows labels")
{
    v_handle s = (v_handle)K_OK(v_retype(T, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    v_handle f = kt_frame();
    uint64_t own;
    K_EQ(info_label(s, &own), 0);
    K_EQ(own, 0);
    K_EQ(info_label(f, 0), 0);
    K_OK(v_label_set(s, C | 4));            /* anyone may raise */
    K_EQ(info_label(s, 0), C | 4);
    K_OK(v_label_set(f, C));                /* a fresh frame too */
    K_EQ(info_label(f, 0), C);
    v_handle lc = label_cap(C, V_R_ALL);
    struct v_capinfo ci;
    K_OK(v_cap_info(lc, (uint64_t)&ci));
    K_EQ(ci.type, V_TYPE_LABEL);
    K_EQ(ci.arg, C);
    K_OK(v_label_own(s, lc));
    K_EQ(info_label(s, &own), C | 4);
    K_EQ(own, C);
    K_OK(v_label_set(s, 4));                /* C is owned: it may go */
    K_ERR(v_label_set(s, 0), V_EFLOW);      /* 4 is not */
    K_OK(v_label_own(s, 0));
    K_EQ(info_label(s, &own), 4);
    K_EQ(own, 0);
    K_OK(v_cap_delete(lc));
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(s));
}

KCASE(LAB0002, 1, "what if label_set is given bad handles, high bits, wrong types, a used frame or a lower label?")
{
    v_handle s = (v_handle)K_OK(v_retype(T, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    v_handle f = kt_frame();
    K_ERR(v_label_set(0, C), V_EHANDLE);
    K_ERR(v_label_set(s | 1ull << 40, C), V_EHANDLE);
    K_ERR(v_label_set(V_HANDLE(V_HANDLE_SLOT(s), V_HANDLE_GEN(s) + 1), C), V_ESTALE);
    K_ERR(v_label_set(SELF, C), V_ETYPE);
    K_ERR(v_label_set(TAB, C), V_ETYPE);
    K_ERR(v_label_set(LABELS, C), V_ETYPE);
    v_handle ro = (v_handle)K_OK(v_cap_mint(s, V_SLOT_ANY, V_R_READ, 0));
    K_ERR(v_label_set(ro, C), V_ERIGHTS);
    K_OK(v_cap_delete(ro));
    /* a frame's label is fixed once it has a copy or a mapping */
    v_handle copy = (v_handle)K_OK(v_cap_copy(f, V_SLOT_ANY));
    K_ERR(v_label_set(f, C), V_ESTATE);
    K_ERR(v_label_set(copy, C), V_ESTATE);
    K_OK(v_cap_delete(copy));
    K_OK(v_as_map(AS, f, SCRATCH_VA, V_R_READ));
    K_ERR(v_label_set(f, C), V_ESTATE);
    K_OK(v_as_unmap(f));
    K_OK(v_label_set(f, C | 2));
    K_ERR(v_label_set(f, C), V_EFLOW);      /* a frame's label only rises */
    K_EQ(info_label(f, 0), C | 2);
    v_handle dev = (v_handle)K_OK(v_retype(MMIO, V_TYPE_FRAME, 0, V_SLOT_ANY));
    K_ERR(v_label_set(dev, C), V_EINVAL);   /* device memory is the outside */
    K_OK(v_cap_delete(dev));
    K_OK(v_label_set(s, C));
    K_ERR(v_label_set(s, 0), V_EFLOW);      /* lowering needs ownership */
    K_EQ(info_label(s, 0), C);
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(s));
}

KCASE(LAB0003, 1, "what if label_own is given bad handles, wrong types, a LabelCap without CONTROL, or a revoked one?")
{
    v_handle s = (v_handle)K_OK(v_retype(T, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    v_handle f = kt_frame();
    v_handle lc = label_cap(C, V_R_ALL);
    K_ERR(v_label_own(0, lc), V_EHANDLE);
    K_ERR(v_label_own(s, lc | 1ull << 33), V_EHANDLE);
    K_ERR(v_label_own(s | 1ull << 63, lc), V_EHANDLE);
    K_ERR(v_label_own(f, lc), V_ETYPE);
    K_ERR(v_label_own(s, f), V_ETYPE);
    K_ERR(v_label_own(lc, s), V_ETYPE);
    v_handle weak = label_cap(C, V_R_READ | V_R_GRANT);
    K_ERR(v_label_own(s, weak), V_ERIGHTS);
    K_ERR(v_cap_mint(lc, V_SLOT_ANY, V_R_ALL, C | 2), V_EWIDEN);   /* not a category it has */
    K_OK(v_cap_delete(weak));
    v_handle ro = (v_handle)K_OK(v_cap_mint(s, V_SLOT_ANY, V_R_READ | V_R_WRITE, 0));
    K_ERR(v_label_own(ro, lc), V_ERIGHTS);
    K_OK(v_cap_delete(ro));
    /* bound, then revoked: the ownership goes with it, at once */
    v_handle sub = (v_handle)K_OK(v_cap_mint(lc, V_SLOT_ANY, V_R_ALL, C));
    K_OK(v_label_own(s, sub));
    K_OK(v_label_set(s, C));
    uint64_t own;
    K_EQ(info_label(s, &own), C);
    K_EQ(own, C);
    K_OK(v_cap_revoke(lc));                 /* sub, and the space's copy of it, go */
    K_ERR(v_label_own(s, sub), V_ESTALE);
    K_EQ(info_label(s, &own), C);
    K_EQ(own, 0);
    K_ERR(v_label_set(s, 0), V_EFLOW);
    /* replacing, then dropping */
    K_OK(v_label_own(s, lc));
    K_OK(v_label_own(s, lc));
    K_OK(v_label_own(s, 0));
    K_OK(v_label_own(s, 0));
    K_EQ(info_label(s, &own), C);
    K_EQ(own, 0);
    /* stale handles of either kind, and a Ring end where either goes */
    v_handle stale_s = V_HANDLE(V_HANDLE_SLOT(s), V_HANDLE_GEN(s) + 1);
    K_ERR(v_label_own(stale_s, lc), V_ESTALE);
    K_ERR(v_label_own(s, V_HANDLE(V_HANDLE_SLOT(lc), V_HANDLE_GEN(lc) + 1)), V_ESTALE);
    struct v_ret rg = v_retype(T, V_TYPE_RING_SEND, 2 | 6 << 8, V_SLOT_ANY);
    K_OK(rg);
    K_ERR(v_label_own((v_handle)rg.val, lc), V_ETYPE);
    K_ERR(v_label_own(s, (v_handle)rg.val), V_ETYPE);
    K_ERR(v_label_set((v_handle)rg.val, C), V_ETYPE);
    K_ERR(v_label_set((v_handle)(rg.val >> 32), C), V_ETYPE);
    K_OK(v_cap_delete((v_handle)rg.val));
    K_OK(v_cap_delete((v_handle)(rg.val >> 32)));
    K_OK(v_cap_delete(lc));
    K_ERR(v_label_own(s, lc), V_ESTALE);    /* deleted */
    K_OK(v_cap_delete(f));
    K_ERR(v_label_set(f, C), V_ESTALE);
    K_OK(v_cap_delete(s));
    K_ERR(v_label_set(s, C), V_ESTALE);
    K_ERR(v_label_own(s, 0), V_ESTALE);
}

KCASE(LAB0004, 1, "what if a frame is mapped against the labels (read above, write below)?")
{
    v_handle s = (v_handle)K_OK(v_retype(T, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    v_handle low = kt_frame(), high = kt_frame();
    K_OK(v_label_set(high, C));
    K_OK(v_label_set(s, C));
    K_ERR(v_as_map(s, low, SCRATCH_VA, V_R_READ | V_R_WRITE), V_EFLOW);  /* a write down */
    K_OK(v_as_map(s, low, SCRATCH_VA, V_R_READ));                       /* reading up is fine */
    K_OK(v_as_map(s, high, SCRATCH_VA + 0x1000, V_R_READ | V_R_WRITE));
    K_OK(v_as_unmap(high));
    K_ERR(v_as_map(AS, high, SCRATCH_VA, V_R_READ), V_EFLOW);            /* a read down */
    /* with ownership the unlabelled root may read it */
    v_handle lc = label_cap(C, V_R_ALL);
    K_OK(v_label_own(AS, lc));
    K_OK(v_as_map(AS, high, SCRATCH_VA, V_R_READ));
    K_OK(v_label_own(AS, 0));               /* and losing it unmaps: no byte may be read */
    struct v_capinfo i;
    K_OK(v_cap_info(high, (uint64_t)&i));
    K_EQ(i.mapped, SCRATCH_VA);             /* the capability still says so; the page is gone */
    K_OK(v_as_unmap(high));
    K_OK(v_as_unmap(low));
    K_OK(v_as_map(AS, low, SCRATCH_VA, V_R_READ | V_R_WRITE));
    K_OK(v_as_unmap(low));
    K_OK(v_cap_delete(lc));
    K_OK(v_cap_delete(low));
    K_OK(v_cap_delete(high));
    K_OK(v_cap_delete(s));
}

/* The children's world: a Ring whose receive end the (unlabelled) root
 * binds, a labelled secret frame, an unlabelled frame the root maps too,
 * a signal on the root; then the child, of the given label and
 * ownership. */
struct world {
    v_handle tx, rx, secret, shared, sig, go;
    struct rt_child c;
};

#define SECRET_BYTE 0xa7

static int world_make(struct world *w, unsigned variant, uint64_t label, v_handle own)
{
    *w = (struct world){0};
    struct v_ret r = v_retype(T, V_TYPE_RING_SEND, 2 | 6 << 8, V_SLOT_ANY);
    if (r.err)
        return (int)r.err;
    w->tx = (v_handle)r.val;
    w->rx = (v_handle)(r.val >> 32);
    int e;
    if ((e = (int)v_ring_bind(w->rx, LRA, 6).err))
        return e;
    w->secret = kt_frame();
    w->shared = kt_frame();
    if (!w->secret || !w->shared)
        return V_ENOMEM;
    /* the secret's byte is written before it is labelled: the frame is
     * born with the root's (empty) label, raised while it is fresh */
    if ((e = (int)v_as_map(AS, w->secret, SCRATCH_VA, V_R_READ | V_R_WRITE).err))
        return e;
    *(volatile uint8_t *)SCRATCH_VA = SECRET_BYTE;
    v_as_unmap(w->secret);
    if ((e = (int)v_label_set(w->secret, C).err))
        return e;
    if ((e = (int)v_as_map(AS, w->shared, SCRATCH_VA, V_R_READ | V_R_WRITE).err))
        return e;
    w->sig = (v_handle)v_signal_mint(SELF, 1ull << LABEL_READY_BIT, V_SLOT_ANY).val;
    v_handle tx = (v_handle)v_cap_copy(w->tx, V_SLOT_ANY).val;
    v_handle sec = (v_handle)v_cap_copy(w->secret, V_SLOT_ANY).val;
    v_handle sh = (v_handle)v_cap_copy(w->shared, V_SLOT_ANY).val;
    v_handle sg = (v_handle)v_cap_copy(w->sig, V_SLOT_ANY).val;
    struct rt_bundle_item it[4] = {{"tx", tx, true}, {"secret", sec, true},
                                   {"shared", sh, true}, {"sig", sg, true}};
    kt_spawn_label = label;
    kt_spawn_own = own;
    e = kt_spawn(M_LABEL, variant, 1, it, 4, &w->c);
    kt_spawn_label = 0;
    kt_spawn_own = 0;
    if (e)
        return e;
    w->go = (v_handle)v_signal_mint(w->c.task, 1ull << LABEL_GO_BIT, V_SLOT_ANY).val;
    return 0;
}

static void world_end(struct world *w)
{
    v_label_own(AS, 0);         /* a case that failed half-way may have left it owning */
    rt_child_destroy(&w->c);
    v_as_unmap(w->shared);
    v_cap_delete(w->go);
    v_cap_delete(w->sig);
    v_cap_delete(w->shared);
    v_cap_delete(w->secret);
    v_cap_delete(w->tx);
    v_cap_delete(w->rx);
}

#define WORLD(w, variant, label, own)                                                   \
    do {                                                                                \
        int e_ = world_make(w, variant, label, own);                                    \
        if (e_) {                                                                       \
            kt_fail(__LINE__, "world: %s", rt_errname(e_));                             \
            world_end(w);                                                               \
            return;                                                                     \
        }                                                                               \
    } while (0)
#define WEQ(w, a, b)                                                                    \
    do {                                                                                \
        if ((uint64_t)(a) != (uint64_t)(b)) {                                           \
            kt_fail(__LINE__, "%s == %llu, expected %llu", #a, (unsigned long long)(a),  \
                    (unsigned long long)(b));                                           \
            world_end(w);                                                               \
            return;                                                                     \
        }                                                                               \
    } while (0)

static bool ring_closed(void) { return ((volatile struct v_ring_ctl *)LRA)->closed != 0; }

KCASE(LAB0005, 1, "what if a Task that read a labelled frame sends to a lower one by Ring, frame, shared frame, capability, signal or console?")
{
    struct world w;
    WORLD(&w, LABEL_LEAK, C, 0);
    struct v_taskinfo i;
    WAIT(&w.c, &i);
    WEQ(&w, i.state, V_TASK_DEAD);
    WEQ(&w, i.label, C);
    WEQ(&w, i.exit_code, 0);                /* what it did is its data: hidden from us */
    /* every way out, seen from the unlabelled side */
    WEQ(&w, v_ring_recv_cap(w.rx, V_SLOT_ANY).err, V_EFLOW);   /* capability transfer */
    WEQ(&w, v_as_map(AS, w.secret, SCRATCH_VA + 0x1000, V_R_READ).err, V_EFLOW);
    WEQ(&w, *(volatile uint8_t *)SCRATCH_VA, 0);                /* shared frame */
    WEQ(&w, v_signal_wait(1ull << LABEL_READY_BIT, 0).err, V_ETIMEOUT);
    WEQ(&w, ring_closed(), 0);
    /* with the LabelCap the root may read it all: the child's verdict first */
    v_handle lc = label_cap(C, V_R_ALL);
    WEQ(&w, v_label_own(AS, lc).err, V_OK);
    v_task_info(w.c.task, (uint64_t)&i);
    int64_t code = i.exit_code;
    WEQ(&w, LABEL_STEP(code, LS_READ), V_OK);
    WEQ(&w, LABEL_STEP(code, LS_BIND), V_EFLOW);
    WEQ(&w, LABEL_STEP(code, LS_SHARED), V_EFLOW);
    WEQ(&w, LABEL_STEP(code, LS_SENDCAP), V_OK);    /* queued: refused at the receiver */
    WEQ(&w, LABEL_STEP(code, LS_SIGNAL), V_EFLOW);
    WEQ(&w, LABEL_STEP(code, LS_CONSOLE), V_EFLOW);
    struct v_ret r = v_ring_recv_cap(w.rx, V_SLOT_ANY);
    WEQ(&w, r.err, V_OK);
    WEQ(&w, info_label((v_handle)r.val, 0), C);     /* born at the child's label */
    WEQ(&w, v_as_unmap((v_handle)r.val).err, V_OK);  /* it came mapped in the sender */
    WEQ(&w, v_as_map(AS, (v_handle)r.val, SCRATCH_VA + 0x1000, V_R_READ).err, V_OK);
    WEQ(&w, *(volatile uint8_t *)(SCRATCH_VA + 0x1000), SECRET_BYTE);
    v_cap_delete((v_handle)r.val);
    WEQ(&w, v_label_own(AS, 0).err, V_OK);
    v_cap_delete(lc);
    world_end(&w);
}

KCASE(LAB0006, 0, "with the LabelCap for its category the same Task may send by every one of those ways")
{
    struct world w;
    v_handle lc = label_cap(C, V_R_ALL);
    WORLD(&w, LABEL_LEAK, C, lc);
    struct v_taskinfo i;
    WAIT(&w.c, &i);
    WEQ(&w, i.state, V_TASK_DEAD);
    WEQ(&w, i.own, C);
    int64_t code = i.exit_code;         /* it declassifies: we may read it */
    for (int k = 0; k < LS_COUNT; k++)
        WEQ(&w, LABEL_STEP(code, k), V_OK);
    WEQ(&w, *(volatile uint8_t *)SCRATCH_VA, SECRET_BYTE);     /* by the shared frame */
    WEQ(&w, v_signal_wait(1ull << LABEL_READY_BIT, 0).val, 1ull << LABEL_READY_BIT);
    struct v_ret r = v_ring_recv_cap(w.rx, V_SLOT_ANY);         /* by a capability */
    WEQ(&w, r.err, V_OK);
    WEQ(&w, v_as_unmap((v_handle)r.val).err, V_OK);
    WEQ(&w, v_as_map(AS, (v_handle)r.val, SCRATCH_VA + 0x1000, V_R_READ).err, V_OK);
    WEQ(&w, *(volatile uint8_t *)(SCRATCH_VA + 0x1000), SECRET_BYTE);
    v_cap_delete((v_handle)r.val);
    world_end(&w);
    v_cap_delete(lc);
}

KCASE(LAB0009, 1, "what if a labelled Task grants into, adds to the Bundle of, kills, starts, suspends, resumes or configures a lower Task, writes a port or maps a frame for a device?")
{
    /* the lower Task: configured, never started, in an unlabelled space;
     * another never configured, and an unlabelled space for it */
    v_handle t = (v_handle)K_OK(v_retype(T, V_TYPE_TASK, 0, V_SLOT_ANY));
    v_handle tab = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 5, V_SLOT_ANY));
    v_handle s = (v_handle)K_OK(v_retype(T, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    v_handle fresh = (v_handle)K_OK(v_retype(T, V_TYPE_TASK, 0, V_SLOT_ANY));
    v_handle s2 = (v_handle)K_OK(v_retype(T, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    v_handle b = kt_frame();
    K_OK(v_task_config(t, tab, s, 0, 0, b));
    v_handle ports = (v_handle)K_OK(v_cap_mint(IOPORTS, V_SLOT_ANY, V_R_ALL, 0x3f8 | 8ull << 16));
    v_handle cfg = kt_cfg_page(0), dma = 0;
    if (cfg)
        dma = (v_handle)K_OK(v_dma_create(T, cfg, V_SLOT_ANY));
    struct rt_bundle_item it[7] = {{"table", (v_handle)v_cap_copy(tab, V_SLOT_ANY).val, true},
                                   {"task", (v_handle)v_cap_copy(t, V_SLOT_ANY).val, true},
                                   {"ports", (v_handle)v_cap_copy(ports, V_SLOT_ANY).val, true},
                                   {"fresh", (v_handle)v_cap_copy(fresh, V_SLOT_ANY).val, true},
                                   {"space", (v_handle)v_cap_copy(s2, V_SLOT_ANY).val, true},
                                   {"dma", dma ? (v_handle)v_cap_copy(dma, V_SLOT_ANY).val : 0,
                                    true}};
    struct rt_child c;
    kt_spawn_label = C;
    int e = kt_spawn(M_LABEL, LABEL_CONTROL, 1, it, dma ? 6 : 5, &c);
    kt_spawn_label = 0;
    if (e) {
        kt_fail(__LINE__, "spawn: %s", rt_errname(e));
        return;
    }
    struct v_taskinfo i;
    WAIT(&c, &i);
    v_handle lc = label_cap(C, V_R_ALL);
    K_OK(v_label_own(AS, lc));              /* to read its verdict */
    K_OK(v_task_info(c.task, (uint64_t)&i));
    K_OK(v_label_own(AS, 0));
    K_EQ(i.state, V_TASK_DEAD);
    for (int k = 0; k < LC_DMA; k++)
        K_EQ(LABEL_STEP(i.exit_code, k), V_EFLOW);
    /* without ECAM there is no DMA space to give it */
    K_EQ(LABEL_STEP(i.exit_code, LC_DMA), dma ? V_EFLOW : V_EHANDLE);
    struct v_capinfo ti;
    K_OK(v_cap_info(tab, (uint64_t)&ti));
    K_EQ(ti.free, 31);                      /* nothing was granted */
    K_OK(v_task_info(t, (uint64_t)&i));
    K_EQ(i.state, V_TASK_INACTIVE);         /* nor was it killed or started */
    K_OK(v_task_info(fresh, (uint64_t)&i));
    K_EQ(i.state, V_TASK_INACTIVE);
    K_OK(v_task_config(fresh, tab, s2, 0, 0, 0));   /* still unconfigured: we may */
    if (dma) {
        K_OK(v_cap_info(dma, (uint64_t)&ti));
        K_EQ(ti.mapped, 0);                 /* nothing reached the device */
        K_OK(v_cap_delete(dma));
        K_OK(v_cap_delete(cfg));
    }
    K_EQ(rt_child_destroy(&c), 0);
    K_OK(v_cap_delete(lc));
    K_OK(v_cap_delete(ports));
    K_OK(v_cap_delete(fresh));
    K_OK(v_cap_delete(t));
    K_OK(v_cap_delete(tab));
    K_OK(v_cap_delete(s));
    K_OK(v_cap_delete(s2));
    K_OK(v_cap_delete(b));
}

KCASE(LAB0010, 1, "what if the ownership a device was given a labelled frame by goes, or a labelled frame is mapped without it?")
{
    v_handle cfg = kt_cfg_page(0);
    if (!cfg)
        return;
    uint64_t f0 = kt_free(T);
    v_handle d = (v_handle)K_OK(v_dma_create(T, cfg, V_SLOT_ANY));
    v_handle f = kt_frame(), g = kt_frame();
    K_OK(v_label_set(f, C));
    K_ERR(v_dma_map(d, f, 0x100000, V_R_READ), V_EFLOW);     /* not declassified */
    v_handle lc = label_cap(C, V_R_ALL);
    K_OK(v_label_own(AS, lc));
    K_OK(v_dma_map(d, f, 0x100000, V_R_READ));
    K_OK(v_label_own(AS, lc));              /* bound again: still owned */
    struct v_capinfo di;
    K_OK(v_cap_info(d, (uint64_t)&di));
    K_EQ(di.arg & V_DMA_CUT, 0);
    K_EQ(di.mapped, 1);
    K_OK(v_label_own(AS, 0));               /* the device loses the frame, in this call */
    K_OK(v_cap_info(d, (uint64_t)&di));
    K_EQ(di.arg & V_DMA_CUT, V_DMA_CUT);
    K_ERR(v_dma_map(d, g, 0x200000, V_R_READ), V_EDISCONNECTED);   /* and gets nothing more */
    K_OK(v_as_unmap(f));                    /* the record still goes as before */
    K_OK(v_cap_info(d, (uint64_t)&di));
    K_EQ(di.mapped, 0);
    K_OK(v_cap_delete(d));
    /* a new space for the function is whole again; ownership taken away
     * by revoking the LabelCap cuts it the same way */
    d = (v_handle)K_OK(v_dma_create(T, cfg, V_SLOT_ANY));
    v_handle sub = (v_handle)K_OK(v_cap_mint(lc, V_SLOT_ANY, V_R_ALL, C));
    K_OK(v_label_own(AS, sub));
    K_OK(v_dma_map(d, f, 0x100000, V_R_READ));
    K_OK(v_dma_map(d, g, 0x200000, V_R_READ | V_R_WRITE));
    K_OK(v_cap_revoke(lc));
    K_OK(v_cap_info(d, (uint64_t)&di));
    K_EQ(di.arg & V_DMA_CUT, V_DMA_CUT);
    K_OK(v_cap_delete(d));
    K_OK(v_cap_delete(lc));
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(g));
    K_OK(v_cap_delete(cfg));
    K_EQ(kt_free(T), f0);
}

KCASE(LAB0007, 1, "what if a Task raises its label while it has a Ring and a shared frame to a lower one?")
{
    struct world w;
    WORLD(&w, LABEL_RAISE, 0, 0);
    struct v_taskinfo i;
    WAIT(&w.c, &i);
    /* the raise took its write paths before it returned: the next store faults */
    WEQ(&w, i.state, V_TASK_FAULTED);
    WEQ(&w, i.label, C);
    WEQ(&w, *(volatile uint8_t *)SCRATCH_VA, 0);
    WEQ(&w, ring_closed(), 1);                      /* the Ring was cut, for both */
    WEQ(&w, v_ring_bind(w.tx, LRA + 0x100000, 7).err, V_EDISCONNECTED);
    WEQ(&w, v_ring_send_cap(w.tx, w.shared, 0).err, V_EDISCONNECTED);
    world_end(&w);
}

KCASE(LAB0008, 1, "what if the LabelCap a declassifying Task owns by is revoked while it has write paths down?")
{
    struct world w;
    v_handle lc = label_cap(C, V_R_ALL);
    WORLD(&w, LABEL_REVOKED, C, lc);
    for (int k = 0; k < 200 && v_signal_wait(1ull << LABEL_READY_BIT, 10000).err; k++)
        ;
    uint64_t own;
    WEQ(&w, info_label(w.c.aspace, &own), C);
    WEQ(&w, own, C);
    WEQ(&w, ring_closed(), 0);
    WEQ(&w, v_cap_delete(lc).err, V_OK);            /* its ownership is a copy of lc */
    WEQ(&w, info_label(w.c.aspace, &own), C);
    WEQ(&w, own, 0);
    WEQ(&w, ring_closed(), 1);                      /* cut in the same call */
    WEQ(&w, v_signal_raise(w.go, 1ull << LABEL_GO_BIT).err, V_OK);   /* up: allowed */
    struct v_taskinfo i;
    WAIT(&w.c, &i);
    WEQ(&w, i.state, V_TASK_FAULTED);               /* its write to the shared frame */
    WEQ(&w, *(volatile uint8_t *)SCRATCH_VA, 0);
    world_end(&w);
}
