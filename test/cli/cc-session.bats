#!/usr/bin/env bats
# cc-session: discovery of Claude Code sessions (no real CLI needed here; see claude-real.bats).
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/claude

S1=11111111-1111-4111-8111-111111111111
S2=22222222-2222-4222-8222-222222222222
S3=33333333-3333-4333-8333-333333333333

setup() {
  setup_home
  unset CLAUDE_CODE_SESSION_ID CLAUDECODE
  T=$(cd "$BATS_TEST_TMPDIR" && pwd -P)
  mkdir -p "$T/app/src" "$T/lib"
}

@test "cc-session --help and --version" {
  run cc-session --help
  assert_success
  assert_output --partial "Usage:"
  assert_output --partial "hook install"
  run cc-session --version
  assert_success
  assert_output --regexp '^cc-session [0-9]'
}

@test "no session: exit 3 with a message and a hint" {
  cd "$T/app"
  run cc-session
  assert_failure 3
  assert_output --partial "cc-session: error: no Claude Code session for $T/app"
  assert_output --partial "cc-session: hint:"
  run cc-session --list
  assert_failure 3
}

@test "the current session is the newest of this project, with its recorded cwd" {
  fake_session "$CLAUDE_CONFIG_DIR" "$T/app" "$S1" '-2 hours' >/dev/null
  fake_session "$CLAUDE_CONFIG_DIR" "$T/app" "$S2" '-1 hour' >/dev/null
  fake_session "$CLAUDE_CONFIG_DIR" "$T/lib" "$S3" >/dev/null # newer, but another project
  cd "$T/app"
  run cc-session
  assert_success
  [ "$(echo "$output" | json_field s)" = "$S2" ]
  [ "$(echo "$output" | json_field p)" = "$T/app" ]
  [ "$(echo "$output" | json_field h)" = "$(hostname)" ]
  [[ "$(echo "$output" | json_field mtime)" =~ ^[0-9]{10}$ ]]
  # Compact on a pipe: one line.
  [ "${#lines[@]}" -eq 1 ]

  cd "$T/app/src"
  run cc-session
  assert_success
  [ "$(echo "$output" | json_field s)" = "$S2" ]

  run cc-session --project "$T/lib"
  assert_success
  [ "$(echo "$output" | json_field s)" = "$S3" ]
  # --project is exact: no walking up from it.
  run cc-session --project "$T/app/src"
  assert_failure 3
}

@test "--list: NDJSON, newest first, everything or one project" {
  fake_session "$CLAUDE_CONFIG_DIR" "$T/app" "$S1" '-2 hours' >/dev/null
  fake_session "$CLAUDE_CONFIG_DIR" "$T/lib" "$S2" '-1 hour' >/dev/null
  fake_session "$CLAUDE_CONFIG_DIR" "$T/app" "$S3" >/dev/null
  run cc-session --list
  assert_success
  [ "${#lines[@]}" -eq 3 ]
  [ "$(echo "${lines[0]}" | json_field s)" = "$S3" ]
  [ "$(echo "${lines[1]}" | json_field s)" = "$S2" ]
  [ "$(echo "${lines[1]}" | json_field p)" = "$T/lib" ]
  [ "$(echo "${lines[2]}" | json_field s)" = "$S1" ]
  run cc-session -l -C "$T/app"
  assert_success
  [ "${#lines[@]}" -eq 2 ]
  [ "$(echo "${lines[0]}" | json_field s)" = "$S3" ]
}

@test "cc-session UUID: one session from any project; unknown id exit 3; non-ids are usage errors" {
  fake_session "$CLAUDE_CONFIG_DIR" "$T/lib" "$S1" >/dev/null
  run cc-session "$S1"
  assert_success
  [ "$(echo "$output" | json_field p)" = "$T/lib" ]
  run cc-session "${S1^^}"
  assert_success
  [ "$(echo "$output" | json_field s)" = "$S1" ]
  run cc-session "$S2"
  assert_failure 3
  assert_output --partial "no session $S2"
  run cc-session not-a-uuid
  assert_failure 2
  run cc-session --dangerously-skip-permissions
  assert_failure 2
  run cc-session "$S1" --list
  assert_failure 2
  run cc-session "$S1" extra
  assert_failure 2
}

@test "an unreadable folder, a non-UUID file name and a stray file do not break discovery" {
  fake_session "$CLAUDE_CONFIG_DIR" "$T/app" "$S1" >/dev/null
  ln -s loop "$CLAUDE_CONFIG_DIR/projects/loop" # ELOOP: unreadable even for root
  mkdir -p "$CLAUDE_CONFIG_DIR/projects/locked"
  fake_session "$CLAUDE_CONFIG_DIR" "$T/locked" "$S3" >/dev/null
  chmod 000 "$CLAUDE_CONFIG_DIR/projects/-"*locked # refused unless we are root
  echo '{}' >"$CLAUDE_CONFIG_DIR/projects/$(printf '%s' "$T/app" | sed 's/[^A-Za-z0-9]/-/g')/agent-1234.jsonl"
  echo '{}' >"$CLAUDE_CONFIG_DIR/projects/$(printf '%s' "$T/app" | sed 's/[^A-Za-z0-9]/-/g')/not-a-uuid.jsonl"
  echo x >"$CLAUDE_CONFIG_DIR/projects/stray.jsonl"
  run --separate-stderr cc-session --list
  chmod 755 "$CLAUDE_CONFIG_DIR/projects/-"*locked
  assert_success
  assert_output --partial "\"s\":\"$S1\""
  refute_output --partial "agent"
  refute_output --partial "not-a-uuid"
  [[ "$stderr" == *"cc-session: warning: cannot read $CLAUDE_CONFIG_DIR/projects/loop: ELOOP"* ]]
  cd "$T/app"
  run cc-session
  assert_success
  [ "$(echo "$output" | json_field s)" = "$S1" ]
}

@test "huge lines: a 6 MB first line does not stop discovery (only bounded prefixes are read)" {
  file=$(fake_session "$CLAUDE_CONFIG_DIR" "$T/app" "$S1")
  { printf '{"type":"summary","text":"'; head -c 6000000 /dev/zero | tr '\0' 'a'; printf '"}\n'; cat "$file"; } >"$file.new"
  mv "$file.new" "$file"
  cd "$T/app"
  run cc-session
  assert_success
  [ "$(echo "$output" | json_field p)" = "$T/app" ]
  run cc-session --list
  assert_success
  [ "$(echo "$output" | json_field p)" = "$T/app" ]
}

@test "inside Claude Code (CLAUDE_CODE_SESSION_ID) that session wins over newer ones" {
  fake_session "$CLAUDE_CONFIG_DIR" "$T/app" "$S1" '-1 hour' >/dev/null
  fake_session "$CLAUDE_CONFIG_DIR" "$T/app" "$S2" >/dev/null
  cd "$T/app"
  CLAUDE_CODE_SESSION_ID=$S1 run cc-session
  assert_success
  [ "$(echo "$output" | json_field s)" = "$S1" ]
  # An id whose file is not here is ignored, as is one that is not a UUID.
  CLAUDE_CODE_SESSION_ID=$S3 run cc-session
  [ "$(echo "$output" | json_field s)" = "$S2" ]
  CLAUDE_CODE_SESSION_ID=--x run cc-session
  [ "$(echo "$output" | json_field s)" = "$S2" ]
  # Naming a project asks about that project, not the one Claude Code runs in.
  fake_session "$CLAUDE_CONFIG_DIR" "$T/lib" "$S3" '-2 hours' >/dev/null
  CLAUDE_CODE_SESSION_ID=$S1 run cc-session --project "$T/lib"
  [ "$(echo "$output" | json_field s)" = "$S3" ]
}

@test "hook install / status / uninstall edit settings.json and keep the user's keys" {
  mkdir -p "$CLAUDE_CONFIG_DIR"
  echo '{"model":"opus","permissions":{"allow":["Bash(ls)"]}}' >"$CLAUDE_CONFIG_DIR/settings.json"
  run cc-session hook status
  assert_success
  [ "$(echo "$output" | json_field installed)" = false ]
  run cc-session hook install
  assert_success
  [ "$(echo "$output" | json_field command)" = "$ROOT/bin/cc-session hook record" ]
  [ "$(json_field model <"$CLAUDE_CONFIG_DIR/settings.json")" = opus ]
  [ "$(json_field hooks.SessionStart <"$CLAUDE_CONFIG_DIR/settings.json")" = "[{\"hooks\":[{\"type\":\"command\",\"command\":\"$ROOT/bin/cc-session hook record\",\"timeout\":10}]}]" ]
  run cc-session hook install
  [ "$(echo "$output" | json_field changed)" = false ]
  run cc-session hook status
  [ "$(echo "$output" | json_field installed)" = true ]
  run cc-session hook uninstall
  assert_success
  run node -e 'process.stdout.write(JSON.stringify(JSON.parse(require("fs").readFileSync(process.argv[1]))))' "$CLAUDE_CONFIG_DIR/settings.json"
  assert_output '{"model":"opus","permissions":{"allow":["Bash(ls)"]}}'

  echo '{"model":' >"$CLAUDE_CONFIG_DIR/settings.json"
  run cc-session hook install
  assert_failure 1
  assert_output --partial "not valid JSON; not touching it"
  [ "$(cat "$CLAUDE_CONFIG_DIR/settings.json")" = '{"model":' ]
  run cc-session hook frobnicate
  assert_failure 2
}

@test "hook record: silent on stdout, and cc-session prefers the recorded session" {
  fake_session "$CLAUDE_CONFIG_DIR" "$T/app" "$S1" '-1 hour' >/dev/null
  file2=$(fake_session "$CLAUDE_CONFIG_DIR" "$T/app" "$S2")
  run --separate-stderr cc-session hook record <<<"{\"session_id\":\"$S1\",\"transcript_path\":\"/elsewhere/x.jsonl\",\"cwd\":\"$T/app\",\"hook_event_name\":\"SessionStart\",\"source\":\"startup\"}"
  assert_success
  [ -z "$output" ]
  cd "$T/app"
  run cc-session
  [ "$(echo "$output" | json_field s)" = "$S1" ]
  run cc-session hook status
  [ "$(echo "$output" | json_field current.s)" = "$S1" ]
  # The recorded session's file is gone (e.g. not synced): back to the newest file.
  rm "$(dirname "$file2")/$S1.jsonl"
  run cc-session
  [ "$(echo "$output" | json_field s)" = "$S2" ]

  run cc-session hook record <<<'{"session_id":"--x","cwd":"/"}'
  assert_failure 1
  assert_output --partial "no valid session_id"
  run cc-session hook record <<<'not json'
  assert_failure 1
}

@test "cc-session completions: bash completes hook commands and flags" {
  run complete_bash cc-session hook un
  assert_output "uninstall"
  run complete_bash cc-session --l
  assert_output "--list"
}
