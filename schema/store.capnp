# schema/store.capnp: the capsule store service (user/services/store) over the
# store on the system disk (lib/store, docs/STORE.md). Every reply carries
# a status; a refusal also names the lib/store error in `error` (e.g.
# "BLOB_CORRUPT") and says why in `why`. Blob bytes handed out were
# verified against the blob's name on this read: a damaged blob is the
# error corrupt naming the blob (`blob`), never wrong bytes.
@0xa4c1f07b2e9d5c63;

interface Store {
  status @0 () -> (status :Status, error :Text, why :Text, seq :UInt64, slot :UInt32,
                   fellBack :Bool, slot0 :Text, slot1 :Text, blockSize :UInt32,
                   blocks :UInt64, freeBlocks :UInt64, blobs :UInt32, capsules :UInt32,
                   states :UInt32, generation :UInt64, hasPrevious :Bool,
                   previousGeneration :UInt64, bootAttempts :UInt32, bootMax :UInt32,
                   confirmed :Bool);
  # What the mount found: the slot opened, what each slot holds ("ok seq N"
  # or its lib/store error name), space,
  # table sizes, the current generation and boot counting. status notOpen
  # (with error/why) when the disk holds no store the service could open.

  installed @1 () -> (status :Status, capsules :List(Capsule));
  # Every installed capsule, in VCID order, with its place in the
  # current generation.

  generations @2 () -> (status :Status, current :Generation, hasPrevious :Bool,
                        previous :Generation);
  # The current and previous system generation: per capsule name, its
  # active and previous version.

  verify @3 () -> (status :Status, error :Text, why :Text, blobs :UInt32, bytes :UInt64,
                   blob :Data);
  # Reads and verifies every blob; on corrupt, blob is the damaged one.

  read @4 (blob :Data, offset :UInt64, n :UInt32) -> (status :Status, error :Text, why :Text,
                                                      length :UInt64, bytes :Data,
                                                      cycles :UInt64);
  # The blob named blob (32 bytes) is read whole and verified; then n
  # (at most maxRead) bytes from offset are returned. length is the
  # blob's length. cycles: what reading and verifying the whole blob cost
  # the service (rdtsc), 0 when it was served from the copy verified last.

  stateRead @5 (name :Text) -> (status :Status, error :Text, why :Text, schema :UInt32,
                                bytes :Data);
  stateWrite @6 (name :Text, schema :UInt32, bytes :Data) -> (status :Status, error :Text,
                                                             why :Text, seq :UInt64);
  # A state volume (at most maxRead bytes through this method), committed
  # before the reply (seq: the committed root's sequence number).

  # Changes (init only: a connection whose peer is not "init" is refused
  # with status denied). Each is committed (store_commit) before the reply,
  # or aborted (store_abort) so nothing of it stays staged. A capsule is
  # installed in three steps: putBegin announces its size and SHA-256 (no
  # space, too big and an already present file are refused here, before a
  # byte travels), putChunk carries its bytes into the service's upload
  # buffer (memory only), install checks the bytes hash to what was
  # announced and only then writes the blob, records the capsule and
  # commits. The caller (init) has verified the capsule in full before
  # putBegin.
  putBegin @7 (bytes :UInt64, sha256 :Data) -> Change;
  putChunk @8 (offset :UInt64, bytes :Data) -> Change;
  install @9 (vcid :Data, name :Text, version :Text, activate :Bool) -> Change;
  activate @10 (vcid :Data) -> Change;
  # Make an installed version active in a new generation (its predecessor
  # becomes its previous version).
  rollback @11 (name :Text) -> Change;
  # Swap the capsule's active and previous versions (a new generation).
  remove @12 (vcid :Data) -> Change;
  # Forget an installed version: inUse while either generation names it.
  gc @13 () -> Change;
  # Reclaim unreferenced blobs (two commits); freed is in blocks.
  boot @14 (step :BootStep) -> Change;
  # Boot counting (docs/STORE.md): begin counts an attempt of the current
  # generation or falls back to the previous one after bootMax failures
  # (fellBack); confirm marks it good; fallback goes back to the previous
  # generation now (its services did not reach readiness).

  enum BootStep {
    begin @0;
    confirm @1;
    fallback @2;
  }

  struct Change {
    status @0 :Status;
    error @1 :Text;
    why @2 :Text;
    seq @3 :UInt64;          # the committed root's sequence number
    generation @4 :UInt64;   # the current generation's number
    fellBack @5 :Bool;
    freed @6 :UInt64;        # gc: blocks regained
    freeBlocks @7 :UInt64;
  }

  struct Capsule {
    name @0 :Text;
    version @1 :Text;
    vcid @2 :Data;
    file @3 :Data;       # the blob holding the .vcap
    bytes @4 :UInt64;
    active @5 :Bool;     # active in the current generation
    previous @6 :Bool;   # previous version in the current generation
  }

  struct Pin {
    name @0 :Text;
    active @1 :Text;     # version
    previous @2 :Text;   # empty: none
  }

  struct Generation {
    number @0 :UInt64;
    pins @1 :List(Pin);
  }

  enum Status {
    ok @0;
    notOpen @1;      # no store could be opened on the disk (error says why)
    ioError @2;      # the device failed a read, write or flush
    corrupt @3;      # a blob or the metadata does not match its checksum
    notFound @4;
    exists @5;
    noSpace @6;
    tooBig @7;
    badRequest @8;   # malformed arguments (a blob name not 32 bytes, n > maxRead)
    refused @9;      # any other lib/store refusal (error names it)
    denied @10;      # a change asked by a client other than init
    inUse @11;       # remove of a version a generation names
  }

  const maxRead :UInt32 = 2048;
}
