/*
 * capsvc.h: capsules in the running system (docs/CAPSULE.md, "In the
 * OS"), in layers above the lifecycle (init.h), each calling only those
 * below it:
 *   rtc.c        the wall clock (CMOS), for certificate validity
 *   capsule.c    boot verification: capsules[], immutable after boot
 *   capbind.c    which version each capsule service runs, and its grants
 *                within what that version requires (its history too)
 *   monitor.c    intent profiles, checked every TICK_US; quarantine
 *   probe.c      the readiness probe of an upgrade's window
 *   switch.c     a standby prepared, an instance replaced by another
 *   upgrade.c    the version switch: prepare, switch, readiness window,
 *                settle or roll back; it changes services only through
 *                the lifecycle
 *   capbench.c   the capbench image's re-verification hook
 *   capmethods.c the Supervisor's capsule methods (control.c's table)
 * Everything here is init's own state; nothing is visible to other Tasks
 * except through schema/supervisor.capnp.
 *
 * Invariants:
 *   - the capsule table is filled once, by capsule_boot, before the
 *     manifest is read, and never changes after (each entry's opened
 *     manifest points into itself and into its boot module, which is
 *     mapped read-only in init for its whole life); a capsule whose
 *     `valid` is false never runs. What later happens to a version (a
 *     failed upgrade) is upgrade.c's note, not the capsule's.
 *   - a bound capsule service's current version is always a valid
 *     capsule of its name once capsule_validate has run.
 *   - at most one version of a service exists at a time: a switch
 *     destroys the running instance before it starts the other, and both
 *     serve the same accept Ring, which init keeps.
 */
#ifndef INIT_CAPSVC_H
#define INIT_CAPSVC_H

#include "capsule/capsule.h"
#include "init.h"
#include "schema/supervisor.capnp.h"

#define MAX_CAPSULES 32          /* 16 boot modules at most, and those loaded from the store */
#define CAP_VER 48
#define MAX_RATES 8
#define HISTORY 8
#define READY_US 300000ull       /* a new version's readiness window */
#define TICK_US 50000ull         /* the profile monitor's period */
#define READY_PROBE 0x7e00u      /* a method no interface has: any reply will do */

/* Counters a profile can name: the syscall classes (V_CLASS_*), then these. */
enum { CTR_SYSCALLS = V_NCLASSES, CTR_SIGNALS, CTR_RETYPED, NCOUNTERS };

struct profile {
    bool classes_declared;       /* an empty syscalls list declares nothing */
    uint8_t classes;             /* bit c: class c may be used */
    uint64_t mem_max;            /* bytes it may retype; 0: undeclared */
    unsigned nrates;
    struct {
        int counter;             /* CTR_* or a class; -1: not measured */
        uint32_t per_sec, burst;
        char what[24];
    } rate[MAX_RATES];
};

/* A verification's result, written by capsule_verify_one only. */
struct capsule {
    char module[48];
    const uint8_t *buf;
    size_t len;
    bool manifest_ok;            /* manifest readable: name, ver, lists */
    struct capsule_manifest m;   /* when manifest_ok; never moved */
    char name[CAP_NAME], ver[CAP_VER];
    uint8_t vcid[32];
    bool have_vcid;
    unsigned domain;
    bool valid;                  /* verified: may run */
    char reason[160];            /* why refused: "NAME: message (about)" */
    char brief[80];              /* the same, short: "NAME (about)" */
    char signer[96];
    char vouch[4][160];          /* the install policy's proofs, who vouched */
    unsigned nvouch;
    const uint8_t *elf;          /* the entry blob */
    size_t elf_len;
    struct profile prof;
};

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t)hi << 32 | lo;
}

/* rtc.c: Unix seconds from the CMOS clock (UTC), or -1 without one. */
int64_t rtc_now(void);

/* capsule.c */
void capsule_boot(void);                     /* verify every *.vcap module */
void capsule_verify_one(struct capsule *c);  /* c's module, buf and len set */
/* A capsule from elsewhere (the store, a FAT volume): verified under the
 * boot policy and, when valid and new, appended to the table (buf must stay
 * mapped for init's life). Its index; or the index of the same VCID
 * already there; or -1 with the reason in why. */
int capsule_add(const char *module, const uint8_t *buf, size_t len, char *why, size_t n);
int capsule_count(void);
const struct capsule *capsule_at(int k);     /* 0 <= k < capsule_count() */
int capsule_system_index(void);              /* the system manifest's, or -1 */
const void *capsule_system_manifest(size_t *len);   /* signed, or NULL */
const char *class_name(int c);
/* Text from a capsule, NUL-ended, bytes outside 0x20..0x7e as '?'. */
void capsule_text(char *dst, size_t cap, struct capsule_str s);
bool capsule_text_is(struct capsule_str s, const char *z);
void hex(char *out, const uint8_t *b, unsigned n);

/* capbind.c: the version each capsule service runs */
void capsule_validate(void);                 /* bind versions, check grants */
int capsule_cur(const struct service *s);    /* its version, -1: none */
const char *capsule_name_of(const struct service *s);
const char *capsule_of(const struct service *s);   /* "name ver" or "" */
struct service *service_for(struct capnp_text t);  /* by its name or its capsule's */
/* NULL, or the first grant of s that version k does not require (in buf). */
const char *grants_beyond(const struct service *s, int k, char *buf, size_t n);
void capsule_run(struct service *s, int k);  /* s's next start runs version k */
int capsule_history(const struct service *s, int *out);   /* oldest first */
void capsule_history_push(struct service *s, int k);
int capsule_history_pop(struct service *s, int k);        /* the newest, if k (-1: any) */
int capsule_user_of(int k, bool *previous);  /* the service running (or that ran) k */

/* monitor.c */
void monitor_arm(void);                      /* tick while any profile is watched */
/* Set by upgrade.c: a deviation in a readiness window; true if handled. */
extern bool (*monitor_window_deviation)(struct service *s, const char *why);
const char *monitor_counters(const struct service *s);   /* last seen, or "" */
void counters_line(const struct v_taskinfo *ti, char *buf, size_t n);

/* probe.c */
void probe_init(struct ipc_server *srv);
void probe_start(struct service *s, uint64_t t0);   /* t0: the switch's rdtsc */
void probe_poll(struct service *s);
bool probe_pending(const struct service *s);        /* asked, not answered */
bool probe_answered(const struct service *s, uint64_t *cycles);
void probe_stop(struct service *s);

/* switch.c */
struct standby {                 /* a version spawned, suspended before it ran */
    struct rt_child child;
    uint64_t task_id;
    int k;
    bool ok;
};
bool switch_can_prepare(const struct service *s);   /* below init's priority */
/* Spawn version k for s as a standby; s is left as it was. 0, or -1 with why. */
int switch_prepare(struct service *s, int k, struct standby *sb, char *why, size_t n);
void standby_drop(struct standby *sb);
/* Make s run version `to`: the standby if it holds `to`, else a cold
 * start. *cycles: from the old instance's going to the new one runnable. */
int switch_to(struct service *s, int to, struct standby *sb, uint64_t *cycles);

/* upgrade.c */
void upgrade_init(struct ipc_server *srv);   /* its lifecycle hook, its server */
void upgrade_poll(void);                     /* every wake: probe answers, windows */
void upgrade_cancel(struct service *s, const char *why);
const char *upgrade_note(int k);             /* what last happened to version k */
void serve_upgrade(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg);
void serve_rollback(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg);
/* Switch s to version `to` with a readiness window, answering c (if not 0)
 * at its end; 0, or -1 with the refusal (*st, text). */
int upgrade_begin(struct service *s, int to, struct ipc_conn *c, uint64_t id,
                  enum Supervisor_Status *st, char *text, size_t n);
/* Set by capstore.c: a window closed (ok: `to` serves; else back on
 * `from`); it may add to the answer's text (more, n bytes). */
extern void (*upgrade_settled_hook)(struct service *s, bool ok, int from, int to, char *more,
                                    size_t n);

/* capstore.c: the capsule store (user/services/store) as the Supervisor uses it:
 * install, remove, gc, generations, persistent upgrade and rollback, and
 * at boot the store's generation applied with fallback. */
bool capstore_present(void);                 /* the manifest has a store service */
void capstore_boot(const char *cmdline);     /* after start_all: apply the generation */
/* Version `ver` of capsule `name` read from the store, verified and added
 * to the capsule table: its index, or -1 (why set when it exists but failed). */
int capstore_load(const char *name, const char *ver, char *why, size_t n);
/* The store's previous version of what s runs (loaded), or -1 (why set on
 * an error; empty when the store has none, or no store). */
int capstore_previous(const struct service *s, char *why, size_t n);
void capstore_rolled_back(const struct service *s, char *more, size_t n);
void serve_install(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg);
void serve_remove(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg);
void serve_gc(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg);
void serve_generations(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg);

/* capbench.c */
void capbench_init(const char *cmdline);
/* capbench only: verify s's version again before it starts; 0 with the
 * cost in note (also when not benchmarking: note ""), or -1 with why. */
int capbench_reverify(struct service *s, char *note, size_t n);

/* capmethods.c: the Supervisor's capsule methods */
void serve_listCapsules(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg);
void serve_capsuleInfo(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg);
void serve_capsuleStart(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg);
void serve_capsuleStop(struct ipc_conn *c, const struct ipc_msg *m, struct capnp_msg *msg);

#endif
