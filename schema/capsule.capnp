# schema/capsule.capnp: what a capsule says about itself, what a Person says
# about a Machine, and what a system trusts.
#
# All three are stored as canonical Cap'n Proto messages (single segment, no
# segment table, preorder layout, truncated sections), so equal content has
# equal bytes: a capsule's VCID is the SHA-256 of its canonical Manifest, and
# a certificate's signature covers its canonical CertBody. Authors write
# JSON; `capnp convert json:canonical schema/capsule.capnp Manifest` (driven
# by `vcapsule build`) produces the bytes. The byte-level envelope around
# these messages is specified in docs/CAPSULE.md; the verifier is
# lib/capsule/.
#
# Field names in JSON are the $Json.name values where given (the VayuOS
# metadata spelling: "ver", "requires", "integrity"). Data fields are hex.
#
# Compatibility: fields are only ever added at the end of a struct; a
# verifier ignores nothing silently -- a manifest field it does not know
# makes it refuse (docs/CAPSULE.md, "Unknown fields").

@0xb7c6d1e2f3a49581;

using Json = import "/capnp/compat/json.capnp";

# Trust domains. D0 is the most restricted (core services); each domain's
# ceiling of capability types and its permitted signers come from the Policy.
enum Domain {
  d0 @0 $Json.name("D0");
  d1 @1 $Json.name("D1");
  d2 @2 $Json.name("D2");
  d3 @3 $Json.name("D3");
  d4 @4 $Json.name("D4");
}

# The capsule manifest. Its canonical bytes are the capsule's identity.
struct Manifest {
  name @0 :Text;
  # [a-z0-9][a-z0-9._-]{0,63}

  ver @1 :Text;
  # Semantic version 2.0.0: MAJOR.MINOR.PATCH[-pre][+build]

  domain @2 :Domain;

  requires @3 :List(Text);
  # Capabilities the capsule asks for: capability types in upper case
  # (IPC_SRV, HW_GPU, HW_IRQ, ...; [A-Z][A-Z0-9_]{0,31}) and named services
  # as "svc:<name>" (svc:log, svc:store). Every entry must lie under the
  # domain's ceiling.

  provides @4 :List(Text);
  # Services this capsule serves, as "svc:<name>".

  entry @5 :Text;
  # Name of the blob that is the program image (an ELF), or empty for a
  # data-only capsule.

  intent @6 :Intent;

  blobs @7 :List(Blob);
  # The payload, in the order the envelope stores it.

  integrity @8 :Text;
  # Digest of the whole payload section of the envelope ("sha256:<hex>" or
  # "sha3_512:<hex>"), as in VayuOS metadata.
}

struct Blob {
  name @0 :Text;
  # [A-Za-z0-9._-]{1,64}, unique within the capsule.

  size @1 :UInt64;

  integrity @2 :Text;
  # "sha256:<64 hex>" or "sha3_512:<128 hex>", lower-case hex.
}

# The behaviour a capsule promises; a monitor in the OS compares a running
# Task's counters with it and quarantines on deviation.
struct Intent {
  opens @0 :List(Text);
  # Services it will connect to ("svc:<name>"); each must also be required.

  memMax @1 :UInt64 $Json.name("mem_max");
  # Memory ceiling in bytes (0: none declared).

  syscalls @2 :List(Text);
  # Syscall classes it uses: lower-case words such as "ring", "signal",
  # "task", "cap", "reticle", "bundle", "irq", "io".

  rates @3 :List(Rate);
}

struct Rate {
  what @0 :Text;
  # A counter name: a syscall class, "ring_send", "spawn", ...

  perSec @1 :UInt32 $Json.name("per_sec");
  burst @2 :UInt32;
}

# What a Person certifies about a Machine key. The certificate record is the
# canonical bytes of this struct followed by the Person's Ed25519 signature
# (docs/KEYS.md).
struct CertBody {
  name @0 :Text;
  # The Machine's name: [A-Za-z0-9._@-]{1,64}.

  machineKey @1 :Data $Json.hex $Json.name("machine_key");
  # 32-byte Ed25519 public key of the Machine.

  personKey @2 :Data $Json.hex $Json.name("person_key");
  # 32-byte Ed25519 public key of the issuing Person.

  notBefore @3 :Int64 $Json.name("not_before");
  notAfter @4 :Int64 $Json.name("not_after");
  # Validity, Unix seconds, inclusive.

  domains @5 :UInt8;
  # Bit i set: the Machine may sign capsules for domain Di.

  serial @6 :UInt64;
}

# What a system trusts: known Persons, and for each trust domain the
# ceiling of capability types and the Persons who may sign for it.
struct Policy {
  persons @0 :List(TrustedPerson);
  domains @1 :List(DomainRule);

  # The transparency half of the install policy (docs/TRUST.md). Each entry
  # is a C2SP verifier key, "name+hhhhhhhh+base64(type || key)". A policy
  # with none of the three lists is a signature-only policy (the behaviour
  # before these fields existed): no attestation, proof or checkpoint is
  # asked for. With any of them, every domain needs its rebuilders and a
  # witnessed inclusion proof.
  logs @2 :List(Text);
  # Note keys (type 0x01) of the logs whose checkpoints are trusted.

  witnesses @3 :List(Text);
  # Cosignature keys (type 0x04, C2SP tlog-cosignature) of trusted witnesses.

  rebuilders @4 :List(Text);
  # Note keys (type 0x01) of trusted rebuilders (their attestations).
}

struct TrustedPerson {
  name @0 :Text;
  key @1 :Data $Json.hex;
  # 32-byte Ed25519 public key.
}

struct DomainRule {
  domain @0 :Domain;

  ceiling @1 :List(Text);
  # Capability names a capsule in this domain may require. An entry ending
  # in '*' matches every name with that prefix ("svc:*").

  signers @2 :List(Text);
  # Names of TrustedPersons whose Machines may sign for this domain.

  rebuilders @3 :UInt8 = 3 $Json.name("min_rebuilders");
  # N: attestations by distinct trusted rebuilders a capsule needs.

  witnesses @4 :UInt8 = 1 $Json.name("min_witnesses");
  # K: trusted witness cosignatures its log checkpoint needs.
  # Several rules for one domain: the largest N and K apply.
}
