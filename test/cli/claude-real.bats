#!/usr/bin/env bats
# cc-session and cc-resume against the REAL Claude Code CLI (the devDependency),
# driven offline by the fake Messages API on 127.0.0.1 (test/helpers/claude.bash).
load helpers
load ../helpers/claude

setup() {
  setup_home
  fake_api_start
  S1=11111111-1111-4111-8111-111111111111
  S2=22222222-2222-4222-8222-222222222222
}

teardown() {
  fake_api_stop
}

# The slug our library computes for a directory (realpath first, as Claude Code does).
slug_of() {
  (cd "$ROOT" && node --import tsx --input-type=module -e "
    import { projectSlug, canonicalDir } from '$ROOT/lib/claude/slug.ts';
    console.log(projectSlug(canonicalDir(process.argv[1])));" "$1")
}

@test "real claude: project folder names follow the slug rule (dots, non-ASCII, symlinks, >200 chars)" {
  short="$BATS_TEST_TMPDIR/proj/my.app_v2/é😀 x"
  deep="$BATS_TEST_TMPDIR/proj/$(printf 'a-rather-long-directory-name-%02d/' $(seq 1 9))end"
  mkdir -p "$short" "$deep"
  ln -s "$short" "$BATS_TEST_TMPDIR/link"
  claude_in "$short" -p hello --session-id "$S1" >/dev/null
  claude_in "$deep" -p hello --session-id "$S2" >/dev/null
  claude_in "$BATS_TEST_TMPDIR/link" -p hello --session-id 33333333-3333-4333-8333-333333333333 >/dev/null

  [ -f "$CLAUDE_CONFIG_DIR/projects/$(slug_of "$short")/$S1.jsonl" ]
  deep_slug=$(slug_of "$deep")
  [ "${#deep_slug}" -gt 200 ]
  [ -f "$CLAUDE_CONFIG_DIR/projects/$deep_slug/$S2.jsonl" ]
  # A symlinked directory is filed under its realpath.
  [ -f "$CLAUDE_CONFIG_DIR/projects/$(slug_of "$short")/33333333-3333-4333-8333-333333333333.jsonl" ]
  [ "$(ls "$CLAUDE_CONFIG_DIR/projects" | wc -l)" -eq 2 ]
}

@test "real claude: cc-session finds the newest session of the project with its cwd and id" {
  proj="$BATS_TEST_TMPDIR/work/app"
  mkdir -p "$proj/src"
  claude_in "$proj" -p hello --session-id "$S1" >/dev/null
  claude_in "$proj" -p again --session-id "$S2" >/dev/null
  # Not relying on the filesystem's time resolution: S1 is clearly older.
  touch -d '-1 minute' "$CLAUDE_CONFIG_DIR/projects/$(slug_of "$proj")/$S1.jsonl"

  run bash -c "cd '$proj' && cc-session"
  assert_success
  [ "$(echo "$output" | json_field s)" = "$S2" ]
  [ "$(echo "$output" | json_field p)" = "$proj" ]
  [ "$(echo "$output" | json_field h)" = "$(hostname)" ]

  # From a subfolder without sessions of its own: the project above it.
  run bash -c "cd '$proj/src' && cc-session"
  assert_success
  [ "$(echo "$output" | json_field s)" = "$S2" ]

  run cc-session --list
  assert_success
  [ "${#lines[@]}" -eq 2 ]
  [ "$(echo "${lines[0]}" | json_field s)" = "$S2" ]
  [ "$(echo "${lines[1]}" | json_field s)" = "$S1" ]

  run cc-session "$S1"
  assert_success
  [ "$(echo "$output" | json_field p)" = "$proj" ]
}

@test "real claude: the SessionStart hook fires in -p mode and cc-session prefers its record" {
  proj="$BATS_TEST_TMPDIR/hooked"
  mkdir -p "$proj"
  mkdir -p "$CLAUDE_CONFIG_DIR"
  echo '{"theme":"dark","hooks":{"Stop":[{"hooks":[{"type":"command","command":"true"}]}]}}' >"$CLAUDE_CONFIG_DIR/settings.json"
  run cc-session hook install
  assert_success
  [ "$(echo "$output" | json_field installed)" = true ]

  run claude_in "$proj" -p hello --session-id "$S1"
  assert_success
  assert_output --partial "REPLY #1" # the hook printed nothing into the conversation and did not block it
  rec="$XDG_STATE_HOME/cckit/sessions/$(slug_of "$proj").json"
  [ -f "$rec" ]
  [ "$(json_field s <"$rec")" = "$S1" ]
  [ "$(json_field source <"$rec")" = startup ]
  [ "$(json_field p <"$rec")" = "$proj" ]

  # Another session of the project written later (here: by hand, without the hook)...
  mkdir -p "$CLAUDE_CONFIG_DIR/projects/$(slug_of "$proj")"
  printf '{"type":"user","cwd":"%s","sessionId":"%s"}\n' "$proj" "$S2" >"$CLAUDE_CONFIG_DIR/projects/$(slug_of "$proj")/$S2.jsonl"
  touch -d '+1 hour' "$CLAUDE_CONFIG_DIR/projects/$(slug_of "$proj")/$S2.jsonl"
  # ...does not win over the session the hook saw start.
  run bash -c "cd '$proj' && cc-session"
  assert_success
  [ "$(echo "$output" | json_field s)" = "$S1" ]

  # Resuming fires the hook again with source "resume".
  claude_in "$proj" --resume "$S1" -p again >/dev/null
  [ "$(json_field source <"$rec")" = resume ]

  run cc-session hook uninstall
  assert_success
  run node -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(JSON.stringify(s))' "$CLAUDE_CONFIG_DIR/settings.json"
  assert_output '{"theme":"dark","hooks":{"Stop":[{"hooks":[{"type":"command","command":"true"}]}]}}'
}

@test "real claude: inside a session's Bash tool, cc-session names that session (CLAUDE_CODE_SESSION_ID)" {
  fake_api_stop
  fake_api_start --bash "cc-session > '$BATS_TEST_TMPDIR/inside.json'"
  proj="$BATS_TEST_TMPDIR/inside"
  mkdir -p "$proj"
  # A decoy that is newer than anything: file times alone would pick it.
  mkdir -p "$CLAUDE_CONFIG_DIR/projects/$(slug_of "$proj")"
  printf '{"cwd":"%s","sessionId":"%s"}\n' "$proj" "$S2" >"$CLAUDE_CONFIG_DIR/projects/$(slug_of "$proj")/$S2.jsonl"
  touch -d '+1 hour' "$CLAUDE_CONFIG_DIR/projects/$(slug_of "$proj")/$S2.jsonl"

  run claude_in "$proj" -p "hand this off" --allowedTools Bash --session-id "$S1"
  assert_success
  [ -s "$BATS_TEST_TMPDIR/inside.json" ]
  [ "$(json_field s <"$BATS_TEST_TMPDIR/inside.json")" = "$S1" ]
  [ "$(json_field p <"$BATS_TEST_TMPDIR/inside.json")" = "$proj" ]
}

@test "real claude: a session made on A, synced to B, is resumed on B by cc-resume with its history" {
  proj="$BATS_TEST_TMPDIR/shared/project"
  mkdir -p "$proj"
  as_machine A bash -c "cd '$proj' && timeout 60 '$CLAUDE_BIN' -p hello --session-id '$S1' </dev/null" >/dev/null
  slug=$(slug_of "$proj")
  a_file="$BATS_TEST_TMPDIR/A/.claude/projects/$slug/$S1.jsonl"
  [ -f "$a_file" ]
  a_sum=$(cksum <"$a_file")
  payload=$(as_machine A bash -c "cd '$proj' && cc-session")
  [ "$(echo "$payload" | json_field s)" = "$S1" ]

  # B has no copy yet: exit 3 and a hint about syncing.
  run as_machine B bash -c "echo '{\"payload\":$payload}' | CCKIT_CLAUDE='$CLAUDE_BIN' cc-resume -y -- -p continue"
  assert_failure 3
  assert_output --partial "rsync"
  [ "$(fake_api_count)" -eq 1 ]

  # "Sync": copy A's project folder into B's CLAUDE_CONFIG_DIR.
  mkdir -p "$BATS_TEST_TMPDIR/B/.claude/projects"
  cp -R "$BATS_TEST_TMPDIR/A/.claude/projects/$slug" "$BATS_TEST_TMPDIR/B/.claude/projects/"
  b_file="$BATS_TEST_TMPDIR/B/.claude/projects/$slug/$S1.jsonl"
  before=$(wc -c <"$b_file")
  lines_before=$(wc -l <"$b_file")

  run as_machine B bash -c "cd / && echo '{\"v\":1,\"from\":\"pk:test\",\"payload\":$payload}' | CCKIT_CLAUDE='$CLAUDE_BIN' cc-resume -y -- -p continue"
  assert_success
  assert_output --partial "REPLY #2"

  # Same file, grown; every new line keeps the session id.
  [ "$(wc -c <"$b_file")" -gt "$before" ]
  [ "$(ls "$BATS_TEST_TMPDIR/B/.claude/projects/$slug" | grep -c '\.jsonl$')" -eq 1 ]
  run bash -c "tail -n +$((lines_before + 1)) '$b_file' | grep -o '\"sessionId\":\"[^\"]*\"' | sort -u"
  assert_output "\"sessionId\":\"$S1\""
  # The second request carried the first turn: the conversation was resumed, not restarted.
  run fake_api_turns 2
  assert_line "user: hello"
  assert_line "assistant: REPLY #1"
  assert_line "user: continue"
  [ "$(fake_api_count)" -eq 2 ]
  # A's copy is untouched (B's turn reaches A when the folder syncs back).
  [ "$(cksum <"$a_file")" = "$a_sum" ]
}

@test "real claude: the project is at another path on B: a clear error, then --cwd links the session there" {
  proj="$BATS_TEST_TMPDIR/a-only/project"
  mkdir -p "$proj"
  as_machine A bash -c "cd '$proj' && timeout 60 '$CLAUDE_BIN' -p hello --session-id '$S1' </dev/null" >/dev/null
  slug=$(slug_of "$proj")
  mkdir -p "$BATS_TEST_TMPDIR/B/.claude/projects"
  cp -R "$BATS_TEST_TMPDIR/A/.claude/projects/$slug" "$BATS_TEST_TMPDIR/B/.claude/projects/"
  # On B the project lives elsewhere; A's path does not exist there.
  mv "$BATS_TEST_TMPDIR/a-only" "$BATS_TEST_TMPDIR/b-checkout"
  checkout="$BATS_TEST_TMPDIR/b-checkout/project"

  run as_machine B bash -c "echo '{\"s\":\"$S1\",\"h\":\"a\",\"p\":\"$proj\"}' | CCKIT_CLAUDE='$CLAUDE_BIN' cc-resume -y -- -p continue"
  assert_failure 3
  assert_output --partial "does not exist here: $proj"
  assert_output --partial "--cwd"

  run as_machine B bash -c "echo '{\"s\":\"$S1\",\"h\":\"a\",\"p\":\"$proj\"}' | CCKIT_CLAUDE='$CLAUDE_BIN' cc-resume -y --cwd '$checkout' -- -p continue"
  assert_success
  assert_output --partial "REPLY #2"
  link="$BATS_TEST_TMPDIR/B/.claude/projects/$(slug_of "$checkout")/$S1.jsonl"
  [ -L "$link" ]
  # claude appended through the link to the one synced file.
  grep -q "\"cwd\":\"$checkout\"" "$BATS_TEST_TMPDIR/B/.claude/projects/$slug/$S1.jsonl"
  run fake_api_turns 2
  assert_line "user: hello"
}
