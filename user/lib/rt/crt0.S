/* crt0: the first user instruction. rdi carries the kernel's argument
 * (the Bundle address once Bundles exist); the stack is 16-aligned. */
    .section .text.start, "ax"
    .globl _start
_start:
    xor %ebp, %ebp
    and $-16, %rsp
    call rt_start
    ud2
