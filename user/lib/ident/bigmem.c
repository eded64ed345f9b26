/*
 * bigmem.c: libsodium-keys.a's big allocation (its malloc for Argon2id's
 * memory) in the OS, for every Task that runs Argon2id (keyd, identbench).
 * A Reticle does not take back what a deleted frame used, so Argon2id's
 * 64 MiB is retyped once from the Task's memory, kept mapped, and zeroed
 * when Argon2 frees it; the next run reuses it.
 */
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "logc.h"
#include "rt.h"

#define BIG_MIN (1u << 20)
#define BIG_FRAMES 8
static struct {
    uint64_t va, bytes;
    bool busy;
} big;

void *sodium_big_malloc(size_t n);
void sodium_big_free(void *p);

void *sodium_big_malloc(size_t n)
{
    if (n < BIG_MIN)
        return malloc(n);
    uint64_t pages = (n + 4095) / 4096;
    if (big.busy || (big.va && big.bytes < pages * 4096) ||
        pages > (uint64_t)BIG_FRAMES * V_FRAME_MAX_PAGES)
        return 0;
    if (!big.va) {
        uint64_t va = rt_va_alloc(pages * 4096);
        for (uint64_t done = 0; done < pages;) {
            uint64_t k = pages - done > V_FRAME_MAX_PAGES ? V_FRAME_MAX_PAGES : pages - done;
            struct v_ret r = v_retype(rt_memory(), V_TYPE_FRAME, k, V_SLOT_ANY);
            if (r.err || v_as_map(rt_aspace(), (v_handle)r.val, va + done * 4096,
                                  V_R_READ | V_R_WRITE).err) {
                rt_log(RT_LOG_ERROR, "no memory for Argon2id (%llu pages): %s",
                       (unsigned long long)pages, rt_errname(r.err));
                return 0;   /* what was mapped stays: the Task's memory is gone anyway */
            }
            done += k;
        }
        big.va = va;
        big.bytes = pages * 4096;
    }
    big.busy = true;
    return (void *)big.va;
}

void sodium_big_free(void *p)
{
    if (big.va && (uint64_t)p == big.va) {
        memset(p, 0, big.bytes); /* it held key material */
        big.busy = false;
        return;
    }
    free(p);
}

