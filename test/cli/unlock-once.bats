#!/usr/bin/env bats
# One unlock per user action (issue 7 item 12, DESIGN.md §2): the porcelain
# runs Argon2id once and hands the seed to its stages on an inherited pipe
# named by CCKIT_KEY_FD; no passphrase reaches a stage, nothing reaches claude.
load helpers
load ../helpers/testnet
bats_require_minimum_version 1.5.0

setup_file() { start_testnet --nodes 8; }
teardown_file() { stop_testnet; }

PASS='tangerine-octopus-violin-42'

setup() {
  setup_home
  use_testnet
  SID=$(node -e 'console.log(crypto.randomUUID())')
  mkdir -p "$BATS_TEST_TMPDIR/fakebin"
  # A stand-in claude that records which descriptors it inherited.
  cat > "$BATS_TEST_TMPDIR/fakebin/claude" <<SH
#!/bin/sh
ls /proc/\$\$/fd > "$BATS_TEST_TMPDIR/claude-fds"
env > "$BATS_TEST_TMPDIR/claude-env"
SH
  chmod +x "$BATS_TEST_TMPDIR/fakebin/claude"
  export CCKIT_CLAUDE="$BATS_TEST_TMPDIR/fakebin/claude"
  # A key whose seed the test knows, then encrypted.
  cc-key init --no-passphrase >/dev/null
  SEED_HEX=$(cat "$HOME/.pubky/secret_key")
  PUB=$(cc-key whoami | json_field pubkey)
  node -e 'process.stdout.write(Buffer.from(process.argv[1], "hex"))' "$SEED_HEX" > "$BATS_TEST_TMPDIR/seed"
  CCKIT_NEW_PASSPHRASE="$PASS" cc-key passwd >/dev/null
  proj="$HOME/app"; mkdir -p "$proj"
  real=$(cd "$proj" && pwd -P)
  slug=$(printf '%s' "$real" | sed 's/[^A-Za-z0-9]/-/g')
  mkdir -p "$HOME/.claude/projects/$slug"
  printf '{"type":"user","sessionId":"%s","cwd":"%s","message":{"role":"user","content":"hi"}}\n' "$SID" "$real" > "$HOME/.claude/projects/$slug/$SID.jsonl"
}


@test "cc-handoff and cc-pickup unlock once: the passphrase on an fd reaches no stage, yet every stage has the key" {
  # No CCKIT_PASSPHRASE, no terminal: a stage that tried to unlock the key itself would fail.
  run --separate-stderr bash -c "cd '$proj' && cc-handoff --ttl 600 --passphrase-fd 4 4< <(printf '%s' '$PASS')"
  assert_success
  assert_output --partial "Published session $SID"
  run --separate-stderr bash -c "cc-pickup --print --wait 20 --passphrase-fd 4 4< <(printf '%s' '$PASS')"
  assert_success
  [ "$(printf '%s' "$output" | json_field handoff.payload.s)" = "$SID" ]
  [ "$(printf '%s' "$output" | json_field handoff.from)" = "$PUB" ]
  # And a real resume: claude inherits neither the key pipe nor a passphrase.
  run --separate-stderr bash -c "cc-pickup -y --wait 20 --passphrase-fd 4 4< <(printf '%s' '$PASS') 3>&-"
  assert_success
  run cat "$BATS_TEST_TMPDIR/claude-fds"
  refute_line 3
  refute_line 4
  run grep -E '^CCKIT_(KEY_FD|PASSPHRASE)=' "$BATS_TEST_TMPDIR/claude-env"
  assert_failure
}

@test "a wrong passphrase stops the porcelain once, before any stage runs (exit 4)" {
  run --separate-stderr bash -c "cc-pickup --print --wait 1 --passphrase-fd 4 4< <(printf 'wrong passphrase')"
  assert_failure 4
  assert_one_error cc-pickup
  assert_equal "${stderr_lines[0]}" "cc-pickup: error: wrong passphrase for the key file"
}

@test "plumbing reads the seed from CCKIT_KEY_FD: no passphrase asked, the same identity" {
  run --separate-stderr bash -c 'CCKIT_KEY_FD=5 cc-key whoami 5< "$BATS_TEST_TMPDIR/seed"'
  assert_success
  [ "$(printf '%s' "$output" | json_field pubkey)" = "$PUB" ]
  [ "$(printf '%s' "$output" | json_field encrypted)" = true ]
  printf '{"s":"%s","h":"laptop","p":"/tmp"}' "$SID" > "$BATS_TEST_TMPDIR/payload"
  run --separate-stderr bash -c "CCKIT_KEY_FD=5 cc-seal '$BATS_TEST_TMPDIR/payload' 5< '$BATS_TEST_TMPDIR/seed' > '$BATS_TEST_TMPDIR/rec'"
  assert_success
  run --separate-stderr bash -c "CCKIT_KEY_FD=5 cc-open '$BATS_TEST_TMPDIR/rec' 5< '$BATS_TEST_TMPDIR/seed'"
  assert_success
  [ "$(printf '%s' "$output" | json_field payload.s)" = "$SID" ]
}

@test "a bad CCKIT_KEY_FD is one clear error, never a stack trace" {
  run --separate-stderr env CCKIT_KEY_FD=abc cc-key whoami
  assert_failure 2
  assert_one_error cc-key
  assert_equal "${stderr_lines[0]}" "cc-key: error: CCKIT_KEY_FD must name a file descriptor above 2, got 'abc'"
  run --separate-stderr env CCKIT_KEY_FD=1 cc-key whoami
  assert_failure 2
  run --separate-stderr bash -c 'CCKIT_KEY_FD=5 cc-key whoami 5< <(printf short)'
  assert_failure 1
  assert_one_error cc-key
  assert_equal "${stderr_lines[0]}" "cc-key: error: file descriptor 5 (CCKIT_KEY_FD) did not carry a 32-byte key"
  run --separate-stderr bash -c 'CCKIT_KEY_FD=9 cc-key whoami 9>&-'
  assert_failure 1
  assert_equal "${stderr_lines[0]}" "cc-key: error: cannot read the key from file descriptor 9 (CCKIT_KEY_FD): EBADF"
}

@test "the public key remembered from an unlock lets the lookup start during Argon2id; a wrong one is never trusted" {
  run --separate-stderr bash -c "cd '$proj' && cc-handoff --ttl 600 --passphrase-fd 4 4< <(printf '%s' '$PASS')"
  assert_success
  run --separate-stderr bash -c "cc-pickup --print --wait 20 --passphrase-fd 4 4< <(printf '%s' '$PASS')"
  assert_success
  cache=$(find "$HOME" -name key-public.json)
  [ -n "$cache" ]
  [ "$(json_field pubkey < "$cache")" = "$PUB" ]
  [ "$(stat -c %a "$cache")" = 600 ]
  # A forged hint (another real key) for the same key file: the pickup still opens our own record.
  other=$(HOME="$BATS_TEST_TMPDIR/other" XDG_CONFIG_HOME= XDG_STATE_HOME= cc-key init --no-passphrase >/dev/null && HOME="$BATS_TEST_TMPDIR/other" cc-key whoami | json_field pubkey)
  [ -n "$other" ] && [ "$other" != "$PUB" ]
  node -e 'const fs=require("fs");const j=JSON.parse(fs.readFileSync(process.argv[1]));j.pubkey=process.argv[2];fs.writeFileSync(process.argv[1],JSON.stringify(j))' "$cache" "$other"
  run --separate-stderr bash -c "cc-pickup --print --wait 20 --passphrase-fd 4 4< <(printf '%s' '$PASS')"
  assert_success
  [ "$(printf '%s' "$output" | json_field handoff.from)" = "$PUB" ]
  [ "$(printf '%s' "$output" | json_field handoff.payload.s)" = "$SID" ]
  [ "$(json_field pubkey < "$cache")" = "$PUB" ]
  # With the hint in place, a wrong passphrase is still the one error line.
  run --separate-stderr bash -c "cc-pickup --print --wait 1 --passphrase-fd 4 4< <(printf 'wrong passphrase')"
  assert_failure 4
  assert_one_error cc-pickup
  assert_equal "${stderr_lines[0]}" "cc-pickup: error: wrong passphrase for the key file"
}
