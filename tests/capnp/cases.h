/*
 * cases: the test messages of tests/capnp/<case>.json, built and checked with
 * the generated C API for tests/capnp/test.capnp (TestAll).
 *
 * capnp_case_build() builds the same value that capnp makes from
 * <name>.json; capnp_case_check() checks, field by field, that a reader
 * sees that value. The host tests and tests/capnp/capnp_io.c (driven by
 * tests/tools/capnp_interop.sh) share them, so both directions of the
 * interop test compare against one description of each case.
 */
#ifndef TESTS_CAPNP_CASES_H
#define TESTS_CAPNP_CASES_H

#include "tests/capnp/test.capnp.h"

extern const char *const capnp_case_names[];   /* NULL-terminated */

/* Builds case `name` as the root of b; 0, or -1 for an unknown name. */
int capnp_case_build(const char *name, struct capnp_builder *b);
/* NULL if r holds case `name`; else a description of the first mismatch. */
const char *capnp_case_check(const char *name, TestAll_R r);

#endif
