# schema/system.capnp: the system manifest -- which services init starts,
# from which binary or capsule, in what order, with which capabilities.
#
# init reads it at boot (canonical bytes, checked against the boot image's
# signature) and starts services in dependency order. Generated C readers
# are SystemManifest_*(), see docs/CAPNP.md. Extend by adding fields at the
# end of a struct; never renumber.
@0xb184d0aba2170805;

struct SystemManifest {
  version @0 :UInt32 = 1;
  # Manifest format version; init refuses versions it does not know.

  services @1 :List(Service);

  struct Service {
    name @0 :Text;
    # Unique service name ([a-z0-9][a-z0-9._-]{0,63}); also its name in the
    # naming service ("/svc/<name>").

    binary :union {
      # Where the program comes from.
      module @1 :Text;
      # A module of the boot image, by name.
      capsule @2 :CapsuleRef;
      # A signed capsule, by name and content hash.
    }

    dependencies @3 :List(Text);
    # Services that must be running before this one starts.

    capabilities @4 :List(CapGrant);
    # Everything the service is given at start; it gets nothing else.

    restart @5 :RestartPolicy = onFailure;

    priority @6 :UInt8 = 8;
    # Scheduling priority, 0 (lowest) .. 31 (V_PRIO_MAX); no higher than
    # init's own (16), which the kernel enforces.

    args @7 :List(Text);
    # Arguments passed to the program.

    label @8 :UInt64 = 0;
    # Its secrecy label (docs/LABELS.md): a set of categories, bit c for
    # category c. init makes the service's address space and every frame
    # of it at this label before it runs its first instruction, so the
    # service may read data of these categories and can send what it
    # writes only to services at least as high. 0: unlabelled.
  }

  struct CapsuleRef {
    name @0 :Text;
    vcid @1 :Data;
    # SHA-256 of the capsule manifest's canonical bytes (32 bytes).
  }

  struct CapGrant {
    name @0 :Text;
    # The name the service finds the capability under.

    type @1 :CapType;

    source @2 :Text;
    # What it is made from: for `service` and `introduce`, the providing
    # service's name ("init" names init itself); for hardware grants, the
    # resource ("irq:4", "ioport:0x3f8-0x3ff"); for `memory`, a size in
    # bytes with an optional K or M suffix ("512K").

    interfaceId @3 :UInt64;
    # For `service`: the interface (facet) the capability speaks, as the
    # schema's 64-bit type id; 0 means the service's full interface.
    # init honours one facet of its own: SupervisorReader
    # (schema/keys.capnp), the read-only Supervisor (docs/KEYS.md).

    confined @4 :Bool;
    # For `device`: the driver may run only if the IOMMU confines its
    # device's DMA; without one (no VT-d) the service is refused.
  }

  enum CapType {
    service @0;    # a Ring end to another service's interface
    memory @1;     # a Reticle (memory to retype)
    irq @2;        # an interrupt line
    ioPort @3;     # a range of x86 I/O ports
    console @4;    # the kernel debug console
    introduce @5;  # the send end of a service's accept Ring: the right to
                   # connect others to it (the naming service holds these)
    device @6;     # a PCI function, from the device manager (service
                   # "devmgr", a dependency): source "pci:VVVV:DDDD" or
                   # "class:CC:SS"; the Bundle gets NAME.cfg, NAME.irq and
                   # NAME.barN (docs/DEVICES.md)
    platform @7;   # for the device manager: a copy of one of the root's
                   # device authorities, source "ecam0".."ecam3",
                   # "mmio0".."mmio7" or "irq:msi" (the MSI lines)
  }

  enum RestartPolicy {
    never @0;      # leave it stopped
    onFailure @1;  # restart if it exits with an error or faults
    always @2;     # restart whenever it exits
    tool @3;       # a program the shell runs (Supervisor.run): not
                   # started at boot, never restarted
  }
}
