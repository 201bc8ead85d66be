#!/usr/bin/env bats
# cc-pair end to end: two or three simulated machines (HOMEs) on a private
# HyperDHT testnet (cc-testnet --hyper, 127.0.0.1 only). Secrets go through
# CCKIT_PAIR_CODE or stdin, never argv.
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/testnet

setup_file() { start_testnet --nodes 6 --hyper; }
teardown_file() { stop_testnet; }

setup() {
  setup_home
  use_testnet
  for m in a b c; do as_machine "$m" cc-key init --no-passphrase >/dev/null; done
}

teardown() {
  stop_tmux
  [ -n "${INV_PID:-}" ] && kill "$INV_PID" 2>/dev/null || true
  wait 2>/dev/null || true
}

# start_inviter MACHINE ARGS…: cc-pair code/invite in the background; waits for the code.
start_inviter() {
  local m="$1"; shift
  INV_OUT="$BATS_TEST_TMPDIR/inv-$m.out" INV_ERR="$BATS_TEST_TMPDIR/inv-$m.err"
  as_machine "$m" timeout 120 cc-pair "$@" </dev/null >"$INV_OUT" 2>"$INV_ERR" 3>&- &
  INV_PID=$!
  local i
  for ((i = 0; i < 150; i++)); do
    grep -qE '^Pairing (code|link): ' "$INV_ERR" && break
    kill -0 "$INV_PID" 2>/dev/null || break
    sleep 0.1
  done
  CODE=$(sed -n 's/^Pairing \(code\|link\): //p' "$INV_ERR" | head -1)
  [ -n "$CODE" ] || { cat "$INV_ERR" >&2; return 1; }
}

# wait_inviter: the inviter's exit status in $INV_RC
wait_inviter() { INV_RC=0; wait "$INV_PID" || INV_RC=$?; INV_PID=; }

peers_of() { cat "$BATS_TEST_TMPDIR/$1/.config/cckit/peers.toml"; }

@test "code: both sides store the other's identity key (0600), JSON on stdout, the code never in argv" {
  start_inviter a code --name bee
  [[ "$CODE" =~ ^[1-9][0-9]{3}-[a-z]+-[a-z]+-[a-z]+$ ]]
  # Nothing of the code in any process's argv (ps shows the same).
  ! grep -q -- "${CODE#*-}" /proc/[0-9]*/cmdline 2>/dev/null
  run --separate-stderr as_machine b env CCKIT_PAIR_CODE="$CODE" cc-pair join --name alpha
  assert_success
  [ "$(echo "$output" | json_field name)" = alpha ]
  [ "$(echo "$output" | json_field pubkey)" = "$(pubkey_of a)" ]
  [ "$(echo "$output" | json_field via)" = code ]
  [ "$(echo "$output" | json_field allow)" = '["view"]' ]
  [[ "$stderr" == *"Paired with alpha"* ]]
  wait_inviter
  [ "$INV_RC" = 0 ]
  [ "$(json_field pubkey < "$INV_OUT")" = "$(pubkey_of b)" ]
  [ "$(json_field name < "$INV_OUT")" = bee ]
  [ "$(stat -c %a "$BATS_TEST_TMPDIR/a/.config/cckit/peers.toml")" = 600 ]
  [ "$(stat -c %a "$BATS_TEST_TMPDIR/b/.config/cckit/peers.toml")" = 600 ]
  ! peers_of a | grep -q -- "${CODE#*-}"
  ! peers_of b | grep -q -- "${CODE#*-}"
  run as_machine a cc-pair list
  assert_success
  [ "$(echo "$output" | json_field 0.name)" = bee ]
}

@test "--verify: both sides show the same 3 verification words" {
  start_inviter a code --verify
  run --separate-stderr as_machine b env CCKIT_PAIR_CODE="$CODE" cc-pair join --verify
  assert_success
  wait_inviter
  [ "$INV_RC" = 0 ]
  wj=$(printf '%s\n' "$stderr" | sed -n 's/^Verification words: \([a-z]* [a-z]* [a-z]*\) .*/\1/p')
  wi=$(sed -n 's/^Verification words: \([a-z]* [a-z]* [a-z]*\) .*/\1/p' "$INV_ERR")
  [ -n "$wj" ] && [ "$wj" = "$wi" ]
}

@test "a paired NAME works with cc-seal --to, cc-handoff --share and cc-pickup NAME" {
  start_inviter a code --name bee
  as_machine b env CCKIT_PAIR_CODE="$CODE" cc-pair join --name alpha >/dev/null
  wait_inviter
  [ "$INV_RC" = 0 ]
  # b seals to a by name; a opens it.
  SID=$(node -e 'console.log(crypto.randomUUID())')
  run bash -c "echo '{\"s\":\"$SID\",\"h\":\"\",\"p\":\"\"}' | HOME='$BATS_TEST_TMPDIR/b' XDG_CONFIG_HOME='$BATS_TEST_TMPDIR/b/.config' cc-seal --to alpha | HOME='$BATS_TEST_TMPDIR/a' XDG_CONFIG_HOME='$BATS_TEST_TMPDIR/a/.config' cc-open --from bee"
  assert_success
  [ "$(echo "$output" | json_field payload.s)" = "$SID" ]
  # A handoff shared with the paired name, picked up by the publisher's paired name.
  proj="$BATS_TEST_TMPDIR/b/app"; mkdir -p "$proj"
  real=$(cd "$proj" && pwd -P); slug=$(printf '%s' "$real" | sed 's/[^A-Za-z0-9]/-/g')
  for m in a b; do
    mkdir -p "$BATS_TEST_TMPDIR/$m/.claude/projects/$slug"
    printf '{"type":"user","sessionId":"%s","cwd":"%s"}\n' "$SID" "$real" > "$BATS_TEST_TMPDIR/$m/.claude/projects/$slug/$SID.jsonl"
  done
  run bash -c "cd '$proj' && HOME='$BATS_TEST_TMPDIR/b' XDG_CONFIG_HOME='$BATS_TEST_TMPDIR/b/.config' CLAUDE_CONFIG_DIR='$BATS_TEST_TMPDIR/b/.claude' cc-handoff --share alpha"
  assert_success
  run as_machine a cc-pickup bee --print --json --wait 20
  assert_success
  [ "$(echo "$output" | json_field argv.2)" = "$SID" ]
}

@test "a wrong code fails on both sides (exit 4); 3 failures burn the code loudly" {
  start_inviter a code
  np=${CODE%%-*}; words=${CODE#*-}
  bad="$np-abandon-abandon-zoo"
  [ "$bad" != "$CODE" ]
  run --separate-stderr as_machine b env CCKIT_PAIR_CODE="$bad" cc-pair join
  assert_failure 4
  assert_one_error cc-pair
  [[ "$stderr" == *"wrong code"* ]]
  grep -q "attempt 1 of 3" "$INV_ERR"
  run as_machine b env CCKIT_PAIR_CODE="$bad" cc-pair join
  assert_failure 4
  run as_machine c env CCKIT_PAIR_CODE="$bad" cc-pair join
  assert_failure 4
  wait_inviter
  [ "$INV_RC" = 4 ]
  grep -q "INVITE BURNT" "$INV_ERR"
  grep -q "cc-pair: error: invite burnt after 3 failed attempts" "$INV_ERR"
  [ ! -s "$INV_OUT" ]
  [ ! -e "$BATS_TEST_TMPDIR/a/.config/cckit/peers.toml" ] || [ -z "$(as_machine a cc-pair list | tr -d '[]')" ]
  # Burnt means gone: the right words now find nobody.
  run as_machine b env CCKIT_PAIR_CODE="$CODE" cc-pair join
  assert_failure 3
}

@test "an expired code is exit 5 on the inviter; a joiner then finds nobody (exit 3)" {
  run --separate-stderr as_machine a cc-pair code --ttl 1
  assert_failure 5
  [[ "$stderr" == *"cc-pair: error: the code expired before anyone joined"* ]]
  run --separate-stderr as_machine b env CCKIT_PAIR_CODE=4821-acid-mango-lamp cc-pair join
  assert_failure 3
  assert_one_error cc-pair
}

@test "invite: a link shown as a QR code that zbarimg decodes; join reads it from stdin" {
  start_inviter a invite --qr --allow view,send
  [[ "$CODE" =~ ^cckit://pair#v1\.[ybndrfg8ejkmcpqxot1uwisza345h769]{52}$ ]]
  for i in $(seq 50); do grep -q '▀\|▄\|█' "$INV_ERR" && break; sleep 0.1; done
  node "$ROOT/test/helpers/qr-text-to-pbm.mjs" < "$INV_ERR" > "$BATS_TEST_TMPDIR/qr.pbm"
  run bash -c "zbarimg --nodbus --raw -q '$BATS_TEST_TMPDIR/qr.pbm' 2>/dev/null"
  assert_success
  assert_output "$CODE"
  run bash -c "printf '%s\n' '$CODE' | HOME='$BATS_TEST_TMPDIR/c' XDG_CONFIG_HOME='$BATS_TEST_TMPDIR/c/.config' cc-pair join 2>/dev/null"
  assert_success
  [ "$(echo "$output" | json_field via)" = link ]
  wait_inviter
  [ "$INV_RC" = 0 ]
  [ "$(json_field allow < "$INV_OUT")" = '["view","send"]' ]
  [ "$(json_field pubkey < "$INV_OUT")" = "$(pubkey_of c)" ]
}

@test "join: the nameplate alone may be an argument, the words come from stdin; word prefixes work" {
  start_inviter a code
  np=${CODE%%-*}; IFS=- read -r _ w1 w2 w3 <<<"$CODE"
  run bash -c "printf '%s %s %s\n' '${w1:0:4}' '$w2' '${w3:0:4}' | HOME='$BATS_TEST_TMPDIR/b' XDG_CONFIG_HOME='$BATS_TEST_TMPDIR/b/.config' cc-pair join $np"
  assert_success
  wait_inviter
  [ "$INV_RC" = 0 ]
}

@test "list, rename, allow, forget; unknown names exit 3, bad input exit 2 with one error line" {
  start_inviter a code
  as_machine b env CCKIT_PAIR_CODE="$CODE" cc-pair join --name desk >/dev/null
  wait_inviter
  run as_machine b cc-pair rename desk office
  assert_success
  [ "$(echo "$output" | json_field name)" = office ]
  run as_machine b cc-pair allow office view,approve
  assert_success
  [ "$(echo "$output" | json_field allow)" = '["view","approve"]' ]
  run --separate-stderr as_machine b cc-pair allow office view,root
  assert_failure 2
  assert_one_error cc-pair
  run --separate-stderr as_machine b cc-pair rename office $'bad\x1bname'
  assert_failure 2
  assert_one_error cc-pair
  [[ "$stderr" != *$'\x1b'* ]]
  run as_machine b cc-pair forget office
  assert_success
  run as_machine b cc-pair list
  assert_output '[]'
  run --separate-stderr as_machine b cc-pair forget office
  assert_failure 3
  assert_one_error cc-pair
}

@test "usage errors: no subcommand, a code in argv, a too-long code TTL, no code and no terminal" {
  run --separate-stderr cc-pair
  assert_failure 2
  assert_one_error cc-pair
  run --separate-stderr cc-pair join 4821-acid-mango-lamp
  assert_failure 2
  assert_one_error cc-pair
  [[ "$stderr" == *"hint: only the number may be given"* ]]
  run --separate-stderr cc-pair code --ttl 4000
  assert_failure 2
  assert_one_error cc-pair
  run --separate-stderr bash -c 'cc-pair join </dev/null'
  assert_failure 2
  assert_one_error cc-pair
  run --separate-stderr bash -c "echo 'cckit://pair#v1.short' | cc-pair join"
  assert_failure 2
  assert_one_error cc-pair
  run cc-pair --version
  assert_success
  assert_output --regexp '^cc-pair [0-9]'
}

# --- project peers: listen / connect, approved by a person on each side (tmux) ---

# in_tmux WINDOW MACHINE DIR CMD…: run CMD as MACHINE in DIR in a tmux window (a real terminal).
in_tmux() {
  local w="$1" m="$2" dir="$3"; shift 3
  local h="$BATS_TEST_TMPDIR/$m"
  local script="$BATS_TEST_TMPDIR/tmux-$w.sh"
  {
    echo "cd '$dir'"
    echo "export HOME='$h' XDG_CONFIG_HOME='$h/.config' XDG_STATE_HOME='$h/.local/state' PATH='$PATH' NO_COLOR=1"
    echo "export CCKIT_TEST_NO_PUBLIC=1 CCKIT_HYPER_BOOTSTRAP='$CCKIT_HYPER_BOOTSTRAP'"
    echo "unset CCKIT_NO_TTY"
    echo "$* > '$BATS_TEST_TMPDIR/$w.out' 2> >(tee '$BATS_TEST_TMPDIR/$w.err' >&2); echo \"rc=\$?\"; sleep 60"
  } > "$script"
  if [ -z "${TMUX_SOCK:-}" ]; then
    TMUX_SOCK="$BATS_TEST_TMPDIR/tmux.sock"
    tmux -S "$TMUX_SOCK" new-session -d -s t -n "$w" -x 200 -y 50 "bash '$script'"
  else
    tmux -S "$TMUX_SOCK" new-window -t t: -n "$w" "bash '$script'" || echo "new-window failed" >&2
  fi
}
pane() { tmux -S "$TMUX_SOCK" capture-pane -p -t "t:$1" -S -100; }
wait_pane() { local i; for ((i = 0; i < 600; i++)); do pane "$1" 2>/dev/null | grep -q -- "$2" && return 0; sleep 0.1; done; tmux -S "$TMUX_SOCK" list-windows >&2; pane "$1" >&2 || { ls "$BATS_TEST_TMPDIR"; cat "$BATS_TEST_TMPDIR"/*.err "$BATS_TEST_TMPDIR"/*.out; } >&2; return 1; }
stop_tmux() { [ -n "${TMUX_SOCK:-}" ] && tmux -S "$TMUX_SOCK" kill-server 2>/dev/null; TMUX_SOCK=; true; }

# make_repo MACHINE: a git repository of MACHINE's with .cckit/peers.toml listing alice (a) and bob (b).
make_repo() {
  local r="$BATS_TEST_TMPDIR/$1/repo"
  mkdir -p "$r/.git"
  ( cd "$r" && as_machine "$1" cc-pair project add alice "$(pubkey_of a)" >/dev/null && as_machine "$1" cc-pair project add bob "$(pubkey_of b)" >/dev/null )
  echo "$r"
}

# keys WINDOW KEY…: send each key to the tmux window on its own (readline takes a
# Tab that arrives in the same read as other keys for pasted text, not a Tab press).
keys() { local w="$1" k; shift; for k in "$@"; do tmux -S "$TMUX_SOCK" send-keys -t "t:$w" "$k"; sleep 0.2; done; }
# lit WINDOW TEXT: type TEXT literally.
lit() { tmux -S "$TMUX_SOCK" send-keys -t "t:$1" -l "$2"; sleep 0.2; }

@test "join on a terminal: Tab completes a word from its first letters, a second Tab lists an ambiguous prefix's words" {
  start_inviter a code --name bee
  local np w1 w2 w3 w
  IFS=- read -r np w1 w2 w3 <<<"$CODE"
  in_tmux J b "$BATS_TEST_TMPDIR" cc-pair join --name alpha
  wait_pane J "Pairing code or link"
  # An ambiguous prefix: one letter completes only what all its words share; a second Tab lists them.
  lit J "$np-${w1:0:1}"; keys J Tab Tab
  wait_pane J "\\<$w1\\>"
  [ "$(pane J | grep -oE '[a-z]+' | sort -u | grep -c "^${w1:0:1}")" -ge 3 ] # several candidates shown
  # Start again (Ctrl-U clears the line): 4 letters are always enough, Tab completes the word and its dash.
  keys J C-u
  lit J "$np-"
  for w in "$w1" "$w2" "$w3"; do
    if [ "${#w}" -ge 4 ]; then lit J "${w:0:4}"; keys J Tab; else lit J "$w"; [ "$w" = "$w3" ] || lit J -; fi
  done
  wait_pane J "Tab completes a word): $CODE\$"
  keys J Enter
  wait_pane J "rc=0"
  wait_inviter
  [ "$INV_RC" = 0 ]
  [ "$(json_field pubkey < "$BATS_TEST_TMPDIR/J.out")" = "$(pubkey_of a)" ]
  [ "$(json_field name < "$BATS_TEST_TMPDIR/J.out")" = alpha ]
  pane J | grep -q "Paired with alpha"
}

@test "project: add writes .cckit/peers.toml (names and keys only), list shows paired / not paired" {
  ra=$(make_repo a)
  grep -q 'name = "bob"' "$ra/.cckit/peers.toml"
  [ "$(stat -c %a "$ra/.cckit/peers.toml")" = 644 ]
  cd "$ra"
  run as_machine a cc-pair project list
  assert_success
  [ "$(echo "$output" | json_field 1.name)" = bob ]
  [ "$(echo "$output" | json_field 1.paired)" = false ]
  run --separate-stderr as_machine a cc-pair project add bob "$(pubkey_of c)"
  assert_failure 2
  assert_one_error cc-pair
  run --separate-stderr as_machine a cc-pair project add carol pk:nope
  assert_failure 2
  cd "$BATS_TEST_TMPDIR"
  run --separate-stderr as_machine a cc-pair project list
  assert_failure 3
  assert_one_error cc-pair
  # A project name never shadows a personal one, and grants nothing.
  cd "$ra"
  [ -z "$(as_machine a cc-pair list | tr -d '[]')" ]
}

@test "project connect → listen: both sides show the same 3 words, both approve, both store the other" {
  ra=$(make_repo a); rb=$(make_repo b)
  in_tmux A a "$ra" cc-pair listen --once --allow view,send
  wait_pane A "Listening for pairing requests"
  in_tmux B b "$rb" cc-pair project connect
  wait_pane A "Pair with this peer?"
  wait_pane B "Pair with this peer?"
  wa=$(pane A | sed -n 's/^  words: \([a-z]* [a-z]* [a-z]*\) .*/\1/p')
  wb=$(pane B | sed -n 's/^  words: \([a-z]* [a-z]* [a-z]*\) .*/\1/p')
  [ -n "$wa" ] && [ "$wa" = "$wb" ]
  pane A | grep -q "Pairing request from .*($(pubkey_of b | cut -c4-7)-"
  tmux -S "$TMUX_SOCK" send-keys -t t:A y Enter
  tmux -S "$TMUX_SOCK" send-keys -t t:B y Enter
  wait_pane A "rc=0"
  wait_pane B "rc=0"
  stop_tmux
  [ "$(json_field name < "$BATS_TEST_TMPDIR/A.out")" = bob ]
  [ "$(json_field via < "$BATS_TEST_TMPDIR/A.out")" = project ]
  [ "$(json_field allow < "$BATS_TEST_TMPDIR/A.out")" = '["view","send"]' ]
  [ "$(json_field 0.result < "$BATS_TEST_TMPDIR/B.out")" = paired ]
  cd "$rb"
  run as_machine b cc-pair project list
  [ "$(echo "$output" | json_field 0.paired)" = true ]
  [ "$(echo "$output" | json_field 0.paired_as)" = alice ]
}

@test "project: a no on either side stores nothing (exit 4); a key the project does not list is refused before a byte" {
  ra=$(make_repo a); rb=$(make_repo b)
  # c's own repository lists alice, but a's does not list c: a's firewall refuses c.
  rc="$BATS_TEST_TMPDIR/c/repo"; mkdir -p "$rc/.git"
  ( cd "$rc" && as_machine c cc-pair project add alice "$(pubkey_of a)" >/dev/null )
  in_tmux A a "$ra" cc-pair listen --once --ttl 60
  wait_pane A "Listening for pairing requests"
  in_tmux C c "$rc" cc-pair project connect
  wait_pane C "rc="
  pane C | grep -q "alice: unreachable"
  ! pane A | grep -q "Pairing request"
  in_tmux B b "$rb" cc-pair project connect
  wait_pane A "Pair with this peer?"
  wait_pane B "Pair with this peer?"
  tmux -S "$TMUX_SOCK" send-keys -t t:B y Enter
  tmux -S "$TMUX_SOCK" send-keys -t t:A n Enter
  wait_pane B "rc=4"
  pane A | grep -q "not approved here"
  pane B | grep -q "alice: rejected"
  stop_tmux
  [ -z "$(as_machine a cc-pair list | tr -d '[]')" ]
  [ -z "$(as_machine b cc-pair list | tr -d '[]')" ]
}

@test "completions: bash offers subcommands, flags and paired names; fish lists subcommands" {
  mkdir -p "$XDG_CONFIG_HOME/cckit"
  printf '[[peer]]\nname = "laptop"\npubkey = "%s"\n' "$(pubkey_of a)" > "$XDG_CONFIG_HOME/cckit/peers.toml"
  run complete_bash cc-pair pro
  assert_output "project"
  run complete_bash cc-pair project c
  assert_output "connect"
  run complete_bash cc-pair forget la
  assert_output "laptop"
  run complete_bash cc-pair listen --on
  assert_output "--once"
  run complete_bash cc-pair code --all
  assert_output "--allow"
  if command -v fish >/dev/null; then
    run fish -c "source '$ROOT/completions/fish/cc-pair.fish'; complete -C 'cc-pair '"
    assert_output --partial "invite"
    assert_output --partial "listen"
  fi
}
