/*
 * switch.c: replacing a service's running instance by another version,
 * the mechanics under upgrade.c.
 *
 * A standby: a version spawned (svc_spawn) but suspended before its
 * first instruction. init runs above every service (a prepared Task is
 * below init's priority), so nothing runs between rt_spawn starting it
 * and init suspending it. Preparing (loading the ELF, building the
 * Bundle, connecting its grants) is the slow part of a switch and
 * happens while the old instance still serves; the switch itself is
 * destroying one instance and adopting the other (or, without a
 * standby, starting it cold). Everything goes through the lifecycle
 * (svc_spawn, svc_end, svc_adopt, svc_start) and capbind (capsule_run).
 */
#include <stdio.h>
#include <string.h>

#include "capsvc.h"

static unsigned init_prio;

bool switch_can_prepare(const struct service *s)
{
    if (!init_prio) {
        struct v_taskinfo ti;
        v_task_info(rt_cap("self"), (uint64_t)&ti);
        init_prio = ti.prio;
    }
    return s->prio < init_prio;
}

/* Spawn version k for s as a standby; s itself is left as it was.
 * Returns 0, or -1 with the reason in why. */
int switch_prepare(struct service *s, int k, struct standby *sb, char *why, size_t n)
{
    memset(sb, 0, sizeof *sb);
    if (!switch_can_prepare(s)) {
        snprintf(why, n, "priority %u is not below init's", s->prio);
        return -1;
    }
    const struct capsule *c = capsule_at(k);
    if (svc_spawn(s, c->elf, c->elf_len, &sb->child, &sb->task_id, why, n)) {
        event(s->name, "could not start: %s", why);
        printf("init: could not start '%s': %s\n", s->name, why);
        return -1;
    }
    v_task_suspend(sb->child.task);
    sb->k = k;
    sb->ok = true;
    return 0;
}

void standby_drop(struct standby *sb)
{
    if (sb->ok)
        rt_child_destroy(&sb->child);
    memset(sb, 0, sizeof *sb);
}

/* Make s run version `to`: the standby if it holds `to`, else a cold
 * start. *cycles is the switch proper: from the moment the old instance
 * starts to go until the new one is runnable. Nothing here waits for
 * another Task, so no client of the service runs in between, and the
 * next Task to bind the accept Ring is the new instance. */
int switch_to(struct service *s, int to, struct standby *sb, uint64_t *cycles)
{
    uint64_t t0 = rdtsc();
    int e = 0;
    svc_end(s, s->state, 0);
    capsule_run(s, to);
    bool adopted = sb && sb->ok && sb->k == to;
    if (adopted) {
        sb->ok = false;
        svc_adopt(s, &sb->child, sb->task_id);
    } else {
        e = svc_start(s);
    }
    *cycles = rdtsc() - t0;
    if (!e && adopted)
        svc_announce(s);
    monitor_arm();          /* the new version's profile may want the tick */
    return e;
}

