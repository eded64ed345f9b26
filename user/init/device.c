/*
 * device.c: the manifest's hardware grants of issue 13 (docs/DEVICES.md).
 *
 *   platform  a copy of one of the root's device authorities for the
 *             device manager: "ecam0".."ecam3", "mmio0".."mmio7" (the
 *             Reticles), "irq:msi" (the IRQ capability narrowed to the
 *             MSI lines). An authority the machine lacks (no ECAM on
 *             `-machine pc`) is left out, not refused. A service with
 *             platform grants starts with bootinfo's platform.flags as
 *             its argument, and ECAM window 0's first bus in bits
 *             32..39 (it cannot read the root's bootinfo).
 *   device    a PCI function for a driver, from the device manager:
 *             source "pci:VVVV:DDDD" or "class:CC:SS"; the driver must
 *             depend on "devmgr". At every start init claims it
 *             (DeviceManager.claim, as holder = the service's name) and
 *             puts what comes back in the Bundle as NAME.cfg, NAME.irq
 *             and NAME.barN. "confined": the service is refused on a
 *             machine without an IOMMU (and the device manager refuses
 *             the claim too).
 *
 * Invariants: each authority goes to one service; a claim's capabilities
 * are either all in the Bundle or all deleted; init never blocks on the
 * device manager longer than CLAIM_TIMEOUT_US.
 */
#include <stdio.h>
#include <string.h>

#include "init.h"
#include "pci/pci.h"
#include "schema/device.capnp.h"

#define CLAIM_TIMEOUT_US 5000000ull

static const struct v_bootinfo *bootinfo(void)
{
    const struct v_bootinfo *b = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    return b->magic == (V_BUNDLE_MAGIC ^ 1) ? b : 0;
}

static uint32_t platform_flags(void)
{
    const struct v_bootinfo *b = bootinfo();
    return b ? b->platform.flags : 0;
}

/* The argument of a service with platform grants: the flags, and the
 * first bus of ECAM window 0 in bits 32..39 (its Reticle starts there). */
static uint64_t platform_arg(void)
{
    const struct v_bootinfo *b = bootinfo();
    return !b ? 0 : b->platform.flags | (b->platform.necam ? (uint64_t)b->platform.ecam[0].start_bus << 32 : 0);
}

/* The root capability a platform grant copies, 0 if the machine lacks it. */
static v_handle authority(const char *src)
{
    if (!strcmp(src, "irq:msi"))
        return rt_cap("irq");
    bool ecam = !strncmp(src, "ecam", 4) && src[4] >= '0' && src[4] <= '3' && !src[5];
    bool mmio = !strncmp(src, "mmio", 4) && src[4] >= '0' && src[4] <= '7' && !src[5];
    return ecam || mmio ? rt_cap(src) : 0;
}

static bool known_authority(const char *src)
{
    return !strcmp(src, "irq:msi") ||
           ((!strncmp(src, "ecam", 4) || !strncmp(src, "mmio", 4)) && src[4] >= '0' && src[4] <= '7' &&
            !src[5] && (src[0] == 'm' || src[4] <= '3'));
}

bool device_validate(struct service *s, struct grant *g, char *why, size_t n)
{
    if (g->type == G_PLATFORM) {
        if (!known_authority(g->source)) {
            snprintf(why, n, "grant '%s': '%s' is not a device authority", g->name, g->source);
            return false;
        }
        for (int j = 0; j < nsvc; j++)
            for (int k = 0; k < svcs[j].ngrants; k++) {
                const struct grant *o = &svcs[j].grants[k];
                if (o != g && o->type == G_PLATFORM && !strcmp(o->source, g->source) &&
                    (j < s - svcs || (j == s - svcs && o < g))) {
                    snprintf(why, n, "grant '%s': %s already belongs to '%s'", g->name, g->source,
                             svcs[j].name);
                    return false;
                }
            }
        if (!s->arg)
            s->arg = platform_arg();
        return true;
    }
    struct pci_match m;
    if (pci_match_parse(g->source, strlen(g->source), &m) != PCI_OK) {
        snprintf(why, n, "grant '%s': '%s' is not pci:VVVV:DDDD or class:CC:SS", g->name, g->source);
        return false;
    }
    if (strlen(g->name) > V_BUNDLE_NAME - 6) {     /* room for ".bar5" and the NUL */
        snprintf(why, n, "grant '%s': a device grant's name has at most %d characters", g->name,
                 V_BUNDLE_NAME - 6);
        return false;
    }
    int dm = svc_find("devmgr");
    bool dep = false;
    for (int d = 0; d < s->ndeps; d++)
        dep |= dm >= 0 && s->dep[d] == dm;
    if (!dep) {
        snprintf(why, n, "grant '%s' needs 'devmgr' among its dependencies", g->name);
        return false;
    }
    if (g->confined && !(platform_flags() & V_PLATFORM_IOMMU)) {
        snprintf(why, n, "grant '%s' requires confined DMA; DMA is unconfined (no IOMMU)", g->name);
        return false;
    }
    return true;
}

/* init's connection to the device manager, made again after it restarts. */
static struct ipc_conn dm;
static bool dm_open;
static uint64_t dm_task;

static int devmgr_conn(void)
{
    int i = svc_find("devmgr");
    if (i < 0 || svcs[i].state != S_RUNNING)
        return IPC_CLOSED;
    if (dm_open && (dm.closed || dm_task != svcs[i].task_id)) {
        ipc_detach(&dm);
        dm_open = false;
    }
    if (dm_open)
        return IPC_OK;
    v_handle client[2];
    int e = ipc_introduce(init_memory, svcs[i].accept_tx, "init", client);
    if (e == IPC_OK && (e = ipc_attach(&dm, client[0], client[1])) != IPC_OK) {
        v_cap_delete(client[0]);
        v_cap_delete(client[1]);
    }
    dm_open = e == IPC_OK;
    dm_task = svcs[i].task_id;
    return e;
}

static const char *const claim_status[] = {
    "ok", "no such device, or it is held", "DMA is unconfined (no IOMMU)", "denied",
    "bad request", "no resources",
};

static bool claim(const struct service *s, const struct grant *g, struct dev_item *out,
                  unsigned *n, char *why, size_t whylen)
{
    if (devmgr_conn() != IPC_OK) {
        snprintf(why, whylen, "grant '%s': the device manager is not running",
                 g->name);
        return false;
    }
    uint8_t buf[256];
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    DeviceManager_claim_Params_B p = DeviceManager_claim_Params_build_root(&b);
    DeviceManager_claim_Params_set_holder(p, s->name, strlen(s->name));
    DeviceManager_claim_Params_set_match(p, g->source, strlen(g->source));
    DeviceManager_claim_Params_set_confined(p, g->confined);
    size_t len;
    const uint8_t *bytes = capnp_builder_bytes(&b, &len);
    static struct ipc_msg r;
    int e = ipc_call(&dm, DeviceManager_method_claim, bytes, (uint32_t)len, 0, 0, &r,
                     CLAIM_TIMEOUT_US);
    if (e != IPC_OK) {
        snprintf(why, whylen, "grant '%s': device manager: %s", g->name,
                 ipc_strerror(e));
        return false;
    }
    struct capnp_msg msg;
    bool ok = !ipc_request_open(&msg, &r) && r.hdr.kind == (DeviceManager_method_claim | IPC_REPLY);
    DeviceManager_claim_Results_R res = DeviceManager_claim_Results_read_root(&msg);
    unsigned st = ok ? DeviceManager_claim_Results_status(res) : DeviceManager_Status_badRequest;
    DeviceManager_Device_R d = DeviceManager_claim_Results_device(res);
    /* what the caps are: cfg, irq if there are lines, then handed BARs */
    static char names[IPC_MAX_CAPS][V_BUNDLE_NAME];
    unsigned want = 0;
    if (ok && st == DeviceManager_Status_ok) {
        snprintf(names[want++], V_BUNDLE_NAME, "%s.cfg", g->name);
        if (capnp_list_len(DeviceManager_Device_lines(d)))
            snprintf(names[want++], V_BUNDLE_NAME, "%s.irq", g->name);
        DeviceManager_Bar_RList bl = DeviceManager_Device_bars(d);
        for (uint32_t k = 0; k < DeviceManager_Bar_RList_len(bl) && want <= IPC_MAX_CAPS; k++) {
            DeviceManager_Bar_R bar = DeviceManager_Bar_RList_get(bl, k);
            if (!DeviceManager_Bar_handed(bar))
                continue;
            if (want < IPC_MAX_CAPS)
                snprintf(names[want], V_BUNDLE_NAME, "%s.bar%u", g->name,
                         DeviceManager_Bar_index(bar) % 6);
            want++;
        }
        ok = !capnp_msg_error(&msg) && want == r.ncaps;
    }
    if (!ok || st != DeviceManager_Status_ok) {
        for (unsigned i = 0; i < r.ncaps; i++)
            v_cap_delete(r.caps[i]);
        snprintf(why, whylen, "grant '%s': device manager: %s", g->name,
                 !ok ? "malformed reply" : st < 6 ? claim_status[st] : "refused");
        return false;
    }
    for (unsigned i = 0; i < r.ncaps; i++)
        out[(*n)++] = (struct dev_item){names[i], r.caps[i]};
    return true;
}

bool device_grant(const struct service *s, const struct grant *g, struct dev_item *out, unsigned *n,
                  char *why, size_t whylen)
{
    *n = 0;
    if (g->type == G_DEVICE)
        return claim(s, g, out, n, why, whylen);
    v_handle a = authority(g->source);
    if (!a)
        return true;            /* the machine has none: left out */
    struct v_ret r;
    if (!strcmp(g->source, "irq:msi")) {
        struct v_capinfo ci;
        uint64_t msi = v_cap_info(a, (uint64_t)&ci).err ? 0 : ci.arg & ~0xffffull;
        if (!msi)
            return true;        /* no MSI lines: left out */
        r = v_cap_mint(a, V_SLOT_ANY, V_R_CONTROL | V_R_GRANT, msi);
    } else {
        r = v_cap_copy(a, V_SLOT_ANY);
    }
    if (r.err) {
        snprintf(why, whylen, "grant '%s': %s", g->name, rt_errname(r.err));
        return false;
    }
    out[(*n)++] = (struct dev_item){g->name, (v_handle)r.val};
    return true;
}
