/*
 * listen: `listen PORT [COUNT]` - a tiny TCP echo server through the
 * network service: accepts COUNT connections (1..8, default 1), one
 * after another, echoes every byte back until the peer closes, says how
 * many it echoed, and exits 0. A connection that fails is reported by its
 * named error and counted as served. At most 60 s idle in all.
 */
#include <stdio.h>
#include <string.h>

#include "nsock.h"
#include "rt.h"
#include "nettools.h"
#include "tool.h"

int tool_listen(void)
{
    static char line[128];
    char *argv[4];
    uint32_t port, count = 1;
    int argc = tool_args(line, sizeof line, argv, 4);
    if (argc < 1 || argc > 2 || tool_u32(argv[0], 1, 65535, &port) ||
        (argc == 2 && tool_u32(argv[1], 1, 8, &count))) {
        printf("usage: listen PORT [COUNT 1..8]\n");
        return 2;
    }
    static struct net n;
    static struct nsock l, c;
    int e = net_open(&n, "net");
    e = e ? e : nsock_open(&n, Net_Type_tcp, &l);
    e = e ? e : nsock_listen(&l, (uint16_t)port, 4);
    for (int i = 0; i < 100 && e == NSOCK_INPROGRESS; i++)
        if ((e = nsock_done(&l)) == NSOCK_INPROGRESS)
            tool_wait(nsock_bits(&l), 20000);
    if (e) {
        printf("listen: port %u: %s\n", port, nsock_strerror(e));
        return 2;
    }
    printf("listen: echo server on port %u\n", port);
    static uint8_t buf[4096];
    for (uint32_t served = 0; served < count;) {
        uint64_t idle = v_clock().val;
        while ((e = nsock_accept(&l, &c)) == NSOCK_AGAIN && v_clock().val - idle < 60000000)
            tool_wait(nsock_bits(&l), 1000000);
        if (e) {
            printf("listen: accept: %s\n", nsock_strerror(e));
            return 2;
        }
        printf("listen: connection %u accepted\n", served + 1);
        uint64_t echoed = 0;
        uint32_t pend = 0, off = 0;
        idle = v_clock().val;
        for (;;) {
            bool moved = false;
            if (!pend && (e = nsock_recv(&c, buf, sizeof buf)) > 0)
                pend = (uint32_t)e, off = 0, moved = true;
            else if (!pend && e != NSOCK_AGAIN)
                break;
            if (pend && (e = nsock_send(&c, buf + off, pend)) > 0)
                off += (uint32_t)e, pend -= (uint32_t)e, echoed += (uint64_t)e, moved = true;
            else if (pend && e != NSOCK_AGAIN)
                break;
            if (moved)
                idle = v_clock().val;
            else if (v_clock().val - idle > 60000000) {
                e = NSOCK_STATUS(NetStatus_timedOut);
                break;
            } else
                tool_wait(nsock_bits(&c), 1000000);
        }
        printf("listen: connection %u: echoed %llu bytes, %s\n", served + 1, (unsigned long long)echoed,
               e == 0 ? "closed by the peer" : nsock_strerror(e));
        nsock_close(&c);
        served++;
    }
    nsock_close(&l);
    return 0;
}
