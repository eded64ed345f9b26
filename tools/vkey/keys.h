/*
 * keys: the host-side key files (byte layouts in docs/KEYS.md).
 *
 *   Person public file (.vperson)  name + Ed25519 public key
 *   Machine key file   (.vmkey)    Ed25519 seed sealed with Argon2id +
 *                                  XChaCha20-Poly1305, public key in clear
 *   Machine certificate (.vcert)   CertBody signed by a Person
 *
 * Every reader checks every byte it is given and answers a malformed or
 * altered file with an error message, never a crash.
 */
#ifndef VECTRA_KEYS_H
#define VECTRA_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "capsule/capsule.h"

#define PERSON_MAGIC "VPERSON1"
#define MKEY_MAGIC "VMACHKEY"
#define CERT_MAGIC "VECTCERT"
#define MKEY_FILE_SIZE 152u

/* RFC 9106 section 4, second recommended option (64 MiB of memory). */
#define MKEY_T_COST 3u
#define MKEY_M_COST_KIB 65536u
#define MKEY_PARALLELISM 4u

/* What a key file may ask for. Every reader refuses more than the
 * maximum before deriving anything (a hostile file cannot make a
 * passphrase check take minutes or gigabytes); the tools also refuse less
 * work than the recommended option (memory below 64 MiB, or time x memory
 * below 3 x 64 MiB), because such a file is cheap to attack. */
#define MKEY_T_MAX 8u
#define MKEY_P_MAX 16u
#define MKEY_M_MAX_KIB (1024u * 1024u)            /* 1 GiB */
#define MKEY_M_MIN_KIB MKEY_M_COST_KIB            /* 64 MiB */
#define MKEY_WORK_MIN_KIB (MKEY_T_COST * MKEY_M_COST_KIB)

/* A new Machine key passphrase: 8 to 1023 bytes. */
#define MKEY_PASS_MIN 8u
#define MKEY_PASS_MAX 1023u

struct person_pub {
    char name[65];
    uint8_t key[32];
};

int person_pub_encode(const struct person_pub *p, uint8_t *out, size_t cap, size_t *len);
int person_pub_decode(const uint8_t *buf, size_t len, struct person_pub *out);

struct mkey_params {
    uint32_t t_cost, m_cost_kib, parallelism;
};

/* Seals a fresh or given 32-byte Ed25519 seed. */
int mkey_seal(const uint8_t seed[32], const char *pass, const struct mkey_params *kp,
              uint8_t out[MKEY_FILE_SIZE]);
/* Reads the clear part (no passphrase needed); refuses parameters above
 * the maxima. */
int mkey_info(const uint8_t *buf, size_t len, struct mkey_params *kp, uint8_t pk[32]);
/* Refuses parameters below the minimum work (the tools' rule; the tests
 * seal with small costs for speed). */
int mkey_strong_enough(const struct mkey_params *kp);
/* Opens the seal: returns the 64-byte libsodium secret key. */
int mkey_unseal(const uint8_t *buf, size_t len, const char *pass, uint8_t pk[32], uint8_t sk[64]);

/* The Argon2id step (exposed for the RFC 9106 vector test). */
int host_argon2id(const uint8_t *pwd, size_t pwdlen, const uint8_t *salt, size_t saltlen,
                  const uint8_t *secret, size_t secretlen, const uint8_t *ad, size_t adlen,
                  uint32_t t, uint32_t m_kib, uint32_t p, uint8_t *out, size_t outlen);

struct cert_fields {
    const char *name;
    uint8_t machine_key[32];
    uint8_t person_key[32];
    int64_t not_before, not_after;
    uint8_t domains;
    uint64_t serial;
};

/* Builds the canonical CertBody (via capnp convert), signs it with the
 * Person's secret key and writes a .vcert image (malloc'd). */
int cert_issue(const struct cert_fields *f, const uint8_t person_sk[64], uint8_t **out,
               size_t *len);
/* Checks a .vcert image: framing, canonical body, fields, and the Person's
 * signature over it. rec/cert point into buf. */
int cert_decode(const uint8_t *buf, size_t len, struct capsule_certrec *rec,
                struct capsule_cert *cert);

#endif
