/* test_cap: the capability table and derivation tree (kernel/core/cap.c)
 * on the host: handles, generations, copy/move/delete/revoke, deep trees,
 * deferred deletion of objects that hold slots. */
#include "vtest.h"
#include "ktest_shim.h"

#include <stdlib.h>

#include "core/cap.h"
#include "core/object.h"

/* A fake object type for these tests: type 12 "box", whose original's
 * going is counted, and type 13 "nest", an object holding its own
 * slots (like a table or a Ring) that is reaped through cap_defer. */
#define T_BOX 12
#define T_NEST 13
static int destroyed, gone_calls;
struct nest {
    struct reap reap;
    struct cap slots[4];
    int finished;
};
static void nest_finish(struct reap *r) { ((struct nest *)r)->finished++; }

/* Type 14 "obj": objects numbered by their obj word, for checking that
 * no capability outlives its object's original. */
#define T_OBJ 14
enum { MAX_OBJ = 1 << 16 };
static unsigned char obj_dead[MAX_OBJ];
/* No Task is running: deletions queue their drain on the boot queue,
 * which never stops (the Task-owned drain is tested in the guest, PRE0002). */
struct task *sched_cur;
static bool preempt_answer;
static unsigned preempt_points;
bool cap_preempt_point(void)
{
    preempt_points++;
    return preempt_answer;
}

void obj_cap_gone(const struct cap *gone, struct cap *slot)
{
    gone_calls++;
    if (gone->type == T_OBJ && (gone->flags & CAP_ORIGINAL))
        obj_dead[(uintptr_t)gone->obj % MAX_OBJ] = 1;
    if (!(gone->flags & CAP_ORIGINAL))
        return;
    if (gone->type == T_BOX)
        destroyed++;
    if (gone->type == T_NEST) {
        struct nest *n = gone->obj;
        n->reap.slots = n->slots;
        n->reap.n = 4;
        n->reap.finish = nest_finish;
        cap_defer(&n->reap);
    }
}

static struct captable *new_table(unsigned bits)
{
    size_t size = (size_t)V_SIZE_CAPSLOT << bits;
    struct captable *t = aligned_alloc(size, size);
    memset(t, 0, size);
    captable_init(t, bits);
    return t;
}

static struct cap *put(struct captable *t, struct cap *parent, unsigned type, unsigned flags)
{
    struct cap *s;
    CHECK_EQ(cap_dest(t, V_SLOT_ANY, &s), V_OK);
    cap_insert(s, parent, type, V_R_ALL, (void *)0x1000, 0, 0, flags);
    return s;
}

TEST(handles_name_slots_and_generations)
{
    struct captable *t = new_table(5);
    CHECK_EQ(t->nfree, 31);
    struct cap *a = put(t, 0, T_BOX, CAP_ORIGINAL);
    v_handle h = cap_handle(t, a);
    struct cap *out;
    CHECK_EQ(cap_lookup(t, h, 0, 0, &out), V_OK);
    CHECK(out == a);
    CHECK_EQ(t->nfree, 30);
    CHECK_EQ(cap_lookup(t, h, V_TYPE_TASK, 0, &out), V_ETYPE);
    cap_delete(a);
    CHECK_EQ(cap_lookup(t, h, 0, 0, &out), V_ESTALE);
    CHECK_EQ(t->nfree, 31);
    struct cap *b = put(t, 0, T_BOX, CAP_ORIGINAL);
    CHECK(b == a);                      /* the slot is reused ... */
    CHECK(cap_handle(t, b) != h);       /* ... under a new generation */
    CHECK_EQ(cap_lookup(t, h, 0, 0, &out), V_ESTALE);
    free(t);
}

TEST(hostile_handles_are_named_errors)
{
    struct captable *t = new_table(5);
    struct cap *out;
    CHECK_EQ(cap_lookup(t, 0, 0, 0, &out), V_EHANDLE);
    CHECK_EQ(cap_lookup(t, 32, 0, 0, &out), V_EHANDLE);
    CHECK_EQ(cap_lookup(t, 0xffff, 0, 0, &out), V_EHANDLE);
    CHECK_EQ(cap_lookup(t, 5, 0, 0, &out), V_EHANDLE);   /* empty slot, right generation */
    CHECK_EQ(cap_lookup(t, V_HANDLE(5, 9), 0, 0, &out), V_ESTALE);
    CHECK_EQ(cap_lookup(0, 5, 0, 0, &out), V_EHANDLE);
    struct cap *a = put(t, 0, T_BOX, CAP_ORIGINAL);
    a->rights = V_R_READ;
    CHECK_EQ(cap_lookup(t, cap_handle(t, a), 0, V_R_WRITE, &out), V_ERIGHTS);
    CHECK_EQ(cap_dest(t, 0xffff, &out), V_ERANGE);
    CHECK_EQ(cap_dest(t, cap_handle(t, a), &out), V_EOCCUPIED);
    free(t);
}

TEST(full_table_refuses_any_slot)
{
    struct captable *t = new_table(5);
    for (int i = 0; i < 31; i++)
        put(t, 0, T_BOX, CAP_ORIGINAL);
    struct cap *out;
    CHECK_EQ(cap_dest(t, V_SLOT_ANY, &out), V_EFULL);
    CHECK_EQ(t->nfree, 0);
    cap_delete(&captable_slots(t)[17]);
    CHECK_EQ(cap_dest(t, V_SLOT_ANY, &out), V_OK);
    CHECK(out == &captable_slots(t)[17]);
    free(t);
}

TEST(delete_revokes_descendants_first)
{
    struct captable *t = new_table(6);
    destroyed = 0;
    struct cap *o = put(t, 0, T_BOX, CAP_ORIGINAL);
    struct cap *c1 = put(t, o, T_BOX, 0), *c2 = put(t, o, T_BOX, 0);
    struct cap *g = put(t, c1, T_BOX, 0);
    v_handle hg = cap_handle(t, g), hc2 = cap_handle(t, c2);
    cap_delete(c1);
    struct cap *out;
    CHECK_EQ(cap_lookup(t, hg, 0, 0, &out), V_ESTALE);
    CHECK_EQ(cap_lookup(t, hc2, 0, 0, &out), V_OK);
    CHECK_EQ(destroyed, 0);             /* copies going destroys nothing */
    cap_revoke(o);
    CHECK_EQ(cap_lookup(t, hc2, 0, 0, &out), V_ESTALE);
    CHECK(o->child == 0 && !cap_empty(o));
    cap_delete(o);
    CHECK_EQ(destroyed, 1);
    CHECK_EQ(t->nfree, 63);
    free(t);
}

TEST(move_keeps_the_tree)
{
    struct captable *t = new_table(6);
    struct cap *o = put(t, 0, T_BOX, CAP_ORIGINAL);
    struct cap *c = put(t, o, T_BOX, 0);
    struct cap *g = put(t, c, T_BOX, 0);
    struct cap *dst;
    CHECK_EQ(cap_dest(t, V_HANDLE(40, 0), &dst), V_OK);
    v_handle old = cap_handle(t, c);
    cap_move_slot(dst, c);
    struct cap *out;
    CHECK_EQ(cap_lookup(t, old, 0, 0, &out), V_ESTALE);
    CHECK(dst->parent == o && o->child == dst && g->parent == dst);
    destroyed = 0;
    cap_delete(o);
    CHECK(cap_empty(dst) && cap_empty(g));
    CHECK_EQ(destroyed, 1);
    CHECK_EQ(t->nfree, 63);
    free(t);
}

/* What if a Task builds a derivation chain 100 000 deep and revokes its
 * root? Deletion must not recurse. */
TEST(deep_chain_revokes_without_recursion)
{
    struct captable *t = new_table(12);
    struct cap *o = put(t, 0, T_BOX, CAP_ORIGINAL), *p = o;
    for (int i = 0; i < 4000; i++)
        p = put(t, p, T_BOX, 0);
    CHECK_EQ(t->nfree, 4095 - 4001);
    cap_revoke(o);
    CHECK_EQ(t->nfree, 4094);
    free(t);

    /* deeper than any table: slots spread over many tables */
    enum { N = 100000, BITS = 12 };
    struct captable *tabs[N / 4000 + 2];
    unsigned nt = 0;
    tabs[nt++] = new_table(BITS);
    struct cap *root = put(tabs[0], 0, T_BOX, CAP_ORIGINAL);
    p = root;
    for (int i = 0; i < N; i++) {
        if (tabs[nt - 1]->nfree == 0)
            tabs[nt++] = new_table(BITS);
        p = put(tabs[nt - 1], p, T_BOX, 0);
    }
    destroyed = 0;
    cap_delete(root);
    CHECK_EQ(destroyed, 1);
    for (unsigned i = 0; i < nt; i++) {
        CHECK_EQ(tabs[i]->nfree, 4095);
        free(tabs[i]);
    }
}

/* Objects holding slots (tables, Rings) nested inside each other, 10 000
 * deep: reaped iteratively, each finished exactly once. */
TEST(nested_objects_are_reaped_iteratively)
{
    enum { N = 10000 };
    struct nest *n = calloc(N, sizeof *n);
    struct captable *t = new_table(5);
    for (int i = 0; i < N; i++)
        cap_place(n[i].slots, 4, CAP_IN_RING);
    /* the original of nest i+1 sits inside nest i; nest 0's in the table */
    struct cap *s0;
    CHECK_EQ(cap_dest(t, V_SLOT_ANY, &s0), V_OK);
    cap_insert(s0, 0, T_NEST, V_R_ALL, &n[0], 0, 0, CAP_ORIGINAL);
    for (int i = 0; i + 1 < N; i++) {
        cap_insert(&n[i].slots[0], 0, T_NEST, V_R_ALL, &n[i + 1], 0, 0, CAP_ORIGINAL);
        cap_insert(&n[i].slots[2], s0, T_BOX, V_R_ALL, 0, 0, 0, 0);  /* a copy elsewhere */
    }
    cap_delete(s0);
    for (int i = 0; i < N; i++)
        CHECK_EQ(n[i].finished, 1);
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 4; k++)
            CHECK(cap_empty(&n[i].slots[k]));
    free(n);
    free(t);
}

/* Random operations against a model: the tree stays consistent, nfree is
 * exact, and every handle the model says is dead is refused. */
TEST(random_operations_keep_invariants)
{
    struct captable *t = new_table(8);
    srand(42);
    for (int iter = 0; iter < 200000; iter++) {
        int op = rand() % 5;
        uint32_t idx = 1 + (uint32_t)rand() % 255;
        struct cap *s = &captable_slots(t)[idx], *d;
        if (op == 0 && cap_empty(s)) {
            cap_insert(s, 0, T_BOX, V_R_ALL, 0, 0, 0, CAP_ORIGINAL);
            t->nfree += 0;
        } else if (op == 1 && !cap_empty(s)) {
            if (cap_dest(t, V_SLOT_ANY, &d) == V_OK)
                cap_insert(d, s, T_BOX, V_R_ALL, 0, 0, 0, 0);
        } else if (op == 2 && !cap_empty(s)) {
            if (cap_dest(t, V_SLOT_ANY, &d) == V_OK)
                cap_move_slot(d, s);
        } else if (op == 3 && !cap_empty(s)) {
            cap_delete(s);
        } else if (op == 4 && !cap_empty(s)) {
            cap_revoke(s);
        }
        if (iter % 1000 == 0) {
            uint32_t used = 0;
            for (uint32_t i = 1; i < t->nslots; i++) {
                struct cap *c = &captable_slots(t)[i];
                if (cap_empty(c)) {
                    CHECK(!c->child && !c->parent && !c->next && !c->prev);
                    continue;
                }
                used++;
                if (c->parent) {
                    struct cap *k = c->parent->child;
                    while (k && k != c)
                        k = k->next;
                    CHECK(k == c);
                } else {
                    CHECK(c->flags & CAP_ORIGINAL);
                }
                for (struct cap *k = c->child; k; k = k->next)
                    CHECK(k->parent == c && (!k->next || k->next->prev == k));
            }
            CHECK_EQ(t->nfree, t->nslots - 1 - used);
        }
    }
    free(t);
}

/* Every slot of t is linked consistently and names a live object. */
static void check_tree(struct captable *t)
{
    for (uint32_t i = 1; i < t->nslots; i++) {
        struct cap *c = &captable_slots(t)[i];
        if (cap_empty(c))
            continue;
        if (c->type == T_OBJ)
            CHECK(!obj_dead[(uintptr_t)c->obj % MAX_OBJ]);
        if (c->parent) {
            struct cap *k = c->parent->child;
            while (k && k != c)
                k = k->next;
            CHECK(k == c);
        }
        for (struct cap *k = c->child; k; k = k->next)
            CHECK(k->parent == c && (!k->next || k->next->prev == k));
    }
}

/* What if a revocation is preempted at every point it passes? It stops
 * every CAP_PREEMPT_EVERY nodes with the tree consistent and no copy
 * outliving its object, and calling it again finishes it: a random tree
 * of nested originals (Reticles within Reticles) and copies. */
TEST(preempted_revocation_resumes_and_keeps_invariants)
{
    struct captable *t = new_table(12);
    memset(obj_dead, 0, sizeof obj_dead);
    srand(7);
    struct cap *root = 0;
    CHECK_EQ(cap_dest(t, V_SLOT_ANY, &root), V_OK);
    cap_insert(root, 0, T_OBJ, V_R_ALL, (void *)(uintptr_t)1, 0, 0, CAP_ORIGINAL);
    struct cap *nodes[4095];
    unsigned n = 0, next_obj = 2;
    nodes[n++] = root;
    while (t->nfree) {
        struct cap *p = nodes[(unsigned)rand() % n], *d;
        CHECK_EQ(cap_dest(t, V_SLOT_ANY, &d), V_OK);
        if ((p->flags & CAP_ORIGINAL) && rand() % 4 == 0)     /* retyped from p */
            cap_insert(d, p, T_OBJ, V_R_ALL, (void *)(uintptr_t)next_obj++, 0, 0, CAP_ORIGINAL);
        else                                                  /* a copy of p */
            cap_insert(d, p, T_OBJ, V_R_ALL, p->obj, 0, 0, 0);
        nodes[n++] = d;
    }
    unsigned total = n - 1, steps = 0;
    preempt_answer = true;
    preempt_points = 0;
    while (cap_revoke_preemptible(root) != CAP_DONE) {
        steps++;
        check_tree(t);
        CHECK(steps <= total);
    }
    preempt_answer = false;
    CHECK(root->child == 0 && !cap_empty(root));
    CHECK_EQ(t->nfree, t->nslots - 2);
    /* one stop per CAP_PREEMPT_EVERY nodes, give or take the first */
    CHECK(steps >= total / CAP_PREEMPT_EVERY - 1 && steps <= total / CAP_PREEMPT_EVERY + 1);
    cap_delete(root);
    CHECK(obj_dead[1]);
    free(t);
}

/* A 100 000-deep chain revoked with a preemption at every point: it
 * finishes in 100 000 / CAP_PREEMPT_EVERY calls and each node is removed
 * once (top-down, no walk back down from the top). */
TEST(preempted_deep_chain_finishes)
{
    enum { N = 100000, BITS = 12 };
    struct captable *tabs[N / 4000 + 2];
    unsigned nt = 0;
    tabs[nt++] = new_table(BITS);
    struct cap *root = put(tabs[0], 0, T_BOX, CAP_ORIGINAL), *p = root;
    for (int i = 0; i < N; i++) {
        if (tabs[nt - 1]->nfree == 0)
            tabs[nt++] = new_table(BITS);
        p = put(tabs[nt - 1], p, T_BOX, 0);
    }
    gone_calls = 0;
    preempt_answer = true;
    unsigned calls = 1;
    while (cap_delete_preemptible(root) != CAP_DONE)
        calls++;
    preempt_answer = false;
    CHECK_EQ(gone_calls, N + 1);
    CHECK(calls >= N / CAP_PREEMPT_EVERY && calls <= N / CAP_PREEMPT_EVERY + 2);
    for (unsigned i = 0; i < nt; i++) {
        CHECK_EQ(tabs[i]->nfree, 4095);
        free(tabs[i]);
    }
}

/* The free-slot index against the table itself: for each group, the
 * header's bit is set exactly when the group has an empty slot, at[g]
 * names an empty slot of the group whose obj/arg/arg2 are the group's map
 * of empty slots, and every other empty slot's words are zero. Returns
 * the lowest empty slot (0 if none). */
static uint32_t check_index(struct captable *t)
{
    uint32_t lowest = 0, nfree = 0;
    for (uint32_t g = 0; g * CAP_GROUP < t->nslots; g++) {
        uint64_t map[3] = {0, 0, 0};
        uint32_t low = 0;
        for (uint32_t k = 0; k < CAP_GROUP && g * CAP_GROUP + k < t->nslots; k++) {
            uint32_t i = g * CAP_GROUP + k;
            if (i == 0 || !cap_empty(&captable_slots(t)[i]))
                continue;
            map[k / 64] |= 1ull << (k % 64);
            if (!low)
                low = i;
            nfree++;
        }
        CHECK_EQ(t->groups >> g & 1, low != 0);
        if (!low)
            continue;
        if (!lowest)
            lowest = low;
        uint32_t holder = g * CAP_GROUP + t->at[g];
        CHECK(holder < t->nslots && holder != 0 && cap_empty(&captable_slots(t)[holder]));
        for (uint32_t k = 0; k < CAP_GROUP && g * CAP_GROUP + k < t->nslots; k++) {
            struct cap *c = &captable_slots(t)[g * CAP_GROUP + k];
            if (!cap_empty(c) || g * CAP_GROUP + k == 0)
                continue;
            if (g * CAP_GROUP + k == holder) {
                CHECK_EQ((uint64_t)(uintptr_t)c->obj, map[0]);
                CHECK_EQ(c->arg, map[1]);
                CHECK_EQ(c->arg2, map[2]);
            } else {
                CHECK(!c->obj && !c->arg && !c->arg2);
            }
            CHECK(!c->child && !c->parent && !c->next && !c->prev && !c->rights);
        }
    }
    CHECK_EQ(t->nfree, nfree);
    CHECK_EQ(t->groups >> ((t->nslots + CAP_GROUP - 1) / CAP_GROUP), 0);
    return lowest;
}

/* V_SLOT_ANY is the lowest free slot, in every table size, after any
 * sequence of fills, moves, copies and deletes at chosen or any slots:
 * checked against a scan of the table after every operation. Hostile
 * sequences included: emptying and refilling the same low slot, filling
 * a table to the last slot of the last (partial) group, moving within a
 * group and across groups. */
TEST(any_slot_is_the_lowest_free_one)
{
    for (unsigned bits = V_CAPTABLE_MIN_BITS; bits <= V_CAPTABLE_MAX_BITS; bits++) {
        struct captable *t = new_table(bits);
        CHECK_EQ(check_index(t), 1);
        srand(100 + (int)bits);
        unsigned iters = bits < 10 ? 20000 : 6000;
        for (unsigned iter = 0; iter < iters; iter++) {
            uint32_t lowest = check_index(t);
            struct cap *d;
            int e = cap_dest(t, V_SLOT_ANY, &d);
            if (!lowest) {
                CHECK_EQ(e, V_EFULL);
            } else {
                CHECK_EQ(e, V_OK);
                CHECK_EQ((uint32_t)(d - captable_slots(t)), lowest);
            }
            uint32_t idx = 1 + (uint32_t)rand() % (t->nslots - 1);
            struct cap *s = &captable_slots(t)[idx];
            int op = rand() % 8;
            if (op < 3 && cap_empty(s))             /* fill a chosen slot */
                cap_insert(s, 0, T_BOX, V_R_ALL, (void *)0x1000, 7, 9, CAP_ORIGINAL);
            else if (op < 5 && !cap_empty(s) && e == V_OK)   /* copy into the lowest */
                cap_insert(d, s, T_BOX, V_R_ALL, s->obj, s->arg, s->arg2, 0);
            else if (op == 5 && !cap_empty(s) && e == V_OK)
                cap_move_slot(d, s);
            else if (op == 6 && !cap_empty(s))
                cap_delete(s);
            else if (op == 7 && !cap_empty(s)) {    /* the same low slot, out and in */
                cap_delete(s);
                CHECK_EQ(cap_dest(t, V_SLOT_ANY, &d), V_OK);
                CHECK(d <= s);
                cap_insert(d, 0, T_BOX, V_R_ALL, 0, 0, 0, CAP_ORIGINAL);
            }
        }
        /* empty it, fill it to the last slot, then empty it from the top */
        for (uint32_t i = 1; i < t->nslots; i++)
            if (!cap_empty(&captable_slots(t)[i]))
                cap_delete(&captable_slots(t)[i]);
        CHECK_EQ(check_index(t), 1);
        struct cap *d;
        while (cap_dest(t, V_SLOT_ANY, &d) == V_OK)
            cap_insert(d, 0, T_BOX, V_R_ALL, 0, 0, 0, CAP_ORIGINAL);
        CHECK_EQ(check_index(t), 0);
        CHECK_EQ(t->groups, 0);
        for (uint32_t i = t->nslots - 1; i >= 1; i--) {
            cap_delete(&captable_slots(t)[i]);
            CHECK_EQ(check_index(t), i);
        }
        CHECK_EQ(t->nfree, t->nslots - 1);
        free(t);
    }
}
