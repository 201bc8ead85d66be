#!/usr/bin/env bats
# Session carry, offline path: cc-handoff --carry --via-store puts the sealed
# archive in a store (a folder, or a real rclone WebDAV remote on loopback)
# and exits; cc-pickup on another machine (its own HOME, no shared ~/.claude)
# reads it from there, checks it, installs it and resumes. Records go over a
# private Mainline + HyperDHT testnet on 127.0.0.1.
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/testnet
load ../helpers/rclone

setup_file() { start_testnet --nodes 8 --hyper; }
teardown_file() { stop_testnet; }

setup() {
  setup_home
  use_testnet
  SID=$(node -e 'console.log(crypto.randomUUID())')
  use_recording_claude
  STORE="$BATS_TEST_TMPDIR/store"
  RCLONE_PID=
}

teardown() { rclone_stop; }

home_of() { echo "$BATS_TEST_TMPDIR/$1"; }
on() { local m="$1"; shift; as_machine "$m" "$@"; }
slug_of() { (cd "$1" && pwd -P) | sed 's/[^A-Za-z0-9]/-/g'; }
same_key() { mkdir -p "$(home_of "$2")/.pubky"; chmod 700 "$(home_of "$2")/.pubky"; cp -p "$(home_of "$1")/.pubky/secret_key" "$(home_of "$2")/.pubky/"; }

# make_session MACHINE PROJECTDIR SESSIONID: a transcript, a subagent file and a tool result
make_session() {
  local h; h=$(home_of "$1"); mkdir -p "$2"
  local real; real=$(cd "$2" && pwd -P)
  local f="$h/.claude/projects/$(slug_of "$2")"
  mkdir -p "$f/$3/subagents" "$f/$3/tool-results"
  printf '{"type":"user","sessionId":"%s","cwd":"%s","message":{"role":"user","content":"remember tangerine"}}\n' "$3" "$real" > "$f/$3.jsonl"
  printf '{"type":"user","sessionId":"%s","isSidechain":true}\n' "$3" > "$f/$3/subagents/agent-1.jsonl"
  printf 'tool output kumquat\n' > "$f/$3/tool-results/r1.txt"
  echo "$f"
}

# handoff MACHINE PROJECT ARGS...: cc-handoff --carry --via-store in PROJECT; must exit by itself
handoff() {
  local m="$1" proj="$2"; shift 2
  as_machine "$m" bash -c "cd '$proj' && exec cc-handoff --carry --via-store --ttl 600 $*" </dev/null
}

# The object(s) a store holds under carry/ (folder store).
objects_in() { find "$1/carry" -type f ! -name '.*' 2>/dev/null; }

# Nothing in clear in what the store holds: no session id, path, transcript text or key.
assert_store_opaque() {
  local dir="$1" pub="$2"
  run grep -rlF -e "$SID" -e "tangerine" -e "kumquat" -e "$(home_of a)" -e "app" -e "${pub#pk:}" -e "agent-1" "$dir"
  [ "$status" -eq 1 ] || fail "the store holds something in clear: $output"
  run find "$dir" -name "*$SID*"
  [ -z "$output" ]
}

@test "self via a folder store: the publisher exits at once; B (no shared ~/.claude) installs and resumes" {
  on a cc-key init --no-passphrase >/dev/null
  same_key a b
  proj_a="$(home_of a)/app"; proj_b="$(home_of b)/app"; mkdir -p "$proj_b"
  fa=$(make_session a "$proj_a" "$SID")
  run handoff a "$proj_a" --store "$STORE"
  assert_success
  assert_output --partial 'go offline'
  # The publisher process is gone; the archive waits in the store, under an opaque name.
  obj=$(objects_in "$STORE")
  [ "$(echo "$obj" | wc -l)" -eq 1 ]
  [[ "$(basename "$obj")" =~ ^[0-9]+-[A-Za-z0-9_-]{43}$ ]]
  head -c 21 "$obj" | grep -q '^age-encryption.org/v1'
  assert_store_opaque "$STORE" "$(pubkey_of a)"
  run on b cc-pickup -y --wait 20 --cwd "$proj_b"
  assert_success
  fb="$(home_of b)/.claude/projects/$(slug_of "$proj_b")"
  cmp "$fa/$SID.jsonl" "$fb/$SID.jsonl"
  cmp "$fa/$SID/subagents/agent-1.jsonl" "$fb/$SID/subagents/agent-1.jsonl"
  cmp "$fa/$SID/tool-results/r1.txt" "$fb/$SID/tool-results/r1.txt"
  run cat "$BATS_TEST_TMPDIR/claude-ran"
  assert_line --index 0 "$(cd "$proj_b" && pwd -P)"
  assert_line --index 1 --resume
  assert_line --index 2 "$SID"
  # Not burn: the archive stays until it expires.
  [ -n "$(objects_in "$STORE")" ]
  [ -z "$(ls -A "$(home_of b)/.local/state/cckit/carry" 2>/dev/null)" ]
}

@test "--share via a folder store: only the peer can open it; --json names store and object" {
  on a cc-key init --no-passphrase >/dev/null
  on c cc-key init --no-passphrase >/dev/null
  same_key a b
  peer=$(pubkey_of c)
  proj_a="$(home_of a)/app"; mkdir -p "$(home_of c)/work" "$(home_of b)/app"
  fa=$(make_session a "$proj_a" "$SID")
  run handoff a "$proj_a" --store "$STORE" --share "$peer" --json
  assert_success
  [ "$(echo "$output" | json_field carry.store)" = "$STORE" ]
  [[ "$(echo "$output" | json_field carry.object)" =~ ^carry/[0-9]+- ]]
  pub=$(pubkey_of a)
  assert_store_opaque "$STORE" "$pub"
  run --separate-stderr on b cc-pickup "$pub" -y --wait 20 --cwd "$(home_of b)/app"
  [ "$status" -eq 4 ]
  [ ! -e "$BATS_TEST_TMPDIR/claude-ran" ]
  run on c cc-pickup "$pub" -y --wait 20 --cwd "$(home_of c)/work"
  assert_success
  cmp "$fa/$SID.jsonl" "$(home_of c)/.claude/projects/$(slug_of "$(home_of c)/work")/$SID.jsonl"
}

@test "--pin via a folder store: a machine with no key at all picks it up with the PIN" {
  on a cc-key init --no-passphrase >/dev/null
  proj_a="$(home_of a)/app"; mkdir -p "$(home_of d)/app"
  fa=$(make_session a "$proj_a" "$SID")
  export CCKIT_PIN='correct horse battery staple 42'
  handoff a "$proj_a" --store "$STORE" --pin >/dev/null
  assert_store_opaque "$STORE" "$(pubkey_of a)"
  run on d cc-pickup "$(pubkey_of a)" -y --wait 20 --cwd "$(home_of d)/app"
  assert_success
  [ ! -e "$(home_of d)/.pubky/secret_key" ]
  cmp "$fa/$SID.jsonl" "$(home_of d)/.claude/projects/$(slug_of "$(home_of d)/app")/$SID.jsonl"
}

@test "--pin --burn via a real rclone remote: a machine without a key picks it up; the object is removed from the remote" {
  rclone_start
  on a cc-key init --no-passphrase >/dev/null
  proj_a="$(home_of a)/app"; mkdir -p "$(home_of d)/app"
  fa=$(make_session a "$proj_a" "$SID")
  export CCKIT_PIN='correct horse battery staple 42'
  run handoff a "$proj_a" --store rclone:ctx:drop --pin --burn
  assert_success
  run rclone lsf -R --files-only ctx:drop/carry
  assert_success
  [[ "$output" =~ ^[0-9]+-[A-Za-z0-9_-]{43}$ ]]
  mkdir "$BATS_TEST_TMPDIR/copy"
  rclone copy ctx:drop "$BATS_TEST_TMPDIR/copy"
  assert_store_opaque "$BATS_TEST_TMPDIR/copy" "$(pubkey_of a)"
  pub=$(pubkey_of a)
  run --separate-stderr on d cc-pickup "$pub" -y --wait 20 --cwd "$(home_of d)/app"
  assert_success
  [[ "$stderr" == *"removed from the store"* ]]
  [ ! -e "$(home_of d)/.pubky/secret_key" ]
  cmp "$fa/$SID.jsonl" "$(home_of d)/.claude/projects/$(slug_of "$(home_of d)/app")/$SID.jsonl"
  run rclone lsf -R --files-only ctx:drop/carry
  [ -z "$output" ]
  # A second pickup finds the record but not the archive: exit 3.
  rm -f "$BATS_TEST_TMPDIR/claude-ran"
  run --separate-stderr on d cc-pickup "$pub" -y --wait 20 --cwd "$(home_of d)/app"
  [ "$status" -eq 3 ]
  assert_one_error cc-pickup
  [ ! -e "$BATS_TEST_TMPDIR/claude-ran" ]
}

@test "self via a real rclone remote, after the publisher is gone" {
  rclone_start
  on a cc-key init --no-passphrase >/dev/null
  same_key a b
  proj_a="$(home_of a)/app"; proj_b="$(home_of b)/app"; mkdir -p "$proj_b"
  fa=$(make_session a "$proj_a" "$SID")
  handoff a "$proj_a" --store rclone:ctx:drop2 >/dev/null
  run on b cc-pickup -y --wait 20 --cwd "$proj_b"
  assert_success
  cmp "$fa/$SID.jsonl" "$(home_of b)/.claude/projects/$(slug_of "$proj_b")/$SID.jsonl"
  [ "$(sed -n 3p "$BATS_TEST_TMPDIR/claude-ran")" = "$SID" ]
}

@test "a tampered object in the store: exit 4, nothing installed, claude not run" {
  on a cc-key init --no-passphrase >/dev/null
  same_key a b
  proj_a="$(home_of a)/app"; proj_b="$(home_of b)/app"; mkdir -p "$proj_b"
  make_session a "$proj_a" "$SID" >/dev/null
  handoff a "$proj_a" --store "$STORE" >/dev/null
  obj=$(objects_in "$STORE")
  flip_byte "$obj" 300
  run --separate-stderr on b cc-pickup -y --wait 20 --cwd "$proj_b"
  [ "$status" -eq 4 ]
  assert_one_error cc-pickup
  [[ "$stderr" == *"SHA-256"* ]]
  [ ! -e "$(home_of b)/.claude/projects/$(slug_of "$proj_b")/$SID.jsonl" ]
  [ -z "$(find "$(home_of b)/.claude" -type f 2>/dev/null)" ]
  [ ! -e "$BATS_TEST_TMPDIR/claude-ran" ]
}

@test "a missing object: exit 3; a store synced to another path here: cc-pickup --store" {
  on a cc-key init --no-passphrase >/dev/null
  same_key a b
  proj_a="$(home_of a)/app"; proj_b="$(home_of b)/app"; mkdir -p "$proj_b"
  fa=$(make_session a "$proj_a" "$SID")
  handoff a "$proj_a" --store "$STORE" >/dev/null
  # --print names the store and the object without fetching anything.
  run on b cc-pickup --print --json --wait 20 --cwd "$proj_b"
  assert_success
  [ "$(echo "$output" | json_field carry.store)" = "$STORE" ]
  [ -f "$STORE/$(echo "$output" | json_field carry.object)" ]
  mv "$STORE" "$BATS_TEST_TMPDIR/synced-here"
  run --separate-stderr on b cc-pickup -y --wait 20 --cwd "$proj_b"
  [ "$status" -eq 3 ]
  assert_one_error cc-pickup
  [[ "$stderr" == *"not in the store"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/claude-ran" ]
  run on b cc-pickup -y --wait 20 --cwd "$proj_b" --store "$BATS_TEST_TMPDIR/synced-here"
  assert_success
  cmp "$fa/$SID.jsonl" "$(home_of b)/.claude/projects/$(slug_of "$proj_b")/$SID.jsonl"
}

@test "an expired handoff is refused (exit 5); its object is swept by the next --via-store handoff" {
  on a cc-key init --no-passphrase >/dev/null
  same_key a b
  proj_a="$(home_of a)/app"; proj_b="$(home_of b)/app"; mkdir -p "$proj_b"
  make_session a "$proj_a" "$SID" >/dev/null
  # A few seconds: publishing an already expired record is refused.
  on a bash -c "cd '$proj_a' && exec cc-handoff --carry --via-store --store '$STORE' --ttl 8" >/dev/null
  exp=$(basename "$(objects_in "$STORE")" | cut -d- -f1)
  while [ "$(date +%s)" -le "$exp" ]; do sleep 0.5; done
  run --separate-stderr on b cc-pickup -y --wait 20 --cwd "$proj_b"
  [ "$status" -eq 5 ]
  [ ! -e "$BATS_TEST_TMPDIR/claude-ran" ]
  # One left long ago (its name says it expired an hour ago), and a file that is not ours.
  old="$STORE/carry/$(( $(date +%s) - 3600 ))-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
  cp "$(objects_in "$STORE")" "$old"
  echo keep > "$STORE/carry/README"
  handoff a "$proj_a" --store "$STORE" >/dev/null
  [ ! -e "$old" ]
  [ -e "$STORE/carry/README" ]
  [ "$(objects_in "$STORE" | grep -vc README)" -eq 2 ]
}

@test "the default store is the project's cc-context space; with none known, a usage error" {
  on a cc-key init --no-passphrase >/dev/null
  same_key a b
  proj_a="$(home_of a)/app"; proj_b="$(home_of b)/app"; mkdir -p "$proj_b"
  fa=$(make_session a "$proj_a" "$SID")
  run --separate-stderr handoff a "$proj_a"
  [ "$status" -eq 2 ]
  assert_one_error cc-handoff
  [[ "$stderr" == *"--store"* ]]
  on a cc-context init "$proj_a" --store "$STORE" >/dev/null
  run handoff a "$proj_a"
  assert_success
  [ -n "$(objects_in "$STORE")" ]
  run on b cc-pickup -y --wait 20 --cwd "$proj_b"
  assert_success
  cmp "$fa/$SID.jsonl" "$(home_of b)/.claude/projects/$(slug_of "$proj_b")/$SID.jsonl"
}

@test "--via-store needs --carry, --store needs --via-store" {
  run --separate-stderr cc-handoff --via-store
  [ "$status" -eq 2 ]
  assert_one_error cc-handoff
  run --separate-stderr cc-handoff --carry --store /tmp/x
  [ "$status" -eq 2 ]
  assert_one_error cc-handoff
}
