/*
 * chacha20: the ChaCha20 block function and keystream of RFC 8439
 * (96-bit nonce, 32-bit block counter), freestanding.
 *
 * The random pool's generator (lib/random/random.c) is its only user:
 * it needs the keystream, never encryption, so that is all this offers.
 * A keystream of more than 2^32 blocks from one key and nonce would wrap
 * the counter; chacha20_stream refuses (returns false) rather than repeat.
 * Checked against RFC 8439's vectors (sections 2.3.2, 2.4.2, A.1) and
 * differentially against libsodium (tests/host/test_random.c).
 */
#ifndef RANDOM_CHACHA20_H
#define RANDOM_CHACHA20_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHACHA20_KEY 32
#define CHACHA20_NONCE 12
#define CHACHA20_BLOCK 64

/* One 64-byte keystream block. */
void chacha20_block(uint8_t out[CHACHA20_BLOCK], const uint8_t key[CHACHA20_KEY],
                    uint32_t counter, const uint8_t nonce[CHACHA20_NONCE]);
/* n keystream bytes from block `counter` on; false (nothing written) if
 * they would need the counter to wrap. */
bool chacha20_stream(uint8_t *out, size_t n, const uint8_t key[CHACHA20_KEY], uint32_t counter,
                     const uint8_t nonce[CHACHA20_NONCE]);

#endif
