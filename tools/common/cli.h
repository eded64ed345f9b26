/*
 * cli.h: the command-line conventions the host tools share (vkey and
 * vcapsule): the manual is printed by --help, -h or a first word "help";
 * `-o FILE` never replaces an existing file without --force;
 * bad usage prints "<prog>: <what>" and "Try '<prog> --help'." and exits 2;
 * a bad file or failed check prints "<prog>: error: <message>" (the
 * message host_err() recorded, see tools/vkey/host.h) and exits 1.
 *
 * Options are read from a table: every option takes one value except the
 * flags, and at most one word that is not an option is the file operand.
 */
#ifndef VECTRA_TOOLS_CLI_H
#define VECTRA_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The program name in every message; set by cli_start. */
extern const char *cli_prog;

/* Sets cli_prog, initialises libsodium (exit 1 if it cannot), and prints
 * `manual` and exits 0 when any argument asks for help. */
void cli_start(const char *prog, const char *manual, int argc, char **argv);

_Noreturn void cli_fail(void);
/* fmt has one %s, filled with arg. */
_Noreturn void cli_usage(const char *fmt, const char *arg);
/* "missing <what>" unless v is set. */
void cli_need(const char *v, const char *what);
/* A decimal number in [lo, hi]; otherwise cli_usage(fmt, s). */
long long cli_num(const char *s, const char *fmt, long long lo, long long hi);
/* The one -o rule of both tools: an existing output file is refused
 * unless --force was given (then it is replaced atomically). */
void cli_check_out(const char *path, int force);
/* host_read_file, failing with its message. */
void cli_read(const char *path, size_t max, uint8_t **buf, size_t *len);

struct cli_opt {
    const char *name;   /* "--out" */
    const char *alias;  /* "-o", or NULL */
    const char **value; /* where the option's value goes; NULL for a flag */
    int *flag;          /* set to 1 by a flag */
};

/* Reads argv[first..argc) against `opts` (ended by an entry with no name).
 * A word starting with '-' that no entry names is an unknown option, except
 * a lone "-" when dash_is_file; the one other word goes to *file (which the
 * caller has set to NULL). */
void cli_parse(int argc, char **argv, int first, const struct cli_opt *opts, const char **file,
               bool dash_is_file);

#endif
