/*
 * measure_inclusion: the instruction count of verifying one inclusion
 * proof in a log of 10^6 entries, on the host, under callgrind (issue 15's
 * measurement; the guest figure needs the OS side). It builds the tree
 * in memory, proves the entry with the longest path, and verifies it
 * REPEAT times inside tlog_verify_inclusion, which callgrind alone counts:
 *
 *   gcc -O2 -Iinclude -Ilib -Itools/vlog tests/tlog/measure_inclusion.c \
 *       lib/tlog/*.c lib/string/vstring.c tools/vlog/tlog_host.c -lsodium -o /tmp/mi
 *   valgrind --tool=callgrind --toggle-collect=tlog_verify_inclusion /tmp/mi
 *
 * Instructions per verification = the total Ir / REPEAT.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlog/tlog.h"
#include "tlog_host.h"

#define N 1000000u
#define REPEAT 10

static uint8_t (*level[21])[32];
static uint64_t count[21];

static int read_level(void *arg, unsigned h, uint64_t i, uint8_t out[32])
{
    (void)arg;
    if (h > 20 || i >= count[h])
        return -1;
    memcpy(out, level[h][i], 32);
    return 0;
}

int main(void)
{
    const struct tlog_crypto *c = &tlog_host_crypto;
    if (sodium_init() < 0)
        return 1;
    count[0] = N;
    level[0] = malloc(N * 32);
    for (uint32_t i = 0; i < N; i++) {
        char e[128];
        int n = snprintf(e, sizeof e, "vectra-claim/v1\nvcid %064x\n", i);
        tlog_leaf_hash(c, level[0][i], e, (size_t)n);
    }
    for (unsigned h = 0; count[h] >= 2; h++) {
        count[h + 1] = count[h] / 2;
        level[h + 1] = malloc(count[h + 1] * 32);
        for (uint64_t i = 0; i < count[h + 1]; i++)
            tlog_node_hash(c, level[h + 1][i], level[h][2 * i], level[h][2 * i + 1]);
    }
    struct tlog_hashes hr = {read_level, NULL};
    uint8_t root[32], proof[TLOG_MAX_PROOF][32];
    size_t len;
    uint64_t index = 123456; /* below 2^19: a full-length path of 20 hashes */
    if (tlog_tree_hash(c, &hr, N, root) ||
        tlog_prove_inclusion(c, &hr, index, N, proof, TLOG_MAX_PROOF, &len))
        return 1;
    int bad = 0;
    for (int r = 0; r < REPEAT; r++)
        bad |= tlog_verify_inclusion(c, index, N, level[0][index], (const uint8_t(*)[32])proof,
                                     len, root);
    printf("inclusion proof of entry %llu in %u entries: %zu hashes, %s x%d\n",
           (unsigned long long)index, N, len, bad ? "FAILED" : "verified", REPEAT);
    return bad;
}
