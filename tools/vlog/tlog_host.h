/*
 * tlog_host.h: lib/tlog's crypto interface on the host (libsodium), shared
 * by vlog and the host tests. The caller has run sodium_init().
 */
#ifndef VECTRA_TLOG_HOST_H
#define VECTRA_TLOG_HOST_H

#include "tlog/tlog.h"

extern const struct tlog_crypto tlog_host_crypto;

#endif
