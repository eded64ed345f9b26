#!/usr/bin/env bash
# tests/tools/tls13.sh: the TLS 1.3-only client (tools/tls: vtls on
# wolfSSL 5.5.4 with every other version compiled out) against OpenSSL on
# 127.0.0.1: a TLS 1.3 server is reached and talked to; a TLS 1.2 server,
# a certificate from another CA, for another name or expired, garbage
# records, a truncated handshake and a missing server are each refused
# with their named error and exit 1.
#
#   bash tests/tools/tls13.sh BUILD_DIR
set -u
B=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
P=$B/tools/tlsprobe
SUITE=tls13
. tests/tools/expect.bash
[ -x "$P" ] || { echo "FAIL tls13:tool_built: $P missing"; exit 1; }
command -v openssl >/dev/null || { echo "FAIL tls13:openssl: not installed (scripts/setup)"; exit 1; }
T=$(mktemp -d /tmp/vectra-tls13.XXXXXX)
SERVER=
stop() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; SERVER=; }
trap 'stop; rm -rf "$T"' EXIT

# A port free on 127.0.0.1 now (the kernel's pick).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Wait until something listens on 127.0.0.1:$1 (LISTEN is state 0A in /proc/net/tcp).
wait_listen() {
  local hex i
  hex=$(printf '0100007F:%04X' "$1")
  for i in $(seq 100); do
    grep -q " $hex 00000000:0000 0A" /proc/net/tcp && return 0
    sleep 0.05
  done
  echo "FAIL tls13:server: nothing listens on 127.0.0.1:$1"; failed=1
}
# serve ARGS...: an openssl s_server on a fresh port, in $PORT.
serve() {
  stop
  PORT=$(free_port)
  openssl s_server -accept "127.0.0.1:$PORT" -quiet "$@" >"$T/server.log" 2>&1 </dev/null &
  SERVER=$!
  wait_listen "$PORT"
}
# rogue PYTHON: a hand-made server on a fresh port: it reads the ClientHello,
# then does what the code says with the connection c.
rogue() {
  stop
  PORT=$(free_port)
  python3 -c "
import os, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $PORT)); s.listen(1)
c, _ = s.accept(); c.recv(4096)
$1
c.close()" &
  SERVER=$!
  wait_listen "$PORT"
}

# Certificates: a P-256 CA and a server certificate for localhost; another
# CA; an Ed25519 server; a certificate that expires at once.
cd "$T"
ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
         -out "$1.pem" -days 30 -subj "/CN=$1" 2>/dev/null; }
leaf() { # NAME ALG DAYS
  openssl req -newkey "$2" -nodes -keyout "$1.key" -out "$1.csr" -subj /CN=localhost 2>/dev/null
  printf 'subjectAltName=DNS:localhost\n' >ext
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" \
    -days "$3" -extfile ext 2>/dev/null
}
ca ca; ca other
leaf srv ec:<(openssl genpkey -genparam -algorithm ec -pkeyopt ec_paramgen_curve:P-256 2>/dev/null) 30
leaf ed ed25519 30
leaf exp ec:<(openssl genpkey -genparam -algorithm ec -pkeyopt ec_paramgen_curve:P-256 2>/dev/null) 0
cd "$ROOT"
[ -s "$T/srv.pem" ] && [ -s "$T/ed.pem" ] && [ -s "$T/exp.pem" ] ||
  { echo "FAIL tls13:certificates: openssl could not make the test certificates"; exit 1; }
C=$T/ca.pem

expect usage_no_ca 2 'required' -- "$P" --port 1
expect usage_bad_option 2 'unknown option' -- "$P" --frob 1

serve -tls1_3 -rev -cert "$T/srv.pem" -key "$T/srv.key"
expect tls13_ecdsa_ok 0 'ok TLSv1.3 TLS13-AES128-GCM-SHA256' -- "$P" --port "$PORT" --ca "$C" --send hello
expect tls13_echo_reversed 0 'reply olleh' -- "$P" --port "$PORT" --ca "$C" --send hello
expect tls13_wrong_ca 1 'refused: untrusted-certificate' -- "$P" --port "$PORT" --ca "$T/other.pem"
expect tls13_wrong_name 1 'refused: wrong-server-name' -- "$P" --port "$PORT" --ca "$C" --name example.org
expect trust_not_pem 1 'refused: bad-trust-anchors' -- "$P" --port "$PORT" --ca /etc/hostname

serve -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256 -cert "$T/ed.pem" -key "$T/ed.key"
expect tls13_ed25519_chacha 0 'ok TLSv1.3 TLS13-CHACHA20-POLY1305-SHA256' -- "$P" --port "$PORT" --ca "$C"

serve -tls1_2 -cert "$T/srv.pem" -key "$T/srv.key"
expect tls12_server_refused 1 'refused: not-tls13' -- "$P" --port "$PORT" --ca "$C"
serve -no_tls1_3 -cert "$T/srv.pem" -key "$T/srv.key"
expect tls12_or_older_refused 1 'refused: not-tls13' -- "$P" --port "$PORT" --ca "$C"

sleep 1   # exp.pem's notAfter is the second it was made
serve -tls1_3 -cert "$T/exp.pem" -key "$T/exp.key"
expect tls13_expired 1 'refused: certificate-not-valid-now' -- "$P" --port "$PORT" --ca "$C"

rogue "c.sendall(b'\x17\x03\x03\x00\x05hello' + os.urandom(300))"
expect garbage_records 1 'refused: malformed-record' -- "$P" --port "$PORT" --ca "$C"
rogue "c.sendall(b'\xff\x03\x03\x00\x10' + bytes(16))"
expect unknown_record_type 1 'refused: malformed-record' -- "$P" --port "$PORT" --ca "$C"
rogue "c.sendall(b'\x16\x03\x03\x00\x80\x02\x00\x00\x7c\x03\x03' + bytes(20))"
expect truncated_handshake 1 'refused: closed-mid-handshake' -- "$P" --port "$PORT" --ca "$C"
stop

PORT=$(free_port)
expect no_server 1 'connect 127.0.0.1' -- "$P" --port "$PORT" --ca "$C"
exit $failed
