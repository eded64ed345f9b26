# test.capnp: a schema that exercises every feature the C generator and
# runtime support; the interop tests encode tests/capnp/*.json with capnp
# and read the result with the generated readers, and the other way round.
@0xbf6dd4fbeac55cf8;

enum Color {
  red @0;
  green @1;
  blue @2;
}

struct Inner {
  # A small struct, used in lists and as a field.
  id @0 :UInt32;
  label @1 :Text;
}

struct Empty {}

struct TestAll {
  boolField @0 :Bool = true;
  int8Field @1 :Int8 = -7;
  int16Field @2 :Int16 = -1234;
  int32Field @3 :Int32 = -123456;
  int64Field @4 :Int64 = -1234567890123;
  uint8Field @5 :UInt8 = 200;
  uint16Field @6 :UInt16 = 60000;
  uint32Field @7 :UInt32 = 4000000000;
  uint64Field @8 :UInt64 = 12345678901234567890;
  float32Field @9 :Float32 = 1.5;
  float64Field @10 :Float64 = -2.25;
  textField @11 :Text = "dflt";
  dataField @12 :Data = 0x"de ad 00 be ef";
  enumField @13 :Color = green;
  structField @14 :Inner;
  voidField @15 :Void;
  emptyField @16 :Empty;

  boolList @17 :List(Bool);
  int8List @18 :List(Int8);
  int16List @19 :List(Int16);
  int32List @20 :List(Int32);
  int64List @21 :List(Int64);
  uint8List @22 :List(UInt8);
  uint16List @23 :List(UInt16);
  uint32List @24 :List(UInt32);
  uint64List @25 :List(UInt64);
  float32List @26 :List(Float32);
  float64List @27 :List(Float64);
  textList @28 :List(Text);
  dataList @29 :List(Data);
  enumList @30 :List(Color);
  structList @31 :List(Inner);
  voidList @32 :List(Void);
  listList @33 :List(List(Int32));
  textListList @34 :List(List(Text));
  structListList @35 :List(List(Inner));
  emptyList @36 :List(Empty);

  union {
    # The unnamed union: which() tells the member.
    none @37 :Void;
    number @38 :Int32 = 99;
    name @39 :Text;
    point :group {
      x @40 :Int32;
      y @41 :Int32 = -1;
    }
    inner @42 :Inner;
  }

  settings :group {
    level @43 :UInt16 = 5;
    tag @44 :Text = "grp";
    mode :union {
      off @45 :Void;
      fast @46 :Bool;
      ratio @47 :Float32;
    }
  }

  nested @48 :Nested;
  int32ListDefault @49 :List(Int32) = [1, 2, 3];
  structDefault @50 :Inner = (id = 7, label = "seven");
  anyField @51 :AnyPointer;
  textListDefault @52 :List(Text) = ["a", "bc"];

  struct Nested {
    enum Mode {
      off @0;
      on @1;
      auto @2;
    }
    mode @0 :Mode = on;
    child @1 :Nested;
    value @2 :Int64;
  }

  const answer :Int32 = 42;
}

const greeting :Text = "hello \"world\"\n";
const blob :Data = 0x"01 02 03 00 ff";
const pi :Float64 = 3.14159;
const half :Float32 = 0.5;
const big :UInt64 = 18446744073709551615;
const small :Int64 = -9223372036854775808;
const flag :Bool = true;
const colorConst :Color = blue;
const innerConst :Inner = (id = 1, label = "one");
const listConst :List(UInt16) = [10, 20, 30];
const structListConst :List(Inner) = [(id = 2), (label = "three")];

interface Calc {
  # A service protocol: the generator emits the interface id, method
  # numbers and the params/results structs.
  add @0 (a :Int32, b :Int32) -> (sum :Int32);
  reset @1 ();
  describe @2 (what :Inner) -> (text :Text, items :List(Inner));
}

struct HasCap {
  cap @0 :Calc;
  caps @1 :List(Calc);
}
