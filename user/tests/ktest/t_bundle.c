/* Bundles: a child's authority, named. */
#include "ktest.h"

KCASE(BUN0001, 0, "a child finds its capabilities by name with the right types")
{
    v_handle f = kt_frame();
    struct rt_bundle_item it = {"shared", f, false};
    struct rt_child c;
    /* kt_spawn adds "debug"; give_memory would add "memory": use the raw spawn */
    struct rt_bundle_item all[2] = {{"debug", DEBUG, false}, it};
    struct rt_spawn_args a = {.elf = child_elf, .elf_len = child_len, .name = "bundled",
                              .reticle = T, .memory = 256 * 1024, .prio = 1,
                              .fault_signal = SIGF, .arg = M_BUNDLE, .items = all, .nitems = 2};
    K_EQ(rt_spawn(&a, &c), 0);
    struct v_taskinfo i;
    WAIT(&c, &i);
    K_EQ(i.state, V_TASK_DEAD);
    K_EQ(i.exit_code, 0);
    K_TRUE(!strcmp(i.name, "bundled"));
    K_EQ(rt_child_destroy(&c), 0);
    K_OK(v_cap_delete(f));
}

/* A configured, unstarted Task with a Bundle page, for the hostile cases. */
struct shell {
    v_handle task, tab, as, page;
};
static int make_shell(struct shell *s, unsigned bits)
{
    struct v_ret r;
    if ((r = v_retype(T, V_TYPE_TASK, 0, V_SLOT_ANY)).err) return (int)r.err;
    s->task = (v_handle)r.val;
    if ((r = v_retype(T, V_TYPE_CAPTABLE, bits, V_SLOT_ANY)).err) return (int)r.err;
    s->tab = (v_handle)r.val;
    if ((r = v_retype(T, V_TYPE_ASPACE, 0, V_SLOT_ANY)).err) return (int)r.err;
    s->as = (v_handle)r.val;
    if ((r = v_retype(T, V_TYPE_FRAME, 0, V_SLOT_ANY)).err) return (int)r.err;
    s->page = (v_handle)r.val;
    return (int)v_task_config(s->task, s->tab, s->as, 1, 0, s->page).err;
}
static void drop_shell(struct shell *s)
{
    v_cap_delete(s->task);
    v_cap_delete(s->as);
    v_cap_delete(s->tab);
    v_cap_delete(s->page);
}
#define SHELL(s, bits)                                                              \
    do {                                                                            \
        int e_ = make_shell(s, bits);                                               \
        if (e_) {                                                                   \
            kt_fail(__LINE__, "shell: %s", rt_errname(e_));                         \
            return;                                                                 \
        }                                                                           \
    } while (0)

KCASE(BUN0002, 0, "the kernel writes each entry as it grants the capability")
{
    struct shell s;
    SHELL(&s, 5);
    K_OK(v_as_map(AS, s.page, SCRATCH_VA, V_R_READ));
    const struct v_bundle *b = (const struct v_bundle *)SCRATCH_VA;
    K_EQ(b->magic, V_BUNDLE_MAGIC);
    K_EQ(b->count, 0);
    v_handle h = (v_handle)K_OK(v_bundle_add(s.task, (uint64_t)"console", 7, DEBUG, 0));
    K_EQ(b->count, 1);
    K_TRUE(!strcmp(b->entry[0].name, "console"));
    K_EQ(b->entry[0].type, V_TYPE_DEBUG);
    K_EQ(b->entry[0].rights, V_R_ALL);
    K_EQ(b->entry[0].handle, h);
    /* a narrowed capability is listed with the rights it was granted */
    v_handle ro = (v_handle)K_OK(v_cap_mint(DEBUG, V_SLOT_ANY, V_R_WRITE | V_R_GRANT, 0));
    K_OK(v_bundle_add(s.task, (uint64_t)"log", 3, ro, V_MOVE));
    K_EQ(b->count, 2);
    K_EQ(b->entry[1].rights, V_R_WRITE | V_R_GRANT);
    drop_shell(&s);
}

KCASE(BUN0003, 1, "what if a Bundle name is empty, too long, has odd characters, or repeats?")
{
    struct shell s;
    SHELL(&s, 5);
    K_ERR(v_bundle_add(s.task, (uint64_t)"x", 0, DEBUG, 0), V_EINVAL);
    K_ERR(v_bundle_add(s.task, (uint64_t)"abcdefghijklmnopqrstuvwxyz", 24, DEBUG, 0), V_ETOOBIG);
    K_ERR(v_bundle_add(s.task, (uint64_t)"a b", 3, DEBUG, 0), V_EINVAL);
    K_ERR(v_bundle_add(s.task, (uint64_t)"a\0b", 3, DEBUG, 0), V_EINVAL);
    K_ERR(v_bundle_add(s.task, (uint64_t)"\n", 1, DEBUG, 0), V_EINVAL);
    K_OK(v_bundle_add(s.task, (uint64_t)"log", 3, DEBUG, 0));
    K_ERR(v_bundle_add(s.task, (uint64_t)"log", 3, DEBUG, 0), V_EEXIST);
    drop_shell(&s);
}

KCASE(BUN0004, 1, "what if the Bundle name pointer is bad?")
{
    struct shell s;
    SHELL(&s, 5);
    K_ERR(v_bundle_add(s.task, 0xffffffff80100000ull, 4, DEBUG, 0), V_EFAULT);
    K_ERR(v_bundle_add(s.task, 0x8000000000000000ull, 4, DEBUG, 0), V_EFAULT);
    K_ERR(v_bundle_add(s.task, 0x500000000000ull, 4, DEBUG, 0), V_EFAULT);
    K_ERR(v_bundle_add(s.task, V_USER_TOP - 2, 4, DEBUG, 0), V_EFAULT);
    drop_shell(&s);
}

KCASE(BUN0005, 1, "what if a Bundle fills up, or the child's table does?")
{
    struct shell s;
    SHELL(&s, 5);
    char name[8];
    int i = 0;
    struct v_ret r;
    for (;; i++) {
        int n = snprintf(name, sizeof name, "c%d", i);
        r = v_bundle_add(s.task, (uint64_t)name, (uint64_t)n, DEBUG, 0);
        if (r.err)
            break;
    }
    K_EQ(r.err, V_EFULL);        /* the 31-slot table fills before the page */
    K_EQ(i, 31);
    drop_shell(&s);
    SHELL(&s, 8);
    for (i = 0;; i++) {
        int n = snprintf(name, sizeof name, "c%d", i);
        r = v_bundle_add(s.task, (uint64_t)name, (uint64_t)n, DEBUG, 0);
        if (r.err)
            break;
    }
    K_EQ(r.err, V_EFULL);
    K_EQ(i, 127);                /* now the page */
    drop_shell(&s);
}

KCASE(BUN0006, 1, "what if bundle_add names a Task without a Bundle page, or a capability it may not grant?")
{
    v_handle task = (v_handle)K_OK(v_retype(T, V_TYPE_TASK, 0, V_SLOT_ANY));
    K_ERR(v_bundle_add(task, (uint64_t)"x", 1, DEBUG, 0), V_ESTATE);
    K_OK(v_cap_delete(task));
    struct shell s;
    SHELL(&s, 5);
    v_handle ng = (v_handle)K_OK(v_cap_mint(DEBUG, V_SLOT_ANY, V_R_WRITE, 0));
    K_ERR(v_bundle_add(s.task, (uint64_t)"x", 1, ng, 0), V_ERIGHTS);
    K_ERR(v_bundle_add(s.task, (uint64_t)"x", 1, DEBUG, 4), V_EINVAL);
    K_ERR(v_bundle_add(s.tab, (uint64_t)"x", 1, DEBUG, 0), V_ETYPE);
    K_ERR(v_bundle_add(s.task, (uint64_t)"x", 1, s.tab, 0), V_EINVAL);   /* its own table */
    K_OK(v_cap_delete(ng));
    drop_shell(&s);
}

KCASE(BUN0007, 0, "bundle_add with no capability names the Task, only before it starts")
{
    struct shell s;
    SHELL(&s, 5);
    K_OK(v_bundle_add(s.task, (uint64_t)"svc.naming", 10, 0, 0));
    struct v_taskinfo i;
    K_OK(v_task_info(s.task, (uint64_t)&i));
    K_TRUE(!strcmp(i.name, "svc.naming"));
    drop_shell(&s);
}

KCASE(BUN0008, 1, "what if a Task maps over its Bundle's place before configuration?")
{
    v_handle task = (v_handle)K_OK(v_retype(T, V_TYPE_TASK, 0, V_SLOT_ANY));
    v_handle tab = (v_handle)K_OK(v_retype(T, V_TYPE_CAPTABLE, 5, V_SLOT_ANY));
    v_handle as = (v_handle)K_OK(v_retype(T, V_TYPE_ASPACE, 0, V_SLOT_ANY));
    v_handle f = kt_frame(), page = kt_frame();
    K_OK(v_as_map(as, f, V_BUNDLE_ADDR, V_R_READ));
    K_ERR(v_task_config(task, tab, as, 1, 0, page), V_EEXIST);
    K_OK(v_cap_delete(f));
    K_OK(v_cap_delete(page));
    K_OK(v_cap_delete(task));
    K_OK(v_cap_delete(as));
    K_OK(v_cap_delete(tab));
}
