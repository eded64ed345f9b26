/*
 * fuzz/sockproto: libFuzzer target for the netstack Task's decoder of
 * everything a client sends it (user/services/netstack/sockproto.c): both channels,
 * every kind, any capability count, any payload.
 *
 * Input: byte 0 bit 0 the channel (Net or Socket), bytes 1-2 the kind
 * (little-endian), byte 3 the capability count claimed, the rest the
 * payload. Checked besides the sanitizers: a refusal names its fault; an
 * accepted request's fields are in their documented ranges; a send's data
 * lies inside the payload.
 *
 * Sources: FUZZ_SRCS_sockproto in user/lib/lwip/rules.mk.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "user/services/netstack/sockproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 || size > 4 + 4096)
        return 0;
    enum sock_chan chan = data[0] & 1 ? SOCK_CHAN_SOCKET : SOCK_CHAN_NET;
    uint16_t kind = (uint16_t)(data[1] | data[2] << 8);
    unsigned ncaps = data[3] & 7;
    /* a private, 8-aligned copy, as the Task decodes */
    size_t len = size - 4;
    uint64_t *buf = malloc(len + 8);
    memcpy(buf, data + 4, len);
    struct sock_req r;
    const char *why = 0;
    enum NetStatus st = sockproto_decode(chan, kind, 7, (const uint8_t *)buf, (uint32_t)len,
                                         ncaps, &r, &why);
    if (!why || !sockproto_status_name(st) || !strcmp(sockproto_status_name(st), "?"))
        abort();
    if (st != NetStatus_ok && !*why)
        abort();
    if (st == NetStatus_ok) {
        if (ncaps || r.id != 7)
            abort();
        switch (r.op) {
        case SOCK_OP_SEND:
            if (r.u.send.len == 0 || r.u.send.data != (const uint8_t *)buf || r.u.send.len != len)
                abort();
            break;
        case SOCK_OP_CONNECT:
            if (!r.u.connect.port || !r.u.connect.addr)
                abort();
            break;
        case SOCK_OP_LISTEN:
            if (!r.u.listen.backlog || r.u.listen.backlog > SOCK_BACKLOG_MAX)
                abort();
            break;
        default:
            break;
        }
    }
    free(buf);
    return 0;
}
