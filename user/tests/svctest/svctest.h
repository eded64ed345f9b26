/*
 * svctest.h: the services' in-guest test suite (root Task of the
 * "services" image), on user/tests/ktest's framework (user/tests/suite/suite.h): each
 * case has an ID and a sentence (hostile ones phrased as the question they
 * answer), and prints one line the QEMU harness reads:
 *     SVCTEST PASS <ID> <sentence>
 *     SVCTEST FAIL <ID> <sentence>: <why>
 * Cases that need typed input print "SVCTEST INPUT <tag>" first; the
 * scenario (tests/scenarios/services.scn) types after seeing it.
 *
 * svctest starts logd, serial (with "log") and timerd (with "log") as
 * children with their own accept Rings, and connects to them itself with
 * ipc_introduce under whatever client name a case wants. With "shell" on
 * the kernel command line it instead starts vshell too and serves mock
 * Supervisor and Naming interfaces for it (mock.c).
 */
#ifndef SVCTEST_H
#define SVCTEST_H

#include <stdio.h>
#include <string.h>

#include "../suite/suite.h"
#include "ipc.h"
#include "rt.h"

/* Object-like aliases, so that #cond still names what the case wrote. */
#define SCASE SUITE_CASE
#define S_TRUE SUITE_TRUE
#define S_EQ SUITE_EQ
#define st_fail suite_fail

/* An ipc status that must be IPC_OK. */
#define S_IPC(call)                                                                     \
    do {                                                                                \
        int s_ = (call);                                                                \
        if (s_ != IPC_OK) {                                                             \
            st_fail(__LINE__, "%s: %s", #call, ipc_strerror(s_));                       \
            return;                                                                     \
        }                                                                               \
    } while (0)
#define S_STR(a, b)                                                                     \
    do {                                                                                \
        const char *a_ = (a), *b_ = (b);                                                \
        if (strcmp(a_, b_)) {                                                           \
            st_fail(__LINE__, "%s: \"%s\" != \"%s\"", #a, a_, b_);                      \
            return;                                                                     \
        }                                                                               \
    } while (0)

/* The services under test. */
enum { SVC_LOG, SVC_SERIAL, SVC_TIMER, SVC_SHELL, NSVC };
struct svc {
    const char *name, *module;
    const void *elf;
    size_t elf_len;
    v_handle accept_tx;          /* ours: the right to connect clients */
    struct rt_child child;
    bool running;
};
extern struct svc svcs[NSVC];
extern v_handle T;               /* the test Reticle */
extern v_handle SELF;

/* Connect to a service as `as` (the name the service will know us by). */
int st_connect(int svc, const char *as, struct ipc_conn *c);
/* Send a request and wait for the reply with its id (late replies to
 * earlier requests are skipped). The reply's kind is the caller's to
 * judge: method | IPC_REPLY, or IPC_ERROR | IPC_REPLY. */
int st_call(struct ipc_conn *c, uint16_t kind, const void *p, uint32_t len,
            struct ipc_msg *reply, uint64_t timeout_us);
/* Send without waiting; returns the id used. */
uint64_t st_send(struct ipc_conn *c, uint16_t kind, const void *p, uint32_t len, int *status);
#define ERROR_REPLY (IPC_ERROR | IPC_REPLY)
void st_sleep_ms(uint64_t ms);
uint64_t st_free(void);          /* free bytes of T */
/* Services release a closed connection's Rings when they next look:
 * wait until T's free bytes stop changing (quiesce) or reach `want`. */
uint64_t st_quiesce(void);
uint64_t st_settle(uint64_t want);
/* Is the service's Task alive and fault-free? */
bool st_alive(int svc);
/* Print, flushed, a marker the scenario types after. */
void st_input(const char *tag);

/* Mock init and naming for the shell (mock.c), on one accept Ring: the
 * client name says which ("...:init" or "...:naming"). */
extern v_handle mock_accept_tx, mock_accept_rx;
void mock_serve_shell(void);

#endif
