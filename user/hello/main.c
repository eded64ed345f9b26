/* hello: the smallest root Task: prints through the debug call and exits. */
#include "rt.h"

int main(void)
{
    rt_puts("hello from the first task\n");
    return 0;
}
