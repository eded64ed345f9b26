/*
 * bip39.c: BIP-0039 encoding, checksum and seed (see bip39.h).
 * Checksum: the first len/4 bits of SHA-256(entropy), appended to the
 * entropy; every 11 bits, most significant first, index the word list.
 */
#include "bip39.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

#include "host.h"

static int bit(const uint8_t *b, size_t i)
{
    return (b[i / 8] >> (7 - i % 8)) & 1;
}

int bip39_from_entropy(const uint8_t *ent, size_t len, char *out, size_t cap)
{
    if (len < 16 || len > 32 || len % 4)
        return host_err("BIP39 entropy must be 16, 20, 24, 28 or 32 bytes, not %zu", len);
    uint8_t buf[33 + 32];
    memcpy(buf, ent, len);
    uint8_t h[32];
    crypto_hash_sha256(h, ent, len);
    buf[len] = h[0]; /* at most 8 checksum bits are used */
    size_t nwords = (len * 8 + len / 4) / 11, pos = 0;
    for (size_t w = 0; w < nwords; w++) {
        unsigned idx = 0;
        for (size_t k = 0; k < 11; k++)
            idx = idx << 1 | (unsigned)bit(buf, w * 11 + k);
        const char *word = bip39_english[idx];
        size_t wl = strlen(word);
        if (pos + wl + 2 > cap) {
            host_wipe(buf, sizeof buf);
            return host_err("mnemonic buffer too small");
        }
        if (w)
            out[pos++] = ' ';
        memcpy(out + pos, word, wl);
        pos += wl;
    }
    out[pos] = 0;
    host_wipe(buf, sizeof buf);
    return 0;
}

int bip39_word_index(const char *w, size_t len)
{
    int lo = 0, hi = 2047;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const char *m = bip39_english[mid];
        int c = strncmp(w, m, len);
        if (c == 0)
            c = m[len] ? -1 : 0;
        if (c == 0)
            return mid;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}

int bip39_to_entropy(const char *words, uint8_t *ent, size_t *len, char *norm, size_t normcap)
{
    unsigned idx[BIP39_MAX_WORDS];
    size_t n = 0, npos = 0;
    const char *p = words;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        size_t wl = (size_t)(p - start);
        for (size_t i = 0; i < wl; i++)
            if ((unsigned char)start[i] >= 0x80)
                return host_err("mnemonic word %zu is not ASCII", n + 1);
        if (n == BIP39_MAX_WORDS)
            return host_err("too many words: a mnemonic has at most %d", BIP39_MAX_WORDS);
        /* "Abandon" and "ABANDON" are the word abandon: the list is lower
         * case, and the seed is made from the normalised (lower-case) words */
        char low[8];
        for (size_t i = 0; i < wl && i < sizeof low; i++)
            low[i] = start[i] >= 'A' && start[i] <= 'Z' ? (char)(start[i] + 32) : start[i];
        int i = wl <= 8 ? bip39_word_index(low, wl) : -1;
        if (i < 0)
            return host_err("word %zu (\"%.*s\") is not in the BIP39 English list", n + 1,
                            (int)(wl > 16 ? 16 : wl), start);
        idx[n++] = (unsigned)i;
        if (norm) {
            if (npos + wl + 2 > normcap)
                return host_err("mnemonic buffer too small");
            if (npos)
                norm[npos++] = ' ';
            memcpy(norm + npos, low, wl);
            npos += wl;
            norm[npos] = 0;
        }
        host_wipe(low, sizeof low);
    }
    if (n != 12 && n != 15 && n != 18 && n != 21 && n != 24)
        return host_err("a mnemonic has 12, 15, 18, 21 or 24 words, not %zu", n);
    size_t total = n * 11, cs = total / 33, entbits = total - cs;
    uint8_t buf[33] = {0};
    for (size_t w = 0; w < n; w++)
        for (size_t k = 0; k < 11; k++)
            if (idx[w] >> (10 - k) & 1)
                buf[(w * 11 + k) / 8] |= (uint8_t)(0x80 >> ((w * 11 + k) % 8));
    uint8_t h[32];
    crypto_hash_sha256(h, buf, entbits / 8);
    for (size_t k = 0; k < cs; k++)
        if (bit(buf, entbits + k) != bit(h, k)) {
            host_wipe(buf, sizeof buf);
            return host_err("mnemonic checksum does not match (a word is wrong or out of order)");
        }
    memcpy(ent, buf, entbits / 8);
    *len = entbits / 8;
    host_wipe(buf, sizeof buf);
    return 0;
}

int bip39_seed(const char *mnemonic, const char *passphrase, uint8_t seed[64])
{
    char salt[8 + 1024];
    size_t pl = strlen(passphrase);
    if (pl > 1024)
        return host_err("passphrase too long (at most 1024 bytes)");
    for (size_t i = 0; i < pl; i++)
        if ((unsigned char)passphrase[i] >= 0x80)
            return host_err("passphrase must be ASCII (NFKD normalisation is not implemented)");
    memcpy(salt, "mnemonic", 8);
    memcpy(salt + 8, passphrase, pl);
    int ok = PKCS5_PBKDF2_HMAC(mnemonic, (int)strlen(mnemonic), (const unsigned char *)salt,
                               (int)(8 + pl), 2048, EVP_sha512(), 64, seed);
    host_wipe(salt, sizeof salt);
    return ok == 1 ? 0 : host_err("PBKDF2-HMAC-SHA512 failed");
}
