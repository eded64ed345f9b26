# schema/console.capnp: the console service's protocol (text in and out).
@0xe05cb9bc28566483;

interface Console {
  write @0 (bytes :Data) -> (written :UInt32);
  # Writes bytes as they are (UTF-8 expected, not checked).

  readLine @1 (maxBytes :UInt32 = 256, echo :Bool = true) -> (status :Status, line :Text);
  # Reads one line (without its newline), at most maxBytes long.

  enum Status {
    ok @0;
    eof @1;       # the input was closed
    tooLong @2;   # line longer than maxBytes: `line` holds its start
  }
}
