#!/usr/bin/env bats
# The whole job with the REAL Claude Code CLI: a session made by claude on
# machine A, its files synced to B, cc-handoff on A over a private Mainline
# DHT on 127.0.0.1, cc-pickup on B — and claude on B resumes that same
# session, with its history. The model is a fake Messages API on 127.0.0.1.
load helpers
load ../helpers/testnet
load ../helpers/claude

setup_file() { start_testnet --nodes 12; }
teardown_file() { stop_testnet; }

setup() {
  setup_home
  use_testnet
  fake_api_start
  SID=$(node -e 'console.log(crypto.randomUUID())')
}
teardown() { fake_api_stop; }

@test "real claude: session made on A, handed off over the DHT, resumed on B with the same id and its history" {
  proj="$BATS_TEST_TMPDIR/shared/project"
  mkdir -p "$proj"
  A="$BATS_TEST_TMPDIR/A" B="$BATS_TEST_TMPDIR/B"
  as_machine A cc-key init --no-passphrase >/dev/null
  as_machine A bash -c "cd '$proj' && timeout 60 '$CLAUDE_BIN' -p 'remember the word tangerine' --session-id '$SID' </dev/null" >/dev/null
  a_file=$(ls "$A"/.claude/projects/*/"$SID".jsonl)
  lines_before=$(wc -l < "$a_file")

  # B: the same key and a synced ~/.claude (what Syncthing or rsync would do).
  mkdir -p "$B/.pubky" && chmod 700 "$B/.pubky" && cp -p "$A/.pubky/secret_key" "$B/.pubky/"
  cp -R "$A/.claude" "$B/"

  run as_machine A bash -c "cd '$proj' && cc-handoff --ttl 600"
  assert_success
  assert_output --partial "Published session $SID"

  requests_before=$(fake_api_count)
  CCKIT_CLAUDE="$CLAUDE_BIN" run as_machine B timeout 120 cc-pickup -y --wait 20 -- -p "what was the word?"
  assert_success

  b_file="$B/.claude/projects/$(basename "$(dirname "$a_file")")/$SID.jsonl"
  # The same session id, the same file, grown by the new turn; no new session file.
  [ "$(wc -l < "$b_file")" -gt "$lines_before" ]
  [ "$(ls "$B"/.claude/projects/*/ | grep -c '\.jsonl$')" -eq 1 ]
  grep -q "what was the word?" "$b_file"
  grep -q "\"sessionId\":\"$SID\"" <(tail -1 "$b_file")
  # The model was asked again, and the request carried the earlier turn.
  [ "$(fake_api_count)" -gt "$requests_before" ]
  run fake_api_turns -1
  assert_output --partial "remember the word tangerine"
  assert_output --partial "what was the word?"
}
