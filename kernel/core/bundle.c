/*
 * bundle.c: the Bundle, a child's entire authority, named.
 *
 * The configuring parent gives a frame (task_config's last argument);
 * the kernel maps it read-only into the child at V_BUNDLE_ADDR and writes
 * each entry itself as bundle_add copies a capability into the child's
 * table, so the listing always says what was actually granted: name,
 * type, rights and the handle in the child's table. The child looks capabilities
 * up by name (the runtime's rt_cap), never by number.
 */
#include "core/aspace.h"
#include "core/object.h"
#include "core/label.h"
#include "core/syscall.h"
#include "core/task.h"

static bool valid_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.' || c == ':' || c == '/';
}

/* bundle_add(task, name, len, h, flags) -> the handle in the child's table.
 * With h = 0 the name becomes the Task's own name (for reports and ps). */
struct v_ret sys_bundle_add(struct task *self, const struct sys_args *a)
{
    struct captable *tab = task_table(self);
    struct cap *tc, *src = 0, *dst;
    char name[V_BUNDLE_NAME];
    uint64_t len = a->a[2];
    int e = cap_lookup(tab, a->a[0], V_TYPE_TASK, V_R_CONTROL, &tc);
    if (!e && !task_flows(self, tc->obj))
        e = V_EFLOW;                /* a Bundle entry tells the child something */
    if (e || (a->a[3] && (e = cap_lookup(tab, a->a[3], 0, V_R_GRANT, &src))))
        return sys_err(e);
    struct task *t = tc->obj;
    if (len == 0)
        return sys_err(V_EINVAL);
    if (len >= V_BUNDLE_NAME)
        return sys_err(V_ETOOBIG);
    if (a->a[4] & ~(uint64_t)V_MOVE)
        return sys_err(V_EINVAL);
    memset(name, 0, sizeof name);
    if (arch_copy_from_user(name, a->a[1], len))
        return sys_err(V_EFAULT);
    for (uint64_t i = 0; i < len; i++)
        if (!valid_name_char(name[i]))
            return sys_err(V_EINVAL);
    if (a->a[3] == 0) {
        if (t->state != TASK_INACTIVE)
            return sys_err(V_ESTATE);
        memset(t->name, 0, sizeof t->name);
        memcpy(t->name, name, len);
        return sys_ok(0);
    }
    if (cap_empty(&t->bundle) || !task_table(t))
        return sys_err(V_ESTATE);
    struct v_bundle *b = arch_phys_to_virt(frame_phys(&t->bundle));
    if (b->count >= ARRAY_LEN(b->entry))
        return sys_err(V_EFULL);
    for (uint32_t i = 0; i < b->count; i++)
        if (!memcmp(b->entry[i].name, name, sizeof name))
            return sys_err(V_EEXIST);
    struct captable *to = task_table(t);
    if (src->type == V_TYPE_CAPTABLE && src->obj == to)
        return sys_err(V_EINVAL);   /* a table may not hold itself */
    if ((e = cap_dest(to, V_SLOT_ANY, &dst)))
        return sys_err(e);
    unsigned type = src->type;
    obj_transfer(dst, src, a->a[4] & V_MOVE);
    struct v_bundle_entry *en = &b->entry[b->count++];
    memcpy(en->name, name, sizeof name);
    en->type = (uint16_t)type;
    en->rights = (uint16_t)dst->rights;
    en->handle = cap_handle(to, dst);
    return sys_ok(en->handle);
}
