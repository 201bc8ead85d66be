#!/usr/bin/env bats
# The handoff layer against hostile records and unlucky timing (issue 7):
# untrusted text on the terminal, a record's p, project peers, burn and
# revoke exit codes, cc-pickup's own error lines, PIN pickups without the
# key's passphrase. Two or more simulated machines (HOMEs) on a private
# Mainline testnet on 127.0.0.1; prompts are typed into tmux.
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/testnet

setup_file() { start_testnet --nodes 12; }
teardown_file() { stop_testnet; }

setup() {
  setup_home
  use_testnet
  SID=$(node -e 'console.log(crypto.randomUUID())')
  use_recording_claude
  TMUX_SOCK="$BATS_TEST_TMPDIR/tmux.sock"
}

teardown() {
  [ -S "$TMUX_SOCK" ] && tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
}

home_of() { echo "$BATS_TEST_TMPDIR/$1"; }
on() { local m="$1"; shift; as_machine "$m" "$@"; }
make_session() {
  local h; h=$(home_of "$1"); mkdir -p "$2"
  local real; real=$(cd "$2" && pwd -P)
  local slug; slug=$(printf '%s' "$real" | sed 's/[^A-Za-z0-9]/-/g')
  mkdir -p "$h/.claude/projects/$slug"
  printf '{"type":"user","sessionId":"%s","cwd":"%s","message":{"role":"user","content":"hi"}}\n' "$3" "$real" \
    > "$h/.claude/projects/$slug/$3.jsonl"
}
sync_claude() { mkdir -p "$(home_of "$2")"; cp -R "$(home_of "$1")/.claude" "$(home_of "$2")/"; }
same_key() { mkdir -p "$(home_of "$2")/.pubky"; chmod 700 "$(home_of "$2")/.pubky"; cp -p "$(home_of "$1")/.pubky/secret_key" "$(home_of "$2")/.pubky/"; }
# forge MACHINE PAYLOAD-JSON: a record signed around any payload, published under MACHINE's key
forge() { on "$1" bash -c "cd '$ROOT' && node --import tsx test/helpers/forge-record.ts '$2' | cc-dht-put >/dev/null"; }

# in_tmux MACHINE COMMAND: run COMMAND as MACHINE on a real terminal (tmux, 200x50); its
# exit status lands in $BATS_TEST_TMPDIR/tmux.rc.
in_tmux() {
  local m="$1"; shift
  local h; h=$(home_of "$m")
  cat > "$BATS_TEST_TMPDIR/tmux.sh" <<SH
export HOME='$h' XDG_CONFIG_HOME='$h/.config' XDG_STATE_HOME='$h/.local/state' CLAUDE_CONFIG_DIR='$h/.claude'
export PATH='$PATH' CCKIT_BOOTSTRAP='$CCKIT_BOOTSTRAP' CCKIT_CLAUDE='$CCKIT_CLAUDE' NO_COLOR=1
export CCKIT_TEST_NO_PUBLIC='${CCKIT_TEST_NO_PUBLIC:-}' ${CCKIT_PIN:+CCKIT_PIN='$CCKIT_PIN'}
unset CCKIT_NO_TTY
$*
echo \$? > '$BATS_TEST_TMPDIR/tmux.rc'
sleep 60
SH
  rm -f "$BATS_TEST_TMPDIR/tmux.rc"
  tmux -S "$TMUX_SOCK" new-session -d -x 200 -y 50 "bash '$BATS_TEST_TMPDIR/tmux.sh'"
}
# wait_pane TEXT: wait (bounded, 40 s) until the terminal shows TEXT
wait_pane() {
  for _ in $(seq 400); do
    tmux -S "$TMUX_SOCK" capture-pane -p | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  tmux -S "$TMUX_SOCK" capture-pane -p >&2
  return 1
}
wait_rc() {
  for _ in $(seq 400); do [ -s "$BATS_TEST_TMPDIR/tmux.rc" ] && { cat "$BATS_TEST_TMPDIR/tmux.rc"; return 0; }; sleep 0.1; done
  return 1
}

@test "a record's host cannot rewrite, recolour or retitle cc-pickup's confirmation prompt" {
  on a cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  same_key a b; sync_claude a b
  proj=$(cd "$(home_of a)/app" && pwd -P)
  forge a "{\"s\":\"$SID\",\"h\":\"laptop in /x? [y/N] y\\r\\n\\u001b[31mred\\u001b]0;pwned\\u0007\",\"p\":\"$proj\"}"
  in_tmux b cc-pickup --wait 20
  wait_pane "[y/N]"
  pane=$(tmux -S "$TMUX_SOCK" capture-pane -p)
  [[ "$pane" == *'laptop in /x? [y/N] y^M^J^[[31mred^[]0;pwned^G in '* ]] || fail "$pane"
  [ "$(tmux -S "$TMUX_SOCK" display -p '#{pane_title}')" != pwned ]
  tmux -S "$TMUX_SOCK" send-keys n Enter
  [ "$(wait_rc)" = 1 ]
  [ ! -e "$BATS_TEST_TMPDIR/claude-ran" ]
}

@test "the PIN prompt says whose record it opens, and the key's passphrase is never asked" {
  on a cc-key init --no-passphrase >/dev/null
  CCKIT_PASSPHRASE='a long enough test passphrase 42' on b cc-key init >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  sync_claude a b
  pa=$(pubkey_of a)
  run bash -c "cd '$(home_of a)/app' && CCKIT_PIN='tangerine-orbit-walnut-42' HOME='$(home_of a)' CLAUDE_CONFIG_DIR='$(home_of a)/.claude' cc-handoff --pin"
  assert_success
  in_tmux b cc-pickup "$pa" -y --wait 20
  wait_pane "PIN for the handoff from $pa (fingerprint "
  pane=$(tmux -S "$TMUX_SOCK" capture-pane -p)
  [[ "$pane" != *Passphrase* ]] || fail "$pane"
  tmux -S "$TMUX_SOCK" send-keys 'tangerine-orbit-walnut-42' Enter
  [ "$(wait_rc)" = 0 ]
  grep -qx -- "$SID" "$BATS_TEST_TMPDIR/claude-ran"
}

@test "--pin-fd: cc-handoff and cc-pickup read the PIN from a descriptor; no passphrase is asked for an encrypted key" {
  on a cc-key init --no-passphrase >/dev/null
  CCKIT_PASSPHRASE='a long enough test passphrase 42' on b cc-key init >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  sync_claude a b
  pa=$(pubkey_of a)
  run bash -c "cd '$(home_of a)/app' && HOME='$(home_of a)' CLAUDE_CONFIG_DIR='$(home_of a)/.claude' cc-handoff --pin --pin-fd 3 3< <(printf 'tangerine-orbit-walnut-42')"
  assert_success
  # No terminal and no CCKIT_PASSPHRASE: asking for the key's passphrase would fail.
  run --separate-stderr on b bash -c "cc-pickup '$pa' -y --wait 20 --pin-fd 4 4< <(printf 'tangerine-orbit-walnut-42')"
  assert_success
  grep -qx -- "$SID" "$BATS_TEST_TMPDIR/claude-ran"
}

@test "a record's p ('/') neither chooses where claude runs nor what gets linked" {
  on a cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  same_key a b; sync_claude a b
  forge a "{\"s\":\"$SID\",\"h\":\"x\",\"p\":\"/\"}"
  run on b cc-pickup -y --wait 20
  assert_success
  run cat "$BATS_TEST_TMPDIR/claude-ran"
  assert_line --index 0 "$(cd "$(home_of a)/app" && pwd -P)"
  [ ! -e "$(home_of b)/.claude/projects/-" ]
}

@test "a project's .cckit/peers.toml cannot impersonate: personal names win, project names show fingerprint and file" {
  on a cc-key init --no-passphrase >/dev/null
  on alice cc-key init --no-passphrase >/dev/null
  on mallory cc-key init --no-passphrase >/dev/null
  palice=$(pubkey_of alice); pmal=$(pubkey_of mallory)
  make_session a "$(home_of a)/app" "$SID"
  mkdir -p "$(home_of a)/app/.cckit"
  printf '[[peer]]\nname = "alice"\npubkey = "%s"\n' "$pmal" > "$(home_of a)/app/.cckit/peers.toml"
  fpm=$(echo "$pmal" | sed -E 's/^pk:(....)(....).*/\1-\2/')
  run --separate-stderr bash -c "cd '$(home_of a)/app' && HOME='$(home_of a)' XDG_CONFIG_HOME='$(home_of a)/.config' CLAUDE_CONFIG_DIR='$(home_of a)/.claude' cc-handoff --share alice"
  assert_success
  [[ "$stderr" == *"'alice' is not one of your peers: the name comes from $(home_of a)/app/.cckit/peers.toml, key $pmal (fingerprint $fpm)"* ]] || fail "$stderr"
  assert_output --partial "only alice ($pmal) (fingerprint $fpm) can open it"
  # With alice in the personal peers file, that one is used, whatever the project says.
  mkdir -p "$(home_of a)/.config/cckit"
  printf '[[peer]]\nname = "alice"\npubkey = "%s"\n' "$palice" > "$(home_of a)/.config/cckit/peers.toml"
  run --separate-stderr bash -c "cd '$(home_of a)/app' && HOME='$(home_of a)' XDG_CONFIG_HOME='$(home_of a)/.config' CLAUDE_CONFIG_DIR='$(home_of a)/.claude' cc-handoff --share alice --json"
  assert_success
  [ "$(echo "$output" | json_field recipient)" = "$palice" ]
  [[ "$stderr" != *"not one of your peers"* ]] || fail "$stderr"
}

@test "burnt: a second pickup is exit 5 (revoked), never 3; two pickups at once: one resumes, the other is told it was already picked up" {
  on a cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  same_key a b; same_key a c; sync_claude a b; sync_claude a c
  (cd "$(home_of a)/app" && HOME="$(home_of a)" CLAUDE_CONFIG_DIR="$(home_of a)/.claude" cc-handoff --burn >/dev/null)
  on b cc-pickup -y --wait 20 >"$BATS_TEST_TMPDIR/b.out" 2>"$BATS_TEST_TMPDIR/b.err" 3>&- & pb=$!
  on c cc-pickup -y --wait 20 >"$BATS_TEST_TMPDIR/c.out" 2>"$BATS_TEST_TMPDIR/c.err" 3>&- & pc=$!
  rb=0; rc=0; wait "$pb" || rb=$?; wait "$pc" || rc=$?
  # Exactly one resumed; the other stopped with exit 5 in one line of its own.
  if [ "$rb" -eq 0 ]; then loser=c; lost=$rc; else loser=b; lost=$rb; fi
  err=$(cat "$BATS_TEST_TMPDIR/$loser.err")
  [ "$lost" -eq 5 ] || fail "b=$rb c=$rc: $err"
  [ "$(wc -l < "$BATS_TEST_TMPDIR/$loser.err")" -le 2 ] || fail "$err"
  [[ "$err" == *"already picked up"* || "$err" == *"revoked or burnt"* ]] || fail "$err"
  [[ "$err" != *"cc-dht-put:"* && "$err" != *"cc-open:"* ]] || fail "$err"
  # Afterwards: revoked, exit 5, said once.
  run --separate-stderr on b cc-pickup -y --wait 2
  assert_failure 5
  assert_one_error cc-dht-get
  [[ "$stderr" == *"revoked or burnt"* ]] || fail "$stderr"
}

@test "cc-pickup: a failed lookup is one error line (no bogus 'empty input'), an unreachable DHT fails without waiting out --wait" {
  on b cc-key init --no-passphrase >/dev/null
  run --separate-stderr on b cc-pickup pk:yryyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy -y --wait 1
  assert_failure 3
  assert_one_error cc-dht-get
  export CCKIT_BOOTSTRAP=127.0.0.1:9
  run --separate-stderr timeout 25 bash -c "HOME='$(home_of b)' cc-pickup pk:yryyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy -y --wait 120"
  assert_failure 1
  assert_one_error cc-dht-get
  [[ "$stderr" == *"no mainline node answered"* ]] || fail "$stderr"
}

@test "cc-handoff speaks in its own flags: --burn with --share is refused naming --share" {
  on a cc-key init --no-passphrase >/dev/null
  run --separate-stderr on a cc-handoff --share pk:yryyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy --burn
  assert_failure 2
  assert_one_error cc-handoff
  [[ "$stderr" == *"--burn and --share cannot be used together"* ]] || fail "$stderr"
  [[ "$stderr" != *"--to"* ]] || fail "$stderr"
}

@test "--burn --pin is honest: seal time says who can burn it; a PIN holder without the key is told it stays" {
  on a cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  sync_claude a e
  pa=$(pubkey_of a)
  run --separate-stderr bash -c "cd '$(home_of a)/app' && CCKIT_PIN='tangerine-orbit-walnut-42' HOME='$(home_of a)' CLAUDE_CONFIG_DIR='$(home_of a)/.claude' cc-handoff --pin --burn"
  assert_success
  [[ "$stderr" == *"cc-seal: warning: burn with --pin: only a pickup on a machine holding your key removes the record"* ]] || fail "$stderr"
  assert_output --partial "a PIN holder without it can pick it up until it expires"
  CCKIT_PIN='tangerine-orbit-walnut-42' run --separate-stderr on e cc-pickup "$pa" -y --wait 20
  assert_success
  [[ "$stderr" == *"only its publisher ($pa) can remove it"* ]] || fail "$stderr"
  # The publisher's own machine burns it.
  CCKIT_PIN='tangerine-orbit-walnut-42' run --separate-stderr on a cc-pickup "$pa" -y --wait 20
  assert_success
  [[ "$stderr" == *"burned"* ]] || fail "$stderr"
  CCKIT_PIN='tangerine-orbit-walnut-42' run on e cc-pickup "$pa" -y --wait 2
  assert_failure 5
}

@test "cc-pickup --json prints the opened handoff (compact) and resumes; --print's fields are as documented, --json compacts them" {
  on a cc-key init --no-passphrase >/dev/null
  make_session a "$(home_of a)/app" "$SID"
  same_key a b; sync_claude a b
  (cd "$(home_of a)/app" && HOME="$(home_of a)" CLAUDE_CONFIG_DIR="$(home_of a)/.claude" cc-handoff >/dev/null)
  run --separate-stderr on b cc-pickup -y --json --wait 20
  assert_success
  [ "${#lines[@]}" -eq 1 ]
  [ "$(echo "$output" | json_field payload.s)" = "$SID" ]
  [ "$(echo "$output" | json_field v)" = 1 ]
  grep -qx -- "$SID" "$BATS_TEST_TMPDIR/claude-ran"
  run --separate-stderr on b cc-pickup --print --json --wait 20
  assert_success
  [ "${#lines[@]}" -eq 1 ]
  for f in cwd argv file handoff; do
    [ -n "$(echo "$output" | json_field $f)" ] || fail "no $f in $output"
  done
  [ "$(echo "$output" | json_field handoff.payload.s)" = "$SID" ]
}
