# schema/fat.capnp: the read-only FAT32 interchange volume (user/services/fatfs,
# lib/fat) on a second disk: air-gapped installs read capsules from it
# (`fat:/hello-1.0.0.vcap`). Nothing here writes. A refusal names the
# lib/fat error in `error` (e.g. "CHAIN", "NOT_FOUND") and says why in
# `why`.
@0xe3b6a9d10c47f258;

interface Fat {
  info @0 () -> (status :Status, error :Text, why :Text, clusterBytes :UInt32,
                 clusters :UInt32, sectorBytes :UInt32);

  list @1 (path :Text, skip :UInt32) -> (status :Status, error :Text, why :Text,
                                         entries :List(Entry), more :Bool);
  # The directory at path ("/" the root), from its skip-th entry on; at
  # most maxEntries a reply (more: there are others after them).

  read @2 (path :Text, offset :UInt64, n :UInt32) -> (status :Status, error :Text, why :Text,
                                                      size :UInt64, bytes :Data);
  # n (at most maxRead) bytes of the file at path from offset; size is the
  # file's size. The file is read whole (its cluster chain checked end to
  # end) at the first request for it and kept until another is asked for.

  struct Entry {
    name @0 :Text;
    isDir @1 :Bool;
    size @2 :UInt32;
  }

  enum Status {
    ok @0;
    notMounted @1;   # the disk holds no FAT32 volume (error says why)
    ioError @2;
    damaged @3;      # a broken cluster chain or directory
    notFound @4;
    badRequest @5;   # bad path, n > maxRead, a directory read as a file
    tooBig @6;       # larger than maxFile
  }

  const maxRead :UInt32 = 2048;
  const maxEntries :UInt32 = 16;
  const maxFile :UInt64 = 4194304;
}
