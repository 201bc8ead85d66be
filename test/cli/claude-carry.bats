#!/usr/bin/env bats
# Session carry with the REAL Claude Code CLI: a session made by claude on
# machine A is carried (cc-handoff --carry) to machine B, which has the same
# key but no copy of ~/.claude, over a private HyperDHT + Mainline testnet on
# 127.0.0.1; claude on B resumes it and the model (a fake Messages API on
# 127.0.0.1) receives the whole earlier history in B's first request.
load helpers
load ../helpers/testnet
load ../helpers/claude

setup_file() { start_testnet --nodes 8 --hyper; }
teardown_file() { stop_testnet; }

setup() {
  bats_require_minimum_version 1.5.0
  setup_home
  use_testnet
  FAKE_API_TIMEOUT=240 fake_api_start
  SID=$(node -e 'console.log(crypto.randomUUID())')
  SERVE_JOB=
}
teardown() {
  [ -z "${SERVE_JOB:-}" ] || { kill -TERM "$(cat "$BATS_TEST_TMPDIR/serve.pid" 2>/dev/null)" 2>/dev/null || true; wait "$SERVE_JOB" 2>/dev/null || true; }
  fake_api_stop
}

@test "real claude: made on A, carried to B (no synced ~/.claude), resumed there with its whole history" {
  A="$BATS_TEST_TMPDIR/A" B="$BATS_TEST_TMPDIR/B"
  proj_a="$A/src/project" proj_b="$B/code/project"
  mkdir -p "$proj_a" "$proj_b"
  as_machine A cc-key init --no-passphrase >/dev/null
  as_machine A bash -c "cd '$proj_a' && timeout 60 '$CLAUDE_BIN' -p 'remember the word tangerine' --session-id '$SID' </dev/null" >/dev/null
  as_machine A bash -c "cd '$proj_a' && timeout 60 '$CLAUDE_BIN' -p 'and also the word lighthouse' --resume '$SID' </dev/null" >/dev/null
  a_file=$(ls "$A"/.claude/projects/*/"$SID".jsonl)
  lines_a=$(wc -l < "$a_file")
  mkdir -p "$B/.pubky" && chmod 700 "$B/.pubky" && cp -p "$A/.pubky/secret_key" "$B/.pubky/"
  [ ! -e "$B/.claude" ]

  as_machine A bash -c "cd '$proj_a' && echo \$\$ > '$BATS_TEST_TMPDIR/serve.pid' && exec cc-handoff --carry --ttl 600" </dev/null >"$BATS_TEST_TMPDIR/serve.out" 2>"$BATS_TEST_TMPDIR/serve.err" 3>&- &
  SERVE_JOB=$!
  for ((i = 0; i < 300; i++)); do grep -q 'cc-pickup pk:' "$BATS_TEST_TMPDIR/serve.out" && break; sleep 0.1; done
  grep -q 'cc-pickup pk:' "$BATS_TEST_TMPDIR/serve.out" || { cat "$BATS_TEST_TMPDIR/serve.err"; false; }

  requests_before=$(fake_api_count)
  CCKIT_CLAUDE="$CLAUDE_BIN" run as_machine B timeout 120 cc-pickup -y --wait 20 --cwd "$proj_b" -- -p "which two words?"
  assert_success
  wait "$SERVE_JOB"; SERVE_JOB=

  b_file="$B/.claude/projects/$(printf '%s' "$(cd "$proj_b" && pwd -P)" | sed 's/[^A-Za-z0-9]/-/g')/$SID.jsonl"
  [ -f "$b_file" ]
  [ "$(wc -l < "$b_file")" -gt "$lines_a" ]
  grep -q "which two words?" "$b_file"
  # B's first request to the model carried everything said on A.
  [ "$(fake_api_count)" -gt "$requests_before" ]
  run fake_api_turns $((requests_before + 1))
  assert_output --partial "remember the word tangerine"
  assert_output --partial "and also the word lighthouse"
  assert_output --partial "which two words?"
}
