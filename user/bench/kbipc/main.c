/*
 * kbipc: the service of kbench's ipc_rtt figures, written as every
 * service is (user/lib/rt/ipc.c): ipc_serve on the accept Ring "listen" of its
 * Bundle, answering each KB_K_IPC request with its own payload. A program
 * of its own, not a kbpeer mode, so that the ipc library does not grow the
 * ELF that kbench's spawn figure loads. kbench destroys it when done.
 */
#include "../kbpeer/kbpeer.h"
#include "ipc.h"
#include "rt.h"

static void echo(struct ipc_server *s, struct ipc_conn *c, struct ipc_msg *m)
{
    (void)s;
    if (m->hdr.kind == KB_K_IPC)
        ipc_reply(c, m, m->data, m->hdr.len, 0, 0);
}

int main(void)
{
    static struct ipc_server srv;
    v_handle listen = rt_cap("listen");
    if (!listen || ipc_server_init(&srv, listen))
        return 1;
    srv.handle = echo;
    ipc_serve(&srv, V_TIMEOUT_NEVER);
    return 2;
}
