#ifndef CORE_ROOT_H
#define CORE_ROOT_H
#include "core/task.h"
/* The root Task from boot module 0, ready to start; 0 (with the reason
 * printed) if the module is missing or not a valid executable. */
struct task *root_create(const struct boot_info *bi, uint64_t tsc_entry);
/* Seal boot memory; give the rest to the root as Reticles. */
void root_give_memory(const struct boot_info *bi);
/* Record in the boot information page when the root Task first ran. */
void root_set_start_tsc(uint64_t tsc);
#endif
