/*
 * pci: PCI configuration space as pure logic — ECAM addresses, the
 * type 0/1 header, BARs and their sizing protocol, the capability list,
 * MSI and MSI-X, and the virtio-pci vendor capabilities (virtio 1.2
 * §4.1.4). PCI Local Bus 3.0 §6 and PCIe 5.0 §7 give the layouts;
 * docs/DEVICES.md lists the fields used.
 *
 * How it reaches the device: through a pci_cfg, one function's 4 KiB
 * of config space behind two callbacks doing aligned 32-bit accesses
 * (ECAM allows any width, but dwords are what every mechanism has). The
 * kernel passes its ECAM mapping, a driver Task the window it was
 * granted, a host test an array. Nothing is allocated.
 *
 * Invariants:
 *   - Config space belongs to a device that may be broken or hostile:
 *     every pointer read from it (capability pointers, BIR fields,
 *     offsets) is bounds-checked before use. The capability walk visits
 *     each dword at most once, so a looping list is PCI_ELOOP, and never
 *     leaves [0x40, 0x100).
 *   - Register offsets handed to the accessor are always dword-aligned
 *     and below PCI_CFG_SIZE.
 *   - BAR sizing leaves the BAR and the command register as it found
 *     them, and decoding is off while all-ones sits in a BAR (a device
 *     must not decode a bogus window).
 */
#ifndef LIB_PCI_H
#define LIB_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pci_err {
    PCI_OK = 0,
    PCI_ENODEV,     /* vendor id 0xffff: nothing answers */
    PCI_ERANGE,     /* bus/device/function/register outside what the ECAM window covers */
    PCI_EBAR,       /* BAR index or encoding that cannot be (64-bit in BAR 5, reserved type) */
    PCI_ENOBAR,     /* BAR not implemented (sizes to zero) */
    PCI_ECAP,       /* capability pointer outside [0x40, 0x100) or structure past the end */
    PCI_ELOOP,      /* capability list revisits a position */
    PCI_ENOTFOUND,  /* no such capability */
    PCI_EVIRTIO,    /* virtio capability malformed or a required one missing */
    PCI_EEND,       /* iteration finished (not a failure) */
    PCI_EMATCH,     /* a device match that is not "pci:VVVV:DDDD" or "class:CC:SS" */
};

const char *pci_err_name(enum pci_err e);

#define PCI_CFG_SIZE 4096u   /* ECAM: 4 KiB per function */

struct pci_cfg {
    uint32_t (*read32)(void *ctx, uint16_t off);
    void (*write32)(void *ctx, uint16_t off, uint32_t val);
    void *ctx;
};

uint8_t pci_cfg_read8(const struct pci_cfg *c, uint16_t off);
uint16_t pci_cfg_read16(const struct pci_cfg *c, uint16_t off);
/* Read-modify-write of the containing dword (for command and MSI control). */
void pci_cfg_write16(const struct pci_cfg *c, uint16_t off, uint16_t val);

/* ---- ECAM ------------------------------------------------------------- */

struct pci_ecam {
    uint64_t base;        /* address of bus 0 even when start_bus > 0 (as MCFG gives it) */
    uint16_t segment;
    uint8_t start_bus, end_bus;
};

/* Physical address of register `reg` of bus:dev.fn in the window. */
enum pci_err pci_ecam_addr(const struct pci_ecam *e, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t reg,
                           uint64_t *out);
/* Bytes of the window from start_bus to end_bus (what a kernel maps). */
uint64_t pci_ecam_size(const struct pci_ecam *e);

/* ---- Header ----------------------------------------------------------- */

#define PCI_VENDOR 0x00
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS_REV 0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYS 0x2c
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT 0x3c

#define PCI_CMD_IO 0x1u
#define PCI_CMD_MEM 0x2u
#define PCI_CMD_MASTER 0x4u
#define PCI_CMD_INTX_DISABLE 0x400u
#define PCI_STATUS_CAPS 0x10u

struct pci_header {
    uint16_t vendor, device;
    uint16_t command, status;
    uint8_t revision, prog_if, subclass, class_code;
    uint8_t header_type;      /* 0 device, 1 PCI-PCI bridge, 2 CardBus */
    bool multifunction;
    uint16_t subsys_vendor, subsys_id;    /* type 0 only */
    uint8_t cap_ptr;          /* 0 if the status register says no list */
    uint8_t irq_line, irq_pin;
    uint8_t nbars;            /* 6 for type 0, 2 for type 1, 0 otherwise */
    uint8_t secondary_bus, subordinate_bus;  /* type 1 only */
};

enum pci_err pci_header_read(const struct pci_cfg *c, struct pci_header *h);

/* ---- BARs ------------------------------------------------------------- */

struct pci_bar {
    uint8_t index;
    bool io;                  /* I/O port space (else memory) */
    bool is64;                /* occupies index and index+1 */
    bool prefetchable;
    uint64_t addr;            /* as programmed (base, flags stripped) */
    uint64_t size;            /* bytes decoded (a power of two) */
};

/*
 * The sizing protocol as a pure function: orig is the BAR's value(s) as
 * read, probe what reads back after writing all-ones (lo, and hi for the
 * upper half of a 64-bit BAR; hi values ignored otherwise).
 */
enum pci_err pci_bar_decode(uint8_t index, uint32_t orig_lo, uint32_t orig_hi, uint32_t probe_lo,
                            uint32_t probe_hi, struct pci_bar *out);

/* Run the protocol on BAR `index` of a function with nbars BARs: decode
 * is disabled in the command register while the BAR holds all-ones, and
 * both are restored. */
enum pci_err pci_bar_probe(const struct pci_cfg *c, uint8_t nbars, uint8_t index, struct pci_bar *out);

/* ---- Capabilities ----------------------------------------------------- */

#define PCI_CAP_MSI 0x05
#define PCI_CAP_VENDOR 0x09
#define PCI_CAP_PCIE 0x10
#define PCI_CAP_MSIX 0x11

struct pci_cap_iter {
    uint16_t next;            /* next pointer to follow; 0 = start from the header */
    uint64_t seen;            /* one bit per dword in [0x40, 0x100) */
    bool started;
};

struct pci_cap {
    uint8_t id;
    uint8_t off;              /* dword-aligned, in [0x40, 0xfc] */
};

enum pci_err pci_cap_next(const struct pci_cfg *c, struct pci_cap_iter *it, struct pci_cap *out);
/* The first capability with this id at or after the iterator. */
enum pci_err pci_cap_find(const struct pci_cfg *c, struct pci_cap_iter *it, uint8_t id, struct pci_cap *out);

/* ---- MSI / MSI-X ------------------------------------------------------ */

struct pci_msi {
    uint8_t off;
    bool enabled, is64, per_vector_mask;
    uint8_t vectors_log2;      /* multiple message capable: 2^n vectors */
    /* Register offsets in config space (0 = absent). */
    uint8_t addr_lo, addr_hi, data, mask, pending;
};

enum pci_err pci_msi_read(const struct pci_cfg *c, const struct pci_cap *cap, struct pci_msi *out);

struct pci_msix {
    uint8_t off;
    bool enabled, function_mask;
    uint16_t table_size;       /* entries (1..2048) */
    uint8_t table_bir, pba_bir;
    uint32_t table_off, pba_off;  /* inside their BARs, 8-byte aligned */
};

#define PCI_MSIX_ENTRY_SIZE 16u
#define PCI_MSIX_ENABLE 0x8000u
#define PCI_MSIX_MASKALL 0x4000u

enum pci_err pci_msix_read(const struct pci_cfg *c, const struct pci_cap *cap, struct pci_msix *out);
/* Do the table and the PBA lie inside their BARs (bars indexed by BIR;
 * a BAR of size 0 is unimplemented)? */
enum pci_err pci_msix_check(const struct pci_msix *m, const struct pci_bar bars[6]);

/* ---- virtio-pci (virtio 1.2 §4.1.4) ---------------------------------- */

enum pci_virtio_cfg {
    PCI_VIRTIO_COMMON = 1,
    PCI_VIRTIO_NOTIFY = 2,
    PCI_VIRTIO_ISR = 3,
    PCI_VIRTIO_DEVICE = 4,
    PCI_VIRTIO_PCI_CFG = 5,
};

struct pci_virtio_region {
    bool present;
    uint8_t bar;
    uint32_t offset, length;  /* inside the BAR */
};

struct pci_virtio_layout {
    struct pci_virtio_region common, notify, isr, device;
    uint32_t notify_off_multiplier;
};

#define PCI_VIRTIO_VENDOR 0x1af4
#define PCI_VIRTIO_COMMON_MIN 56u    /* struct virtio_pci_common_cfg through queue_device */

/*
 * Walk the capability list for virtio vendor capabilities and take the
 * first usable one of each type (§4.1.4: a driver uses the first it
 * understands; ones naming BARs above 5 are skipped). Common, notify and
 * ISR are required, device-specific config optional. If bars is not
 * NULL each region must lie inside its BAR, and the BAR must be memory.
 */
enum pci_err pci_virtio_layout_read(const struct pci_cfg *c, const struct pci_bar bars[6],
                                    struct pci_virtio_layout *out);

/* Offset inside the notify region's BAR at which queue `queue_notify_off`
 * is notified (a 16-bit write): refused unless the 2 bytes fit the region. */
enum pci_err pci_virtio_notify_at(const struct pci_virtio_layout *l, uint16_t queue_notify_off, uint64_t *bar_off);

/* The virtio device type of a PCI function, or 0 if it is not a virtio
 * device: 0x1040 + type for modern devices, the subsystem id for
 * transitional ones (0x1000-0x103f). */
uint16_t pci_virtio_device_type(const struct pci_header *h);

/* ---- Driver matching (the manifest's device grants) ------------------- */

/* A device match as the manifest writes it: "pci:VVVV:DDDD" (vendor and
 * device id, 1-4 hex digits each) or "class:CC:SS" (class and subclass,
 * 1-2 hex digits each); nothing else, no spaces, no 0x. */
struct pci_match {
    bool by_class;
    uint16_t a, b;            /* vendor, device; or class, subclass */
};

enum pci_err pci_match_parse(const char *s, size_t len, struct pci_match *out);   /* PCI_EMATCH */
bool pci_match(const struct pci_match *m, const struct pci_header *h);

#endif
