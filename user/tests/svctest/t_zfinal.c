/* After everything else: the services are alive and hold nothing of ours. */
#include "svctest.h"

SCASE(ZZZ0001, 1, "after every hostile case, each service is alive and has never faulted")
{
    S_TRUE(st_alive(SVC_LOG));
    S_TRUE(st_alive(SVC_SERIAL));
    S_TRUE(st_alive(SVC_TIMER));
}

SCASE(ZZZ0002, 1, "what if clients connect and leave 40 times? (every Ring goes back to its Reticle)")
{
    uint64_t free0 = st_quiesce();
    for (int i = 0; i < 40; i++)
        for (int s = SVC_LOG; s <= SVC_TIMER; s++) {
            struct ipc_conn c;
            S_IPC(st_connect(s, "churn", &c));
            ipc_detach(&c);
        }
    S_EQ(st_settle(free0), free0);
}

SCASE(ZZZ0003, 1, "what if more clients connect than a service has room for? (the rest are refused, nothing leaks)")
{
    uint64_t free0 = st_quiesce();
    static struct ipc_conn c[IPC_MAX_CONNS + 4];
    int ok = 0;
    for (int i = 0; i < IPC_MAX_CONNS + 4; i++) {
        if (st_connect(SVC_TIMER, "crowd", &c[i]) == IPC_OK)
            ok++;
        else
            c[i].closed = true;
    }
    S_TRUE(ok > 0);
    for (int i = 0; i < IPC_MAX_CONNS + 4; i++)
        if (!c[i].closed)
            ipc_detach(&c[i]);
    S_EQ(st_settle(free0), free0);
    struct ipc_conn d;
    S_IPC(st_connect(SVC_TIMER, "after-crowd", &d));
    ipc_detach(&d);
    S_TRUE(st_alive(SVC_TIMER));
}
