/*
 * suite.c: the case runner behind suite.h. The order is the IDs' (areas
 * in order, "ZZZ" cases last), not the link order, so adding a file never
 * reorders the cases of another.
 */
#include "suite.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int suite_failed;
const char *suite_only;
static char why[256];

extern const struct suite_case __start_suite_cases[], __stop_suite_cases[];

void suite_fail(int line, const char *fmt, ...)
{
    if (suite_failed)
        return;
    suite_failed = 1;
    int n = snprintf(why, sizeof why, "line %d: ", line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why + n, sizeof why - (size_t)n, fmt, ap);
    va_end(ap);
}

static int by_id(const void *a, const void *b)
{
    return strcmp((*(const struct suite_case *const *)a)->id,
                  (*(const struct suite_case *const *)b)->id);
}

unsigned suite_run(const char *tag, void (*before)(void), void (*after)(void))
{
    size_t ncases = (size_t)(__stop_suite_cases - __start_suite_cases);
    const struct suite_case **order = malloc(ncases * sizeof *order);
    for (size_t i = 0; i < ncases; i++)
        order[i] = &__start_suite_cases[i];
    qsort(order, ncases, sizeof *order, by_id);

    unsigned passed = 0, failed = 0, hostile = 0;
    for (size_t k = 0; k < ncases; k++) {
        const struct suite_case *c = order[k];
        if (suite_only && strncmp(c->id, suite_only, strlen(suite_only)))
            continue;
        if (before)
            before();
        suite_failed = 0;
        c->fn();
        if (after)
            after();
        hostile += c->hostile;
        if (suite_failed) {
            failed++;
            printf("%s FAIL %s %s: %s\n", tag, c->id, c->what, why);
        } else {
            passed++;
            printf("%s PASS %s %s\n", tag, c->id, c->what);
        }
    }
    printf("%s SUMMARY %u cases, %u passed, %u failed, %u hostile\n", tag, passed + failed,
           passed, failed, hostile);
    free(order);
    return failed;
}
