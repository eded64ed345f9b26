# schema/console.capnp: the console service's protocol (text in and out).
@0xe05cb9bc28566483;

interface Console {
  write @0 (bytes :Data) -> (written :UInt32);
  # Writes bytes as they are (UTF-8 expected, not checked).

  readLine @1 (maxBytes :UInt32 = 256, echo :Bool = true, words :Text)
      -> (status :Status, line :Text);
  # Reads one line (without its newline), at most maxBytes long. `words`
  # (blank-separated, at most 1023 bytes) are what Tab completes the first
  # word from. A line from which the editor had to drop input (typed into
  # a full line, or non-ASCII) is never returned as ok.

  enum Status {
    ok @0;
    eof @1;       # the input was closed
    tooLong @2;   # line longer than maxBytes, or typed past the editor's
                  # 255 bytes: `line` holds its start
    notAscii @3;  # the line had bytes >= 0x80, which the editor drops
  }
}
