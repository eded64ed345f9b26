/*
 * bip39: mnemonic words for a Person's entropy (BIP-0039, English list).
 *
 * The word list is not in the tree: scripts/fetch-deps takes it from the
 * Debian package python3-mnemonic, checks its sha256, and the build turns
 * it into build/gen/bip39_english.c (tools/vkey/rules.mk).
 *
 * Passphrases and mnemonics must be ASCII: BIP-0039 normalises both with
 * Unicode NFKD, which is the identity on ASCII; we refuse what we cannot
 * normalise rather than derive a key other wallets would not.
 */
#ifndef VECTRA_BIP39_H
#define VECTRA_BIP39_H

#include <stddef.h>
#include <stdint.h>

#define BIP39_MAX_WORDS 24
#define BIP39_MAX_MNEMONIC (BIP39_MAX_WORDS * 9) /* words are <= 8 letters */

extern const char *const bip39_english[2048];

/* Entropy of 16, 20, 24, 28 or 32 bytes -> space-separated words. */
int bip39_from_entropy(const uint8_t *ent, size_t len, char *out, size_t cap);
/* Words (any run of spaces/tabs/newlines between them, lower case) ->
 * entropy; checks the word count, every word and the checksum. Writes the
 * normalised mnemonic (lower case, single spaces) to norm if non-NULL. */
int bip39_to_entropy(const char *words, uint8_t *ent, size_t *len, char *norm, size_t normcap);
/* PBKDF2-HMAC-SHA512(mnemonic, "mnemonic" || passphrase, 2048) -> 64 bytes. */
int bip39_seed(const char *mnemonic, const char *passphrase, uint8_t seed[64]);
int bip39_word_index(const char *w, size_t len);

#endif
