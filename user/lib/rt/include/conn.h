/*
 * conn.h: client connections by Bundle name that make themselves again.
 *
 *     struct ipc_msg reply;
 *     int st = rt_conn_call("log", Log_method_query, p, len, &reply, 2000000, false);
 *
 * A connection is opened from the Bundle (NAME, NAME.rx) on first use.
 * One the service closed (it restarted) is made again on its next use:
 * a service's through the Task's naming root (Naming.connect
 * "SYS:svc/NAME"), a root's ("SYS:", any name ending in ':') by init
 * (Supervisor.reroot over the Bundle's "init"), for roots the Task's
 * manifest entry grants it; a service connection whose root died too is
 * made again after the root. A call that found its connection closed
 * before the request went out is sent once more on the new connection
 * (nothing was sent, so that is safe); a call closed after it went out
 * is not (the service may have acted on it). Calls skip late replies to
 * earlier calls that timed out, so a slow service cannot desynchronise a
 * connection.
 *
 * Invariants: at most RT_CONN_MAX names; a name's entry is never reused
 * for another name; an entry is OPEN only while both its Ring ends exist
 * (checked before every use: a connection the naming service made is
 * carved from that service's memory and vanishes with it).
 */
#ifndef RT_CONN_H
#define RT_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc.h"

#define RT_CONN_MAX 8

/* Beside the ipc statuses (all below 64): */
#define RT_CONN_FULL 64     /* more names than RT_CONN_MAX */
#define RT_CONN_ABSENT 65   /* the Task was not given it (and any is false) */

/* The open connection for name in *out: IPC_OK, RT_CONN_FULL,
 * RT_CONN_ABSENT, or IPC_CLOSED (gone, and could not be made again:
 * rt_conn_why may say why). any: a name not in the Bundle is connected
 * through SYS:svc/NAME (roots excepted). */
int rt_conn_get(const char *name, bool any, struct ipc_conn **out);

/* A request on name's connection and its reply (reply capabilities are
 * left to the caller): the statuses above, or an ipc status from the
 * call (IPC_TIMEOUT, IPC_CLOSED, IPC_CORRUPT ...). A connection found
 * closed or corrupt is marked lost, to be made again on its next use. */
int rt_conn_call(const char *name, bool any, uint16_t method, const void *p, size_t len,
                 struct ipc_msg *reply, uint64_t timeout_us);

/* One request on c and its reply, skipping late replies to earlier
 * requests: an ipc status. *unsent (optional): the request never left. */
int rt_call_skip(struct ipc_conn *c, uint16_t method, const void *p, size_t len,
                 struct ipc_msg *reply, uint64_t timeout_us, bool *unsent);

/* A connection handed over at run time (two client ends, moved in), used
 * for name instead of the Bundle's while both its ends exist: a logged-in
 * session's "init" (docs/KEYS.md). When its ends are revoked it is
 * dropped and name's Bundle connection serves again; it is never made
 * again. IPC_OK, RT_CONN_FULL (more than 4), or an ipc status. */
int rt_conn_adopt(const char *name, v_handle tx, v_handle rx);
/* Whether name's adopted connection is held and both its ends exist. */
bool rt_conn_adopted(const char *name);
/* Forget name's adopted connection (deleting what is left of it). */
void rt_conn_drop(const char *name);

/* Why init would not remake a naming root during the last get or call
 * ("" if it was not asked, or did not say): text from init, unfiltered. */
const char *rt_conn_why(void);

#endif
