/*
 * console.h: the client side of the console service (schema/console.capnp).
 *
 *     rt_console_attach();                  stdout now goes to Console.write
 *     printf("name? ");
 *     int n = rt_console_readline(buf, sizeof buf);
 *
 * rt_console_attach opens the Task's "console" connection (Bundle entries
 * "console" and "console.rx") and redirects stdout to it (rt_set_output);
 * rt_console_use does the same with Ring ends the caller already holds.
 * Writes are split to fit a message (IPC_PAYLOAD_MAX). readline flushes
 * stdout first (so a prompt without a newline shows), then blocks until
 * the user ends the line; the service does the editing and echo.
 */
#ifndef RT_CONSOLE_H
#define RT_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

#include "rt.h"

#define RT_CONSOLE_EOF (-1)       /* Ctrl-D, or another client is reading */
#define RT_CONSOLE_TOOLONG (-2)   /* longer than cap - 1: buf holds its start */
#define RT_CONSOLE_ERROR (-3)     /* no console, or it broke the protocol */
#define RT_CONSOLE_NOTASCII (-4)  /* the editor dropped bytes >= 0x80 from it */

/* 0, or an ipc status (IPC_CLOSED when the Task has no "console"). */
int rt_console_attach(void);
int rt_console_use(v_handle tx, v_handle rx);
bool rt_console_attached(void);

/* Bytes written (all of them), or RT_CONSOLE_ERROR. */
long rt_console_write(const void *buf, size_t n);

/* The line's length (NUL-terminated in buf, cap >= 1), or one of the
 * negative RT_CONSOLE_* codes. Ctrl-C gives an empty line. */
int rt_console_readline(char *buf, size_t cap);
int rt_console_readline_echo(char *buf, size_t cap, bool echo);
/* The words Tab completes the first word from on later reads
 * (blank-separated; the caller keeps the string alive; NULL: none). */
void rt_console_set_words(const char *words);

#endif
