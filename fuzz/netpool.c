/*
 * fuzz/netpool: the pool ledger (lib/virtio/netpool) of the virtio-net
 * driver and the network stack, with the fuzzer as a hostile peer. The
 * input is a program of opcodes: batches of buffer numbers (u16 and u32
 * entries, any bytes) handed to either side as the driver and the stack
 * take them, interleaved with the honest moves (the device completing a
 * buffer, a side handing one back).
 *
 * Besides ASan/UBSan, the target checks the ledger's promises against a
 * model and traps if one breaks: a take succeeds only for a number in its
 * half, owned by the sender, with a length in range, and then moves that
 * buffer alone; a refusal changes nothing and counts one; the owners
 * always add up to the pool's size.
 *
 * Sources: lib/virtio/netpool.c (FUZZ_SRCS_netpool in lib/virtio/rules.mk).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "virtio/netpool.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static void take_checked(struct netpool *p, bool rx, unsigned b, uint8_t from, uint8_t to, int32_t len,
                         uint32_t lo, uint32_t hi)
{
    struct netpool before = *p;
    enum netpool_err e = netpool_take(p, rx, b, from, to, len, lo, hi);
    bool in_half = rx ? b < p->nrx : b >= p->nrx && b < (unsigned)p->nrx + p->ntx;
    bool ok = in_half && before.own[b] == from && (len < 0 || ((uint32_t)len >= lo && (uint32_t)len <= hi));
    CHECK((e == NETPOOL_OK) == ok);
    CHECK(netpool_err_name(e)[0] != '?');
    for (unsigned i = 0; i < NETPOOL_MAX; i++)
        CHECK(p->own[i] == (ok && i == b ? to : before.own[i]));
    CHECK(p->bad == before.bad + !ok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 2)
        return 0;
    struct netpool drv, stk;
    unsigned nrx = 1 + data[0] % 64, ntx = 1 + data[1] % 64;
    CHECK(netpool_init(&drv, nrx, ntx, 0) == 0 && netpool_init(&stk, nrx, ntx, 0) == 0);
    CHECK(netpool_init(&drv, 0, 1, 0) == -1 && netpool_init(&drv, 200, 57, 0) == -1);
    CHECK(netpool_init(&drv, nrx, ntx, 0) == 0);
    data += 2, n -= 2;
    while (n >= 1) {
        uint8_t op = data[0];
        data++, n--;
        uint32_t len = n < 64 ? (uint32_t)n : 64;
        switch (op % 6) {
        case 0:   /* the stack's kindRxFree batch at the driver */
            for (uint32_t i = 0; i < netpool_n16(len); i++)
                take_checked(&drv, true, netpool_get16(data, i), 0, 1, -1, 0, 0);
            break;
        case 1: { /* the stack's kindTx batch at the driver */
            for (uint32_t i = 0; i < netpool_n32(len); i++) {
                unsigned b;
                uint32_t l;
                netpool_get32(data, i, &b, &l);
                CHECK(b <= 0xffff && l <= 0xffff);
                take_checked(&drv, false, b, 0, 1, (int32_t)l, 26, 1526);
            }
            break;
        }
        case 2: { /* the driver's kindRx batch at the stack */
            for (uint32_t i = 0; i < netpool_n32(len); i++) {
                unsigned b;
                uint32_t l;
                netpool_get32(data, i, &b, &l);
                take_checked(&stk, true, b, 1, 0, (int32_t)l, 26, 2048);
            }
            break;
        }
        case 3:   /* the driver's kindTxDone batch at the stack */
            for (uint32_t i = 0; i < netpool_n16(len); i++)
                take_checked(&stk, false, netpool_get16(data, i), 1, 0, -1, 0, 0);
            break;
        case 4:   /* honest moves: the device completes, a side hands back */
            if (len) {
                unsigned b = data[0] % (nrx + ntx);
                take_checked(&drv, b < nrx, b, 1, 2, -1, 0, 0);
                take_checked(&drv, b < nrx, b, 2, 0, -1, 0, 0);
                take_checked(&stk, b < nrx, b, 0, 1, -1, 0, 0);
            }
            break;
        default:  /* a length at the edges */
            if (len >= 2) {
                unsigned b = data[0] % (nrx + ntx + 2);
                take_checked(&drv, false, b, 0, 1, data[1] & 1 ? 25 : 1527, 26, 1526);
            }
            break;
        }
        CHECK(netpool_count(&drv, 0) + netpool_count(&drv, 1) + netpool_count(&drv, 2) == nrx + ntx);
        CHECK(netpool_count(&stk, 0) + netpool_count(&stk, 1) == nrx + ntx);
        data += len, n -= len;
    }
    return 0;
}
