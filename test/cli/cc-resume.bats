#!/usr/bin/env bats
# cc-resume with two machines (two HOMEs) and a stand-in for claude that
# records how it was run. claude-real.bats does the same with the real CLI.
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/claude

S1=11111111-1111-4111-8111-111111111111
S2=22222222-2222-4222-8222-222222222222

setup() {
  setup_home
  unset CLAUDE_CODE_SESSION_ID CLAUDECODE
  T=$(cd "$BATS_TEST_TMPDIR" && pwd -P)
  PROJ="$T/project"
  mkdir -p "$PROJ"
  export FAKE_CLAUDE_OUT="$T/claude-ran"
  FAKE="$T/fake-claude"
  cat >"$FAKE" <<'SH'
#!/bin/sh
# Stand-in for claude: records cwd, argv and stdin, exits with FAKE_CLAUDE_EXIT.
{ echo "cwd=$(pwd -P)"; for a in "$@"; do echo "arg=$a"; done; } >"$FAKE_CLAUDE_OUT"
echo "stdin=$(cat)" >>"$FAKE_CLAUDE_OUT"
exit "${FAKE_CLAUDE_EXIT:-0}"
SH
  chmod +x "$FAKE"
  export CCKIT_CLAUDE="$FAKE"
  # Machine A made the session; B has a synced copy unless a test removes it.
  as_machine A fake_session "$T/A/.claude" "$PROJ" "$S1" >/dev/null
  mkdir -p "$T/B/.claude"
  cp -R "$T/A/.claude/projects" "$T/B/.claude/"
  PAYLOAD="{\"v\":1,\"from\":\"pk:test\",\"payload\":{\"h\":\"machine-a\",\"p\":\"$PROJ\",\"s\":\"$S1\"}}"
}

@test "cc-resume --help and --version" {
  run cc-resume --help
  assert_success
  assert_output --partial "Usage:"
  assert_output --partial -- "--print"
  run cc-resume --version
  assert_success
}

@test "--print: cwd and argv from cc-open output, args after -- appended, nothing run" {
  run as_machine B bash -c "echo '$PAYLOAD' | cc-resume --print -- -p 'continue please'"
  assert_success
  [ "$(echo "$output" | json_field cwd)" = "$PROJ" ]
  [ "$(echo "$output" | json_field argv)" = "[\"$FAKE\",\"--resume\",\"$S1\",\"-p\",\"continue please\"]" ]
  [ "$(echo "$output" | json_field file)" = "$T/B/.claude/projects/$(printf '%s' "$PROJ" | sed 's/[^A-Za-z0-9]/-/g')/$S1.jsonl" ]
  [ ! -e "$FAKE_CLAUDE_OUT" ]
  # A payload, a bare id on stdin, the id as an argument: the same plan.
  for input in "{\"s\":\"$S1\",\"h\":\"a\",\"p\":\"$PROJ\"}" "$S1"; do
    run as_machine B bash -c "echo '$input' | cc-resume --print"
    assert_success
    [ "$(echo "$output" | json_field cwd)" = "$PROJ" ]
  done
  run as_machine B cc-resume --print "$S1"
  assert_success
  [ "$(echo "$output" | json_field cwd)" = "$PROJ" ]
}

@test "-y runs claude --resume in the project, passes stdin as the terminal would (none here), and its exit status" {
  run as_machine B bash -c "cd / && echo '$PAYLOAD' | cc-resume -y -- -p continue"
  assert_success
  run cat "$FAKE_CLAUDE_OUT"
  assert_output "cwd=$PROJ
arg=--resume
arg=$S1
arg=-p
arg=continue
stdin="
  FAKE_CLAUDE_EXIT=5 run as_machine B bash -c "echo '$PAYLOAD' | cc-resume -y"
  assert_failure 5
}

@test "the session file is missing on B: exit 3, a hint on syncing ~/.claude, nothing run" {
  rm -rf "$T/B/.claude/projects"
  run as_machine B bash -c "echo '$PAYLOAD' | cc-resume -y"
  assert_failure 3
  assert_output --partial "cc-resume: error: session $S1 is not on this machine"
  assert_output --partial "cc-resume: hint:"
  assert_output --partial "Syncthing"
  assert_output --partial "rsync -a machine-a:.claude/projects/ $T/B/.claude/projects/"
  [ ! -e "$FAKE_CLAUDE_OUT" ]
}

@test "a session id that tries to be a flag: exit 2 as an argument, 4 from a record, never run" {
  run as_machine B cc-resume -y --dangerously-skip-permissions
  assert_failure 2
  run as_machine B cc-resume -y -x
  assert_failure 2
  for id in --dangerously-skip-permissions -x "--resume=$S2" "$S1 --print"; do
    run as_machine B bash -c "printf '%s' '{\"payload\":{\"h\":\"a\",\"p\":\"/\",\"s\":\"$id\"}}' | cc-resume -y"
    assert_failure 4
    assert_output --partial "not a UUID"
    run as_machine B bash -c "printf '%s\n' '$id' | cc-resume -y"
    assert_failure 4
  done
  [ ! -e "$FAKE_CLAUDE_OUT" ]
}

@test "the payload's project path does not exist on B: the session's recorded cwd is used" {
  run as_machine B bash -c "echo '{\"s\":\"$S1\",\"h\":\"a\",\"p\":\"/nonexistent/on/b\"}' | cc-resume -y"
  assert_success
  run cat "$FAKE_CLAUDE_OUT"
  assert_line "cwd=$PROJ"
}

@test "neither the payload's path nor the recorded cwd exists: a clear error naming both" {
  rm -rf "$PROJ"
  run as_machine B bash -c "echo '{\"s\":\"$S1\",\"h\":\"a\",\"p\":\"/nonexistent/on/b\"}' | cc-resume -y"
  assert_failure 3
  assert_output --partial "the project directory does not exist here: /nonexistent/on/b or $PROJ"
  assert_output --partial "--cwd DIR"
  [ ! -e "$FAKE_CLAUDE_OUT" ]
  # --cwd: resume in B's own copy; the session is linked into that directory's project folder.
  mkdir -p "$T/b-copy"
  run as_machine B bash -c "echo '$PAYLOAD' | cc-resume -y --cwd '$T/b-copy'"
  assert_success
  assert_output --partial "cc-resume: warning: linked"
  run cat "$FAKE_CLAUDE_OUT"
  assert_line "cwd=$T/b-copy"
  [ -L "$T/B/.claude/projects/$(printf '%s' "$T/b-copy" | sed 's/[^A-Za-z0-9]/-/g')/$S1.jsonl" ]
}

@test "no terminal and no -y: fails at once with a hint, never hangs, runs nothing" {
  run as_machine B bash -c "echo '$PAYLOAD' | timeout 10 cc-resume"
  assert_failure 1
  assert_output --partial "no terminal to ask on"
  assert_output --partial "pass -y"
  [ ! -e "$FAKE_CLAUDE_OUT" ]
}

@test "on a terminal it asks first: 'y' resumes, anything else does not" {
  unset CCKIT_NO_TTY
  run as_machine B bash -c "printf 'n\n' | timeout 20 script -qec 'cc-resume $S1' /dev/null"
  assert_output --partial "Resume Claude Code session $S1 in $PROJ? [y/N]"
  assert_output --partial "not resumed"
  [ ! -e "$FAKE_CLAUDE_OUT" ]
  run as_machine B bash -c "printf 'y\n' | timeout 20 script -qec 'cc-resume $S1' /dev/null"
  assert_success
  [ -e "$FAKE_CLAUDE_OUT" ]
}

@test "input piped in on a terminal: claude gets the terminal as stdin, not the used-up pipe" {
  unset CCKIT_NO_TTY
  # What is "typed" (then ^D) reaches claude through /dev/tty.
  run as_machine B bash -c "printf 'typed\n\004' | timeout 20 script -qec \"echo '$S1' | cc-resume -y\" /dev/null"
  assert_success
  run cat "$FAKE_CLAUDE_OUT"
  assert_line "stdin=typed"
  # And stdin itself a terminal where JSON was expected: a usage error, not a wait.
  run as_machine B bash -c "timeout 20 script -qec 'cc-resume -y' /dev/null </dev/null"
  assert_failure 2
  assert_output --partial "got a terminal"
}

@test "signals sent to cc-resume reach claude, and cc-resume ends the way claude did" {
  cat >"$FAKE" <<'SH'
#!/bin/sh
trap 'echo TERM >>"$FAKE_CLAUDE_OUT"; trap - TERM; kill -TERM $$' TERM
echo $$ >"$FAKE_CLAUDE_OUT.pid"
echo started >"$FAKE_CLAUDE_OUT"
while :; do sleep 0.1; done
SH
  # Started directly (not through the as_machine function) so that $! is cc-resume itself.
  HOME="$T/B" CLAUDE_CONFIG_DIR="$T/B/.claude" cc-resume -y "$S1" </dev/null 3>&- &
  pid=$!
  for i in $(seq 1 100); do [ -s "$FAKE_CLAUDE_OUT" ] && break; sleep 0.05; done
  kill -TERM "$pid"
  status=0
  # Bounded: if forwarding failed, stop both and fail below.
  ( sleep 10; kill -KILL "$(cat "$FAKE_CLAUDE_OUT.pid")" "$pid" 2>/dev/null ) 3>&- &
  guard=$!
  wait "$pid" || status=$?
  kill "$guard" 2>/dev/null || true
  [ "$status" -eq 143 ] # 128 + SIGTERM, as if claude had been exec'd
  run cat "$FAKE_CLAUDE_OUT"
  assert_output "started
TERM"
}

@test "the claude binary: CCKIT_CLAUDE, else claude.bin in config.toml; a missing one is a clear error" {
  run as_machine B env CCKIT_CLAUDE=/nonexistent/claude cc-resume -y "$S1" </dev/null
  assert_failure 1
  assert_output --partial "cannot run /nonexistent/claude: not found"
  assert_output --partial "CCKIT_CLAUDE"
  unset CCKIT_CLAUDE
  mkdir -p "$T/B/.config/cckit"
  printf '[claude]\nbin = "%s"\n' "$FAKE" >"$T/B/.config/cckit/config.toml"
  run as_machine B cc-resume -y "$S1" </dev/null
  assert_success
  [ -e "$FAKE_CLAUDE_OUT" ]
}

@test "bad input: not JSON, empty, too many arguments" {
  run as_machine B bash -c "echo '{\"payload\":' | cc-resume -y"
  assert_failure 1
  assert_output --partial "not valid JSON"
  run as_machine B bash -c "printf '' | cc-resume -y"
  assert_failure 1
  run as_machine B cc-resume -y --print extra "$S1"
  assert_failure 2
}

@test "cc-resume completions: bash completes flags, and claude's after --" {
  run complete_bash cc-resume --pr
  assert_output "--print"
  run complete_bash cc-resume -y -- --perm
  assert_output "--permission-mode"
}
