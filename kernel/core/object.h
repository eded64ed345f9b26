/*
 * object: what a capability's going means for the object it names, and
 * the shared retype arithmetic. cap.c calls obj_cap_gone for every slot it
 * empties; this file routes to the object's own file (task.c, ring.c,
 * aspace.c, reticle.c ...), which is where the behaviour lives.
 */
#ifndef CORE_OBJECT_H
#define CORE_OBJECT_H

#include "core/cap.h"

/* gone: a copy of the slot as it was; slot: the now-empty slot. */
void obj_cap_gone(const struct cap *gone, struct cap *slot);
/* Give src to an empty slot that another Task will own: a copy (a child
 * of src, never mapped) or, with move, src itself. A moved FRAME keeps its
 * mapping, which now belongs to the receiver: unmapping it (to map it
 * anew) takes the page away from the sender — the zero-copy hand-over. */
void obj_transfer(struct cap *dst, struct cap *src, bool move);
/* Bytes an object of this type and parameter occupies, or 0 if invalid. */
uint64_t obj_size(unsigned type, uint64_t param);

#endif
