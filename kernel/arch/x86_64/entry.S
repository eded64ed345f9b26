/*
 * entry.S: every way into the kernel and the one way out.
 *
 * From user mode, a trap's frame lands in the current Task's struct regs
 * (tss.rsp0 points at its end); the stub pushes the general registers
 * below it, then switches to the per-CPU kernel stack and calls C, which
 * never returns: it ends in arch_resume() for whichever Task runs next.
 * The kernel stack therefore holds nothing between entries, and a Task
 * switch is just resuming a different struct regs.
 *
 * From kernel mode (only the idle loop runs with interrupts on, and
 * kernel faults), the frame stays on the kernel stack and the stub
 * returns with iretq after C has looked at it.
 */
#include "arch_defs.h"

/* The order of struct regs (arch_defs.h): the last pushed is the first
 * field, and the six argument registers end up side by side. */
.macro PUSH_GPRS
    push %r15
    push %r14
    push %r13
    push %r12
    push %r11
    push %rbp
    push %rcx
    push %rbx
    push %rax
    push %r9
    push %r8
    push %r10
    push %rdx
    push %rsi
    push %rdi
.endm

.macro POP_GPRS
    pop %rdi
    pop %rsi
    pop %rdx
    pop %r10
    pop %r8
    pop %r9
    pop %rax
    pop %rbx
    pop %rcx
    pop %rbp
    pop %r11
    pop %r12
    pop %r13
    pop %r14
    pop %r15
.endm

/* Vectors whose exceptions push an error code. */
.macro ISR vec
    .align 16
isr_\vec:
    .if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
    .else
    push $0
    .endif
    push $\vec
    jmp trap_common
.endm

    .text
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80
    ISR \v
.endr

    .section .rodata
    .align 8
    .globl isr_table
isr_table:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80
    .quad isr_\v
.endr

    .text
    /* The local APIC's own spurious vector: no EOI, by definition. */
    .globl isr_spurious
isr_spurious:
    iretq

    /* Any other vector can only be a message a device was told to send
     * (no interrupt remapping stops one): acknowledge it so it cannot
     * hold the APIC's in-service priority up, and drop it. */
    .globl isr_unexpected
isr_unexpected:
    push %rax
    mov lapic(%rip), %rax
    test %rax, %rax
    jz 1f
    movl $0, 0xb0(%rax)
1:  pop %rax
    iretq

    .cfi_sections .debug_frame
trap_common:
    .cfi_startproc
    .cfi_undefined rip          /* a debugger's backtrace ends at the trap */
    PUSH_GPRS
    testb $3, REGS_RIP + 8(%rsp)        /* CS of the interrupted context */
    jz 1f
    mov %rsp, %rdi                      /* struct regs *, inside the Task */
    movabs $kernel_stack_top, %rsp
    call trap_user                      /* does not return */
    ud2
1:  mov %rsp, %rdi
    cld
    call trap_kernel
    POP_GPRS
    add $16, %rsp                       /* vector, error */
    iretq
    .cfi_endproc

/*
 * syscall: rcx = user rip, r11 = user rflags, rsp = user rsp, IF = 0.
 * Build the same frame an interrupt would, in the current Task's regs.
 * Single CPU: a scratch word holds the user rsp for two instructions.
 */
    .globl syscall_entry
syscall_entry:
    .cfi_startproc
    .cfi_undefined rip
    mov %rsp, syscall_user_rsp(%rip)
    mov cpu_tss+4(%rip), %rsp           /* tss.rsp0: end of current regs */
    push $SEL_UDATA
    push syscall_user_rsp(%rip)
    push %r11
    push $SEL_UCODE
    push %rcx
    push $0
    push $VEC_SYSCALL
    PUSH_GPRS
    mov %rsp, %rdi
    movabs $kernel_stack_top, %rsp
    call syscall_dispatch               /* does not return */
    ud2
    .cfi_endproc

/*
 * arch_resume(struct regs *r): enter user mode with r. A Task that last
 * entered through syscall leaves through sysretq (rip and rflags come from
 * rcx/r11); anything else through iretq. rip is always a user address:
 * the kernel validates every rip it stores, and the top user page is
 * never mapped, so sysret cannot fault in ring 0.
 */
    .globl arch_resume
arch_resume:
    mov %rdi, %rsp
    cmpq $VEC_SYSCALL, REGS_VECTOR(%rsp)
    je 2f
    POP_GPRS
    add $16, %rsp
    iretq
2:  POP_GPRS
    mov 16(%rsp), %rcx                  /* rip */
    mov 32(%rsp), %r11                  /* rflags */
    mov 40(%rsp), %rsp                  /* user rsp */
    sysretq

    .bss
    .align 16
syscall_user_rsp:
    .quad 0
    .globl kernel_stack_top
    .align 4096
kernel_stack:
    .skip 16384
kernel_stack_top:
