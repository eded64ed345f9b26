/*
 * capsule.c: capsules in the running system (docs/CAPSULE.md, "In the OS").
 *
 * At boot, before the manifest is read, init verifies every `*.vcap`
 * module of the boot image against `policy.bin` (trusted Persons, each
 * domain's ceiling and signers) at the CMOS clock's time, with
 * lib/capsule's verifier and the freestanding crypto (user/libsodium):
 * envelope, certificate chain to a trusted Person, validity, signature,
 * manifest, domain ceiling, every blob's digest. A capsule that fails is
 * refused with its reason on the console and in the events; nothing of
 * it is ever mapped into a Task. A service whose binary is
 * `capsule {name, vcid}` runs the entry blob of that exact version, or of
 * the newest valid version of that name when vcid is empty, and every
 * capability the manifest grants it must be among the capsule's
 * `requires` (which the verifier has held under the domain's ceiling):
 * grants <= requires <= ceiling.
 *
 * Versions are immutable, so an upgrade is a switch: destroy the running
 * instance, start the other version on the same accept Ring (init keeps
 * its original, so clients queued meanwhile wait there and are served by
 * whichever instance binds it next; a Ring has one consumer at a time,
 * so no client ever talks to half of each). The new version then has a
 * readiness window (READY_US): it must stay alive, keep to its intent
 * profile and, if it provides a service, answer a probe. Failing any of
 * these switches back automatically; the upgrade's caller gets its
 * answer when the window closes. Switch and rollback costs are measured
 * with rdtsc around the switch, in init.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "capsvc.h"
#include "schema/supervisor.capnp.h"
#include "trust.h"

extern const struct capsule_crypto capsule_crypto_os;   /* user/libsodium */

struct capsule capsules[MAX_CAPSULES];
int ncapsules;
struct capsvc capsvcs[MAX_SVC];
struct ipc_server *init_server;

static struct capsule_policy policy;
static bool have_policy;
static int64_t wall_now;

/* The capbench image (kernel command-line word "capbench"; bench/README.md)
 * times verification and activation together, many times over: there,
 * capsuleStart verifies the version again from its module's bytes exactly
 * as the boot did (verify_one) before it starts it, and its answer says
 * what that verification cost. Nothing else differs; no other image has
 * the word. */
static bool bench_reverify;

static const char *const svc_states[] = {"waiting", "running", "stopped", "exited",
                                         "failed", "refused", "quarantined"};

/* ---- small helpers -------------------------------------------------------- */

static void copy_str(char *dst, size_t cap, struct capsule_str s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    memcpy(dst, s.p, n);
    dst[n] = 0;
    for (size_t i = 0; i < n; i++)      /* names from a refused capsule are untrusted */
        if ((uint8_t)dst[i] < 0x20 || (uint8_t)dst[i] >= 0x7f)
            dst[i] = '?';
}

static bool str_is(struct capsule_str s, const char *z)
{
    size_t n = strlen(z);
    return s.len == n && !memcmp(s.p, z, n);
}

static void hex(char *out, const uint8_t *b, unsigned n)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = 0;
}

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
        if (str_is(w, words[i].word) && (rate || words[i].counter < V_NCLASSES))
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
        copy_str(p->rate[k].what, sizeof p->rate[k].what, r.what);
    }
}

static size_t span(const char *s, bool digits)
{
    size_t n = 0;
    while (s[n] && s[n] != '.' && s[n] != '+' && (!digits || (s[n] >= '0' && s[n] <= '9')))
        n++;
    return n;
}

/* Precedence of two valid SemVer 2.0.0 strings: <0, 0, >0. */
static int semver_cmp(const char *a, const char *b)
{
    for (int part = 0; part < 3; part++) {
        uint64_t x = 0, y = 0;
        while (*a >= '0' && *a <= '9')
            x = x * 10 + (uint64_t)(*a++ - '0');
        while (*b >= '0' && *b <= '9')
            y = y * 10 + (uint64_t)(*b++ - '0');
        if (x != y)
            return x < y ? -1 : 1;
        if (*a == '.')
            a++;
        if (*b == '.')
            b++;
    }
    bool pa = *a == '-', pb = *b == '-';
    if (!pa || !pb)
        return pa == pb ? 0 : pa ? -1 : 1;   /* a pre-release is lower */
    a++, b++;
    for (;;) {
        bool ea = !*a || *a == '+', eb = !*b || *b == '+';
        if (ea || eb)
            return ea == eb ? 0 : ea ? -1 : 1;
        size_t la = span(a, false), lb = span(b, false);
        bool na = span(a, true) == la, nb = span(b, true) == lb;
        int d;
        if (na && nb)
            d = la != lb ? (la < lb ? -1 : 1) : strncmp(a, b, la);
        else if (na || nb)
            d = na ? -1 : 1;
        else {
            d = strncmp(a, b, la < lb ? la : lb);
            if (!d && la != lb)
                d = la < lb ? -1 : 1;
        }
        if (d)
            return d < 0 ? -1 : 1;
        a += la, b += lb;
        if (*a == '.')
            a++;
        if (*b == '.')
            b++;
    }
}

/* ---- the wall clock (CMOS RTC) ---------------------------------------------- */

static unsigned cmos(v_handle rtc, unsigned reg)
{
    v_io_out(rtc, 0x70, 1, reg);
    return (unsigned)v_io_in(rtc, 0x71, 1).val & 0xff;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Unix seconds from the CMOS clock (UTC), or -1 without one. */
static int64_t rtc_now(void)
{
    v_handle rtc = rt_cap("rtc");
    if (!rtc)
        return -1;
    unsigned t[7], u[7];
    for (int tries = 0; tries < 8; tries++) {
        for (int w = 0; w < 100000 && (cmos(rtc, 0x0a) & 0x80); w++)
            ;                           /* an update is in progress */
        static const unsigned regs[7] = {0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32};
        for (int i = 0; i < 7; i++)
            t[i] = cmos(rtc, regs[i]);
        for (int i = 0; i < 7; i++)
            u[i] = cmos(rtc, regs[i]);
        if (!memcmp(t, u, sizeof t))
            break;
    }
    unsigned regb = cmos(rtc, 0x0b);
    bool pm = !(regb & 2) && (t[2] & 0x80);
    t[2] &= 0x7f;
    if (!(regb & 4))                    /* BCD */
        for (int i = 0; i < 7; i++)
            t[i] = (t[i] >> 4) * 10 + (t[i] & 15);
    if (!(regb & 2))                    /* 12-hour clock */
        t[2] = t[2] % 12 + (pm ? 12 : 0);
    unsigned century = t[6] >= 19 && t[6] <= 21 ? t[6] : 20;
    int64_t year = century * 100 + t[5];
    if (t[4] < 1 || t[4] > 12 || t[3] < 1 || t[3] > 31 || t[2] > 23 || t[1] > 59 || t[0] > 60)
        return -1;
    return days_from_civil(year, t[4], t[3]) * 86400 + t[2] * 3600 + t[1] * 60 + t[0];
}

static void print_date(int64_t t)
{
    int64_t days = t / 86400, s = t % 86400;
    /* civil_from_days */
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    printf("%04lld-%02lld-%02lld %02lld:%02lld:%02lld UTC", (long long)y, (long long)m,
           (long long)d, (long long)(s / 3600), (long long)(s / 60 % 60), (long long)(s % 60));
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

static void verify_one(struct capsule *c)
{
    struct capsule_env env;
    if (capsule_parse_envelope(c->buf, c->len, &env) == CAPSULE_OK) {
        struct capsule_result mres;
        c->manifest_ok =
            capsule_manifest_open(&c->m, env.manifest, env.manifest_len, &mres) == CAPSULE_OK;
        if (c->manifest_ok) {
            copy_str(c->name, sizeof c->name, capsule_manifest_name(&c->m));
            copy_str(c->ver, sizeof c->ver, capsule_manifest_ver(&c->m));
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
            copy_str(w, sizeof w, cert.name);
            hex(key, cert.person_key, 32);
            key[8] = 0;
            snprintf(what, sizeof what, " (Person %s.. via %s)", key, w);
        } else if (res.what.len) {
            char w[64];
            copy_str(w, sizeof w, res.what);
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
        copy_str(mname, sizeof mname, cert.name);
        capsule_policy_person(&policy, cert.person_key, &person);
    }
    copy_str(pname, sizeof pname, person);
    snprintf(c->signer, sizeof c->signer, "%s (%s)", mname, pname);
}

static bool cmdline_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = s; *p; p++)
        if ((p == s || p[-1] == ' ') && !strncmp(p, w, n) && (p[n] == 0 || p[n] == ' '))
            return true;
    return false;
}

void capsule_boot(void)
{
    const struct v_bootinfo *bi = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    if (bi->magic != (V_BUNDLE_MAGIC ^ 1))
        return;
    char cmdline[sizeof bi->cmdline + 1];
    memcpy(cmdline, bi->cmdline, sizeof bi->cmdline);
    cmdline[sizeof bi->cmdline] = 0;
    bench_reverify = cmdline_word(cmdline, "capbench");
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
        printf("init: wall clock ");
        print_date(wall_now);
        printf(" (CMOS), for certificate validity\n");
    }
    for (uint32_t i = 0; i < bi->nmodules && i < 16 && ncapsules < MAX_CAPSULES; i++) {
        if (!ends_with(bi->module[i].name, ".vcap"))
            continue;
        struct capsule *c = &capsules[ncapsules++];
        snprintf(c->module, sizeof c->module, "%s", bi->module[i].name);
        c->buf = (const uint8_t *)bi->module[i].vaddr;
        c->len = bi->module[i].size;
        uint64_t t0 = rdtsc();
        verify_one(c);
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

/* The system manifest, signed: the blob "system.manifest" of the newest
 * valid capsule named "system" (a data capsule, no entry). If the image
 * has a system capsule but none verifies, there is no manifest to trust:
 * init stops rather than fall back to an unsigned one. NULL when the
 * image has no system capsule (an unsigned system.manifest module). */
static int system_capsule = -1;

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

/* ---- the manifest's capsule services ------------------------------------------ */

void capsule_ref(struct service *s, const char *name, size_t len, const void *vcid, size_t vlen)
{
    struct capsvc *cs = &capsvcs[s - svcs];
    memset(cs, 0, sizeof *cs);
    cs->used = true;
    cs->cur = -1;
    if (!name || !len || len >= CAP_NAME)
        snprintf(cs->bad, sizeof cs->bad, "its capsule reference has no valid name");
    else
        memcpy(cs->name, name, len);
    if (vlen == 32) {
        memcpy(cs->vcid, vcid, 32);
        cs->pinned = true;
    } else if (vlen) {
        snprintf(cs->bad, sizeof cs->bad, "capsule vcid has %u bytes, not 32", (unsigned)vlen);
    }
}

static void svc_refuse(struct service *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void svc_refuse(struct service *s, const char *fmt, ...)
{
    if (s->state == S_REFUSED)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->reason, sizeof s->reason, fmt, ap);
    va_end(ap);
    s->state = S_REFUSED;
    printf("init: refusing service '%s': %s\n", s->name, s->reason);
    event(s->name, "refused: %s", s->reason);
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
    }
    return 0;
}

static bool requires(const struct capsule *c, const char *cap)
{
    for (uint32_t i = 0; i < capsule_manifest_count(&c->m, CAPSULE_REQUIRES); i++)
        if (str_is(capsule_manifest_item(&c->m, CAPSULE_REQUIRES, i), cap))
            return true;
    return false;
}

/* NULL, or the first grant of s that version k does not require (in buf). */
static const char *grants_beyond(const struct service *s, int k, char *buf, size_t n)
{
    for (int g = 0; g < s->ngrants; g++) {
        char tmp[64];
        const char *cap = grant_cap(&s->grants[g], tmp, sizeof tmp);
        if (cap && !requires(&capsules[k], cap)) {
            snprintf(buf, n, "grant '%s' (%s)", s->grants[g].name, cap);
            return buf;
        }
    }
    return 0;
}

static int newest_valid(const char *name)
{
    int best = -1;
    for (int k = 0; k < ncapsules; k++)
        if (capsules[k].valid && !strcmp(capsules[k].name, name) &&
            (best < 0 || semver_cmp(capsules[k].ver, capsules[best].ver) >= 0))
            best = k;
    return best;
}

void capsule_validate(void)
{
    for (int i = 0; i < nsvc; i++) {
        struct service *s = &svcs[i];
        struct capsvc *cs = &capsvcs[i];
        if (!cs->used || s->state == S_REFUSED)
            continue;
        if (cs->bad[0]) {
            svc_refuse(s, "%s", cs->bad);
            continue;
        }
        int k = -1;
        if (cs->pinned) {
            for (int j = 0; j < ncapsules; j++)
                if (capsules[j].have_vcid && !memcmp(capsules[j].vcid, cs->vcid, 32))
                    k = j;
            char id[65];
            hex(id, cs->vcid, 32);
            id[16] = 0;
            if (k < 0) {
                svc_refuse(s, "no capsule with vcid %s.. in the boot image", id);
                continue;
            }
            if (capsules[k].valid && strcmp(capsules[k].name, cs->name)) {
                svc_refuse(s, "vcid %s.. is capsule '%s', not '%s'", id, capsules[k].name,
                           cs->name);
                continue;
            }
        } else {
            k = newest_valid(cs->name);
            for (int j = 0; k < 0 && j < ncapsules; j++)
                if (!strcmp(capsules[j].name, cs->name))
                    k = j;      /* only refused versions: say why */
            if (k < 0) {
                svc_refuse(s, "no capsule named '%s' in the boot image", cs->name);
                continue;
            }
        }
        struct capsule *c = &capsules[k];
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
        cs->cur = k;
        s->elf = c->elf;
        s->elf_len = c->elf_len;
    }
}

const char *capsule_of(const struct service *s)
{
    static char buf[CAP_NAME + CAP_VER + 2];
    const struct capsvc *cs = &capsvcs[s - svcs];
    if (!cs->used)
        return "";
    if (cs->cur < 0)
        snprintf(buf, sizeof buf, "%s", cs->name);
    else
        snprintf(buf, sizeof buf, "%s %s", cs->name, capsules[cs->cur].ver);
    return buf;
}

/* ---- switching versions ----------------------------------------------------- */

/* A standby: a version spawned but suspended before its first instruction.
 * init runs above every service (a prepared Task is below init's
 * priority), so nothing runs between rt_spawn starting it and init
 * suspending it. Preparing (loading the ELF, building the Bundle,
 * connecting its grants) is the slow part of a switch and happens while
 * the old instance still serves; the switch itself is destroying one
 * instance and resuming the other. */
static unsigned init_prio;

static bool can_prepare(const struct service *s)
{
    if (!init_prio) {
        struct v_taskinfo ti;
        v_task_info(rt_cap("self"), (uint64_t)&ti);
        init_prio = ti.prio;
    }
    return s->prio < init_prio;
}

/* Spawn version k for s as a standby; s itself is left as it was.
 * Returns 0, or -1 with the reason in why. */
static int prepare(struct service *s, int k, struct standby *sb, char *why, size_t n)
{
    memset(sb, 0, sizeof *sb);
    if (!can_prepare(s)) {
        snprintf(why, n, "priority %u is not below init's", s->prio);
        return -1;
    }
    struct service saved = *s;
    s->child = (struct rt_child){0};
    s->elf = capsules[k].elf;
    s->elf_len = capsules[k].elf_len;
    int e = svc_start(s);
    if (!e) {
        v_task_suspend(s->child.task);
        sb->child = s->child;
        sb->task_id = s->task_id;
        sb->k = k;
        sb->ok = true;
    } else {
        snprintf(why, n, "%s", s->reason);
    }
    *s = saved;
    return e ? -1 : 0;
}

void standby_drop(struct standby *sb)
{
    if (sb->ok)
        rt_child_destroy(&sb->child);
    memset(sb, 0, sizeof *sb);
}

/* Make s run version `to`: the standby if it holds `to`, else a cold
 * start. *cycles is the switch proper: from the moment the old instance
 * starts to go until the new one is runnable. Nothing here waits for
 * another Task, so no client of the service runs in between, and the
 * next Task to bind the accept Ring is the new instance. */
static int switch_to(struct service *s, int to, struct standby *sb, uint64_t *cycles)
{
    struct capsvc *cs = &capsvcs[s - svcs];
    uint64_t t0 = rdtsc();
    int e = 0;
    if (s->child.reticle)
        rt_child_destroy(&s->child);
    s->task_id = 0;
    s->restart_at = 0;
    s->elf = capsules[to].elf;
    s->elf_len = capsules[to].elf_len;
    cs->cur = to;
    if (sb && sb->ok && sb->k == to) {
        s->child = sb->child;
        s->task_id = sb->task_id;
        s->state = S_RUNNING;
        s->reason[0] = 0;
        sb->ok = false;
        v_task_resume(s->child.task);
    } else {
        e = svc_start(s);
    }
    *cycles = rdtsc() - t0;
    if (!e)
        supervise_reconnect(s);
    return e;
}

int capsule_switch(struct service *s, int to)
{
    uint64_t cycles;
    return switch_to(s, to, 0, &cycles);
}

static uint8_t out[IPC_PAYLOAD_MAX] __attribute__((aligned(8)));

static void send_built(struct ipc_conn *c, uint16_t kind, uint64_t id, struct capnp_builder *b)
{
    size_t len;
    const uint8_t *bytes = capnp_builder_bytes(b, &len);
    if (capnp_builder_error(b)) {
        ipc_send(c, IPC_ERROR | IPC_REPLY, id, 0, 0, 0, 0, 1000000);
        return;
    }
    ipc_send(c, (uint16_t)(kind | IPC_REPLY), id, bytes, (uint32_t)len, 0, 0, 0);
}

/* A connection init serves has closed: an upgrade's answer cannot go there
 * (the slot may serve another client by the time the window closes). */
static void conn_closed(struct ipc_server *srv, struct ipc_conn *c)
{
    for (int i = 0; i < nsvc; i++)
        if (capsvcs[i].rc == c) {
            capsvcs[i].rc = 0;
            capsvcs[i].reply = false;
        }
}

static void upgrade_reply(struct ipc_conn *c, uint64_t id, enum Supervisor_Status st,
                          uint64_t sw, uint64_t rb, const char *text)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_upgrade_Results_B r = Supervisor_upgrade_Results_build_root(&b);
    Supervisor_upgrade_Results_set_status(r, st);
    Supervisor_upgrade_Results_set_message(r, text, strlen(text));
    Supervisor_upgrade_Results_set_switchCycles(r, sw);
    Supervisor_upgrade_Results_set_rollbackCycles(r, rb);
    send_built(c, Supervisor_method_upgrade, id, &b);
}

/* The end of a readiness window: confirm the new version (the standby of
 * the old one goes), or switch back to the standby. Called by monitor.c
 * (window over, probe unanswered, profile broken, service stopped) and by
 * capsule_ended (the new instance died; its Task is already gone). */
void capsule_settle(struct service *s, bool ok, const char *why)
{
    struct capsvc *cs = &capsvcs[s - svcs];
    if (!cs->probation)
        return;
    cs->probation = false;
    probe_stop(cs);
    int bad = cs->cur, good = cs->from;
    char msg[200];
    uint64_t rb = 0;
    enum Supervisor_Status st;
    if (ok) {
        standby_drop(&cs->standby);
        snprintf(msg, sizeof msg, "%s %s -> %s: switched in %llu cycles", cs->name,
                 capsules[good].ver, capsules[bad].ver, (unsigned long long)cs->switch_cycles);
        if (cs->answered) {
            size_t n = strlen(msg);
            snprintf(msg + n, sizeof msg - n, ", answered after %llu cycles",
                     (unsigned long long)cs->ready_cycles);
        }
        event(s->name, "upgrade to %s %s confirmed after its readiness window", cs->name,
              capsules[bad].ver);
        printf("init: %s %s is ready; upgrade confirmed\n", cs->name, capsules[bad].ver);
        st = Supervisor_Status_ok;
    } else {
        if (cs->nhistory && cs->history[cs->nhistory - 1] == good)
            cs->nhistory--;
        snprintf(capsules[bad].note, sizeof capsules[bad].note,
                 "failed its readiness check: %.90s", why);
        bool warm = cs->standby.ok;
        int e = switch_to(s, good, &cs->standby, &rb);
        standby_drop(&cs->standby);
        printf("init: %s %s failed its readiness check: %s\n", cs->name, capsules[bad].ver, why);
        printf("init: rolled back %s %s -> %s in %llu cycles (%s)%s\n", cs->name,
               capsules[bad].ver, capsules[good].ver, (unsigned long long)rb,
               warm ? "warm standby" : "cold start",
               e ? ", but it did not start" : "");
        event(s->name, "rolled back %s -> %s in %llu cycles: %.40s", capsules[bad].ver,
              capsules[good].ver, (unsigned long long)rb, why);
        snprintf(msg, sizeof msg, "%s %s %.80s; rolled back to %s in %llu cycles", cs->name,
                 capsules[bad].ver, why, capsules[good].ver, (unsigned long long)rb);
        st = Supervisor_Status_failed;
    }
    if (cs->reply && cs->rc && !cs->rc->closed)
        upgrade_reply(cs->rc, cs->rid, st, cs->switch_cycles, rb, msg);
    cs->reply = false;
    cs->rc = 0;
}

/* The service was stopped during a readiness window: no switch back (it
 * stays stopped), but the version it will start with is the old one. */
void capsule_cancel(struct service *s, const char *why)
{
    struct capsvc *cs = &capsvcs[s - svcs];
    if (!cs->probation)
        return;
    cs->probation = false;
    probe_stop(cs);
    standby_drop(&cs->standby);
    int bad = cs->cur;
    if (cs->nhistory && cs->history[cs->nhistory - 1] == cs->from)
        cs->nhistory--;
    cs->cur = cs->from;
    s->elf = capsules[cs->cur].elf;
    s->elf_len = capsules[cs->cur].elf_len;
    snprintf(capsules[bad].note, sizeof capsules[bad].note, "upgrade abandoned: %.90s", why);
    event(s->name, "upgrade to %s abandoned: %.50s", capsules[bad].ver, why);
    if (cs->reply && cs->rc && !cs->rc->closed) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s %s %s; the service will start with %s", cs->name,
                 capsules[bad].ver, why, capsules[cs->cur].ver);
        upgrade_reply(cs->rc, cs->rid, Supervisor_Status_failed, cs->switch_cycles, 0, msg);
    }
    cs->reply = false;
    cs->rc = 0;
}

bool capsule_ended(struct service *s, const char *fault, int64_t status)
{
    struct capsvc *cs = &capsvcs[s - svcs];
    if (!cs->used || !cs->probation)
        return false;
    char why[120];
    if (fault)
        snprintf(why, sizeof why, "faulted in its readiness window (%s)", fault);
    else
        snprintf(why, sizeof why, "exited with status %lld in its readiness window",
                 (long long)status);
    capsule_settle(s, false, why);
    return true;
}

/* ---- the Supervisor's capsule methods ------------------------------------------ */

/* A service by its own name or by the capsule it runs. */
static struct service *service_for(struct capnp_text t)
{
    if (!t.str || !t.len)
        return 0;
    int i = svc_find(t.str);
    if (i >= 0 && capsvcs[i].used)
        return &svcs[i];
    for (i = 0; i < nsvc; i++)
        if (capsvcs[i].used && !strcmp(capsvcs[i].name, t.str))
            return &svcs[i];
    return 0;
}

static int user_of(int k, bool *previous)
{
    *previous = false;
    for (int i = 0; i < nsvc; i++)
        if (capsvcs[i].used && capsvcs[i].cur == k)
            return i;
    for (int i = 0; i < nsvc; i++)
        for (int h = 0; capsvcs[i].used && h < capsvcs[i].nhistory; h++)
            if (capsvcs[i].history[h] == k) {
                *previous = true;
                return i;
            }
    return -1;
}

static void set_text(struct capnp_slot slot, const char *s)
{
    capnp_slot_set_text(slot, s, strlen(s));
}

static void intent_line(const struct capsule *c, char *buf, size_t n)
{
    const struct profile *p = &c->prof;
    size_t k = 0;
    buf[0] = 0;
#define ADD(...) (k += (size_t)snprintf(buf + k, k < n ? n - k : 0, __VA_ARGS__))
    ADD("syscalls ");
    if (!p->classes_declared)
        ADD("undeclared");
    for (int i = 0, first = 1; i < V_NCLASSES; i++)
        if (p->classes & (1u << i)) {
            ADD("%s%s", first ? "" : ",", class_names[i]);
            first = 0;
        }
    if (p->mem_max)
        ADD("; mem_max %llu", (unsigned long long)p->mem_max);
    for (unsigned i = 0; i < p->nrates; i++)
        ADD("; %s %u/s burst %u%s", p->rate[i].what, p->rate[i].per_sec, p->rate[i].burst,
            p->rate[i].counter < 0 ? " (not measured)" : "");
#undef ADD
}

/* Detail levels: 2 everything (capsule info), 1 a list line (the short
 * reason), 0 the least that still says what is what. */
static void fill(Supervisor_CapsuleInfo_B e, int k, int level)
{
    const struct capsule *c = &capsules[k];
    bool prev;
    int u = user_of(k, &prev);
    const char *state = !c->valid ? "refused" : k == system_capsule ? "system" : u < 0 ? "valid"
                      : prev ? "previous"
                      : svcs[u].state == S_RUNNING ? "active"
                                                   : svc_states[svcs[u].state];
    const char *reason = !c->valid ? (level == 2 ? c->reason : c->brief)
                       : (u >= 0 && !prev && svcs[u].state == S_QUARANTINED) ? svcs[u].reason
                                                                            : c->note;
    char dom[4] = {'D', (char)('0' + (c->domain < 5 ? c->domain : 9)), 0};
    Supervisor_CapsuleInfo_set_name(e, c->name, strlen(c->name));
    Supervisor_CapsuleInfo_set_version(e, c->ver, strlen(c->ver));
    if (c->have_vcid)
        Supervisor_CapsuleInfo_set_vcid(e, c->vcid, 32);
    Supervisor_CapsuleInfo_set_domain(e, c->manifest_ok ? dom : "?", c->manifest_ok ? 2 : 1);
    Supervisor_CapsuleInfo_set_state(e, state, strlen(state));
    if (u >= 0)
        Supervisor_CapsuleInfo_set_service(e, svcs[u].name, strlen(svcs[u].name));
    if (level < 1)
        return;
    Supervisor_CapsuleInfo_set_reason(e, reason, strlen(reason));
    Supervisor_CapsuleInfo_set_module(e, c->module, strlen(c->module));
    if (level < 2)
        return;
    Supervisor_CapsuleInfo_set_signer(e, c->signer, strlen(c->signer));
    if (c->manifest_ok) {
        static const enum capsule_list lists[2] = {CAPSULE_REQUIRES, CAPSULE_PROVIDES};
        for (int w = 0; w < 2; w++) {
            uint32_t n = capsule_manifest_count(&c->m, lists[w]);
            struct capnp_lbuilder l = w ? Supervisor_CapsuleInfo_init_provides(e, n)
                                        : Supervisor_CapsuleInfo_init_requires(e, n);
            for (uint32_t i = 0; i < n; i++) {
                char item[72];
                copy_str(item, sizeof item, capsule_manifest_item(&c->m, lists[w], i));
                set_text(capnp_lslot(l, i), item);
            }
        }
    }
    if (c->valid) {
        char line[200];
        intent_line(c, line, sizeof line);
        Supervisor_CapsuleInfo_set_intent(e, line, strlen(line));
    }
    if (u >= 0 && !prev && capsvcs[u].counters[0])
        Supervisor_CapsuleInfo_set_counters(e, capsvcs[u].counters,
                                            strlen(capsvcs[u].counters));
}

/* The list, or one capsule's versions in detail; what does not fit one
 * message is sent with fewer details rather than not at all. */
static void send_list(struct ipc_conn *c, struct ipc_msg *m, const char *only)
{
    int idx[MAX_CAPSULES], n = 0;
    for (int k = 0; k < ncapsules; k++)
        if (!only || !strcmp(capsules[k].name, only))
            idx[n++] = k;
    for (int level = only ? 2 : 1; level >= 0; level--) {
        struct capnp_builder b;
        capnp_builder_init(&b, out, sizeof out);
        Supervisor_CapsuleInfo_BList l;
        if (only) {
            Supervisor_capsuleInfo_Results_B r = Supervisor_capsuleInfo_Results_build_root(&b);
            Supervisor_capsuleInfo_Results_set_status(r, n ? Supervisor_Status_ok
                                                           : Supervisor_Status_notFound);
            l = Supervisor_capsuleInfo_Results_init_capsules(r, (uint32_t)n);
        } else {
            l = Supervisor_listCapsules_Results_init_capsules(
                Supervisor_listCapsules_Results_build_root(&b), (uint32_t)n);
        }
        for (int i = 0; i < n; i++)
            fill(Supervisor_CapsuleInfo_BList_get(l, (uint32_t)i), idx[i], level);
        if (!capnp_builder_error(&b) || !level) {
            send_built(c, m->hdr.kind, m->hdr.id, &b);
            return;
        }
    }
}

static void status_reply(struct ipc_conn *c, struct ipc_msg *m, enum Supervisor_Status st,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void status_reply(struct ipc_conn *c, struct ipc_msg *m, enum Supervisor_Status st,
                         const char *fmt, ...)
{
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    /* capsuleStart, capsuleStop and rollback share (status, message) */
    Supervisor_capsuleStart_Results_B r = Supervisor_capsuleStart_Results_build_root(&b);
    Supervisor_capsuleStart_Results_set_status(r, st);
    Supervisor_capsuleStart_Results_set_message(r, text, strlen(text));
    send_built(c, m->hdr.kind, m->hdr.id, &b);
}

static void rollback_reply(struct ipc_conn *c, struct ipc_msg *m, enum Supervisor_Status st,
                           uint64_t cycles, const char *text)
{
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_rollback_Results_B r = Supervisor_rollback_Results_build_root(&b);
    Supervisor_rollback_Results_set_status(r, st);
    Supervisor_rollback_Results_set_message(r, text, strlen(text));
    Supervisor_rollback_Results_set_cycles(r, cycles);
    send_built(c, m->hdr.kind, m->hdr.id, &b);
}

static void do_upgrade(struct ipc_conn *c, struct ipc_msg *m, struct capnp_msg *msg)
{
    Supervisor_upgrade_Params_R p = Supervisor_upgrade_Params_read_root(msg);
    struct capnp_text name = Supervisor_upgrade_Params_name(p);
    struct capnp_text ver = Supervisor_upgrade_Params_version(p);
    char text[200];
    struct service *s = capnp_msg_error(msg) ? 0 : service_for(name);
    if (!s)
        return upgrade_reply(c, m->hdr.id, Supervisor_Status_notFound, 0, 0,
                             "no service runs a capsule of that name");
    struct capsvc *cs = &capsvcs[s - svcs];
    if (cs->probation) {
        snprintf(text, sizeof text, "%s %s is still in its readiness window", cs->name,
                 capsules[cs->cur].ver);
        return upgrade_reply(c, m->hdr.id, Supervisor_Status_badState, 0, 0, text);
    }
    if (s->state == S_REFUSED) {
        snprintf(text, sizeof text, "'%s' was refused: %s", s->name, s->reason);
        return upgrade_reply(c, m->hdr.id, Supervisor_Status_badState, 0, 0, text);
    }
    if (s->state != S_RUNNING) {
        snprintf(text, sizeof text, "'%s' is %s; start it first", s->name, svc_states[s->state]);
        return upgrade_reply(c, m->hdr.id, Supervisor_Status_badState, 0, 0, text);
    }
    int to = -1;
    for (int k = 0; ver.str && k < ncapsules; k++)
        if (!strcmp(capsules[k].name, cs->name) && !strcmp(capsules[k].ver, ver.str))
            to = k;
    if (to < 0) {
        snprintf(text, sizeof text, "no version '%.40s' of capsule '%s' in the boot image",
                 ver.str ? ver.str : "", cs->name);
        return upgrade_reply(c, m->hdr.id, Supervisor_Status_notFound, 0, 0, text);
    }
    if (!capsules[to].valid) {
        snprintf(text, sizeof text, "%s %s was refused at boot: %s", cs->name,
                 capsules[to].ver, capsules[to].reason);
        return upgrade_reply(c, m->hdr.id, Supervisor_Status_denied, 0, 0, text);
    }
    if (to == cs->cur) {
        snprintf(text, sizeof text, "'%s' already runs %s %s", s->name, cs->name,
                 capsules[to].ver);
        return upgrade_reply(c, m->hdr.id, Supervisor_Status_badState, 0, 0, text);
    }
    char what[96];
    if (!capsules[to].elf || grants_beyond(s, to, what, sizeof what)) {
        snprintf(text, sizeof text, "%s %s: %s", cs->name, capsules[to].ver,
                 capsules[to].elf ? "it does not require what the service is granted"
                                  : "it has no entry program");
        return upgrade_reply(c, m->hdr.id, Supervisor_Status_denied, 0, 0, text);
    }
    int from = cs->cur;
    /* the new version, ready to run, while the old one still serves */
    struct standby next;
    char why[96];
    uint64_t p0 = rdtsc();
    bool warm = prepare(s, to, &next, why, sizeof why) == 0;
    uint64_t prep = rdtsc() - p0;
    if (!warm && can_prepare(s)) {
        snprintf(capsules[to].note, sizeof capsules[to].note, "did not start: %.90s", why);
        snprintf(text, sizeof text, "%s %s did not start (%s); %s keeps running", cs->name,
                 capsules[to].ver, why, capsules[from].ver);
        event(s->name, "upgrade to %s did not start", capsules[to].ver);
        return upgrade_reply(c, m->hdr.id, Supervisor_Status_failed, 0, 0, text);
    }
    uint64_t sw;
    int e = switch_to(s, to, &next, &sw);
    standby_drop(&next);
    if (e) {       /* a cold start that failed: back to the old version */
        uint64_t rb;
        snprintf(capsules[to].note, sizeof capsules[to].note, "did not start: %.90s", s->reason);
        switch_to(s, from, 0, &rb);
        snprintf(text, sizeof text, "%s %s did not start (%s); back on %s in %llu cycles",
                 cs->name, capsules[to].ver, capsules[to].note, capsules[from].ver,
                 (unsigned long long)rb);
        event(s->name, "upgrade to %s failed to start; back on %s", capsules[to].ver,
              capsules[from].ver);
        return upgrade_reply(c, m->hdr.id, Supervisor_Status_failed, sw, rb, text);
    }
    if (cs->nhistory == HISTORY) {
        memmove(cs->history, cs->history + 1, sizeof cs->history[0] * (HISTORY - 1));
        cs->nhistory--;
    }
    cs->history[cs->nhistory++] = from;
    capsules[to].note[0] = 0;
    cs->probation = true;
    cs->from = from;
    cs->t0 = rdtsc() - sw;
    cs->switch_cycles = sw;
    cs->task = s->task_id;
    cs->rc = c;
    cs->rid = m->hdr.id;
    cs->reply = true;
    if (init_server)
        init_server->on_close = conn_closed;
    printf("init: switched %s %s -> %s in %llu cycles (%s; prepared in %llu cycles); "
           "readiness window %llu ms\n", cs->name, capsules[from].ver, capsules[to].ver,
           (unsigned long long)sw,
           warm ? "warm" : "cold", (unsigned long long)prep,
           (unsigned long long)(READY_US / 1000));
    event(s->name, "switched %s -> %s in %llu cycles (task %llu)", capsules[from].ver,
          capsules[to].ver, (unsigned long long)sw, (unsigned long long)s->task_id);
    probe_start(s);
    /* the old version, kept warm until the new one proves itself */
    prepare(s, from, &cs->standby, why, sizeof why);
    cs->until = now_us() + READY_US;
    supervise_timers();     /* arm the timer for the window's end */
}

static void do_rollback(struct ipc_conn *c, struct ipc_msg *m, struct capnp_msg *msg)
{
    struct capnp_text name = Supervisor_rollback_Params_name(Supervisor_rollback_Params_read_root(msg));
    char text[200];
    struct service *s = capnp_msg_error(msg) ? 0 : service_for(name);
    if (!s)
        return rollback_reply(c, m, Supervisor_Status_notFound, 0,
                              "no service runs a capsule of that name");
    struct capsvc *cs = &capsvcs[s - svcs];
    if (s->state == S_REFUSED || cs->cur < 0)
        return rollback_reply(c, m, Supervisor_Status_badState, 0, "the service was refused");
    if (cs->probation) {
        /* the operator decides before the window closes */
        capsule_settle(s, false, "was rolled back by request");
        snprintf(text, sizeof text, "rolled back %s to %s", cs->name, capsules[cs->cur].ver);
        return rollback_reply(c, m, Supervisor_Status_ok, 0, text);
    }
    if (!cs->nhistory) {
        snprintf(text, sizeof text, "%s %s is the first version '%s' ran: nothing to go back to",
                 cs->name, capsules[cs->cur].ver, s->name);
        return rollback_reply(c, m, Supervisor_Status_badState, 0, text);
    }
    int from = cs->cur, to = cs->history[cs->nhistory - 1];
    struct standby prev;
    char why[96];
    bool running = s->state == S_RUNNING;
    bool warm = running && prepare(s, to, &prev, why, sizeof why) == 0;
    if (running && !warm && can_prepare(s)) {
        snprintf(text, sizeof text, "%s %s did not start (%s); %s keeps running", cs->name,
                 capsules[to].ver, why, capsules[from].ver);
        return rollback_reply(c, m, Supervisor_Status_failed, 0, text);
    }
    cs->nhistory--;
    uint64_t rb;
    int e = switch_to(s, to, warm ? &prev : 0, &rb);
    if (warm)
        standby_drop(&prev);
    printf("init: rolled back %s %s -> %s in %llu cycles (%s)%s\n", cs->name,
           capsules[from].ver, capsules[to].ver, (unsigned long long)rb, warm ? "warm" : "cold",
           e ? ", but it did not start" : "");
    event(s->name, "rolled back %s -> %s in %llu cycles (by request)", capsules[from].ver,
          capsules[to].ver, (unsigned long long)rb);
    if (e) {
        snprintf(text, sizeof text, "%s %s did not start: %.100s", cs->name, capsules[to].ver,
                 s->reason);
        return rollback_reply(c, m, Supervisor_Status_failed, rb, text);
    }
    snprintf(text, sizeof text, "%s %s -> %s in %llu cycles", cs->name, capsules[from].ver,
             capsules[to].ver, (unsigned long long)rb);
    rollback_reply(c, m, Supervisor_Status_ok, rb, text);
}

/* capbench only: verify the version s is about to start again, from its
 * module's bytes, as the boot did; s then starts the entry blob this
 * verification found. Returns 0 with the cost in note, or -1 with why. */
static int reverify(struct service *s, char *note, size_t n)
{
    static struct capsule c;        /* its opened manifest points into itself */
    int k = capsvcs[s - svcs].cur;
    if (k < 0) {
        snprintf(note, n, "no version to verify");
        return -1;
    }
    memset(&c, 0, sizeof c);
    memcpy(c.module, capsules[k].module, sizeof c.module);
    c.buf = capsules[k].buf;
    c.len = capsules[k].len;
    uint64_t t0 = rdtsc();
    verify_one(&c);
    uint64_t cycles = rdtsc() - t0;
    if (!c.valid || !c.elf || memcmp(c.vcid, capsules[k].vcid, 32)) {
        snprintf(note, n, "%s %s did not verify again: %s", capsules[k].name, capsules[k].ver,
                 c.valid ? "not the capsule the boot verified" : c.reason);
        return -1;
    }
    s->elf = c.elf;
    s->elf_len = c.elf_len;
    snprintf(note, n, "; verified again in %llu cycles", (unsigned long long)cycles);
    return 0;
}

bool capsule_handle(struct ipc_conn *c, struct ipc_msg *m, struct capnp_msg *msg)
{
    struct service *s;
    switch (m->hdr.kind) {
    case Supervisor_method_listCapsules:
        send_list(c, m, 0);
        return true;
    case Supervisor_method_capsuleInfo: {
        struct capnp_text t =
            Supervisor_capsuleInfo_Params_name(Supervisor_capsuleInfo_Params_read_root(msg));
        const char *name = t.str && !capnp_msg_error(msg) ? t.str : "";
        if ((s = service_for(t)) && svc_find(name) >= 0)
            name = capsvcs[s - svcs].name;      /* a service's name: its capsule */
        send_list(c, m, name);
        return true;
    }
    case Supervisor_method_capsuleStart: {
        s = capnp_msg_error(msg) ? 0
                                 : service_for(Supervisor_capsuleStart_Params_name(
                                       Supervisor_capsuleStart_Params_read_root(msg)));
        if (!s) {
            status_reply(c, m, Supervisor_Status_notFound, "no service runs a capsule of that name");
            return true;
        }
        if (s->state == S_RUNNING || s->state == S_REFUSED) {
            status_reply(c, m, Supervisor_Status_badState, "'%s' is %s", s->name,
                         svc_states[s->state]);
            return true;
        }
        bool was_q = s->state == S_QUARANTINED;
        s->nfail = 0;
        char note[160] = "";
        if (bench_reverify && reverify(s, note, sizeof note)) {
            status_reply(c, m, Supervisor_Status_denied, "%s", note);
            return true;
        }
        if (svc_start(s)) {
            status_reply(c, m, Supervisor_Status_failed, "%s", s->reason);
            return true;
        }
        supervise_reconnect(s);
        event(s->name, "started by request (%s, task %llu)%s", capsule_of(s),
              (unsigned long long)s->task_id, was_q ? ", quarantine lifted" : "");
        status_reply(c, m, Supervisor_Status_ok, "started '%s' (%s, task %llu)%s", s->name,
                     capsule_of(s), (unsigned long long)s->task_id, note);
        supervise_timers();
        return true;
    }
    case Supervisor_method_capsuleStop:
        s = capnp_msg_error(msg) ? 0
                                 : service_for(Supervisor_capsuleStop_Params_name(
                                       Supervisor_capsuleStop_Params_read_root(msg)));
        if (!s) {
            status_reply(c, m, Supervisor_Status_notFound, "no service runs a capsule of that name");
            return true;
        }
        if (s->state != S_RUNNING && s->state != S_WAITING) {
            status_reply(c, m, Supervisor_Status_badState, "'%s' is %s", s->name,
                         svc_states[s->state]);
            return true;
        }
        svc_stop(s, "by request");
        capsule_cancel(s, "was stopped by request");
        status_reply(c, m, Supervisor_Status_ok, "stopped '%s' (%s)", s->name, capsule_of(s));
        return true;
    case Supervisor_method_upgrade:
        do_upgrade(c, m, msg);
        return true;
    case Supervisor_method_rollback:
        do_rollback(c, m, msg);
        return true;
    }
    return false;
}
