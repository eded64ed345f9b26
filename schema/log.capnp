# schema/log.capnp: the log service's protocol. Records are appended with
# a level, a source (who logs) and text; the service stamps time and a
# sequence number and answers queries over what it keeps.
@0xaca6dcb700a10d3d;

interface Log {
  append @0 (record :Record) -> (sequence :UInt64);
  # The service fills in `sequence` and `timestamp`; the caller's values
  # are ignored. `eventTime` is kept if it is not in the future.

  query @1 (minLevel :Level, source :Text, after :UInt64, limit :UInt32 = 64)
      -> (records :List(Record), next :UInt64);
  # Records with level >= minLevel, from `source` (empty: any), with
  # sequence > after, oldest first, at most `limit`; `next` is the
  # `after` to pass to continue.

  enum Level {
    trace @0;
    debug @1;
    info @2;
    warn @3;
    error @4;
    fatal @5;
  }

  struct Record {
    level @0 :Level = info;
    source @1 :Text;
    text @2 :Text;
    sequence @3 :UInt64;
    timestamp @4 :UInt64;
    # When the service received the record: nanoseconds since boot.
    eventTime @5 :UInt64;
    # When what it tells of happened, nanoseconds since boot: given by
    # the writer for a record written later than its event (init replays
    # what happened before the log ran); 0 in an append means "now". The
    # service answers it always set (the arrival time if none was given).
  }
}
