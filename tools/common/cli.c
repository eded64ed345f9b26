/*
 * cli.c: the host tools' command line (see cli.h). Every exit a tool takes
 * on bad input goes through here, so the two tools word their usage
 * errors and failures the same way.
 */
#include "cli.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host.h"

const char *cli_prog = "?";

void cli_start(const char *prog, const char *manual, int argc, char **argv)
{
    cli_prog = prog;
    if (sodium_init() < 0) {
        fprintf(stderr, "%s: error: libsodium failed to initialise\n", prog);
        exit(1);
    }
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") ||
            (i == 1 && !strcmp(argv[i], "help"))) {
            fputs(manual, stdout);
            exit(0);
        }
}

_Noreturn void cli_fail(void)
{
    fprintf(stderr, "%s: error: %s\n", cli_prog, host_errmsg());
    exit(1);
}

_Noreturn void cli_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", cli_prog);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry '%s --help'.\n", cli_prog);
    exit(2);
}

void cli_need(const char *v, const char *what)
{
    if (!v)
        cli_usage("missing %s", what);
}

long long cli_num(const char *s, const char *fmt, long long lo, long long hi)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        cli_usage(fmt, s);
    return v;
}

void cli_check_out(const char *path, int force)
{
    struct stat st;
    if (!force && lstat(path, &st) == 0) {
        host_err("%s exists (add --force to replace it)", path);
        cli_fail();
    }
}

void cli_read(const char *path, size_t max, uint8_t **buf, size_t *len)
{
    if (host_read_file(path, max, buf, len) < 0)
        cli_fail();
}

static const struct cli_opt *lookup(const struct cli_opt *opts, const char *a)
{
    for (const struct cli_opt *o = opts; o->name; o++)
        if (!strcmp(a, o->name) || (o->alias && !strcmp(a, o->alias)))
            return o;
    return NULL;
}

void cli_parse(int argc, char **argv, int first, const struct cli_opt *opts, const char **file,
               bool dash_is_file)
{
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const struct cli_opt *o = lookup(opts, a);
        if (o && !o->value) {
            *o->flag = 1;
            continue;
        }
        if (!o) {
            if (a[0] == '-' && !(dash_is_file && !a[1]))
                cli_usage("unknown option '%s'", a);
            if (*file)
                cli_usage("unexpected argument '%s'", a);
            *file = a;
            continue;
        }
        if (i + 1 >= argc)
            cli_usage("option '%s' needs a value", a);
        *o->value = argv[++i];
    }
}
