/* hello: the smallest root Task: prints through the debug console and
 * exits. With "delete=NAME" on the boot command line it first deletes its
 * own Bundle capability NAME (self, table or aspace): the root's end is
 * the system's end (docs/ABI.md section 7), so the machine halts and
 * nothing after the deletion runs. */
#include <stdio.h>
#include <string.h>

#include "rt.h"

int main(void)
{
    printf("hello from the first task\n");
    const struct v_bootinfo *bi = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    const char *d = strstr(bi->cmdline, "delete=");
    if (d) {
        char name[16] = {0};
        for (int i = 0; i < 15 && d[7 + i] && d[7 + i] != ' '; i++)
            name[i] = d[7 + i];
        struct v_ret r = v_cap_delete(rt_cap(name));
        printf("still running after deleting '%s': %s\n", name, rt_errname(r.err));
        return 1;
    }
    return 0;
}
