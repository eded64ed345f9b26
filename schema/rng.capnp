# schema/rng.capnp: an entropy source (user/drivers/virtio-rng).
#
# Like block.capnp, the bytes travel in a frame, not in Ring slots: the
# client attaches a frame once (the capability sent along), then each
# read fills [offset, offset + bytes) of it with bytes from the device.
# These are raw device bytes for an entropy service to condition, not
# randomness to use directly.
@0xfa99bc7ee8757dba;

interface Rng {
  attach @0 () -> (status :Status, bytes :UInt64);
  read @1 (offset :UInt64, bytes :UInt32) -> (status :Status, got :UInt32);
  # got may be less than bytes (the device gives what it has).

  enum Status {
    ok @0;
    noBuffer @1;       # attach first
    badRequest @2;     # range outside the buffer, or zero bytes
    deviceLost @3;     # the device broke the protocol and was reset
    busy @4;           # a read is already in flight on this connection
  }
}
