#!/usr/bin/env bats
# Man pages and shell completions of cc-dht-put, cc-dht-get and cc-testnet.
load helpers

setup() { setup_home; }

CMDS="cc-dht-put cc-dht-get cc-testnet"

@test "man pages render without warnings and have every section" {
  command -v man >/dev/null || return 0
  for c in $CMDS; do
    for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
      grep -q "^\.SH \"\?$s\"\?$" "$ROOT/man/$c.1" || fail "$c.1 lacks $s"
    done
    run bash -c "MANWIDTH=80 man --warnings -l '$ROOT/man/$c.1' 2>&1 >/dev/null"
    assert_output ""
  done
}

@test "every flag in --help is in the man page and the completions" {
  for c in $CMDS; do
    for flag in $("$c" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
      grep -q -- "$(printf '%s' "$flag" | sed 's/-/\\\\-/g')" "$ROOT/man/$c.1" || fail "$c.1 lacks $flag"
      grep -q -- "$flag" "$ROOT/completions/bash/$c" || fail "bash completion of $c lacks $flag"
      grep -q -- "${flag#--}" "$ROOT/completions/zsh/_$c" || fail "zsh completion of $c lacks $flag"
      grep -q -- "-l ${flag#--}" "$ROOT/completions/fish/$c.fish" || fail "fish completion of $c lacks $flag"
    done
  done
}

@test "completions parse in bash, zsh and fish" {
  for c in $CMDS; do
    bash -n "$ROOT/completions/bash/$c"
    if command -v zsh >/dev/null; then zsh -n "$ROOT/completions/zsh/_$c"; fi
    if command -v fish >/dev/null; then fish -n "$ROOT/completions/fish/$c.fish"; fi
  done
}

# complete_bash CMD WORD...: what bash completion offers for the last word.
complete_bash() {
  local c="$1"; shift
  bash -c "source '$ROOT/completions/bash/$c'; fn=\$(complete -p $c); fn=\${fn#*-F }; fn=\${fn%% *}
    COMP_WORDS=($c $*); COMP_CWORD=$#; \$fn; printf '%s\n' \"\${COMPREPLY[@]}\""
}

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
