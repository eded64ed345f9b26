/*
 * capsvc.h: what capsule.c (verification, versions, upgrade, rollback,
 * the Supervisor's capsule methods) and monitor.c (behavioural profiles,
 * readiness windows, init's one timer) share. Everything here is init's
 * own state; nothing is visible to other Tasks except through
 * schema/supervisor.capnp.
 *
 * Invariants:
 *   - capsules[] is filled once, at boot, before the manifest is read,
 *     and never moves (each entry's opened manifest points into itself
 *     and into its boot module, which is mapped read-only in init for
 *     its whole life); a capsule whose `valid` is false never runs.
 *   - capsvcs[i] describes svcs[i] when `used`; `cur` is always a valid
 *     capsule of that name once the manifest has been validated.
 *   - at most one version of a service exists at a time: a switch
 *     destroys the running instance before it starts the other, and both
 *     serve the same accept Ring, which init keeps.
 */
#ifndef INIT_CAPSVC_H
#define INIT_CAPSVC_H

#include "capsule/capsule.h"
#include "init.h"

#define MAX_CAPSULES 16          /* the boot image holds at most 16 modules */
#define CAP_NAME 65
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
    char note[120];              /* what last happened to it (a failed upgrade) */
    char signer[96];
    const uint8_t *elf;          /* the entry blob */
    size_t elf_len;
    struct profile prof;
};
extern struct capsule capsules[MAX_CAPSULES];
extern int ncapsules;

struct standby {                 /* a version spawned, suspended before it ran */
    struct rt_child child;
    uint64_t task_id;
    int k;
    bool ok;
};

struct capsvc {
    bool used;
    char name[CAP_NAME];         /* the capsule it runs */
    uint8_t vcid[32];
    bool pinned;                 /* vcid given: exactly that version at boot */
    char bad[96];                /* a malformed reference, refused in validate */
    int cur;                     /* the version it runs (or will) */
    int history[HISTORY];        /* versions it ran before, newest last */
    int nhistory;

    /* an upgrade in its readiness window */
    bool probation;
    int from;                    /* the version it replaced */
    uint64_t until, task;        /* window end (us); the new instance's Task id */
    uint64_t t0, switch_cycles;  /* rdtsc at the switch; its cost */
    struct ipc_conn probe;
    bool probing, answered;
    uint64_t ready_cycles;       /* switch start -> the probe's answer */
    struct standby standby;      /* the old version, kept warm meanwhile */
    struct ipc_conn *rc;         /* the upgrade call, answered at the end */
    uint64_t rid;
    bool reply;

    /* the profile monitor */
    uint64_t mon_task, mon_us;
    uint64_t last[NCOUNTERS];
    int64_t tokens[MAX_RATES];   /* token buckets, in millionths */
    char counters[160];          /* the instance's counters, last seen */
};
extern struct capsvc capsvcs[MAX_SVC];

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t)hi << 32 | lo;
}

/* capsule.c */
int capsule_switch(struct service *s, int to);
void capsule_settle(struct service *s, bool ok, const char *why);
void capsule_cancel(struct service *s, const char *why);
void standby_drop(struct standby *sb);
const char *class_name(int c);

/* monitor.c */
void probe_start(struct service *s);
void probe_stop(struct capsvc *cs);
void counters_line(const struct v_taskinfo *ti, char *buf, size_t n);

#endif
