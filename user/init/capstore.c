/*
 * capstore.c: the capsule store (user/services/store, schema/store.capnp) as the
 * Supervisor uses it: install, remove, gc and generations; upgrades and
 * rollbacks made persistent; and at boot the store's current generation
 * applied, with fallback to the previous one when its services do not
 * reach readiness (docs/STORE.md, "Install and generations").
 *
 * init is the store's only writer: the store service takes changes only
 * from the connection init makes to it (peer "init"). Every call here is
 * synchronous: init waits for the store's answer (the store never calls
 * init, so this cannot deadlock; while it waits, init's other clients
 * wait in their Rings).
 *
 * The install rule: a capsule is read whole into init's memory and
 * verified in full (capsule_verify_one: the boot policy, lib/policy's
 * install rules) before the first byte is sent to the store; the store
 * writes nothing before it has all the bytes and they hash to what init
 * announced. So an install interrupted at any point leaves at most blocks
 * no root references: free space (docs/STORE.md, "Space and gc").
 *
 * Capsules read from the store or a FAT volume are added to the capsule
 * table (capsule_add) in pages init keeps mapped for its life: the table
 * only grows, up to MAX_CAPSULES versions.
 *
 * Owns: the connections to "store" and "fat", the boot application's
 * state (which services' windows are still open, whether one failed).
 */
#include <stdio.h>
#include <string.h>

#include "capsvc.h"
#include "crypto/sha256.h"
#include "schema/fat.capnp.h"
#include "schema/store.capnp.h"

#define T_STORE 30000000ull
#define MAX_INSTALL (2u << 20)          /* user/services/store's UPLOAD_MAX */
#define CHUNK 3072u                     /* capsule bytes per putChunk */
#define STORE_LIST_MAX 64               /* lib/store's STORE_MAX_CAPSULES */

struct peer {
    const char *svc;
    struct ipc_conn conn;
    bool up;
    uint64_t task;                      /* the instance it was made to */
};
static struct peer store_peer = {.svc = "store"}, fat_peer = {.svc = "fat"};
static struct ipc_msg rep;
static struct capnp_msg rmsg;
static uint8_t req[IPC_PAYLOAD_MAX] __attribute__((aligned(8)));
static uint8_t out[IPC_PAYLOAD_MAX] __attribute__((aligned(8)));

bool capstore_present(void) { return svc_find("store") >= 0; }

static bool peer_up(struct peer *p)
{
    int i = svc_find(p->svc);
    if (i < 0 || svcs[i].state != S_RUNNING)
        return false;
    if (p->up && p->task == svcs[i].task_id && !p->conn.closed)
        return true;
    if (p->up)
        ipc_detach(&p->conn);
    p->up = false;
    v_handle client[2];
    if (ipc_introduce(init_memory, svcs[i].accept_tx, "init", client) != IPC_OK)
        return false;
    if (ipc_attach(&p->conn, client[0], client[1]) != IPC_OK)
        return false;
    p->up = true;
    p->task = svcs[i].task_id;
    return true;
}

/* A call to p; 0 with the reply opened in rmsg, or an ipc status. */
static int pcall(struct peer *p, uint16_t method, struct capnp_builder *b)
{
    if (!peer_up(p))
        return IPC_CLOSED;
    size_t len = 0;
    const uint8_t *d = b ? capnp_builder_bytes(b, &len) : 0;
    int e = ipc_call(&p->conn, method, d, (uint32_t)len, 0, 0, &rep, T_STORE);
    if (e == IPC_CLOSED && peer_up(p))
        e = ipc_call(&p->conn, method, d, (uint32_t)len, 0, 0, &rep, T_STORE);
    for (unsigned k = 0; k < rep.ncaps; k++)
        v_cap_delete(rep.caps[k]);
    if (e)
        return e;
    if (rep.hdr.kind != (method | IPC_REPLY) || ipc_request_open(&rmsg, &rep))
        return IPC_CORRUPT;
    return 0;
}

static const char *const store_status[] = {"ok", "not open", "I/O error", "corrupt",
                                           "not found", "already present", "store full",
                                           "too big", "bad request", "refused", "denied",
                                           "in use"};

static const char *sname(unsigned s)
{
    return s < sizeof store_status / sizeof store_status[0] ? store_status[s] : "?";
}

/* "store full (NO_SPACE: not enough free space on the device)" from a reply. */
static void say(char *buf, size_t n, unsigned st, struct capnp_text err, struct capnp_text why)
{
    snprintf(buf, n, "%s%s%.*s%s%.*s%s", sname(st), err.len || why.len ? " (" : "",
             (int)err.len, err.str ? err.str : "", err.len && why.len ? ": " : "",
             (int)why.len, why.str ? why.str : "", err.len || why.len ? ")" : "");
}

/* A Change call: 0, or -1 with why; *ch the reply's root. */
static int change(uint16_t method, struct capnp_builder *b, Store_Change_R *ch, unsigned *stp,
                  char *why, size_t n)
{
    int e = pcall(&store_peer, method, b);
    if (e) {
        snprintf(why, n, "the store did not answer: %s", ipc_strerror(e));
        return -1;
    }
    *ch = Store_Change_read_root(&rmsg);
    unsigned st = Store_Change_status(*ch);
    if (stp)
        *stp = st;
    if (st != Store_Status_ok) {
        say(why, n, st, Store_Change_error(*ch), Store_Change_why(*ch));
        return -1;
    }
    return 0;
}

/* ---- what the store holds ------------------------------------------------------ */

struct installed {
    char name[CAP_NAME], ver[CAP_VER];
    uint8_t vcid[32], file[32];
    uint64_t bytes;
    bool active, previous;
};
static struct installed inst[STORE_LIST_MAX];
static unsigned ninst;

/* Refreshes inst[]; 0, or -1 with why. */
static int list_installed(char *why, size_t n)
{
    int e = pcall(&store_peer, Store_method_installed, 0);
    if (e) {
        snprintf(why, n, "no store: %s", ipc_strerror(e));
        return -1;
    }
    Store_installed_Results_R r = Store_installed_Results_read_root(&rmsg);
    unsigned st = Store_installed_Results_status(r);
    if (st != Store_Status_ok) {
        struct capnp_text none = {"", 0};
        say(why, n, st, none, none);
        return -1;
    }
    Store_Capsule_RList l = Store_installed_Results_capsules(r);
    ninst = 0;
    for (uint32_t i = 0; i < Store_Capsule_RList_len(l) && ninst < STORE_LIST_MAX; i++) {
        Store_Capsule_R c = Store_Capsule_RList_get(l, i);
        struct installed *k = &inst[ninst];
        struct capnp_data v = Store_Capsule_vcid(c), f = Store_Capsule_file(c);
        if (v.len != 32 || f.len != 32)
            continue;
        capsule_text(k->name, sizeof k->name,
                     (struct capsule_str){Store_Capsule_name(c).str, Store_Capsule_name(c).len});
        capsule_text(k->ver, sizeof k->ver,
                     (struct capsule_str){Store_Capsule_version(c).str, Store_Capsule_version(c).len});
        memcpy(k->vcid, v.ptr, 32);
        memcpy(k->file, f.ptr, 32);
        k->bytes = Store_Capsule_bytes(c);
        k->active = Store_Capsule_active(c);
        k->previous = Store_Capsule_previous(c);
        ninst++;
    }
    return capnp_msg_error(&rmsg) ? (snprintf(why, n, "malformed reply from the store"), -1) : 0;
}

static const struct installed *find_installed(const char *name, const char *ver)
{
    for (unsigned i = 0; i < ninst; i++)
        if (!strcmp(inst[i].name, name) && (!ver || !strcmp(inst[i].ver, ver)))
            if (ver || inst[i].active)
                return &inst[i];
    return 0;
}

static const struct installed *find_vcid(const uint8_t vcid[32])
{
    for (unsigned i = 0; i < ninst; i++)
        if (!memcmp(inst[i].vcid, vcid, 32))
            return &inst[i];
    return 0;
}

/* Pages for a capsule's bytes, kept for init's life once a capsule is
 * added; a buffer whose capsule was not kept is reused by the next load. */
static uint8_t *spare;
static size_t spare_len;

static uint8_t *buffer(size_t len)
{
    size_t bytes = (len + V_PAGE_SIZE - 1) & ~(size_t)(V_PAGE_SIZE - 1);
    if (spare && spare_len >= bytes)
        return spare;
    uint64_t va = rt_va_alloc(bytes);
    struct v_ret r = v_retype(init_memory, V_TYPE_FRAME, bytes / V_PAGE_SIZE, V_SLOT_ANY);
    if (r.err || v_as_map(rt_aspace(), (v_handle)r.val, va, V_R_READ | V_R_WRITE).err)
        return 0;
    spare = (uint8_t *)va;
    spare_len = bytes;
    return spare;
}

static void kept(uint8_t *buf)
{
    if (buf == spare)
        spare = 0;
}

/* ---- loading from the store ------------------------------------------------------ */

static uint64_t last_read_cycles;       /* the service's read and verify of the last blob */

/* Reads blob `file` of `bytes` bytes into a fresh buffer. */
static uint8_t *read_blob(const uint8_t file[32], uint64_t bytes, char *why, size_t n)
{
    if (bytes == 0 || bytes > MAX_INSTALL) {
        snprintf(why, n, "a capsule of %llu bytes: too big for init to load",
                 (unsigned long long)bytes);
        return 0;
    }
    uint8_t *buf = buffer(bytes);
    if (!buf) {
        snprintf(why, n, "no memory for %llu bytes", (unsigned long long)bytes);
        return 0;
    }
    for (uint64_t off = 0; off < bytes;) {
        struct capnp_builder b;
        capnp_builder_init(&b, req, sizeof req);
        Store_read_Params_B p = Store_read_Params_build_root(&b);
        Store_read_Params_set_blob(p, file, 32);
        Store_read_Params_set_offset(p, off);
        Store_read_Params_set_n(p, Store_maxRead);
        int e = pcall(&store_peer, Store_method_read, &b);
        if (e) {
            snprintf(why, n, "the store did not answer: %s", ipc_strerror(e));
            return 0;
        }
        Store_read_Results_R r = Store_read_Results_read_root(&rmsg);
        unsigned st = Store_read_Results_status(r);
        struct capnp_data d = Store_read_Results_bytes(r);
        if (st != Store_Status_ok) {
            say(why, n, st, Store_read_Results_error(r), Store_read_Results_why(r));
            return 0;
        }
        if (Store_read_Results_length(r) != bytes || !d.len || d.len > bytes - off) {
            snprintf(why, n, "the store's blob is not the %llu bytes its catalog says",
                     (unsigned long long)bytes);
            return 0;
        }
        if (off == 0)
            last_read_cycles = Store_read_Results_cycles(r);
        memcpy(buf + off, d.ptr, d.len);
        off += d.len;
    }
    return buf;
}

static int load(const struct installed *k, char *why, size_t n)
{
    for (int j = 0; j < capsule_count(); j++)
        if (capsule_at(j)->have_vcid && !memcmp(capsule_at(j)->vcid, k->vcid, 32))
            return capsule_at(j)->valid ? j : (snprintf(why, n, "%s", capsule_at(j)->reason), -1);
    uint64_t t0 = rdtsc();
    uint8_t *buf = read_blob(k->file, k->bytes, why, n);
    if (!buf)
        return -1;
    uint64_t t1 = rdtsc();
    char module[48];
    snprintf(module, sizeof module, "store:%.20s-%.20s", k->name, k->ver);
    int j = capsule_add(module, buf, k->bytes, why, n);
    if (j < 0)
        return -1;
    if (memcmp(capsule_at(j)->vcid, k->vcid, 32)) {
        snprintf(why, n, "the store's %s %s is another capsule than its catalog says", k->name,
                 k->ver);
        return -1;
    }
    kept(buf);
    printf("init: capsule %s %s read from the store (%llu bytes, %llu cycles) and verified in "
           "%llu cycles\n", k->name, k->ver, (unsigned long long)k->bytes,
           (unsigned long long)(t1 - t0), (unsigned long long)(rdtsc() - t1));
    return j;
}

int capstore_load(const char *name, const char *ver, char *why, size_t n)
{
    why[0] = 0;
    if (!capstore_present() || list_installed(why, n)) {
        why[0] = 0;
        return -1;
    }
    const struct installed *k = find_installed(name, ver);
    return k ? load(k, why, n) : -1;
}

/* ---- persistence of upgrade and rollback ------------------------------------------ */

static bool *capstore_boot_window;  /* per service: a boot switch's window is open (capstore_boot) */
static int boot_pending;                /* boot windows still open */
static bool boot_failed, boot_second;   /* a window failed; re-applying after a fallback */
static char boot_why[160];
static uint64_t boot_gen;
static void boot_done(void);
static void crash_next(void);

static void settled(struct service *s, bool ok, int from, int to, char *more, size_t n)
{
    (void)from;
    if (capstore_boot_window && capstore_boot_window[s - svcs]) {
        capstore_boot_window[s - svcs] = false;
        if (!ok) {
            boot_failed = true;
            snprintf(boot_why, sizeof boot_why, "%s %s did not reach readiness (%s)",
                     s->ref.name, capsule_at(to)->ver, upgrade_note(to));
        }
        if (--boot_pending == 0)
            boot_done();
        return;
    }
    if (!ok || !capstore_present())
        return;
    char why[160];
    if (list_installed(why, sizeof why)) {
        snprintf(more, n, "; not persisted: %s", why);
        return;
    }
    const struct installed *k = find_vcid(capsule_at(to)->vcid);
    if (!k) {
        snprintf(more, n, "; in memory only: %s %s is not installed in the store", s->ref.name,
                 capsule_at(to)->ver);
        return;
    }
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Store_activate_Params_set_vcid(Store_activate_Params_build_root(&b), k->vcid, 32);
    Store_Change_R ch;
    unsigned st = 0;
    if (change(Store_method_activate, &b, &ch, &st, why, sizeof why)) {
        if (!strncmp(why, "refused (SAME", 13))
            snprintf(more, n, "; the store's generation already has it");
        else
            snprintf(more, n, "; not persisted: %s", why);
        return;
    }
    snprintf(more, n, "; persisted: generation %llu (seq %llu)",
             (unsigned long long)Store_Change_generation(ch), (unsigned long long)Store_Change_seq(ch));
    printf("init: generation %llu: %s %s (committed at seq %llu)\n",
           (unsigned long long)Store_Change_generation(ch), s->ref.name, capsule_at(to)->ver,
           (unsigned long long)Store_Change_seq(ch));
    event(s->name, "generation %llu: %s %s", (unsigned long long)Store_Change_generation(ch),
          s->ref.name, capsule_at(to)->ver);
}

int capstore_previous(const struct service *s, char *why, size_t n)
{
    why[0] = 0;
    int cur = capsule_cur(s);
    if (cur < 0 || !capstore_present() || list_installed(why, n)) {
        why[0] = 0;
        return -1;
    }
    const struct installed *a = find_vcid(capsule_at(cur)->vcid);
    if (!a || !a->active)
        return -1;              /* what runs is not the store's: the in-memory history */
    for (unsigned i = 0; i < ninst; i++)
        if (inst[i].previous && !strcmp(inst[i].name, a->name))
            return load(&inst[i], why, n);
    return -1;
}

void capstore_rolled_back(const struct service *s, char *more, size_t n)
{
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Store_rollback_Params_set_name(Store_rollback_Params_build_root(&b), s->ref.name,
                                   strlen(s->ref.name));
    Store_Change_R ch;
    char why[160];
    if (change(Store_method_rollback, &b, &ch, 0, why, sizeof why)) {
        snprintf(more, n, "; not persisted: %s", why);
        return;
    }
    snprintf(more, n, "; persisted: generation %llu (seq %llu)",
             (unsigned long long)Store_Change_generation(ch), (unsigned long long)Store_Change_seq(ch));
    printf("init: generation %llu: %s rolled back to %s (committed at seq %llu)\n",
           (unsigned long long)Store_Change_generation(ch), s->ref.name,
           capsule_at(capsule_cur(s))->ver, (unsigned long long)Store_Change_seq(ch));
}

/* ---- install --------------------------------------------------------------------- */

/* The FAT file at path, read whole; 0 with why. */
static uint8_t *read_fat(const char *path, size_t *len, char *why, size_t n)
{
    uint8_t *buf = 0;
    uint64_t size = 0;
    for (uint64_t off = 0; !buf || off < size;) {
        struct capnp_builder b;
        capnp_builder_init(&b, req, sizeof req);
        Fat_read_Params_B p = Fat_read_Params_build_root(&b);
        Fat_read_Params_set_path(p, path, strlen(path));
        Fat_read_Params_set_offset(p, off);
        Fat_read_Params_set_n(p, Fat_maxRead);
        int e = pcall(&fat_peer, Fat_method_read, &b);
        if (e) {
            snprintf(why, n, "no FAT volume: %s", ipc_strerror(e));
            return 0;
        }
        Fat_read_Results_R r = Fat_read_Results_read_root(&rmsg);
        unsigned st = Fat_read_Results_status(r);
        if (st) {
            struct capnp_text er = Fat_read_Results_error(r), w = Fat_read_Results_why(r);
            snprintf(why, n, "fat:%s: %.*s (%.*s)", path, (int)er.len, er.str ? er.str : "",
                     (int)w.len, w.str ? w.str : "");
            return 0;
        }
        if (!buf) {
            size = Fat_read_Results_size(r);
            if (size == 0 || size > MAX_INSTALL) {
                snprintf(why, n, "fat:%s: %llu bytes (a capsule is 1 .. %u bytes)", path,
                         (unsigned long long)size, MAX_INSTALL);
                return 0;
            }
            if (!(buf = buffer(size))) {
                snprintf(why, n, "no memory for %llu bytes", (unsigned long long)size);
                return 0;
            }
        }
        struct capnp_data d = Fat_read_Results_bytes(r);
        if (Fat_read_Results_size(r) != size || !d.len || d.len > size - off) {
            snprintf(why, n, "fat:%s changed while read", path);
            return 0;
        }
        memcpy(buf + off, d.ptr, d.len);
        off += d.len;
    }
    *len = size;
    return buf;
}

static bool has_prefix(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }

/* The install of src: a Supervisor status and its sentence in text; t[]
 * the cycles of verify, copy and commit. */
#define REPLY(st, ...) (snprintf(text, tn, __VA_ARGS__), (int)(st))
static int do_install(const char *src, char *text, size_t tn, uint64_t t[4])
{
    char why[200];
    if (!capstore_present())
        return REPLY(Supervisor_Status_badState, "this system has no store");
    if (has_prefix(src, "http:") || has_prefix(src, "https:"))
        return REPLY(Supervisor_Status_notFound,
                            "%s: installs from a URL are not supported yet (use fat:/PATH)", src);
    uint64_t t0 = rdtsc(), tread = 0;
    /* 1. the bytes, and the capsule verified in full */
    int k = -1;
    const uint8_t *bytes;
    size_t len;
    if (has_prefix(src, "fat:")) {
        uint8_t *buf = read_fat(src + 4, &len, why, sizeof why);
        if (!buf)
            return REPLY(Supervisor_Status_notFound, "%s", why);
        tread = rdtsc() - t0;
        k = capsule_add(src, buf, len, why, sizeof why);
        if (k < 0) {
            printf("init: install %s refused: failed verification: %s\n", src, why);
            event("init", "install %.40s refused: %.60s", src, why);
            return REPLY(Supervisor_Status_denied, "%s: failed verification: %s",
                                src, why);
        }
        if (capsule_at(k)->buf == buf)
            kept(buf);
    } else {
        const char *mod = has_prefix(src, "boot:") ? src + 5 : src;
        for (int j = 0; j < capsule_count(); j++)
            if (!strcmp(capsule_at(j)->module, mod))
                k = j;
        if (k < 0)
            return REPLY(Supervisor_Status_notFound,
                                "%s: no such capsule module in the boot image (or use fat:/PATH)",
                                src);
        if (!capsule_at(k)->valid)
            return REPLY(Supervisor_Status_denied, "%s: failed verification: %s",
                                src, capsule_at(k)->reason);
    }
    const struct capsule *cap = capsule_at(k);
    bytes = cap->buf;
    len = cap->len;
    uint64_t t1 = rdtsc();
    /* 2. refusals the store's catalog answers before any byte travels */
    if (list_installed(why, sizeof why))
        return REPLY(Supervisor_Status_failed, "%s", why);
    if (find_vcid(cap->vcid) || find_installed(cap->name, cap->ver))
        return REPLY(Supervisor_Status_badState,
                            "already present: %s %s is installed in the store", cap->name, cap->ver);
    uint8_t h[32];
    sha256(h, bytes, len);
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Store_putBegin_Params_B pb = Store_putBegin_Params_build_root(&b);
    Store_putBegin_Params_set_bytes(pb, len);
    Store_putBegin_Params_set_sha256(pb, h, 32);
    Store_Change_R ch;
    unsigned st = 0;
    if (change(Store_method_putBegin, &b, &ch, &st, why, sizeof why)) {
        printf("init: install %s %s refused: %s\n", cap->name, cap->ver, why);
        return REPLY(st == Store_Status_exists ? Supervisor_Status_badState
                                                            : Supervisor_Status_failed,
                            "%s %s (%zu bytes): %s", cap->name, cap->ver, len, why);
    }
    /* 3. the bytes to the store's upload buffer (nothing on disk yet) */
    for (size_t off = 0; off < len; off += CHUNK) {
        capnp_builder_init(&b, req, sizeof req);
        Store_putChunk_Params_B pc = Store_putChunk_Params_build_root(&b);
        Store_putChunk_Params_set_offset(pc, off);
        Store_putChunk_Params_set_bytes(pc, bytes + off, (uint32_t)(len - off < CHUNK ? len - off : CHUNK));
        if (change(Store_method_putChunk, &b, &ch, 0, why, sizeof why))
            return REPLY(Supervisor_Status_failed, "%s %s: upload: %s", cap->name,
                                cap->ver, why);
    }
    uint64_t t2 = rdtsc();
    /* 4. written, recorded, committed */
    capnp_builder_init(&b, req, sizeof req);
    Store_install_Params_B pi = Store_install_Params_build_root(&b);
    Store_install_Params_set_vcid(pi, cap->vcid, 32);
    Store_install_Params_set_name(pi, cap->name, strlen(cap->name));
    Store_install_Params_set_version(pi, cap->ver, strlen(cap->ver));
    if (change(Store_method_install, &b, &ch, &st, why, sizeof why)) {
        printf("init: install %s %s refused: %s\n", cap->name, cap->ver, why);
        return REPLY(st == Store_Status_exists ? Supervisor_Status_badState
                                                            : Supervisor_Status_failed,
                            "%s %s: %s", cap->name, cap->ver, why);
    }
    uint64_t t3 = rdtsc();
    t[0] = tread;
    t[1] = t1 - t0 - tread;
    t[2] = t2 - t1;
    t[3] = t3 - t2;
    char id[65];
    hex(id, cap->vcid, 32);
    id[16] = 0;
    printf("init: installed %s %s from %s: %zu bytes, vcid %s.., committed at seq %llu "
           "(read %llu, verify %llu, copy %llu, commit %llu cycles)\n", cap->name, cap->ver, src,
           len, id, (unsigned long long)Store_Change_seq(ch), (unsigned long long)tread,
           (unsigned long long)(t1 - t0 - tread),
           (unsigned long long)(t2 - t1), (unsigned long long)(t3 - t2));
    event(cap->name, "installed %s from %.40s (seq %llu)", cap->ver, src,
          (unsigned long long)Store_Change_seq(ch));
    return REPLY(Supervisor_Status_ok,
                        "installed %s %s (%zu bytes, vcid %s..), committed at seq %llu; "
                        "'capsule upgrade %s %s' runs it", cap->name, cap->ver, len, id,
                        (unsigned long long)Store_Change_seq(ch), cap->name, cap->ver);
}
#undef REPLY

void serve_install(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    struct capnp_text t = Supervisor_install_Params_source(Supervisor_install_Params_read_root(msg));
    char src[160], text[240];
    if (capnp_msg_error(msg) || !t.str || !t.len || t.len >= sizeof src)
        return status_reply(c, m, Supervisor_Status_notFound, "no source given");
    capsule_text(src, sizeof src, (struct capsule_str){t.str, t.len});
    uint64_t cyc[4];
    int st = do_install(src, text, sizeof text, cyc);
    status_reply(c, m, st, "%s", text);
}

void serve_remove(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    Supervisor_remove_Params_R p = Supervisor_remove_Params_read_root(msg);
    struct capnp_text nt = Supervisor_remove_Params_name(p), vt = Supervisor_remove_Params_version(p);
    char name[CAP_NAME], ver[CAP_VER], why[200];
    if (capnp_msg_error(msg) || !nt.len || !vt.len)
        return status_reply(c, m, Supervisor_Status_notFound, "a name and a version, please");
    capsule_text(name, sizeof name, (struct capsule_str){nt.str, nt.len});
    capsule_text(ver, sizeof ver, (struct capsule_str){vt.str, vt.len});
    if (!capstore_present())
        return status_reply(c, m, Supervisor_Status_badState, "this system has no store");
    if (list_installed(why, sizeof why))
        return status_reply(c, m, Supervisor_Status_failed, "%s", why);
    const struct installed *k = find_installed(name, ver);
    if (!k)
        return status_reply(c, m, Supervisor_Status_notFound,
                            "unknown: no version %s of capsule %s in the store", ver, name);
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Store_remove_Params_set_vcid(Store_remove_Params_build_root(&b), k->vcid, 32);
    Store_Change_R ch;
    unsigned st = 0;
    if (change(Store_method_remove, &b, &ch, &st, why, sizeof why)) {
        if (st == Store_Status_inUse)
            return status_reply(c, m, Supervisor_Status_badState,
                                "refused: %s %s is %s in a generation (%s)", name, ver,
                                k->active ? "the active version" : "named", why);
        return status_reply(c, m, Supervisor_Status_failed, "%s", why);
    }
    printf("init: removed %s %s from the store (seq %llu)\n", name, ver,
           (unsigned long long)Store_Change_seq(ch));
    status_reply(c, m, Supervisor_Status_ok,
                 "removed %s %s (committed at seq %llu); 'capsule gc' reclaims its space", name,
                 ver, (unsigned long long)Store_Change_seq(ch));
}

void serve_gc(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    (void)msg;
    char why[200];
    if (!capstore_present())
        return status_reply(c, m, Supervisor_Status_badState, "this system has no store");
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Store_gc_Params_build_root(&b);
    Store_Change_R ch;
    if (change(Store_method_gc, &b, &ch, 0, why, sizeof why))
        return status_reply(c, m, Supervisor_Status_failed, "gc: %s", why);
    status_reply(c, m, Supervisor_Status_ok, "gc: %llu blocks freed, %llu free (seq %llu)",
                 (unsigned long long)Store_Change_freed(ch),
                 (unsigned long long)Store_Change_freeBlocks(ch),
                 (unsigned long long)Store_Change_seq(ch));
}

static size_t gen_lines(char *buf, size_t n, size_t k, const char *what, Store_Generation_R g)
{
    k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "%s generation %llu\n", what,
                          (unsigned long long)Store_Generation_number(g));
    Store_Pin_RList l = Store_Generation_pins(g);
    for (uint32_t i = 0; i < Store_Pin_RList_len(l); i++) {
        Store_Pin_R p = Store_Pin_RList_get(l, i);
        struct capnp_text a = Store_Pin_name(p), v = Store_Pin_active(p), pr = Store_Pin_previous(p);
        k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "  %-16.*s %.*s%s%.*s%s\n",
                              (int)a.len, a.str ? a.str : "", (int)v.len, v.str ? v.str : "",
                              pr.len ? " (previous " : "", (int)pr.len, pr.str ? pr.str : "",
                              pr.len ? ")" : "");
    }
    return k;
}

void serve_generations(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    (void)msg;
    if (!capstore_present())
        return status_reply(c, m, Supervisor_Status_badState, "this system has no store");
    int e = pcall(&store_peer, Store_method_generations, 0);
    if (e)
        return status_reply(c, m, Supervisor_Status_failed, "the store did not answer: %s",
                            ipc_strerror(e));
    Store_generations_Results_R r = Store_generations_Results_read_root(&rmsg);
    if (Store_generations_Results_status(r) != Store_Status_ok)
        return status_reply(c, m, Supervisor_Status_failed, "store: %s",
                            sname(Store_generations_Results_status(r)));
    static char text[1800];
    size_t k = gen_lines(text, sizeof text, 0, "current", Store_generations_Results_current(r));
    if (Store_generations_Results_hasPrevious(r))
        k = gen_lines(text, sizeof text, k, "previous", Store_generations_Results_previous(r));
    if (k && k < sizeof text)
        text[k - 1] = 0;        /* the last newline */
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Supervisor_StatusReply_B rr = Supervisor_StatusReply_build_root(&b);
    Supervisor_StatusReply_set_status(rr, Supervisor_Status_ok);
    Supervisor_StatusReply_set_message(rr, text, strlen(text));
    ipc_reply_caps(c, m->hdr.kind, m->hdr.id, &b, 0, 0);
}

/* ---- boot from the store ------------------------------------------------------------ */

static int boot_step(enum Store_BootStep step, Store_Change_R *ch, char *why, size_t n)
{
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Store_boot_Params_set_step(Store_boot_Params_build_root(&b), step);
    return change(Store_method_boot, &b, ch, 0, why, n);
}

/* Switch every capsule service to the version the store's current
 * generation pins; each switch has a readiness window (upgrade.c). */
static void apply(void)
{
    char why[200];
    int e = pcall(&store_peer, Store_method_generations, 0);
    if (e || Store_generations_Results_status(Store_generations_Results_read_root(&rmsg))) {
        printf("init: the store has no generation to apply\n");
        return;
    }
    Store_Generation_R g = Store_generations_Results_current(Store_generations_Results_read_root(&rmsg));
    boot_gen = Store_Generation_number(g);
    struct { char name[CAP_NAME], ver[CAP_VER]; } pins[MAX_CAPSULES];
    unsigned np = 0;
    Store_Pin_RList l = Store_Generation_pins(g);
    for (uint32_t i = 0; i < Store_Pin_RList_len(l) && np < MAX_CAPSULES; i++, np++) {
        Store_Pin_R p = Store_Pin_RList_get(l, i);
        struct capnp_text a = Store_Pin_name(p), v = Store_Pin_active(p);
        capsule_text(pins[np].name, sizeof pins[np].name, (struct capsule_str){a.str, a.len});
        capsule_text(pins[np].ver, sizeof pins[np].ver, (struct capsule_str){v.str, v.len});
    }
    boot_pending = 1;           /* held until every switch is begun */
    boot_failed = false;
    for (unsigned i = 0; i < np; i++) {
        struct service *s = service_for((struct capnp_text){pins[i].name, strlen(pins[i].name)});
        if (!s || strcmp(s->ref.name, pins[i].name))
            continue;           /* no service runs that capsule: nothing to start */
        int k = -1;
        for (int j = 0; j < capsule_count(); j++)
            if (!strcmp(capsule_at(j)->name, pins[i].name) && !strcmp(capsule_at(j)->ver, pins[i].ver) &&
                capsule_at(j)->valid)
                k = j;
        if (k < 0 && (k = capstore_load(pins[i].name, pins[i].ver, why, sizeof why)) < 0) {
            boot_failed = true;
            snprintf(boot_why, sizeof boot_why, "%s %s could not be loaded: %.100s",
                     pins[i].name, pins[i].ver, why[0] ? why : "not in the store");
            continue;
        }
        if (k == capsule_cur(s))
            continue;
        enum Supervisor_Status st;
        printf("init: generation %llu: %s %s -> %s\n", (unsigned long long)boot_gen,
               s->name, capsule_at(capsule_cur(s))->ver, pins[i].ver);
        if (upgrade_begin(s, k, 0, 0, &st, why, sizeof why)) {
            boot_failed = true;
            snprintf(boot_why, sizeof boot_why, "%.150s", why);
            continue;
        }
        capstore_boot_window[s - svcs] = true;
        boot_pending++;
    }
    if (--boot_pending == 0)
        boot_done();
}

static void boot_done(void)
{
    Store_Change_R ch;
    char why[200];
    if (!boot_failed) {
        if (boot_step(Store_BootStep_confirm, &ch, why, sizeof why))
            printf("init: generation %llu ready, but not confirmed: %s\n",
                   (unsigned long long)boot_gen, why);
        else
            printf("init: generation %llu confirmed: its services are ready\n",
                   (unsigned long long)boot_gen);
        crash_next();
        return;
    }
    printf("init: generation %llu failed: %s\n", (unsigned long long)boot_gen, boot_why);
    event("init", "generation %llu failed: %.60s", (unsigned long long)boot_gen, boot_why);
    if (boot_second) {
        printf("init: the previous generation failed too: running what runs now\n");
        crash_next();
        return;
    }
    if (boot_step(Store_BootStep_fallback, &ch, why, sizeof why)) {
        printf("init: no fallback: %s\n", why);
        crash_next();
        return;
    }
    printf("init: falling back to the previous generation (now generation %llu, seq %llu)\n",
           (unsigned long long)Store_Change_generation(ch), (unsigned long long)Store_Change_seq(ch));
    event("init", "fell back to the previous generation (now %llu)",
          (unsigned long long)Store_Change_generation(ch));
    boot_second = true;
    apply();
}

/* `storebench` on the command line: the figures of scripts/bench's store
 * rows (bench/README.md), then init exits (in test mode QEMU ends). */
static void bench_line(const char *name, uint64_t v)
{
    printf("bench %s unit=insn median=%llu p99=%llu min=%llu n=1\n", name,
           (unsigned long long)v, (unsigned long long)v, (unsigned long long)v);
}

static void bench(void)
{
    static const struct { const char *src, *name; } runs[] = {
        {"fat:/bench-1.0.0.vcap", "store_install_64k"},
        {"fat:/scale1m-1.0.0.vcap", "store_install_1m"},
    };
    char text[240], row[64], why[200];
    rt_set_output(0);           /* the kernel console: written before init exits */
    for (unsigned i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        uint64_t t[4];
        if (do_install(runs[i].src, text, sizeof text, t) != Supervisor_Status_ok) {
            printf("storebench: %s: %s\n", runs[i].src, text);
            continue;
        }
        bench_line(runs[i].name, t[0] + t[1] + t[2] + t[3]);
        static const char *const part[4] = {"read", "verify", "copy", "commit"};
        for (int k = 0; k < 4; k++) {
            snprintf(row, sizeof row, "%s_%s", runs[i].name, part[k]);
            bench_line(row, t[k]);
        }
    }
    if (!list_installed(why, sizeof why)) {
        const struct installed *k = find_installed("scale1m", "1.0.0");
        uint64_t t0 = rdtsc();
        uint8_t *buf = k ? read_blob(k->file, k->bytes, why, sizeof why) : 0;
        uint64_t t1 = rdtsc();
        if (buf) {
            bench_line("store_read_1m", last_read_cycles);
            bench_line("store_read_1m_to_init", t1 - t0);
            uint8_t h[32];
            uint64_t t2 = rdtsc();
            sha256(h, buf, k->bytes);
            bench_line("sha256_1m", rdtsc() - t2);
        } else {
            printf("storebench: read: %s\n", k ? why : "scale1m 1.0.0 not installed");
        }
    }
    printf("storebench: done\n");
    fflush(stdout);
    rt_exit(0);
}

/* ---- crash consistency in QEMU (scripts/store-crash) ------------------------- */

/* `storecrash`: once the boot's generation is confirmed, a fixed sequence
 * of store changes (install, activate, state writes, rollback, remove, gc),
 * each preceded by the marker instruction tools/crashplug counts from, and
 * one marker after the last; the host cuts the machine at a seeded
 * instruction count into one of them. Each
 * change acknowledged by the store is printed ("storecrash: N OP ok seq
 * S") before the next begins, so the host knows what was committed before
 * the cut. `storecheck`: the boot after a cut; every blob verified, gc,
 * the store's figures printed, then init exits. */
enum crash_mode { CRASH_NONE, CRASH_WORK, CRASH_CHECK };
static enum crash_mode crash_mode;

static void crash_marker(void) { __asm__ volatile("xchg %%bx, %%bx" ::: "memory"); }

static int crash_state(unsigned n, char *why, size_t wn)
{
    static char text[1536];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)('a' + (i * 7 + n * 13) % 26);
    snprintf(text, 32, "crashtest state %u ", n);
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Store_stateWrite_Params_B p = Store_stateWrite_Params_build_root(&b);
    Store_stateWrite_Params_set_name(p, "crashtest", 9);
    Store_stateWrite_Params_set_schema(p, n);
    Store_stateWrite_Params_set_bytes(p, text, sizeof text);
    int e = pcall(&store_peer, Store_method_stateWrite, &b);
    if (e)
        return snprintf(why, wn, "the store did not answer: %s", ipc_strerror(e)), -1;
    Store_stateWrite_Results_R r = Store_stateWrite_Results_read_root(&rmsg);
    if (Store_stateWrite_Results_status(r) != Store_Status_ok)
        return say(why, wn, Store_stateWrite_Results_status(r), Store_stateWrite_Results_error(r),
                   Store_stateWrite_Results_why(r)),
               -1;
    return 0;
}

/* One change by name; 0 with *seq, or -1 with why. */
static int crash_op(const char *op, const char *arg, uint64_t *seq, char *why, size_t wn)
{
    char text[240];
    uint64_t t[4];
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Store_Change_R ch;
    if (!strcmp(op, "install")) {
        if (do_install(arg, text, sizeof text, t) != Supervisor_Status_ok)
            return snprintf(why, wn, "%s", text), -1;
    } else if (!strcmp(op, "state")) {
        if (crash_state((unsigned)(arg[0] - '0'), why, wn))
            return -1;
    } else if (!strcmp(op, "rollback")) {
        Store_rollback_Params_set_name(Store_rollback_Params_build_root(&b), arg, strlen(arg));
        if (change(Store_method_rollback, &b, &ch, 0, why, wn))
            return -1;
    } else if (!strcmp(op, "gc")) {
        Store_gc_Params_build_root(&b);
        if (change(Store_method_gc, &b, &ch, 0, why, wn))
            return -1;
    } else {                    /* activate or remove "demo 1.3.0" */
        char name[CAP_NAME];
        const char *sp = strchr(arg, ' ');
        snprintf(name, sizeof name, "%.*s", (int)(sp - arg), arg);
        if (list_installed(why, wn))
            return -1;
        const struct installed *k = find_installed(name, sp + 1);
        if (!k)
            return snprintf(why, wn, "%s is not installed", arg), -1;
        if (!strcmp(op, "activate"))
            Store_activate_Params_set_vcid(Store_activate_Params_build_root(&b), k->vcid, 32);
        else
            Store_remove_Params_set_vcid(Store_remove_Params_build_root(&b), k->vcid, 32);
        if (change(!strcmp(op, "activate") ? Store_method_activate : Store_method_remove, &b, &ch,
                   0, why, wn))
            return -1;
    }
    if (pcall(&store_peer, Store_method_status, 0))
        return snprintf(why, wn, "no status"), -1;
    *seq = Store_status_Results_seq(Store_status_Results_read_root(&rmsg));
    return 0;
}

static void crash_work(void)
{
    static const struct { const char *op, *arg; } ops[] = {
        {"install", "fat:/demo-1.3.0.vcap"}, {"activate", "demo 1.3.0"}, {"state", "1"},
        {"rollback", "demo"}, {"state", "2"}, {"remove", "demo 1.0.0"}, {"gc", ""},
        {"install", "fat:/demo-1.2.0.vcap"}, {"state", "3"}, {"activate", "demo 1.2.0"},
        {"gc", ""},
    };
    char why[240];
    uint64_t seq = 0;
    rt_set_output(0);           /* the kernel console: unbuffered, in order */
    if (pcall(&store_peer, Store_method_status, 0) == 0)
        seq = Store_status_Results_seq(Store_status_Results_read_root(&rmsg));
    printf("storecrash: begin seq %llu\n", (unsigned long long)seq);
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        crash_marker();
        if (crash_op(ops[i].op, ops[i].arg, &seq, why, sizeof why)) {
            printf("storecrash: %u %s failed: %s\n", i + 1, ops[i].op, why);
            break;
        }
        printf("storecrash: %u %s ok seq %llu\n", i + 1, ops[i].op, (unsigned long long)seq);
    }
    crash_marker();
    printf("storecrash: done\n");
    rt_exit(0);
}

static void crash_check(void)
{
    char why[240];
    rt_set_output(0);
    int e = pcall(&store_peer, Store_method_verify, 0);
    Store_verify_Results_R v = Store_verify_Results_read_root(&rmsg);
    if (e || Store_verify_Results_status(v) != Store_Status_ok) {
        if (e)
            snprintf(why, sizeof why, "the store did not answer: %s", ipc_strerror(e));
        else
            say(why, sizeof why, Store_verify_Results_status(v), Store_verify_Results_error(v),
                Store_verify_Results_why(v));
        printf("storecheck: verify failed: %s\n", why);
    } else {
        printf("storecheck: verified %u blobs\n", (unsigned)Store_verify_Results_blobs(v));
    }
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Store_gc_Params_build_root(&b);
    Store_Change_R ch;
    if (change(Store_method_gc, &b, &ch, 0, why, sizeof why))
        printf("storecheck: gc failed: %s\n", why);
    else
        printf("storecheck: gc freed %llu, %llu free, seq %llu\n",
               (unsigned long long)Store_Change_freed(ch),
               (unsigned long long)Store_Change_freeBlocks(ch),
               (unsigned long long)Store_Change_seq(ch));
    printf("storecheck: done\n");
    rt_exit(0);
}

/* After the boot's generation is settled (confirmed, or fallen back). */
static void crash_next(void)
{
    if (crash_mode == CRASH_WORK)
        crash_work();
    else if (crash_mode == CRASH_CHECK)
        crash_check();
}

/* cmdline holds word as a whole word. */
static bool has_word(const char *cmdline, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = cmdline; (p = strstr(p, word)); p++)
        if ((p == cmdline || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
            return true;
    return false;
}

void capstore_boot(const char *cmdline)
{
    upgrade_settled_hook = settled;
    if (!capstore_present())
        return;
    capstore_boot_window = svc_table(sizeof *capstore_boot_window);
    Store_Change_R ch;
    char why[200];
    crash_mode = has_word(cmdline, "storecrash") ? CRASH_WORK
                 : has_word(cmdline, "storecheck") ? CRASH_CHECK : CRASH_NONE;
    if (boot_step(Store_BootStep_begin, &ch, why, sizeof why)) {
        printf("init: no store to boot from (%s): running the boot image's versions\n", why);
        if (crash_mode == CRASH_CHECK) {
            printf("storecheck: no store: %s\n", why);
            rt_exit(0);
        }
        return;
    }
    if (Store_Change_fellBack(ch))
        printf("init: the store's generation failed %s: fell back to the previous one "
               "(now generation %llu)\n", "its boot attempts",
               (unsigned long long)Store_Change_generation(ch));
    apply();
    if (has_word(cmdline, "storebench"))
        bench();
}
