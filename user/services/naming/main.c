/*
 * naming: the naming service. There is no global namespace: a path such
 * as "SYS:svc/log" means something only to a Task that holds a connection
 * to this service (its "SYS:" naming root), and a Task without one cannot
 * even ask. Under SYS: the service knows the services whose accept Rings
 * the manifest let it introduce clients to (Bundle entries "svc:<name>").
 *
 *   SYS:            directory: svc
 *   SYS:svc         directory: the service names
 *   SYS:svc/<name>  a service: connect makes a fresh Ring pair, hands the
 *                   server its ends through the service's accept Ring and
 *                   returns the client's ends with the reply.
 */
#include <stdio.h>
#include <string.h>

#include "ipc.h"
#include "rt.h"
#include "schema/naming.capnp.h"

#define MAX_NAMES 32

static struct {
    char name[V_BUNDLE_NAME];
    v_handle accept;
} names[MAX_NAMES];
static unsigned nnames;
static v_handle memory;
static uint8_t out[IPC_PAYLOAD_MAX] __attribute__((aligned(8)));

enum kind { K_BAD, K_ROOT, K_SVCDIR, K_SVC, K_MISSING };

static enum kind parse(const char *p, size_t len, int *idx)
{
    if (len < 4 || memcmp(p, "SYS:", 4))
        return K_BAD;
    p += 4;
    len -= 4;
    while (len && p[0] == '/')
        p++, len--;
    while (len && p[len - 1] == '/')
        len--;
    if (len == 0)
        return K_ROOT;
    if (len == 3 && !memcmp(p, "svc", 3))
        return K_SVCDIR;
    if (len > 4 && !memcmp(p, "svc/", 4)) {
        for (unsigned i = 0; i < nnames; i++)
            if (strlen(names[i].name) == len - 4 && !memcmp(names[i].name, p + 4, len - 4)) {
                *idx = (int)i;
                return K_SVC;
            }
    }
    for (size_t i = 0; i < len; i++)
        if (p[i] < 0x21 || p[i] > 0x7e)
            return K_BAD;
    return K_MISSING;
}

static void serve_resolve(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    struct capnp_text path = Naming_resolve_Params_path(Naming_resolve_Params_read_root(msg));
    int idx = -1;
    enum kind k = path.str ? parse(path.str, path.len, &idx) : K_BAD;
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Naming_Resolution_B r = Naming_resolve_Results_init_result(Naming_resolve_Results_build_root(&b));
    switch (k) {
    case K_BAD:
        Naming_Resolution_set_status(r, Naming_Status_badPath);
        Naming_Resolution_set_none(r);
        break;
    case K_MISSING:
        Naming_Resolution_set_status(r, Naming_Status_notFound);
        Naming_Resolution_set_none(r);
        break;
    case K_ROOT: {
        Naming_Resolution_set_status(r, Naming_Status_ok);
        struct capnp_lbuilder l = Naming_Resolution_directory_init_entries(
            Naming_Resolution_init_directory(r), 1);
        capnp_slot_set_text(capnp_lslot(l, 0), "svc", 3);
        break;
    }
    case K_SVCDIR: {
        Naming_Resolution_set_status(r, Naming_Status_ok);
        struct capnp_lbuilder l = Naming_Resolution_directory_init_entries(
            Naming_Resolution_init_directory(r), nnames);
        for (unsigned i = 0; i < nnames; i++)
            capnp_slot_set_text(capnp_lslot(l, i), names[i].name, strlen(names[i].name));
        break;
    }
    case K_SVC: {
        Naming_Resolution_set_status(r, Naming_Status_ok);
        Naming_Resolution_service_B sv = Naming_Resolution_init_service(r);
        Naming_Resolution_service_set_provider(sv, names[idx].name, strlen(names[idx].name));
        break;
    }
    }
    ipc_reply_caps(c, Naming_method_resolve, m->hdr.id, &b, 0, 0);
}

static void serve_connect(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg)
{
    struct capnp_text path = Naming_connect_Params_path(Naming_connect_Params_read_root(msg));
    int idx = -1;
    enum kind k = path.str ? parse(path.str, path.len, &idx) : K_BAD;
    struct capnp_builder b;
    capnp_builder_init(&b, out, sizeof out);
    Naming_connect_Results_B r = Naming_connect_Results_build_root(&b);
    v_handle client[2];
    if (k != K_SVC) {
        Naming_connect_Results_set_status(r, k == K_BAD ? Naming_Status_badPath
                                                        : Naming_Status_notFound);
        ipc_reply_caps(c, Naming_method_connect, m->hdr.id, &b, 0, 0);
        return;
    }
    int e = ipc_introduce(memory, names[idx].accept, c->peer, client);
    if (e) {
        printf("naming: cannot connect %s to %s: %s (%s)\n", c->peer, names[idx].name,
               ipc_strerror(e), rt_errname(ipc_last_err()));
        Naming_connect_Results_set_status(r, Naming_Status_unavailable);
        ipc_reply_caps(c, Naming_method_connect, m->hdr.id, &b, 0, 0);
        return;
    }
    Naming_connect_Results_set_status(r, Naming_Status_ok);
    ipc_reply_caps(c, Naming_method_connect, m->hdr.id, &b, client, 2);
}

#define ROW(name) IPC_METHOD(Naming, name)
static const struct ipc_method methods[] = {Naming_METHODS(ROW) {0, 0, 0}};

int main(void)
{
    memory = rt_cap("memory");
    const struct v_bundle *b = rt_bundle();
    for (uint32_t i = 0; b && i < b->count && nnames < MAX_NAMES; i++)
        if (!strncmp(b->entry[i].name, "svc:", 4) && b->entry[i].type == V_TYPE_RING_SEND) {
            strlcpy(names[nnames].name, b->entry[i].name + 4, sizeof names[nnames].name);
            names[nnames++].accept = b->entry[i].handle;
        }
    static struct ipc_server srv;
    if (ipc_server_init(&srv, rt_cap("listen")))
        rt_die("naming: cannot serve its accept Ring");
    for (;;)
        ipc_serve_methods(&srv, methods, V_TIMEOUT_NEVER);
}
