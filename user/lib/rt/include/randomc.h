/*
 * randomc.h: randomness from the entropy service (schema/random.capnp).
 *
 *     uint8_t key[32];
 *     int e = rt_random(RT_RANDOM_HIGH, key, sizeof key, 10000000);
 *     if (e) rt_die("no key: %s (%s)", rt_random_strerror(e), rt_random_why());
 *
 * The request goes over the Task's "random" connection (Bundle entries
 * "random" and "random.rx"), opened on first use. wait_us = 0 asks at
 * once; otherwise the service holds the request up to wait_us (at most
 * Random_maxWaitUs) until the level is reached. Either all n bytes are
 * written or none are (a refusal in the middle of a long read erases what
 * was written) and the reason is kept for rt_random_why().
 */
#ifndef RT_RANDOMC_H
#define RT_RANDOMC_H

#include <stddef.h>
#include <stdint.h>

/* The schema's Random.Level, value for value. */
enum rt_random_level {
    RT_RANDOM_SLOPPY = 0,
    RT_RANDOM_STANDARD,
    RT_RANDOM_HIGH,
};

/* Results: 0, a Random.Status (1 unseeded, 2 highWaiting, 3 badRequest,
 * 4 busy), or RT_RANDOM_NOSERVICE / RT_RANDOM_PROTOCOL. */
#define RT_RANDOM_NOSERVICE 100
#define RT_RANDOM_PROTOCOL 101

int rt_random(enum rt_random_level level, void *buf, size_t n, uint64_t wait_us);
/* The service's reason for the last refusal ("" if none). */
const char *rt_random_why(void);
const char *rt_random_strerror(int e);
/* Use this connection (two ends, moved in) instead of the Bundle's "random". */
int rt_random_use(uint64_t tx, uint64_t rx);

#endif
