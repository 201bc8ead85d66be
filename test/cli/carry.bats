#!/usr/bin/env bats
# Session carry end to end (cc-handoff --carry → cc-pickup): two simulated
# machines (two HOMEs, no shared ~/.claude) on a private Mainline + HyperDHT
# testnet on 127.0.0.1. The session's files travel over HyperDHT, sealed.
load helpers
load ../helpers/testnet

setup_file() { start_testnet --nodes 8 --hyper; }
teardown_file() { stop_testnet; }

setup() {
  setup_home
  use_testnet
  SID=$(node -e 'console.log(crypto.randomUUID())')
  use_recording_claude
  SERVER_PID=
  bats_require_minimum_version 1.5.0
}

teardown() {
  if [ -n "${SERVER_PID:-}" ]; then kill -CONT "$SERVER_PID" 2>/dev/null || true; kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
}

home_of() { echo "$BATS_TEST_TMPDIR/$1"; }
on() { local m="$1"; shift; as_machine "$m" "$@"; }
slug_of() { (cd "$1" && pwd -P) | sed 's/[^A-Za-z0-9]/-/g'; }

# make_session MACHINE PROJECTDIR SESSIONID [MB]: a transcript, a subagent file and a tool result
make_session() {
  local h; h=$(home_of "$1"); mkdir -p "$2"
  local real; real=$(cd "$2" && pwd -P)
  local f="$h/.claude/projects/$(slug_of "$2")"
  mkdir -p "$f/$3/subagents" "$f/$3/tool-results"
  printf '{"type":"user","sessionId":"%s","cwd":"%s","message":{"role":"user","content":"remember tangerine"}}\n' "$3" "$real" > "$f/$3.jsonl"
  printf '{"type":"user","sessionId":"%s","isSidechain":true}\n' "$3" > "$f/$3/subagents/agent-1.jsonl"
  printf 'tool output\n' > "$f/$3/tool-results/r1.txt"
  if [ -n "${4:-}" ]; then
    head -c "$(( $4 * 1024 * 1024 ))" /dev/urandom | base64 -w 0 | fold -w 4000 | sed "s/.*/{\"type\":\"assistant\",\"sessionId\":\"$3\",\"blob\":\"&\"}/" >> "$f/$3.jsonl"
  fi
  echo "$f"
}

same_key() { mkdir -p "$(home_of "$2")/.pubky"; chmod 700 "$(home_of "$2")/.pubky"; cp -p "$(home_of "$1")/.pubky/secret_key" "$(home_of "$2")/.pubky/"; }

# serve MACHINE PROJECT ARGS...: cc-handoff --carry in the background until it says where to pick up
serve() {
  local m="$1" proj="$2"; shift 2
  SERVE_OUT="$BATS_TEST_TMPDIR/serve.out"; SERVE_ERR="$BATS_TEST_TMPDIR/serve.err"
  as_machine "$m" bash -c "cd '$proj' && echo \$\$ > '$BATS_TEST_TMPDIR/serve.pid' && exec cc-handoff --carry --ttl 600 $*" </dev/null >"$SERVE_OUT" 2>"$SERVE_ERR" 3>&- &
  SERVE_JOB=$!
  local i
  for ((i = 0; i < 300; i++)); do
    SERVER_PID=$(cat "$BATS_TEST_TMPDIR/serve.pid" 2>/dev/null || true)
    grep -q 'cc-pickup pk:' "$SERVE_OUT" 2>/dev/null && return 0
    kill -0 "$SERVE_JOB" 2>/dev/null || { cat "$SERVE_ERR" >&2; return 1; }
    sleep 0.1
  done
  cat "$SERVE_ERR" >&2; return 1
}

served_exit() { wait "$SERVE_JOB"; local rc=$?; SERVER_PID=; return $rc; }

@test "self: carried from A to B with no shared ~/.claude; installed under B's slug and resumed" {
  on a cc-key init --no-passphrase >/dev/null
  same_key a b
  proj_a="$(home_of a)/app"; proj_b="$(home_of b)/app"
  fa=$(make_session a "$proj_a" "$SID")
  mkdir -p "$proj_b"
  serve a "$proj_a"
  run on b cc-pickup -y --wait 20 --cwd "$proj_b"
  assert_success
  fb="$(home_of b)/.claude/projects/$(slug_of "$proj_b")"
  cmp "$fa/$SID.jsonl" "$fb/$SID.jsonl"
  cmp "$fa/$SID/subagents/agent-1.jsonl" "$fb/$SID/subagents/agent-1.jsonl"
  cmp "$fa/$SID/tool-results/r1.txt" "$fb/$SID/tool-results/r1.txt"
  [ "$(stat -c %a "$fb/$SID.jsonl")" = 600 ]
  run cat "$BATS_TEST_TMPDIR/claude-ran"
  assert_line --index 0 "$(cd "$proj_b" && pwd -P)"
  assert_line --index 1 --resume
  assert_line --index 2 "$SID"
  served_exit
  grep -q 'Picked up' "$SERVE_OUT"
  # The sealed archive is gone on both sides.
  [ -z "$(ls -A "$(home_of a)/.local/state/cckit/carry" 2>/dev/null)" ]
  [ -z "$(ls -A "$(home_of b)/.local/state/cckit/carry" 2>/dev/null)" ]
}

@test "--share: only the peer fetches; the publisher's own other machine is refused by the firewall" {
  on a cc-key init --no-passphrase >/dev/null
  on c cc-key init --no-passphrase >/dev/null
  same_key a b
  peer=$(pubkey_of c)
  proj_a="$(home_of a)/app"; mkdir -p "$(home_of c)/work" "$(home_of b)/app"
  make_session a "$proj_a" "$SID" >/dev/null
  serve a "$proj_a" --share "$peer"
  pub=$(pubkey_of a)
  run --separate-stderr on b cc-pickup "$pub" -y --wait 20 --cwd "$(home_of b)/app"
  [ "$status" -eq 4 ]
  [ ! -e "$BATS_TEST_TMPDIR/claude-ran" ]
  run on c cc-pickup "$pub" -y --wait 20 --cwd "$(home_of c)/work"
  assert_success
  [ -f "$(home_of c)/.claude/projects/$(slug_of "$(home_of c)/work")/$SID.jsonl" ]
  served_exit
}

@test "--pin: a machine without any key fetches with the PIN; the archive key travels inside the PIN blob" {
  on a cc-key init --no-passphrase >/dev/null
  proj_a="$(home_of a)/app"; mkdir -p "$(home_of d)/app"
  make_session a "$proj_a" "$SID" >/dev/null
  export CCKIT_PIN='correct horse battery staple 42'
  serve a "$proj_a" --pin
  pub=$(pubkey_of a)
  run on d cc-pickup "$pub" -y --wait 20 --cwd "$(home_of d)/app"
  assert_success
  [ ! -e "$(home_of d)/.pubky/secret_key" ]
  [ -f "$(home_of d)/.claude/projects/$(slug_of "$(home_of d)/app")/$SID.jsonl" ]
  served_exit
}

@test "cc-open shows the carry field; a carry record keeps cclink's payload fields first and fits the packet" {
  on a cc-key init --no-passphrase >/dev/null
  proj_a="$(home_of a)/app"
  make_session a "$proj_a" "$SID" >/dev/null
  serve a "$proj_a" --json
  pub=$(pubkey_of a)
  run on a bash -c "cc-dht-get '$pub' --wait 20 | cc-open"
  assert_success
  [ "$(echo "$output" | json_field payload.s)" = "$SID" ]
  [[ "$(echo "$output" | json_field payload.c.x)" =~ ^[A-Za-z0-9_-]{43}$ ]]
  [ "$(echo "$output" | json_field payload.c.n)" -gt 1000 ]
  kill -TERM "$SERVER_PID"
  rc=0; served_exit || rc=$?
  [ "$rc" -eq 1 ]
  grep -q 'stopped serving' "$SERVE_ERR"
}

@test "a diverged local copy is kept; the carried session is installed beside it under a new id" {
  on a cc-key init --no-passphrase >/dev/null
  same_key a b
  proj_a="$(home_of a)/app"; proj_b="$(home_of b)/app"
  make_session a "$proj_a" "$SID" >/dev/null
  fb=$(make_session b "$proj_b" "$SID")
  printf '{"type":"user","sessionId":"%s","message":{"role":"user","content":"only on b"}}\n' "$SID" >> "$fb/$SID.jsonl"
  cp "$fb/$SID.jsonl" "$BATS_TEST_TMPDIR/b-before"
  serve a "$proj_a"
  run --separate-stderr on b cc-pickup -y --wait 20 --cwd "$proj_b"
  assert_success
  cmp "$fb/$SID.jsonl" "$BATS_TEST_TMPDIR/b-before"
  [[ "$stderr" == *"moved on"* ]]
  new=$(sed -n 3p "$BATS_TEST_TMPDIR/claude-ran")
  [ "$new" != "$SID" ]
  [ -f "$fb/$new.jsonl" ]
  grep -q "\"sessionId\":\"$new\"" "$fb/$new.jsonl"
  ! grep -q "\"sessionId\":\"$SID\"" "$fb/$new.jsonl"
  grep -q "\"sessionId\":\"$new\"" "$fb/$new/subagents/agent-1.jsonl"
  served_exit
}

@test "a local copy that is an earlier state is updated in place" {
  on a cc-key init --no-passphrase >/dev/null
  same_key a b
  proj_a="$(home_of a)/app"; proj_b="$(home_of b)/app"
  fa=$(make_session a "$proj_a" "$SID")
  fb=$(make_session b "$proj_b" "$SID")
  cp "$fa/$SID.jsonl" "$fb/$SID.jsonl"
  printf '{"type":"user","sessionId":"%s","message":{"role":"user","content":"later on a"}}\n' "$SID" >> "$fa/$SID.jsonl"
  serve a "$proj_a"
  run --separate-stderr on b cc-pickup -y --wait 20 --cwd "$proj_b"
  assert_success
  cmp "$fa/$SID.jsonl" "$fb/$SID.jsonl"
  [ "$(sed -n 3p "$BATS_TEST_TMPDIR/claude-ran")" = "$SID" ]
  served_exit
}

@test "an interrupted transfer resumes where it stopped" {
  on a cc-key init --no-passphrase >/dev/null
  same_key a b
  proj_a="$(home_of a)/app"; proj_b="$(home_of b)/app"; mkdir -p "$proj_b"
  fa=$(make_session a "$proj_a" "$SID" 48)
  serve a "$proj_a"
  part_dir="$(home_of b)/.local/state/cckit/carry"
  on b bash -c "echo \$\$ > '$BATS_TEST_TMPDIR/pick.pid'; exec cc-pickup -y --wait 20 --cwd '$proj_b'" >/dev/null 2>&1 3>&- &
  picker_job=$!
  for ((i = 0; i < 600; i++)); do
    [ -n "$(find "$part_dir" -name '*.part' -size +1k 2>/dev/null)" ] && break
    sleep 0.02
  done
  kill -STOP "$SERVER_PID"
  kill -KILL "$(cat "$BATS_TEST_TMPDIR/pick.pid")"; wait "$picker_job" 2>/dev/null || true
  part=$(find "$part_dir" -name '*.part')
  got=$(stat -c %s "$part")
  total=$(stat -c %s "$(ls "$(home_of a)"/.local/state/cckit/carry/*.age)")
  [ "$got" -gt 0 ] && [ "$got" -lt "$total" ]
  kill -CONT "$SERVER_PID"
  [ ! -e "$BATS_TEST_TMPDIR/claude-ran" ]
  run on b cc-pickup -y --wait 20 --cwd "$proj_b"
  assert_success
  cmp "$fa/$SID.jsonl" "$(home_of b)/.claude/projects/$(slug_of "$proj_b")/$SID.jsonl"
  [ "$got" -gt 0 ]
  served_exit
}

@test "the publisher going away fails the pickup cleanly: exit 1, nothing installed, resumable part kept" {
  on a cc-key init --no-passphrase >/dev/null
  same_key a b
  proj_a="$(home_of a)/app"; proj_b="$(home_of b)/app"; mkdir -p "$proj_b"
  make_session a "$proj_a" "$SID" 48 >/dev/null
  serve a "$proj_a"
  part_dir="$(home_of b)/.local/state/cckit/carry"
  on b cc-pickup -y --wait 20 --cwd "$proj_b" >"$BATS_TEST_TMPDIR/p.out" 2>"$BATS_TEST_TMPDIR/p.err" 3>&- &
  picker=$!
  for ((i = 0; i < 600; i++)); do
    [ -n "$(find "$part_dir" -name '*.part' -size +1k 2>/dev/null)" ] && break
    sleep 0.02
  done
  kill -TERM "$SERVER_PID"
  rc=0; wait "$picker" || rc=$?
  [ "$rc" -ne 0 ]
  grep -q '^cc-pickup: error: ' "$BATS_TEST_TMPDIR/p.err"
  ! grep -q '    at ' "$BATS_TEST_TMPDIR/p.err"
  [ ! -e "$(home_of b)/.claude/projects/$(slug_of "$proj_b")/$SID.jsonl" ]
  [ ! -e "$BATS_TEST_TMPDIR/claude-ran" ]
  grep -q 'interrupted after' "$BATS_TEST_TMPDIR/p.err"
  [ -n "$(find "$part_dir" -name '*.part' -size +1k)" ]
  served_exit || true
}

@test "no project directory here and no --cwd: exit 3 before anything is fetched" {
  on a cc-key init --no-passphrase >/dev/null
  same_key a b
  proj_a="$(home_of a)/app"
  make_session a "$proj_a" "$SID" >/dev/null
  serve a "$proj_a"
  mv "$proj_a" "$proj_a.moved"   # the project exists on neither machine's path now
  run --separate-stderr on b cc-pickup -y --wait 20
  [ "$status" -eq 3 ]
  assert_one_error cc-pickup
  [[ "$stderr" == *"--cwd"* ]]
}

@test "--carry with --list is a usage error" {
  run --separate-stderr cc-handoff --carry --list
  [ "$status" -eq 2 ]
  assert_one_error cc-handoff
}

@test "a tampered archive: exit 4, nothing installed, claude not run" {
  on a cc-key init --no-passphrase >/dev/null
  same_key a b
  proj_a="$(home_of a)/app"; proj_b="$(home_of b)/app"; mkdir -p "$proj_b"
  make_session a "$proj_a" "$SID" >/dev/null
  serve a "$proj_a"
  sealed=$(ls "$(home_of a)"/.local/state/cckit/carry/*.age)
  flip_byte "$sealed" 300
  run --separate-stderr on b cc-pickup -y --wait 20 --cwd "$proj_b"
  [ "$status" -eq 4 ]
  assert_one_error cc-pickup
  [[ "$stderr" == *"SHA-256"* ]]
  [ ! -e "$(home_of b)/.claude/projects/$(slug_of "$proj_b")/$SID.jsonl" ]
  [ -z "$(ls -A "$(home_of b)/.local/state/cckit/carry")" ]
  [ ! -e "$BATS_TEST_TMPDIR/claude-ran" ]
}

@test "progress on a terminal: the picker shows how much of the archive arrived" {
  on a cc-key init --no-passphrase >/dev/null
  same_key a b
  proj_a="$(home_of a)/app"; proj_b="$(home_of b)/app"; mkdir -p "$proj_b"
  make_session a "$proj_a" "$SID" 2 >/dev/null
  serve a "$proj_a"
  # script(1) gives the picker a pseudo-terminal for stdout and stderr.
  run on b script -qfec "cc-pickup -y --wait 20 --cwd '$proj_b'" /dev/null
  assert_success
  assert_output --regexp 'received [0-9.]+ MB of [0-9.]+ MB \(100%\)'
  served_exit
}
