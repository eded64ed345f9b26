# schema/random.capnp: the entropy service's protocol (user/services/randomd).
# Three levels of randomness (docs/KEYS.md, "Randomness"): sloppy is
# instant and for ids; standard is cryptographic and refused before the
# pool is seeded; high is refused until 256 bits from two or more
# independent sources have been mixed. A refusal names its reason in
# `why`; bytes are never returned at a level the pool has not reached.
@0xd7c2a58e41b0f396;

interface Random {
  get @0 (level :Level, n :UInt32, waitUs :UInt64) -> (status :Status, bytes :Data, why :Text);
  # n bytes (1..maxBytes) at `level`. waitUs = 0: answer at once; else the
  # request is held until the level is reached or waitUs (at most
  # maxWaitUs) has passed, whichever comes first. bytes is empty unless
  # status is ok.

  status @1 () -> (seeded :Bool, high :Bool, committed :UInt64, highBits :UInt64,
                   sources :List(Source), why :Text);
  # The pool as it is: bits committed to the generator, what high counts
  # (each source up to 128), each source's figures, and why high waits
  # (empty once it does not).

  enum Level {
    sloppy @0;
    standard @1;
    high @2;
  }

  enum Status {
    ok @0;
    unseeded @1;      # standard asked before seeding
    highWaiting @2;   # high asked before two sources gave 256 bits
    badRequest @3;    # n = 0 or > maxBytes, waitUs > maxWaitUs, an unknown level
    busy @4;          # the connection already has maxHeld requests held
  }

  struct Source {
    name @0 :Text;
    committed @1 :UInt64;   # bits folded into the generator
    pending @2 :UInt32;     # bits mixed, not yet folded
    samples @3 :UInt64;
    repeats @4 :UInt64;     # samples identical to the one before (credited 0)
  }

  const maxBytes :UInt32 = 1024;
  const maxWaitUs :UInt64 = 60000000;
  const maxHeld :UInt32 = 4;
}
