/*
 * vlog: a transparency log operator and witness in the C2SP formats
 * (signed-note, tlog-checkpoint, tlog-tiles, tlog-cosignature, tlog-proof).
 * The formats, the claim encoding and the directory layout are in
 * docs/TLOG.md; the byte-level work is lib/tlog's, this file only reads
 * and writes files and holds the tree in memory.
 *
 * A log directory holds what a static HTTP server publishes (checkpoint,
 * tile/...) and .vlog/ (config and the entries; no secret: the note key
 * stays where `init` found it). Every command validates all its input
 * before it writes anything; files are replaced atomically.
 */
#include <errno.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "host.h"
#include "policy/policy.h"
#include "tlog/tlog.h"
#include "tlog_host.h"

static const char manual[] =
    "NAME\n"
    "    vlog - transparency log of capsule claims, and its witness\n"
    "\n"
    "SYNOPSIS\n"
    "    vlog keygen NAME -o KEYFILE [--witness]\n"
    "    vlog init DIR --origin NAME --key KEYFILE\n"
    "    vlog append DIR CLAIM...\n"
    "    vlog checkpoint DIR [--key KEYFILE]\n"
    "    vlog prove DIR VCID [-o FILE]\n"
    "    vlog consistency DIR OLDSIZE [-o FILE]\n"
    "    vlog verify-proof FILE --key VERIFIERKEY\n"
    "    vlog check DIR --key VERIFIERKEY\n"
    "    vlog witness STATEDIR --key WITNESSKEY --log VERIFIERKEY CHECKPOINTFILE\n"
    "                 [--proof CONSISTENCYFILE] [--time UNIX] [-o FILE]\n"
    "    vlog attest --key KEYFILE --vcid VCID[,VCID...] --source SOURCE [-o FILE]\n"
    "    vlog verify-attest FILE --key VERIFIERKEY\n"
    "    vlog --help\n"
    "\n"
    "DESCRIPTION\n"
    "    The log is an RFC 6962 Merkle tree of claims, published as C2SP\n"
    "    tlog-tiles static files: DIR/checkpoint (a signed note) and\n"
    "    DIR/tile/L/N[.p/W], DIR/tile/entries/N[.p/W]. Serve DIR with any\n"
    "    static HTTP server (leave out DIR/.vlog). Formats: docs/TLOG.md.\n"
    "\n"
    "    A CLAIM is one argument of five fields separated by single spaces:\n"
    "    \"VCID NAME VERSION SIGNER SOURCE\"; VCID is 64 lower-case hex digits,\n"
    "    the others 1-255 printable ASCII characters without spaces.\n"
    "\n"
    "COMMANDS\n"
    "    keygen        Make an Ed25519 key: a note key (signature type 0x01)\n"
    "                  or, with --witness, a cosignature key (0x04). Writes\n"
    "                  the Go-compatible PRIVATE+KEY+... string (mode 0600)\n"
    "                  and prints the verifier key name+hash+base64.\n"
    "    init          Make a log: records the origin and the key's path\n"
    "                  and publishes the checkpoint of the empty tree.\n"
    "    append        Add claims (refuses a VCID already in the log).\n"
    "    checkpoint    Sign a checkpoint of every entry and write all tiles\n"
    "                  and entry bundles it needs.\n"
    "    prove         Write a C2SP tlog-proof for the claim with VCID\n"
    "                  against the current checkpoint; the claim travels as\n"
    "                  its extra data.\n"
    "    consistency   Write the consistency proof from OLDSIZE to the\n"
    "                  current checkpoint as \"old N\" and base64 lines.\n"
    "    verify-proof  Check a tlog-proof offline and print its claim.\n"
    "    check         Audit a published log: signature, every entry bundle\n"
    "                  and tile at every level, and the root.\n"
    "    witness       Cosign a checkpoint signed by the log (cosignature/v1)\n"
    "                  if it is consistent with the last one cosigned for the\n"
    "                  same origin (kept in STATEDIR); prints the note with\n"
    "                  the cosignature. A split view is refused and both\n"
    "                  checkpoints are printed as evidence.\n"
    "    attest        Sign a rebuilder attestation (vectra-rebuild/v1, a\n"
    "                  signed note: docs/TRUST.md) that SOURCE builds to the\n"
    "                  capsule VCID. tools/vrebuild calls it only when its\n"
    "                  rebuild matched. Several VCIDs, by commas, make one\n"
    "                  release attestation (vectra-rebuild-set/v1) for all.\n"
    "    verify-attest Check an attestation's signature by VERIFIERKEY and\n"
    "                  print its VCIDs and source.\n"
    "\n"
    "    VERIFIERKEY and WITNESSKEY: a verifier key string, or a file holding\n"
    "    one (VERIFIERKEY) or a key file written by keygen (WITNESSKEY).\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success; 1 bad input or a failed check (the message says which);\n"
    "    2 bad usage.\n";

static const struct tlog_crypto *C = &tlog_host_crypto;

/* vlog runs one command and exits: what it allocates lives until exit (the
 * tree of a large log is one allocation per level), so LeakSanitizer's
 * report at exit would only list that. ASan's memory checks stay on. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}

#define MAX_NOTE 65536u
#define MAX_ENTRIES_FILE (1u << 30)

__attribute__((format(printf, 1, 2))) _Noreturn static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: error: ", cli_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        fail("out of memory");
    return p;
}

static char *path_join(const char *dir, const char *rel)
{
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s", dir, rel);
    return p;
}

static void write_all(const char *path, const void *p, size_t n, int mode)
{
    if (host_write_file(path, p, n, mode) < 0)
        cli_fail();
}

static void mkdirs(const char *path) /* every directory above path's last '/' */
{
    char *p = strdup(path);
    if (!p)
        fail("out of memory");
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            fail("cannot create directory %s: %s", p, strerror(errno));
        *s = '/';
    }
    free(p);
}

static void emit(const char *out, const void *p, size_t n)
{
    if (out)
        write_all(out, p, n, 0644);
    else
        fwrite(p, 1, n, stdout);
}

/* ---- keys ---- */

#define SKEY_PREFIX "PRIVATE+KEY+"

struct signer {
    struct tlog_key key;
    uint8_t sk[64];
};

static void load_signer(const char *path, struct signer *s)
{
    uint8_t *buf;
    size_t len;
    cli_read(path, 4096, &buf, &len);
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    const char *t = (const char *)buf;
    size_t pl = strlen(SKEY_PREFIX);
    if (len < pl || memcmp(t, SKEY_PREFIX, pl))
        fail("%s: not a key file (no %s)", path, SKEY_PREFIX);
    /* The private string mirrors the verifier key: name+hash+base64(type||seed). */
    const char *rest = t + pl;
    size_t rlen = len - pl;
    const char *plus = memchr(rest, '+', rlen);
    if (!plus || (size_t)(plus - rest) > TLOG_MAX_NAME || rlen - (size_t)(plus - rest) < 11)
        fail("%s: malformed key", path);
    size_t nlen = (size_t)(plus - rest);
    uint8_t raw[33], pk[32];
    size_t got;
    const char *b = plus + 10;
    if (tlog_b64_decode(raw, sizeof raw, b, (size_t)(t + len - b), &got) || got != 33)
        fail("%s: malformed key", path);
    crypto_sign_seed_keypair(pk, s->sk, raw + 1);
    uint8_t type = raw[0];
    sodium_memzero(raw, sizeof raw);
    if (tlog_key_init(C, &s->key, rest, nlen, type, pk))
        fail("%s: bad key name or signature type", path);
    char hex[9];
    snprintf(hex, sizeof hex, "%08x", s->key.id);
    if (memcmp(plus + 1, hex, 8) || plus[9] != '+')
        fail("%s: key hash does not match the key", path);
    sodium_memzero(buf, len);
    free(buf);
}

static void load_vkey(const char *arg, struct tlog_key *k, const char *what)
{
    struct stat st;
    char *text = NULL;
    const char *s = arg;
    size_t len = strlen(arg);
    if (stat(arg, &st) == 0) {
        uint8_t *buf;
        cli_read(arg, 4096, &buf, &len);
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            len--;
        text = (char *)buf;
        s = text;
    }
    int e = tlog_vkey_parse(C, s, len, k);
    if (e)
        fail("%s: not a verifier key (name+hash+base64): %s", what, tlog_strerror(e));
    free(text);
}

/* "CMD OPERAND --key VERIFIERKEY": the operand, and the key in *k. */
static const char *operand_and_vkey(int argc, char **argv, const char *what, struct tlog_key *k)
{
    const char *operand = NULL, *key = NULL;
    const struct cli_opt opts[] = {{"--key", NULL, &key, NULL}, {0}};
    cli_parse(argc, argv, 2, opts, &operand, false);
    cli_need(operand, what);
    cli_need(key, "--key VERIFIERKEY");
    load_vkey(key, k, key);
    return operand;
}

static void print_vkey(const struct tlog_key *k)
{
    char v[TLOG_MAX_NAME + 64];
    if (!tlog_vkey_format(k, v, sizeof v))
        fail("key name too long");
    printf("%s\n", v);
}

static int cmd_keygen(int argc, char **argv)
{
    const char *out = NULL, *name = NULL;
    int witness = 0;
    const struct cli_opt opts[] = {
        {"--out", "-o", &out, NULL}, {"--witness", NULL, NULL, &witness}, {0}};
    cli_parse(argc, argv, 2, opts, &name, false);
    cli_need(name, "key NAME");
    cli_need(out, "-o KEYFILE");
    uint8_t seed[32], pk[32], sk[64];
    randombytes_buf(seed, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
    struct tlog_key k;
    uint8_t type = witness ? TLOG_SIG_COSIG : TLOG_SIG_ED25519;
    if (tlog_key_init(C, &k, name, strlen(name), type, pk))
        cli_usage("bad key name '%s' (1-128 printable ASCII, no '+' or space)", name);
    uint8_t raw[33];
    raw[0] = type;
    memcpy(raw + 1, seed, 32);
    char line[TLOG_MAX_NAME + 80];
    int n = snprintf(line, sizeof line, SKEY_PREFIX "%s+%08x+", name, k.id);
    size_t b = tlog_b64_encode(line + n, sizeof line - (size_t)n, raw, sizeof raw);
    line[(size_t)n + b] = '\n';
    struct stat st;
    if (stat(out, &st) == 0)
        fail("%s exists; not overwriting a key", out);
    write_all(out, line, (size_t)n + b + 1, 0600);
    sodium_memzero(line, sizeof line);
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk, sizeof sk);
    print_vkey(&k);
    return 0;
}

/* ---- claims ---- */

static const char *const claim_fields[5] = {"vcid", "name", "version", "signer", "source"};
#define CLAIM_HEADER "vectra-claim/v1\n"

struct claim {
    const char *f[5];
    size_t n[5];
};

static bool field_ok(const char *s, size_t n, int i)
{
    if (n == 0 || n > 255)
        return false;
    for (size_t j = 0; j < n; j++) {
        unsigned char ch = (unsigned char)s[j];
        if (i == 0 ? !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))
                   : (ch <= 0x20 || ch >= 0x7f))
            return false;
    }
    return i != 0 || n == 64;
}

/* The canonical text: header, then "field value\n" for the five fields. */
static bool claim_parse(const uint8_t *e, size_t len, struct claim *c)
{
    const char *s = (const char *)e, *end = s + len;
    size_t hl = strlen(CLAIM_HEADER);
    if (len < hl || memcmp(s, CLAIM_HEADER, hl))
        return false;
    s += hl;
    for (int i = 0; i < 5; i++) {
        size_t kl = strlen(claim_fields[i]);
        if ((size_t)(end - s) < kl + 1 || memcmp(s, claim_fields[i], kl) || s[kl] != ' ')
            return false;
        s += kl + 1;
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl || !field_ok(s, (size_t)(nl - s), i))
            return false;
        c->f[i] = s;
        c->n[i] = (size_t)(nl - s);
        s = nl + 1;
    }
    return s == end;
}

/* "VCID NAME VERSION SIGNER SOURCE" -> canonical text in out (malloc'd). */
static size_t claim_encode(const char *arg, uint8_t **out)
{
    const char *p = arg;
    const char *f[5];
    size_t n[5];
    for (int i = 0; i < 5; i++) {
        const char *sp = strchr(p, ' ');
        size_t l = i < 4 ? (sp ? (size_t)(sp - p) : strlen(p) + 1000) : strlen(p);
        if (i < 4 && !sp)
            fail("claim '%s': want five fields \"VCID NAME VERSION SIGNER SOURCE\"", arg);
        if (!field_ok(p, l, i))
            fail("claim '%s': bad %s (VCID: 64 lower-case hex; others: 1-255 printable "
                 "ASCII, no spaces)",
                 arg, claim_fields[i]);
        f[i] = p, n[i] = l;
        p += l + 1;
    }
    size_t cap = 512 + n[0] + n[1] + n[2] + n[3] + n[4], len;
    char *t = xmalloc(cap);
    len = (size_t)snprintf(t, cap, CLAIM_HEADER);
    for (int i = 0; i < 5; i++)
        len += (size_t)snprintf(t + len, cap - len, "%s %.*s\n", claim_fields[i], (int)n[i],
                                f[i]);
    *out = (uint8_t *)t;
    return len;
}

/* ---- the log in memory ---- */

struct log {
    const char *dir;
    char origin[TLOG_MAX_NAME + 1];
    char *keypath;
    uint8_t *raw; /* .vlog/entries */
    size_t raw_len;
    size_t n;
    const uint8_t **entry;
    size_t *entry_len;
    /* level[h] holds the complete nodes at height h; count[h] of them */
    uint8_t (*level[64])[32];
    uint64_t count[64];
    unsigned levels;
};

/* Splits uint16-length-prefixed entries (the entry-bundle encoding). */
static bool split_entries(const uint8_t *p, size_t len, size_t want, const uint8_t **e,
                          size_t *el, size_t *n)
{
    size_t i = 0, k = 0;
    while (i < len) {
        if (len - i < 2 || k == want)
            return false;
        size_t l = (size_t)p[i] << 8 | p[i + 1];
        if (len - i - 2 < l)
            return false;
        e[k] = p + i + 2;
        el[k++] = l;
        i += 2 + l;
    }
    *n = k;
    return true;
}

static void log_open(struct log *lg, const char *dir)
{
    memset(lg, 0, sizeof *lg);
    lg->dir = dir;
    char *cfg = path_join(dir, ".vlog/config");
    uint8_t *buf;
    size_t len;
    cli_read(cfg, 8192, &buf, &len);
    char *s = (char *)buf, *nl = strchr(s, '\n');
    if (strncmp(s, "origin ", 7) || !nl || (size_t)(nl - s - 7) > TLOG_MAX_NAME)
        fail("%s: malformed (want \"origin NAME\" then \"key PATH\")", cfg);
    memcpy(lg->origin, s + 7, (size_t)(nl - s - 7));
    s = nl + 1;
    nl = strchr(s, '\n');
    if (strncmp(s, "key ", 4) || !nl || nl[1])
        fail("%s: malformed (want \"origin NAME\" then \"key PATH\")", cfg);
    *nl = 0;
    lg->keypath = strdup(s + 4);
    free(buf);
    free(cfg);
    char *ep = path_join(dir, ".vlog/entries");
    cli_read(ep, MAX_ENTRIES_FILE, &lg->raw, &lg->raw_len);
    size_t max = lg->raw_len / 2 + 1;
    lg->entry = xmalloc(max * sizeof *lg->entry);
    lg->entry_len = xmalloc(max * sizeof *lg->entry_len);
    if (!split_entries(lg->raw, lg->raw_len, max, lg->entry, lg->entry_len, &lg->n))
        fail("%s: truncated or corrupt entry list", ep);
    free(ep);
}

/* Leaf hashes of entries [0, n) and every complete node above them. */
static void build_tree(struct log *lg, const uint8_t *const *e, const size_t *el, uint64_t n)
{
    lg->count[0] = n;
    lg->level[0] = xmalloc(n * 32);
    for (uint64_t i = 0; i < n; i++)
        tlog_leaf_hash(C, lg->level[0][i], e[i], el[i]);
    unsigned h = 0;
    while (lg->count[h] >= 2) {
        uint64_t m = lg->count[h] / 2;
        lg->level[h + 1] = xmalloc(m * 32);
        for (uint64_t i = 0; i < m; i++)
            tlog_node_hash(C, lg->level[h + 1][i], lg->level[h][2 * i], lg->level[h][2 * i + 1]);
        lg->count[++h] = m;
    }
    lg->levels = h + 1;
}

static int read_level(void *arg, unsigned height, uint64_t index, uint8_t out[32])
{
    struct log *lg = arg;
    if (height >= lg->levels || index >= lg->count[height])
        return -1;
    memcpy(out, lg->level[height][index], 32);
    return 0;
}

static void tree_root(struct log *lg, uint64_t n, uint8_t root[32])
{
    struct tlog_hashes h = {read_level, lg};
    int e = tlog_tree_hash(C, &h, n, root);
    if (e)
        fail("tree hash: %s", tlog_strerror(e));
}

/* ---- checkpoints ---- */

struct signed_cp {
    uint8_t *buf;
    size_t len;
    struct tlog_note note;
    struct tlog_checkpoint cp;
    bool ok[2];
    uint64_t ts[2];
};

/* Reads and verifies a checkpoint note against keys[0..nk); keys[0] must
 * have signed (it is the log). */
static void open_checkpoint(const char *path, const struct tlog_key *keys, size_t nk,
                            struct signed_cp *s)
{
    cli_read(path, MAX_NOTE, &s->buf, &s->len);
    int e = tlog_note_parse((char *)s->buf, s->len, &s->note);
    if (e)
        fail("%s: not a signed note: %s", path, tlog_strerror(e));
    char *scratch = xmalloc(s->note.text_len + 64);
    e = tlog_note_verify(C, &s->note, keys, nk, s->ok, s->ts, scratch, s->note.text_len + 64);
    free(scratch);
    if (e == TLOG_E_UNKNOWN_KEY)
        fail("%s: not signed by the log key %s (unknown key)", path, keys[0].name);
    if (e)
        fail("%s: bad signature: %s", path, tlog_strerror(e));
    if (!s->ok[0])
        fail("%s: not signed by the log key %s", path, keys[0].name);
    e = tlog_checkpoint_parse(s->note.text, s->note.text_len, &s->cp);
    if (e)
        fail("%s: not a checkpoint: %s", path, tlog_strerror(e));
}

static void write_checkpoint(struct log *lg, const struct signer *sg, uint64_t n,
                             const uint8_t root[32])
{
    struct tlog_checkpoint cp = {lg->origin, strlen(lg->origin), n, {0}, "", 0};
    memcpy(cp.root, root, 32);
    char buf[1024], scratch[512];
    size_t len, sl;
    int e = tlog_checkpoint_format(&cp, buf, sizeof buf, &len);
    if (e)
        fail("checkpoint: %s", tlog_strerror(e));
    buf[len] = '\n';
    e = tlog_sign_line(C, &sg->key, sg->sk, 0, buf, len, scratch, sizeof scratch, buf + len + 1,
                       sizeof buf - len - 1, &sl);
    if (e)
        fail("signing: %s", tlog_strerror(e));
    char *p = path_join(lg->dir, "checkpoint");
    write_all(p, buf, len + 1 + sl, 0644);
    free(p);
}

/* Writes `path` unless it holds these bytes already; a published tile that
 * holds others means the tree was rewritten, which a log must never do. */
static bool put_tile(const char *dir, const char *rel, const void *p, size_t n)
{
    char *path = path_join(dir, rel);
    FILE *f = fopen(path, "rb");
    if (f) {
        uint8_t *old = xmalloc(n + 1);
        size_t got = fread(old, 1, n + 1, f);
        fclose(f);
        bool same = got == n && !memcmp(old, p, n);
        free(old);
        if (same) {
            free(path);
            return false;
        }
        if (!strstr(rel, ".p/"))
            fail("%s exists with other contents: refusing to rewrite a published tile",
                 path);
    }
    mkdirs(path);
    write_all(path, p, n, 0644);
    free(path);
    return true;
}

static size_t publish_tiles(struct log *lg)
{
    uint64_t n = lg->n;
    size_t written = 0;
    char rel[TLOG_MAX_PATH];
    for (unsigned l = 0; l < 8 && tlog_tile_count(n, l); l++) {
        for (uint64_t t = 0; t < tlog_tile_count(n, l); t++) {
            unsigned w = tlog_tile_width(n, l, t);
            tlog_tile_path(rel, sizeof rel, l, t, w);
            written += put_tile(lg->dir, rel, lg->level[8 * l][t * 256], (size_t)w * 32);
            if (l)
                continue;
            size_t blen = 0;
            for (unsigned i = 0; i < w; i++)
                blen += 2 + lg->entry_len[t * 256 + i];
            uint8_t *b = xmalloc(blen), *q = b;
            for (unsigned i = 0; i < w; i++) {
                size_t el = lg->entry_len[t * 256 + i];
                *q++ = (uint8_t)(el >> 8);
                *q++ = (uint8_t)el;
                memcpy(q, lg->entry[t * 256 + i], el);
                q += el;
            }
            tlog_tile_path(rel, sizeof rel, TLOG_ENTRIES, t, w);
            written += put_tile(lg->dir, rel, b, blen);
            free(b);
        }
    }
    return written;
}

static void log_checkpoint(struct log *lg, const char *keypath)
{
    struct signer sg;
    load_signer(keypath, &sg);
    if (sg.key.type != TLOG_SIG_ED25519)
        fail("%s is a witness key; a log signs with a note key", keypath);
    build_tree(lg, lg->entry, lg->entry_len, lg->n);
    uint8_t root[32];
    tree_root(lg, lg->n, root);
    size_t w = publish_tiles(lg);
    write_checkpoint(lg, &sg, lg->n, root);
    sodium_memzero(sg.sk, sizeof sg.sk);
    char b[48];
    tlog_b64_encode(b, sizeof b, root, 32);
    b[44] = 0;
    printf("checkpoint %s: size %llu, root %s, %zu files written\n", lg->origin,
           (unsigned long long)lg->n, b, w);
}

static int cmd_init(int argc, char **argv)
{
    const char *dir = NULL, *origin = NULL, *key = NULL;
    const struct cli_opt opts[] = {{"--origin", NULL, &origin, NULL}, {"--key", NULL, &key, NULL}, {0}};
    cli_parse(argc, argv, 2, opts, &dir, false);
    cli_need(dir, "DIR");
    cli_need(origin, "--origin NAME");
    cli_need(key, "--key KEYFILE");
    if (!tlog_name_ok(origin, strlen(origin)))
        cli_usage("bad origin '%s' (1-128 printable ASCII, no '+' or space)", origin);
    struct signer sg;
    load_signer(key, &sg);
    sodium_memzero(sg.sk, sizeof sg.sk);
    if (sg.key.type != TLOG_SIG_ED25519)
        fail("%s is a witness key; a log signs with a note key", key);
    char *abs = realpath(key, NULL);
    if (!abs)
        fail("%s: %s", key, strerror(errno));
    if (strchr(abs, '\n'))
        fail("%s: key path holds a newline", key);
    char *v = path_join(dir, ".vlog");
    struct stat st;
    if (stat(v, &st) == 0)
        fail("%s exists: %s is a log already", v, dir);
    mkdir(dir, 0755);
    if (mkdir(v, 0755) < 0)
        fail("cannot create %s: %s", v, strerror(errno));
    size_t n = strlen(origin) + strlen(abs) + 16;
    char *cfg = xmalloc(n);
    snprintf(cfg, n, "origin %s\nkey %s\n", origin, abs);
    char *p = path_join(dir, ".vlog/config");
    write_all(p, cfg, strlen(cfg), 0644);
    free(p);
    p = path_join(dir, ".vlog/entries");
    write_all(p, "", 0, 0644);
    free(p);
    struct log lg;
    log_open(&lg, dir);
    log_checkpoint(&lg, abs);
    return 0;
}

static bool same_vcid(const uint8_t *e, size_t el, const char *vcid)
{
    struct claim c;
    return claim_parse(e, el, &c) && !memcmp(c.f[0], vcid, 64);
}

static int cmd_append(int argc, char **argv)
{
    if (argc < 4)
        cli_usage("missing %s", argc < 3 ? "DIR" : "CLAIM");
    struct log lg;
    log_open(&lg, argv[2]);
    int nc = argc - 3;
    uint8_t **enc = xmalloc((size_t)nc * sizeof *enc);
    size_t *len = xmalloc((size_t)nc * sizeof *len), add = 0;
    for (int i = 0; i < nc; i++) {
        len[i] = claim_encode(argv[3 + i], &enc[i]);
        for (size_t k = 0; k < lg.n; k++)
            if (same_vcid(lg.entry[k], lg.entry_len[k], argv[3 + i]))
                fail("claim for VCID %.64s is in the log already", argv[3 + i]);
        for (int k = 0; k < i; k++)
            if (!memcmp(argv[3 + k], argv[3 + i], 64))
                fail("VCID %.64s is claimed twice in this command", argv[3 + i]);
        add += 2 + len[i];
    }
    uint8_t *all = xmalloc(lg.raw_len + add), *q = all + lg.raw_len;
    memcpy(all, lg.raw, lg.raw_len);
    for (int i = 0; i < nc; i++) {
        *q++ = (uint8_t)(len[i] >> 8);
        *q++ = (uint8_t)len[i];
        memcpy(q, enc[i], len[i]);
        q += len[i];
    }
    char *p = path_join(lg.dir, ".vlog/entries");
    write_all(p, all, lg.raw_len + add, 0644);
    for (int i = 0; i < nc; i++)
        printf("appended entry %zu: %.64s\n", lg.n + (size_t)i, argv[3 + i]);
    return 0;
}

static int cmd_checkpoint(int argc, char **argv)
{
    const char *dir = NULL, *key = NULL;
    const struct cli_opt opts[] = {{"--key", NULL, &key, NULL}, {0}};
    cli_parse(argc, argv, 2, opts, &dir, false);
    cli_need(dir, "DIR");
    struct log lg;
    log_open(&lg, dir);
    log_checkpoint(&lg, key ? key : lg.keypath);
    return 0;
}

/* The log's own checkpoint, verified with its own key, and the tree of
 * that size rebuilt from the entries (which must give the same root). */
static void log_current(struct log *lg, struct signed_cp *s)
{
    struct signer sg;
    load_signer(lg->keypath, &sg);
    sodium_memzero(sg.sk, sizeof sg.sk);
    char *p = path_join(lg->dir, "checkpoint");
    open_checkpoint(p, &sg.key, 1, s);
    if (s->cp.size > lg->n)
        fail("%s: size %llu is beyond the %zu entries the log holds", p,
             (unsigned long long)s->cp.size, lg->n);
    build_tree(lg, lg->entry, lg->entry_len, s->cp.size);
    uint8_t root[32];
    tree_root(lg, s->cp.size, root);
    if (memcmp(root, s->cp.root, 32))
        fail("%s: root hash does not match the log's entries", p);
    free(p);
}

/* "CMD DIR OPERAND [-o FILE]": the operand; *out is NULL for stdout. */
static const char *dir_operand(int argc, char **argv, const char *what, const char **out)
{
    const char *operand = NULL;
    *out = NULL;
    const struct cli_opt opts[] = {{"--out", "-o", out, NULL}, {0}};
    if (argc < 3)
        cli_usage("missing %s", "DIR");
    cli_parse(argc, argv, 3, opts, &operand, false);
    cli_need(operand, what);
    return operand;
}

static int cmd_prove(int argc, char **argv)
{
    const char *vcid, *out;
    struct log lg;
    struct signed_cp s;
    vcid = dir_operand(argc, argv, "VCID", &out);
    if (!field_ok(vcid, strlen(vcid), 0))
        cli_usage("bad VCID '%s' (64 lower-case hex digits)", vcid);
    log_open(&lg, argv[2]);
    log_current(&lg, &s);
    size_t idx = lg.n;
    for (size_t k = 0; k < lg.n && idx == lg.n; k++)
        if (same_vcid(lg.entry[k], lg.entry_len[k], vcid))
            idx = k;
    if (idx == lg.n)
        fail("no claim for VCID %s in %s", vcid, lg.dir);
    if (idx >= s.cp.size)
        fail("the claim for VCID %s is not in a checkpoint yet: run vlog checkpoint %s", vcid,
             lg.dir);
    static struct tlog_proof pr;
    struct tlog_hashes h = {read_level, &lg};
    int e = tlog_prove_inclusion(C, &h, idx, s.cp.size, pr.path, TLOG_MAX_PROOF, &pr.len);
    if (e)
        fail("inclusion proof: %s", tlog_strerror(e));
    pr.index = idx;
    pr.note = (const char *)s.buf;
    pr.note_len = s.len;
    size_t cap = s.len + tlog_b64_len(lg.entry_len[idx]) + 64 * 46 + 128, len;
    char *buf = xmalloc(cap);
    e = tlog_proof_format(&pr, lg.entry[idx], lg.entry_len[idx], buf, cap, &len);
    if (e)
        fail("proof: %s", tlog_strerror(e));
    emit(out, buf, len);
    return 0;
}

static int cmd_consistency(int argc, char **argv)
{
    const char *out, *old = dir_operand(argc, argv, "OLDSIZE", &out);
    long long m = cli_num(old, "bad OLDSIZE '%s'", 1, INT64_MAX);
    struct log lg;
    struct signed_cp s;
    log_open(&lg, argv[2]);
    log_current(&lg, &s);
    if ((uint64_t)m > s.cp.size)
        fail("OLDSIZE %s is larger than the checkpoint's size", old);
    uint8_t proof[TLOG_MAX_PROOF][32];
    size_t n, len;
    struct tlog_hashes h = {read_level, &lg};
    int e = tlog_prove_consistency(C, &h, (uint64_t)m, s.cp.size, proof, TLOG_MAX_PROOF, &n);
    if (e)
        fail("consistency proof: %s", tlog_strerror(e));
    char buf[8 + 20 + TLOG_MAX_PROOF * 45];
    tlog_cons_format((uint64_t)m, (const uint8_t(*)[32])proof, n, buf, sizeof buf, &len);
    emit(out, buf, len);
    return 0;
}

static void print_claim(const uint8_t *e, size_t len)
{
    struct claim c;
    if (!claim_parse(e, len, &c))
        fail("the proof's entry is not a vectra-claim/v1");
    for (int i = 0; i < 5; i++)
        printf("%s %.*s\n", claim_fields[i], (int)c.n[i], c.f[i]);
}

static int cmd_verify_proof(int argc, char **argv)
{
    struct tlog_key k;
    const char *file = operand_and_vkey(argc, argv, "FILE", &k);
    uint8_t *buf;
    size_t len;
    cli_read(file, MAX_NOTE * 4, &buf, &len);
    static struct tlog_proof p;
    int e = tlog_proof_parse((char *)buf, len, &p);
    if (e)
        fail("%s: not a c2sp.org/tlog-proof@v1: %s", file, tlog_strerror(e));
    if (!p.extra_b64)
        fail("%s: no extra line: the proof does not carry its claim", file);
    struct tlog_note note;
    e = tlog_note_parse(p.note, p.note_len, &note);
    if (e)
        fail("%s: checkpoint is not a signed note: %s", file, tlog_strerror(e));
    char *scratch = xmalloc(note.text_len + 64);
    e = tlog_note_verify(C, &note, &k, 1, NULL, NULL, scratch, note.text_len + 64);
    if (e)
        fail("%s: checkpoint: %s", file, e == TLOG_E_UNKNOWN_KEY
                                              ? "not signed by the given log key (unknown key)"
                                              : tlog_strerror(e));
    struct tlog_checkpoint cp;
    e = tlog_checkpoint_parse(note.text, note.text_len, &cp);
    if (e)
        fail("%s: not a checkpoint: %s", file, tlog_strerror(e));
    uint8_t *entry = xmalloc(p.extra_b64_len);
    size_t elen;
    if (tlog_b64_decode(entry, p.extra_b64_len, p.extra_b64, p.extra_b64_len, &elen))
        fail("%s: bad extra data", file);
    uint8_t leaf[32];
    tlog_leaf_hash(C, leaf, entry, elen);
    e = tlog_verify_inclusion(C, p.index, cp.size, leaf, (const uint8_t(*)[32])p.path, p.len,
                              cp.root);
    if (e == TLOG_E_RANGE)
        fail("%s: index is outside the checkpoint's tree (a proof for another tree size)",
             file);
    if (e)
        fail("%s: inclusion: %s", file, tlog_strerror(e));
    printf("ok: entry %llu of %llu in %.*s\n", (unsigned long long)p.index,
           (unsigned long long)cp.size, (int)cp.origin_len, cp.origin);
    print_claim(entry, elen);
    return 0;
}

/* ---- audit of a published tree ---- */

static void read_published(const char *dir, unsigned level, uint64_t t, unsigned w,
                           uint8_t **buf, size_t *len)
{
    char rel[TLOG_MAX_PATH];
    tlog_tile_path(rel, sizeof rel, level, t, w);
    char *p = path_join(dir, rel);
    uint8_t *b;
    if (host_read_file(p, (size_t)1 << 24, &b, len) < 0)
        fail("%s: missing (%s)", rel, host_errmsg());
    *buf = b;
    free(p);
}

static int cmd_check(int argc, char **argv)
{
    struct tlog_key k;
    const char *dir = operand_and_vkey(argc, argv, "DIR", &k);
    struct signed_cp s;
    char *cpath = path_join(dir, "checkpoint");
    open_checkpoint(cpath, &k, 1, &s);
    uint64_t n = s.cp.size;
    if (n > (1u << 26))
        fail("%s: size too large to audit in memory", cpath);
    const uint8_t **e = xmalloc(n * sizeof *e);
    size_t *el = xmalloc(n * sizeof *el), files = 1;
    char rel[TLOG_MAX_PATH];
    for (uint64_t t = 0; t < tlog_tile_count(n, 0); t++) {
        unsigned w = tlog_tile_width(n, 0, t);
        uint8_t *b;
        size_t len, got;
        read_published(dir, TLOG_ENTRIES, t, w, &b, &len);
        tlog_tile_path(rel, sizeof rel, TLOG_ENTRIES, t, w);
        if (!split_entries(b, len, w, e + t * 256, el + t * 256, &got) || got != w)
            fail("%s: truncated or corrupt entry bundle (want %s entries)", rel,
                 w == 256 ? "256" : "the partial tile's width of");
        files++;
    }
    struct log lg;
    memset(&lg, 0, sizeof lg);
    build_tree(&lg, e, el, n);
    for (unsigned l = 0; l < 8 && tlog_tile_count(n, l); l++)
        for (uint64_t t = 0; t < tlog_tile_count(n, l); t++) {
            unsigned w = tlog_tile_width(n, l, t);
            uint8_t *b;
            size_t len;
            read_published(dir, l, t, w, &b, &len);
            tlog_tile_path(rel, sizeof rel, l, t, w);
            if (len != (size_t)w * 32)
                fail("%s: truncated tile (wrong length for its width)", rel);
            if (memcmp(b, lg.level[8 * l][t * 256], len))
                fail("%s: hashes differ from the tree of the entry bundles", rel);
            free(b);
            files++;
        }
    uint8_t root[32];
    tree_root(&lg, n, root);
    if (memcmp(root, s.cp.root, 32))
        fail("%s: root hash does not match the tiles and entries", cpath);
    printf("ok: %.*s size %llu, %zu files checked\n", (int)s.cp.origin_len, s.cp.origin,
           (unsigned long long)n, files);
    return 0;
}

/* ---- witness ---- */

static void show_evidence(const char *state, const struct signed_cp *old,
                          const struct signed_cp *now)
{
    printf("split view evidence: two checkpoints signed by the log that cannot both be "
           "honest\n--- cosigned earlier (%s) ---\n",
           state);
    fwrite(old->buf, 1, old->len, stdout);
    printf("--- offered now ---\n");
    fwrite(now->buf, 1, now->len, stdout);
    fflush(stdout);
}

static int cmd_witness(int argc, char **argv)
{
    const char *cpfile = NULL, *wkey = NULL, *logkey = NULL, *proof = NULL, *tstr = NULL,
               *out = NULL;
    const struct cli_opt opts[] = {{"--key", NULL, &wkey, NULL},   {"--log", NULL, &logkey, NULL},
                                   {"--proof", NULL, &proof, NULL}, {"--time", NULL, &tstr, NULL},
                                   {"--out", "-o", &out, NULL},     {0}};
    if (argc < 3)
        cli_usage("missing %s", "STATEDIR");
    const char *statedir = argv[2];
    cli_parse(argc, argv, 3, opts, &cpfile, false);
    cli_need(cpfile, "CHECKPOINTFILE");
    cli_need(wkey, "--key WITNESSKEY");
    cli_need(logkey, "--log VERIFIERKEY");
    uint64_t ts = tstr ? (uint64_t)cli_num(tstr, "bad --time '%s'", 0, INT64_MAX)
                       : (uint64_t)time(NULL);
    struct signer w;
    load_signer(wkey, &w);
    if (w.key.type != TLOG_SIG_COSIG)
        fail("%s is not a witness key (make one with vlog keygen --witness)", wkey);
    struct tlog_key lk;
    load_vkey(logkey, &lk, logkey);
    if (lk.type != TLOG_SIG_ED25519)
        fail("%s: a log key has signature type 0x01", logkey);
    struct signed_cp now;
    open_checkpoint(cpfile, &lk, 1, &now);

    /* State: STATEDIR/<first 16 bytes of SHA-256(origin), hex>. */
    uint8_t oh[32];
    struct tlog_span sp = {now.cp.origin, now.cp.origin_len};
    C->sha256v(oh, &sp, 1);
    char name[33];
    for (int i = 0; i < 16; i++)
        snprintf(name + 2 * i, 3, "%02x", oh[i]);
    char *state = path_join(statedir, name);
    struct stat st;
    if (stat(state, &st) == 0) {
        struct signed_cp old;
        struct tlog_key both[2] = {lk, w.key};
        open_checkpoint(state, both, 2, &old);
        if (old.cp.origin_len != now.cp.origin_len ||
            memcmp(old.cp.origin, now.cp.origin, old.cp.origin_len))
            fail("%s holds another origin's checkpoint", state);
        uint64_t m = old.cp.size, n = now.cp.size;
        if (n < m) {
            fail("%s: size %llu is older than the checkpoint of size %llu this witness cosigned "
                 "(rollback)",
                 cpfile, (unsigned long long)n, (unsigned long long)m);
        } else if (n == m) {
            if (memcmp(old.cp.root, now.cp.root, 32)) {
                show_evidence(state, &old, &now);
                fail("%s: split view: same size, different root hash", cpfile);
            }
        } else {
            if (!proof)
                fail("%s: grows the tree; a consistency proof is needed (--proof, from the "
                     "size cosigned in %s)",
                     cpfile, state);
            uint8_t *pb;
            size_t plen, len;
            uint64_t from;
            uint8_t path[TLOG_MAX_PROOF][32];
            cli_read(proof, 1 << 16, &pb, &plen);
            int e = tlog_cons_parse((char *)pb, plen, &from, path, TLOG_MAX_PROOF, &len);
            if (e)
                fail("%s: not a consistency proof (\"old N\" and base64 lines): %s", proof,
                     tlog_strerror(e));
            if (from != m)
                fail("%s: a proof for another tree size (from %llu, but the cosigned size is "
                     "%llu)",
                     proof, (unsigned long long)from, (unsigned long long)m);
            e = tlog_verify_consistency(C, m, n, old.cp.root, now.cp.root,
                                        (const uint8_t(*)[32])path, len);
            if (e) {
                show_evidence(state, &old, &now);
                fail("%s: inconsistent with the cosigned checkpoint: %s", cpfile,
                     tlog_strerror(e));
            }
        }
    }
    /* Cosign: the note as received, less any earlier line of ours (so a
     * note carries one cosignature per witness), plus our new line. */
    size_t cap = now.len + 256, len = now.note.text_len + 1, sl;
    char *buf = xmalloc(cap), *scratch = xmalloc(now.note.text_len + 64);
    memcpy(buf, now.buf, len);
    for (size_t i = 0; i < now.note.nsigs; i++) {
        const struct tlog_sig *g = &now.note.sigs[i];
        if (g->id == w.key.id && g->name_len == w.key.name_len &&
            !memcmp(g->name, w.key.name, g->name_len))
            continue;
        size_t ll = 4 + g->name_len + 1 + g->b64_len + 1; /* "— name b64\n" */
        memcpy(buf + len, g->name - 4, ll);
        len += ll;
    }
    int e = tlog_sign_line(C, &w.key, w.sk, ts, now.note.text, now.note.text_len, scratch,
                           now.note.text_len + 64, buf + len, cap - len, &sl);
    sodium_memzero(w.sk, sizeof w.sk);
    if (e)
        fail("cosigning: %s", tlog_strerror(e));
    if (mkdir(statedir, 0755) < 0 && errno != EEXIST)
        fail("cannot create %s: %s", statedir, strerror(errno));
    write_all(state, buf, len + sl, 0644);
    emit(out, buf, len + sl);
    return 0;
}

/* ---- rebuilder attestations (docs/TRUST.md) ---- */

static int vcid_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static int cmd_attest(int argc, char **argv)
{
    const char *key = NULL, *vcid = NULL, *source = NULL, *out = NULL, *extra = NULL;
    int force = 0;
    const struct cli_opt opts[] = {{"--key", NULL, &key, NULL},     {"--vcid", NULL, &vcid, NULL},
                                   {"--source", NULL, &source, NULL}, {"--out", "-o", &out, NULL},
                                   {"--force", NULL, NULL, &force},  {0}};
    cli_parse(argc, argv, 2, opts, &extra, false);
    if (extra)
        cli_usage("unexpected operand '%s'", extra);
    cli_need(key, "--key KEYFILE");
    cli_need(vcid, "--vcid VCID");
    cli_need(source, "--source SOURCE");
    /* VCID or VCID,VCID,...: several make a release attestation */
    static uint8_t v[POLICY_ATTEST_SET_MAX][32];
    size_t nv = 0;
    for (const char *at = vcid;; at += 65) {
        char one[65];
        size_t l = strcspn(at, ",");
        if (l != 64 || nv == POLICY_ATTEST_SET_MAX)
            cli_usage("bad VCID list '%s' (1-64 VCIDs of 64 lower-case hex digits, by commas)",
                      vcid);
        memcpy(one, at, 64);
        one[64] = 0;
        if (!field_ok(one, 64, 0) || host_unhex(v[nv], 32, one) < 0)
            cli_usage("bad VCID '%s' (64 lower-case hex digits)", one);
        for (size_t j = 0; j < nv; j++)
            if (!memcmp(v[j], v[nv], 32))
                cli_usage("VCID %s listed twice", one);
        nv++;
        if (!at[64])
            break;
    }
    qsort(v, nv, 32, vcid_cmp);
    if (out)
        cli_check_out(out, force);
    struct signer sg;
    load_signer(key, &sg);
    if (sg.key.type != TLOG_SIG_ED25519)
        fail("%s: a rebuilder signs with a note key (vlog keygen without --witness)", key);
    static char text[8192], note[8192 + 512];
    char scratch[1];
    size_t tl = policy_attest_set_format(text, sizeof text, (const uint8_t(*)[32])v, nv, source,
                                         strlen(source)), sl;
    if (!tl)
        cli_usage("bad SOURCE '%s' (1-255 printable ASCII characters, no spaces)", source);
    memcpy(note, text, tl);
    note[tl] = '\n';
    int e = tlog_sign_line(C, &sg.key, sg.sk, 0, text, tl, scratch, 0, note + tl + 1,
                           sizeof note - tl - 1, &sl);
    sodium_memzero(sg.sk, sizeof sg.sk);
    if (e)
        fail("signing: %s", tlog_strerror(e));
    emit(out, note, tl + 1 + sl);
    return 0;
}

static int cmd_verify_attest(int argc, char **argv)
{
    struct tlog_key k;
    const char *file = operand_and_vkey(argc, argv, "FILE", &k);
    uint8_t *buf;
    size_t len;
    cli_read(file, MAX_NOTE, &buf, &len);
    struct tlog_note note;
    uint8_t none[32] = {0};
    const char *src;
    size_t sl, nv;
    bool covers;
    int e = tlog_note_parse((const char *)buf, len, &note);
    if (e)
        fail("%s: not a signed note: %s", file, tlog_strerror(e));
    if (policy_attest_read(note.text, note.text_len, none, &covers, &src, &sl, &nv))
        fail("%s: not a vectra-rebuild/v1 or vectra-rebuild-set/v1 attestation", file);
    e = tlog_note_verify(C, &note, &k, 1, NULL, NULL, NULL, 0);
    if (e)
        fail("%s: %s", file, e == TLOG_E_UNKNOWN_KEY ? "not signed by the given rebuilder key"
                                                     : tlog_strerror(e));
    /* the text parsed: its vcid lines are exactly the VCIDs, in order */
    printf("ok: rebuilt by %s\n", k.name);
    for (const char *l = note.text; l < note.text + note.text_len;) {
        const char *nl = memchr(l, '\n', (size_t)(note.text + note.text_len - l));
        if (!strncmp(l, "vcid ", 5))
            printf("%.*s\n", (int)(nl - l), l);
        l = nl + 1;
    }
    printf("source %.*s\n", (int)sl, src);
    return 0;
}

int main(int argc, char **argv)
{
    cli_start("vlog", manual, argc, argv);
    if (argc < 2)
        cli_usage("missing %s", "command");
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"keygen", cmd_keygen},
        {"init", cmd_init},
        {"append", cmd_append},
        {"checkpoint", cmd_checkpoint},
        {"prove", cmd_prove},
        {"consistency", cmd_consistency},
        {"verify-proof", cmd_verify_proof},
        {"check", cmd_check},
        {"witness", cmd_witness},
        {"attest", cmd_attest},
        {"verify-attest", cmd_verify_attest},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc, argv);
    cli_usage("unknown command '%s'", argv[1]);
}
