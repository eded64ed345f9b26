/*
 * slip10.c: SLIP-0010 Ed25519 derivation with libsodium's HMAC-SHA512.
 *   master: I = HMAC-SHA512("ed25519 seed", S)
 *   child:  I = HMAC-SHA512(c_par, 0x00 || k_par || ser32(i)), i >= 2^31
 *   key = I[0..32), chain code = I[32..64)
 */
#include "slip10.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

static void split(const uint8_t i[64], struct slip10_node *out)
{
    memcpy(out->key, i, 32);
    memcpy(out->chain, i + 32, 32);
}

void slip10_master(const uint8_t *seed, size_t len, struct slip10_node *out)
{
    static const char curve[] = "ed25519 seed";
    crypto_auth_hmacsha512_state st;
    uint8_t i[64];
    crypto_auth_hmacsha512_init(&st, (const uint8_t *)curve, strlen(curve));
    crypto_auth_hmacsha512_update(&st, seed, len);
    crypto_auth_hmacsha512_final(&st, i);
    split(i, out);
    host_wipe(i, sizeof i);
    host_wipe(&st, sizeof st);
}

int slip10_child(const struct slip10_node *parent, uint32_t index, struct slip10_node *out)
{
    if (!(index & SLIP10_HARDENED))
        return host_err("SLIP-0010 Ed25519 derives hardened children only (index %u)", index);
    uint8_t data[37], i[64];
    data[0] = 0;
    memcpy(data + 1, parent->key, 32);
    data[33] = (uint8_t)(index >> 24);
    data[34] = (uint8_t)(index >> 16);
    data[35] = (uint8_t)(index >> 8);
    data[36] = (uint8_t)index;
    crypto_auth_hmacsha512_state st;
    crypto_auth_hmacsha512_init(&st, parent->chain, 32);
    crypto_auth_hmacsha512_update(&st, data, sizeof data);
    crypto_auth_hmacsha512_final(&st, i);
    split(i, out);
    host_wipe(data, sizeof data);
    host_wipe(i, sizeof i);
    host_wipe(&st, sizeof st);
    return 0;
}

int slip10_derive_path(const uint8_t *seed, size_t len, const char *path, struct slip10_node *out)
{
    if (path[0] != 'm')
        return host_err("derivation path must start with m: %s", path);
    struct slip10_node n;
    slip10_master(seed, len, &n);
    const char *p = path + 1;
    while (*p) {
        if (*p != '/')
            return host_err("bad derivation path: %s", path);
        p++;
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v >= SLIP10_HARDENED || (*end != '\'' && *end != 'H'))
            return host_err("bad derivation path element (Ed25519 needs hardened ones): %s", path);
        p = end + 1;
        if (slip10_child(&n, (uint32_t)v | SLIP10_HARDENED, &n) < 0)
            return -1;
    }
    *out = n;
    host_wipe(&n, sizeof n);
    return 0;
}

void slip10_public(const struct slip10_node *n, uint8_t pk[32])
{
    uint8_t sk[64];
    crypto_sign_seed_keypair(pk, sk, n->key);
    host_wipe(sk, sizeof sk);
}

void vectra_person_keypair(const uint8_t seed[64], uint8_t pk[32], uint8_t sk[64])
{
    struct slip10_node n;
    slip10_master(seed, 64, &n);
    slip10_child(&n, VECTRA_PURPOSE | SLIP10_HARDENED, &n);
    slip10_child(&n, 0 | SLIP10_HARDENED, &n);
    slip10_child(&n, 0 | SLIP10_HARDENED, &n);
    crypto_sign_seed_keypair(pk, sk, n.key);
    host_wipe(&n, sizeof n);
}
