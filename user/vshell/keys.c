/*
 * keys.c: this Machine's identity, through the key service (keyd,
 * schema/keys.capnp, reached as SYS:svc/keys):
 *   setup new PERSON MACHINE       a new Person (24 words shown once) and
 *                                  this Machine's key and certificate
 *   setup restore PERSON MACHINE   the Person from its words (asked without echo)
 *   login / logout                 unseal the Machine key / wipe it
 *   whoami                         who this Machine is, and the session
 *   sign TEXT                      an Ed25519 signature by the Machine key (logged in)
 * Passphrases and words are read without echo and wiped after use. The
 * session is this shell's connection to keyd: after login, keyd signs for
 * requests on it and on no other; logout (or the connection closing, as
 * when this shell exits) wipes the key.
 */
#include <string.h>

#include "conn.h"
#include "console.h"
#include "rt.h"
#include "schema/keys.capnp.h"
#include "vshell.h"

#define T_KEYS 120000000ull   /* Argon2id with 64 MiB under emulation: tens of seconds */

void cmd_setup(int argc, char **argv);
void cmd_login(int argc, char **argv);
void cmd_logout(int argc, char **argv);
void cmd_whoami(int argc, char **argv);
void cmd_sign(int argc, char **argv);

static struct sh_reply rep;
/* the connections the login granted (rt_conn_adopt), by name */
#define SESSION_NAMES 2
static char session_names[SESSION_NAMES][V_BUNDLE_NAME];
static unsigned nsession;
static uint8_t req[IPC_PAYLOAD_MAX];

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

static bool call_on(const char *cmd, struct ipc_conn *c, uint16_t method, struct capnp_builder *b)
{
    size_t len = 0;
    const uint8_t *p = b ? capnp_builder_bytes(b, &len) : 0;
    int e = sh_call_raw(c, method, p, len, &rep.m, T_KEYS);
    if (b)
        wipe(req, sizeof req);   /* it may have held a passphrase */
    if (e || rep.m.hdr.kind != (method | IPC_REPLY) || ipc_request_open(&rep.msg, &rep.m)) {
        printf("%s: %s\n", cmd, e ? ipc_strerror(e) : "keyd refused the request");
        return false;
    }
    return true;
}

static bool call(const char *cmd, uint16_t method, struct capnp_builder *b)
{
    struct ipc_conn *c = sh_conn_any(cmd, "keys");
    return c && call_on(cmd, c, method, b);
}

static const char *status_name(unsigned s)
{
    static const char *const n[] = {"ok",           "no identity yet (setup)", "exists",
                                    "wrong passphrase", "rate limited",       "bad request",
                                    "no randomness", "store error",           "corrupt",
                                    "not logged in", "busy"};
    return s < sizeof n / sizeof n[0] ? n[s] : "?";
}

/* "cmd: status: ERROR (why)" */
static void refusal(const char *cmd, unsigned st, struct capnp_text err, struct capnp_text why)
{
    printf("%s: %s", cmd, status_name(st));
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

static void key_hex(const char *label, struct capnp_data d)
{
    printf("%-12s", label);
    for (uint32_t i = 0; i < d.len && i < 32; i++)
        printf("%02x", d.ptr[i]);
    printf("\n");
}

/* A line without echo; false (and a message) on an empty one. */
static bool ask(const char *cmd, const char *prompt, char *buf, size_t cap)
{
    printf("%s", prompt);
    int n = rt_console_readline_echo(buf, cap, false);
    if (n <= 0) {
        printf("%s: nothing typed: stopped\n", cmd);
        return false;
    }
    return true;
}

void cmd_setup(int argc, char **argv)
{
    static char words[LINE_MAX_SHELL], pass[LINE_MAX_SHELL], again[LINE_MAX_SHELL];
    bool restore = argc == 4 && !strcmp(argv[1], "restore");
    if (argc != 4 || (!restore && strcmp(argv[1], "new"))) {
        printf("usage: setup new|restore <person> <machine>\n");
        return;
    }
    words[0] = 0;
    if (restore && !ask("setup", "the Person's 24 words (not shown): ", words, sizeof words))
        return;
    if (!ask("setup", "passphrase for this Machine's key (not shown): ", pass, sizeof pass) ||
        !ask("setup", "the passphrase again: ", again, sizeof again))
        goto out;
    if (strcmp(pass, again)) {
        printf("setup: the two passphrases differ: nothing was made\n");
        goto out;
    }
    printf("setup: sealing the Machine key (Argon2id, 64 MiB)...\n");
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Keys_setup_Params_B p = Keys_setup_Params_build_root(&b);
    Keys_setup_Params_set_person(p, argv[2], strlen(argv[2]));
    Keys_setup_Params_set_machine(p, argv[3], strlen(argv[3]));
    Keys_setup_Params_set_passphrase(p, pass, strlen(pass));
    Keys_setup_Params_set_words(p, words, strlen(words));
    wipe(words, sizeof words);
    wipe(pass, sizeof pass);
    wipe(again, sizeof again);
    if (!call("setup", Keys_method_setup, &b))
        goto out;
    Keys_setup_Results_R r = Keys_setup_Results_read_root(&rep.msg);
    unsigned st = Keys_setup_Results_status(r);
    struct capnp_text w = Keys_setup_Results_words(r);
    if (st != Keys_Status_ok) {
        refusal("setup", st, Keys_setup_Results_error(r), Keys_setup_Results_why(r));
        goto out;
    }
    if (w.len) {
        printf("The Person's 24 words, shown this once. Write them down and keep them offline:\n"
               "they are the Person; nothing on this Machine keeps them.\n");
        unsigned n = 1;
        printf("  %2u ", n);
        for (uint32_t i = 0; i < w.len; i++) {
            if (w.str[i] == ' ') {
                n++;
                printf(n % 6 == 1 ? "\n  %2u " : "  %2u ", n);
            } else {
                printf("%c", w.str[i] >= 'a' && w.str[i] <= 'z' ? w.str[i] : '?');
            }
        }
        printf("\n");
    }
    key_hex("person key", Keys_setup_Results_personKey(r));
    key_hex("machine key", Keys_setup_Results_machineKey(r));
    printf("setup: done: Person ");
    sh_clean_str(argv[2], strlen(argv[2]), 0);
    printf(", Machine ");
    sh_clean_str(argv[3], strlen(argv[3]), 0);
    printf(" certified; 'login' to use the key\n");
out:
    wipe(words, sizeof words);
    wipe(pass, sizeof pass);
    wipe(again, sizeof again);
    wipe(rep.m.data, sizeof rep.m.data);
}

void cmd_login(int argc, char **argv)
{
    static char pass[LINE_MAX_SHELL];
    if (argc != 1) {
        printf("usage: login\n");
        return;
    }
    if (!ask("login", "passphrase (not shown): ", pass, sizeof pass))
        return;
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Keys_login_Params_set_passphrase(Keys_login_Params_build_root(&b), pass, strlen(pass));
    wipe(pass, sizeof pass);
    if (!call("login", Keys_method_login, &b))
        return;
    Keys_login_Results_R r = Keys_login_Results_read_root(&rep.msg);
    unsigned st = Keys_login_Results_status(r);
    if (st != Keys_Status_ok) {
        refusal("login", st, Keys_login_Results_error(r), Keys_login_Results_why(r));
        return;
    }
    printf("login: ok: the Machine key is unsealed in keyd; this session may sign\n");
    /* what the policy grants the session: two client ends per name */
    struct capnp_list g = Keys_login_Results_grants(r);
    uint32_t n = capnp_list_len(g);
    for (uint32_t i = 0; i < n; i++) {
        struct capnp_text t = capnp_list_text(g, i);
        char name[V_BUNDLE_NAME];
        bool ok = t.str && t.len < sizeof name && 2 * i + 1 < rep.m.ncaps;
        if (ok) {
            memcpy(name, t.str, t.len);
            name[t.len] = 0;
            ok = rt_conn_adopt(name, rep.m.caps[2 * i], rep.m.caps[2 * i + 1]) == IPC_OK;
            rep.m.caps[2 * i] = rep.m.caps[2 * i + 1] = 0;
        }
        printf("login: %s ", ok ? "granted" : "could not take");
        sh_clean(t, 0);
        printf(ok && !strcmp(name, "init") ? " (the full Supervisor)\n" : "\n");
        if (ok && nsession < SESSION_NAMES)
            memcpy(session_names[nsession++], name, sizeof name);
    }
    for (unsigned i = 0; i < rep.m.ncaps; i++)
        if (rep.m.caps[i])
            v_cap_delete(rep.m.caps[i]);
    rep.m.ncaps = 0;
}

void cmd_logout(int argc, char **argv)
{
    if (argc != 1) {
        printf("usage: logout\n");
        return;
    }
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Keys_logout_Params_build_root(&b);
    if (!call("logout", Keys_method_logout, &b))
        return;
    unsigned st = Keys_logout_Results_status(Keys_logout_Results_read_root(&rep.msg));
    printf(st == Keys_Status_ok ? "logout: key wiped, the session may no longer sign\n"
                                : "logout: not logged in\n");
    /* keyd revoked what it granted: the ends are gone from this shell's
     * table (looked up, not assumed), and the Bundle's read-only
     * connections serve again */
    for (unsigned i = 0; i < nsession; i++) {
        bool still = rt_conn_adopted(session_names[i]);
        printf("logout: %s %s\n", session_names[i],
               still ? "still held: keyd did not revoke it (dropped here)" : "revoked by keyd");
        rt_conn_drop(session_names[i]);
    }
    nsession = 0;
}

/* Signing through the session (capsule sign): 0 on success. */
int sh_keys_sign(const void *data, size_t len, uint8_t sig[64], uint8_t *cert, size_t cap,
                 size_t *cert_len);
int sh_keys_sign(const void *data, size_t len, uint8_t sig[64], uint8_t *cert, size_t cap,
                 size_t *cert_len)
{
    struct capnp_builder b;
    capnp_builder_init(&b, req, sizeof req);
    Keys_sign_Params_set_data(Keys_sign_Params_build_root(&b), data, len);
    if (!call("sign", Keys_method_sign, &b))
        return -1;
    Keys_sign_Results_R r = Keys_sign_Results_read_root(&rep.msg);
    unsigned st = Keys_sign_Results_status(r);
    struct capnp_data s = Keys_sign_Results_signature(r), c = Keys_sign_Results_cert(r);
    if (st != Keys_Status_ok || s.len != 64 || c.len > cap) {
        refusal("sign", st, Keys_sign_Results_error(r), Keys_sign_Results_why(r));
        return -1;
    }
    memcpy(sig, s.ptr, 64);
    memcpy(cert, c.ptr, c.len);
    *cert_len = c.len;
    return 0;
}

void cmd_sign(int argc, char **argv)
{
    static uint8_t cert[1024];
    uint8_t sig[64];
    size_t cl;
    if (argc != 2) {
        printf("usage: sign <text>\n");
        return;
    }
    if (sh_keys_sign(argv[1], strlen(argv[1]), sig, cert, sizeof cert, &cl))
        return;
    printf("signature   ");
    for (unsigned i = 0; i < 64; i++)
        printf("%02x", sig[i]);
    printf("\nsign: signed by this Machine's key (certificate of %u bytes)\n", (unsigned)cl);
}

void cmd_whoami(int argc, char **argv)
{
    static const char *const states[] = {"fresh (no identity: run setup)", "sealed (logged out)",
                                         "open (logged in)", "broken", "no store"};
    if (argc != 1) {
        printf("usage: whoami\n");
        return;
    }
    if (!call("whoami", Keys_method_status, 0))
        return;
    Keys_status_Results_R r = Keys_status_Results_read_root(&rep.msg);
    unsigned state = Keys_status_Results_state(r);
    printf("identity    %s\n", state < 5 ? states[state] : "?");
    struct capnp_text err = Keys_status_Results_error(r), why = Keys_status_Results_why(r);
    if (err.len || why.len) {
        printf("reason      ");
        sh_clean(err, 0);
        printf(" (");
        sh_clean(why, 0);
        printf(")\n");
    }
    if (state == Keys_State_sealed || state == Keys_State_open) {
        printf("person      ");
        sh_clean(Keys_status_Results_person(r), 0);
        printf("\nmachine     ");
        sh_clean(Keys_status_Results_machine(r), 0);
        printf("\n");
        key_hex("person key", Keys_status_Results_personKey(r));
        key_hex("machine key", Keys_status_Results_machineKey(r));
        printf("certified   %lld .. %lld (Unix s), domains 0x%02x\n",
               (long long)Keys_status_Results_notBefore(r),
               (long long)Keys_status_Results_notAfter(r), Keys_status_Results_domains(r));
        printf("sealed with ");
        sh_clean(Keys_status_Results_kdf(r), 0);
        printf("\nwrong tries %u", Keys_status_Results_failures(r));
        uint64_t w = Keys_status_Results_retryInUs(r);
        if (w)
            printf(" (next try in %llu s)", (unsigned long long)((w + 999999) / 1000000));
        printf("\n");
    }
    printf("session     %s\n", state == Keys_State_open ? "logged in (may sign)" : "not logged in");
    sh_reply_ok("whoami", &rep);
}
