/*
 * vtest_main: runs every registered case in registration order.
 * Output, one line per case:  "PASS <file>:<name>" or "FAIL <file>:<name>: why"
 * then "N passed, N failed". Exit status is 1 if anything failed.
 * A case may be selected by name: ./test_x <substring>.
 */
#include "vtest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>

static struct vtest_case *head, **tail = &head;
static jmp_buf case_env;
static char why[512];

void vtest_register(struct vtest_case *c)
{
    *tail = c;
    tail = &c->next;
}

void vtest_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(why, sizeof why, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vsnprintf(why + n, sizeof why - (size_t)n, fmt, ap);
    va_end(ap);
    longjmp(case_env, 1);
}

int main(int argc, char **argv)
{
    static int passed, failed;          /* static: survive longjmp */
    static struct vtest_case *c;
    for (c = head; c; c = c->next) {
        if (argc > 1 && !strstr(c->name, argv[1]))
            continue;
        const char *base = strrchr(c->file, '/');
        base = base ? base + 1 : c->file;
        if (setjmp(case_env) == 0) {
            c->fn();
            printf("PASS %s:%s\n", base, c->name);
            passed++;
        } else {
            printf("FAIL %s:%s: %s\n", base, c->name, why);
            failed++;
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
