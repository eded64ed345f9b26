/*
 * nettools.h: the shell's network tools, one program (boot images hold
 * at most 16 modules), four services of restart policy `tool` in
 * sys/netdev.json, told apart by their start argument (args[0]):
 *   1 net     the interfaces and their counters (net.c)
 *   2 ping    ICMP echo (ping.c)
 *   3 fetch   one HTTP/1.1 GET (fetch.c)
 *   4 listen  a TCP echo server (listen.c)
 *   5 bench   the network benchmark's servers (bench.c; scripts/bench's
 *             netbench image starts it at boot, not the shell)
 * Each reads its command line from init (tool.h) and prints on the
 * debug console.
 */
#ifndef NETTOOLS_H
#define NETTOOLS_H

int tool_net(void);
int tool_ping(void);
int tool_fetch(void);
int tool_listen(void);
int tool_bench(void);

#endif
