/*
 * netstack: the network service, lwIP 2.1.3 behind one Foreign Service
 * Task (docs/NETWORK.md). Its only authority: the accept Ring(s) in its
 * Bundle ("listen", "listen.*"), the Rings of the sockets it makes, its
 * own Reticle, and the log. A CVE in lwIP is this Task's problem: it can
 * reach nothing its clients did not connect it to.
 *
 * One event loop (NO_SYS=1). Control connections (schema/socket.capnp,
 * Net) are served by the runtime's ipc_server; every socket is a Ring
 * pair of its own whose doorbell bit is one of the server's extra bits,
 * as is the bit of lwIP's timer. After anything happens - a request, a
 * doorbell, the timer - pump() runs lwIP to rest: loopback frames
 * delivered, every socket's Rings moved as far as they can go, the timer
 * armed for lwIP's next deadline.
 *
 * Invariants:
 *   - Nothing a client writes is acted on before sockproto_decode has
 *     accepted it; a refused request gets a reply with a named status
 *     (and a log line), never a fault of the stack.
 *   - The stack never waits for a client: a message goes out only into a
 *     slot known to be free, and a send frame is taken off its Ring only
 *     when TCP has room for all of it (so a slow client slows its peer
 *     through TCP's window, and cannot stall anyone else).
 *   - A socket whose client deleted its ends is aborted and its slot,
 *     pcb, pbufs, Rings and doorbell bit all freed in sock_free().
 */
#include <string.h>

#include "ipc.h"
#include "logc.h"
#include "rt.h"

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "netstack.h"

#define TIMER_BIT RT_SIG_TIMER

struct ipc_server srv;

/* Deliver loopback frames until none are left: each delivery may queue
 * more (a SYN's SYN-ACK, data's ACK). */
static void run_loopback(void)
{
    for (int i = 0; i < 256; i++) {
        bool queued = false;
        struct netif *n;
        NETIF_FOREACH(n)
            if (n->loop_first)
                queued = true;
        if (!queued)
            return;
        netif_poll_all();
    }
}

void pump(void)
{
    for (int round = 0; round < 64; round++) {
        bool moved = nic_poll();
        run_loopback();
        moved |= socks_service();
        nic_flush();
        if (!moved)
            break;
    }
    sys_check_timeouts();
    run_loopback();
    socks_service();
    nic_flush();
    uint32_t ms = sys_timeouts_sleeptime();
    v_timer_set(TIMER_BIT, ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? 0 : (uint64_t)(ms ? ms : 1) * 1000);
}

static void on_bits(struct ipc_server *s, uint64_t bits)
{
    (void)s;
    (void)bits;     /* every socket is looked at: their count is small */
    pump();
}

static void on_close(struct ipc_server *s, struct ipc_conn *c)
{
    (void)s;
    socks_orphan(c);
}

static void handle(struct ipc_server *s, struct ipc_conn *c, struct ipc_msg *m)
{
    (void)s;
    net_request(c, m);
    pump();
}

int main(void)
{
    v_handle listen = rt_cap("listen");
    if (!listen || ipc_server_init(&srv, listen))
        return 2;
    lwip_init();
    srv.handle = handle;
    srv.on_bits = on_bits;
    srv.on_close = on_close;
    srv.extra_bits = 1ull << TIMER_BIT;
    rt_log(RT_LOG_INFO, "network stack started: lwIP %s, loopback 127.0.0.1", LWIP_VERSION_STRING);
    nic_start();
    pump();
    ipc_serve(&srv, V_TIMEOUT_NEVER);
    return 0;
}
