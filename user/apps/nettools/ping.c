/*
 * ping: `ping HOST [COUNT]` - ICMP echo through the network service
 * (an icmp socket, schema/socket.capnp). HOST is a dotted IPv4 address
 * (no resolver: no test may ask the host's). COUNT 1..20, default 3,
 * one a second at most; each reply is checked (sequence, data).
 * Exit 0 if any reply came, 1 if none, 2 on a usage or service error.
 */
#include <stdio.h>
#include <string.h>

#include "nsock.h"
#include "rt.h"
#include "nettools.h"
#include "tool.h"

#define DATA 56

int tool_ping(void)
{
    static char line[128];
    char *argv[4];
    int argc = tool_args(line, sizeof line, argv, 4);
    uint32_t host;
    uint32_t count = 3;
    if (argc < 1 || argc > 2 || tool_ipv4(argv[0], &host) ||
        (argc == 2 && tool_u32(argv[1], 1, 20, &count))) {
        printf("usage: ping A.B.C.D [COUNT 1..20]\n");
        return 2;
    }
    static struct net n;
    static struct nsock s;
    int e = net_open(&n, "net");
    e = e ? e : nsock_open(&n, Net_Type_icmp, &s);
    e = e ? e : nsock_connect(&s, host, 1);
    for (int i = 0; i < 100 && e == NSOCK_INPROGRESS; i++) {
        e = nsock_done(&s);
        if (e == NSOCK_INPROGRESS)
            tool_wait(nsock_bits(&s), 20000);
    }
    if (e) {
        printf("ping: %s\n", nsock_strerror(e));
        return 2;
    }
    unsigned got = 0;
    uint64_t best = ~0ull, worst = 0;
    for (unsigned seq = 1; seq <= count; seq++) {
        uint8_t req[2 + DATA], rep[2 + DATA + 8];
        req[0] = (uint8_t)seq;
        req[1] = (uint8_t)(seq >> 8);
        for (int i = 0; i < DATA; i++)
            req[2 + i] = (uint8_t)(seq * 7 + i);
        uint64_t t0 = v_clock().val;
        if ((e = nsock_send(&s, req, sizeof req)) < 0) {
            printf("ping: %s\n", nsock_strerror(e));
            return 2;
        }
        bool ok = false;
        while (!ok && v_clock().val - t0 < 1000000) {
            e = nsock_recv(&s, rep, sizeof rep);
            if (e == NSOCK_AGAIN) {
                tool_wait(nsock_bits(&s), 1000000 - (v_clock().val - t0));
                continue;
            }
            if (e < 0) {
                printf("ping: %s\n", nsock_strerror(e));
                return 2;
            }
            ok = e == (int)sizeof req && !memcmp(rep, req, sizeof req);
        }
        uint64_t us = v_clock().val - t0;
        if (ok) {
            got++;
            best = us < best ? us : best;
            worst = us > worst ? us : worst;
            printf("ping: %u bytes from %u.%u.%u.%u: seq=%u time=%llu.%03llu ms\n", DATA + 8, host >> 24,
                   host >> 16 & 255, host >> 8 & 255, host & 255, seq, (unsigned long long)(us / 1000),
                   (unsigned long long)(us % 1000));
        } else
            printf("ping: seq=%u: no reply within 1 s\n", seq);
        while (seq < count && v_clock().val - t0 < 200000)
            tool_wait(nsock_bits(&s), 200000 - (v_clock().val - t0));
    }
    printf("ping: %u sent, %u received\n", count, got);
    nsock_close(&s);
    return got ? 0 : 1;
}
