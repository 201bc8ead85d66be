# The relay server for bats files (load after helpers and ../helpers/claude):
#   relay_start [serve flags…]   start `cc-relay serve` in the background (bounded by the test's teardown)
#   relay_stop                   SIGTERM it and wait for it to exit
#   relay_spawn DIR              spawn a session in DIR on the local server; prints its id
#   relay_wait SESSION JS [N]    wait (N tenths of a second, default 600) until an event e of
#                                SESSION's log makes the JS expression true; prints that event
relay_start() {
  RELAY_OUT="$BATS_TEST_TMPDIR/relay.out"
  : >"$RELAY_OUT"
  CCKIT_CLAUDE="$CLAUDE_BIN" cc-relay serve "$@" </dev/null >"$RELAY_OUT" 2>"$BATS_TEST_TMPDIR/relay.err" 3>&- &
  RELAY_PID=$!
  local i
  for i in $(seq 1 150); do
    [ -s "$RELAY_OUT" ] && return 0
    kill -0 "$RELAY_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$BATS_TEST_TMPDIR/relay.err" >&2
  return 1
}

relay_stop() {
  [ -n "${RELAY_PID:-}" ] || return 0
  kill -TERM "$RELAY_PID" 2>/dev/null || true
  # Bounded: a server that ignores SIGTERM is killed after 20 s.
  local i
  for i in $(seq 1 200); do
    kill -0 "$RELAY_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$RELAY_PID" 2>/dev/null || true
  wait "$RELAY_PID" 2>/dev/null || true
  RELAY_PID=
}

relay_spawn() {
  cc-relay spawn - --cwd "$1" | json_field session
}

relay_wait() {
  local session="$1" expr="$2" tries="${3:-600}" i out
  for ((i = 0; i < tries; i++)); do
    out=$(cc-relay tail - "$session" | node -e '
      const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
      const test = new Function("e", "return (" + process.argv[1] + ")");
      const hit = lines.map((l) => JSON.parse(l)).find((e) => { try { return test(e); } catch { return false; } });
      if (hit) { process.stdout.write(JSON.stringify(hit)); process.exit(0); }
      process.exit(1);' "$expr") && { echo "$out"; return 0; }
    sleep 0.1
  done
  echo "relay_wait: no event matching $expr in session $session" >&2
  cc-relay tail - "$session" | cut -c1-300 >&2
  return 1
}
