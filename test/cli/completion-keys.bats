#!/usr/bin/env bats
# Bash completion of keys (issue 7 item 15), typed into a real bash on a
# terminal (tmux): pk: is a prefix, so no space after it and no pk\: escape,
# and age1 is offered for cc-seal --to only with --raw.
load helpers

setup() {
  setup_home
  SOCK="$BATS_TEST_TMPDIR/tmux.sock"
}

teardown() {
  [ -S "$SOCK" ] && tmux -S "$SOCK" kill-server 2>/dev/null || true
}

# start_bash: an interactive bash on a terminal with our bash completions loaded.
start_bash() {
  cat > "$BATS_TEST_TMPDIR/rc" <<SH
PS1='$ '
for f in '$ROOT'/completions/bash/*; do . "\$f"; done
SH
  tmux -S "$SOCK" new-session -d -x 160 -y 20 "HOME='$HOME' bash --noprofile --rcfile '$BATS_TEST_TMPDIR/rc' -i"
  for _ in $(seq 100); do tmux -S "$SOCK" capture-pane -p | grep -q '^\$' && return 0; sleep 0.1; done
  return 1
}
# line_after KEYS...: send the keys (no Enter) and print the command line they produced.
line_after() {
  tmux -S "$SOCK" send-keys "$@"
  sleep 0.5
  tmux -S "$SOCK" capture-pane -p | grep '^\$ ' | tail -1
}

@test "bash: pk completes to pk: with no trailing space and no pk\\: escape, in every command that takes a key" {
  start_bash
  for cmd in "cc-pickup " "cc-dht-get " "cc-open --from " "cc-seal --to " "cc-handoff --share " "cc-key recipient "; do
    tmux -S "$SOCK" send-keys C-u
    run line_after "${cmd}p" Tab X
    assert_output "\$ ${cmd}pk:X"
  done
}

@test "bash: a peer name completes after a key prefix is typed, and keys typed with pk: stay whole" {
  mkdir -p "$HOME/.config/cckit"
  printf '[[peer]]\nname = "laptop"\npubkey = "pk:yryyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"\n' > "$HOME/.config/cckit/peers.toml"
  start_bash
  run line_after "cc-pickup la" Tab X
  assert_output "\$ cc-pickup laptop X"
  tmux -S "$SOCK" send-keys C-u
  run line_after "cc-seal --to pk:" Tab X
  assert_output "\$ cc-seal --to pk:X"
}

@test "cc-seal --to offers age1 only with --raw" {
  run complete_bash cc-seal --to ''
  assert_success
  assert_line pk:
  refute_line age1
  run complete_bash cc-seal --raw --to ''
  assert_line pk:
  assert_line age1
}

@test "fish: cc-seal --to offers age1 only with --raw" {
  run fish -c "source '$ROOT/completions/fish/cc-seal.fish'; complete -C 'cc-seal --to '"
  assert_success
  assert_output --partial 'pk:'
  refute_output --partial 'age1'
  run fish -c "source '$ROOT/completions/fish/cc-seal.fish'; complete -C 'cc-seal --raw --to '"
  assert_output --partial 'age1'
}
