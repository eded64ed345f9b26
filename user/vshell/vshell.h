/*
 * vshell.h: the shell's pieces. main.c reads lines and dispatches;
 * cmds.c holds the commands; each command talks to one service over a
 * connection from the shell's Bundle:
 *   console   the terminal (required: without it the shell exits 2)
 *   init      Supervisor: ps, services, caps, start, stop, restart,
 *             kill, mem, events, capsule, halt, reboot; and reroot
 *   SYS:      the naming root: ls (any "X:" Bundle entry is a root)
 *   log       Log: log
 *   timer     Timer: uptime
 *   (any)     call: a service reached through SYS:svc/<name>
 * A missing connection makes only its commands fail, with a one-line
 * reason. A closed one is made again on its next use by the runtime
 * (user/lib/rt/conn.h): a service's through SYS: (Naming.connect
 * "SYS:svc/<name>"), a root's by init (Supervisor.reroot) once its naming
 * service has restarted; if that fails too, the command says why. Everything a service says is printed
 * through sh_clean, so a hostile name or log text cannot drive the
 * terminal.
 */
#ifndef VSHELL_H
#define VSHELL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "capnp/capnp.h"
#include "ipc.h"

#define SH_MAXARGS 16
#define LINE_MAX_SHELL 256   /* a line and its NUL: the console editor's limit */

struct sh_cmd {
    const char *name, *args, *help;
    void (*run)(int argc, char **argv);
};
extern const struct sh_cmd sh_cmds[];
extern const unsigned sh_ncmds;
/* Set by `exit`: the loop ends after the command (status 0). */
extern bool sh_exiting;

/* A connection by Bundle name, opened on first use; 0 if the shell has
 * none (the reason is printed as "<cmd>: ..."). */
struct ipc_conn *sh_conn(const char *cmd, const char *name);
/* The same for any service, given to the shell or not: one it was not
 * given is connected through SYS:svc/<name>. */
struct ipc_conn *sh_conn_any(const char *cmd, const char *name);

/* Call a method and open the reply as a message (empty payload: all
 * defaults). Returns false after printing "<cmd>: <why>". */
struct sh_reply {
    struct ipc_msg m;
    struct capnp_msg msg;
};
bool sh_call(const char *cmd, const char *conn, uint16_t method, const void *payload,
             size_t len, struct sh_reply *r, uint64_t timeout_us);
/* Same, with a builder the caller filled. */
bool sh_call_built(const char *cmd, const char *conn, uint16_t method, struct capnp_builder *b,
                   struct sh_reply *r, uint64_t timeout_us);
/* One request on c and its reply, any payload (late replies to earlier
 * calls skipped): an ipc status. */
int sh_call_raw(struct ipc_conn *c, uint16_t method, const void *p, size_t len,
                struct ipc_msg *reply, uint64_t timeout_us);
/* `call SERVICE [METHOD [FIELD=VALUE ...]]` by schema (call.c). */
void sh_call_schema(int argc, char **argv);
/* A tool (tools.c): run argv[0] through the Supervisor with the rest of
 * the line and wait for it to end; false if there is no such tool. */
bool sh_run_tool(int argc, char **argv);
/* After reading a reply: false (and a message) if it was malformed. */
bool sh_reply_ok(const char *cmd, struct sh_reply *r);

/* Print text from elsewhere with control bytes and bytes >= 0x7f as '?',
 * padded (or cut) to width if width > 0. */
void sh_clean(struct capnp_text t, int width);
void sh_clean_str(const char *s, size_t len, int width);
/* 1536 -> "1.5K", 3 MiB -> "3.0M", below 1 KiB plain bytes. */
const char *sh_size(uint64_t bytes, char buf[16]);
/* Parse a whole decimal (or 0x hex) number; false on anything else. */
bool sh_number(const char *s, uint64_t *out);

#endif
