/*
 * linux-tiny: the program that linux-bench's fork+exec and posix_spawn
 * figures start. It is as small as a static Linux program gets (no libc, no
 * startup code: _start calls exit_group(0)), so those figures measure the
 * kernel's process creation and exec, not a C runtime's start-up.
 */
void _start(void);

void _start(void)
{
	__asm__ volatile("mov $231, %%eax\n\t" /* exit_group */
			 "xor %%edi, %%edi\n\t"
			 "syscall"
			 :
			 :
			 : "memory");
	__builtin_unreachable();
}
