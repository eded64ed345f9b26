/*
 * fuzz/virtq_device: lib/virtio's split virtqueue with the fuzzer as the
 * device. The input is a program of one-byte opcodes with operands; the
 * "device" may write anything anywhere in the shared region (used ring,
 * indices, event words, even the descriptor table and available ring,
 * which a DMA-capable device can reach), while the "driver" adds chains,
 * kicks, harvests, toggles interrupts and drains.
 *
 * Besides ASan/UBSan, the target checks the library's promises against
 * its own model and traps if one breaks: a harvested token was in flight
 * and is completed once; its length is at most the chain's writable
 * bytes; free descriptors + descriptors in flight == queue size; after a
 * drain every token posted was completed or drained exactly once.
 *
 * Sources: lib/virtio/virtq.c (FUZZ_SRCS_virtq_device in lib/virtio/rules.mk).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "virtio/virtq.h"

#define MAXQ 16
#define MAXTOK 512

struct in {
    const uint8_t *p;
    size_t n;
};

static uint32_t take(struct in *in, unsigned bytes)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v = v << 8 | (in->n ? *in->p : 0);
        if (in->n)
            in->p++, in->n--;
    }
    return v;
}

#define ASSERT(c)                \
    do {                         \
        if (!(c))                \
            __builtin_trap();    \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = {data, size};
    uint16_t qsize = (uint16_t)(1u << (take(&in, 1) % 5));   /* 1..16 */
    bool event_idx = take(&in, 1) & 1;
    static _Alignas(16) uint8_t mem[1024];
    static struct virtq_slot slot[MAXQ];
    struct virtq q;
    struct virtq_layout l;
    if (virtq_layout(qsize, &l) != VIRTQ_OK || virtq_init(&q, qsize, mem, sizeof mem, slot, event_idx) != VIRTQ_OK)
        __builtin_trap();

    /* The model: per token 0 unused, 1 in flight, 2 completed, 3 drained. */
    static uint8_t state[MAXTOK];
    static uint32_t inlen[MAXTOK], ndesc[MAXTOK];
    memset(state, 0, sizeof state);
    uint32_t next = 0, desc_inflight = 0;

    while (in.n) {
        uint8_t op = (uint8_t)take(&in, 1);
        switch (op % 8) {
        case 0: {   /* driver: add a chain */
            unsigned nout = take(&in, 1) % 4, nin = take(&in, 1) % 4;
            struct virtq_seg segs[8];
            uint64_t sum = 0;
            for (unsigned i = 0; i < nout + nin; i++) {
                segs[i].addr = take(&in, 2);
                segs[i].len = take(&in, 1) % 3 == 0 ? take(&in, 4) : take(&in, 1);
                if (i >= nout)
                    sum += segs[i].len;
            }
            if (next == MAXTOK)
                break;
            uint16_t head;
            enum virtq_err e = virtq_add(&q, segs, nout, nin, next, &head);
            if (e == VIRTQ_OK) {
                ASSERT(head < qsize);
                state[next] = 1;
                inlen[next] = (uint32_t)sum;
                ndesc[next] = nout + nin;
                desc_inflight += nout + nin;
                next++;
            }
            break;
        }
        case 1: {   /* driver: harvest everything */
            struct virtq_done d;
            enum virtq_err e;
            while ((e = virtq_get(&q, &d)) == VIRTQ_OK) {
                ASSERT(d.token < next && state[d.token] == 1);
                ASSERT(d.len <= inlen[d.token]);
                state[d.token] = 2;
                desc_inflight -= ndesc[d.token];
            }
            break;
        }
        case 2:
            (void)virtq_kick_needed(&q);
            break;
        case 3:
            if (take(&in, 1) & 1)
                virtq_disable_intr(&q);
            else
                (void)virtq_enable_intr(&q);
            break;
        case 4: {   /* device: publish a used element */
            uint16_t slot_i = (uint16_t)take(&in, 1);
            struct virtq_used_elem *e = &q.used->ring[slot_i % qsize];
            e->id = take(&in, 1) % 3 == 0 ? take(&in, 4) : take(&in, 1) % (qsize + 2);
            e->len = take(&in, 1) % 3 == 0 ? take(&in, 4) : take(&in, 1);
            q.used->idx = (uint16_t)(q.used->idx + take(&in, 1) % 3);
            break;
        }
        case 5:     /* device: set the used index outright */
            q.used->idx = (uint16_t)take(&in, 2);
            break;
        case 6: {   /* device: scribble on any byte of the shared region */
            uint32_t at = take(&in, 2) % l.total;
            mem[at] = (uint8_t)take(&in, 1);
            break;
        }
        default: {  /* device reset, then drain; start over on a fresh queue */
            struct virtq_done d;
            while (virtq_drain(&q, &d) == VIRTQ_OK) {
                ASSERT(d.token < next && state[d.token] == 1);
                state[d.token] = 3;
                desc_inflight -= ndesc[d.token];
            }
            ASSERT(virtq_inflight(&q) == 0 && desc_inflight == 0);
            if (virtq_init(&q, qsize, mem, sizeof mem, slot, event_idx) != VIRTQ_OK)
                __builtin_trap();
            break;
        }
        }
        ASSERT(virtq_free_count(&q) + desc_inflight == qsize);
    }
    struct virtq_done d;
    while (virtq_drain(&q, &d) == VIRTQ_OK) {
        ASSERT(d.token < next && state[d.token] == 1);
        state[d.token] = 3;
    }
    for (uint32_t t = 0; t < next; t++)
        ASSERT(state[t] == 2 || state[t] == 3);
    return 0;
}
