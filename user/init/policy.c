/*
 * policy.c: init's glue to lib/policy, the install policy beyond the
 * signature (docs/TRUST.md, "In the OS").
 *
 * For a capsule module NAME.vcap that lib/capsule verified, the evidence
 * is the module NAME.trust (a vectra-evidence/v1 container: rebuilder
 * attestations, the claim's inclusion proof, the cosigned checkpoint, a
 * consistency proof). policy_decide() rules on it with the capsule's
 * domain's trust settings from policy.bin and the checkpoints remembered
 * so far; a refusal is the capsule's reason, as lib/capsule's are.
 *
 * Memory: the newest checkpoint verified per log lives in `seen`; within
 * a boot, capsules are checked in module order and each accepted one
 * moves it forward. Across boots it is the store's state volume
 * vectra.trust (trust_persisted, below).
 *
 * Bench: with "trustbench" on the kernel command line (bench/README.md),
 * after the first accepted capsule init also times one inclusion proof of
 * a full-length path in a tree of 10^6 entries and the verification of
 * that capsule's checkpoint with every trusted key, and prints them as
 * bench lines; the accepted line itself gives the policy's cost beside
 * the signature's ("install policy in N cycles").
 */
#include <stdio.h>
#include <string.h>

#include "capsvc.h"
#include "crypto/sha256.h"
#include "policy/policy.h"
#include "policy/sigcache.h"
#include "schema/store.capnp.h"
#include "trust.h"

int crypto_sign_ed25519_verify_detached(const unsigned char *sig, const unsigned char *m,
                                        unsigned long long mlen, const unsigned char *pk);

static void os_sha256v(uint8_t out[32], const struct tlog_span *parts, size_t n)
{
    struct sha256_ctx c;
    sha256_init(&c);
    for (size_t i = 0; i < n; i++)
        sha256_update(&c, parts[i].p, parts[i].n);
    sha256_final(&c, out);
}

static bool raw_verify(const uint8_t sig[64], const void *msg, size_t len, const uint8_t pk[32])
{
    return crypto_sign_ed25519_verify_detached(sig, msg, len, pk) == 0;
}

/* Every Ed25519 check of the policy goes through the boot's cache of
 * verified statements (lib/policy/sigcache.h): a checkpoint shared by
 * several capsules has its log signature and cosignatures verified once. */
static const struct tlog_crypto tlog_raw = {os_sha256v, raw_verify, NULL};
static struct policy_sigcache sigs;

static bool os_verify(const uint8_t sig[64], const void *msg, size_t len, const uint8_t pk[32])
{
    return policy_sigcache_verify(&sigs, &tlog_raw, sig, msg, len, pk);
}

static const struct tlog_crypto tlog_os = {os_sha256v, os_verify, NULL};

static bool transparent, bench, benched;
static bool malformed_state, again_pass; /* trust_persisted's */
static struct policy_state seen;
static struct policy_trust trust;     /* the domain of the capsule at hand */
static char scratch[4096 + 64];       /* a cosigned checkpoint message */

void trust_boot(const struct capsule_policy *p)
{
    const struct v_bootinfo *bi = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    char cmd[sizeof bi->cmdline + 2] = " ";
    memcpy(cmd + 1, bi->cmdline, sizeof bi->cmdline);
    bench = strstr(cmd, " trustbench") != NULL;
    transparent = capsule_policy_transparent(p);
    if (transparent)
        printf("init: install policy: %u logs, %u witnesses, %u rebuilders trusted\n",
               capsule_policy_nkeys(p, CAPSULE_TRUST_LOGS),
               capsule_policy_nkeys(p, CAPSULE_TRUST_WITNESSES),
               capsule_policy_nkeys(p, CAPSULE_TRUST_REBUILDERS));
}

/* The module NAME.trust beside NAME.vcap, or NULL. */
static const char *evidence_of(const char *module, size_t *len)
{
    const struct v_bootinfo *bi = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    size_t n = strlen(module);
    if (n < 5 || strcmp(module + n - 5, ".vcap"))
        return NULL;
    for (uint32_t i = 0; i < bi->nmodules && i < 16; i++) {
        const char *m = bi->module[i].name;
        if (!strncmp(m, module, n - 5) && !strcmp(m + n - 5, ".trust")) {
            *len = bi->module[i].size;
            return (const char *)bi->module[i].vaddr;
        }
    }
    return NULL;
}

/* Names of the keys whose bit is set in mask, comma-separated. */
static void names(char *out, size_t cap, const struct tlog_key *keys, size_t n, uint32_t mask)
{
    size_t at = 0;
    out[0] = 0;
    for (size_t i = 0; i < n && at < cap; i++)
        if (mask >> i & 1u)
            at += (size_t)snprintf(out + at, cap - at, "%s%s", at ? ", " : "", keys[i].name);
}

static bool refuse(struct capsule *c, const char *name, const char *msg, const char *what)
{
    snprintf(c->reason, sizeof c->reason, "%s: %s%s", name, msg, what);
    snprintf(c->brief, sizeof c->brief, "%s%s", name, what);
    return false;
}

static void bench_line(const char *name, uint64_t v)
{
    printf("bench %s unit=insn median=%llu p99=%llu min=%llu n=1\n", name,
           (unsigned long long)v, (unsigned long long)v, (unsigned long long)v);
}

/* The keys that may sign a checkpoint: the trusted logs, then witnesses. */
static size_t checkpoint_keys(struct tlog_key *keys)
{
    size_t nk = 0;
    for (size_t i = 0; i < trust.nlogs; i++)
        keys[nk++] = trust.logs[i];
    for (size_t i = 0; i < trust.nwitnesses; i++)
        keys[nk++] = trust.witnesses[i];
    return nk;
}

/* The two figures of the bench beyond the whole policy. The path
 * is synthetic (its hashes are arbitrary), which costs what a real one
 * does: every hash is computed and the root compared at the end. */
static void trust_bench(const struct policy_input *in)
{
    static uint8_t path[20][32], leaf[32], root[32];
    for (int i = 0; i < 20; i++)
        memset(path[i], i + 1, 32);
    uint64_t t0 = rdtsc();
    tlog_verify_inclusion(&tlog_os, 999999, 1000000, leaf, (const uint8_t(*)[32])path, 20, root);
    bench_line("tlog_inclusion_1m", rdtsc() - t0);
    struct tlog_note note;
    struct tlog_key keys[2 * POLICY_MAX_KEYS];
    size_t nk = checkpoint_keys(keys);
    if (!in->checkpoint || tlog_note_parse(in->checkpoint, in->checkpoint_len, &note) != TLOG_OK)
        return;
    t0 = rdtsc();   /* every signature verified: not through the cache */
    int e = tlog_note_verify(&tlog_raw, &note, keys, nk, NULL, NULL, scratch, sizeof scratch);
    uint64_t t = rdtsc() - t0;
    if (e == TLOG_OK && note.nsigs == 4)
        bench_line("tlog_checkpoint_3_cosigs", t);
}

/* The same decision again, with the cache of verified signatures empty
 * (cold: all seven Ed25519 checks run) and holding exactly the
 * checkpoint's signatures (warm: what every capsule after the first one
 * of a checkpoint pays, its attestations). The remembered checkpoint is
 * this one already, so both take the same path as the boot's decision. */
static void policy_bench(const struct policy_input *in)
{
    static struct policy_result res;
    struct policy_sigcache saved = sigs;
    policy_sigcache_init(&sigs);
    uint64_t t0 = rdtsc();
    enum policy_reason r = policy_decide(&tlog_os, &trust, in, &seen, &res);
    uint64_t t = rdtsc() - t0;
    if (r == POLICY_OK && sigs.verified == 7)
        bench_line("policy_check_64k_cold", t);
    struct tlog_note note;
    struct tlog_key keys[2 * POLICY_MAX_KEYS];
    size_t nk = checkpoint_keys(keys);
    policy_sigcache_init(&sigs);
    if (in->checkpoint && tlog_note_parse(in->checkpoint, in->checkpoint_len, &note) == TLOG_OK &&
        tlog_note_verify(&tlog_os, &note, keys, nk, NULL, NULL, scratch, sizeof scratch) ==
            TLOG_OK) {
        uint64_t before = sigs.verified;
        t0 = rdtsc();
        r = policy_decide(&tlog_os, &trust, in, &seen, &res);
        t = rdtsc() - t0;
        if (r == POLICY_OK && sigs.verified - before == 3)
            bench_line("policy_check_64k_warm", t);
    }
    sigs = saved;
}

/* What `capsule info` shows of an accepted capsule's install policy:
 * each proof and who vouched for it (docs/TRUST.md, "In the OS"). */
static void vouchers(struct capsule *c, const struct policy_result *res)
{
    char who[120];
    c->nvouch = 0;
    if (!transparent) {
        snprintf(c->vouch[c->nvouch++], sizeof c->vouch[0],
                 "signature only: the policy asks for no rebuilders, log or witnesses");
        snprintf(c->vouch[c->nvouch++], sizeof c->vouch[0], "footprint within D%u's ceiling",
                 c->domain);
        return;
    }
    names(who, sizeof who, trust.rebuilders, trust.nrebuilders, res->rebuilders);
    snprintf(c->vouch[c->nvouch++], sizeof c->vouch[0], "rebuilt by %s (%u needed)",
             who[0] ? who : "nobody", trust.n);
    char root[9] = "?";
    for (size_t i = 0; i < POLICY_MAX_LOGS; i++)
        if (res->state.log[i].used && !memcmp(res->state.log[i].log_key, trust.logs[res->log].pub, 32))
            hex(root, res->state.log[i].root, 4);
    snprintf(c->vouch[c->nvouch++], sizeof c->vouch[0],
             "claim %llu of %llu in %s (root %s..): inclusion proof verified",
             (unsigned long long)res->leaf_index, (unsigned long long)res->size,
             trust.logs[res->log].name, root);
    names(who, sizeof who, trust.witnesses, trust.nwitnesses, res->witnesses);
    snprintf(c->vouch[c->nvouch++], sizeof c->vouch[0], "checkpoint cosigned by %s (%u needed)",
             who[0] ? who : "nobody", trust.k);
    snprintf(c->vouch[c->nvouch++], sizeof c->vouch[0], "footprint within D%u's ceiling",
             c->domain);
}

bool trust_check(struct capsule *c, const struct capsule_policy *p)
{
    struct policy_input in = {.verified = CAPSULE_OK, .vcid = c->vcid, .manifest = &c->m,
                              .policy = p, .scratch = scratch, .scratch_cap = sizeof scratch};
    struct policy_evidence ev;
    static struct policy_result res;
    char what[96] = "";
    if (transparent) {
        size_t len = 0;
        const char *e = evidence_of(c->module, &len);
        if (!e)
            snprintf(what, sizeof what, " (no evidence module beside %s)", c->module);
        else if (policy_evidence_parse(e, len, &ev) != TLOG_OK)
            return refuse(c, "EVIDENCE_FORMAT", "the capsule's .trust module is malformed", "");
        else
            policy_evidence_input(&ev, &in);
    }
    if (policy_trust_load(&tlog_os, p, (uint16_t)c->domain, &trust) != POLICY_OK)
        return refuse(c, "CONFIG", policy_reason_msg(POLICY_CONFIG), "");
    uint64_t t0 = rdtsc();
    enum policy_reason r = policy_decide(&tlog_os, &trust, &in, &seen, &res);
    uint64_t cycles = rdtsc() - t0;
    if (r != POLICY_OK) {
        if (r == POLICY_REBUILDERS || r == POLICY_WITNESSES)
            snprintf(what, sizeof what, " (%u of %u)", res.have, res.need);
        else if (r == POLICY_ROLLBACK || r == POLICY_SPLIT_VIEW || r == POLICY_CONSISTENCY)
            snprintf(what, sizeof what, " (tree size %llu, already verified %llu)",
                     (unsigned long long)res.size, (unsigned long long)res.seen);
        else if (r == POLICY_FOOTPRINT && res.index >= 0) {
            struct capsule_str s = capsule_manifest_item(&c->m, CAPSULE_REQUIRES, (uint32_t)res.index);
            snprintf(what, sizeof what, " (%.*s)", (int)s.len, s.p);
        } else if (res.index >= 0 && r != POLICY_CLAIM_MISSING)
            snprintf(what, sizeof what, " (attestation %d)", (int)res.index + 1);
        return refuse(c, policy_reason_name(r), policy_reason_msg(r), what);
    }
    seen = res.state;
    vouchers(c, &res);
    if (transparent && !again_pass) {
        char reb[120], wit[120];
        names(reb, sizeof reb, trust.rebuilders, trust.nrebuilders, res.rebuilders);
        names(wit, sizeof wit, trust.witnesses, trust.nwitnesses, res.witnesses);
        printf("init: capsule %s %s: install policy in %llu cycles: rebuilt by %s; claim %llu of "
               "%llu in %s, cosigned by %s\n",
               c->name, c->ver, (unsigned long long)cycles, reb[0] ? reb : "nobody",
               (unsigned long long)res.leaf_index, (unsigned long long)res.size,
               trust.logs[res.log].name, wit[0] ? wit : "nobody");
        if (bench && !benched && c->len == 65536) {
            benched = true;
            bench_line("policy_check_64k", cycles);
            trust_bench(&in);
            policy_bench(&in);
        }
    }
    return true;
}

/* ---- the memory across boots: the state volume in the store ----
 *
 * init verifies the boot image's capsules before any service runs, so the
 * checkpoints remembered by earlier boots can only be read once the store
 * service does. Before the capsule services are bound (main.c), init
 * starts the store and what it depends on (svc_start_early), reads the
 * state volume TRUST_STATE, decides every verified capsule again in module
 * order with that memory, refuses those that now fail (an old checkpoint
 * replayed after a reboot, a split view against an earlier boot's), and
 * writes the newest memory back, committed before any capsule service
 * starts. Without a store service, a store on the disk, or an answer, it
 * says so and the memory is for this boot only.
 */
#define TRUST_STATE "vectra.trust"
#define TRUST_STATE_SCHEMA 1u
#define T_STORE_US 20000000ull

static struct ipc_conn store;
static bool store_open;

/* The persisted memory; false (after saying why) when there is none to use. */
static bool state_read(struct policy_state *out, bool *found)
{
    static uint8_t buf[512];
    static struct ipc_msg r;
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Store_stateRead_Params_set_name(Store_stateRead_Params_build_root(&b), TRUST_STATE,
                                    sizeof TRUST_STATE - 1);
    size_t len;
    const uint8_t *bytes = capnp_builder_bytes(&b, &len);
    int e = ipc_call(&store, Store_method_stateRead, bytes, (uint32_t)len, 0, 0, &r, T_STORE_US);
    struct capnp_msg msg;
    if (e != IPC_OK || ipc_request_open(&msg, &r)) {
        printf("init: install policy: the store did not answer (%s): checkpoints remembered for "
               "this boot only\n", e ? ipc_strerror(e) : "malformed reply");
        return false;
    }
    Store_stateRead_Results_R res = Store_stateRead_Results_read_root(&msg);
    unsigned st = Store_stateRead_Results_status(res);
    *found = false;
    memset(out, 0, sizeof *out);
    if (st == Store_Status_notFound)
        return true;
    if (st != Store_Status_ok) {
        struct capnp_text err = Store_stateRead_Results_error(res);
        printf("init: install policy: no store to remember checkpoints in (%.*s): remembered for "
               "this boot only\n", (int)err.len, err.str);
        return false;
    }
    struct capnp_data d = Store_stateRead_Results_bytes(res);
    if (Store_stateRead_Results_schema(res) != TRUST_STATE_SCHEMA ||
        policy_state_parse((const char *)d.ptr, d.len, out) != TLOG_OK) {
        /* the store's checksums hold, so this is not bit rot: refuse to
         * forget what it says rather than trust every checkpoint anew */
        memset(out, 0, sizeof *out);
        *found = malformed_state = true;
        return true; /* every capsule is refused: see decide_again */
    }
    *found = true;
    return true;
}

static bool state_write(const struct policy_state *st)
{
    static uint8_t buf[POLICY_STATE_MAX + 256];
    static char text[POLICY_STATE_MAX];
    static struct ipc_msg r;
    size_t n = policy_state_format(st, text, sizeof text);
    struct capnp_builder b;
    capnp_builder_init(&b, buf, sizeof buf);
    Store_stateWrite_Params_B p = Store_stateWrite_Params_build_root(&b);
    Store_stateWrite_Params_set_name(p, TRUST_STATE, sizeof TRUST_STATE - 1);
    Store_stateWrite_Params_set_schema(p, TRUST_STATE_SCHEMA);
    Store_stateWrite_Params_set_bytes(p, text, (uint32_t)n);
    size_t len;
    const uint8_t *bytes = capnp_builder_bytes(&b, &len);
    int e = ipc_call(&store, Store_method_stateWrite, bytes, (uint32_t)len, 0, 0, &r, T_STORE_US);
    struct capnp_msg msg;
    if (e != IPC_OK || ipc_request_open(&msg, &r) ||
        Store_stateWrite_Results_status(Store_stateWrite_Results_read_root(&msg)) !=
            Store_Status_ok) {
        printf("init: install policy: the store did not keep the checkpoints (%s)\n",
               e ? ipc_strerror(e) : "refused");
        return false;
    }
    return true;
}

static bool decide_again(struct capsule *c, const struct capsule_policy *p)
{
    if (malformed_state)
        return refuse(c, "STATE", "the checkpoints remembered in the store are malformed", "");
    return trust_check(c, p);
}

void trust_persisted(void)
{
    if (!transparent)
        return;
    int i = svc_find("store");
    if (i < 0) {
        printf("init: install policy: no store service in the manifest: checkpoints remembered "
               "for this boot only\n");
        return;
    }
    v_handle client[2];
    if (svc_start_early(i) != 0 ||
        ipc_introduce(init_memory, svcs[i].accept_tx, "init", client) != IPC_OK) {
        printf("init: install policy: the store service did not start: checkpoints remembered "
               "for this boot only\n");
        return;
    }
    if (ipc_attach(&store, client[0], client[1]) != IPC_OK) {
        v_cap_delete(client[0]);
        v_cap_delete(client[1]);
        return;
    }
    store_open = true;
    struct policy_state before;
    bool found;
    if (!state_read(&before, &found))
        return;
    if (found && !malformed_state) {
        for (size_t k = 0; k < POLICY_MAX_LOGS; k++)
            if (before.log[k].used)
                printf("init: install policy: remembered from an earlier boot: a log at tree size "
                       "%llu\n", (unsigned long long)before.log[k].size);
    } else if (!found)
        printf("init: install policy: no checkpoints remembered in the store yet\n");
    else
        printf("init: install policy: the checkpoints remembered in the store are malformed: "
               "every capsule under the install policy is refused\n");
    /* the same decisions with that memory; a capsule refused now is
     * refused before anything of it runs */
    seen = before;
    again_pass = true;
    capsule_trust_again(decide_again);
    again_pass = false;
    if (malformed_state)
        return; /* keep the evidence as it is */
    if (memcmp(&seen, &before, sizeof seen) && state_write(&seen))
        printf("init: install policy: checkpoints remembered in the store\n");
}
