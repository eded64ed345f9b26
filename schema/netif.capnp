# schema/netif.capnp: a network driver <-> the network stack (docs/NETWORK.md,
# "The driver and the stack"). Served by user/drivers/virtio-net; the stack
# (user/services/netstack) is its only client.
#
# Zero copy: the stack owns a pool of packet buffers (one frame of
# rxBuffers + txBuffers buffers of bufSize bytes) and lends it to the
# driver with attach; the driver maps it for the device only (DMA through
# the IOMMU), never for itself. Buffers [0, rxBuffers) receive, the rest
# transmit. Each buffer starts with the 12-byte virtio-net header, then
# the Ethernet frame (destination MAC first, no FCS). After attach the
# Rings carry, besides the requests below, batches of buffer numbers:
#   kindRx      driver -> stack: frames received; payload n little-endian
#               UInt32s, (buffer << 16) | bytes the device wrote (header
#               included). The stack owns those buffers until kindRxFree.
#   kindRxFree  stack -> driver: UInt16s, receive buffers given back (the
#               driver posts them to the device again).
#   kindTx      stack -> driver: UInt32s, (buffer << 16) | bytes (header
#               included) to transmit. The driver owns them until kindTxDone.
#   kindTxDone  driver -> stack: UInt16s, transmit buffers sent.
# No replies to these. Both sides check every number against what the
# other side may name at that moment (range, owner, length); a number
# that fails is dropped, counted and logged, never acted on. The stack
# killed is the connection closed: the driver resets the device (its DMA
# stops), unmaps the pool and waits for the next attach.
@0x9a6c31e0d5b7f248;

interface Netif {
  info @0 () -> (mac :UInt64, mtu :UInt16, linkUp :Bool);
  # mac: 48 bits, the first byte on the wire in bits 40..47.

  counters @1 () -> (rxFrames :UInt64, txFrames :UInt64, rxDropped :UInt64, txDropped :UInt64,
                     interrupts :UInt64, kicks :UInt64, badNumbers :UInt64);

  attach @2 (rxBuffers :UInt16, txBuffers :UInt16, bufSize :UInt16) -> (status :Status, mac :UInt64);
  # One capability: the pool frame, READ|WRITE, unmapped in the sender,
  # at least (rxBuffers + txBuffers) * bufSize bytes. One pool at a time.

  enum Status {
    ok @0;
    badPool @1;       # no frame, wrong rights or size, counts out of range
    busy @2;          # another pool is attached
    deviceLost @3;
  }

  const kindRx :UInt16 = 64;
  const kindRxFree :UInt16 = 65;
  const kindTx :UInt16 = 66;
  const kindTxDone :UInt16 = 67;
  const hdrBytes :UInt16 = 12;
  const minFrame :UInt16 = 14;
  const maxFrame :UInt16 = 1514;
  const maxBuffers :UInt16 = 256;
}
