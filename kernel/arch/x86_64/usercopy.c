/*
 * usercopy.c: range checks for the user-copy seam. A user pointer is
 * accepted only if the whole range lies in [V_USER_BASE, V_USER_TOP):
 * kernel addresses and non-canonical ones are V_EFAULT before any access.
 */
#include "arch.h"

_Static_assert(V_EFAULT == 7, "usercopy.S returns 7");

bool cpu_has_smap;
int copy_user_raw(void *dst, const void *src, size_t n);

static bool user_range_ok(uint64_t a, size_t n)
{
    return a >= V_USER_BASE && a < V_USER_TOP && n <= V_USER_TOP - a;
}

int arch_copy_from_user(void *dst, uint64_t usrc, size_t n)
{
    if (n == 0)
        return V_OK;
    if (!user_range_ok(usrc, n))
        return V_EFAULT;
    return copy_user_raw(dst, (const void *)usrc, n);
}

int arch_copy_to_user(uint64_t udst, const void *src, size_t n)
{
    if (n == 0)
        return V_OK;
    if (!user_range_ok(udst, n))
        return V_EFAULT;
    return copy_user_raw((void *)udst, src, n);
}
