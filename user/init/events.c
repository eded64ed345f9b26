/*
 * events.c: init's record of what happened (every start, exit, fault,
 * restart, refusal, switch), the Supervisor's `events`; the newest
 * MAX_EVENTS are kept. Once the log service runs, each event is also
 * logged (as a warning when it is a fault or a crash), and the log is
 * given what it missed whenever init connects to it again.
 *
 * The bottom layer: it knows nothing of services but their names.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "init.h"
#include "logc.h"

struct event_rec events[MAX_EVENTS];
uint64_t nevents;
/* The log's records outlive the log service (user/services/logd/store.h), so what
 * it has taken is not sent again: in_log marks the events (of those kept)
 * it has. Events about the log itself are sent only when init connects
 * again, as the log they tell of may be gone (a send to it would wait
 * out its timeout). */
static bool log_connected;
static bool in_log[MAX_EVENTS];

uint64_t now_us(void) { return v_clock().val; }

void event_log_use(v_handle tx, v_handle rx)
{
    log_connected = rt_log_use(tx, rx) == IPC_OK;
    /* each record stamped with its event's time */
    for (uint64_t k = nevents > MAX_EVENTS ? nevents - MAX_EVENTS : 0; k < nevents; k++) {
        const struct event_rec *e = &events[k % MAX_EVENTS];
        if (!in_log[k % MAX_EVENTS])
            in_log[k % MAX_EVENTS] =
                rt_log_at(RT_LOG_INFO, e->time * 1000, "%s: %s", e->service, e->text) == 0;
    }
}

void event(const char *service, const char *fmt, ...)
{
    struct event_rec *e = &events[nevents % MAX_EVENTS];
    e->seq = ++nevents;
    e->time = now_us();
    snprintf(e->service, sizeof e->service, "%s", service);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
    in_log[(e->seq - 1) % MAX_EVENTS] = false;
    if (log_connected && strcmp(service, "log")) {
        if (rt_log(strstr(e->text, "fault") || strstr(e->text, "crash") ? RT_LOG_WARN
                                                                       : RT_LOG_INFO,
                   "%s: %s", e->service, e->text) != 0)
            log_connected = false;
        else
            in_log[(e->seq - 1) % MAX_EVENTS] = true;
    }
}
