/*
 * capsule_build: making capsules on the host (the inverse of
 * lib/capsule/verify.c): manifest JSON -> canonical Manifest, payload
 * records, the envelope, and signing. Used by vcapsule and the tests.
 */
#ifndef VECTRA_CAPSULE_BUILD_H
#define VECTRA_CAPSULE_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "capsule/capsule.h"
#include "json.h"

struct vbuf {
    uint8_t *p;
    size_t len, cap;
};

void vbuf_put(struct vbuf *b, const void *data, size_t len);
void vbuf_free(struct vbuf *b);

/* Appends one blob record (u64 size, bytes, zero padding to 8). */
void vc_payload_add(struct vbuf *payload, const uint8_t *data, size_t len);

/* Checks a manifest document's keys and value types, reads each blob's
 * "file" (relative to basedir), fills in "size" and "integrity", appends
 * the blobs to payload, sets the top-level "integrity", and converts the
 * result to canonical bytes, which it then checks with the verifier's
 * own manifest reader. */
int vc_manifest_from_json(struct json *m, const char *basedir, struct vbuf *payload,
                          uint8_t **man, size_t *mlen);

/* Lays out an envelope (proof may be empty: an unsigned capsule). */
void vc_envelope(const uint8_t *man, size_t mlen, const uint8_t *proof, size_t plen,
                 const uint8_t *pay, size_t paylen, struct vbuf *out);

/* Builds an unsigned capsule from a manifest file. */
int vc_build_file(const char *manifest_path, struct vbuf *out);

/* Signs (or re-signs) a capsule with a Machine key and its certificate
 * image (.vcert); refuses a certificate for another key. */
int vc_sign(const uint8_t *cap, size_t len, const uint8_t pk[32], const uint8_t sk[64],
            const uint8_t *cert, size_t certlen, struct vbuf *out);

/* Whether cert (already decoded) may sign this capsule: a well-formed
 * capsule, a certificate for Machine key pk, and the capsule's domain
 * among the certificate's. */
int vc_sign_check(const uint8_t *cap, size_t len, const uint8_t pk[32],
                  const struct capsule_cert *cert);

/* A policy file: JSON (converted with capnp) or canonical binary. The
 * result has been checked with capsule_policy_open(). */
int vc_load_policy(const char *path, uint8_t **out, size_t *len);

#endif
