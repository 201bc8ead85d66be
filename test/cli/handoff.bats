#!/usr/bin/env bats
# cc-handoff → cc-pickup end to end: two simulated machines (two HOMEs) on a
# private Mainline DHT of real bittorrent-dht nodes on 127.0.0.1.
load helpers
load ../helpers/testnet

setup_file() { start_testnet --nodes 12; }
teardown_file() { stop_testnet; }

setup() {
  setup_home
  use_testnet
  SID=$(node -e 'console.log(crypto.randomUUID())')
  # A stand-in for claude that records how it was run (the real CLI is in claude-handoff.bats).
  use_recording_claude
}

# machine NAME: paths of a simulated machine
home_of() { echo "$BATS_TEST_TMPDIR/$1"; }
on() { local m="$1"; shift; as_machine "$m" "$@"; }

# make_session MACHINE PROJECTDIR SESSIONID: a Claude Code session file as the CLI writes it
make_session() {
  local h; h=$(home_of "$1"); mkdir -p "$2"
  local real; real=$(cd "$2" && pwd -P)
  local slug; slug=$(printf '%s' "$real" | sed 's/[^A-Za-z0-9]/-/g')
  mkdir -p "$h/.claude/projects/$slug"
  printf '{"type":"user","sessionId":"%s","cwd":"%s","message":{"role":"user","content":"hi"}}\n' "$3" "$real" \
    > "$h/.claude/projects/$slug/$3.jsonl"
}

# sync_claude FROM TO: what Syncthing/rsync would do with ~/.claude
sync_claude() { mkdir -p "$(home_of "$2")"; cp -R "$(home_of "$1")/.claude" "$(home_of "$2")/"; }
# same_key FROM TO: the user copied their key to the other machine
same_key() { mkdir -p "$(home_of "$2")/.pubky"; chmod 700 "$(home_of "$2")/.pubky"; cp -p "$(home_of "$1")/.pubky/secret_key" "$(home_of "$2")/.pubky/"; }


@test "self: hand off on A, pick up on B with the same key; claude --resume runs in the project" {
  on a cc-key init --no-passphrase >/dev/null
  proj="$(home_of a)/app"
  make_session a "$proj" "$SID"
  same_key a b; sync_claude a b
  run bash -c "cd '$proj' && HOME='$(home_of a)' CLAUDE_CONFIG_DIR='$(home_of a)/.claude' cc-handoff --ttl 600"
  assert_success
  assert_output --partial "Published session $SID"
  assert_output --partial "cc-pickup pk:"
  run on b cc-pickup -y --wait 20
  assert_success
  run cat "$BATS_TEST_TMPDIR/claude-ran"
  assert_line --index 0 "$(cd "$proj" && pwd -P)"
  assert_line --index 1 "--resume"
  assert_line --index 2 "$SID"
}

@test "--print shows the claude command and runs nothing; --json gives the summary" {
  on a cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  same_key a b; sync_claude a b
  run bash -c "cd '$(home_of a)/app' && HOME='$(home_of a)' CLAUDE_CONFIG_DIR='$(home_of a)/.claude' cc-handoff --json"
  assert_success
  [ "$(echo "$output" | json_field session)" = "$SID" ]
  [ "$(echo "$output" | json_field mode)" = self ]
  run on b cc-pickup --print --json --wait 20
  assert_success
  [ "$(echo "$output" | json_field argv.1)" = "--resume" ]
  [ "$(echo "$output" | json_field argv.2)" = "$SID" ]
  [ ! -e "$BATS_TEST_TMPDIR/claude-ran" ]
}

@test "--share: only the peer's key opens it; the publisher's other machine cannot" {
  on a cc-key init --no-passphrase >/dev/null
  on c cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  same_key a b; sync_claude a b; sync_claude a c
  pc=$(pubkey_of c); pa=$(pubkey_of a)
  run bash -c "cd '$(home_of a)/app' && HOME='$(home_of a)' CLAUDE_CONFIG_DIR='$(home_of a)/.claude' cc-handoff --share $pc"
  assert_success
  fp=$(echo "$pc" | sed -E 's/^pk:(....)(....).*/\1-\2/')
  assert_output --partial "only $pc (fingerprint $fp) can open it"
  run on c cc-pickup "$pa" -y --wait 20
  assert_success
  grep -qx -- "$SID" "$BATS_TEST_TMPDIR/claude-ran"
  run on b cc-pickup "$pa" -y --wait 5
  assert_failure 4
}

@test "--pin: the right PIN opens it on a machine with another key; a wrong PIN is exit 4" {
  on a cc-key init --no-passphrase >/dev/null
  on d cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  sync_claude a d
  pa=$(pubkey_of a)
  run bash -c "cd '$(home_of a)/app' && CCKIT_PIN='tangerine-orbit-walnut-42' HOME='$(home_of a)' CLAUDE_CONFIG_DIR='$(home_of a)/.claude' cc-handoff --pin"
  assert_success
  assert_output --partial "anyone with the PIN"
  CCKIT_PIN='tangerine-orbit-walnut-41' run on d cc-pickup "$pa" -y --wait 20
  assert_failure 4
  CCKIT_PIN='tangerine-orbit-walnut-42' run on d cc-pickup "$pa" -y --wait 20
  assert_success
  # A machine with no key of its own at all: the PIN is enough.
  sync_claude a e
  rm -f "$BATS_TEST_TMPDIR/claude-ran"
  CCKIT_PIN='tangerine-orbit-walnut-42' run on e cc-pickup "$pa" -y --wait 20
  assert_success
  grep -qx -- "$SID" "$BATS_TEST_TMPDIR/claude-ran"
}

@test "--burn: the first pickup removes the record; a second pickup fails cleanly" {
  on a cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  same_key a b; sync_claude a b
  run bash -c "cd '$(home_of a)/app' && HOME='$(home_of a)' CLAUDE_CONFIG_DIR='$(home_of a)/.claude' cc-handoff --burn"
  assert_success
  run on b cc-pickup -y --wait 20
  assert_success
  assert_output --partial "burned"
  run on b cc-pickup -y --wait 2
  [ "$status" -eq 3 ] || [ "$status" -eq 5 ]
  assert_output --partial "cc-dht-get: error:"
  refute_output --partial "    at "
}

@test "--ttl: an expired handoff is refused with exit 5" {
  on a cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  same_key a b; sync_claude a b
  run bash -c "cd '$(home_of a)/app' && HOME='$(home_of a)' CLAUDE_CONFIG_DIR='$(home_of a)/.claude' cc-handoff --ttl 2"
  assert_success
  # 2 s, not 1: cc-dht-put refuses a record that is already expired, and
  # created_at is rounded down to the second the record was sealed in.
  sleep 3
  run on b cc-pickup -y --wait 20
  assert_failure 5
  assert_output --partial "expired"
  [ ! -e "$BATS_TEST_TMPDIR/claude-ran" ]
}

@test "--list shows what is published; --revoke -y removes it; pickup then finds nothing" {
  on a cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  (cd "$(home_of a)/app" && HOME="$(home_of a)" CLAUDE_CONFIG_DIR="$(home_of a)/.claude" cc-handoff --burn >/dev/null)
  run on a cc-handoff --list
  assert_success
  assert_output --partial "for yourself, burn after reading"
  run on a cc-handoff --revoke
  assert_failure 2
  assert_output --partial "add -y"
  run on a cc-handoff --revoke -y
  assert_success
  assert_output --partial "Revoked"
  run on a cc-pickup --print --wait 2
  [ "$status" -eq 3 ] || [ "$status" -eq 5 ]
}

@test "the session files are missing on B: exit 3 with a hint to sync ~/.claude" {
  on a cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  same_key a b
  (cd "$(home_of a)/app" && HOME="$(home_of a)" CLAUDE_CONFIG_DIR="$(home_of a)/.claude" cc-handoff >/dev/null)
  run on b cc-pickup -y --wait 20
  assert_failure 3
  assert_output --partial "hint:"
  assert_output --partial "sync"
  [ ! -e "$BATS_TEST_TMPDIR/claude-ran" ]
}

@test "the project path does not exist on B: resumes in the session's recorded cwd, or says why not" {
  on a cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  same_key a b; sync_claude a b
  (cd "$(home_of a)/app" && HOME="$(home_of a)" CLAUDE_CONFIG_DIR="$(home_of a)/.claude" cc-handoff >/dev/null)
  rm -rf "$(home_of a)/app"   # the path exists on neither "machine" now
  run on b cc-pickup -y --wait 20
  assert_failure
  assert_output --partial "cc-resume: error:"
  refute_output --partial "    at "
  [ ! -e "$BATS_TEST_TMPDIR/claude-ran" ]
}

@test "a session id that tries to be a flag is refused by cc-seal, and by cc-pickup when a publisher forged it" {
  on a cc-key init --no-passphrase >/dev/null
  run on a bash -c 'echo "{\"s\":\"--dangerously-skip-permissions\",\"h\":\"x\",\"p\":\"/tmp\"}" | cc-seal'
  assert_failure 1
  assert_output --partial "not a session id"
  # A record signed around that payload by other software still never reaches claude.
  for evil in --dangerously-skip-permissions "-p" "../../etc/passwd"; do
    run on a bash -c "cd '$ROOT' && node --import tsx test/helpers/forge-record.ts '{\"s\":\"$evil\",\"h\":\"x\",\"p\":\"/tmp\"}' | cc-dht-put"
    assert_success
    same_key a b
    run on b cc-pickup -y --wait 20
    assert_failure
    assert_output --partial "cc-resume: error:"
    [ ! -e "$BATS_TEST_TMPDIR/claude-ran" ]
  done
}

@test "no terminal and no -y: cc-pickup refuses at once instead of waiting for an answer" {
  on b cc-key init --no-passphrase >/dev/null
  run on b cc-pickup
  assert_failure 2
  assert_output --partial "add -y"
}

@test "an encrypted key is asked for once and handed to every stage" {
  CCKIT_PASSPHRASE='demo passphrase 123' on a cc-key init >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  run bash -c "cd '$(home_of a)/app' && HOME='$(home_of a)' CLAUDE_CONFIG_DIR='$(home_of a)/.claude' cc-handoff --passphrase-fd 3 3< <(printf 'demo passphrase 123')"
  assert_success
  assert_output --partial "Published session $SID"
}

@test "--qr prints a QR code that decodes (zbarimg) to the pickup command" {
  on a cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  run bash -c "cd '$(home_of a)/app' && HOME='$(home_of a)' CLAUDE_CONFIG_DIR='$(home_of a)/.claude' cc-handoff --qr > '$BATS_TEST_TMPDIR/out.txt'"
  assert_success
  node "$ROOT/test/helpers/qr-text-to-pbm.mjs" < "$BATS_TEST_TMPDIR/out.txt" > "$BATS_TEST_TMPDIR/qr.pbm"
  run bash -c "zbarimg --raw -q '$BATS_TEST_TMPDIR/qr.pbm' 2>/dev/null"
  assert_success
  assert_output "cc-pickup $(pubkey_of a)"
}

@test "--cwd: the project lives at another path on B; claude resumes there" {
  on a cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  same_key a b; sync_claude a b
  (cd "$(home_of a)/app" && HOME="$(home_of a)" CLAUDE_CONFIG_DIR="$(home_of a)/.claude" cc-handoff >/dev/null)
  rm -rf "$(home_of a)/app"
  mkdir -p "$(home_of b)/src/app"
  run on b cc-pickup -y --wait 20 --cwd "$(home_of b)/src/app"
  assert_success
  run cat "$BATS_TEST_TMPDIR/claude-ran"
  assert_line --index 0 "$(cd "$(home_of b)/src/app" && pwd -P)"
  assert_line --index 2 "$SID"
}

@test "a handoff in cclink's older v1.0 layout (bare id in the blob, host and project outside) is picked up too" {
  on a cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  same_key a b; sync_claude a b
  proj=$(cd "$(home_of a)/app" && pwd -P)
  run on a bash -c "cd '$ROOT' && node --import tsx test/helpers/cclink-v10-record.ts '$SID' desktop '$proj' | cc-dht-put"
  assert_success
  run on b cc-pickup --print --wait 20
  assert_success
  [ "$(echo "$output" | json_field handoff.payload.s)" = "$SID" ]
  [ "$(echo "$output" | json_field handoff.payload.h)" = desktop ]
  run on b cc-pickup -y --wait 20
  assert_success
  run cat "$BATS_TEST_TMPDIR/claude-ran"
  assert_line --index 0 "$proj"
  assert_line --index 2 "$SID"
}

@test "cc-pickup --qr shows the session id as a QR code (on stderr) that zbarimg decodes" {
  on a cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  same_key a b; sync_claude a b
  (cd "$(home_of a)/app" && HOME="$(home_of a)" CLAUDE_CONFIG_DIR="$(home_of a)/.claude" cc-handoff >/dev/null)
  run on b bash -c "cc-pickup --print --qr --wait 20 2> '$BATS_TEST_TMPDIR/qr.txt'"
  assert_success
  node "$ROOT/test/helpers/qr-text-to-pbm.mjs" < "$BATS_TEST_TMPDIR/qr.txt" > "$BATS_TEST_TMPDIR/qr.pbm"
  run bash -c "zbarimg --raw -q '$BATS_TEST_TMPDIR/qr.pbm' 2>/dev/null"
  assert_success
  assert_output "$SID"
}
