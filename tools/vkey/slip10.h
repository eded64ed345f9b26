/*
 * slip10: SLIP-0010 key derivation for Ed25519 (hardened children only,
 * as the standard allows for this curve).
 *
 * A Person's signing key is the SLIP-0010 Ed25519 key at
 *     m / 1447379796' / 0' / 0'
 * from the BIP-0039 seed: purpose 1447379796 is ASCII "VECT" (0x56454354),
 * then account 0', then key 0'. docs/KEYS.md says why.
 */
#ifndef VECTRA_SLIP10_H
#define VECTRA_SLIP10_H

#include <stddef.h>
#include <stdint.h>

#define SLIP10_HARDENED 0x80000000u
#define VECTRA_PURPOSE 1447379796u /* "VECT" */

struct slip10_node {
    uint8_t key[32];   /* Ed25519 secret seed */
    uint8_t chain[32];
};

void slip10_master(const uint8_t *seed, size_t len, struct slip10_node *out);
/* Only hardened indices (>= 2^31); returns -1 for a normal index. */
int slip10_child(const struct slip10_node *parent, uint32_t index, struct slip10_node *out);
/* Parses "m/0'/1H/..." (every element hardened) and derives. */
int slip10_derive_path(const uint8_t *seed, size_t len, const char *path, struct slip10_node *out);
/* The Ed25519 public key (32 bytes; SLIP-0010 prints it with a 00 prefix). */
void slip10_public(const struct slip10_node *n, uint8_t pk[32]);

/* Person key from a BIP-0039 seed: keypair at the Vectra path. */
void vectra_person_keypair(const uint8_t seed[64], uint8_t pk[32], uint8_t sk[64]);

#endif
