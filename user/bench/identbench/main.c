/*
 * identbench: the identity figures of `make bench` (issue 17), as the
 * root Task of build/images/identbench.img under icount, where the TSC
 * counts guest instructions (the code here never halts, so every cycle
 * counted is an instruction run).
 *
 *   random_standard_per_kib  1 KiB at level standard from the pool
 *                            (lib/random: ChaCha20 with fast key erasure,
 *                            what randomd runs for each request; the IPC
 *                            to randomd is not included)
 *   login_argon2id_unseal    keyd's login: id_mkey_unseal of a sealed
 *                            Machine key at keyd's parameters, Argon2id
 *                            t=3 m=64 MiB p=4 (lanes one after another),
 *                            then XChaCha20-Poly1305 and the public-key
 *                            check (user/lib/ident, libsodium-keys.a)
 *
 * Prints `bench NAME unit=insn median=.. p99=.. min=.. n=..` and then
 * "identbench: done".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "random/random.h"
#include "rt.h"

static uint64_t insns(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t)hi << 32 | lo;
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void figure(const char *name, uint64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, by_value);
    size_t p99 = (n * 99 + 99) / 100 - 1;
    printf("bench %s unit=insn median=%llu p99=%llu min=%llu n=%zu\n", name,
           (unsigned long long)v[n / 2], (unsigned long long)v[p99],
           (unsigned long long)v[0], n);
}

/* libsodium-keys.a refers to it from keygen code the bench never runs. */
void randombytes_buf(void *buf, size_t n);
void randombytes_buf(void *buf, size_t n)
{
    (void)buf;
    (void)n;
    rt_die("identbench: randombytes_buf is not for the bench");
}

#define RANDOM_SAMPLES 64
#define LOGIN_SAMPLES 3

static void bench_random(void)
{
    static struct rnd_pool pool;
    static uint8_t out[1024];
    uint64_t t0 = insns();
    rnd_init(&pool, &t0, sizeof t0);
    /* two sources, each credited its cap: the pool is seeded (the bench
     * measures generation, not the sources) */
    uint8_t sample[64];
    for (int s = 0; s < 2; s++) {
        int id = rnd_add_source(&pool, s ? "bench-b" : "bench-a", 256);
        for (int k = 0; k < 4; k++) {
            for (unsigned i = 0; i < sizeof sample; i++)
                sample[i] = (uint8_t)(insns() >> (i % 8) ^ (unsigned)(s * 64 + k * 8 + i));
            rnd_push(&pool, id, sample, sizeof sample, 256, 0);
        }
    }
    uint64_t v[RANDOM_SAMPLES];
    for (int i = 0; i < RANDOM_SAMPLES; i++) {
        uint64_t a = insns();
        int e = rnd_read(&pool, RND_STANDARD, out, sizeof out);
        v[i] = insns() - a;
        if (e)
            rt_die("identbench: standard read refused: %s", rnd_errname(e));
    }
    figure("random_standard_per_kib", v, RANDOM_SAMPLES);
}

static void bench_login(void)
{
    static const struct id_kdf k = {3, 64 * 1024, 4};   /* keyd's seal */
    uint8_t seed[32], salt[16], nonce[24], file[ID_MKEY_SIZE], pk[32], sk[64];
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(i * 7 + 1);
    memset(salt, 0x5a, sizeof salt);
    memset(nonce, 0xa5, sizeof nonce);
    const char *pass = "correct horse battery";
    enum id_err e = id_mkey_seal(seed, pass, strlen(pass), &k, salt, nonce, file);
    if (e != ID_OK)
        rt_die("identbench: seal: %s", id_err_name(e));
    uint64_t v[LOGIN_SAMPLES];
    for (int i = 0; i < LOGIN_SAMPLES; i++) {
        uint64_t a = insns();
        e = id_mkey_unseal(file, sizeof file, pass, strlen(pass), pk, sk);
        v[i] = insns() - a;
        if (e != ID_OK)
            rt_die("identbench: unseal: %s", id_err_name(e));
    }
    id_wipe(sk, sizeof sk);
    figure("login_argon2id_unseal", v, LOGIN_SAMPLES);
}

int main(void)
{
    bench_random();
    bench_login();
    printf("identbench: done\n");
    return 0;
}
