# schema/block.capnp: a block device (user/drivers/virtio-blk; client: user/lib/rt/blk.c).
#
# Data never travels in Ring slots. A client attaches a frame of its own
# (the one capability sent along with attach: a copy, which the driver
# maps for the device only, never for itself) and names byte ranges of it
# in read and write requests: zero copy between the client's memory and
# the device. Requests are answered in any order (the reply's id is the
# request's); a connection may have maxInFlight requests unanswered (the
# reply Ring's slots). A driver that dies fails every unanswered request:
# the client sees its connection close and fails them as "disconnected"
# (never completed twice); a new connection must attach again.
@0xbde9dfc8f28e9d18;

interface Block {
  info @0 () -> (status :Status, sectors :UInt64, sectorSize :UInt32,
                 readOnly :Bool, maxInFlight :UInt32, maxTransfer :UInt32,
                 irqWakeTsc :UInt64);
  # sectors of sectorSize (512) bytes; maxTransfer bytes in one request.
  # irqWakeTsc: the time stamp counter when the driver last woke for its
  # queue's interrupt (0: never), for make bench's interrupt-to-driver
  # figure; under -icount it counts guest instructions.

  attach @1 () -> (status :Status, buffer :UInt32, bytes :UInt64);
  # The frame sent along becomes buffer `buffer` of this connection.

  detach @2 (buffer :UInt32) -> (status :Status);
  # Refused (busy) while a request on it is in flight.

  read @3 (buffer :UInt32, offset :UInt64, sector :UInt64, count :UInt32) -> (status :Status);
  # count sectors from `sector` into the buffer at offset.

  write @4 (buffer :UInt32, offset :UInt64, sector :UInt64, count :UInt32) -> (status :Status);

  flush @5 () -> (status :Status);
  # Replies once every write answered before it is durable.

  enum Status {
    ok @0;
    ioError @1;        # the device reported an error
    unsupported @2;    # the device does not do this (flush without VIRTIO_BLK_F_FLUSH)
    badRequest @3;     # past the end, zero or too many sectors, range outside the buffer
    badBuffer @4;      # no such buffer, or the capability is not a usable frame
    busy @5;           # too many requests or buffers
    deviceLost @6;     # the device broke the protocol and was reset; the request was not done
  }

  const maxInFlight :UInt32 = 4;
  const maxBuffers :UInt32 = 4;
}
