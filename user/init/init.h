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
 */
#ifndef INIT_H
#define INIT_H

#include <stdbool.h>
#include <stdint.h>

#include "capnp/capnp.h"
#include "ipc.h"
#include "rt.h"

#define MAX_SVC 24
#define MAX_GRANTS 16
#define MAX_DEPS 8
#define NAME_LEN 24

enum grant_type { G_SERVICE, G_MEMORY, G_IRQ, G_IOPORT, G_CONSOLE, G_INTRODUCE, G_DEVICE,
                  G_PLATFORM };
enum policy { P_NEVER, P_ON_FAILURE, P_ALWAYS };
enum svc_state { S_WAITING, S_RUNNING, S_STOPPED, S_EXITED, S_FAILED, S_REFUSED,
                 S_QUARANTINED };

struct grant {
    char name[NAME_LEN];
    enum grant_type type;
    char source[48];
    int svc;                    /* G_SERVICE / G_INTRODUCE: provider index, -1 = init */
    uint64_t a, b;              /* IRQ line; port base, count; memory bytes */
    bool confined;              /* G_DEVICE: DMA must be confined by an IOMMU */
};

struct service {
    char name[NAME_LEN];
    char module[48];
    const void *elf;
    size_t elf_len;
    char deps[MAX_DEPS][NAME_LEN];
    int dep[MAX_DEPS];
    int ndeps;
    struct grant grants[MAX_GRANTS];
    int ngrants;
    enum policy policy;
    unsigned prio;
    uint64_t memory;
    uint64_t arg;               /* start argument: args[0] as a number */
    enum svc_state state;
    char reason[96];
    struct rt_child child;
    uint64_t task_id;
    v_handle accept_tx, accept_rx;
    uint32_t restarts;
    int64_t last_exit;
    uint64_t failures[8];       /* times of recent failures (crash-loop window) */
    unsigned nfail;
    uint64_t restart_at;        /* backoff: when to start again (us), 0 = not pending */
};

extern struct service svcs[MAX_SVC];
extern int nsvc;
extern v_handle init_memory;    /* init's Reticle for Rings and children */

/* manifest.c */
int manifest_load(const void *bytes, size_t len, char *err, size_t errlen);
void manifest_validate(void);

/* supervise.c */
int svc_start(struct service *s);
void svc_stop(struct service *s, const char *why);
void supervise_check(void);
void supervise_timers(void);
uint64_t now_us(void);
void event(const char *service, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int svc_find(const char *name);
void start_all(void);
void init_log_connect(void);
void init_console_connect(void);
void supervise_reconnect(const struct service *s);
int grant_connect(const struct service *s, const struct grant *g, v_handle client[2]);
struct service *svc_of_conn(const struct ipc_conn *c);
const struct grant *svc_root_grant(const struct service *s, const char *name);

/* device.c: platform and device grants (docs/DEVICES.md) */
struct dev_item {
    const char *name;
    v_handle cap;
};
#define DEV_ITEMS 4
bool device_validate(struct service *s, struct grant *g, char *why, size_t n);
bool device_grant(struct service *s, const struct grant *g, struct dev_item *out, unsigned *n);

/* control.c */
void control_init(struct ipc_server *srv);
struct event_rec {
    uint64_t seq, time;
    char service[NAME_LEN];
    char text[96];
};
#define MAX_EVENTS 128
extern struct event_rec events[MAX_EVENTS];
extern uint64_t nevents;

/* capsule.c: capsules in the boot image, verified before anything runs;
 * services whose binary is a capsule; upgrade, rollback (docs/CAPSULE.md) */
extern struct ipc_server *init_server;
void capsule_boot(void);                   /* verify every *.vcap module */
const void *capsule_system_manifest(size_t *len);   /* signed, or NULL */
void capsule_ref(struct service *s, const char *name, size_t len, const void *vcid,
                 size_t vlen);             /* manifest: binary is a capsule */
void capsule_validate(void);               /* pick versions, check grants */
bool capsule_ended(struct service *s, const char *fault, int64_t status);
bool capsule_handle(struct ipc_conn *c, struct ipc_msg *m, struct capnp_msg *msg);
const char *capsule_of(const struct service *s);   /* "name ver" or "" */

/* monitor.c: behavioural profiles, readiness windows, the one timer */
void monitor_tick(void);
void timer_arm(uint64_t restart_at);      /* restart_at: 0 or a time in us */

#endif
