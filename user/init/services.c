/*
 * services.c: the table of services, filled by manifest_load (as many as
 * the manifest has and init's Reticle holds, in manifest order, never
 * reordered: a service's index is its identity for every parallel table
 * in init's layers, each made by svc_table); a hash index of their names,
 * so svc_find is O(1); and init's own handles every layer uses, set once
 * by main before anything starts.
 */
#include <stdlib.h>
#include <string.h>

#include "init.h"

v_handle init_memory, init_accept_tx, init_fault_signal;

struct service *svcs;
int nsvc;
int *svc_order;

static int *name_ix;            /* open addressing: -1 empty, else an index */
static uint32_t ix_mask;

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

int svc_alloc(int n)
{
    nsvc = 0;
    svcs = calloc(n ? (size_t)n : 1, sizeof *svcs);
    return svcs ? V_OK : V_ENOMEM;
}

void svc_index(void)
{
    uint32_t size = 2;
    while (size < 2u * (uint32_t)nsvc)
        size *= 2;
    free(name_ix);
    name_ix = malloc(size * sizeof *name_ix);
    if (!name_ix)
        rt_die("init: no memory for the index of %d services", nsvc);
    memset(name_ix, 0xff, size * sizeof *name_ix);
    ix_mask = size - 1;
    for (int i = 0; i < nsvc; i++) {
        uint32_t h = name_hash(svcs[i].name) & ix_mask;
        for (; name_ix[h] >= 0; h = (h + 1) & ix_mask)
            if (!strcmp(svcs[name_ix[h]].name, svcs[i].name))
                break;          /* a repeated name: the first keeps it */
        if (name_ix[h] < 0)
            name_ix[h] = i;
    }
}

int svc_find(const char *name)
{
    if (!name_ix)
        return -1;
    for (uint32_t h = name_hash(name) & ix_mask; name_ix[h] >= 0; h = (h + 1) & ix_mask)
        if (!strcmp(svcs[name_ix[h]].name, name))
            return name_ix[h];
    return -1;
}

void *svc_table(size_t elem)
{
    void *t = calloc(nsvc ? (size_t)nsvc : 1, elem);
    if (!t)
        rt_die("init: no memory for a table of %d services", nsvc);
    return t;
}

const char *const svc_state_names[] = {"waiting", "running", "stopped", "exited",
                                       "failed", "refused", "quarantined"};
