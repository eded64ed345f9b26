/*
 * host.h: what the host-side key and capsule code shares (tools/vkey,
 * tools/vcapsule and their tests): error reporting, files, hex,
 * passphrases, running `capnp convert`, and the host crypto behind the
 * freestanding verifier's interface.
 *
 * Error convention: functions return 0 on success and -1 on failure after
 * recording a one-line message with host_err(); the tool prints it as
 * "<tool>: error: <message>" and exits 1. Nothing here exits on its own.
 */
#ifndef VECTRA_HOST_H
#define VECTRA_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "capsule/capsule.h"

int host_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *host_errmsg(void);

/* Reads a whole file (at most max bytes, else an error). *out is malloc'd
 * with one extra NUL byte after the data. */
int host_read_file(const char *path, size_t max, uint8_t **out, size_t *len);
/* Writes atomically (temporary file + rename) with the given mode. */
int host_write_file(const char *path, const void *data, size_t len, int mode);

/* The one way both tools print a time and a set of trust domains:
 * "2023-11-14T22:13:20Z" (UTC; the Unix seconds for a time gmtime cannot
 * show) and "D0,D2" (JSON: "\"D0\",\"D2\"", the inside of an array). */
void host_time(char out[32], int64_t t);
void host_domains(char out[32], unsigned mask, int json);

void host_hex(char *out, const uint8_t *in, size_t n); /* out: 2n+1 bytes */
int host_unhex(uint8_t *out, size_t n, const char *in); /* exactly 2n hex digits */

/* A passphrase: the first line of `file` (its line end, LF or CRLF, is not
 * part of it) if given, else prompted on the terminal without echo (twice
 * when `confirm`). Refuses an empty one, control characters, and one
 * longer than cap - 1 bytes. `option` names the file option for the
 * message given when there is neither a file nor a terminal. */
int host_passphrase(const char *file, const char *option, const char *prompt, int confirm,
                    char *out, size_t cap);
/* One line typed on the terminal without echo (for the mnemonic words);
 * `option` as above. */
int host_ask(const char *option, const char *prompt, char *out, size_t cap);

/* Runs `capnp convert <conv> <schema> <type>` on `in`; output malloc'd. */
int host_capnp_convert(const char *conv, const char *type, const uint8_t *in, size_t inlen,
                       uint8_t **out, size_t *outlen);
const char *host_schema_path(void);

/* Host crypto: libsodium (SHA-256, Ed25519), OpenSSL (SHA3-512). */
extern const struct capsule_crypto host_crypto;

void host_wipe(void *p, size_t n);

#endif
