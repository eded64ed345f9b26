# schema/supervisor.capnp: init's control interface, used by vshell (ps,
# start, stop, restart, kill, mem, caps, halt, reboot). init serves it on
# its own accept Ring; only Tasks the manifest grants "init" can reach it.
@0xcaff29b46a62cf34;

interface Supervisor {
  listTasks @0 () -> (tasks :List(TaskInfo));
  listServices @1 () -> (services :List(ServiceInfo));
  start @2 (name :Text) -> (status :Status, message :Text);
  stop @3 (name :Text) -> (status :Status, message :Text);
  restart @4 (name :Text) -> (status :Status, message :Text);
  kill @5 (id :UInt64) -> (status :Status, message :Text);
  memory @6 () -> (reticles :List(ReticleInfo));
  caps @7 (name :Text) -> (status :Status, caps :List(CapInfo));
  halt @8 () -> ();
  reboot @9 () -> ();
  events @10 (after :UInt64, limit :UInt32 = 32) -> (events :List(Event), next :UInt64);
  # Exits, faults, restarts and refusals, oldest first.

  enum Status {
    ok @0;
    notFound @1;
    badState @2;     # e.g. starting a running service
    denied @3;
    failed @4;
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
  }

  struct ServiceInfo {
    name @0 :Text;
    state @1 :Text;          # running, stopped, exited, failed, refused, waiting
    task @2 :UInt64;         # Task id, 0 if none
    restarts @3 :UInt32;
    lastExit @4 :Int64;
    reason @5 :Text;         # why refused / failed, or the last fault
    policy @6 :Text;         # never, on-failure, always
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
}
