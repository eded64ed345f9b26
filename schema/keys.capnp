# schema/keys.capnp: the key service (user/services/keyd, docs/KEYS.md "In the
# OS"). keyd keeps this Machine's identity in the store (state volume
# "vectra.identity": the Person public file, the sealed Machine key in
# vkey's .vmkey format, and the Machine certificate), unseals the Machine
# key at login and holds it, never handing it out. Every reply carries a
# status; a refusal names its reason in `error` (an id_err or lib/store
# name, e.g. "UNSEAL", "IO_WRITE") and says why in `why`.
#
# The session: the connection a successful login came on. Requests on it
# act with the unsealed key (sign); on any other connection sign is
# notLoggedIn. logout, or that connection closing, wipes the key.
@0xe3b1c58a9d07f421;

interface Keys {
  status @0 () -> (status :Status, state :State, person :Text, machine :Text,
                   personKey :Data, machineKey :Data, notBefore :Int64, notAfter :Int64,
                   domains :UInt8, kdf :Text, failures :UInt32, retryInUs :UInt64,
                   error :Text, why :Text);
  # What the store holds (state), who this Machine is, the Argon2id
  # parameters of the seal, and the wrong-passphrase count and wait.

  setup @1 (person :Text, machine :Text, passphrase :Text, words :Text)
        -> (status :Status, error :Text, why :Text, words :Text, personKey :Data,
            machineKey :Data);
  # On a store without an identity only. words empty: a new Person from
  # `high` randomness, whose 24 words come back once in `words` and are
  # kept nowhere; words given: that Person restored. Then a new Machine
  # key sealed with passphrase and its certificate, all committed in one
  # store write.

  login @2 (passphrase :Text) -> (status :Status, error :Text, why :Text, retryInUs :UInt64,
                               grants :List(Text));
  # Unseals the Machine key; this connection becomes the session. An ok
  # reply carries what the policy grants the session: for each name in
  # grants, a new connection's two client ends (request send end, reply
  # receive end), introduced by keyd through its manifest's "session.NAME"
  # introduce grants (sys/ident.json). keyd keeps the originals; the
  # session gets copies derived from them, and logout (or the session's
  # connection closing) revokes them: the capabilities are gone from the
  # session's tables, not merely marked.

  logout @3 () -> (status :Status);
  # Wipes the key and ends the session.

  sign @4 (data :Data) -> (status :Status, error :Text, why :Text, signature :Data, cert :Data);
  # Ed25519 signature of data (at most maxSign bytes) by the Machine key,
  # and the Machine certificate; only on the session's connection.

  cert @5 () -> (status :Status, cert :Data, person :Data);
  # The Machine certificate (.vcert) and the Person public file (.vperson).

  enum State {
    fresh @0;      # the store holds no identity: run setup
    sealed @1;     # an identity, key sealed (nobody logged in)
    open @2;       # logged in: the key is unsealed in keyd
    broken @3;     # the identity volume is malformed (error says how)
    noStore @4;    # no store could be read (error says why)
  }

  enum Status {
    ok @0;
    fresh @1;           # no identity yet: setup first
    exists @2;          # setup on a store that has an identity
    wrongPassphrase @3; # the seal did not open (or the file was altered)
    rateLimited @4;     # too many wrong passphrases: retryInUs
    badRequest @5;      # a bad name, passphrase, words or size
    noRandomness @6;    # high randomness was refused (why says the pool's reason)
    storeError @7;      # the store refused (error: its name, e.g. IO_WRITE)
    corrupt @8;         # the identity volume is malformed
    notLoggedIn @9;     # sign without the session capability
    busy @10;           # a session is open already
  }

  const maxSign :UInt32 = 2048;
  const identityVolume :Text = "vectra.identity";
}

# The read-only facet of init's Supervisor (schema/supervisor.capnp): a
# manifest grant of service "init" with this interface's id as its
# interfaceId is served only the methods that change nothing (listTasks,
# listServices, memory, caps, events, listCapsules, capsuleInfo,
# generations, args, reroot) and halt/reboot (the console's power button);
# every other method is `denied` ("needs a logged-in session"). The shell
# of a system with keyd starts with this facet; login hands it the full
# interface (Keys.login's grants). It declares no methods of its own.
interface SupervisorReader {}
