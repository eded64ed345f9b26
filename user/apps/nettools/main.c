/*
 * nettools: see nettools.h.
 */
#include <stdio.h>

#include "nettools.h"
#include "rt.h"

int main(void)
{
    switch (rt_arg()) {
    case 1: return tool_net();
    case 2: return tool_ping();
    case 3: return tool_fetch();
    case 4: return tool_listen();
    case 5: return tool_bench();
    }
    printf("nettools: start argument %llu names no tool\n", (unsigned long long)rt_arg());
    return 2;
}
