/*
 * vtest: the host unit-test framework.
 *
 * A test file defines cases with TEST(name) { ... }; each registers itself
 * at load time, and vtest_main.c runs them all, printing one line per case
 * and a final "N passed, N failed" line. A CHECK that fails records the
 * expression, file and line and ends the case (later cases still run).
 *
 * Why our own: twenty lines do the job, and every test binary links the
 * same main, so scripts/test-all can add up results from any of them.
 */
#ifndef VTEST_H
#define VTEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct vtest_case {
    const char *name;
    const char *file;
    void (*fn)(void);
    struct vtest_case *next;
};

void vtest_register(struct vtest_case *c);
void vtest_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

#define TEST(name)                                                        \
    static void test_##name(void);                                        \
    static struct vtest_case vtest_case_##name = {#name, __FILE__,        \
                                                  test_##name, 0};        \
    __attribute__((constructor)) static void vtest_reg_##name(void)       \
    {                                                                     \
        vtest_register(&vtest_case_##name);                               \
    }                                                                     \
    static void test_##name(void)

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (!(cond))                                                      \
            vtest_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);           \
    } while (0)

#define CHECK_EQ(a, b)                                                    \
    do {                                                                  \
        long long va_ = (long long)(a), vb_ = (long long)(b);             \
        if (va_ != vb_)                                                   \
            vtest_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)", #a, \
                       #b, va_, vb_);                                     \
    } while (0)

#define CHECK_MEM(a, b, n)                                                \
    do {                                                                  \
        if (memcmp((a), (b), (n)) != 0)                                   \
            vtest_fail(__FILE__, __LINE__, "memcmp(%s, %s, %s) != 0", #a, \
                       #b, #n);                                           \
    } while (0)

#define CHECK_STR(a, b)                                                   \
    do {                                                                  \
        const char *sa_ = (a), *sb_ = (b);                                \
        if (strcmp(sa_, sb_) != 0)                                        \
            vtest_fail(__FILE__, __LINE__, "%s == %s (\"%s\" != \"%s\")", \
                       #a, #b, sa_, sb_);                                 \
    } while (0)

#endif
