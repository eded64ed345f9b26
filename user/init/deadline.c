/*
 * deadline.c: every timer init has (a service's restart after its
 * backoff, the profile monitor's tick, the end of a readiness window)
 * is a struct deadline in its owner, on one list sorted by time. A Task
 * has one timer: it is armed on SIG_TIMER for the head of the list.
 *
 * Invariants: the list is sorted by `at`; a deadline is on it exactly
 * when `armed`; fire runs with the deadline already off the list (so it
 * may set it again), and may set or cancel any other.
 */
#include "init.h"

static struct deadline *head;

void deadline_cancel(struct deadline *d)
{
    if (!d->armed)
        return;
    for (struct deadline **p = &head; *p; p = &(*p)->next)
        if (*p == d) {
            *p = d->next;
            break;
        }
    d->next = 0;
    d->armed = false;
}

void deadline_set(struct deadline *d, uint64_t at)
{
    deadline_cancel(d);
    struct deadline **p = &head;
    while (*p && (*p)->at <= at)
        p = &(*p)->next;
    d->at = at;
    d->next = *p;
    d->armed = true;
    *p = d;
    if (head == d) {            /* the earliest now: the timer is for it */
        uint64_t t = now_us();
        v_timer_set(SIG_TIMER, at > t ? at - t : 1);
    }
}

void deadline_run(void)
{
    uint64_t t = now_us();
    while (head && head->at <= t) {
        struct deadline *d = head;
        deadline_cancel(d);
        d->fire(d);
        t = now_us();
    }
    if (head)
        v_timer_set(SIG_TIMER, head->at > t ? head->at - t : 1);
}
