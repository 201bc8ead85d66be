#!/usr/bin/env bats
# cc-relay attach in a real terminal (tmux), against the real claude on the
# fake Messages API: type a message, approve inline, see cost and tokens,
# Ctrl-C interrupts, twice detaches; a restarted server is rejoined and only
# missed events are shown.
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/claude
load ../helpers/relay

setup() {
  setup_home
  PROJ="$BATS_TEST_TMPDIR/proj"
  mkdir -p "$PROJ"
  TMUX_SOCK="$BATS_TEST_TMPDIR/tmux.sock"
}

teardown() {
  tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
  relay_stop
  fake_api_stop
}

tm() { tmux -S "$TMUX_SOCK" "$@"; }
screen() { tm capture-pane -p -t t -S -200; }
# wait_screen TEXT: until the pane shows TEXT (60 s: a resumed claude starts slowly on a loaded machine).
wait_screen() {
  local i
  for i in $(seq 1 600); do screen | grep -qF -- "$1" && return 0; sleep 0.1; done
  echo "screen never showed: $1" >&2; screen >&2; return 1
}

start_attach() {
  tm new-session -d -s t -x 160 -y 50 "env PATH='$PATH' HOME='$HOME' XDG_STATE_HOME='$XDG_STATE_HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME' NO_COLOR=1 cc-relay attach - $1; echo ATTACH-EXIT=\$?; sleep 30"
}

@test "attach: send from the terminal, approve inline, cost shown; escape sequences from claude are made visible" {
  printf '%s' "[{\"tool\":\"Write\",\"input\":{\"file_path\":\"$PROJ/t.txt\",\"content\":\"typed\\n\"}},{\"text\":\"all \\u001b[31mred\\u001b[0m done\"}]" >"$BATS_TEST_TMPDIR/script.json"
  fake_api_start --script "$BATS_TEST_TMPDIR/script.json"
  relay_start --no-hyper
  S=$(relay_spawn "$PROJ")
  start_attach "$S"
  wait_screen "attached to $S"
  tm send-keys -t t "please write t.txt" Enter
  wait_screen "> please write t.txt"
  wait_screen "Write asks permission"
  wait_screen "+ typed"
  wait_screen "allow Write? [y/n]"
  tm send-keys -t t y Enter
  wait_screen "allowed by local"
  wait_screen "all ^[[31mred^[[0m done"
  wait_screen "— done · \$0."
  [ "$(cat "$PROJ/t.txt")" = typed ]
  screen | grep -qE "— done · \\\$[0-9.]+ · [0-9]+ in / [0-9]+ out tokens"
}

@test "attach: Ctrl-C interrupts the turn (claude stays usable), Ctrl-C twice detaches" {
  printf '[{"hang":true},{"text":"still here"}]' >"$BATS_TEST_TMPDIR/script.json"
  fake_api_start --script "$BATS_TEST_TMPDIR/script.json"
  relay_start --no-hyper
  S=$(relay_spawn "$PROJ")
  start_attach "$S"
  wait_screen "attached to $S"
  tm send-keys -t t "think" Enter
  for i in $(seq 1 300); do [ "$(fake_api_count)" -ge 1 ] && break; sleep 0.1; done
  tm send-keys -t t C-c
  wait_screen "interrupted by local"
  wait_screen "turn ended"
  sleep 2.2  # the next Ctrl-C must count as a first one again
  tm send-keys -t t "again" Enter
  wait_screen "still here"
  tm send-keys -t t C-c
  tm send-keys -t t C-c
  wait_screen "[detached]"
  wait_screen "ATTACH-EXIT=0"
}

@test "attach: after a server restart it reconnects by itself and shows only what it missed" {
  printf '[{"text":"first answer"},{"text":"second answer"}]' >"$BATS_TEST_TMPDIR/script.json"
  fake_api_start --script "$BATS_TEST_TMPDIR/script.json"
  relay_start --no-hyper
  S=$(relay_spawn "$PROJ")
  start_attach "$S"
  wait_screen "attached to $S"
  tm send-keys -t t "one" Enter
  wait_screen "first answer"
  relay_stop
  wait_screen "connection lost, reconnecting"
  relay_start --no-hyper
  wait_screen "attached to $S (from seq"
  cc-relay send - "$S" <<<"two from a script" >/dev/null
  wait_screen "second answer"
  [ "$(screen | grep -c 'first answer')" -eq 1 ]
  [ "$(screen | grep -c '> two from a script')" -eq 1 ]
}
