/*
 * net: the interfaces of the network service (Net.info): en0's MAC,
 * address, how it got it, and the stack's counters of it; lo is always
 * there (127.0.0.1).
 */
#include <stdio.h>

#include "capnp/capnp.h"
#include "nsock.h"
#include "rt.h"
#include "nettools.h"

static void ip(const char *what, uint32_t a)
{
    printf(" %s %u.%u.%u.%u", what, a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
}

int tool_net(void)
{
    static struct net n;
    static struct ipc_msg rep;
    struct capnp_msg m;
    int e = net_open(&n, "net");
    if (e || (e = ipc_call(&n.c, Net_method_info, 0, 0, 0, 0, &rep, 2000000)) ||
        ipc_request_open(&m, &rep)) {
        printf("net: the network service does not answer: %s\n", e ? ipc_strerror(e) : "bad reply");
        return 2;
    }
    Net_info_Results_R r = Net_info_Results_read_root(&m);
    printf("net: lo    127.0.0.1/8 up\n");
    if (!Net_info_Results_present(r)) {
        printf("net: en0   none (no network driver)\n");
        return 0;
    }
    uint64_t mac = Net_info_Results_mac(r);
    printf("net: en0   %02x:%02x:%02x:%02x:%02x:%02x %s", (unsigned)(mac >> 40) & 255,
           (unsigned)(mac >> 32) & 255, (unsigned)(mac >> 24) & 255, (unsigned)(mac >> 16) & 255,
           (unsigned)(mac >> 8) & 255, (unsigned)mac & 255, Net_info_Results_up(r) ? "up" : "down");
    ip("inet", Net_info_Results_addr(r));
    ip("netmask", Net_info_Results_mask(r));
    ip("gateway", Net_info_Results_gateway(r));
    printf(" (%s)\n", Net_info_Results_dhcp(r) ? "DHCP" : "static");
    printf("net: en0   rx %llu frames, tx %llu frames; dropped: runt %llu, giant %llu, no memory %llu, "
           "refused %llu, tx failed %llu; bad buffer numbers %u\n",
           (unsigned long long)Net_info_Results_rxFrames(r), (unsigned long long)Net_info_Results_txFrames(r),
           (unsigned long long)Net_info_Results_rxRunt(r), (unsigned long long)Net_info_Results_rxGiant(r),
           (unsigned long long)Net_info_Results_rxNoMemory(r), (unsigned long long)Net_info_Results_rxRefused(r),
           (unsigned long long)Net_info_Results_txFailed(r), Net_info_Results_badNumbers(r));
    return capnp_msg_error(&m) ? 2 : 0;
}
