# schema/device.capnp: the device manager's protocol (user/services/devmgr).
#
# The device manager holds the root's device authorities (the ECAM
# window, the MMIO Reticles, the interrupt capability). It enumerates PCI
# and hands each driver exactly its device. Claims come only from init,
# which makes them for a service's `device` grant (docs/DEVICES.md); the
# shell lists. A driver registers the DMA space it made so the listing can
# show its mappings and faults.
@0xa2a87663d4584b82;

interface DeviceManager {
  list @0 () -> (devices :List(Device), iommu :Bool);
  # Every PCI function found; iommu false means DMA is unconfined.

  claim @1 (holder :Text, match :Text, confined :Bool) -> (status :Status, device :Device);
  # init only. match is "pci:VVVV:DDDD" (vendor and device, hex) or
  # "class:CC:SS" (class and subclass, hex); the first unheld function that
  # matches (or the one `holder` already holds) is given to holder. With
  # status ok the reply carries, in order: the function's configuration
  # frame (READ|CONTROL: map it read-only, make a DMA space from it), the
  # interrupt capability for the MSI lines in device.lines (absent if
  # device.lines is empty), then a frame for each memory BAR whose
  # `handed` is true, in BAR order. Claiming again (a restarted driver)
  # revokes what the last claim gave.

  registerDma @2 () -> (status :Status);
  # A driver: the one capability sent along is a copy of its DMA space;
  # the listing reads its mappings and faults from it.

  enum Status {
    ok @0;
    notFound @1;       # no function matches, or all that match are held
    unconfined @2;     # confinement required, the machine has no IOMMU
    denied @3;         # claim from someone other than init; a DMA space of another's device
    badRequest @4;     # malformed match or holder
    noResources @5;    # no MSI lines or frames left
  }

  struct Bar {
    index @0 :UInt8;
    address @1 :UInt64;
    size @2 :UInt64;
    io @3 :Bool;
    prefetchable @4 :Bool;
    handed @5 :Bool;   # a frame for it is among the claim's capabilities
  }

  struct Device {
    bdf @0 :UInt16;              # bus << 8 | device << 3 | function
    vendor @1 :UInt16;
    deviceId @2 :UInt16;
    classCode @3 :UInt8;
    subclass @4 :UInt8;
    progIf @5 :UInt8;
    virtioType @6 :UInt32;       # 0 if not a virtio device
    bars @7 :List(Bar);
    holder @8 :Text;             # the service holding it, "" if none
    lines @9 :List(UInt8);       # the MSI lines given with it (16..47)
    msixVectors @10 :UInt16;     # MSI-X table size, 0 without MSI-X
    dmaConfined @11 :Bool;       # its DMA space is confined by the IOMMU
    dmaPages @12 :UInt64;        # pages mapped in its DMA space
    dmaFaults @13 :UInt64;       # device faults the IOMMU recorded
    dmaLastFault @14 :UInt64;    # the last faulting device address
    dmaRegistered @15 :Bool;     # the holder registered a DMA space
  }
}
