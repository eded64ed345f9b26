/* hello: the smallest root Task: prints through the debug console and exits. */
#include <stdio.h>

#include "rt.h"

int main(void)
{
    printf("hello from the first task\n");
    return 0;
}
