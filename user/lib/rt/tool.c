/*
 * tool.c: see tool.h.
 */
#include <string.h>

#include "capnp/capnp.h"
#include "ipc.h"
#include "schema/supervisor.capnp.h"
#include "tool.h"

int tool_args(char *buf, unsigned n, char **argv, int max)
{
    static struct ipc_conn c;
    static struct ipc_msg rep;
    struct capnp_msg m;
    if (!n || ipc_open("init", &c) != IPC_OK ||
        ipc_call(&c, Supervisor_method_args, 0, 0, 0, 0, &rep, 2000000) != IPC_OK ||
        ipc_request_open(&m, &rep))
        return -1;
    struct capnp_text t = Supervisor_args_Results_args(Supervisor_args_Results_read_root(&m));
    if (capnp_msg_error(&m))
        return -1;
    unsigned len = t.str && t.len < n ? (unsigned)t.len : 0;
    memcpy(buf, t.str ? t.str : "", len);
    buf[len] = 0;
    int argc = 0;
    for (char *p = buf; *p && argc < max;) {
        while (*p == ' ')
            *p++ = 0;
        if (!*p)
            break;
        argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
    }
    return argc;
}

int tool_ipv4(const char *s, uint32_t *out)
{
    uint32_t a = 0;
    for (int i = 0; i < 4; i++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned v = 0, digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4)
            v = v * 10 + (unsigned)(*s++ - '0'), digits++;
        if (v > 255 || digits > 3 || (i < 3 && *s++ != '.'))
            return -1;
        a = a << 8 | v;
    }
    if (*s)
        return -1;
    *out = a;
    return 0;
}

uint64_t tool_wait(uint64_t bits, uint64_t us)
{
    struct v_ret r = v_signal_wait(bits, us ? us : 1);
    return r.err ? 0 : r.val & bits;
}

int tool_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || (v = v * 10 + (uint64_t)(*s - '0')) > hi)
            return -1;
    }
    if (v < lo)
        return -1;
    *out = (uint32_t)v;
    return 0;
}
