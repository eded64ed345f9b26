# schema/naming.capnp: the naming service's protocol. Names are paths
# ("/svc/console"); resolving one says what is there, connecting to it
# returns a capability to the service (the Ring end travels in the ring
# slot header, the payload says which facet was granted).
@0xc55fd12b8fdec524;

interface Naming {
  resolve @0 (path :Text) -> (result :Resolution);
  # What the path names, without connecting.

  connect @1 (path :Text, interfaceId :UInt64) -> (status :Status, endpoint :Capability);
  # A capability to the service at path speaking interface interfaceId
  # (0: the service's full interface). The caller gets no more than its
  # own grant allows.

  enum Status {
    ok @0;
    notFound @1;
    denied @2;        # exists, but the caller may not use it
    badPath @3;       # not a well-formed path
    unavailable @4;   # known, but not running (yet)
  }

  struct Resolution {
    status @0 :Status;
    union {
      none @1 :Void;
      service :group {
        provider @2 :Text;       # the service's name
        interfaceId @3 :UInt64;  # its full interface
      }
      directory :group {
        entries @4 :List(Text);  # names directly below the path
      }
    }
  }
}
