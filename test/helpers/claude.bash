# Driving the real Claude Code CLI offline, for bats tests (load after helpers):
#   load helpers; load ../helpers/claude
#   fake_api_start [--bash CMD] [--reply TEXT]   start the fake Messages API, export claude's env
#   claude_in DIR ARGS...                        run the real claude in DIR (stdin /dev/null, bounded)
#   fake_api_count                               POST /v1/messages requests so far
#   fake_api_turns N                             the conversation sent in request N (-1: last)
#   fake_api_stop                                stop the fake (call it from teardown)
#   fake_session CONFIG_DIR CWD UUID [DATE]      write a claude-shaped session file (no CLI needed)
# The fake binds 127.0.0.1 on a free port and exits by itself after
# FAKE_API_TIMEOUT seconds (default 60) even if a test forgets to stop it.

CLAUDE_BIN="$ROOT/node_modules/.bin/claude"

fake_api_start() {
  FAKE_API_LOG="$BATS_TEST_TMPDIR/fake-api.log"
  local portfile="$BATS_TEST_TMPDIR/fake-api.port"
  : >"$FAKE_API_LOG"
  : >"$portfile"
  # 3>&- : bats waits for fd 3 to close; a background server must not hold it.
  node "$ROOT/test/helpers/fake-anthropic.mjs" --log "$FAKE_API_LOG" --timeout "${FAKE_API_TIMEOUT:-60}" "$@" >"$portfile" 3>&- &
  FAKE_API_PID=$!
  local i
  for i in $(seq 1 100); do
    [ -s "$portfile" ] && break
    sleep 0.05
  done
  FAKE_API_PORT=$(head -n1 "$portfile")
  [ -n "$FAKE_API_PORT" ] || { echo "fake API did not start" >&2; return 1; }
  export ANTHROPIC_BASE_URL="http://127.0.0.1:$FAKE_API_PORT"
  export ANTHROPIC_API_KEY=sk-test-fake
  export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
  # Nothing from the developer's own setup may steer the CLI elsewhere.
  unset ANTHROPIC_AUTH_TOKEN ANTHROPIC_MODEL CLAUDE_CODE_USE_BEDROCK CLAUDE_CODE_USE_VERTEX CLAUDE_CODE_USE_FOUNDRY
  unset CLAUDECODE CLAUDE_CODE_SESSION_ID CLAUDE_CODE_ENTRYPOINT
}

fake_api_stop() {
  if [ -n "${FAKE_API_PID:-}" ]; then
    kill "$FAKE_API_PID" 2>/dev/null || true
    wait "$FAKE_API_PID" 2>/dev/null || true
    FAKE_API_PID=
  fi
}

# claude_in DIR ARGS... — the real CLI in DIR with HOME/CLAUDE_CONFIG_DIR as set.
claude_in() {
  local dir="$1"; shift
  ( cd "$dir" && timeout 60 "$CLAUDE_BIN" "$@" </dev/null )
}

fake_api_count() {
  node "$ROOT/test/helpers/claude-log.mjs" "$FAKE_API_LOG" count
}

fake_api_turns() {
  node "$ROOT/test/helpers/claude-log.mjs" "$FAKE_API_LOG" turns "$1"
}

# fake_session CONFIG_DIR CWD UUID [TOUCH_DATE] — a session file shaped like
# claude 2.1's (queue lines without cwd, then messages with cwd and sessionId),
# for tests that need sessions but not the CLI. ASCII paths only: the folder
# name here is the slug rule without the >200 case.
fake_session() {
  local config="$1" cwd="$2" id="$3" when="${4:-}"
  local folder="$config/projects/$(printf '%s' "$cwd" | sed 's/[^A-Za-z0-9]/-/g')"
  mkdir -p "$folder"
  {
    printf '{"type":"queue-operation","operation":"enqueue","sessionId":"%s","content":"hello"}\n' "$id"
    printf '{"parentUuid":null,"type":"user","message":{"role":"user","content":"hello"},"cwd":"%s","sessionId":"%s"}\n' "$cwd" "$id"
    printf '{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"hi"}]},"cwd":"%s","sessionId":"%s"}\n' "$cwd" "$id"
  } >"$folder/$id.jsonl"
  [ -z "$when" ] || touch -d "$when" "$folder/$id.jsonl"
  echo "$folder/$id.jsonl"
}
