/*
 * tool.h: what a tool (a service with restart policy `tool`, run by the
 * shell through Supervisor.run) needs: its command line, split into
 * words, and a small shared wait on Signal bits.
 */
#ifndef RT_TOOL_H
#define RT_TOOL_H

#include <stdint.h>

/* Ask init (Bundle "init") for our command line and split it at spaces
 * into argv[0..max), in buf. Returns the word count, or -1 if init does
 * not answer. */
int tool_args(char *buf, unsigned n, char **argv, int max);
/* Parse a dotted IPv4 address (host byte order); 0 on success. */
int tool_ipv4(const char *s, uint32_t *out);
/* A whole decimal number in [lo, hi]; 0 on success. */
int tool_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out);
/* Wait for any of bits (nonzero), at most us microseconds: the bits that fired. */
uint64_t tool_wait(uint64_t bits, uint64_t us);

#endif
