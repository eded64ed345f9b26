/*
 * manifest.c: read the system manifest (canonical Cap'n Proto bytes,
 * schema/system.capnp) and decide which services may run.
 *
 * A service is refused, with its reason printed and recorded, when:
 *   - its name is malformed or repeated, or its module is not in the image;
 *   - it depends on an unknown service, on itself, or on a cycle;
 *   - a grant names an unknown service, a service it does not depend on
 *     (so the provider is sure to be started first), an interrupt line or
 *     port range init does not hold or another service already has, or
 *     more memory than the limit;
 *   - it depends on a refused service.
 * Everything else still boots. A service whose binary is a capsule has
 * its reference read here (capsule_ref_read) and bound to a verified
 * version later, by capbind.c, before refusals spread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"
#include "schema/system.capnp.h"
#include "strconv/strconv.h"

#define MEM_DEFAULT (1024 * 1024)
/* 128 MiB: keyd seals with Argon2id at 64 MiB (RFC 9106) and needs more beside it */
#define MEM_LIMIT (128ull << 20)

static bool valid_name(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 19)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = n[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i && (c == '-' || c == '.'))))
            return false;
    }
    return true;
}

static void copy_text(char *dst, size_t cap, struct capnp_text t)
{
    size_t n = t.len < cap - 1 ? t.len : cap - 1;
    memcpy(dst, t.str, n);
    dst[n] = 0;
}

/* A capsule reference {name, vcid}: what the manifest says, checked
 * for form only (capbind.c finds the version). */
static void capsule_ref_read(struct capsule_ref *r, const char *name, size_t len,
                             const void *vcid, size_t vlen)
{
    memset(r, 0, sizeof *r);
    r->used = true;
    if (!name || !len || len >= CAP_NAME)
        snprintf(r->bad, sizeof r->bad, "its capsule reference has no valid name");
    else
        memcpy(r->name, name, len);
    if (vlen == 32) {
        memcpy(r->vcid, vcid, 32);
        r->pinned = true;
    } else if (vlen) {
        snprintf(r->bad, sizeof r->bad, "capsule vcid has %u bytes, not 32", (unsigned)vlen);
    }
}

static const struct v_bootinfo *bootinfo(void)
{
    const struct v_bootinfo *b = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    return b->magic == (V_BUNDLE_MAGIC ^ 1) ? b : 0;
}

static bool find_module(const char *name, const void **p, size_t *len)
{
    const struct v_bootinfo *bi = bootinfo();
    for (uint32_t i = 0; bi && i < bi->nmodules && i < 16; i++)
        if (!strcmp(bi->module[i].name, name)) {
            *p = (const void *)bi->module[i].vaddr;
            *len = bi->module[i].size;
            return true;
        }
    return false;
}

int manifest_load(const void *bytes, size_t len, char *err, size_t errlen)
{
    struct capnp_msg msg;
    int e = capnp_msg_init_flat(&msg, bytes, len);
    if (e) {
        snprintf(err, errlen, "not a Cap'n Proto message: %s", capnp_strerror(e));
        return -1;
    }
    SystemManifest_R m = SystemManifest_read_root(&msg);
    if (SystemManifest_version(m) != 1) {
        snprintf(err, errlen, "manifest version %u is not 1", SystemManifest_version(m));
        return -1;
    }
    SystemManifest_Service_RList list = SystemManifest_services(m);
    uint32_t n = SystemManifest_Service_RList_len(list);
    if (n > INT32_MAX / 2 || svc_alloc((int)n)) {
        snprintf(err, errlen, "%u services: more than init's memory holds", n);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        SystemManifest_Service_R r = SystemManifest_Service_RList_get(list, i);
        struct service *s = &svcs[nsvc++];
        memset(s, 0, sizeof *s);
        s->last_exit = INT64_MIN;       /* never exited (Supervisor.ServiceInfo) */
        s->state = S_WAITING;
        copy_text(s->name, sizeof s->name, SystemManifest_Service_name(r));
        SystemManifest_Service_binary_R bin = SystemManifest_Service_binary(r);
        if (SystemManifest_Service_binary_which(bin) == SystemManifest_Service_binary_which_module)
            copy_text(s->module, sizeof s->module, SystemManifest_Service_binary_module(bin));
        else {
            SystemManifest_CapsuleRef_R c = SystemManifest_Service_binary_capsule(bin);
            struct capnp_text cn = SystemManifest_CapsuleRef_name(c);
            struct capnp_data cv = SystemManifest_CapsuleRef_vcid(c);
            capsule_ref_read(&s->ref, cn.str, cn.len, cv.ptr, cv.len);
        }
        struct capnp_list deps = SystemManifest_Service_dependencies(r);
        uint32_t nd = capnp_list_len(deps);
        if (nd && (nd > INT32_MAX / 2 || !(s->deps = calloc(nd, sizeof *s->deps)) ||
                   !(s->dep = calloc(nd, sizeof *s->dep)))) {
            svc_refuse(s, "%u dependencies: more than init's memory holds", nd);
            nd = 0;
        }
        for (uint32_t k = 0; k < nd; k++)
            copy_text(s->deps[s->ndeps++], NAME_LEN, capnp_list_text(deps, k));
        SystemManifest_CapGrant_RList gl = SystemManifest_Service_capabilities(r);
        uint32_t ng = SystemManifest_CapGrant_RList_len(gl);
        if (ng && (ng > INT32_MAX / 2 || !(s->grants = calloc(ng, sizeof *s->grants)))) {
            svc_refuse(s, "%u capabilities: more than init's memory holds", ng);
            ng = 0;
        }
        for (uint32_t k = 0; k < ng; k++) {
            SystemManifest_CapGrant_R g = SystemManifest_CapGrant_RList_get(gl, k);
            struct grant *gr = &s->grants[s->ngrants++];
            copy_text(gr->name, sizeof gr->name, SystemManifest_CapGrant_name(g));
            copy_text(gr->source, sizeof gr->source, SystemManifest_CapGrant_source(g));
            gr->type = (enum grant_type)SystemManifest_CapGrant_type(g);
            gr->confined = SystemManifest_CapGrant_confined(g);
            gr->iface = SystemManifest_CapGrant_interfaceId(g);
        }
        struct capnp_list args = SystemManifest_Service_args(r);
        if (capnp_list_len(args)) {
            struct capnp_text a0 = capnp_list_text(args, 0);
            if (!a0.str || sc_parse_u64(a0.str, a0.len, 0, &s->arg) != SC_OK)
                svc_refuse(s, "args[0] is not a number");
        }
        s->policy = (enum policy)SystemManifest_Service_restart(r);
        s->prio = SystemManifest_Service_priority(r);
        s->label = SystemManifest_Service_label(r);
        s->memory = MEM_DEFAULT;
    }
    if (capnp_msg_error(&msg)) {
        snprintf(err, errlen, "manifest is malformed: %s", capnp_strerror(capnp_msg_error(&msg)));
        nsvc = 0;
        return -1;
    }
    svc_index();
    return 0;
}

static bool depends_on(const struct service *s, int idx)
{
    for (int d = 0; d < s->ndeps; d++)
        if (s->dep[d] == idx)
            return true;
    return false;
}

static bool parse_size(const char *src, uint64_t *out)
{
    size_t n = strlen(src);
    uint64_t mul = 1;
    if (n && (src[n - 1] == 'K' || src[n - 1] == 'k'))
        mul = 1024, n--;
    else if (n && (src[n - 1] == 'M' || src[n - 1] == 'm'))
        mul = 1024 * 1024, n--;
    uint64_t v;
    if (sc_parse_u64(src, n, 10, &v) != SC_OK || v > MEM_LIMIT / mul)
        return false;
    *out = v * mul;
    return true;
}

/* "ioport:0x3f8-0x3ff" -> base, count; "irq:4" -> line. */
static bool parse_grant_source(struct grant *g)
{
    const char *s = g->source;
    if (g->type == G_IRQ) {
        if (strncmp(s, "irq:", 4))
            return false;
        return sc_parse_u64(s + 4, strlen(s + 4), 0, &g->a) == SC_OK && g->a < 16;
    }
    if (g->type == G_IOPORT) {
        if (strncmp(s, "ioport:", 7))
            return false;
        const char *dash = strchr(s + 7, '-');
        uint64_t lo, hi;
        if (!dash || sc_parse_u64(s + 7, (size_t)(dash - s - 7), 0, &lo) != SC_OK ||
            sc_parse_u64(dash + 1, strlen(dash + 1), 0, &hi) != SC_OK || hi < lo || hi > 0xffff)
            return false;
        g->a = lo;
        g->b = hi - lo + 1;
        return true;
    }
    if (g->type == G_MEMORY)
        return parse_size(s, &g->a);
    return true;
}

/* svc_order[0..norder): every service not on or behind a dependency
 * cycle, each after what it depends on (unknown and self dependencies,
 * refused already, do not count). Kahn's
 * algorithm over a reverse adjacency (dependents, CSR): linear in
 * services plus dependencies. */
int norder;
static void order_services(void)
{
    int *pending = svc_table(sizeof *pending);      /* unplaced dependencies */
    int *first = calloc((size_t)nsvc + 1, sizeof *first);
    size_t nedge = 0;
    for (int i = 0; i < nsvc; i++)
        nedge += (size_t)svcs[i].ndeps;
    int *dependent = malloc((nedge ? nedge : 1) * sizeof *dependent);
    svc_order = svc_table(sizeof *svc_order);
    if (!first || !dependent)
        rt_die("init: no memory to order %d services", nsvc);
    for (int i = 0; i < nsvc; i++)
        for (int d = 0; d < svcs[i].ndeps; d++) {
            int j = svcs[i].dep[d];
            if (j >= 0 && j != i) {     /* an unknown or self dependency is refused already */
                pending[i]++;
                first[j + 1]++;
            }
        }
    for (int j = 0; j < nsvc; j++)
        first[j + 1] += first[j];
    int *fill = svc_table(sizeof *fill);
    for (int i = 0; i < nsvc; i++)
        for (int d = 0; d < svcs[i].ndeps; d++) {
            int j = svcs[i].dep[d];
            if (j >= 0 && j != i)
                dependent[first[j] + fill[j]++] = i;
        }
    norder = 0;
    for (int i = 0; i < nsvc; i++)
        if (!pending[i])
            svc_order[norder++] = i;
    for (int k = 0; k < norder; k++) {
        int j = svc_order[k];
        for (int e = first[j]; e < first[j + 1]; e++)
            if (--pending[dependent[e]] == 0)
                svc_order[norder++] = dependent[e];
    }
    free(fill);
    free(dependent);
    free(first);
    free(pending);
}

void manifest_validate(void)
{
    /* names, modules, duplicates */
    for (int i = 0; i < nsvc; i++) {
        struct service *s = &svcs[i];
        if (!valid_name(s->name))
            svc_refuse(s, "'%s' is not a valid service name ([a-z0-9][a-z0-9.-]{0,18})", s->name);
        if (svc_find(s->name) != i)
            svc_refuse(s, "a second service named '%s'", s->name);
        if (!strcmp(s->name, "init"))
            svc_refuse(s, "'init' is init itself");
        if (s->module[0] && !find_module(s->module, &s->elf, &s->elf_len))
            svc_refuse(s, "module '%s' is not in the boot image", s->module);
        if (s->prio > 16)
            svc_refuse(s, "priority %u is above init's (16)", s->prio);
    }
    /* dependencies */
    for (int i = 0; i < nsvc; i++) {
        struct service *s = &svcs[i];
        for (int d = 0; d < s->ndeps; d++) {
            s->dep[d] = svc_find(s->deps[d]);
            if (s->dep[d] < 0)
                svc_refuse(s, "depends on unknown service '%s'", s->deps[d]);
            else if (s->dep[d] == i)
                svc_refuse(s, "depends on itself");
        }
    }
    /* cycles: a topological order (Kahn's), linear in services and
     * dependencies; whoever it cannot place is on or behind a cycle */
    order_services();
    bool *ok = svc_table(sizeof *ok);
    for (int k = 0; k < norder; k++)
        ok[svc_order[k]] = true;
    for (int i = 0; i < nsvc; i++)
        if (!ok[i])
            svc_refuse(&svcs[i], "is part of a dependency cycle");
    free(ok);
    /* grants */
    v_handle irq = rt_cap("irq");
    struct v_capinfo irqi = {0}, ioi = {0};
    v_cap_info(irq, (uint64_t)&irqi);
    v_cap_info(rt_cap("ioports"), (uint64_t)&ioi);
    struct hw_grant {
        const struct grant *g;
        int svc;
    } *hw = 0;
    int nhw = 0, hwcap = 0;
    for (int i = 0; i < nsvc; i++) {
        struct service *s = &svcs[i];
        for (int k = 0; k < s->ngrants; k++) {
            struct grant *g = &s->grants[k];
            if (!g->name[0] || strlen(g->name) > 19 || strchr(g->name, ' '))
                svc_refuse(s, "grant name '%s' is not valid", g->name);
            if (g->type > G_PLATFORM) {
                svc_refuse(s, "grant '%s' has an unknown type", g->name);
                continue;
            }
            if (!parse_grant_source(g)) {
                svc_refuse(s, "grant '%s': cannot read source '%s'", g->name, g->source);
                continue;
            }
            switch (g->type) {
            case G_SERVICE:
            case G_INTRODUCE:
                g->svc = strcmp(g->source, "init") ? svc_find(g->source) : -1;
                if (strcmp(g->source, "init") && g->svc < 0)
                    svc_refuse(s, "grant '%s' names unknown service '%s'", g->name, g->source);
                else if (g->type == G_SERVICE && g->svc >= 0 && !depends_on(s, g->svc))
                    svc_refuse(s, "grant '%s' needs '%s' among its dependencies", g->name, g->source);
                break;
            case G_IRQ:
                if (!(irqi.arg & (1ull << g->a)))
                    svc_refuse(s, "grant '%s': %s is not available", g->name, g->source);
                break;
            case G_IOPORT: {
                uint64_t b = ioi.arg & 0xffff, n = ioi.arg >> 16;
                /* or the CMOS clock's ports (0x70-0x71, init's "rtc"): the wall
                 * clock for a service that dates certificates (keyd) */
                bool rtc = g->a >= 0x70 && g->a + g->b <= 0x72;
                if (!rtc && (g->a < b || g->a + g->b > b + n))
                    svc_refuse(s, "grant '%s': %s is not available", g->name, g->source);
                break;
            }
            case G_MEMORY:
                s->memory = g->a;
                break;
            case G_CONSOLE:
                break;
            case G_DEVICE:
            case G_PLATFORM: {
                char why[96];
                if (!device_validate(s, g, why, sizeof why))
                    svc_refuse(s, "%s", why);
                break;
            }
            }
            /* hardware is given to one service only: checked against the
             * earlier services' interrupt and port grants alone (a list
             * of them), not every grant of every service */
            if (g->type != G_IRQ && g->type != G_IOPORT)
                continue;
            for (int h = 0; h < nhw; h++) {
                const struct grant *o = hw[h].g;
                if (o->type != g->type || svcs[hw[h].svc].state == S_REFUSED)
                    continue;
                if ((g->type == G_IRQ && o->a == g->a) ||
                    (g->type == G_IOPORT && g->a < o->a + o->b && o->a < g->a + g->b))
                    svc_refuse(s, "grant '%s': %s already belongs to '%s'", g->name, g->source,
                               svcs[hw[h].svc].name);
            }
            if (nhw == hwcap) {
                hwcap = hwcap ? 2 * hwcap : 16;
                void *m = realloc(hw, hwcap * sizeof *hw);
                if (!m)
                    rt_die("init: no memory for the hardware grants");
                hw = m;
            }
            hw[nhw++] = (struct hw_grant){g, i};
        }
    }
    free(hw);
}

/* Refusal spreads to dependents (after the capsules are bound, which may
 * refuse a service too): one pass in dependency order reaches every
 * dependent of a refused service (those off the order, on a cycle, are
 * refused already). */
void manifest_spread_refusals(void)
{
    for (int k = 0; k < norder; k++) {
        int i = svc_order[k];
        if (svcs[i].state == S_REFUSED)
            continue;
        for (int d = 0; d < svcs[i].ndeps; d++)
            if (svcs[i].dep[d] >= 0 && svcs[svcs[i].dep[d]].state == S_REFUSED) {
                svc_refuse(&svcs[i], "depends on refused service '%s'", svcs[i].deps[d]);
                break;
            }
    }
}
