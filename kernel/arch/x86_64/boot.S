/*
 * boot.S: from the boot loader's 32-bit protected mode to kmain in 64-bit
 * long mode, running in the higher half.
 *
 * Two headers make one ELF bootable both ways:
 *   Multiboot 1 with the a.out fields, because QEMU's -kernel loader
 *   refuses ELF64 files but honours those fields (it loads the image as a
 *   flat blob at load_addr);
 *   Multiboot 2, for GRUB (grub-mkrescue ISO, BIOS and UEFI), which loads
 *   the ELF's segments at their physical addresses.
 * Both enter _start32 with paging off; eax holds the loader's magic and
 * ebx the physical address of its information structure, which we pass to
 * kmain untouched so C code can tell the two protocols apart.
 *
 * The boot page tables map the first 1 GiB three times with 2 MiB pages:
 * identity (for the instructions that switch to 64-bit mode), the direct
 * map at V_DIRECT_BASE, and the kernel image at KERNEL_VMA. C code builds
 * the final tables (all of RAM, W^X kernel sections) and drops these.
 */
#define KERNEL_VMA 0xffffffff80000000
#define COM1 0x3f8

#define MB1_MAGIC 0x1BADB002
#define MB1_FLAGS 0x00010003   /* page-aligned modules, memory info, a.out fields */
#define MB2_MAGIC 0xE85250D6

    .section .multiboot, "a"
    .align 4
mb1_header:
    .long MB1_MAGIC
    .long MB1_FLAGS
    .long -(MB1_MAGIC + MB1_FLAGS)
    .long mb1_header            /* header_addr: .boot is linked at its physical address */
    .long _kernel_phys_start    /* load_addr */
    .long _load_end_phys        /* load_end_addr */
    .long _bss_end_phys         /* bss_end_addr */
    .long _start32              /* entry_addr */

    .align 8
mb2_header:
    .long MB2_MAGIC
    .long 0                     /* architecture: i386 protected mode */
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + 0 + (mb2_header_end - mb2_header))
    /* module alignment tag: modules page aligned */
    .short 6, 0
    .long 8
    /* end tag */
    .short 0, 0
    .long 8
mb2_header_end:

    .section .boot.text, "ax"
    .code32
    .globl _start32
_start32:
    cli
    cld
    mov %eax, %edi              /* loader magic: first argument of kmain */
    mov %ebx, %esi              /* loader info (physical): second argument */

    /* Long mode and NX are CPUID 0x80000001 EDX bits 29 and 20. */
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    bt $29, %edx
    jnc no_long_mode
    mov %edx, %ebp              /* keep the NX bit for EFER below */

    /* Fill the 512 entries of boot_pd: 2 MiB pages, present + writable. */
    mov $boot_pd, %ebx
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax              /* P | RW | PS */
    mov %eax, (%ebx,%ecx,8)
    movl $0, 4(%ebx,%ecx,8)
    inc %ecx
    cmp $512, %ecx
    jne 1b

    mov $boot_pd, %eax
    or $0x3, %eax
    mov %eax, boot_pdpt_lo            /* pdpt_lo[0] -> pd */
    mov %eax, boot_pdpt_hi + 510*8    /* pdpt_hi[510] -> pd (KERNEL_VMA) */
    mov $boot_pdpt_lo, %eax
    or $0x3, %eax
    mov %eax, boot_pml4               /* [0]: identity */
    mov %eax, boot_pml4 + 256*8       /* [256]: direct map */
    mov $boot_pdpt_hi, %eax
    or $0x3, %eax
    mov %eax, boot_pml4 + 511*8       /* [511]: kernel image */

    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $0x20, %eax              /* PAE */
    mov %eax, %cr4
    mov $0xC0000080, %ecx       /* EFER */
    rdmsr
    or $0x100, %eax             /* LME */
    bt $20, %ebp
    jnc 2f
    or $0x800, %eax             /* NXE */
2:  wrmsr
    mov %cr0, %eax
    or $0x80010001, %eax        /* PG | WP | PE */
    mov %eax, %cr0

    lgdt boot_gdtr
    ljmp $0x08, $start64_low

no_long_mode:
    mov $no_lm_msg, %ebx
3:  movb (%ebx), %al
    test %al, %al
    jz 5f
    mov $COM1 + 5, %dx
4:  inb %dx, %al                /* wait for the transmitter to be empty */
    test $0x20, %al
    jz 4b
    movb (%ebx), %al
    mov $COM1, %dx
    outb %al, %dx
    inc %ebx
    jmp 3b
5:  hlt
    jmp 5b

    .code64
start64_low:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    movabs $start64_high, %rax
    jmp *%rax

    .section .boot.data, "aw"
    .align 4096
boot_pml4:    .fill 512, 8, 0
boot_pdpt_lo: .fill 512, 8, 0
boot_pdpt_hi: .fill 512, 8, 0
boot_pd:      .fill 512, 8, 0
    .align 8
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* 0x08: 64-bit code, ring 0 */
    .quad 0x00cf92000000ffff    /* 0x10: data, ring 0 */
boot_gdtr:
    .short boot_gdtr - boot_gdt - 1
    .long boot_gdt
no_lm_msg:
    .asciz "vectra: this CPU has no long mode (x86_64); halting\r\n"

    .text
    .cfi_sections .debug_frame  /* with the debug info: the image has no .eh_frame */
start64_high:
    .cfi_startproc
    .cfi_undefined rip          /* the outermost frame: debuggers stop here */
    movabs $kernel_stack_top, %rsp
    xor %ebp, %ebp
    mov %edi, %edi              /* zero-extend the 32-bit arguments */
    mov %esi, %esi
    call kmain
6:  cli
    hlt
    jmp 6b
    .cfi_endproc
