#!/usr/bin/env bats
# Man pages and shell completions of cc-dht-put, cc-dht-get and cc-testnet.
load helpers

setup() { setup_home; }

CMDS="cc-dht-put cc-dht-get cc-testnet"

@test "bash completion offers flags, transports and paired peer names" {
  run complete_bash cc-dht-get --tr
  assert_output -- "--transport"
  run complete_bash cc-dht-put --transport h
  assert_output "hyper"
  mkdir -p "$HOME/.config/cckit"
  printf '[[peer]]\nname = "laptop"\npubkey = "pk:x"\n' >"$HOME/.config/cckit/peers.toml"
  run complete_bash cc-dht-get la
  assert_output "laptop"
  run complete_bash cc-testnet --h
  assert_line -- "--hyper"
  assert_line -- "--help"
}

@test "fish completion lists flags and peers" {
  command -v fish >/dev/null || return 0
  mkdir -p "$HOME/.config/cckit"
  printf '[[peer]]\nname = "laptop"\npubkey = "pk:x"\n' >"$HOME/.config/cckit/peers.toml"
  run fish -c "source '$ROOT/completions/fish/cc-dht-get.fish'; complete -C 'cc-dht-get '"
  assert_line --partial "laptop"
  run fish -c "source '$ROOT/completions/fish/cc-dht-put.fish'; complete -C 'cc-dht-put --re'"
  assert_line --partial -- "--revoke"
  assert_line --partial -- "--republish"
}
