#!/usr/bin/env bats
# cc-testnet: a private DHT on 127.0.0.1 that always stops.
load helpers
load ../helpers/testnet

setup() {
  setup_home
}

# Run cc-testnet in the background with stdin from $1 ("null" or "pipe"), output in $BATS_TEST_TMPDIR/tn.json.
start_bg() {
  local stdin="$1"; shift
  if [ "$stdin" = pipe ]; then
    mkfifo "$BATS_TEST_TMPDIR/in"
    cc-testnet "$@" <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/tn.json" 2>"$BATS_TEST_TMPDIR/tn.err" 3>&- &
    TN_PID=$!
    exec 5>"$BATS_TEST_TMPDIR/in" # hold the pipe open
  else
    cc-testnet "$@" </dev/null >"$BATS_TEST_TMPDIR/tn.json" 2>"$BATS_TEST_TMPDIR/tn.err" 3>&- &
    TN_PID=$!
  fi
  _wait_line "$BATS_TEST_TMPDIR/tn.json" 100
}

# Wait up to $1 tenths of a second for TN_PID to exit; sets TN_RC.
wait_exit() {
  local i
  for ((i = 0; i < $1; i++)); do
    if ! kill -0 "$TN_PID" 2>/dev/null; then
      wait "$TN_PID"; TN_RC=$?
      return 0
    fi
    sleep 0.1
  done
  kill -KILL "$TN_PID" 2>/dev/null
  return 1
}

@test "cc-testnet --help prints usage" {
  run cc-testnet --help
  assert_success
  assert_output --partial 'Usage:'
  assert_output --partial '--nodes N'
}

@test "cc-testnet prints one JSON line with a loopback bootstrap and stops on SIGTERM" {
  start_bg null --nodes 5 --ttl 60
  run cat "$BATS_TEST_TMPDIR/tn.json"
  assert_line --index 0 --regexp '^\{"bootstrap":"127\.0\.0\.1:[0-9]+","nodes":5,"pid":[0-9]+\}$'
  kill -TERM "$TN_PID"
  wait_exit 50
  [ "$TN_RC" -eq 0 ]
}

@test "cc-testnet stops on SIGINT" {
  start_bg null --nodes 3 --ttl 60
  kill -INT "$TN_PID"
  wait_exit 50
  [ "$TN_RC" -eq 0 ]
}

@test "cc-testnet stops when its stdin pipe closes" {
  start_bg pipe --nodes 3 --ttl 60
  kill -0 "$TN_PID"
  exec 5>&-
  wait_exit 50
  [ "$TN_RC" -eq 0 ]
}

@test "cc-testnet stops after --ttl seconds" {
  start_bg null --nodes 3 --ttl 1
  wait_exit 60
  [ "$TN_RC" -eq 0 ]
}

@test "cc-testnet network carries a publish from one machine to another" {
  start_bg null --nodes 8 --ttl 60
  export CCKIT_BOOTSTRAP=$(_json "$BATS_TEST_TMPDIR/tn.json" bootstrap)
  quick_key
  test_record >"$BATS_TEST_TMPDIR/rec.json"
  pk=$(my_z32)
  run cc-dht-put "$BATS_TEST_TMPDIR/rec.json"
  assert_success
  run as_machine other cc-dht-get "pk:$pk"
  assert_success
  assert_output "$(cat "$BATS_TEST_TMPDIR/rec.json")"
  kill -TERM "$TN_PID"
  wait_exit 50
}

@test "cc-testnet --hyper adds a HyperDHT bootstrap address" {
  start_bg null --nodes 3 --hyper --ttl 60
  run cat "$BATS_TEST_TMPDIR/tn.json"
  assert_output --regexp '"hyper_bootstrap":"127\.0\.0\.1:[0-9]+","hyper_nodes":[0-9]+'
  kill -TERM "$TN_PID"
  wait_exit 80
  [ "$TN_RC" -eq 0 ]
}

@test "cc-testnet rejects bad flags as usage errors" {
  run cc-testnet --nodes 0
  assert_failure 2
  assert_output --partial "cc-testnet: error: --nodes must be a positive number, got '0'"
  run cc-testnet --nodes 501
  assert_failure 2
  run cc-testnet --bogus
  assert_failure 2
  assert_output --partial 'unknown flag --bogus'
}
