# schema/netif.capnp: a network driver <-> the network stack (docs/NETWORK.md,
# "The netif seam"). Not served by any driver yet: the stack's loopback is
# internal; this is the contract the virtio-net driver Task will meet.
#
# A driver serves one connection per device, whose Rings carry, besides
# the requests below, Ethernet frames in both directions:
#   - kind kindFrame: the payload is one whole Ethernet frame, raw (destination
#     MAC first, no FCS), 14 .. mtu+14 bytes; the stack sends frames to
#     transmit on its request Ring, the driver sends received frames on the
#     other. No reply: a full Ring is back-pressure, a frame that does not
#     fit is dropped and counted.
#   - The slots are the frames' only copy between the two Tasks: a driver
#     that DMAs straight into its receive Ring's slots (once the kernel's
#     DMA calls exist) makes the path zero-copy up to the stack.
# Both sides validate every frame's length against their own limits; a
# peer that writes garbage into a slot costs one dropped frame.
@0x9a6c31e0d5b7f248;

interface Netif {
  info @0 () -> (mac :Data, mtu :UInt16, linkUp :Bool);
  # mac: 6 bytes. mtu: the largest IP packet (1500 for Ethernet).

  counters @1 () -> (rxFrames :UInt64, txFrames :UInt64, rxDropped :UInt64, txDropped :UInt64);

  const kindFrame :UInt16 = 64;
  const minFrame :UInt16 = 14;
  const maxFrame :UInt16 = 1514;
}
