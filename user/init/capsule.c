/*
 * capsule.c: boot verification (docs/CAPSULE.md, "In the OS").
 *
 * At boot, before the manifest is read, init verifies every `*.vcap`
 * module of the boot image against `policy.bin` (trusted Persons, each
 * domain's ceiling and signers) at the CMOS clock's time, with
 * lib/capsule's verifier and the freestanding crypto (user/lib/libsodium):
 * envelope, certificate chain to a trusted Person, validity, signature,
 * manifest, domain ceiling, every blob's digest. A capsule that fails is
 * refused with its reason on the console and in the events; nothing of
 * it is ever mapped into a Task. The results, capsules[], are written
 * here once and only read after (capsule_at): which version a service
 * runs is capbind.c's, what happens to it later upgrade.c's.
 */
#include <stdio.h>
#include <string.h>

#include "capsvc.h"
#include "date/date.h"
#include "semver/semver.h"
#include "trust.h"

extern const struct capsule_crypto capsule_crypto_os;   /* user/lib/libsodium */

static struct capsule capsules[MAX_CAPSULES];
static int ncapsules;
static struct capsule_policy policy;
static bool have_policy;
static int64_t wall_now;
static int system_capsule = -1;

int capsule_count(void) { return ncapsules; }
const struct capsule *capsule_at(int k) { return &capsules[k]; }
int capsule_system_index(void) { return system_capsule; }

/* ---- small helpers -------------------------------------------------------- */

void capsule_text(char *dst, size_t cap, struct capsule_str s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    memcpy(dst, s.p, n);
    dst[n] = 0;
    for (size_t i = 0; i < n; i++)      /* names from a refused capsule are untrusted */
        if ((uint8_t)dst[i] < 0x20 || (uint8_t)dst[i] >= 0x7f)
            dst[i] = '?';
}

bool capsule_text_is(struct capsule_str s, const char *z)
{
    size_t n = strlen(z);
    return s.len == n && !memcmp(s.p, z, n);
}

void hex(char *out, const uint8_t *b, unsigned n)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = 0;
}

/* ---- intent profiles ------------------------------------------------------- */

static const char *const class_names[V_NCLASSES] = {"cap", "mem", "task", "signal",
                                                    "ring", "device", "misc"};
const char *class_name(int c)
{
    if (c >= 0 && c < V_NCLASSES)
        return class_names[c];
    return c == CTR_SYSCALLS ? "syscalls" : c == CTR_SIGNALS ? "signals"
                                          : c == CTR_RETYPED ? "retyped" : "?";
}

/* Words of an intent profile -> counters. The schema's words ("reticle",
 * "bundle", "irq", "io") name the kernel's classes they belong to. */
static int counter_of(struct capsule_str w, bool rate)
{
    static const struct {
        const char *word;
        int counter;
    } words[] = {
        {"cap", V_CLASS_CAP},       {"mem", V_CLASS_MEM},       {"reticle", V_CLASS_MEM},
        {"memory", V_CLASS_MEM},    {"task", V_CLASS_TASK},     {"bundle", V_CLASS_TASK},
        {"signal", V_CLASS_SIGNAL}, {"ring", V_CLASS_RING},     {"device", V_CLASS_DEVICE},
        {"irq", V_CLASS_DEVICE},    {"io", V_CLASS_DEVICE},     {"misc", V_CLASS_MISC},
        /* rates only: */
        {"ring_send", V_CLASS_RING}, {"syscalls", CTR_SYSCALLS}, {"signals", CTR_SIGNALS},
        {"retype", CTR_RETYPED},    {"retyped", CTR_RETYPED},
    };
    for (unsigned i = 0; i < sizeof words / sizeof words[0]; i++)
        if (capsule_text_is(w, words[i].word) && (rate || words[i].counter < V_NCLASSES))
            return words[i].counter;
    return -1;
}

static void compile_profile(struct capsule *c)
{
    struct profile *p = &c->prof;
    uint32_t n = capsule_manifest_count(&c->m, CAPSULE_SYSCALLS);
    p->classes_declared = n > 0;
    for (uint32_t i = 0; i < n; i++) {
        int k = counter_of(capsule_manifest_item(&c->m, CAPSULE_SYSCALLS, i), false);
        if (k >= 0)
            p->classes |= (uint8_t)(1u << k);
    }
    p->mem_max = capsule_manifest_mem_max(&c->m);
    uint32_t nr = capsule_manifest_nrates(&c->m);
    for (uint32_t i = 0; i < nr && p->nrates < MAX_RATES; i++) {
        struct capsule_rate r = capsule_manifest_rate(&c->m, i);
        unsigned k = p->nrates++;
        p->rate[k].counter = counter_of(r.what, true);
        p->rate[k].per_sec = r.per_sec;
        p->rate[k].burst = r.burst;
        capsule_text(p->rate[k].what, sizeof p->rate[k].what, r.what);
    }
}

/* ---- boot: verify every capsule ------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* A blob of a verified capsule by name (the payload's layout is checked). */
static const uint8_t *find_blob(const struct capsule *c, struct capsule_str name, size_t *len)
{
    struct capsule_env env;
    if (!c->valid || !name.len || capsule_parse_envelope(c->buf, c->len, &env) != CAPSULE_OK)
        return 0;
    uint64_t off = 0;
    for (uint32_t i = 0; i < capsule_manifest_nblobs(&c->m); i++) {
        struct capsule_blob b = capsule_manifest_blob(&c->m, i);
        if (b.name.len == name.len && !memcmp(b.name.p, name.p, name.len)) {
            *len = b.size;
            return env.payload + off + 8;
        }
        off += 8 + ((b.size + 7) & ~7ull);
    }
    return 0;
}

void capsule_verify_one(struct capsule *c)
{
    struct capsule_env env;
    if (capsule_parse_envelope(c->buf, c->len, &env) == CAPSULE_OK) {
        struct capsule_result mres;
        c->manifest_ok =
            capsule_manifest_open(&c->m, env.manifest, env.manifest_len, &mres) == CAPSULE_OK;
        if (c->manifest_ok) {
            capsule_text(c->name, sizeof c->name, capsule_manifest_name(&c->m));
            capsule_text(c->ver, sizeof c->ver, capsule_manifest_ver(&c->m));
            c->domain = capsule_manifest_domain(&c->m);
        }
    }
    if (!c->manifest_ok) {
        snprintf(c->name, sizeof c->name, "?");
        snprintf(c->ver, sizeof c->ver, "?");
    }
    if ((uintptr_t)c->buf & 7) {
        snprintf(c->reason, sizeof c->reason, "LAYOUT: the module is not 8-byte aligned");
        snprintf(c->brief, sizeof c->brief, "LAYOUT (module not aligned)");
        return;
    }
    if (!have_policy) {
        /* refused for want of a policy, but still named by its VCID, so a
         * service pinned to it is told this and not "no such capsule" */
        c->have_vcid = capsule_vcid(&capsule_crypto_os, c->buf, c->len, c->vcid) == CAPSULE_OK;
        snprintf(c->reason, sizeof c->reason,
                 "UNKNOWN_PERSON: the boot image has no valid policy.bin: nobody is trusted");
        snprintf(c->brief, sizeof c->brief, "UNKNOWN_PERSON (no policy.bin)");
        return;
    }
    struct capsule_result res;
    enum capsule_reason r =
        capsule_verify(&capsule_crypto_os, c->buf, c->len, &policy, wall_now, &res);
    if (res.have_vcid) {
        memcpy(c->vcid, res.vcid, 32);
        c->have_vcid = true;
    }
    if (r != CAPSULE_OK) {
        char what[72] = "";
        struct capsule_cert cert;
        if (r == CAPSULE_UNKNOWN_PERSON && env.ncerts &&
            capsule_cert_read(&env.certs[0], &cert) == CAPSULE_OK) {
            /* the verifier names the Machine; the one unknown is its Person */
            char w[64], key[65];
            capsule_text(w, sizeof w, cert.name);
            hex(key, cert.person_key, 32);
            key[8] = 0;
            snprintf(what, sizeof what, " (Person %s.. via %s)", key, w);
        } else if (res.what.len) {
            char w[64];
            capsule_text(w, sizeof w, res.what);
            if (r == CAPSULE_DOMAIN_OVERREACH)
                snprintf(what, sizeof what, " (%s, above D%u's ceiling)", w, c->domain);
            else
                snprintf(what, sizeof what, " (%s)", w);
        }
        snprintf(c->reason, sizeof c->reason, "%s: %s%s", capsule_reason_name(r),
                 capsule_reason_msg(r), what);
        snprintf(c->brief, sizeof c->brief, "%s%s", capsule_reason_name(r), what);
        return;
    }
    /* verified: the manifest is authentic, the payload matches it; then
     * the rest of the install policy (policy.c) */
    if (!trust_check(c, &policy))
        return;
    c->valid = true;
    c->elf = find_blob(c, capsule_manifest_entry(&c->m), &c->elf_len);
    compile_profile(c);
    struct capsule_cert cert;
    struct capsule_str person = {"?", 1};
    char mname[65] = "?", pname[65];
    if (env.ncerts && capsule_cert_read(&env.certs[0], &cert) == CAPSULE_OK) {
        capsule_text(mname, sizeof mname, cert.name);
        capsule_policy_person(&policy, cert.person_key, &person);
    }
    capsule_text(pname, sizeof pname, person);
    snprintf(c->signer, sizeof c->signer, "%s (%s)", mname, pname);
}

void capsule_boot(void)
{
    const struct v_bootinfo *bi = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    if (bi->magic != (V_BUNDLE_MAGIC ^ 1))
        return;
    unsigned nvcap = 0;
    for (uint32_t i = 0; i < bi->nmodules && i < 16; i++)
        nvcap += ends_with(bi->module[i].name, ".vcap");
    if (!nvcap)
        return;                 /* an image without capsules: nothing to say */
    for (uint32_t i = 0; i < bi->nmodules && i < 16; i++)
        if (!strcmp(bi->module[i].name, "policy.bin")) {
            enum capsule_reason r = capsule_policy_open(
                &policy, (const uint8_t *)bi->module[i].vaddr, bi->module[i].size);
            have_policy = r == CAPSULE_OK;
            if (!have_policy)
                printf("init: policy.bin: %s: %s; every capsule is refused\n",
                       capsule_reason_name(r), capsule_reason_msg(r));
        }
    if (!have_policy)
        printf("init: no valid policy.bin in the boot image: every capsule is refused\n");
    else
        trust_boot(&policy);
    wall_now = rtc_now();
    if (wall_now < 0) {
        printf("init: no wall clock (CMOS): certificates are checked at time 0\n");
        wall_now = 0;
    } else {
        struct date d;
        date_from_unix(wall_now, &d);
        printf("init: wall clock %04lld-%02u-%02u %02u:%02u:%02u UTC (CMOS), for certificate "
               "validity\n", (long long)d.year, d.month, d.day, d.hour, d.minute, d.second);
    }
    for (uint32_t i = 0; i < bi->nmodules && i < 16 && ncapsules < MAX_CAPSULES; i++) {
        if (!ends_with(bi->module[i].name, ".vcap"))
            continue;
        struct capsule *c = &capsules[ncapsules++];
        snprintf(c->module, sizeof c->module, "%s", bi->module[i].name);
        c->buf = (const uint8_t *)bi->module[i].vaddr;
        c->len = bi->module[i].size;
        uint64_t t0 = rdtsc();
        capsule_verify_one(c);
        uint64_t cycles = rdtsc() - t0;
        for (int j = 0; c->have_vcid && j < ncapsules - 1; j++)
            if (capsules[j].have_vcid && !memcmp(capsules[j].vcid, c->vcid, 32)) {
                /* one identity, one module: a second copy would make "the
                 * capsule with this VCID" ambiguous */
                c->valid = false;
                snprintf(c->reason, sizeof c->reason,
                         "DUPLICATE: the same capsule (same VCID) as module %s", capsules[j].module);
                snprintf(c->brief, sizeof c->brief, "DUPLICATE (of %s)", capsules[j].module);
                break;
            }
        if (c->valid) {
            char id[65];
            hex(id, c->vcid, 32);
            id[16] = 0;
            printf("init: capsule %s %s (%s): verified in %llu cycles: vcid %s.., D%u, signed by "
                   "%s\n", c->name, c->ver, c->module, (unsigned long long)cycles, id, c->domain,
                   c->signer);
            event(c->name, "capsule %s verified (vcid %s..)", c->ver, id);
        } else {
            printf("init: refusing capsule '%s %s' (%s): %s\n", c->name, c->ver, c->module,
                   c->reason);
            event(c->manifest_ok ? c->name : c->module, "capsule %s refused: %s", c->ver,
                  c->brief);
        }
    }
    unsigned valid = 0;
    for (int i = 0; i < ncapsules; i++)
        valid += capsules[i].valid;
    printf("init: %d capsules in the boot image, %u verified, %d refused\n", ncapsules, valid,
           ncapsules - (int)valid);
}

void capsule_trust_again(bool (*again)(struct capsule *c, const struct capsule_policy *p))
{
    for (int k = 0; k < ncapsules; k++) {
        struct capsule *c = &capsules[k];
        if (!c->valid || k == system_capsule || again(c, &policy))
            continue;
        c->valid = false;
        printf("init: refusing capsule '%s %s' (%s): %s\n", c->name, c->ver, c->module,
               c->reason);
        event(c->name, "capsule %s refused: %s", c->ver, c->brief);
    }
}

/* The system manifest, signed: the blob "system.manifest" of the newest
 * valid capsule named "system" (a data capsule, no entry). If the image
 * has a system capsule but none verifies, there is no manifest to trust:
 * init stops rather than fall back to an unsigned one. NULL when the
 * image has no system capsule (an unsigned system.manifest module). */
const void *capsule_system_manifest(size_t *len)
{
    int k = -1;
    bool any = false;
    for (int j = 0; j < ncapsules; j++)
        if (!strcmp(capsules[j].module, "system.vcap") || !strcmp(capsules[j].name, "system")) {
            any = true;
            if (capsules[j].valid && !strcmp(capsules[j].name, "system") &&
                (k < 0 || semver_cmp(capsules[j].ver, capsules[k].ver) > 0))
                k = j;
        }
    if (!any)
        return 0;
    if (k < 0) {
        for (int j = 0; j < ncapsules; j++)
            if (!strcmp(capsules[j].module, "system.vcap") || !strcmp(capsules[j].name, "system"))
                printf("init: the system manifest capsule %s was refused: %s\n",
                       capsules[j].module, capsules[j].reason);
        rt_die("init: no verified system manifest: not booting");
    }
    const void *p = find_blob(&capsules[k], (struct capsule_str){"system.manifest", 15}, len);
    if (!p)
        rt_die("init: capsule system %s has no blob 'system.manifest': not booting",
               capsules[k].ver);
    system_capsule = k;
    printf("init: system manifest from capsule system %s (signed by %s)\n", capsules[k].ver,
           capsules[k].signer);
    return p;
}


/* ---- capsules from elsewhere (capstore.c) ------------------------------------ */

int capsule_add(const char *module, const uint8_t *buf, size_t len, char *why, size_t n)
{
    if (ncapsules == MAX_CAPSULES) {
        snprintf(why, n, "TOO_MANY: init's capsule table is full (%d versions)", MAX_CAPSULES);
        return -1;
    }
    /* verified in place: an opened manifest must not move */
    struct capsule *c = &capsules[ncapsules];
    memset(c, 0, sizeof *c);
    snprintf(c->module, sizeof c->module, "%s", module);
    c->buf = buf;
    c->len = len;
    capsule_verify_one(c);
    if (!c->valid) {
        snprintf(why, n, "%s", c->reason);
        memset(c, 0, sizeof *c);
        return -1;
    }
    for (int j = 0; j < ncapsules; j++)
        if (capsules[j].have_vcid && !memcmp(capsules[j].vcid, c->vcid, 32)) {
            memset(c, 0, sizeof *c);
            return j;
        }
    char id[65];
    hex(id, c->vcid, 32);
    id[16] = 0;
    event(c->name, "capsule %s verified from %s (vcid %s..)", c->ver, module, id);
    return ncapsules++;
}
