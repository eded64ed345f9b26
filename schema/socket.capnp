# schema/socket.capnp: the network service's protocol (docs/NETWORK.md).
#
# Two interfaces on two kinds of connection:
#   Net      the service connection a client gets from its manifest or
#            through naming (SYS:svc/net); it only makes sockets.
#   Socket   one Ring pair per socket, made by the stack and handed to the
#            client in Net.socket's reply (two capabilities: the client's
#            request send end, then its event receive end).
#
# On a socket's Rings, requests are client -> stack and everything else is
# stack -> client:
#   - a request (kind = Socket method number) gets one reply (kind |
#     0x8000, same id) whose payload is the method's Results;
#   - send's payload is NOT Cap'n Proto: it is the bytes to send, raw, the
#     whole slot (1 .. ring payload size) - bulk data moves in frames, with
#     no encoding to undo. send has no reply: flow control is the Ring (the
#     stack takes a frame off it only when TCP has room for all of it);
#   - kindData messages carry received bytes, raw, in order; a client that
#     does not read them closes TCP's window, so the peer slows down;
#   - kindEvent messages are an Event (Cap'n Proto): the peer closed, the
#     connection was reset or failed, or (on a listening socket) a
#     connection was accepted, with the new socket's two ends attached.
# Closing a socket is deleting its ends: the stack sees its Rings closed
# and aborts the connection. The stack gone (killed, restarted) is the
# Rings closed from the other side: every socket then fails with
# "disconnected", and the client reconnects through naming.
@0xd2b7e4c1a8f05e93;

interface Net {
  socket @0 (type :Type) -> (status :NetStatus);
  # A new socket; on ok its two ends ride with the reply.

  info @1 () -> (present :Bool, up :Bool, dhcp :Bool, mac :UInt64, addr :UInt32, mask :UInt32,
                 gateway :UInt32, rxFrames :UInt64, txFrames :UInt64, rxRunt :UInt64,
                 rxGiant :UInt64, rxNoMemory :UInt64, rxRefused :UInt64, txFailed :UInt64,
                 badNumbers :UInt32);
  # The interface en0 (docs/NETWORK.md): present only with a driver; its
  # address (host byte order; 0 until DHCP has bound) and the stack's
  # counters of it: frames in and out, dropped by reason, and buffer
  # numbers from the driver that were refused.

  enum Type {
    tcp @0;
    udp @1;
    icmp @2;
    # ICMP echo: connect sets the peer; send's raw payload is a 16-bit
    # little-endian sequence number and the echo data (at most 1400
    # bytes); each echo reply from the peer to this socket arrives as
    # kindData in the same form.
  }

  const maxSocketsPerClient :UInt32 = 8;
  const maxSockets :UInt32 = 32;
}

interface Socket {
  connect @0 (addr :UInt32, port :UInt16) -> (status :NetStatus);
  # IPv4 address in host byte order. TCP: the reply comes when the
  # connection is established or has failed (refused, timedOut). UDP: sets
  # the only peer, at once.

  listen @1 (port :UInt16, backlog :UInt8 = 4) -> (status :NetStatus, port :UInt16);
  # Bind to port on every address (0: any free port, returned) and, for
  # TCP, listen: accepted connections arrive as Event.accepted.

  send @2 () -> ();
  # Placeholder for the method number: the payload is raw bytes (above).

  shutdown @3 (how :How) -> (status :NetStatus);

  setOption @4 (option :Option, value :UInt32) -> (status :NetStatus);

  enum How {
    write @0;     # no more sends: FIN after the queued data
    both @1;      # and nothing more is received
  }

  enum Option {
    noDelay @0;   # TCP_NODELAY: 0 or 1
    keepAlive @1; # seconds of idle before probes, 0 off
  }

  struct Event {
    kind @0 :EventKind;
    status @1 :NetStatus;       # failed: why
    peerAddr @2 :UInt32;     # accepted: the remote end
    peerPort @3 :UInt16;
  }

  enum EventKind {
    peerClosed @0;           # FIN: no more data after what was delivered
    failed @1;               # reset, timed out or aborted: status says
    accepted @2;             # two capabilities: the new socket's ends
  }

  const kindData :UInt16 = 64;
  const kindEvent :UInt16 = 65;
}

enum NetStatus {
  ok @0;
  badRequest @1;     # malformed: unknown kind, bad Cap'n Proto, capabilities sent
  badState @2;       # not allowed now (send before connect, listen twice...)
  badAddress @3;     # address or port not usable (0, broadcast, multicast)
  addrInUse @4;
  refused @5;        # the peer answered with a reset
  reset @6;          # an established connection was reset
  timedOut @7;
  noMemory @8;       # the stack is out of buffers or sockets
  tooMany @9;        # this client already has maxSocketsPerClient sockets
  closed @10;        # the connection is closed
  badOption @11;
}
