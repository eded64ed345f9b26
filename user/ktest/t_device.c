/* Driver capabilities: I/O ports, IRQs, the debug console. */
#include "ktest.h"
#include "pci/pci.h"

#define COM1 0x3f8

KCASE(DEV0001, 0, "io_out and io_in through an I/O port capability reach the device")
{
    K_OK(v_io_out(IOPORTS, COM1 + 7, 1, 0xa5));      /* the 16550 scratch register */
    K_EQ(K_OK(v_io_in(IOPORTS, COM1 + 7, 1)), 0xa5);
    K_OK(v_io_out(IOPORTS, COM1 + 7, 1, 0x00));
    K_EQ(K_OK(v_io_in(IOPORTS, COM1 + 7, 1)), 0x00);
}

KCASE(DEV0002, 1, "what if a port access has a bad width or reaches outside the capability?")
{
    K_ERR(v_io_in(IOPORTS, COM1, 3), V_EINVAL);
    K_ERR(v_io_in(IOPORTS, COM1, 8), V_EINVAL);
    K_ERR(v_io_in(IOPORTS, 0x20, 1), V_ERANGE);      /* the kernel's PIC */
    K_ERR(v_io_out(IOPORTS, 0x43, 1, 0), V_ERANGE);  /* the kernel's PIT */
    K_ERR(v_io_in(IOPORTS, 0xffff, 2), V_ERANGE);
    K_ERR(v_io_in(IOPORTS, 0x10000, 1), V_ERANGE);
}

KCASE(DEV0003, 1, "what if port calls use a capability without the right, or of another type?")
{
    v_handle ro = (v_handle)K_OK(v_cap_mint(IOPORTS, V_SLOT_ANY, V_R_READ, 0));
    K_OK(v_io_in(ro, COM1 + 5, 1));
    K_ERR(v_io_out(ro, COM1 + 7, 1, 1), V_ERIGHTS);
    K_ERR(v_io_in(DEBUG, COM1, 1), V_ETYPE);
    K_OK(v_cap_delete(ro));
}

KCASE(DEV0004, 0, "an interrupt arrives as a Signal bit and the line waits for its acknowledgement")
{
    K_OK(v_irq_bind(IRQ, 4, 30));
    v_signal_wait(1ull << 30, 0);
    K_OK(v_io_out(IOPORTS, COM1 + 1, 1, 0x02));      /* THR-empty interrupt: fires at once */
    uint64_t got = K_OK(v_signal_wait(1ull << 30, 500000));
    K_OK(v_io_out(IOPORTS, COM1 + 1, 1, 0x00));
    K_EQ(got, 1ull << 30);
    K_OK(v_irq_ack(IRQ, 4));
    v_signal_wait(1ull << 30, 0);
}

KCASE(DEV0005, 1, "what if a Task binds a line outside its capability, the timer, or line 16?")
{
    v_handle one = (v_handle)K_OK(v_cap_mint(IRQ, V_SLOT_ANY, V_R_CONTROL, 1u << 3));
    K_ERR(v_irq_bind(one, 4, 1), V_ERIGHTS);
    K_ERR(v_irq_bind(IRQ, 0, 1), V_ERIGHTS);
    K_ERR(v_irq_bind(IRQ, 2, 1), V_ERIGHTS);
    K_ERR(v_irq_bind(IRQ, 16, 1), V_ERANGE);
    K_ERR(v_irq_bind(IRQ, ~0ull, 1), V_ERANGE);
    K_ERR(v_irq_bind(IRQ, 3, 64), V_EINVAL);
    K_ERR(v_cap_mint(IRQ, V_SLOT_ANY, V_R_CONTROL, 1u), V_EWIDEN);
    K_OK(v_cap_delete(one));
}

KCASE(DEV0006, 1, "what if a Task acknowledges a line it never bound?")
{
    K_ERR(v_irq_ack(IRQ, 5), V_ESTATE);
}

KCASE(DEV0007, 1, "what if debug_write gets a bad pointer, a huge length, or no debug capability?")
{
    K_ERR(v_debug_write(DEBUG, 0xffffffff80100000ull, 4), V_EFAULT);
    K_ERR(v_debug_write(DEBUG, 0x8000000000000000ull, 4), V_EFAULT);
    K_ERR(v_debug_write(DEBUG, 0x500000000000ull, 4), V_EFAULT);
    K_ERR(v_debug_write(DEBUG, (uint64_t)"x", 1ull << 40), V_ETOOBIG);
    K_ERR(v_debug_write(SELF, (uint64_t)"x", 1), V_ETYPE);
    K_EQ(K_OK(v_debug_write(DEBUG, (uint64_t)"", 0)), 0);
}

/* Regression (ABI review, finding 4): port + width wrapped for a port near
 * 2^64, and the port was then cut to 16 bits. */
KCASE(DEV0008, 1, "what if a port number is far above 0xffff?")
{
    v_handle p = (v_handle)K_OK(v_cap_mint(IOPORTS, V_SLOT_ANY, V_R_READ, 0x3f8 | 8ull << 16));
    K_ERR(v_io_in(p, ~0ull, 1), V_ERANGE);
    K_ERR(v_io_in(p, ~0ull - 1, 2), V_ERANGE);
    K_ERR(v_io_in(p, 0x103f8, 1), V_ERANGE);
    K_OK(v_cap_delete(p));
}

/* Regression (ABI review, finding 10): a line stayed bound after the IRQ
 * capability that bound it was deleted. */
KCASE(DEV0009, 1, "what if the IRQ capability that bound a line is deleted while another covers it?")
{
    v_handle one = (v_handle)K_OK(v_cap_mint(IRQ, V_SLOT_ANY, V_R_CONTROL, 1u << 3));
    K_OK(v_irq_bind(one, 3, 31));
    K_OK(v_irq_ack(one, 3));
    K_OK(v_cap_delete(one));
    /* we still hold the root IRQ capability, which covers line 3: bound */
    K_OK(v_irq_ack(IRQ, 3));
    v_handle two = (v_handle)K_OK(v_cap_mint(IRQ, V_SLOT_ANY, V_R_CONTROL, 1u << 5));
    K_OK(v_irq_bind(two, 5, 31));
    K_OK(v_cap_delete(two));
    K_OK(v_irq_ack(IRQ, 5));           /* the root capability still covers it */
}

/* PCI enumeration from a Task, through the ECAM window the kernel found
 * in ACPI's MCFG and handed to the root as "ecam0": read with lib/pci. */
static uint32_t ecam_read32(void *ctx, uint16_t off)
{
    return *(volatile const uint32_t *)((const uint8_t *)ctx + off);
}
static void ecam_write32(void *ctx, uint16_t off, uint32_t val) { (void)ctx, (void)off, (void)val; }

KCASE(DEV0010, 0, "the ECAM window ACPI names is the root's ecam0, and bus 0 enumerates through it")
{
    const struct v_bootinfo *bi = (const struct v_bootinfo *)V_BOOTINFO_ADDR;
    v_handle ecam = rt_cap("ecam0");
    if (!(bi->platform.flags & V_PLATFORM_ACPI) || bi->platform.necam == 0) {
        K_TRUE(!ecam);                   /* no MCFG (plain pc): no ecam0 either */
        return;
    }
    K_TRUE(ecam != 0);
    struct v_capinfo ri;
    K_OK(v_cap_info(ecam, (uint64_t)&ri));
    K_EQ(ri.phys, bi->platform.ecam[0].base);
    K_EQ(ri.size, (uint64_t)(bi->platform.ecam[0].end_bus - bi->platform.ecam[0].start_bus + 1) << 20);
    if (MMIO) {                          /* the MMIO Reticles do not overlap it */
        struct v_capinfo mi;
        K_OK(v_cap_info(MMIO, (uint64_t)&mi));
        K_TRUE(mi.phys + mi.size <= ri.phys || mi.phys >= ri.phys + ri.size);
    }
    K_ERR(v_retype(ecam, V_TYPE_TASK, 0, V_SLOT_ANY), V_EINVAL);
    uint64_t f0 = kt_free(ecam);
    unsigned found = 0, host_bridge = 0, bridges = 0;
    v_handle f[32];
    for (unsigned dev = 0; dev < 32; dev++) {
        /* one device's 8 functions: the next 32 KiB of the window */
        f[dev] = (v_handle)K_OK(v_retype(ecam, V_TYPE_FRAME, 8, V_SLOT_ANY));
        struct v_capinfo fi;
        K_OK(v_cap_info(f[dev], (uint64_t)&fi));
        K_EQ(fi.phys, ri.phys + dev * 0x8000ull);
        K_OK(v_as_map(AS, f[dev], SCRATCH_VA, V_R_READ));
        struct pci_cfg cfg = {ecam_read32, ecam_write32, (void *)SCRATCH_VA};
        struct pci_header h;
        if (pci_header_read(&cfg, &h) == PCI_OK && h.vendor != 0xffff) {
            found++;
            host_bridge += dev == 0 && h.class_code == 0x06 && h.subclass == 0x00;
            bridges += h.class_code == 0x06;
        }
        K_OK(v_as_unmap(f[dev]));
    }
    for (unsigned dev = 0; dev < 32; dev++)
        K_OK(v_cap_delete(f[dev]));
    printf("KTEST NOTE DEV0010 bus 0: %u devices, %u bridges\n", found, bridges);
    K_TRUE(found >= 2 && found < 32);    /* empty slots read all ones */
    K_EQ(host_bridge, 1);                /* 00:00.0 is the host bridge */
    K_EQ(kt_free(ecam), f0);
}
