# schema/supervisor.capnp: init's control interface, used by vshell (ps,
# start, stop, restart, kill, mem, caps, events, capsule, halt, reboot,
# and reroot when its naming root dies). init serves it on its own accept
# Ring; only Tasks the manifest grants "init" can reach it, and init knows
# each caller's service by the connection it made for it.
@0xcaff29b46a62cf34;

interface Supervisor {
  listTasks @0 (from :UInt32) -> (tasks :List(TaskInfo), next :UInt32);
  listServices @1 (from :UInt32) -> (services :List(ServiceInfo), next :UInt32);
  # A page each: the entries from position `from` on that fit in one
  # message, and `next`, the position to ask for after them (0: the list
  # is complete). listTasks' position 0 is init itself.
  start @2 Named -> StatusReply;
  stop @3 Named -> StatusReply;
  restart @4 Named -> StatusReply;
  kill @5 (id :UInt64) -> StatusReply;
  memory @6 () -> (reticles :List(ReticleInfo));
  caps @7 Named -> (status :Status, caps :List(CapInfo));
  halt @8 () -> ();
  reboot @9 () -> ();
  events @10 (after :UInt64, limit :UInt32 = 32) -> (events :List(Event), next :UInt64);
  # Exits, faults, restarts and refusals, oldest first.

  # Capsules (docs/CAPSULE.md, "In the OS"): every version in the boot
  # image as init verified it, and the services that run them. `name`
  # is a capsule name or the name of a service that runs a capsule.
  listCapsules @11 () -> (capsules :List(CapsuleInfo));
  capsuleInfo @12 Named -> (status :Status, capsules :List(CapsuleInfo));
  capsuleStart @13 Named -> StatusReply;
  # Start the service that runs the capsule (also after a quarantine).
  capsuleStop @14 Named -> StatusReply;
  upgrade @15 (name :Text, version :Text)
      -> (status :Status, message :Text, switchCycles :UInt64, rollbackCycles :UInt64);
  # Switch the service to another verified version. The reply comes after
  # the readiness window: ok (the new version serves), or failed with the
  # reason and the automatic rollback's cost in rollbackCycles.
  rollback @16 Named -> (status :Status, message :Text, cycles :UInt64);
  # Switch back to the version that ran before the current one.

  reroot @17 Named -> StatusReply;
  # A fresh connection to a naming root (a Bundle name ending in ':',
  # such as "SYS:") that the caller's own manifest entry grants it: for a
  # Task whose root died with its naming service. init makes it as it made
  # the grant at spawn, through the provider's accept Ring, named for the
  # caller. When ok, the connection's two ends travel with the reply as
  # capabilities (requests send end, replies receive end), as with
  # Naming.connect. badName: not a root's name; denied: the manifest does
  # not grant the caller that root; unavailable: the root's service is not
  # running (it is restarting, stopped or failed: ask again later);
  # failed: the connection could not be made.

  # The capsule store (docs/STORE.md, "Install and generations"), when
  # the system has one (a "store" service): installs and generations that
  # survive a reboot. source: "fat:/PATH" (the FAT interchange volume),
  # "boot:MODULE" or a module name (a capsule in the boot image). The
  # capsule is verified in full under the boot policy before a byte of it
  # is written. Refusals: notFound (no such source, name or version),
  # denied (failed verification), badState (already present; an active or
  # previous version removed; no store), failed (store full, I/O error,
  # corruption: the message names the store's error).
  install @18 (source :Text) -> StatusReply;
  remove @19 (name :Text, version :Text) -> StatusReply;
  gc @20 () -> StatusReply;
  generations @21 () -> StatusReply;
  # The current and previous generation, one line per capsule, in message.
  run @22 (name :Text, args :Text) -> StatusReply;
  # Start a tool (a service whose restart policy is `tool`: not started at
  # boot, never restarted) with a command line the tool reads back with
  # args. badState: it is running; denied: not a tool.
  args @23 () -> (args :Text);
  # The caller's own command line, as its last run gave it ("" if none).

  # What every method that takes a name is given, and what every method
  # that answers with a status and a sentence answers: one declaration
  # each, so the shell and init decode them through the same struct (the
  # wire layout is the one the implicit parameter lists had: a pointer;
  # a 16-bit enum and a pointer).
  struct Named {
    name @0 :Text;           # a service's name, or a capsule's, or a root's
  }
  struct StatusReply {
    status @0 :Status;
    message @1 :Text;
  }

  enum Status {
    ok @0;
    notFound @1;
    badState @2;     # e.g. starting a running service
    denied @3;
    failed @4;
    badName @5;      # reroot: not the name of a naming root
    unavailable @6;  # reroot: the root's service is not running
  }

  struct TaskInfo {
    id @0 :UInt64;
    name @1 :Text;
    state @2 :Text;          # runnable, blocked, suspended, faulted, dead
    priority @3 :UInt8;
    memory @4 :UInt64;       # bytes of its Reticle in use
    restarts @5 :UInt32;
    faults @6 :UInt64;
    service @7 :Text;        # the service it runs, if any
    label @8 :UInt64;        # its secrecy label (docs/LABELS.md)
    own @9 :UInt64;          # the categories it owns (may declassify)
  }

  struct ServiceInfo {
    name @0 :Text;
    state @1 :Text;          # running, stopped, exited, failed, refused, waiting
    task @2 :UInt64;         # Task id, 0 if none
    restarts @3 :UInt32;
    lastExit @4 :Int64;      # status of the last exit; -2^63 if it never exited
    reason @5 :Text;         # why refused / failed, or the last fault
    policy @6 :Text;         # never, on-failure, always
    capsule @7 :Text;        # "name version" when it runs a capsule
  }

  struct ReticleInfo {
    name @0 :Text;
    size @1 :UInt64;
    free @2 :UInt64;
    objects @3 :UInt64;
  }

  struct CapInfo {
    name @0 :Text;
    type @1 :Text;
    handle @2 :UInt32;
    rights @3 :UInt32;
  }

  struct Event {
    sequence @0 :UInt64;
    time @1 :UInt64;         # microseconds since boot
    service @2 :Text;
    text @3 :Text;
  }

  struct CapsuleInfo {
    name @0 :Text;
    version @1 :Text;
    vcid @2 :Data;           # SHA-256 of the manifest (empty if unreadable)
    domain @3 :Text;         # D0..D4
    state @4 :Text;          # refused, valid, active, previous, quarantined,
                             # or the state of the service that runs it
    reason @5 :Text;         # why refused / quarantined, or its last failure
    service @6 :Text;        # the service that runs it (or ran it)
    module @7 :Text;         # the boot module it came from
    signer @8 :Text;         # "machine (person)"
    requires @9 :List(Text);
    provides @10 :List(Text);
    intent @11 :Text;        # the intent profile, one line
    counters @12 :Text;      # the instance's counters (last seen), one line
    vouchers @13 :List(Text); # the install policy's proofs and who vouched
                             # for each, one line each (docs/TRUST.md)
  }
}
