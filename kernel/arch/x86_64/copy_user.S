/*
 * usercopy.S: the user-copy seam. The C wrappers (usercopy.c) have
 * already checked that the user range lies below V_USER_TOP; what remains
 * is an unmapped or protected page, which faults inside `rep movsb`: the
 * kernel trap handler finds that instruction in the exception table and
 * resumes at the fixup, which returns V_EFAULT instead of panicking.
 * The copy moves words, then the last few bytes: `rep movsq` is one
 * instruction per 8 bytes where `rep movsb` is one per byte (and under
 * TCG icount every iteration counts as an instruction).
 * SMAP, when the CPU has it, is opened (stac) only around the copy.
 */
#include <vectra/abi.h>

    .text
/* int copy_user_raw(void *dst, const void *src, size_t n) */
    .globl copy_user_raw
copy_user_raw:
    mov %rdx, %rcx
    shr $3, %rcx
    and $7, %edx
    cmpb $0, cpu_has_smap(%rip)
    je 1f
    stac
1:
copy_words:
    rep movsq
    mov %rdx, %rcx
copy_bytes:
    rep movsb
    cmpb $0, cpu_has_smap(%rip)
    je 2f
    clac
2:  xor %eax, %eax
    ret
copy_fixup:
    cmpb $0, cpu_has_smap(%rip)
    je 3f
    clac
3:  mov $7, %eax                    /* V_EFAULT */
    ret

    .section .extable, "a"
    .quad copy_words, copy_fixup
    .quad copy_bytes, copy_fixup
