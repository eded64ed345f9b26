/*
 * vcapsule: build, sign, inspect and verify capsules. The decision in
 * `verify` is lib/capsule's capsule_verify(), the same code init runs.
 */
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capsule_build.h"
#include "cli.h"
#include "host.h"
#include "json.h"
#include "keys.h"

static const char manual[] =
    "NAME\n"
    "    vcapsule - build, sign, inspect and verify Vectra capsules\n"
    "\n"
    "SYNOPSIS\n"
    "    vcapsule build MANIFEST.json -o OUT.vcap\n"
    "    vcapsule sign CAPSULE --key KEY.vmkey --cert CERT.vcert -o OUT.vcap\n"
    "                  [--passphrase-file F]\n"
    "    vcapsule inspect CAPSULE [--json]\n"
    "    vcapsule verify CAPSULE --policy POLICY [--now UNIX] [--json]\n"
    "    vcapsule policy POLICY.json -o POLICY.bin\n"
    "    vcapsule --help\n"
    "\n"
    "DESCRIPTION\n"
    "    A capsule is one immutable file: a canonical Cap'n Proto manifest,\n"
    "    a proof (the Machine's Ed25519 signature over the VCID and the\n"
    "    Machine's certificate from a Person) and the payload blobs. Its\n"
    "    identity, the VCID, is the SHA-256 of the manifest bytes; the\n"
    "    manifest commits to every blob by digest. docs/CAPSULE.md has the\n"
    "    byte layout.\n"
    "\n"
    "COMMANDS\n"
    "    build    Read a JSON manifest (schema/capsule.capnp spelling: name,\n"
    "             ver, domain, requires, provides, entry, intent, blobs,\n"
    "             integrity). Each blob names a \"file\" relative to the\n"
    "             manifest's directory (an absolute path or one with \"..\"\n"
    "             is refused); build fills in its size and integrity (sha256\n"
    "             unless the blob asks for \"sha3_512\"; a full digest given in\n"
    "             the manifest must match). Writes an unsigned capsule.\n"
    "    sign     Unseal the Machine key and sign the capsule's VCID; the\n"
    "             certificate must be for that key and allow the capsule's\n"
    "             domain. Replaces any old proof.\n"
    "    inspect  Show header, VCID, manifest, proof and blobs without\n"
    "             judging trust (hostile files get a named error).\n"
    "    verify   Decide as init does: signature, certificate chain to a\n"
    "             trusted Person, validity at --now (default: the clock),\n"
    "             domain permission and ceiling, every blob digest. Prints\n"
    "             OK or REFUSED with one reason code and message.\n"
    "    policy   Convert a JSON policy to its canonical binary form (the\n"
    "             form a boot image carries).\n"
    "\n"
    "OPTIONS\n"
    "    -o, --out FILE        Output file; an existing one is refused.\n"
    "    --force               Replace an existing output file (atomically).\n"
    "    --key FILE            Sealed Machine key (vkey machine new).\n"
    "    --cert FILE           Machine certificate (vkey cert issue).\n"
    "    --passphrase-file F   First line is the Machine key passphrase;\n"
    "                          without it vcapsule asks on the terminal.\n"
    "    --policy FILE         Policy, JSON or canonical binary: {\"persons\":\n"
    "                          [{\"name\",\"key\"}], \"domains\": [{\"domain\":\"D2\",\n"
    "                          \"ceiling\":[\"IPC_SRV\",\"svc:*\"],\"signers\":[name]}]}\n"
    "                          Each Person (name and key) once, every signer a\n"
    "                          Person of the policy; errors give line and column.\n"
    "    --now UNIX            Verify as of this time (Unix seconds, >= 0).\n"
    "    --json                Machine-readable output.\n"
    "\n"
    "REASONS\n"
    "    verify refuses with exactly one of: TRUNCATED MAGIC VERSION FLAGS LAYOUT\n"
    "    UNSIGNED PROOF_FORMAT CERT_FORMAT CERT_SIGNATURE UNKNOWN_PERSON\n"
    "    CERT_NOT_YET_VALID CERT_EXPIRED SIGNATURE MANIFEST_FORMAT BAD_NAME\n"
    "    BAD_VERSION BAD_CAPABILITY BAD_INTEGRITY BAD_BLOB BAD_ENTRY BAD_INTENT\n"
    "    TOO_MANY DOMAIN_INVALID DOMAIN_NOT_CERTIFIED DOMAIN_SIGNER\n"
    "    DOMAIN_OVERREACH BLOB_MISSING BLOB_SIZE BLOB_HASH PADDING\n"
    "    PAYLOAD_TRAILING PAYLOAD_HASH POLICY_FORMAT (docs/CAPSULE.md).\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success (verify: the capsule may be activated); 1 a bad file, a\n"
    "    failed check or a refusal; 2 bad usage.\n"
    "\n"
    "EXAMPLES\n"
    "    vcapsule build hello/manifest.json -o hello.vcap\n"
    "    vcapsule sign hello.vcap --key build.vmkey --cert build.vcert \\\n"
    "             -o hello.vcap --force\n"
    "    vcapsule verify hello.vcap --policy system.policy.json\n";

struct opts {
    const char *out, *key, *cert, *pass_file, *policy, *now, *file;
    int json, force;
};

/* Reads `vcapsule CMD FILE [options]` into *o; a lone "-" is a file name. */
static void parse(int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof *o);
    const struct cli_opt opts[] = {
        {"--out", "-o", &o->out, NULL},
        {"--key", NULL, &o->key, NULL},
        {"--cert", NULL, &o->cert, NULL},
        {"--passphrase-file", NULL, &o->pass_file, NULL},
        {"--policy", NULL, &o->policy, NULL},
        {"--now", NULL, &o->now, NULL},
        {"--json", NULL, NULL, &o->json},
        {"--force", NULL, NULL, &o->force},
        {NULL, NULL, NULL, NULL},
    };
    cli_parse(argc, argv, 2, opts, &o->file, true);
    if (!o->file)
        cli_usage("missing %s", "input file");
}

static void read_capsule(const char *path, uint8_t **buf, size_t *len)
{
    cli_read(path, (size_t)2 << 30, buf, len);
}

static void pstr(struct capsule_str s, int json)
{
    if (json)
        json_fputs(s.p, s.len, stdout);
    else
        printf("%.*s", (int)s.len, s.p);
}

static const char *const list_names[] = {"requires", "provides", "opens", "syscalls"};

static void print_list(const struct capsule_manifest *m, enum capsule_list which, int json)
{
    uint32_t n = capsule_manifest_count(m, which);
    if (json) {
        printf("\"%s\":[", list_names[which]);
        for (uint32_t i = 0; i < n; i++) {
            if (i)
                putchar(',');
            pstr(capsule_manifest_item(m, which, i), 1);
        }
        putchar(']');
        return;
    }
    printf("%-10s", list_names[which]);
    for (uint32_t i = 0; i < n; i++) {
        putchar(' ');
        pstr(capsule_manifest_item(m, which, i), 0);
    }
    putchar('\n');
}

static int cmd_inspect(const struct opts *o)
{
    uint8_t *buf;
    size_t len;
    read_capsule(o->file, &buf, &len);
    struct capsule_env env;
    enum capsule_reason r = capsule_parse_envelope(buf, len, &env);
    if (r != CAPSULE_OK && r != CAPSULE_PROOF_FORMAT && r != CAPSULE_CERT_FORMAT) {
        host_err("%s: %s (%s)", o->file, capsule_reason_msg(r), capsule_reason_name(r));
        cli_fail();
    }
    uint8_t vcid[32];
    char hex[65];
    crypto_hash_sha256(vcid, env.manifest, env.manifest_len);
    host_hex(hex, vcid, 32);
    struct capsule_manifest m;
    struct capsule_result res;
    enum capsule_reason mr = capsule_manifest_open(&m, env.manifest, env.manifest_len, &res);
    struct capsule_cert cert;
    enum capsule_reason cr = r != CAPSULE_OK ? r
                           : env.proof ? capsule_cert_read(&env.certs[0], &cert) : CAPSULE_UNSIGNED;
    int json = o->json;
    if (json)
        printf("{\"vcid\":\"%s\",\"size\":%zu,\"manifest_bytes\":%u,\"proof_bytes\":%u,"
               "\"payload_bytes\":%llu,",
               hex, len, env.manifest_len, env.proof_len, (unsigned long long)env.payload_len);
    else
        printf("capsule   %s\nvcid      %s\nbytes     %zu (manifest %u, proof %u, payload %llu)\n",
               o->file, hex, len, env.manifest_len, env.proof_len,
               (unsigned long long)env.payload_len);
    if (mr != CAPSULE_OK) {
        if (json)
            printf("\"manifest_error\":\"%s\",", capsule_reason_name(mr));
        else
            printf("manifest  unreadable: %s (%s)\n", capsule_reason_msg(mr),
                   capsule_reason_name(mr));
    } else {
        if (json) {
            printf("\"manifest\":{\"name\":");
            pstr(capsule_manifest_name(&m), 1);
            printf(",\"ver\":");
            pstr(capsule_manifest_ver(&m), 1);
            printf(",\"domain\":\"D%u\",", capsule_manifest_domain(&m));
            print_list(&m, CAPSULE_REQUIRES, 1);
            putchar(',');
            print_list(&m, CAPSULE_PROVIDES, 1);
            printf(",\"entry\":");
            pstr(capsule_manifest_entry(&m), 1);
            printf(",\"intent\":{");
            print_list(&m, CAPSULE_OPENS, 1);
            printf(",\"mem_max\":%llu,", (unsigned long long)capsule_manifest_mem_max(&m));
            print_list(&m, CAPSULE_SYSCALLS, 1);
            printf(",\"rates\":[");
            for (uint32_t i = 0; i < capsule_manifest_nrates(&m); i++) {
                struct capsule_rate rt = capsule_manifest_rate(&m, i);
                printf("%s{\"what\":", i ? "," : "");
                pstr(rt.what, 1);
                printf(",\"per_sec\":%u,\"burst\":%u}", rt.per_sec, rt.burst);
            }
            printf("]},\"blobs\":[");
            for (uint32_t i = 0; i < capsule_manifest_nblobs(&m); i++) {
                struct capsule_blob b = capsule_manifest_blob(&m, i);
                printf("%s{\"name\":", i ? "," : "");
                pstr(b.name, 1);
                printf(",\"size\":%llu,\"integrity\":", (unsigned long long)b.size);
                pstr(b.integrity, 1);
                putchar('}');
            }
            printf("],\"integrity\":");
            pstr(capsule_manifest_integrity(&m), 1);
            printf("},");
        } else {
            printf("name      ");
            pstr(capsule_manifest_name(&m), 0);
            printf("\nver       ");
            pstr(capsule_manifest_ver(&m), 0);
            printf("\ndomain    D%u\n", capsule_manifest_domain(&m));
            print_list(&m, CAPSULE_REQUIRES, 0);
            print_list(&m, CAPSULE_PROVIDES, 0);
            printf("entry     ");
            pstr(capsule_manifest_entry(&m), 0);
            printf("\nintent    mem_max %llu\n", (unsigned long long)capsule_manifest_mem_max(&m));
            printf("  ");
            print_list(&m, CAPSULE_OPENS, 0);
            printf("  ");
            print_list(&m, CAPSULE_SYSCALLS, 0);
            for (uint32_t i = 0; i < capsule_manifest_nrates(&m); i++) {
                struct capsule_rate rt = capsule_manifest_rate(&m, i);
                printf("  rate      ");
                pstr(rt.what, 0);
                printf(" %u/s burst %u\n", rt.per_sec, rt.burst);
            }
            for (uint32_t i = 0; i < capsule_manifest_nblobs(&m); i++) {
                struct capsule_blob b = capsule_manifest_blob(&m, i);
                printf("blob      ");
                pstr(b.name, 0);
                printf(" %llu bytes ", (unsigned long long)b.size);
                pstr(b.integrity, 0);
                putchar('\n');
            }
            printf("integrity ");
            pstr(capsule_manifest_integrity(&m), 0);
            putchar('\n');
        }
    }
    if (cr == CAPSULE_OK) {
        char mk[65], pk[65], doms[32], nb[32], na[32];
        host_hex(mk, cert.machine_key, 32);
        host_hex(pk, cert.person_key, 32);
        host_domains(doms, cert.domains, json);
        if (json) {
            printf("\"signed\":true,\"machine\":");
            pstr(cert.name, 1);
            printf(",\"machine_key\":\"%s\",\"person_key\":\"%s\",\"not_before\":%lld,"
                   "\"not_after\":%lld,\"cert_domains\":[%s]}\n",
                   mk, pk, (long long)cert.not_before, (long long)cert.not_after, doms);
        } else {
            host_time(nb, cert.not_before);
            host_time(na, cert.not_after);
            printf("signed by machine ");
            pstr(cert.name, 0);
            printf(" key %s\n  certified by person key %s\n  valid %s .. %s\n  domains %s\n",
                   mk, pk, nb, na, doms);
        }
    } else if (json) {
        printf("\"signed\":false,\"proof\":\"%s\"}\n", capsule_reason_name(cr));
    } else {
        printf("proof     %s (%s)\n", cr == CAPSULE_UNSIGNED ? "none: unsigned" : capsule_reason_msg(cr),
               capsule_reason_name(cr));
    }
    free(buf);
    return 0;
}

static int cmd_verify(const struct opts *o)
{
    cli_need(o->policy, "--policy FILE");
    int64_t now = (int64_t)time(NULL);
    if (o->now)
        now = cli_num(o->now, "bad --now '%s' (Unix seconds, 0 or more)", 0, LLONG_MAX);
    uint8_t *pol, *buf;
    size_t plen, len;
    if (vc_load_policy(o->policy, &pol, &plen) < 0)
        cli_fail();
    read_capsule(o->file, &buf, &len);
    struct capsule_policy p;
    capsule_policy_open(&p, pol, plen);
    struct capsule_result res;
    enum capsule_reason r = capsule_verify(&host_crypto, buf, len, &p, now, &res);
    char hex[65] = "";
    if (res.have_vcid)
        host_hex(hex, res.vcid, 32);
    if (o->json) {
        printf("{\"ok\":%s,\"reason\":\"%s\",\"message\":\"%s\",\"vcid\":\"%s\"", r ? "false" : "true",
               capsule_reason_name(r), capsule_reason_msg(r), hex);
        if (r && res.what.len) {
            printf(",\"about\":");
            pstr(res.what, 1);
        }
        printf("}\n");
    } else if (r == CAPSULE_OK) {
        printf("OK %s vcid %s\n", o->file, hex);
    } else {
        printf("REFUSED %s: %s", capsule_reason_name(r), capsule_reason_msg(r));
        if (res.what.len) {
            printf(" (");
            pstr(res.what, 0);
            printf(")");
        }
        printf("\n");
    }
    free(buf);
    free(pol);
    return r == CAPSULE_OK ? 0 : 1;
}

static int cmd_sign(const struct opts *o)
{
    cli_need(o->key, "--key FILE");
    cli_need(o->cert, "--cert FILE");
    cli_need(o->out, "-o FILE");
    cli_check_out(o->out, o->force);
    uint8_t *cap, *key, *cert;
    size_t clen, klen, certlen;
    read_capsule(o->file, &cap, &clen);
    cli_read(o->key, 4096, &key, &klen);
    cli_read(o->cert, 16384, &cert, &certlen);
    struct capsule_certrec rec;
    struct capsule_cert c;
    struct mkey_params kp;
    uint8_t pk[32], sk[64];
    char pass[1024];
    if (cert_decode(cert, certlen, &rec, &c) < 0 || mkey_info(key, klen, &kp, pk) < 0 ||
        mkey_strong_enough(&kp) < 0 || vc_sign_check(cap, clen, pk, &c) < 0)
        cli_fail();
    if (host_passphrase(o->pass_file, "--passphrase-file", "Machine key passphrase: ", 0, pass,
                        sizeof pass) < 0 ||
        mkey_unseal(key, klen, pass, pk, sk) < 0)
        cli_fail();
    host_wipe(pass, sizeof pass);
    struct vbuf out = {0};
    if (vc_sign(cap, clen, pk, sk, cert, certlen, &out) < 0)
        cli_fail();
    host_wipe(sk, sizeof sk);
    if (host_write_file(o->out, out.p, out.len, 0644) < 0)
        cli_fail();
    uint8_t vcid[32];
    char hex[65];
    capsule_vcid(&host_crypto, out.p, out.len, vcid);
    host_hex(hex, vcid, 32);
    printf("signed %s vcid %s\n", o->out, hex);
    vbuf_free(&out);
    free(cap);
    free(key);
    free(cert);
    return 0;
}

static int cmd_build(const struct opts *o)
{
    cli_need(o->out, "-o FILE");
    cli_check_out(o->out, o->force);
    struct vbuf out = {0};
    if (vc_build_file(o->file, &out) < 0 || host_write_file(o->out, out.p, out.len, 0644) < 0)
        cli_fail();
    uint8_t vcid[32];
    char hex[65];
    capsule_vcid(&host_crypto, out.p, out.len, vcid);
    host_hex(hex, vcid, 32);
    printf("built %s (unsigned) vcid %s\n", o->out, hex);
    vbuf_free(&out);
    return 0;
}

static int cmd_policy(const struct opts *o)
{
    cli_need(o->out, "-o FILE");
    cli_check_out(o->out, o->force);
    uint8_t *pol;
    size_t len;
    if (vc_load_policy(o->file, &pol, &len) < 0 || host_write_file(o->out, pol, len, 0644) < 0)
        cli_fail();
    printf("policy %s: %zu bytes\n", o->out, len);
    free(pol);
    return 0;
}

int main(int argc, char **argv)
{
    cli_start("vcapsule", manual, argc, argv);
    if (argc < 2)
        cli_usage("%s", "missing command (build, sign, inspect, verify or policy)");
    struct opts o;
    const char *cmd = argv[1];
    if (strcmp(cmd, "build") && strcmp(cmd, "sign") && strcmp(cmd, "inspect") &&
        strcmp(cmd, "verify") && strcmp(cmd, "policy"))
        cli_usage("unknown command '%s'", cmd);
    parse(argc, argv, &o);
    if (!strcmp(cmd, "build"))
        return cmd_build(&o);
    if (!strcmp(cmd, "sign"))
        return cmd_sign(&o);
    if (!strcmp(cmd, "inspect"))
        return cmd_inspect(&o);
    if (!strcmp(cmd, "verify"))
        return cmd_verify(&o);
    return cmd_policy(&o);
}
