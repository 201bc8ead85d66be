# Local DHT networks for the bats files (load after helpers):
#   setup_file:    start_testnet [cc-testnet flags…]; start_relay (optional)
#   setup:         setup_home; use_testnet
#   teardown_file: stop_relay; stop_testnet
# Every server is bound to 127.0.0.1 and bounded in time (--ttl: 30 min, a
# ceiling far above a file's run even on a loaded 2-core machine), and
# CCKIT_TEST_NO_PUBLIC=1 makes any use of a public address a loud failure.

export CCKIT_TEST_NO_PUBLIC=1

# Wait until file $1 has a line, up to $2 tenths of a second.
_wait_line() {
  local i
  for ((i = 0; i < $2; i++)); do
    [ -s "$1" ] && grep -q . "$1" && return 0
    sleep 0.1
  done
  return 1
}

_json() { node -e 'const v=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8").split("\n")[0])[process.argv[2]];if(v!==undefined)process.stdout.write(String(v))' "$1" "$2"; }

# Start cc-testnet in the background; exports TESTNET_BOOTSTRAP (and TESTNET_HYPER_BOOTSTRAP).
start_testnet() {
  local out="$BATS_FILE_TMPDIR/testnet.json"
  # 3>&- : bats waits for every process holding its fd 3; a server must not.
  "$ROOT/bin/cc-testnet" --ttl 1800 "$@" </dev/null >"$out" 2>"$BATS_FILE_TMPDIR/testnet.err" 3>&- &
  export TESTNET_PID=$!
  _wait_line "$out" 150 || { cat "$BATS_FILE_TMPDIR/testnet.err" >&2; return 1; }
  export TESTNET_BOOTSTRAP TESTNET_HYPER_BOOTSTRAP
  TESTNET_BOOTSTRAP=$(_json "$out" bootstrap)
  TESTNET_HYPER_BOOTSTRAP=$(_json "$out" hyper_bootstrap)
}

stop_testnet() {
  [ -n "${TESTNET_PID:-}" ] || return 0
  kill -TERM "$TESTNET_PID" 2>/dev/null || true
  wait "$TESTNET_PID" 2>/dev/null || true
}

# Start the npm pkarr relay on the testnet; exports TESTNET_RELAY (its URL).
start_relay() {
  local out="$BATS_FILE_TMPDIR/relay.json"
  node "$ROOT/test/helpers/relay-server.mjs" "$TESTNET_BOOTSTRAP" --ttl 1800 </dev/null >"$out" 2>"$BATS_FILE_TMPDIR/relay.err" 3>&- &
  export RELAY_PID=$!
  _wait_line "$out" 100 || { cat "$BATS_FILE_TMPDIR/relay.err" >&2; return 1; }
  export TESTNET_RELAY
  TESTNET_RELAY=$(_json "$out" url)
}

stop_relay() {
  [ -n "${RELAY_PID:-}" ] || return 0
  kill -TERM "$RELAY_PID" 2>/dev/null || true
  wait "$RELAY_PID" 2>/dev/null || true
}

# Point this test's commands at the file's testnet (setup_home unsets them).
use_testnet() {
  export CCKIT_TEST_NO_PUBLIC=1
  export CCKIT_BOOTSTRAP="$TESTNET_BOOTSTRAP"
  [ -n "${TESTNET_HYPER_BOOTSTRAP:-}" ] && export CCKIT_HYPER_BOOTSTRAP="$TESTNET_HYPER_BOOTSTRAP"
  [ -n "${TESTNET_RELAY:-}" ] && export CCKIT_RELAYS="$TESTNET_RELAY"
  unset CCKIT_TRANSPORT
  return 0
}

# The z32 of the current machine's key (no pk: prefix).
my_z32() {
  cc-key whoami | json_field pubkey | sed 's/^pk://'
}

# A small handoff record signed with this machine's key (cc-dht-put publishes
# nothing else): {"blob","created_at","pubkey","signature","ttl"}.
# usage: test_record [ttl] [blob] [created_at] [size]
test_record() {
  (cd "$ROOT" && node --import tsx test/helpers/sign-record.ts "${1:-600}" "${2:-aGVsbG8=}" "${3:-$(date +%s)}" ${4:+"$4"})
}

# The usual per-test set-up of a DHT test: a fresh HOME on the file's testnet,
# a key without passphrase, and a scratch working directory.
dht_test_setup() {
  setup_home
  use_testnet
  quick_key
  cd "$BATS_TEST_TMPDIR"
}
