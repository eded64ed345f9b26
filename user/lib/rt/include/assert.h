#ifndef RT_ASSERT_H
#define RT_ASSERT_H
__attribute__((noreturn)) void rt_assert_fail(const char *expr, const char *file, int line);
#define assert(e) ((e) ? (void)0 : rt_assert_fail(#e, __FILE__, __LINE__))
#endif
