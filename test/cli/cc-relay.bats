#!/usr/bin/env bats
# cc-relay's command line: usage errors, no server, hostile input. Fast: no claude runs.
bats_require_minimum_version 1.5.0
load helpers

setup() { setup_home; }

@test "cc-relay: usage errors are one line, exit 2" {
  for args in "" "launch -" "list" "info -" "decide - S R maybe" "lease - S grab" "tail - S --since abc" "send - S --force" \
              "spawn -" "serve --tls-cert x" "serve --approval-default maybe" "token add x" "token add x --allow root" "token" "list - extra"; do
    run --separate-stderr cc-relay $args
    [ "$status" -eq 2 ] || fail "cc-relay $args: status $status ($stderr)"
    assert_one_error cc-relay
  done
}

@test "cc-relay: no server on this host is exit 3 with a hint; attach needs a terminal" {
  run --separate-stderr cc-relay list -
  [ "$status" -eq 3 ]
  assert_one_error cc-relay
  [[ "$stderr" == *"no relay server is running on this host"* ]]
  run --separate-stderr cc-relay attach - </dev/null
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"attach needs a terminal"* ]]
}

@test "cc-relay: an unknown peer name is a usage error naming it, with control characters made visible" {
  run --separate-stderr cc-relay list "$(printf 'evil\033[31m')"
  [ "$status" -eq 2 ]
  assert_one_error cc-relay
  [[ "$stderr" == *"^["* ]]
  [[ "$stderr" != *$'\033'* ]]
}

@test "cc-relay serve: a second server on the same state dir is refused; the socket is 0600" {
  CCKIT_CLAUDE=/bin/false cc-relay serve --no-hyper </dev/null >"$BATS_TEST_TMPDIR/o" 2>/dev/null 3>&- &
  pid=$!
  for i in $(seq 1 100); do [ -s "$BATS_TEST_TMPDIR/o" ] && break; sleep 0.1; done
  [ "$(stat -c %a "$XDG_STATE_HOME/cckit/relay/relay.sock")" = 600 ]
  [ "$(stat -c %a "$XDG_STATE_HOME/cckit/relay")" = 700 ]
  run --separate-stderr cc-relay serve --no-hyper
  [ "$status" -eq 1 ]
  assert_one_error cc-relay
  [[ "$stderr" == *"already listens"* ]]
  # Hostile frames on the socket: errors, not a crash.
  run node -e '
    const s = require("net").createConnection(process.argv[1]);
    let out = "";
    s.on("data", (d) => { out += d; });
    s.on("connect", () => { s.write("garbage\n[1,2]\n{\"id\":1,\"op\":\"nope\"}\n{\"id\":2,\"v\":9,\"op\":\"list\"}\n{\"id\":3,\"op\":\"info\",\"session\":\"x\"}\n"); setTimeout(() => { console.log(out); s.destroy(); }, 500); });
  ' "$XDG_STATE_HOME/cckit/relay/relay.sock"
  [[ "$output" == *'"code":"bad_request"'* ]]
  [[ "$output" == *'"code":"unknown_op"'* ]]
  [[ "$output" == *'"code":"unsupported_version"'* ]]
  [[ "$output" == *'"code":"not_found"'* ]]
  run cc-relay list -
  assert_success
  kill -TERM "$pid"; wait "$pid"
  [ ! -e "$XDG_STATE_HOME/cckit/relay/relay.sock" ]
}

@test "cc-relay send: empty input and malformed JSON messages are refused before connecting" {
  run --separate-stderr cc-relay send - S </dev/null
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"empty input"* ]]
  run --separate-stderr cc-relay send - S <<<'{"txt":"typo"}'
  [ "$status" -eq 1 ]
  [[ "$stderr" == *'needs "text"'* ]]
}
