#ifndef CORE_ROOT_H
#define CORE_ROOT_H
#include "core/task.h"
/* The root Task from boot module 0, ready to start; 0 (with the reason
 * printed) if the module is missing or not a valid executable. */
struct task *root_create(const struct boot_info *bi);
#endif
