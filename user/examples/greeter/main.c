/*
 * greeter: the smallest useful service, the example of docs/USING.md.
 * `make run APP=user/examples/greeter` packages it as a signed capsule and boots it
 * beside the system; `call greeter 0 NAME` in the shell sends it method 0
 * with NAME as the payload and prints the answer, "hello, NAME".
 *
 * Bundle: "listen" (its accept Ring: every service has one), "console"
 * (optional: where it says it is up). Every other method is answered
 * IPC_ERROR, so a caller always hears back.
 */
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "ipc.h"
#include "rt.h"

static void handle(struct ipc_server *s, struct ipc_conn *c, struct ipc_msg *m)
{
    for (unsigned i = 0; i < m->ncaps; i++)
        v_cap_delete(m->caps[i]);      /* it takes no capabilities */
    if (m->hdr.kind != 0) {
        ipc_send(c, IPC_ERROR | IPC_REPLY, m->hdr.id, 0, 0, 0, 0, 0);
        return;
    }
    char text[IPC_PAYLOAD_MAX];
    uint32_t n = m->hdr.len < 64 ? m->hdr.len : 64;
    int k = snprintf(text, sizeof text, "hello, %.*s", (int)n, n ? (const char *)m->data : "world");
    ipc_reply(c, m, text, (uint32_t)k, 0, 0);
}

int main(void)
{
    if (rt_cap("console"))
        rt_console_attach();
    static struct ipc_server srv;
    if (ipc_server_init(&srv, rt_cap("listen")))
        rt_die("greeter: no accept Ring");
    srv.handle = handle;
    printf("greeter: ready (try: call greeter 0 you)\n");
    fflush(stdout);
    for (;;)
        ipc_serve(&srv, V_TIMEOUT_NEVER);
}
