/*
 * semver: the precedence of two SemVer 2.0.0 version strings (semver.org,
 * section 11), for choosing the newest of several versions of a capsule.
 *
 *     semver_cmp("1.0.0-alpha", "1.0.0") < 0
 *
 * Whether a string IS a valid version is lib/capsule's question
 * (capsule_valid_semver, applied to every manifest); this module only
 * orders. On valid versions the order is exactly the specification's:
 * major, minor, patch numerically; a pre-release below its release;
 * pre-release identifiers compared left to right, numeric ones as
 * numbers and below alphanumeric ones, alphanumeric ones in ASCII
 * order, a shorter list below a longer one it prefixes; build metadata
 * (after '+') ignored.
 *
 * Invariants (for any two NUL-terminated strings, valid or not):
 *   - reads no byte past either NUL, and terminates;
 *   - returns -1, 0 or 1, and semver_cmp(a, b) == -semver_cmp(b, a);
 *   - numbers of any length compare exactly (no overflow): by their
 *     length without leading zeros, then digit by digit.
 */
#ifndef LIB_SEMVER_SEMVER_H
#define LIB_SEMVER_SEMVER_H

int semver_cmp(const char *a, const char *b);

#endif
