/*
 * capbind.c: which capsule version each capsule service runs. At boot,
 * capsule_validate binds every manifest reference {name, vcid} to a
 * verified capsule: exactly the pinned version, or the newest valid one
 * of that name (SemVer precedence, lib/semver); and every capability the
 * manifest grants the service must be among that version's `requires`
 * (which the verifier has held under the domain's ceiling): grants <=
 * requires <= ceiling. After boot, only upgrade.c moves a service to
 * another version (capsule_run), and keeps the versions it ran before.
 *
 * Owns: bound_all()[] (version and history per service), nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "capsvc.h"
#include "semver/semver.h"

static struct {
    int cur;                     /* the version it runs (or will); -1: none */
    int history[HISTORY];        /* versions it ran before, newest last */
    int nhistory;
} *bound_tab;

/* One entry per service (svc_table), made at the first use, once the
 * manifest has said how many there are. */
static typeof(bound_tab) bound_all(void)
{
    if (!bound_tab)
        bound_tab = svc_table(sizeof *bound_tab);
    return bound_tab;
}

/* The capability name a manifest grant stands for among a capsule's requires. */
static const char *grant_cap(const struct grant *g, char *buf, size_t n)
{
    switch (g->type) {
    case G_SERVICE:
        snprintf(buf, n, "svc:%s", g->source);
        return buf;
    case G_INTRODUCE:
        return "IPC_INTRODUCE";
    case G_IRQ:
        return "HW_IRQ";
    case G_IOPORT:
        return "HW_IOPORT";
    case G_CONSOLE:
        return "DEBUG_CONSOLE";
    case G_MEMORY:
        return 0;       /* bounded by the grant itself */
    case G_DEVICE:
    case G_PLATFORM:
        return "HW_DEVICE";
    }
    return 0;
}

static bool requires(const struct capsule *c, const char *cap)
{
    for (uint32_t i = 0; i < capsule_manifest_count(&c->m, CAPSULE_REQUIRES); i++)
        if (capsule_text_is(capsule_manifest_item(&c->m, CAPSULE_REQUIRES, i), cap))
            return true;
    return false;
}

/* NULL, or the first grant of s that version k does not require (in buf). */
const char *grants_beyond(const struct service *s, int k, char *buf, size_t n)
{
    for (int g = 0; g < s->ngrants; g++) {
        char tmp[64];
        const char *cap = grant_cap(&s->grants[g], tmp, sizeof tmp);
        if (cap && !requires(capsule_at(k), cap)) {
            snprintf(buf, n, "grant '%s' (%s)", s->grants[g].name, cap);
            return buf;
        }
    }
    return 0;
}

static int newest_valid(const char *name)
{
    int best = -1;
    for (int k = 0; k < capsule_count(); k++)
        if (capsule_at(k)->valid && !strcmp(capsule_at(k)->name, name) &&
            (best < 0 || semver_cmp(capsule_at(k)->ver, capsule_at(best)->ver) >= 0))
            best = k;
    return best;
}

void capsule_validate(void)
{
    for (int i = 0; i < nsvc; i++)
        bound_all()[i].cur = -1;
    for (int i = 0; i < nsvc; i++) {
        struct service *s = &svcs[i];
        const struct capsule_ref *cs = &s->ref;
        if (!cs->used || s->state == S_REFUSED)
            continue;
        if (cs->bad[0]) {
            svc_refuse(s, "%s", cs->bad);
            continue;
        }
        int k = -1;
        if (cs->pinned) {
            for (int j = 0; j < capsule_count(); j++)
                if (capsule_at(j)->have_vcid && !memcmp(capsule_at(j)->vcid, cs->vcid, 32))
                    k = j;
            char id[65];
            hex(id, cs->vcid, 32);
            id[16] = 0;
            if (k < 0) {
                svc_refuse(s, "no capsule with vcid %s.. in the boot image", id);
                continue;
            }
            if (capsule_at(k)->valid && strcmp(capsule_at(k)->name, cs->name)) {
                svc_refuse(s, "vcid %s.. is capsule '%s', not '%s'", id, capsule_at(k)->name,
                           cs->name);
                continue;
            }
        } else {
            k = newest_valid(cs->name);
            for (int j = 0; k < 0 && j < capsule_count(); j++)
                if (!strcmp(capsule_at(j)->name, cs->name))
                    k = j;      /* only refused versions: say why */
            if (k < 0) {
                svc_refuse(s, "no capsule named '%s' in the boot image", cs->name);
                continue;
            }
        }
        const struct capsule *c = capsule_at(k);
        if (!c->valid) {
            svc_refuse(s, "capsule '%s %s' refused: %s", c->name, c->ver, c->brief);
            continue;
        }
        if (!c->elf) {
            svc_refuse(s, "capsule '%s %s' has no entry program", c->name, c->ver);
            continue;
        }
        char what[96];
        if (grants_beyond(s, k, what, sizeof what)) {
            svc_refuse(s, "%s is not among capsule '%s %s''s requires", what, c->name, c->ver);
            continue;
        }
        capsule_run(s, k);
    }
}


int capsule_cur(const struct service *s)
{
    return s->ref.used ? bound_all()[s - svcs].cur : -1;
}

const char *capsule_name_of(const struct service *s) { return s->ref.name; }

void capsule_run(struct service *s, int k)
{
    bound_all()[s - svcs].cur = k;
    svc_set_binary(s, capsule_at(k)->elf, capsule_at(k)->elf_len);
}

int capsule_history(const struct service *s, int *out)
{
    int n = bound_all()[s - svcs].nhistory;
    memcpy(out, bound_all()[s - svcs].history, sizeof bound_all()[0].history[0] * (size_t)n);
    return n;
}

void capsule_history_push(struct service *s, int k)
{
    int *h = bound_all()[s - svcs].history, *n = &bound_all()[s - svcs].nhistory;
    if (*n == HISTORY) {
        memmove(h, h + 1, sizeof h[0] * (HISTORY - 1));
        (*n)--;
    }
    h[(*n)++] = k;
}

int capsule_history_pop(struct service *s, int k)
{
    int *h = bound_all()[s - svcs].history, *n = &bound_all()[s - svcs].nhistory;
    if (!*n || (k >= 0 && h[*n - 1] != k))
        return -1;
    return h[--*n];
}

const char *capsule_of(const struct service *s)
{
    static char buf[CAP_NAME + CAP_VER + 2];
    int k = capsule_cur(s);
    if (!s->ref.used)
        return "";
    if (k < 0)
        snprintf(buf, sizeof buf, "%s", s->ref.name);
    else
        snprintf(buf, sizeof buf, "%s %s", s->ref.name, capsule_at(k)->ver);
    return buf;
}

/* A service by its own name or by the capsule it runs. */
struct service *service_for(struct capnp_text t)
{
    if (!t.str || !t.len)
        return 0;
    int i = svc_find(t.str);
    if (i >= 0 && svcs[i].ref.used)
        return &svcs[i];
    for (i = 0; i < nsvc; i++)
        if (svcs[i].ref.used && !strcmp(svcs[i].ref.name, t.str))
            return &svcs[i];
    return 0;
}

int capsule_user_of(int k, bool *previous)
{
    *previous = false;
    for (int i = 0; i < nsvc; i++)
        if (svcs[i].ref.used && bound_all()[i].cur == k)
            return i;
    for (int i = 0; i < nsvc; i++)
        for (int h = 0; svcs[i].ref.used && h < bound_all()[i].nhistory; h++)
            if (bound_all()[i].history[h] == k) {
                *previous = true;
                return i;
            }
    return -1;
}
