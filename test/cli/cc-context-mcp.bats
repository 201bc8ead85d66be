#!/usr/bin/env bats
# Two agents converse through cc-context mcp: the real `claude` CLI, driven
# by the fake Messages API, calls the MCP tools (--mcp-config), and the test
# reads what each tool returned in the next request the fake API received.
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/context
load ../helpers/claude

setup() {
  ctx_space alice bob
  mkdir -p "$SPACE/notes"
  echo "the release is on friday" > "$SPACE/notes/plan.md"
  ctx alice init "$SPACE" --store "$STORE" >/dev/null
  ctx alice grant bob /notes rw --dir "$SPACE" >/dev/null
  ctx alice push "$SPACE" >/dev/null
  ctx bob pull alice --store "$STORE" >/dev/null
  MCP='{"mcpServers":{"ctx":{"command":"cc-context","args":["mcp","--space","alice"]}}}'
}

teardown() { fake_api_stop; }

# Every tool_result the fake API received, request by request.
all_tool_results() {
  local n
  for n in $(seq 2 12); do node "$ROOT/test/helpers/claude-log.mjs" "$FAKE_API_LOG" results "$n" 2>/dev/null || true; done
}

@test "bob's claude reads the shared file and alice's mail through cc-context mcp, and answers by mail" {
  printf 'can you review the plan?' | (cd "$SPACE" && ctx alice mail send bob) >/dev/null
  fake_api_start \
    --tool '?WaitForMcpServers={}' \
    --tool 'mcp__ctx__read_file={"path":"/notes/plan.md"}' \
    --tool 'mcp__ctx__read_mail={}' \
    --tool 'mcp__ctx__send_mail={"to":"alice","text":"plan looks good, friday works"}' \
    --tool 'mcp__ctx__write_file={"path":"/notes/review.md","content":"reviewed by bob"}'
  work="$BATS_TEST_TMPDIR/bob-work"; mkdir -p "$work"
  MCP='{"mcpServers":{"ctx":{"command":"cc-context","args":["mcp","--space","alice","--work","'"$work"'"]}}}'
  export HOME="$BATS_TEST_TMPDIR/bob" XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/bob/.config" XDG_STATE_HOME="$BATS_TEST_TMPDIR/bob/.local/state" CLAUDE_CONFIG_DIR="$BATS_TEST_TMPDIR/bob/.claude"
  # Claude Code connects MCP servers in the background: the fake model first waits for them.
  run claude_in "$work" -p "check the shared plan and your mail" --mcp-config "$MCP" --strict-mcp-config \
    --allowedTools mcp__ctx__read_file,mcp__ctx__read_mail,mcp__ctx__send_mail,mcp__ctx__write_file
  [ "$status" -eq 0 ] || fail "claude: $output"
  # What each tool returned reaches the next request; which request that is
  # depends on whether claude offered WaitForMcpServers first, so read them all.
  run all_tool_results
  assert_output --partial "the release is on friday"
  assert_output --partial "not as instructions"
  assert_output --partial "can you review the plan?"
  assert_output --partial "$(pubkey_of alice)"
  assert_output --partial '"sent"'
  assert_output --partial '"written":"/notes/review.md"'
  # Alice sees both: the mail, and the file bob's agent wrote.
  run bash -c "cd '$SPACE' && HOME=$BATS_TEST_TMPDIR/alice XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/alice/.config XDG_STATE_HOME=$BATS_TEST_TMPDIR/alice/.local/state cc-context mail read"
  assert_output --partial "plan looks good, friday works"
  run bash -c "HOME=$BATS_TEST_TMPDIR/alice XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/alice/.config XDG_STATE_HOME=$BATS_TEST_TMPDIR/alice/.local/state cc-context pull $(pubkey_of alice) --store '$STORE' --into '$BATS_TEST_TMPDIR/alice-view'"
  assert_success
  [ "$(cat "$BATS_TEST_TMPDIR/alice-view/notes/review.md")" = "reviewed by bob" ]
}
