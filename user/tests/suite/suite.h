/*
 * suite.h: the in-guest test framework that user/tests/ktest and user/tests/svctest
 * share, in the manner of sel4test. A case has an ID and a sentence
 * (hostile ones phrased as the question they answer); suite_run runs every
 * case of the program in ID order and prints one line per case, which the
 * QEMU harness (scripts/scenario.py, "cases: TAG") reports on its own:
 *     TAG PASS <ID> <sentence>
 *     TAG FAIL <ID> <sentence>: <why>
 * and last
 *     TAG SUMMARY <n> cases, <p> passed, <f> failed, <h> hostile
 * A case stops at its first failed assertion, and only the first failure's
 * reason is kept. A program's own suite header names the macros after
 * itself (KCASE, K_EQ; SCASE, S_EQ) and adds assertions of its own.
 */
#ifndef SUITE_H
#define SUITE_H

struct suite_case {
    const char *id, *what;
    int hostile;
    void (*fn)(void);
};

/* The cases live in one section, which the linker bounds with
 * __start_suite_cases and __stop_suite_cases. */
#define SUITE_CASE(ID, HOSTILE, WHAT)                                                   \
    static void ID##_fn(void);                                                          \
    static const struct suite_case ID##_case                                            \
        __attribute__((section("suite_cases"), used, aligned(8))) = {#ID, WHAT, HOSTILE, \
                                                                     ID##_fn};          \
    static void ID##_fn(void)

/* Fails the running case with "line <line>: <why>" (only the first call
 * of a case counts). */
void suite_fail(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern int suite_failed;

#define SUITE_TRUE(cond)                                                                \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            suite_fail(__LINE__, "%s is false", #cond);                                 \
            return;                                                                     \
        }                                                                               \
    } while (0)
#define SUITE_EQ(a, b)                                                                  \
    do {                                                                                \
        long long a_ = (long long)(a), b_ = (long long)(b);                             \
        if (a_ != b_) {                                                                 \
            suite_fail(__LINE__, "%s == %s: %lld != %lld", #a, #b, a_, b_);             \
            return;                                                                     \
        }                                                                               \
    } while (0)

/* Runs every case in ID order and prints the lines above under `tag`.
 * `before` and `after` (either may be NULL) run around each case; `after`
 * may still fail it (a leak check). Returns the number of failed cases. */
/* When set, only the cases whose ID starts with it run (a quick slice). */
extern const char *suite_only;
unsigned suite_run(const char *tag, void (*before)(void), void (*after)(void));

#endif
