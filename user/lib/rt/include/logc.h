/*
 * logc.h: logging to the log service (schema/log.capnp) from any Task.
 *
 *     rt_log(RT_LOG_WARN, "disk %d is slow", n);
 *
 * The record goes over the Task's "log" connection (Bundle entries "log"
 * and "log.rx"), opened on first use. A Task without one logs nothing,
 * silently; so does a Task whose log service has gone away. The service
 * stamps the source (the name it knows the connection by), the time and
 * a sequence number. Text longer than RT_LOG_TEXT bytes is cut there.
 */
#ifndef RT_LOGC_H
#define RT_LOGC_H

#include <stdarg.h>
#include <stdint.h>

#include <vectra/abi.h>

/* The schema's Log.Level, value for value. */
enum rt_log_level {
    RT_LOG_TRACE = 0,
    RT_LOG_DEBUG,
    RT_LOG_INFO,
    RT_LOG_WARN,
    RT_LOG_ERROR,
    RT_LOG_FATAL,
};

#define RT_LOG_TEXT 200

/* Returns 0 if the service took the record, else an ipc status
 * (IPC_CLOSED when the Task has no log connection). */
int rt_log(enum rt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int rt_vlog(enum rt_log_level level, const char *fmt, va_list ap);
/* A record of an event that happened earlier, at event_ns (nanoseconds
 * since boot, as v_clock); the service keeps both times. */
int rt_log_at(enum rt_log_level level, uint64_t event_ns, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Log through this connection (two ends, moved in) instead of the Bundle's
 * "log"; replaces any earlier one. */
int rt_log_use(v_handle tx, v_handle rx);

#endif
