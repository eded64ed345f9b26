/*
 * trust.h: the install policy beyond the signature, at boot (policy.c;
 * docs/TRUST.md "In the OS"). capsule.c calls trust_boot() once the
 * policy is open and trust_check() for each capsule lib/capsule verified.
 */
#ifndef INIT_TRUST_H
#define INIT_TRUST_H

#include <stdbool.h>

#include "capsule/capsule.h"

struct capsule;

void trust_boot(const struct capsule_policy *p);
/* false: refused by the install policy; c->reason and c->brief say why. */
bool trust_check(struct capsule *c, const struct capsule_policy *p);

/* After the manifest is read, before the capsule services are bound:
 * the memory of earlier boots from the store (policy.c). */
void trust_persisted(void);
/* capsule.c: again(c) for every verified capsule in module order; false
 * refuses it (c->reason says why). */
void capsule_trust_again(bool (*again)(struct capsule *c, const struct capsule_policy *p));

#endif
