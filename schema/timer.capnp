# schema/timer.capnp: the timer service's protocol. Time is microseconds
# since boot (the kernel clock, millisecond resolution today). A sleep is
# a request whose reply is held back until the delay has passed; many
# clients may have sleeps pending at once.
@0xae49f442b74eb4c6;

interface Timer {
  now @0 () -> (us :UInt64);
  # Microseconds since boot.

  sleep @1 (us :UInt64) -> (status :Status, now :UInt64);
  # Replies once at least `us` microseconds have passed (0: at once);
  # `now` is the time of the reply.

  enum Status {
    ok @0;
    tooLong @1;    # us > maxSleepUs: refused at once
    busy @2;       # the caller already has maxPending sleeps waiting
  }

  const maxSleepUs :UInt64 = 86400000000;   # one day
  const maxPending :UInt32 = 8;             # sleeps one connection may have waiting
}
