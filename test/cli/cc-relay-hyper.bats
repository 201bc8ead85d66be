#!/usr/bin/env bats
# cc-relay between machines (separate HOMEs, separate keys) over a private
# HyperDHT testnet on 127.0.0.1: the firewall admits only peers.toml keys,
# each peer's allow list gates its ops, and edits to peers.toml apply to live
# connections. The host runs the real claude against the fake Messages API.
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/testnet
load ../helpers/claude
load ../helpers/relay

setup_file() {
  start_testnet --nodes 4 --hyper
}

teardown_file() {
  stop_testnet
}

setup() {
  dht_test_setup
  for m in laptop viewer stranger; do as_machine "$m" quick_key; done
  HOST_PK=$(cc-key whoami | json_field pubkey)
  LAPTOP_PK=$(pubkey_of laptop)
  VIEWER_PK=$(pubkey_of viewer)
  # What cc-pair leaves behind on each side: peers.toml with names and allow lists.
  write_peers "$HOME" "laptop $LAPTOP_PK view,send,approve,spawn" "viewer $VIEWER_PK view"
  write_peers "$BATS_TEST_TMPDIR/laptop" "host $HOST_PK view"
  write_peers "$BATS_TEST_TMPDIR/viewer" "host $HOST_PK view"
  write_peers "$BATS_TEST_TMPDIR/stranger" "host $HOST_PK view"
  PROJ="$BATS_TEST_TMPDIR/proj"
  mkdir -p "$PROJ"
}

teardown() {
  for p in ${TAIL_PIDS:-} ${TAIL_PID:-}; do kill "$p" 2>/dev/null || true; done
  relay_stop
  fake_api_stop
}

# write_peers HOME "NAME PK ALLOW" … — peers.toml in HOME's config dir (atomically, as cc-pair does).
write_peers() {
  local home="$1"; shift
  mkdir -p "$home/.config/cckit"
  chmod 700 "$home/.config/cckit"
  local f="$home/.config/cckit/peers.toml" entry name pk allow
  : >"$f.new"
  for entry in "$@"; do
    read -r name pk allow <<<"$entry"
    printf '[[peer]]\nname = "%s"\npubkey = "%s"\naddrs = []\nvia = "code"\nallow = [%s]\n\n' \
      "$name" "$pk" "$(echo "$allow" | sed 's/[a-z]\+/"&"/g')" >>"$f.new"
  done
  chmod 600 "$f.new"
  mv "$f.new" "$f"
}

@test "relay over HyperDHT: a paired laptop spawns, sends, approves and reads a session" {
  printf '%s' "[{\"tool\":\"Write\",\"input\":{\"file_path\":\"$PROJ/remote.txt\",\"content\":\"from afar\\n\"}},{\"text\":\"written\"}]" >"$BATS_TEST_TMPDIR/script.json"
  fake_api_start --script "$BATS_TEST_TMPDIR/script.json"
  relay_start
  [ "$(json_field pubkey <"$RELAY_OUT")" = "$HOST_PK" ]
  run as_machine laptop cc-relay spawn host --cwd "$PROJ"
  assert_success
  S=$(echo "$output" | json_field session)
  run as_machine laptop cc-relay send host "$S" <<<"please write"
  assert_success
  R=$(relay_wait "$S" 'e.kind==="permission"' | json_field request_id)
  run as_machine laptop cc-relay decide host "$S" "$R" allow
  assert_success
  relay_wait "$S" 'e.kind==="claude" && e.msg.type==="result"' >/dev/null
  [ "$(cat "$PROJ/remote.txt")" = "from afar" ]
  run as_machine laptop cc-relay tail host "$S"
  assert_success
  [[ "$output" == *'"kind":"input","who":"laptop"'* ]]
  [[ "$output" == *'"kind":"decision","request_id":"'"$R"'","behavior":"allow","who":"laptop"'* ]]
  # Many watchers: the viewer reads the same log, by the same seqs.
  run as_machine viewer cc-relay tail host "$S"
  assert_success
  [ "$output" = "$(as_machine laptop cc-relay tail host "$S")" ]
}

@test "relay over HyperDHT: view-only peers cannot send, decide, interrupt or spawn; strangers get nothing" {
  fake_api_start
  relay_start
  S=$(relay_spawn "$PROJ")
  run as_machine viewer cc-relay list host
  assert_success
  [ "$(echo "$output" | json_field sessions.0.session)" = "$S" ]
  for cmd in "send host $S" "interrupt host $S" "decide host $S x allow" "stop host $S"; do
    run --separate-stderr as_machine viewer cc-relay $cmd <<<"hi"
    [ "$status" -eq 4 ] || fail "$cmd: status $status"
    assert_one_error cc-relay
    [[ "$stderr" == *"viewer may not"* ]]
  done
  run --separate-stderr as_machine viewer cc-relay spawn host --cwd "$PROJ"
  [ "$status" -eq 4 ]
  [ "$(cc-relay tail - "$S" | grep -c '"kind":"input"')" -eq 0 ]
  # Not in the host's peers.toml: refused in the handshake, before any byte of a session.
  run --separate-stderr as_machine stranger cc-relay list host
  [ "$status" -eq 4 ] || fail "status $status: $stderr"
  assert_one_error cc-relay
  [[ "$output" != *"$S"* && "$stderr" != *"$S"* ]]
}

@test "relay over HyperDHT: one writer — another sender is busy until it takes the lease over" {
  printf '[{"text":"one"},{"text":"two"}]' >"$BATS_TEST_TMPDIR/script.json"
  fake_api_start --script "$BATS_TEST_TMPDIR/script.json"
  write_peers "$HOME" "laptop $LAPTOP_PK view,send,approve,spawn" "viewer $VIEWER_PK view,send"
  relay_start
  S=$(relay_spawn "$PROJ")
  run as_machine laptop cc-relay send host "$S" <<<"mine"
  assert_success
  run --separate-stderr as_machine viewer cc-relay send host "$S" <<<"me too"
  [ "$status" -eq 1 ]
  assert_one_error cc-relay
  [[ "$stderr" == *"busy: held by laptop"* ]]
  run as_machine viewer cc-relay lease host "$S" take --force
  assert_success
  [ "$(echo "$output" | json_field lease.who)" = viewer ]
  relay_wait "$S" 'e.kind==="claude" && e.msg.type==="result"' >/dev/null
  run as_machine viewer cc-relay send host "$S" <<<"now me"
  assert_success
  run --separate-stderr as_machine laptop cc-relay send host "$S" <<<"again"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"busy: held by viewer"* ]]
  cc-relay tail - "$S" | grep -q '"kind":"lease","who":"viewer".*"taken_from":"laptop"'
}

@test "relay over HyperDHT: forgetting a peer cuts its live connection; a changed allow list applies at once" {
  fake_api_start
  relay_start
  S=$(relay_spawn "$PROJ")
  as_machine viewer cc-relay tail host "$S" --follow >"$BATS_TEST_TMPDIR/viewer.tail" 2>"$BATS_TEST_TMPDIR/viewer.err" 3>&- &
  TAIL_PID=$!
  as_machine laptop cc-relay tail host "$S" --follow >"$BATS_TEST_TMPDIR/laptop.tail" 2>/dev/null 3>&- &
  LAPTOP_TAIL=$!
  TAIL_PIDS="$TAIL_PID $LAPTOP_TAIL"
  for i in $(seq 1 200); do [ -s "$BATS_TEST_TMPDIR/viewer.tail" ] && [ -s "$BATS_TEST_TMPDIR/laptop.tail" ] && break; sleep 0.1; done
  [ -s "$BATS_TEST_TMPDIR/viewer.tail" ]
  # The viewer is forgotten (cc-pair forget rewrites peers.toml): its tail ends, unasked.
  write_peers "$HOME" "laptop $LAPTOP_PK"
  for i in $(seq 1 100); do kill -0 "$TAIL_PID" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$TAIL_PID" 2>/dev/null
  run --separate-stderr as_machine viewer cc-relay list host
  [ "$status" -eq 4 ] || fail "status $status: $stderr"
  # The laptop's allow list loses view: its live tail ends too, though it stays paired.
  write_peers "$HOME" "laptop $LAPTOP_PK spawn"
  for i in $(seq 1 100); do kill -0 "$LAPTOP_TAIL" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$LAPTOP_TAIL" 2>/dev/null
  run --separate-stderr as_machine laptop cc-relay list host
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"laptop may not list"* ]]
}
