/*
 * vimage: make, inspect and check disk images that hold a capsule store
 * (lib/store, docs/STORE.md). Every capsule is verified with lib/capsule's
 * capsule_verify() (the decision init makes) before a byte of it goes into
 * the image, and fsck re-verifies what an image holds the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "host.h"
#include "json.h"
#include "store/store.h"

static const char manual[] =
    "NAME\n"
    "    vimage - make, inspect and check Vectra store disk images\n"
    "\n"
    "SYNOPSIS\n"
    "    vimage make IMG --policy POLICY.bin [--size KIB] [--block 512|4096]\n"
    "                [--now UNIX] [--generation N] [--boot-max N] [--mkey FILE]\n"
    "                CAPSULE.vcap... [--next CAPSULE.vcap...]\n"
    "    vimage inspect IMG [--json]\n"
    "    vimage fsck IMG [--now UNIX]\n"
    "    vimage --help\n"
    "\n"
    "DESCRIPTION\n"
    "    A store image is a block device holding immutable blobs named by\n"
    "    their SHA-256 and a copy-on-write catalog (installed capsules,\n"
    "    generations, policy, sealed Machine key, state volumes) behind two\n"
    "    checksummed superblocks; docs/STORE.md has the bytes.\n"
    "\n"
    "COMMANDS\n"
    "    make     Verify every capsule against the policy (as init does),\n"
    "             then write a fresh image: the policy blob, the optional\n"
    "             sealed Machine key blob, every capsule, each activated in\n"
    "             the order given (a later version of the same name becomes\n"
    "             active, the earlier one its previous version). IMG must\n"
    "             not exist.\n"
    "    inspect  Open the image (either superblock slot) and print slots,\n"
    "             generations, capsules, state volumes and blobs.\n"
    "    fsck     Open, read and verify every blob against its name, and\n"
    "             verify every capsule file with lib/capsule under the\n"
    "             stored policy; its VCID must be the one the catalog has.\n"
    "\n"
    "OPTIONS\n"
    "    --policy FILE      Canonical policy (vcapsule policy).\n"
    "    --size KIB         Image size in KiB (default 16384: 16 MiB).\n"
    "    --block N          Block size, 512 or 4096 (default 4096).\n"
    "    --now UNIX         Verify certificates as of this time (default: the clock).\n"
    "    --generation N     System generation number to record (default 1).\n"
    "    --next             The capsules after it are activated in a second, unconfirmed\n"
    "                       generation (N+1) after the first is committed.\n"
    "    --boot-max N       Unconfirmed boots before falling back (default 3).\n"
    "    --mkey FILE        Sealed Machine key to store (vkey machine new).\n"
    "    --json             Machine-readable output.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success; 1 a bad file, a refused capsule or a damaged image (the\n"
    "    message names the reason: a capsule REASON or a store error such as\n"
    "    BLOB_CORRUPT, NO_SPACE, EXISTS); 2 bad usage.\n"
    "\n"
    "EXAMPLES\n"
    "    vimage make disk.img --policy policy.bin demo-1.0.0.vcap demo-1.0.1.vcap\n"
    "    vimage inspect disk.img --json\n";

#define MAX_CAPS 64

struct opts {
    const char *policy, *size, *block, *now, *gen, *boot_max, *mkey;
    int json;
    const char *img;
    const char *caps[MAX_CAPS];
    int ncaps;
    int next;               /* capsules from this index on: a second generation (0: none) */
};

static const char *value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        cli_usage("option '%s' needs a value", argv[*i]);
    return argv[++*i];
}

/* `vimage CMD IMG [options] [capsules]`: options anywhere, the first word
 * is the image and the rest are capsules. */
static void parse(int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof *o);
    struct { const char *name; const char **v; } tab[] = {
        {"--policy", &o->policy}, {"--size", &o->size}, {"--block", &o->block},
        {"--now", &o->now}, {"--generation", &o->gen}, {"--boot-max", &o->boot_max},
        {"--mkey", &o->mkey},
    };
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            o->json = 1;
            continue;
        }
        if (!strcmp(a, "--next")) {
            if (!o->ncaps || o->next)
                cli_usage("%s", "--next comes once, after the first generation's capsules");
            o->next = o->ncaps;
            continue;
        }
        if (a[0] == '-') {
            size_t k = 0;
            for (; k < sizeof tab / sizeof tab[0] && strcmp(a, tab[k].name); k++) {
            }
            if (k == sizeof tab / sizeof tab[0])
                cli_usage("unknown option '%s'", a);
            *tab[k].v = value(argc, argv, &i);
        } else if (!o->img) {
            o->img = a;
        } else if (o->ncaps == MAX_CAPS) {
            cli_usage("more than 64 capsules (at '%s')", a);
        } else {
            o->caps[o->ncaps++] = a;
        }
    }
    if (!o->img)
        cli_usage("missing %s", "image file");
}

/* ---- the image file as a store device ---- */

struct file_dev {
    int fd;
    uint32_t bs;
};

static int f_read(void *ctx, uint64_t blk, uint32_t n, void *buf)
{
    struct file_dev *d = ctx;
    size_t want = (size_t)n * d->bs;
    ssize_t got = pread(d->fd, buf, want, (off_t)(blk * d->bs));
    return got == (ssize_t)want ? 0 : -1;
}

static int f_write(void *ctx, uint64_t blk, uint32_t n, const void *buf)
{
    struct file_dev *d = ctx;
    size_t want = (size_t)n * d->bs;
    ssize_t got = pwrite(d->fd, buf, want, (off_t)(blk * d->bs));
    return got == (ssize_t)want ? 0 : -1;
}

static int f_flush(void *ctx)
{
    struct file_dev *d = ctx;
    return fdatasync(d->fd);
}

static void sha256(uint8_t out[32], const void *msg, size_t len)
{
    host_crypto.sha256(out, msg, len);
}

static struct store st;
static struct file_dev fdev;
/* File buffers live until exit; static, so a failure exit leaks nothing. */
static uint8_t *pbuf, *mkey, *cbuf[MAX_CAPS], *blobbuf;

static struct store_dev make_dev(uint64_t bytes, uint32_t bs)
{
    fdev.bs = bs;
    return (struct store_dev){&fdev, bs, bytes / bs, f_read, f_write, f_flush, sha256};
}

static _Noreturn void store_fail(const char *what, enum store_err e)
{
    host_err("%s: %s (%s)", what, store_err_msg(e), store_err_name(e));
    cli_fail();
}

static int64_t now_of(const struct opts *o)
{
    return o->now ? cli_num(o->now, "bad --now '%s'", 0, INT64_MAX) : (int64_t)time(NULL);
}

static void read_policy(const char *path, uint8_t **buf, size_t *len, struct capsule_policy *p)
{
    cli_read(path, 1 << 20, buf, len);
    enum capsule_reason r = capsule_policy_open(p, *buf, *len);
    if (r != CAPSULE_OK) {
        host_err("%s: %s (%s)", path, capsule_reason_msg(r), capsule_reason_name(r));
        cli_fail();
    }
}

/* Verifies a capsule as init does; on success fills name and version. */
static void verify_capsule(const char *what, const uint8_t *buf, size_t len,
                           const struct capsule_policy *pol, int64_t now,
                           struct capsule_result *res, struct capsule_manifest *m)
{
    enum capsule_reason r = capsule_verify(&host_crypto, buf, len, pol, now, res);
    if (r != CAPSULE_OK) {
        host_err("%s: refused: %s: %s%s%.*s%s", what, capsule_reason_name(r), capsule_reason_msg(r),
                 res->what.len ? " (" : "", (int)res->what.len, res->what.p ? res->what.p : "",
                 res->what.len ? ")" : "");
        cli_fail();
    }
    struct capsule_env env;
    struct capsule_result mres;
    capsule_parse_envelope(buf, len, &env);
    capsule_manifest_open(m, env.manifest, env.manifest_len, &mres);
}

static int cmd_make(const struct opts *o)
{
    cli_need(o->policy, "--policy");
    if (o->ncaps == 0)
        cli_usage("missing %s", "capsule files");
    long long kib = o->size ? cli_num(o->size, "bad --size '%s'", 32, 1ll << 30) : 16384;
    long long bs = o->block ? cli_num(o->block, "bad --block '%s'", 512, 4096) : 4096;
    if (bs != 512 && bs != 4096)
        cli_usage("bad --block '%s' (512 or 4096)", o->block);
    long long gen = o->gen ? cli_num(o->gen, "bad --generation '%s'", 1, INT64_MAX) : 1;
    long long boot_max = o->boot_max ? cli_num(o->boot_max, "bad --boot-max '%s'", 0, 1000) : 3;
    int64_t now = now_of(o);

    /* Everything is read and verified before the image file exists. */
    size_t plen, mlen = 0, clen[MAX_CAPS];
    struct capsule_policy pol;
    read_policy(o->policy, &pbuf, &plen, &pol);
    if (o->mkey)
        cli_read(o->mkey, 1 << 20, &mkey, &mlen);
    struct capsule_result res[MAX_CAPS];
    static struct capsule_manifest man[MAX_CAPS];
    for (int i = 0; i < o->ncaps; i++) {
        cli_read(o->caps[i], (size_t)1 << 30, &cbuf[i], &clen[i]);
        verify_capsule(o->caps[i], cbuf[i], clen[i], &pol, now, &res[i], &man[i]);
    }

    int fd = open(o->img, O_RDWR | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        host_err("%s: %s", o->img, errno == EEXIST ? "exists (vimage never overwrites an image)"
                                                   : strerror(errno));
        cli_fail();
    }
    fdev.fd = fd;
    uint64_t bytes = (uint64_t)kib << 10;
    if (ftruncate(fd, (off_t)bytes) != 0) {
        host_err("%s: %s", o->img, strerror(errno));
        unlink(o->img);
        cli_fail();
    }
    struct store_dev dev = make_dev(bytes, (uint32_t)bs);
    enum store_err e = store_format(&st, &dev, (uint32_t)boot_max);
    const char *what = o->img;
    if (e == STORE_E_OK) {
        what = o->policy;
        e = store_ref_set(&st, STORE_REF_POLICY, pbuf, plen);
    }
    if (e == STORE_E_OK && mkey) {
        what = o->mkey;
        e = store_ref_set(&st, STORE_REF_MKEY, mkey, mlen);
    }
    for (int i = 0; e == STORE_E_OK && i < o->ncaps; i++) {
        if (o->next && i == o->next) {
            /* the first generation, committed and confirmed; what follows
             * is the next one, unconfirmed (an upgrade staged offline) */
            st.staged.cur.number = (uint64_t)gen;
            st.staged.confirmed = true;
            what = o->img;
            e = store_commit(&st);
            if (e != STORE_E_OK)
                break;
        }
        uint8_t h[32];
        struct capsule_str n = capsule_manifest_name(&man[i]), v = capsule_manifest_ver(&man[i]);
        what = o->caps[i];
        e = store_blob_put(&st, cbuf[i], clen[i], h);
        if (e == STORE_E_OK)
            e = store_capsule_add(&st, res[i].vcid, h, n.p, n.len, v.p, v.len);
        if (e == STORE_E_OK)
            e = store_activate(&st, res[i].vcid);
    }
    if (e == STORE_E_OK && !o->next) {
        /* activation made generation 1; the caller may number it */
        st.staged.cur.number = (uint64_t)gen;
        st.staged.confirmed = true;   /* what the builder verified is the known-good one */
        what = o->img;
        e = store_commit(&st);
    }
    if (e == STORE_E_OK)
        e = store_commit(&st);        /* both slots hold it */
    close(fd);
    if (e != STORE_E_OK) {
        unlink(o->img);
        store_fail(what, e);
    }
    printf("%s: %d capsules, generation %lld, %llu of %llu blocks free\n", o->img, o->ncaps, gen,
           (unsigned long long)store_free_blocks(&st), (unsigned long long)st.dev.nblocks);
    return 0;
}

/* Opens IMG with the block size its superblock gives (512 or 4096). */
static void open_image(const char *path, struct store_report *rep)
{
    int fd = open(path, O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        host_err("cannot open %s: %s", path, strerror(errno));
        cli_fail();
    }
    fdev.fd = fd;
    enum store_err first = STORE_E_OK;
    static const uint32_t sizes[2] = {4096, 512};
    for (int i = 0; i < 2; i++) {
        struct store_dev dev = make_dev((uint64_t)sb.st_size, sizes[i]);
        enum store_err e = store_open(&st, &dev, rep);
        if (e == STORE_E_OK)
            return;
        if (i == 0 || first == STORE_E_BAD_DEVICE || first == STORE_E_SB_FORMAT)
            first = e;
    }
    store_fail(path, first);
}

static void hex(const uint8_t *p, int json)
{
    char h[65];
    host_hex(h, p, 32);
    printf(json ? "\"%s\"" : "%s", h);
}

static void jstr(const char *s, size_t n)
{
    json_fputs(s, n, stdout);
}

static const struct store_capsule *capsule_of(const uint8_t *vcid)
{
    return store_capsule_find(&st.committed, vcid);
}

static void print_gen(const char *label, const struct store_gen *g, int json)
{
    if (json)
        printf("\"%s\":{\"number\":%llu,\"pins\":[", label, (unsigned long long)g->number);
    else
        printf("%-10s %llu\n", label, (unsigned long long)g->number);
    for (uint32_t i = 0; i < g->npins; i++) {
        const struct store_capsule *a = capsule_of(g->pins[i].active);
        const struct store_capsule *p = capsule_of(g->pins[i].previous);
        if (json) {
            printf("%s{\"name\":", i ? "," : "");
            jstr(a->name, a->name_len);
            printf(",\"active\":");
            jstr(a->ver, a->ver_len);
            printf(",\"vcid\":");
            hex(a->vcid, 1);
            printf(",\"previous\":");
            if (p)
                jstr(p->ver, p->ver_len);
            else
                printf("null");
            printf("}");
        } else {
            printf("  %-20.*s %.*s%s%.*s%s\n", a->name_len, a->name, a->ver_len, a->ver,
                   p ? " (previous " : "", p ? p->ver_len : 0, p ? p->ver : "", p ? ")" : "");
        }
    }
    if (json)
        printf("]}");
}

static int cmd_inspect(const struct opts *o)
{
    struct store_report rep;
    open_image(o->img, &rep);
    const struct store_root *r = &st.committed;
    int j = o->json;
    if (j) {
        printf("{\"block_size\":%u,\"blocks\":%llu,\"free_blocks\":%llu,\"slots\":[",
               st.dev.block_size, (unsigned long long)st.dev.nblocks,
               (unsigned long long)store_free_blocks(&st));
        for (int i = 0; i < 2; i++)
            printf("%s{\"status\":\"%s\",\"seq\":%llu}", i ? "," : "",
                   store_err_name(rep.slot_err[i]), (unsigned long long)rep.slot_seq[i]);
        printf("],\"used_slot\":%u,\"fell_back\":%s,\"seq\":%llu,", rep.used,
               rep.fell_back ? "true" : "false", (unsigned long long)r->seq);
        printf("\"boot\":{\"attempts\":%u,\"max\":%u,\"confirmed\":%s},", r->boot_attempts,
               r->boot_max, r->confirmed ? "true" : "false");
        /* the catalogs' blocks: this root's and the other slot's (its first
         * reserved extent), for the exact free count after gc (scripts/store-crash) */
        printf("\"cat_blocks\":%u,\"other_cat_blocks\":%llu,", r->cat_blocks,
               (unsigned long long)(st.nolder ? st.older[0].n : 0));
    } else {
        printf("image      %s\nblocks     %llu of %u bytes, %llu free\n", o->img,
               (unsigned long long)st.dev.nblocks, st.dev.block_size,
               (unsigned long long)store_free_blocks(&st));
        for (int i = 0; i < 2; i++)
            printf("slot %d     %s seq %llu%s\n", i, store_err_name(rep.slot_err[i]),
                   (unsigned long long)rep.slot_seq[i], rep.used == (uint32_t)i ? " (used)" : "");
        if (rep.fell_back)
            printf("warning    one slot is damaged: opened the other\n");
        printf("boot       %u of %u attempts, %s\n", r->boot_attempts, r->boot_max,
               r->confirmed ? "confirmed" : "unconfirmed");
    }
    print_gen("generation", &r->cur, j);
    if (j)
        printf(",");
    if (r->has_prev) {
        print_gen("previous", &r->prev, j);
        if (j)
            printf(",");
    }
    if (j)
        printf("\"capsules\":[");
    for (uint32_t i = 0; i < r->ncaps; i++) {
        const struct store_capsule *c = &r->caps[i];
        const struct store_blob *b = store_blob_find(r, c->file);
        if (j) {
            printf("%s{\"name\":", i ? "," : "");
            jstr(c->name, c->name_len);
            printf(",\"ver\":");
            jstr(c->ver, c->ver_len);
            printf(",\"vcid\":");
            hex(c->vcid, 1);
            printf(",\"file\":");
            hex(c->file, 1);
            printf(",\"bytes\":%llu}", (unsigned long long)b->len);
        } else {
            printf("capsule    %.*s %.*s vcid ", c->name_len, c->name, c->ver_len, c->ver);
            hex(c->vcid, 0);
            printf(" %llu bytes\n", (unsigned long long)b->len);
        }
    }
    if (j)
        printf("],\"states\":[");
    for (uint32_t i = 0; i < r->nstates; i++) {
        const struct store_state *s = &r->states[i];
        if (j) {
            printf("%s{\"name\":", i ? "," : "");
            jstr(s->name, s->name_len);
            printf(",\"schema\":%u,\"blob\":", s->schema);
            hex(s->blob, 1);
            printf("}");
        } else {
            printf("state      %.*s schema %u\n", s->name_len, s->name, s->schema);
        }
    }
    static const char *const refs[STORE_NREFS] = {"policy", "machine_key"};
    if (j)
        printf("],");
    for (int i = 0; i < STORE_NREFS; i++) {
        if (j) {
            printf("\"%s\":", refs[i]);
            if (r->has_ref[i])
                hex(r->ref[i], 1);
            else
                printf("null");
            printf(",");
        } else if (r->has_ref[i]) {
            printf("%-10s ", refs[i]);
            hex(r->ref[i], 0);
            printf("\n");
        }
    }
    if (j)
        printf("\"blobs\":[");
    for (uint32_t i = 0; i < r->nblobs; i++) {
        const struct store_blob *b = &r->blobs[i];
        if (j) {
            printf("%s{\"sha256\":", i ? "," : "");
            hex(b->hash, 1);
            printf(",\"start\":%llu,\"bytes\":%llu}", (unsigned long long)b->start,
                   (unsigned long long)b->len);
        } else {
            printf("blob       ");
            hex(b->hash, 0);
            printf(" at %llu, %llu bytes\n", (unsigned long long)b->start,
                   (unsigned long long)b->len);
        }
    }
    if (j)
        printf("]}\n");
    return 0;
}

static int cmd_fsck(const struct opts *o)
{
    struct store_report rep;
    open_image(o->img, &rep);
    const struct store_root *r = &st.committed;
    size_t cap = 0;
    for (uint32_t i = 0; i < r->nblobs; i++)
        if (r->blobs[i].len > cap)
            cap = r->blobs[i].len;
    uint8_t *buf = blobbuf = malloc(cap + 1);
    const struct store_blob *bad = NULL;
    enum store_err e = store_verify_all(&st, buf, cap + 1, &bad);
    if (e != STORE_E_OK) {
        char h[65];
        host_hex(h, bad->hash, 32);
        host_err("%s: blob %s: %s (%s)", o->img, h, store_err_msg(e), store_err_name(e));
        cli_fail();
    }
    if (rep.fell_back)
        printf("%s: warning: slot %u is damaged (%s); slot %u is good\n", o->img, 1 - rep.used,
               store_err_name(rep.slot_err[1 - rep.used]), rep.used);
    struct capsule_policy pol;
    size_t plen;
    if (!r->has_ref[STORE_REF_POLICY]) {
        host_err("%s: no policy in the store: capsules cannot be verified", o->img);
        cli_fail();
    }
    pbuf = malloc(cap + 1);
    e = store_ref_read(&st, STORE_REF_POLICY, pbuf, cap + 1, &plen);
    if (e != STORE_E_OK)
        store_fail("policy", e);
    enum capsule_reason pr = capsule_policy_open(&pol, pbuf, plen);
    if (pr != CAPSULE_OK) {
        host_err("%s: stored policy: %s (%s)", o->img, capsule_reason_msg(pr), capsule_reason_name(pr));
        cli_fail();
    }
    int64_t now = now_of(o);
    for (uint32_t i = 0; i < r->ncaps; i++) {
        const struct store_capsule *c = &r->caps[i];
        size_t len;
        char what[160];
        snprintf(what, sizeof what, "capsule %.*s %.*s", c->name_len, c->name, c->ver_len, c->ver);
        e = store_blob_read(&st, c->file, buf, cap + 1, &len);
        if (e != STORE_E_OK)
            store_fail(what, e);
        struct capsule_result res;
        struct capsule_manifest m;
        verify_capsule(what, buf, len, &pol, now, &res, &m);
        struct capsule_str n = capsule_manifest_name(&m), v = capsule_manifest_ver(&m);
        if (memcmp(res.vcid, c->vcid, 32) != 0 || n.len != c->name_len ||
            memcmp(n.p, c->name, n.len) != 0 || v.len != c->ver_len || memcmp(v.p, c->ver, v.len) != 0) {
            host_err("%s: the catalog's VCID, name or version is not the capsule's", what);
            cli_fail();
        }
    }
    printf("%s: clean: %u blobs, %u capsules verified, generation %llu, %llu blocks free\n", o->img,
           r->nblobs, r->ncaps, (unsigned long long)r->cur.number,
           (unsigned long long)store_free_blocks(&st));
    free(blobbuf);
    free(pbuf);
    return 0;
}

int main(int argc, char **argv)
{
    cli_start("vimage", manual, argc, argv);
    if (argc < 2)
        cli_usage("missing %s", "command");
    struct opts o;
    const char *cmd = argv[1];
    if (strcmp(cmd, "make") && strcmp(cmd, "inspect") && strcmp(cmd, "fsck"))
        cli_usage("unknown command '%s'", cmd);
    parse(argc, argv, &o);
    if (strcmp(cmd, "make") && (o.ncaps || o.policy || o.size || o.block || o.gen ||
                                o.boot_max || o.mkey))
        cli_usage("'%s' takes only IMG and --json/--now", cmd);
    return !strcmp(cmd, "make") ? cmd_make(&o) : !strcmp(cmd, "inspect") ? cmd_inspect(&o)
                                                                        : cmd_fsck(&o);
}
