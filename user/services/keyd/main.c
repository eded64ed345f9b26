/*
 * keyd: the key service (schema/keys.capnp, docs/KEYS.md "In the OS").
 *
 * It keeps this Machine's identity in the store as one state volume,
 * "vectra.identity", written in one commit (so setup is all or nothing):
 *
 *   0    8  magic "VIDENT01"
 *   8    4  version = 1
 *   12   4  failures: wrong passphrases since the last good login
 *   16   4  person file length P (49..112)
 *   20   4  certificate length C (16 + 8..ID_CERT_MAX)
 *   24 152  the sealed Machine key, byte for byte vkey's .vmkey
 *   176  P  the Person public file (.vperson)
 *   176+P C the Machine certificate (.vcert)
 *
 * The Person's words and secret key exist only during setup, in this
 * Task's memory, and are wiped before the reply; the words go back to the
 * shell once. The Machine secret key exists only between login and
 * logout, here. The session is the client connection that logged in: only
 * requests on it may sign (never see the key); logout, or that connection
 * closing, wipes the key.
 *
 * Wrong passphrases: the count is written to the store *before* Argon2id
 * runs (a crash or a power cut cannot give a free try; a store that cannot
 * be written refuses the login, IO_WRITE), and after n >= 1 failures the
 * next attempt waits 2^(n-1) s (at most an hour), counted from the last
 * failure in this boot (from boot after a reboot). A good login resets it.
 *
 * Bundle: listen, store (+ .rx), random (+ .rx), rtc (ports 0x70-0x71,
 * the wall clock for certificate validity), memory (Argon2id needs 64 MiB).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date/date.h"
#include "ident.h"
#include "ipc.h"
#include "logc.h"
#include "randomc.h"
#include "rt.h"
#include "schema/keys.capnp.h"
#include "schema/store.capnp.h"

#define VOL_HDR 24u
#define VOL_MAX (VOL_HDR + ID_MKEY_SIZE + ID_PERSON_MAX + ID_CERT_MAX)
#define T_STORE 5000000ull
#define T_RANDOM 20000000ull  /* high may wait for the second source */
#define CERT_DAYS 3650        /* a Machine certificate made at setup: ten years */

static struct ipc_server srv;
static struct ipc_conn store_conn;
static bool store_ok;
static uint8_t out[IPC_PAYLOAD_MAX];        /* replies to our clients */
static uint8_t sreq[IPC_PAYLOAD_MAX];       /* requests to the store */
static struct ipc_msg reply;

/* what the store holds */
static enum Keys_State state = Keys_State_noStore;
static char state_err[32], state_why[96];
static uint8_t vol[VOL_MAX];
static size_t vol_len;
static uint32_t failures;
static uint64_t last_fail_us;
static struct id_cert cert;
static char person_name[65];

/* the session: the one client connection that logged in */
static bool open_;
static uint8_t machine_sk[64];
static struct ipc_conn *session;

static void st32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void set_text(char *dst, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = 0;
}

/* Only libsodium's unused keygen functions refer to it. */
void randombytes_buf(void *buf, size_t n);
void randombytes_buf(void *buf, size_t n)
{
    if (rt_random(RT_RANDOM_STANDARD, buf, n, T_RANDOM))
        rt_die("keyd: no standard randomness: %s", rt_random_why());
}

/* ---- the wall clock (CMOS, as init's rtc.c reads it) ---- */

static uint8_t cmos(v_handle rtc, unsigned reg)
{
    v_io_out(rtc, 0x70, 1, reg);
    return (uint8_t)v_io_in(rtc, 0x71, 1).val;
}

static int64_t wall_now(void)
{
    v_handle rtc = rt_cap("rtc");
    if (!rtc)
        return -1;
    uint8_t t[CMOS_NREGS], u[CMOS_NREGS];
    for (int tries = 0; tries < 8; tries++) {
        for (int w = 0; w < 100000 && (cmos(rtc, CMOS_STATUS_A) & 0x80); w++)
            ;
        for (int i = 0; i < CMOS_NREGS; i++)
            t[i] = cmos(rtc, date_cmos_regs[i]);
        for (int i = 0; i < CMOS_NREGS; i++)
            u[i] = cmos(rtc, date_cmos_regs[i]);
        if (!memcmp(t, u, sizeof t))
            break;
    }
    int64_t now;
    return date_from_cmos(t, cmos(rtc, CMOS_STATUS_B), &now) == DATE_OK ? now : -1;
}

/* ---- the store ---- */

static bool store_call(uint16_t method, struct capnp_builder *b, struct capnp_msg *msg)
{
    if (!store_ok) {
        if (ipc_open("store", &store_conn) != IPC_OK)
            return false;
        store_ok = true;
    }
    size_t len;
    const uint8_t *p = capnp_builder_bytes(b, &len);
    int e = ipc_call(&store_conn, method, p, (uint32_t)len, 0, 0, &reply, T_STORE);
    if (e == IPC_CLOSED) {
        ipc_detach(&store_conn);
        store_ok = false;
    }
    return e == IPC_OK && (reply.hdr.kind & ~IPC_REPLY) == method &&
           !capnp_msg_init_flat(msg, reply.data, reply.hdr.len);
}

/* Parses vol[0..vol_len) into the globals; false (and state broken) if it
 * is not a well-formed identity. */
static bool parse_volume(void)
{
    struct id_kdf k;
    uint8_t pk[32], ppk[32];
    uint32_t pl = vol_len >= VOL_HDR ? ld32(vol + 16) : 0, cl = vol_len >= VOL_HDR ? ld32(vol + 20) : 0;
    enum id_err e = ID_MKEY_FORMAT;
    if (vol_len < VOL_HDR || memcmp(vol, "VIDENT01", 8) || ld32(vol + 8) != 1 ||
        pl > ID_PERSON_MAX || cl > ID_CERT_MAX ||
        vol_len != VOL_HDR + ID_MKEY_SIZE + (size_t)pl + cl) {
        set_text(state_why, sizeof state_why, "the identity volume's framing is malformed");
    } else if ((e = id_mkey_info(vol + VOL_HDR, ID_MKEY_SIZE, &k, pk)) != ID_OK ||
               (e = id_person_decode(vol + VOL_HDR + ID_MKEY_SIZE, pl, person_name, ppk)) !=
                   ID_OK ||
               (e = id_cert_decode(vol + VOL_HDR + ID_MKEY_SIZE + pl, cl, &cert)) != ID_OK) {
        set_text(state_why, sizeof state_why, id_err_msg(e));
    } else if (memcmp(cert.machine_key, pk, 32) || memcmp(cert.person_key, ppk, 32)) {
        e = ID_MKEY_MISMATCH;
        set_text(state_why, sizeof state_why,
                 "the certificate is not for this Machine key and Person");
    } else {
        failures = ld32(vol + 12);
        state = open_ ? Keys_State_open : Keys_State_sealed;
        state_err[0] = state_why[0] = 0;
        return true;
    }
    set_text(state_err, sizeof state_err, vol_len < VOL_HDR ? "FORMAT" : id_err_name(e));
    state = Keys_State_broken;
    return false;
}

/* Reads the identity volume: state fresh, sealed/open, broken or noStore. */
static void load(void)
{
    struct capnp_builder b;
    struct capnp_msg msg;
    capnp_builder_init(&b, sreq, sizeof sreq);
    Store_stateRead_Params_set_name(Store_stateRead_Params_build_root(&b), Keys_identityVolume,
                                    strlen(Keys_identityVolume));
    if (!store_call(Store_method_stateRead, &b, &msg)) {
        state = Keys_State_noStore;
        set_text(state_err, sizeof state_err, "NO_SERVICE");
        set_text(state_why, sizeof state_why, "the store service did not answer");
        return;
    }
    Store_stateRead_Results_R r = Store_stateRead_Results_read_root(&msg);
    enum Store_Status st = Store_stateRead_Results_status(r);
    struct capnp_text err = Store_stateRead_Results_error(r), why = Store_stateRead_Results_why(r);
    struct capnp_data d = Store_stateRead_Results_bytes(r);
    if (capnp_msg_error(&msg)) {
        state = Keys_State_noStore;
        set_text(state_err, sizeof state_err, "PROTOCOL");
        set_text(state_why, sizeof state_why, "the store's reply was malformed");
        return;
    }
    if (st == Store_Status_notFound) {
        state = Keys_State_fresh;
        state_err[0] = state_why[0] = 0;
        return;
    }
    if (st != Store_Status_ok) {
        state = Keys_State_noStore;
        set_text(state_err, sizeof state_err, err.len ? err.str : "STORE");
        set_text(state_why, sizeof state_why, why.len ? why.str : "the store refused the read");
        return;
    }
    if (d.len > sizeof vol) {
        vol_len = 0;
    } else {
        memcpy(vol, d.ptr, d.len);
        vol_len = d.len;
    }
    parse_volume();
}

/* Writes vol (failures patched in) in one commit; on refusal err/why say
 * the store's reason. */
static bool save(char *err, size_t errcap, char *why, size_t whycap)
{
    struct capnp_builder b;
    struct capnp_msg msg;
    st32(vol + 12, failures);
    capnp_builder_init(&b, sreq, sizeof sreq);
    Store_stateWrite_Params_B p = Store_stateWrite_Params_build_root(&b);
    Store_stateWrite_Params_set_name(p, Keys_identityVolume, strlen(Keys_identityVolume));
    Store_stateWrite_Params_set_schema(p, 1);
    Store_stateWrite_Params_set_bytes(p, vol, (uint32_t)vol_len);
    if (!store_call(Store_method_stateWrite, &b, &msg)) {
        set_text(err, errcap, "NO_SERVICE");
        set_text(why, whycap, "the store service did not answer");
        return false;
    }
    Store_stateWrite_Results_R r = Store_stateWrite_Results_read_root(&msg);
    enum Store_Status st = Store_stateWrite_Results_status(r);
    struct capnp_text e = Store_stateWrite_Results_error(r), w = Store_stateWrite_Results_why(r);
    if (capnp_msg_error(&msg) || st != Store_Status_ok) {
        set_text(err, errcap, e.len ? e.str : "STORE");
        set_text(why, whycap, w.len ? w.str : "the store refused the write");
        return false;
    }
    return true;
}

static uint64_t retry_in_us(void)
{
    return id_retry_wait_us(failures, last_fail_us, v_clock().val);
}

/* ---- methods ---- */

static void serve_status(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    if (state != Keys_State_open)
        load();
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Keys_status_Results_B r = Keys_status_Results_build_root(&b);
    Keys_status_Results_set_status(r, Keys_Status_ok);
    Keys_status_Results_set_state(r, state);
    if (state == Keys_State_sealed || state == Keys_State_open) {
        struct id_kdf k;
        uint8_t pk[32];
        char kdf[64];
        id_mkey_info(vol + VOL_HDR, ID_MKEY_SIZE, &k, pk);
        snprintf(kdf, sizeof kdf, "argon2id t=%u m=%u KiB p=%u", k.t, k.m_kib, k.p);
        Keys_status_Results_set_person(r, person_name, strlen(person_name));
        Keys_status_Results_set_machine(r, cert.name, strlen(cert.name));
        Keys_status_Results_set_personKey(r, cert.person_key, 32);
        Keys_status_Results_set_machineKey(r, cert.machine_key, 32);
        Keys_status_Results_set_notBefore(r, cert.not_before);
        Keys_status_Results_set_notAfter(r, cert.not_after);
        Keys_status_Results_set_domains(r, cert.domains);
        Keys_status_Results_set_kdf(r, kdf, strlen(kdf));
        Keys_status_Results_set_failures(r, failures);
        Keys_status_Results_set_retryInUs(r, retry_in_us());
    }
    Keys_status_Results_set_error(r, state_err, strlen(state_err));
    Keys_status_Results_set_why(r, state_why, strlen(state_why));
    ipc_reply_built(c, Keys_method_status, m->hdr.id, &b);
}

#define REFUSE(R, st, e, w)                                                                  \
    do {                                                                                     \
        R##_set_status(r, st);                                                               \
        R##_set_error(r, e, strlen(e));                                                      \
        R##_set_why(r, w, strlen(w));                                                        \
    } while (0)

static bool copy_text(char *dst, size_t cap, struct capnp_text t)
{
    if (t.len >= cap || memchr(t.str, 0, t.len))
        return false;
    memcpy(dst, t.str, t.len);
    dst[t.len] = 0;
    return true;
}

static void serve_setup(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    static char words[ID_WORDS_MAX + 1024], norm[ID_WORDS_MAX], pass[1024];
    char pname[65], mname[65], err[32], why[96];
    uint8_t ent[32], ppk[32], psk[64], mseed[32], salt[16], nonce[24];
    Keys_setup_Params_R p = Keys_setup_Params_read_root(msg);
    struct capnp_text tp = Keys_setup_Params_person(p), tm = Keys_setup_Params_machine(p),
                      tpass = Keys_setup_Params_passphrase(p), tw = Keys_setup_Params_words(p);
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Keys_setup_Results_B r = Keys_setup_Results_build_root(&b);
    enum id_err e = ID_OK;
    bool restore = tw.len > 0;
    load();
    if (capnp_msg_error(msg) || !copy_text(pname, sizeof pname, tp) ||
        !copy_text(mname, sizeof mname, tm) || !copy_text(pass, sizeof pass, tpass) ||
        !copy_text(words, sizeof words, tw)) {
        REFUSE(Keys_setup_Results, Keys_Status_badRequest, "REQUEST", "a field is too long");
        goto done;
    }
    if (state != Keys_State_fresh) {
        if (state == Keys_State_noStore)
            REFUSE(Keys_setup_Results, Keys_Status_storeError, state_err, state_why);
        else
            REFUSE(Keys_setup_Results, Keys_Status_exists, "EXISTS",
                   "this store holds an identity already");
        goto done;
    }
    if ((e = id_pass_check(pass, tpass.len)) != ID_OK) {
        REFUSE(Keys_setup_Results, Keys_Status_badRequest, id_err_name(e), id_err_msg(e));
        goto done;
    }
    if (restore) {
        e = id_words_decode(words, ent, norm);
    } else {
        int re = rt_random(RT_RANDOM_HIGH, ent, sizeof ent, T_RANDOM);
        if (re) {
            REFUSE(Keys_setup_Results, Keys_Status_noRandomness, rt_random_strerror(re),
                   rt_random_why());
            goto done;
        }
        if ((e = id_words_encode(ent, words, sizeof words)) == ID_OK)
            e = id_words_decode(words, ent, norm);
    }
    if (e != ID_OK) {
        REFUSE(Keys_setup_Results, Keys_Status_badRequest, id_err_name(e), id_err_msg(e));
        goto done;
    }
    id_person_key(norm, ppk, psk);
    int re = rt_random(RT_RANDOM_HIGH, mseed, sizeof mseed, T_RANDOM);
    if (!re)
        re = rt_random(RT_RANDOM_STANDARD, salt, sizeof salt, T_RANDOM);
    if (!re)
        re = rt_random(RT_RANDOM_STANDARD, nonce, sizeof nonce, T_RANDOM);
    if (re) {
        REFUSE(Keys_setup_Results, Keys_Status_noRandomness, rt_random_strerror(re),
               rt_random_why());
        goto done;
    }
    struct id_kdf k = {ID_MKEY_T, ID_MKEY_M_KIB, ID_MKEY_P};
    size_t pl = 0, cl = 0;
    memcpy(vol, "VIDENT01", 8);
    st32(vol + 8, 1);
    if ((e = id_mkey_seal(mseed, pass, tpass.len, &k, salt, nonce, vol + VOL_HDR)) == ID_OK)
        e = id_person_encode(pname, ppk, vol + VOL_HDR + ID_MKEY_SIZE, ID_PERSON_MAX, &pl);
    struct id_cert f = {{0}, {0}, {0}, 0, 0, 0x1f, 0};
    int64_t now = wall_now();
    if (e == ID_OK && now < 0) {
        REFUSE(Keys_setup_Results, Keys_Status_storeError, "CLOCK",
               "no wall clock (the rtc ports) to date the certificate");
        goto done;
    }
    if (e == ID_OK) {
        if (strlen(mname) > 64) {
            e = ID_NAME;
        } else {
            memcpy(f.name, mname, strlen(mname) + 1);
            memcpy(f.machine_key, vol + VOL_HDR + 72, 32);
            memcpy(f.person_key, ppk, 32);
            f.not_before = now - 300;   /* a little slack for another Machine's clock */
            f.not_after = now + (int64_t)CERT_DAYS * 86400;
            f.serial = (uint64_t)now;
            e = id_cert_issue(&f, psk, vol + VOL_HDR + ID_MKEY_SIZE + pl, ID_CERT_MAX, &cl);
        }
    }
    if (e != ID_OK) {
        REFUSE(Keys_setup_Results, e == ID_KDF ? Keys_Status_storeError : Keys_Status_badRequest,
               id_err_name(e), id_err_msg(e));
        goto done;
    }
    st32(vol + 16, (uint32_t)pl);
    st32(vol + 20, (uint32_t)cl);
    vol_len = VOL_HDR + ID_MKEY_SIZE + pl + cl;
    failures = 0;
    if (!save(err, sizeof err, why, sizeof why)) {
        REFUSE(Keys_setup_Results, Keys_Status_storeError, err, why);
        vol_len = 0;
        state = Keys_State_fresh;
        goto done;
    }
    parse_volume();
    Keys_setup_Results_set_status(r, Keys_Status_ok);
    if (!restore)
        Keys_setup_Results_set_words(r, words, strlen(words));
    Keys_setup_Results_set_personKey(r, ppk, 32);
    Keys_setup_Results_set_machineKey(r, f.machine_key, 32);
    rt_log(RT_LOG_INFO, "keyd: setup: Person %s, Machine %s (%s)", pname, mname,
           restore ? "restored from words" : "new Person");
done:
    id_wipe(words, sizeof words);
    id_wipe(norm, sizeof norm);
    id_wipe(pass, sizeof pass);
    id_wipe(ent, sizeof ent);
    id_wipe(psk, sizeof psk);
    id_wipe(mseed, sizeof mseed);
    ipc_reply_built(c, Keys_method_setup, m->hdr.id, &b);
    /* the reply's copy of the words is in `out`, which the next reply overwrites */
    id_wipe(out, sizeof out);
}

/* What the session holds (the policy: keyd's "session.NAME" introduce
 * grants in the signed manifest): for each grant, one connection to its
 * provider, introduced under the session's service name. keyd keeps the
 * originals (request send end, reply receive end); the session gets
 * copies, children of these in the derivation tree, so revoking the
 * originals takes them out of the session's tables whatever it does. */
#define SESSION_GRANTS 2            /* two ends each: IPC_MAX_CAPS per reply */
static struct {
    char name[V_BUNDLE_NAME];
    v_handle end[2];
} grants[SESSION_GRANTS];
static unsigned ngrants;

static void revoke_grants(void)
{
    for (unsigned i = 0; i < ngrants; i++)
        for (int e = 0; e < 2; e++) {
            v_cap_revoke(grants[i].end[e]);     /* the session's copies */
            v_cap_delete(grants[i].end[e]);     /* and the connection */
        }
    ngrants = 0;
}

/* Introduce the session's connections and copy them into caps (2 per
 * grant); their names into the reply. False (nothing kept) if one
 * cannot be made. */
static bool open_grants(const char *peer, Keys_login_Results_B r, v_handle *caps, unsigned *ncaps)
{
    const struct v_bundle *bu = rt_bundle();
    *ncaps = 0;
    for (uint32_t i = 0; bu && i < bu->count; i++) {
        const struct v_bundle_entry *e = &bu->entry[i];
        if (strncmp(e->name, "session.", 8) || e->type != V_TYPE_RING_SEND)
            continue;
        if (ngrants == SESSION_GRANTS ||
            ipc_introduce(rt_memory(), e->handle, peer, grants[ngrants].end) != IPC_OK)
            goto fail;
        snprintf(grants[ngrants].name, sizeof grants[ngrants].name, "%s", e->name + 8);
        ngrants++;
    }
    for (unsigned i = 0; i < ngrants; i++)
        for (int k = 0; k < 2; k++) {
            struct v_ret cp = v_cap_copy(grants[i].end[k], V_SLOT_ANY);
            if (cp.err)
                goto fail;
            caps[(*ncaps)++] = (v_handle)cp.val;
        }
    struct capnp_lbuilder l = Keys_login_Results_init_grants(r, ngrants);
    for (unsigned i = 0; i < ngrants; i++)
        capnp_slot_set_text(capnp_lslot(l, i), grants[i].name, strlen(grants[i].name));
    return true;
fail:
    revoke_grants();    /* the copies made so far go with their originals */
    *ncaps = 0;
    return false;
}

static void end_session(void)
{
    revoke_grants();
    id_wipe(machine_sk, sizeof machine_sk);
    open_ = false;
    session = 0;
    if (state == Keys_State_open)
        state = Keys_State_sealed;
}

static void serve_login(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    static char pass[1024];
    char err[32], why[96];
    v_handle caps[2 * SESSION_GRANTS];
    unsigned ncaps = 0;
    struct capnp_text tpass = Keys_login_Params_passphrase(Keys_login_Params_read_root(msg));
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Keys_login_Results_B r = Keys_login_Results_build_root(&b);
    if (open_) {
        REFUSE(Keys_login_Results, Keys_Status_busy, "SESSION", "a session is open: logout first");
        goto done;
    }
    load();
    if (state == Keys_State_fresh) {
        REFUSE(Keys_login_Results, Keys_Status_fresh, "FRESH", "no identity on this store: setup");
        goto done;
    }
    if (state != Keys_State_sealed) {
        REFUSE(Keys_login_Results,
               state == Keys_State_broken ? Keys_Status_corrupt : Keys_Status_storeError,
               state_err, state_why);
        goto done;
    }
    if (capnp_msg_error(msg) || !copy_text(pass, sizeof pass, tpass)) {
        REFUSE(Keys_login_Results, Keys_Status_badRequest, "REQUEST", "passphrase too long");
        goto done;
    }
    uint64_t wait = retry_in_us();
    if (wait) {
        char w[96];
        snprintf(w, sizeof w, "%u wrong passphrases: try again in %llu s", failures,
                 (unsigned long long)((wait + 999999) / 1000000));
        REFUSE(Keys_login_Results, Keys_Status_rateLimited, "RATE_LIMIT", w);
        Keys_login_Results_set_retryInUs(r, wait);
        goto done;
    }
    /* count the attempt first: a crash during Argon2id is not a free try */
    failures++;
    if (!save(err, sizeof err, why, sizeof why)) {
        failures--;
        char w[96];
        snprintf(w, sizeof w, "cannot record the attempt (%s): %s", err, why);
        REFUSE(Keys_login_Results, Keys_Status_storeError, err, w);
        goto done;
    }
    uint8_t pk[32];
    enum id_err e = id_mkey_unseal(vol + VOL_HDR, ID_MKEY_SIZE, pass, tpass.len, pk, machine_sk);
    if (e != ID_OK) {
        last_fail_us = v_clock().val;
        rt_log(RT_LOG_WARN, "keyd: login refused: %s (%u wrong)", id_err_name(e), failures);
        REFUSE(Keys_login_Results, e == ID_KDF ? Keys_Status_storeError : Keys_Status_wrongPassphrase,
               id_err_name(e), id_err_msg(e));
        Keys_login_Results_set_retryInUs(r, retry_in_us());
        goto done;
    }
    failures = 0;
    save(err, sizeof err, why, sizeof why); /* it was writable a moment ago */
    if (!open_grants(c->peer, r, caps, &ncaps)) {
        id_wipe(machine_sk, sizeof machine_sk);
        REFUSE(Keys_login_Results, Keys_Status_storeError, "GRANT",
               "cannot make the session's connections");
        goto done;
    }
    session = c;
    open_ = true;
    state = Keys_State_open;
    Keys_login_Results_set_status(r, Keys_Status_ok);
    rt_log(RT_LOG_INFO, "keyd: login: Machine %s unsealed, %u grants to %s", cert.name,
           ngrants, c->peer);
done:
    id_wipe(pass, sizeof pass);
    if (ipc_reply_caps(c, Keys_method_login, m->hdr.id, &b, caps, ncaps) && open_ &&
        session == c)
        end_session();  /* the session never got its capabilities */
}

static void serve_logout(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    bool was = open_;
    end_session();
    if (was)
        rt_log(RT_LOG_INFO, "keyd: logout: key wiped, session ended");
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Keys_logout_Results_set_status(Keys_logout_Results_build_root(&b),
                                   was ? Keys_Status_ok : Keys_Status_notLoggedIn);
    ipc_reply_built(c, Keys_method_logout, m->hdr.id, &b);
}

static void serve_sign(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    struct capnp_data d = Keys_sign_Params_data(Keys_sign_Params_read_root(msg));
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Keys_sign_Results_B r = Keys_sign_Results_build_root(&b);
    if (!open_ || c != session) {
        REFUSE(Keys_sign_Results, Keys_Status_notLoggedIn, "NO_SESSION",
               "signing needs the session: the connection that logged in");
    } else if (capnp_msg_error(msg) || d.len > Keys_maxSign) {
        REFUSE(Keys_sign_Results, Keys_Status_badRequest, "REQUEST", "data too long");
    } else {
        uint8_t sig[64];
        id_sign(sig, d.ptr, d.len, machine_sk);
        uint32_t pl = ld32(vol + 16), cl = ld32(vol + 20);
        Keys_sign_Results_set_status(r, Keys_Status_ok);
        Keys_sign_Results_set_signature(r, sig, 64);
        Keys_sign_Results_set_cert(r, vol + VOL_HDR + ID_MKEY_SIZE + pl, cl);
    }
    ipc_reply_built(c, Keys_method_sign, m->hdr.id, &b);
}

static void serve_cert(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    if (state != Keys_State_open)
        load();
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Keys_cert_Results_B r = Keys_cert_Results_build_root(&b);
    if (state == Keys_State_sealed || state == Keys_State_open) {
        uint32_t pl = ld32(vol + 16), cl = ld32(vol + 20);
        Keys_cert_Results_set_status(r, Keys_Status_ok);
        Keys_cert_Results_set_cert(r, vol + VOL_HDR + ID_MKEY_SIZE + pl, cl);
        Keys_cert_Results_set_person(r, vol + VOL_HDR + ID_MKEY_SIZE, pl);
    } else {
        Keys_cert_Results_set_status(r, state == Keys_State_fresh ? Keys_Status_fresh
                                                                 : Keys_Status_corrupt);
    }
    ipc_reply_built(c, Keys_method_cert, m->hdr.id, &b);
}

#define ROW(name) IPC_METHOD(Keys, name)
static const struct ipc_method methods[] = {Keys_METHODS(ROW){0, 0, 0}};

/* The session ends with the connection that logged in. */
static void on_close(struct ipc_server *s, struct ipc_conn *c)
{
    if (open_ && c == session) {
        rt_log(RT_LOG_INFO, "keyd: the session's connection closed: logged out");
        end_session();
    }
}

int main(void)
{
    v_handle listen = rt_cap("listen");
    if (!listen || ipc_server_init(&srv, listen))
        return 2;
    srv.on_close = on_close;
    load();
    static const char *const names[] = {"fresh", "sealed", "open", "broken", "no store"};
    printf("keyd: identity %s%s%s\n", names[state], state_why[0] ? ": " : "", state_why);
    rt_log(RT_LOG_INFO, "keyd started: identity %s", names[state]);
    ipc_serve_methods(&srv, methods, V_TIMEOUT_NEVER);
    return 0;
}
