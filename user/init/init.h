/*
 * init: the root Task. It reads the boot image (the system manifest and
 * the programs beside it), validates the manifest, starts every service
 * it accepts in dependency order with exactly the Bundle the manifest
 * gives, supervises them (restart policy, backoff, crash-loop detection,
 * a record of every exit and fault), and serves schema/supervisor.capnp
 * to whoever the manifest lets reach it (the shell).
 *
 * A service is: a private Reticle (everything it is made of), an accept
 * Ring whose receive end it serves as "listen" (init keeps the original,
 * so clients queued while it restarts are not lost), and its grants.
 *
 * Layers, each calling only those below it (the capsule layers are in
 * capsvc.h); what flows upward goes through hooks the upper layer sets:
 *   events.c     the event record, and its copy to the log service
 *   deadline.c   the one list of deadlines behind init's one timer
 *   services.c   the table svcs[], by manifest order
 *   bundle.c     a service's Bundle from its grants; grant connections
 *   supervise.c  the lifecycle: owns every struct service's run-time
 *                state (start, stop, exit and fault, backoff, crash loops)
 *   manifest.c   the manifest read and validated into svcs[]
 *   reply.c      the Supervisor's shared reply shape
 *   control.c    the Supervisor interface: its one method table
 *   main.c       the boot order and the loop
 */
#ifndef INIT_H
#define INIT_H

#include <stdbool.h>
#include <stdint.h>

#include "capnp/capnp.h"
#include "ipc.h"
#include "rt.h"

/* No fixed number of services, grants or dependencies: svcs[] and each
 * service's grants and dependencies are allocated from init's heap (its
 * Reticle) as the manifest says, and every start-up pass is linear in
 * services plus grants (docs/DECISIONS.md). */
#define NAME_LEN 24
#define CAP_NAME 65              /* a capsule's name and its NUL */

enum grant_type { G_SERVICE, G_MEMORY, G_IRQ, G_IOPORT, G_CONSOLE, G_INTRODUCE, G_DEVICE,
                  G_PLATFORM };
enum policy { P_NEVER, P_ON_FAILURE, P_ALWAYS, P_TOOL };
enum svc_state { S_WAITING, S_RUNNING, S_STOPPED, S_EXITED, S_FAILED, S_REFUSED,
                 S_QUARANTINED };
extern const char *const svc_state_names[];

struct grant {
    char name[NAME_LEN];
    enum grant_type type;
    char source[48];
    int svc;                    /* G_SERVICE / G_INTRODUCE: provider index, -1 = init */
    uint64_t a, b;              /* IRQ line; port base, count; memory bytes */
    bool confined;              /* G_DEVICE: DMA must be confined by an IOMMU */
    uint64_t iface;             /* G_SERVICE: the facet's interface id, 0 = all */
};

/* What the manifest says a service's binary is, when it is a capsule:
 * immutable after manifest_load. */
struct capsule_ref {
    bool used;
    char name[CAP_NAME];
    uint8_t vcid[32];
    bool pinned;                /* vcid given: exactly that version at boot */
    char bad[96];               /* a malformed reference, refused when bound */
};

/* Fields from the manifest are immutable after manifest_validate; the
 * rest are the lifecycle's (supervise.c), changed only through it. */
struct service {
    char name[NAME_LEN];
    char module[48];
    struct capsule_ref ref;
    char (*deps)[NAME_LEN];     /* ndeps of each, from init's heap */
    int *dep;
    int ndeps;
    struct grant *grants;       /* ngrants, from init's heap */
    int ngrants;
    enum policy policy;
    unsigned prio;
    uint64_t label;             /* the manifest's: made at it (docs/LABELS.md) */
    uint64_t memory;
    uint64_t arg;               /* start argument: args[0] as a number */
    char cmdline[128];          /* a tool's command line (Supervisor.run) */

    /* the lifecycle's */
    const void *elf;            /* what the next start runs */
    size_t elf_len;
    enum svc_state state;
    char reason[96];
    struct rt_child child;
    uint64_t task_id;
    v_handle accept_tx, accept_rx;
    uint32_t restarts;
    int64_t last_exit;
    uint64_t failures[8];       /* times of recent failures (crash-loop window) */
    unsigned nfail;
};

extern struct service *svcs;    /* nsvc of them, from init's heap */
extern int nsvc;
extern int *svc_order;          /* nsvc indices, dependencies first (manifest_validate) */
extern v_handle init_memory;    /* init's Reticle for Rings and children */
extern v_handle init_accept_tx; /* the send end of init's own accept Ring */
extern v_handle init_fault_signal;   /* children's faults and exits: SIG_CHILD */

/* init's Signal bits, by name. */
enum { SIG_CHILD = RT_SIG_FAULT, SIG_TIMER = 62, SIG_DRAIN = 61 };

uint64_t now_us(void);

/* events.c: what happened, newest last; copied to the log once it runs */
struct event_rec {
    uint64_t seq, time;
    char service[NAME_LEN];
    char text[96];
};
#define MAX_EVENTS 128
extern struct event_rec events[MAX_EVENTS];
extern uint64_t nevents;
void event(const char *service, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void event_log_use(v_handle tx, v_handle rx);    /* and replay what it missed */

/* deadline.c: one list, one timer (SIG_TIMER). A deadline lives in its
 * owner; fire is called once when it passes, after it is off the list. */
struct deadline {
    uint64_t at;
    void (*fire)(struct deadline *d);
    struct deadline *next;
    bool armed;
};
void deadline_set(struct deadline *d, uint64_t at);
void deadline_cancel(struct deadline *d);
void deadline_run(void);        /* fire what has passed, arm for the next */

/* manifest.c */
int manifest_load(const void *bytes, size_t len, char *err, size_t errlen);
void manifest_validate(void);   /* before the capsules are bound */
void manifest_spread_refusals(void);     /* after: dependents of the refused */
extern int norder;              /* svc_order's length: services off it are on a cycle */

/* services.c */
int svc_find(const char *name);     /* O(1): a hash index of the names */
int svc_alloc(int n);               /* svcs[] for n services (nsvc 0); 0 or V_ENOMEM */
void svc_index(void);               /* build the name index, once svcs[] is filled */
/* A zeroed table of one elem-byte entry per service, for a layer's own
 * per-service state (made once nsvc is known; dies if memory is out). */
void *svc_table(size_t elem);

/* bundle.c: s's Bundle items (in a static array valid until the next
 * call), every one made or none: 0, or -1 with why. Spawning moves them. */
int svc_bundle(const struct service *s, const struct rt_bundle_item **items, unsigned *n,
               char *why, size_t whylen);
int grant_connect(const struct service *s, const struct grant *g, v_handle client[2]);
struct service *svc_of_conn(const struct ipc_conn *c);
const struct grant *svc_root_grant(const struct service *s, const char *name);

/* supervise.c: the lifecycle */
/* Hooks the layers above set, once, before start_all. ended: s's Task
 * ended (fault: its description, else 0 and the status); true if the
 * hook dealt with it and the restart policy must not apply. started: s
 * runs a new instance after the boot (reconnect what init holds). */
extern bool (*svc_ended_hook)(struct service *s, const char *fault, int64_t status);
extern void (*svc_started_hook)(struct service *s);
void svc_refuse(struct service *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void svc_set_binary(struct service *s, const void *elf, size_t len);
/* Build s's Bundle and spawn elf for it, leaving s unchanged: 0, or -1
 * with why. The instance runs at once (suspend it to keep it ready). */
int svc_spawn(const struct service *s, const void *elf, size_t len, struct rt_child *child,
              uint64_t *task_id, char *why, size_t n);
int svc_start(struct service *s);
int svc_start_fresh(struct service *s);  /* by request: past failures forgotten */
int svc_restart(struct service *s);      /* by request: stopped first if running */
/* Make child (from svc_spawn, suspended) the running instance, resumed.
 * Unlike svc_start it leaves the started hook to the caller
 * (svc_announce), so that a timed switch does not count it. */
void svc_adopt(struct service *s, const struct rt_child *child, uint64_t task_id);
void svc_announce(struct service *s);   /* run the started hook for s */
/* Destroy the running instance (if any); s is left in state st, with
 * the reason why (0: the reason is kept). */
void svc_end(struct service *s, enum svc_state st, const char *why);
void svc_stop(struct service *s, const char *why);
void supervise_check(void);
void start_all(void);
int svc_start_early(int i);     /* i and its dependencies, before start_all */

/* reply.c: the Supervisor's one reply shape (status, message), shared
 * by start, stop, restart, kill, reroot, capsuleStart and capsuleStop
 * (their results have this layout in schema/supervisor.capnp); caps
 * (moved) travel with it. */
void status_caps(struct ipc_conn *c, const struct ipc_msg *m, int st, const v_handle *caps,
                 unsigned ncaps, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
#define status_reply(c, m, st, ...) status_caps(c, m, st, 0, 0, __VA_ARGS__)

/* device.c: platform and device grants (docs/DEVICES.md) */
struct dev_item {
    const char *name;
    v_handle cap;
};
#define DEV_ITEMS 4
bool device_validate(struct service *s, struct grant *g, char *why, size_t n);
bool device_grant(const struct service *s, const struct grant *g, struct dev_item *out, unsigned *n,
                  char *why, size_t whylen);

/* session.c: the read-only facet and the sessions introduced into init */
void session_listen(struct ipc_server *srv);
bool session_gate(struct ipc_conn *c, const struct ipc_msg *m);

/* control.c */
__attribute__((noreturn)) void control_serve(struct ipc_server *srv);

#endif
