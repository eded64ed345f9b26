/*
 * bundle.c: what a manifest grant becomes in a service's Bundle, and the
 * connections grants stand for. A service starts with every item its
 * manifest entry promises or not at all: the first one that cannot be
 * made (a failed copy or mint, a connection refused, no room) ends the
 * building, and every item made so far is deleted.
 *
 * The items, for service s:
 *   listen            the receive end of s's accept Ring (init keeps the send end)
 *   listen.<who>      one per service that has an introduce grant into s
 *   <grant>, <grant>.rx   a service grant: a new connection's client ends
 *   <grant>           an introduce grant: s's own accept Ring into the provider;
 *                     irq / ioport: the line or range, minted from init's;
 *                     console: a copy of init's debug console
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"

/* The Bundle items being built: the accept Ring, one accept Ring per
 * introduce grant into this service, and up to DEV_ITEMS per grant; the
 * arrays grow from init's heap (no fixed limit below its Reticle). */
struct items {
    struct rt_bundle_item *item;
    char (*names)[V_BUNDLE_NAME];
    unsigned n, cap;
    char *why;
    size_t whylen;
};

/* Add the capability a copy or mint just made (made) to the Bundle being
 * built. False, with why set, if it could not be made or there is no
 * room (then it is deleted): a service starts with every grant its
 * manifest promised or not at all. */
static bool add_item(struct items *it, const char *name, struct v_ret made)
{
    if (made.err) {
        snprintf(it->why, it->whylen, "grant '%s': %s", name, rt_errname(made.err));
        return false;
    }
    if (it->n == it->cap) {
        unsigned cap = it->cap ? 2 * it->cap : 32;
        struct rt_bundle_item *item = realloc(it->item, cap * sizeof *item);
        if (item)
            it->item = item;
        char(*names)[V_BUNDLE_NAME] = item ? realloc(it->names, cap * sizeof *names) : 0;
        if (!names) {
            v_cap_delete((v_handle)made.val);
            snprintf(it->why, it->whylen, "grant '%s': no memory for %u Bundle items", name,
                     cap);
            return false;
        }
        it->names = names;
        it->cap = cap;
        for (unsigned i = 0; i < it->n; i++)    /* the names moved */
            it->item[i].name = it->names[i];
    }
    snprintf(it->names[it->n], V_BUNDLE_NAME, "%s", name);
    it->item[it->n] = (struct rt_bundle_item){it->names[it->n], (v_handle)made.val, true};
    it->n++;
    return true;
}

/* A new connection for s's service grant g: a fresh Ring pair whose
 * server ends go through the provider's accept Ring (init's own for
 * "init"), introduced under s's name; the client's ends come back in
 * client. At spawn for every grant, and again for reroot. */
int grant_connect(const struct service *s, const struct grant *g, v_handle client[2])
{
    v_handle accept = g->svc >= 0 ? svcs[g->svc].accept_tx : init_accept_tx;
    if (g->type != G_SERVICE || !accept)
        return IPC_CLOSED;
    return ipc_introduce(init_memory, accept, s->name, client);
}

/* Whose Supervisor connection c is. Only init holds the send end of its
 * own accept Ring, so every connection there is one init made in
 * svc_spawn (grant_connect), and the name it arrived with (c->peer,
 * written by init, not by the client) is the service's it was made for.
 * A connection on an introducer's accept Ring into init (a logged-in
 * session, session.c) carries the name the introducer (keyd, trusted by
 * the signed manifest with that grant) gave it: the session's service. A request still queued from an instance
 * since destroyed is judged against the same manifest entry. 0 if that
 * service is not running. */
struct service *svc_of_conn(const struct ipc_conn *c)
{
    int i = svc_find(c->peer);
    return i >= 0 && svcs[i].state == S_RUNNING ? &svcs[i] : 0;
}

/* s's grant of the naming root called name (a service grant whose name
 * ends in ':'), or 0 if its manifest entry has none. */
const struct grant *svc_root_grant(const struct service *s, const char *name)
{
    size_t n = strlen(name);
    if (n < 2 || name[n - 1] != ':')
        return 0;
    for (int k = 0; k < s->ngrants; k++)
        if (s->grants[k].type == G_SERVICE && !strcmp(s->grants[k].name, name))
            return &s->grants[k];
    return 0;
}

/* One grant's Bundle items. */
static bool add_grant(struct items *it, const struct service *s, const struct grant *g)
{
    v_handle client[2];
    char rxname[V_BUNDLE_NAME + 4];
    switch (g->type) {
    case G_SERVICE:
        if (grant_connect(s, g, client) != IPC_OK) {
            snprintf(it->why, it->whylen, "cannot connect '%s' to '%s'", g->name, g->source);
            return false;
        }
        snprintf(rxname, sizeof rxname, "%s.rx", g->name);
        if (!add_item(it, g->name, (struct v_ret){V_OK, client[0]})) {
            v_cap_delete(client[1]);
            return false;
        }
        return add_item(it, rxname, (struct v_ret){V_OK, client[1]});
    case G_INTRODUCE:
        /* this service's own accept Ring into the provider (a Ring has
         * one producer: init introduces through another) */
        return add_item(it, g->name, v_cap_copy((v_handle)g->a, V_SLOT_ANY));
    case G_IRQ:
        return add_item(it, g->name, v_cap_mint(rt_cap("irq"), V_SLOT_ANY,
                                                V_R_CONTROL | V_R_GRANT, 1ull << g->a));
    case G_IOPORT:
        return add_item(it, g->name, v_cap_mint(rt_cap(g->a >= 0x70 && g->a + g->b <= 0x72
                                                           ? "rtc" : "ioports"), V_SLOT_ANY,
                                                V_R_READ | V_R_WRITE | V_R_GRANT,
                                                g->a | g->b << 16));
    case G_CONSOLE:
        return add_item(it, g->name, v_cap_copy(rt_cap("debug"), V_SLOT_ANY));
    case G_MEMORY:
        return true;
    case G_DEVICE:
    case G_PLATFORM: {
        struct dev_item di[DEV_ITEMS];
        unsigned nd;
        bool ok = device_grant(s, g, di, &nd, it->why, it->whylen);
        for (unsigned q = 0; q < nd; q++)
            if (!ok)
                v_cap_delete(di[q].cap);
            else
                ok = add_item(it, di[q].name, (struct v_ret){V_OK, di[q].cap});
        return ok;
    }
    }
    return true;
}

/* logd's record store (user/services/logd/store.h): one frame init keeps, a copy
 * of it for each logd instance, so the records outlive the instance. */
#define LOG_STORE_PAGES 17
static struct v_ret log_store(void)
{
    static v_handle f;
    if (!f) {
        struct v_ret r = v_retype(init_memory, V_TYPE_FRAME, LOG_STORE_PAGES, V_SLOT_ANY);
        if (r.err)
            return r;
        f = (v_handle)r.val;
    }
    return v_cap_copy(f, V_SLOT_ANY);
}

/* Every introduce grant, by the service it introduces into (CSR: edges
 * first[p]..first[p+1] name provider p's), in manifest order: made once
 * (the manifest's grants are immutable), so a spawn looks at its own
 * introducers only, not at every grant of every service. */
struct intro {
    int *first;
    struct {
        int svc, grant;
    } *edge;
};
static const struct intro *intros(void)
{
    static struct intro in;
    if (in.first)
        return &in;
    size_t n = 0;
    for (int j = 0; j < nsvc; j++)
        for (int k = 0; k < svcs[j].ngrants; k++)
            n += svcs[j].grants[k].type == G_INTRODUCE && svcs[j].grants[k].svc >= 0;
    in.first = calloc((size_t)nsvc + 1, sizeof *in.first);
    in.edge = malloc((n ? n : 1) * sizeof *in.edge);
    int *fill = svc_table(sizeof *fill);
    if (!in.first || !in.edge)
        rt_die("init: no memory for %zu introductions", n);
    for (int j = 0; j < nsvc; j++)
        for (int k = 0; k < svcs[j].ngrants; k++)
            if (svcs[j].grants[k].type == G_INTRODUCE && svcs[j].grants[k].svc >= 0)
                in.first[svcs[j].grants[k].svc + 1]++;
    for (int p = 0; p < nsvc; p++)
        in.first[p + 1] += in.first[p];
    for (int j = 0; j < nsvc; j++)
        for (int k = 0; k < svcs[j].ngrants; k++) {
            int p = svcs[j].grants[k].svc;
            if (svcs[j].grants[k].type == G_INTRODUCE && p >= 0) {
                in.edge[in.first[p] + fill[p]].svc = j;
                in.edge[in.first[p] + fill[p]++].grant = k;
            }
        }
    free(fill);
    return &in;
}

int svc_bundle(const struct service *s, const struct rt_bundle_item **items, unsigned *n,
               char *why, size_t whylen)
{
    static struct items it;
    it.n = 0;
    it.why = why;
    it.whylen = whylen;
    char rxname[V_BUNDLE_NAME + 4];
    if (!add_item(&it, "listen", v_cap_copy(s->accept_rx, V_SLOT_ANY)))
        goto fail;
    if (!strcmp(s->name, "log") && !add_item(&it, "store", log_store()))
        goto fail;
    int self = (int)(s - svcs);
    const struct intro *in = intros();
    for (int e = in->first[self]; e < in->first[self + 1]; e++) {
        int j = in->edge[e].svc;
        const struct grant *g = &svcs[j].grants[in->edge[e].grant];
        if (g->b && svcs[j].state != S_REFUSED) {
            snprintf(rxname, sizeof rxname, "listen.%s", svcs[j].name);
            if (!add_item(&it, rxname, v_cap_copy((v_handle)g->b, V_SLOT_ANY)))
                goto fail;
        }
    }
    for (int k = 0; k < s->ngrants; k++)
        if (!add_grant(&it, s, &s->grants[k]))
            goto fail;
    *items = it.item;
    *n = it.n;
    return 0;
fail:
    for (unsigned i = 0; i < it.n; i++)
        v_cap_delete(it.item[i].cap);
    return -1;
}
