/*
 * store.c: `store` (the capsule store service, schema/store.capnp,
 * through SYS:svc/store): status, ls (installed capsules), gens (the
 * current and previous generation), verify (every blob), read HASH [OFF]
 * (a verified blob's bytes as hex), state NAME [TEXT] (read, or write and
 * commit, a state volume).
 */
#include <string.h>

#include "rt.h"
#include "semver/semver.h"
#include "sort/sort.h"
#include "schema/store.capnp.h"
#include "vshell.h"

#define T_STORE 30000000ull

void cmd_store(int argc, char **argv);

static struct sh_reply rep;
static uint8_t req[IPC_PAYLOAD_MAX];

static void phex(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        printf("%02x", p[i]);
}

/* Calls method; false (after saying why) unless a reply came that opens. */
static bool call(uint16_t method, struct capnp_builder *b)
{
    struct ipc_conn *c = sh_conn_any("store", "store");
    if (!c)
        return false;
    size_t len = 0;
    const uint8_t *p = b ? capnp_builder_bytes(b, &len) : 0;
    int e = sh_call_raw(c, method, p, len, &rep.m, T_STORE);
    if (e || ipc_request_open(&rep.msg, &rep.m)) {
        printf("store: %s\n", e ? ipc_strerror(e) : "malformed reply");
        return false;
    }
    return true;
}

static const char *status_name(unsigned s)
{
    static const char *const n[] = {"ok", "not open", "I/O error", "corrupt", "not found",
                                    "exists", "no space", "too big", "bad request", "refused"};
    return s < sizeof n / sizeof n[0] ? n[s] : "?";
}

static void say_err(unsigned st, struct capnp_text err, struct capnp_text why)
{
    printf("store: %s", status_name(st));
    if (err.len) {
        printf(": ");
        sh_clean(err, 0);
    }
    if (why.len) {
        printf(" (");
        sh_clean(why, 0);
        printf(")");
    }
    printf("\n");
}

static void do_status(void)
{
    if (!call(Store_method_status, 0))
        return;
    Store_status_Results_R r = Store_status_Results_read_root(&rep.msg);
    unsigned st = Store_status_Results_status(r);
    if (st) {
        say_err(st, Store_status_Results_error(r), Store_status_Results_why(r));
        return;
    }
    printf("slot 0     ");
    sh_clean(Store_status_Results_slot0(r), 0);
    printf("\nslot 1     ");
    sh_clean(Store_status_Results_slot1(r), 0);
    printf("\nopened     slot %u, seq %llu%s\n", Store_status_Results_slot(r),
           (unsigned long long)Store_status_Results_seq(r),
           Store_status_Results_fellBack(r) ? " (the newer slot was bad)" : "");
    printf("blocks     %llu of %u bytes, %llu free\n",
           (unsigned long long)Store_status_Results_blocks(r), Store_status_Results_blockSize(r),
           (unsigned long long)Store_status_Results_freeBlocks(r));
    printf("tables     %u blobs, %u capsules, %u state volumes\n", Store_status_Results_blobs(r),
           Store_status_Results_capsules(r), Store_status_Results_states(r));
    printf("generation %llu", (unsigned long long)Store_status_Results_generation(r));
    if (Store_status_Results_hasPrevious(r))
        printf(" (previous %llu)", (unsigned long long)Store_status_Results_previousGeneration(r));
    printf(", boot %u of %u attempts, %s\n", Store_status_Results_bootAttempts(r),
           Store_status_Results_bootMax(r),
           Store_status_Results_confirmed(r) ? "confirmed" : "not confirmed");
}

static int by_name_newest(const void *a, const void *b, void *ctx)
{
    const Store_Capsule_RList *l = ctx;
    Store_Capsule_R x = Store_Capsule_RList_get(*l, *(const uint32_t *)a);
    Store_Capsule_R y = Store_Capsule_RList_get(*l, *(const uint32_t *)b);
    int byname = strcmp(Store_Capsule_name(x).str, Store_Capsule_name(y).str);
    return byname ? byname : -semver_cmp(Store_Capsule_version(x).str, Store_Capsule_version(y).str);
}

static void do_ls(void)
{
    if (!call(Store_method_installed, 0))
        return;
    Store_installed_Results_R r = Store_installed_Results_read_root(&rep.msg);
    unsigned st = Store_installed_Results_status(r);
    if (st) {
        printf("store: %s\n", status_name(st));
        return;
    }
    Store_Capsule_RList l = Store_installed_Results_capsules(r);
    /* the store lists them in its catalog's order (by VCID); people read
     * them by name, then newest version first */
    uint32_t n = Store_Capsule_RList_len(l), order[64];
    if (n > 64)
        n = 64;
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    sort_qsort_r(order, n, sizeof order[0], by_name_newest, &l);
    printf("%-16s %-12s %-9s %-8s %s\n", "capsule", "version", "place", "bytes", "vcid");
    for (uint32_t k = 0; k < n; k++) {
        Store_Capsule_R c = Store_Capsule_RList_get(l, order[k]);
        sh_clean(Store_Capsule_name(c), 16);
        printf(" ");
        sh_clean(Store_Capsule_version(c), 12);
        printf(" %-9s %-8llu ", Store_Capsule_active(c) ? "active" : Store_Capsule_previous(c) ? "previous" : "-",
               (unsigned long long)Store_Capsule_bytes(c));
        struct capnp_data v = Store_Capsule_vcid(c);
        phex(v.ptr, v.len < 8 ? v.len : 8);
        printf("\n");
    }
    if (Store_Capsule_RList_len(l) > n)
        printf("(%u more not shown)\n", (unsigned)(Store_Capsule_RList_len(l) - n));
}

static void print_gen(const char *what, Store_Generation_R g)
{
    printf("%s generation %llu\n", what, (unsigned long long)Store_Generation_number(g));
    Store_Pin_RList l = Store_Generation_pins(g);
    for (uint32_t i = 0; i < Store_Pin_RList_len(l); i++) {
        Store_Pin_R p = Store_Pin_RList_get(l, i);
        printf("  ");
        sh_clean(Store_Pin_name(p), 16);
        printf(" ");
        sh_clean(Store_Pin_active(p), 0);
        struct capnp_text pv = Store_Pin_previous(p);
        if (pv.len) {
            printf(" (previous ");
            sh_clean(pv, 0);
            printf(")");
        }
        printf("\n");
    }
}

static void do_gens(void)
{
    if (!call(Store_method_generations, 0))
        return;
    Store_generations_Results_R r = Store_generations_Results_read_root(&rep.msg);
    unsigned st = Store_generations_Results_status(r);
    if (st) {
        printf("store: %s\n", status_name(st));
        return;
    }
    print_gen("current", Store_generations_Results_current(r));
    if (Store_generations_Results_hasPrevious(r))
        print_gen("previous", Store_generations_Results_previous(r));
    else
        printf("previous generation: none\n");
}

static void do_verify(void)
{
    if (!call(Store_method_verify, 0))
        return;
    Store_verify_Results_R r = Store_verify_Results_read_root(&rep.msg);
    unsigned st = Store_verify_Results_status(r);
    if (st) {
        struct capnp_data b = Store_verify_Results_blob(r);
        if (b.len) {
            printf("store: blob ");
            phex(b.ptr, b.len);
            printf(": ");
        }
        say_err(st, Store_verify_Results_error(r), Store_verify_Results_why(r));
        return;
    }
    printf("verified %u blobs, %llu bytes\n", Store_verify_Results_blobs(r),
           (unsigned long long)Store_verify_Results_bytes(r));
}

static int nib(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void do_read(const char *h, const char *o)
{
    uint8_t name[32];
    if (strlen(h) != 64) {
        printf("store: a blob is named by 64 hex digits\n");
        return;
    }
    for (unsigned i = 0; i < 32; i++) {
        int a = nib(h[2 * i]), b = nib(h[2 * i + 1]);
        if (a < 0 || b < 0) {
            printf("store: a blob is named by 64 hex digits\n");
            return;
        }
        name[i] = (uint8_t)(a << 4 | b);
    }
    uint64_t off = 0;
    for (const char *p = o; p && *p; p++) {
        if (*p < '0' || *p > '9') {
            printf("store: bad offset '%s'\n", o);
            return;
        }
        off = off * 10 + (uint64_t)(*p - '0');
    }
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Store_read_Params_B p = Store_read_Params_build_root(&b);
    Store_read_Params_set_blob(p, name, 32);
    Store_read_Params_set_offset(p, off);
    Store_read_Params_set_n(p, 64);
    if (!call(Store_method_read, &b))
        return;
    Store_read_Results_R r = Store_read_Results_read_root(&rep.msg);
    unsigned st = Store_read_Results_status(r);
    if (st) {
        printf("store: blob %s: ", h);
        say_err(st, Store_read_Results_error(r), Store_read_Results_why(r));
        return;
    }
    struct capnp_data d = Store_read_Results_bytes(r);
    printf("blob of %llu bytes, verified; %u bytes at %llu:\n",
           (unsigned long long)Store_read_Results_length(r), d.len, (unsigned long long)off);
    for (uint32_t i = 0; i < d.len; i += 16) {
        phex(d.ptr + i, d.len - i < 16 ? d.len - i : 16);
        printf("\n");
    }
}

static void do_state(const char *name, const char *text)
{
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    if (!text) {
        Store_stateRead_Params_set_name(Store_stateRead_Params_build_root(&b), name, strlen(name));
        if (!call(Store_method_stateRead, &b))
            return;
        Store_stateRead_Results_R r = Store_stateRead_Results_read_root(&rep.msg);
        unsigned st = Store_stateRead_Results_status(r);
        if (st)
            return say_err(st, Store_stateRead_Results_error(r), Store_stateRead_Results_why(r));
        struct capnp_data d = Store_stateRead_Results_bytes(r);
        printf("state %s (schema %u, %u bytes): ", name, Store_stateRead_Results_schema(r), d.len);
        sh_clean((struct capnp_text){(const char *)d.ptr, d.len}, 0);
        printf("\n");
        return;
    }
    Store_stateWrite_Params_B p = Store_stateWrite_Params_build_root(&b);
    Store_stateWrite_Params_set_name(p, name, strlen(name));
    Store_stateWrite_Params_set_schema(p, 1);
    Store_stateWrite_Params_set_bytes(p, (const uint8_t *)text, strlen(text));
    if (!call(Store_method_stateWrite, &b))
        return;
    Store_stateWrite_Results_R r = Store_stateWrite_Results_read_root(&rep.msg);
    unsigned st = Store_stateWrite_Results_status(r);
    if (st)
        return say_err(st, Store_stateWrite_Results_error(r), Store_stateWrite_Results_why(r));
    printf("state %s written, committed at seq %llu\n", name,
           (unsigned long long)Store_stateWrite_Results_seq(r));
}

void cmd_store(int argc, char **argv)
{
    const char *use = "status | ls | gens | verify | read HASH [OFFSET] | state NAME [TEXT]";
    const char *sub = argc > 1 ? argv[1] : "";
    if (!strcmp(sub, "status") && argc == 2)
        return do_status();
    if (!strcmp(sub, "ls") && argc == 2)
        return do_ls();
    if (!strcmp(sub, "gens") && argc == 2)
        return do_gens();
    if (!strcmp(sub, "verify") && argc == 2)
        return do_verify();
    if (!strcmp(sub, "read") && (argc == 3 || argc == 4))
        return do_read(argv[2], argc == 4 ? argv[3] : 0);
    if (!strcmp(sub, "state") && (argc == 3 || argc == 4))
        return do_state(argv[2], argc == 4 ? argv[3] : 0);
    printf("usage: store %s\n", use);
}

/* ---- `fat`: the read-only interchange volume (schema/fat.capnp, SYS:svc/fat) ---- */

#include "schema/fat.capnp.h"

void cmd_fat(int argc, char **argv);

static bool fat_call(uint16_t method, struct capnp_builder *b)
{
    struct ipc_conn *c = sh_conn_any("fat", "fat");
    if (!c)
        return false;
    size_t len = 0;
    const uint8_t *p = b ? capnp_builder_bytes(b, &len) : 0;
    int e = sh_call_raw(c, method, p, len, &rep.m, T_STORE);
    if (e || ipc_request_open(&rep.msg, &rep.m)) {
        printf("fat: %s\n", e ? ipc_strerror(e) : "malformed reply");
        return false;
    }
    return true;
}

static void fat_err(unsigned st, struct capnp_text err, struct capnp_text why)
{
    static const char *const n[] = {"ok", "not mounted", "I/O error", "damaged", "not found",
                                    "bad request", "too big"};
    printf("fat: %s", st < sizeof n / sizeof n[0] ? n[st] : "?");
    if (err.len) {
        printf(": ");
        sh_clean(err, 0);
        printf(" (");
        sh_clean(why, 0);
        printf(")");
    }
    printf("\n");
}

static void fat_ls(const char *path)
{
    for (uint32_t skip = 0;;) {
        struct capnp_builder b;
        capnp_builder_init(&b, req, sizeof req);
        Fat_list_Params_B p = Fat_list_Params_build_root(&b);
        Fat_list_Params_set_path(p, path, strlen(path));
        Fat_list_Params_set_skip(p, skip);
        if (!fat_call(Fat_method_list, &b))
            return;
        Fat_list_Results_R r = Fat_list_Results_read_root(&rep.msg);
        unsigned st = Fat_list_Results_status(r);
        if (st)
            return fat_err(st, Fat_list_Results_error(r), Fat_list_Results_why(r));
        Fat_Entry_RList l = Fat_list_Results_entries(r);
        for (uint32_t i = 0; i < Fat_Entry_RList_len(l); i++) {
            Fat_Entry_R e = Fat_Entry_RList_get(l, i);
            if (Fat_Entry_isDir(e))
                printf("%10s  ", "<dir>");
            else
                printf("%10u  ", Fat_Entry_size(e));
            sh_clean(Fat_Entry_name(e), 0);
            printf("\n");
        }
        if (!Fat_list_Results_more(r))
            return;
        skip += Fat_Entry_RList_len(l);
    }
}

/* The whole file: its size, and its text (control bytes as '?') up to 4 KiB. */
static void fat_cat(const char *path)
{
    uint64_t off = 0, size = 0;
    do {
        struct capnp_builder b;
        capnp_builder_init(&b, req, sizeof req);
        Fat_read_Params_B p = Fat_read_Params_build_root(&b);
        Fat_read_Params_set_path(p, path, strlen(path));
        Fat_read_Params_set_offset(p, off);
        Fat_read_Params_set_n(p, Fat_maxRead);
        if (!fat_call(Fat_method_read, &b))
            return;
        Fat_read_Results_R r = Fat_read_Results_read_root(&rep.msg);
        unsigned st = Fat_read_Results_status(r);
        if (st)
            return fat_err(st, Fat_read_Results_error(r), Fat_read_Results_why(r));
        size = Fat_read_Results_size(r);
        struct capnp_data d = Fat_read_Results_bytes(r);
        if (!d.len)
            break;
        sh_clean((struct capnp_text){(const char *)d.ptr, d.len}, 0);
        off += d.len;
    } while (off < size && off < 4096);
    printf("\n(%llu bytes)\n", (unsigned long long)size);
}

void cmd_fat(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    if (!strcmp(sub, "info") && argc == 2) {
        if (!fat_call(Fat_method_info, 0))
            return;
        Fat_info_Results_R r = Fat_info_Results_read_root(&rep.msg);
        unsigned st = Fat_info_Results_status(r);
        if (st)
            return fat_err(st, Fat_info_Results_error(r), Fat_info_Results_why(r));
        printf("FAT32, %u clusters of %u bytes, %u-byte sectors, read-only\n",
               Fat_info_Results_clusters(r), Fat_info_Results_clusterBytes(r),
               Fat_info_Results_sectorBytes(r));
        return;
    }
    if (!strcmp(sub, "ls") && argc <= 3)
        return fat_ls(argc == 3 ? argv[2] : "/");
    if (!strcmp(sub, "cat") && argc == 3)
        return fat_cat(argv[2]);
    printf("usage: fat info | ls [PATH] | cat PATH\n");
}
