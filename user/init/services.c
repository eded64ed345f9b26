/*
 * services.c: the table of services, filled by manifest_load (at most
 * MAX_SVC, in manifest order, never reordered: a service's index is its
 * identity for every parallel table in init's layers); and init's own
 * handles every layer uses, set once by main before anything starts.
 */
#include <string.h>

#include "init.h"

v_handle init_memory, init_accept_tx, init_fault_signal;

struct service svcs[MAX_SVC];
int nsvc;

int svc_find(const char *name)
{
    for (int i = 0; i < nsvc; i++)
        if (!strcmp(svcs[i].name, name))
            return i;
    return -1;
}

const char *const svc_state_names[] = {"waiting", "running", "stopped", "exited",
                                       "failed", "refused", "quarantined"};

