/*
 * vkey: Person keys (BIP-0039 words -> SLIP-0010 Ed25519), sealed Machine
 * keys (Argon2id + XChaCha20-Poly1305), and Machine certificates.
 * The manual is the help text below; file formats are in docs/KEYS.md.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bip39.h"
#include "cli.h"
#include "host.h"
#include "keys.h"
#include "slip10.h"

static const char manual[] =
    "NAME\n"
    "    vkey - Vectra Person keys, Machine keys and Machine certificates\n"
    "\n"
    "SYNOPSIS\n"
    "    vkey person new --name NAME -o FILE [--bip39-passphrase-file F]\n"
    "    vkey person restore --name NAME -o FILE [--words-file F] [--bip39-passphrase-file F]\n"
    "    vkey person show FILE [--json]\n"
    "    vkey machine new -o FILE [--passphrase-file F]\n"
    "    vkey machine unseal FILE [--passphrase-file F]\n"
    "    vkey machine show FILE [--json]\n"
    "    vkey cert issue --machine KEYFILE --name NAME --domains D0,D1,.. -o FILE\n"
    "                    [--words-file F] [--bip39-passphrase-file F]\n"
    "                    [--days N | --not-before UNIX --not-after UNIX] [--serial N]\n"
    "    vkey cert show FILE [--json]\n"
    "    vkey --help\n"
    "\n"
    "DESCRIPTION\n"
    "    A Person is 256 bits of entropy written as 24 BIP-0039 English words.\n"
    "    The words (and an optional BIP-0039 passphrase) give a 64-byte seed\n"
    "    (PBKDF2-HMAC-SHA512, 2048 rounds); the Person's Ed25519 key is the\n"
    "    SLIP-0010 key at m/1447379796'/0'/0' of that seed. The words are the\n"
    "    only secret: vkey itself never writes them to a file (person new\n"
    "    prints them; keep them offline); the public key is kept in a Person\n"
    "    file (.vperson) for policies. Words are matched without regard to case.\n"
    "\n"
    "    A Machine key is an Ed25519 key made on this machine and sealed in a\n"
    "    file with a passphrase: Argon2id (RFC 9106: t=3, m=64 MiB, p=4,\n"
    "    recorded in the file) derives the key of an XChaCha20-Poly1305 seal.\n"
    "    A key file asking for more than t=8, m=1 GiB or p=16 is refused before\n"
    "    any work; one asking for less than m=64 MiB or t x m = 192 MiB is\n"
    "    refused as weak (machine show only warns).\n"
    "\n"
    "    A Machine certificate (.vcert) is the Person's signature over the\n"
    "    Machine's name, public key, validity and the trust domains (D0-D4) it\n"
    "    may sign capsules for.\n"
    "\n"
    "COMMANDS\n"
    "    person new       Draw 32 bytes from the system's high-quality random\n"
    "                     source, print the 24 words on standard output and\n"
    "                     write the Person file. Write the words down.\n"
    "    person restore   Read words (from --words-file, else the terminal),\n"
    "                     check them, and write the Person file again.\n"
    "    person show      Print a Person file's name and public key.\n"
    "    machine new      Make a Machine key and seal it with a passphrase.\n"
    "    machine unseal   Check the passphrase; print the public key.\n"
    "    machine show     Print the public key and sealing parameters\n"
    "                     (no passphrase needed).\n"
    "    cert issue       Sign a certificate for a Machine key with the Person\n"
    "                     key derived from the words.\n"
    "    cert show        Check a certificate's signature and print it.\n"
    "\n"
    "OPTIONS\n"
    "    -o, --out FILE             Output file; an existing one is refused.\n"
    "    --force                    Replace an existing output file.\n"
    "    --name NAME                Person or Machine name: 1-64 of A-Z a-z 0-9 . _ - @\n"
    "    --words-file F             File holding the mnemonic words.\n"
    "    --bip39-passphrase-file F  First line is the BIP-0039 passphrase (ASCII;\n"
    "                               default empty).\n"
    "    --passphrase-file F        First line is the Machine key passphrase (its\n"
    "                               line end is not part of it); without it vkey\n"
    "                               asks on the terminal. A new one has 8-1023 bytes.\n"
    "    --machine KEYFILE          Machine key file (.vmkey) to certify.\n"
    "    --domains LIST             Comma-separated trust domains, e.g. D2,D3.\n"
    "    --days N                   Valid from now for N days (default 365).\n"
    "    --not-before, --not-after  Explicit validity, Unix seconds, inclusive.\n"
    "    --serial N                 Certificate serial number (default: random).\n"
    "    --json                     Machine-readable output for show.\n"
    "\n"
    "FILES\n"
    "    Byte layouts of .vperson, .vmkey and .vcert are in docs/KEYS.md.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success; 1 a bad file, wrong passphrase or failed check; 2 bad usage.\n"
    "\n"
    "EXAMPLES\n"
    "    vkey person new --name alice -o alice.vperson    (write the words down)\n"
    "    vkey machine new -o build.vmkey\n"
    "    vkey cert issue --machine build.vmkey --name build-01 --domains D2,D3 \\\n"
    "         --days 90 -o build.vcert                   (asks for the words)\n";

struct opts {
    const char *out, *name, *words_file, *bip39_pass_file, *pass_file, *machine, *domains;
    const char *days, *not_before, *not_after, *serial, *file;
    int json, force;
};

/* Reads `vkey WHAT SUB [options]` into *o and returns SUB. */
static const char *subcommand(int argc, char **argv, const char *what, struct opts *o)
{
    if (argc < 3)
        cli_usage("missing %s", what);
    memset(o, 0, sizeof *o);
    const struct cli_opt opts[] = {
        {"--out", "-o", &o->out, NULL},
        {"--name", NULL, &o->name, NULL},
        {"--words-file", NULL, &o->words_file, NULL},
        {"--bip39-passphrase-file", NULL, &o->bip39_pass_file, NULL},
        {"--passphrase-file", NULL, &o->pass_file, NULL},
        {"--machine", NULL, &o->machine, NULL},
        {"--domains", NULL, &o->domains, NULL},
        {"--days", NULL, &o->days, NULL},
        {"--not-before", NULL, &o->not_before, NULL},
        {"--not-after", NULL, &o->not_after, NULL},
        {"--serial", NULL, &o->serial, NULL},
        {"--json", NULL, NULL, &o->json},
        {"--force", NULL, NULL, &o->force},
        {NULL, NULL, NULL, NULL},
    };
    cli_parse(argc, argv, 3, opts, &o->file, false);
    return argv[2];
}

static void no_file(const struct opts *o)
{
    if (o->file)
        cli_usage("unexpected argument '%s'", o->file);
}


/* Reads the optional BIP-0039 passphrase file (first line; may be empty). */
static void bip39_passphrase(const char *file, char *out, size_t cap)
{
    out[0] = 0;
    if (!file)
        return;
    uint8_t *buf;
    size_t len;
    cli_read(file, 2048, &buf, &len);
    size_t n = 0;
    while (n < len && buf[n] != '\n' && buf[n] != '\r')
        n++;
    if (n >= cap) {
        host_err("BIP-0039 passphrase too long");
        cli_fail();
    }
    memcpy(out, buf, n);
    out[n] = 0;
    host_wipe(buf, len);
    free(buf);
}

/* Words from a file or the terminal -> Person keypair. */
static void person_from_words(const struct opts *o, uint8_t pk[32], uint8_t sk[64], char *norm,
                              size_t normcap)
{
    char words[4096], pass[1100];
    if (o->words_file) {
        uint8_t *buf;
        size_t len;
        cli_read(o->words_file, sizeof words - 1, &buf, &len);
        memcpy(words, buf, len);
        words[len] = 0;
        host_wipe(buf, len);
        free(buf);
        if (strlen(words) != len) {
            host_err("%s holds a NUL byte", o->words_file);
            cli_fail();
        }
    } else if (host_ask("--words-file", "Mnemonic words: ", words, sizeof words) < 0) {
        cli_fail();
    }
    uint8_t ent[32], seed[64];
    size_t elen;
    if (bip39_to_entropy(words, ent, &elen, norm, normcap) < 0)
        cli_fail();
    host_wipe(words, sizeof words);
    if (elen != 32) {
        host_err("a Person mnemonic has 24 words (256 bits), this one has %zu bits", elen * 8);
        cli_fail();
    }
    bip39_passphrase(o->bip39_pass_file, pass, sizeof pass);
    if (bip39_seed(norm, pass, seed) < 0)
        cli_fail();
    vectra_person_keypair(seed, pk, sk);
    host_wipe(pass, sizeof pass);
    host_wipe(seed, sizeof seed);
    host_wipe(ent, sizeof ent);
}

static void write_person(const char *name, const uint8_t pk[32], const char *out)
{
    struct person_pub p;
    uint8_t buf[128];
    size_t len;
    if (strlen(name) > 64) {
        host_err("Person name longer than 64 bytes");
        cli_fail();
    }
    strcpy(p.name, name);
    memcpy(p.key, pk, 32);
    if (person_pub_encode(&p, buf, sizeof buf, &len) < 0 || host_write_file(out, buf, len, 0644) < 0)
        cli_fail();
}

static int cmd_person(int argc, char **argv)
{
    struct opts o;
    const char *sub = subcommand(argc, argv, "person command (new, restore or show)", &o);
    char hex[65];
    if (!strcmp(sub, "new") || !strcmp(sub, "restore")) {
        no_file(&o);
        cli_need(o.name, "--name");
        cli_need(o.out, "-o FILE");
        cli_check_out(o.out, o.force);
        uint8_t pk[32], sk[64];
        char words[BIP39_MAX_MNEMONIC + 1];
        if (!strcmp(sub, "new")) {
            uint8_t ent[32];
            char pass[1100], norm[BIP39_MAX_MNEMONIC + 1];
            randombytes_buf(ent, sizeof ent);
            if (bip39_from_entropy(ent, 32, words, sizeof words) < 0)
                cli_fail();
            host_wipe(ent, sizeof ent);
            size_t elen;
            if (bip39_to_entropy(words, ent, &elen, norm, sizeof norm) < 0)
                cli_fail();
            bip39_passphrase(o.bip39_pass_file, pass, sizeof pass);
            uint8_t seed[64];
            if (bip39_seed(words, pass, seed) < 0)
                cli_fail();
            vectra_person_keypair(seed, pk, sk);
            host_wipe(seed, sizeof seed);
            host_wipe(pass, sizeof pass);
            host_wipe(ent, sizeof ent);
        } else {
            person_from_words(&o, pk, sk, words, sizeof words);
        }
        write_person(o.name, pk, o.out);
        host_hex(hex, pk, 32);
        if (!strcmp(sub, "new")) {
            printf("%s\n", words);
            fprintf(stderr, "%s: Person %s, public key %s, written to %s\n", cli_prog, o.name, hex,
                    o.out);
            fprintf(stderr, "%s: the 24 words above are the Person's only secret: write them down\n",
                    cli_prog);
        } else {
            printf("person %s key %s\n", o.name, hex);
        }
        host_wipe(words, sizeof words);
        host_wipe(sk, sizeof sk);
        return 0;
    }
    if (!strcmp(sub, "show")) {
        cli_need(o.file, "FILE");
        uint8_t *buf;
        size_t len;
        struct person_pub p;
        cli_read(o.file, 4096, &buf, &len);
        if (person_pub_decode(buf, len, &p) < 0)
            cli_fail();
        free(buf);
        host_hex(hex, p.key, 32);
        if (o.json)
            printf("{\"name\":\"%s\",\"key\":\"%s\"}\n", p.name, hex);
        else
            printf("person %s\nkey    %s\n", p.name, hex);
        return 0;
    }
    cli_usage("unknown person command '%s'", sub);
}

static int cmd_machine(int argc, char **argv)
{
    struct opts o;
    const char *sub = subcommand(argc, argv, "machine command (new, unseal or show)", &o);
    char hex[65], pass[1024];
    uint8_t pk[32], sk[64];
    if (!strcmp(sub, "new")) {
        no_file(&o);
        cli_need(o.out, "-o FILE");
        cli_check_out(o.out, o.force);
        if (host_passphrase(o.pass_file, "--passphrase-file", "New Machine key passphrase: ", 1,
                            pass, sizeof pass) < 0)
            cli_fail();
        if (strlen(pass) < MKEY_PASS_MIN) {
            host_wipe(pass, sizeof pass);
            host_err("passphrase too short (%u to %u bytes)", MKEY_PASS_MIN, MKEY_PASS_MAX);
            cli_fail();
        }
        uint8_t seed[32], img[MKEY_FILE_SIZE];
        struct mkey_params kp = {MKEY_T_COST, MKEY_M_COST_KIB, MKEY_PARALLELISM};
        randombytes_buf(seed, sizeof seed);
        if (mkey_seal(seed, pass, &kp, img) < 0 || host_write_file(o.out, img, sizeof img, 0600) < 0)
            cli_fail();
        host_wipe(seed, sizeof seed);
        host_wipe(pass, sizeof pass);
        host_hex(hex, img + 72, 32);
        printf("machine key %s written to %s\n", hex, o.out);
        return 0;
    }
    cli_need(o.file, "FILE");
    uint8_t *buf;
    size_t len;
    cli_read(o.file, 4096, &buf, &len);
    if (!strcmp(sub, "unseal")) {
        struct mkey_params kp;
        if (mkey_info(buf, len, &kp, pk) < 0 || mkey_strong_enough(&kp) < 0)
            cli_fail();
        if (host_passphrase(o.pass_file, "--passphrase-file", "Machine key passphrase: ", 0, pass,
                            sizeof pass) < 0 ||
            mkey_unseal(buf, len, pass, pk, sk) < 0)
            cli_fail();
        host_wipe(pass, sizeof pass);
        host_wipe(sk, sizeof sk);
        host_hex(hex, pk, 32);
        printf("unsealed: machine key %s\n", hex);
        free(buf);
        return 0;
    }
    if (!strcmp(sub, "show")) {
        struct mkey_params kp;
        if (mkey_info(buf, len, &kp, pk) < 0)
            cli_fail();
        host_hex(hex, pk, 32);
        if (o.json)
            printf("{\"key\":\"%s\",\"kdf\":\"argon2id\",\"t_cost\":%u,\"m_cost_kib\":%u,"
                   "\"parallelism\":%u,\"cipher\":\"xchacha20poly1305\"}\n",
                   hex, kp.t_cost, kp.m_cost_kib, kp.parallelism);
        else
            printf("machine key %s\nsealed with Argon2id t=%u m=%u KiB p=%u, XChaCha20-Poly1305\n",
                   hex, kp.t_cost, kp.m_cost_kib, kp.parallelism);
        if (mkey_strong_enough(&kp) < 0)
            fprintf(stderr, "%s: warning: %s\n", cli_prog, host_errmsg());
        free(buf);
        return 0;
    }
    cli_usage("unknown machine command '%s'", sub);
}

static uint8_t parse_domains(const char *s)
{
    uint8_t mask = 0;
    const char *p = s;
    while (*p) {
        if ((p[0] != 'D' && p[0] != 'd') || p[1] < '0' || p[1] > '4' || (p[2] && p[2] != ','))
            cli_usage("bad --domains '%s' (want e.g. D0,D2)", s);
        mask |= (uint8_t)(1u << (p[1] - '0'));
        p += p[2] ? 3 : 2;
    }
    if (!mask)
        cli_usage("bad --domains '%s' (want e.g. D0,D2)", s);
    return mask;
}

static void print_cert(const struct capsule_cert *c, int json)
{
    char mk[65], pk[65], doms[32], nb[32], na[32];
    host_hex(mk, c->machine_key, 32);
    host_hex(pk, c->person_key, 32);
    host_domains(doms, c->domains, json);
    if (json) {
        printf("{\"name\":\"%.*s\",\"machine_key\":\"%s\",\"person_key\":\"%s\","
               "\"not_before\":%lld,\"not_after\":%lld,\"domains\":[%s],\"serial\":%llu}\n",
               (int)c->name.len, c->name.p, mk, pk, (long long)c->not_before,
               (long long)c->not_after, doms, (unsigned long long)c->serial);
        return;
    }
    host_time(nb, c->not_before);
    host_time(na, c->not_after);
    printf("machine     %.*s\nmachine key %s\nissued by   %s\nvalid       %s .. %s\n"
           "domains     %s\nserial      %llu\nsignature   good\n",
           (int)c->name.len, c->name.p, mk, pk, nb, na, doms, (unsigned long long)c->serial);
}

static int cmd_cert(int argc, char **argv)
{
    struct opts o;
    const char *sub = subcommand(argc, argv, "cert command (issue or show)", &o);
    if (!strcmp(sub, "issue")) {
        no_file(&o);
        cli_need(o.machine, "--machine KEYFILE");
        cli_need(o.name, "--name");
        cli_need(o.domains, "--domains");
        cli_need(o.out, "-o FILE");
        if (o.days && (o.not_before || o.not_after))
            cli_usage("%s", "--days and --not-before/--not-after exclude each other");
        if (!!o.not_before != !!o.not_after)
            cli_usage("%s", "--not-before and --not-after go together");
        cli_check_out(o.out, o.force);
        struct cert_fields f;
        memset(&f, 0, sizeof f);
        f.name = o.name;
        f.domains = parse_domains(o.domains);
        if (o.not_before) {
            f.not_before = cli_num(o.not_before, "bad --not-before '%s'", 0, (1LL << 62));
            f.not_after = cli_num(o.not_after, "bad --not-after '%s'", 0, (1LL << 62));
        } else {
            long long days = o.days ? cli_num(o.days, "bad --days '%s'", 1, 36500) : 365;
            f.not_before = (int64_t)time(NULL);
            f.not_after = f.not_before + days * 86400 - 1;
        }
        if (o.serial)
            f.serial = (uint64_t)cli_num(o.serial, "bad --serial '%s'", 0, (1LL << 62));
        else
            randombytes_buf(&f.serial, sizeof f.serial);
        uint8_t *buf;
        size_t len;
        struct mkey_params kp;
        cli_read(o.machine, 4096, &buf, &len);
        if (mkey_info(buf, len, &kp, f.machine_key) < 0)
            cli_fail();
        free(buf);
        uint8_t sk[64];
        char norm[BIP39_MAX_MNEMONIC + 1];
        person_from_words(&o, f.person_key, sk, norm, sizeof norm);
        host_wipe(norm, sizeof norm);
        uint8_t *img;
        if (cert_issue(&f, sk, &img, &len) < 0)
            cli_fail();
        host_wipe(sk, sizeof sk);
        if (host_write_file(o.out, img, len, 0644) < 0)
            cli_fail();
        struct capsule_certrec rec;
        struct capsule_cert c;
        if (cert_decode(img, len, &rec, &c) < 0)
            cli_fail();
        print_cert(&c, 0);
        free(img);
        return 0;
    }
    if (!strcmp(sub, "show")) {
        cli_need(o.file, "FILE");
        uint8_t *buf;
        size_t len;
        struct capsule_certrec rec;
        struct capsule_cert c;
        cli_read(o.file, 16384, &buf, &len);
        if (cert_decode(buf, len, &rec, &c) < 0)
            cli_fail();
        print_cert(&c, o.json);
        free(buf);
        return 0;
    }
    cli_usage("unknown cert command '%s'", sub);
}

int main(int argc, char **argv)
{
    cli_start("vkey", manual, argc, argv);
    if (argc < 2)
        cli_usage("%s", "missing command (person, machine or cert)");
    if (!strcmp(argv[1], "person"))
        return cmd_person(argc, argv);
    if (!strcmp(argv[1], "machine"))
        return cmd_machine(argc, argv);
    if (!strcmp(argv[1], "cert"))
        return cmd_cert(argc, argv);
    cli_usage("unknown command '%s'", argv[1]);
}
