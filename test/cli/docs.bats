#!/usr/bin/env bats
# Every command ships complete: --help, a man page with the standard
# sections, and bash/zsh/fish completions that load and complete.
load helpers

setup() { setup_home; }

commands() { for f in "$ROOT"/bin/cc-*; do basename "$f"; done; }

@test "every command answers --help on stdout with exit 0 and --version" {
  for c in $(commands); do
    run "$c" --help
    assert_success
    [[ "$output" == *"Usage"* ]] || fail "$c --help has no usage"
    run "$c" --version
    assert_success
    assert_output --regexp "^$c [0-9]"
  done
}

@test "every command has a man page with NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXIT STATUS, ENVIRONMENT, FILES, EXAMPLES, SEE ALSO" {
  for c in $(commands); do
    page="$ROOT/man/$c.1"
    [ -f "$page" ] || fail "no man page for $c"
    for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
      grep -q "^\.SH \"\?$s\"\?$" "$page" || fail "$c.1 lacks section $s"
    done
    run bash -c "MANWIDTH=80 man --warnings -l '$page' 2>&1 >/dev/null"
    assert_output ""
  done
}

@test "every command has bash, zsh and fish completions that parse" {
  for c in $(commands); do
    [ -f "$ROOT/completions/bash/$c" ] || fail "no bash completion for $c"
    [ -f "$ROOT/completions/zsh/_$c" ] || fail "no zsh completion for $c"
    [ -f "$ROOT/completions/fish/$c.fish" ] || fail "no fish completion for $c"
    bash -n "$ROOT/completions/bash/$c"
    grep -q "^#compdef $c\$" "$ROOT/completions/zsh/_$c" || fail "_$c lacks #compdef $c"
    if command -v zsh >/dev/null; then zsh -n "$ROOT/completions/zsh/_$c"; fi
    if command -v fish >/dev/null; then fish -n "$ROOT/completions/fish/$c.fish"; fi
  done
}

@test "every flag in a command's --help is in its man page and its bash, zsh and fish completions" {
  for c in $(commands); do
    # The flags a command documents: the first --flag on each option line of --help.
    for flag in $("$c" --help | grep -E '^ +(-[a-zA-Z], )?--[a-z]' | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
      grep -q -- "$(printf '%s' "$flag" | sed 's/-/\\\\-/g')" "$ROOT/man/$c.1" || fail "$c.1 lacks $flag"
      grep -q -- "$flag" "$ROOT/completions/bash/$c" || fail "bash completion of $c lacks $flag"
      grep -q -- "${flag#--}" "$ROOT/completions/zsh/_$c" || fail "zsh completion of $c lacks $flag"
      grep -q -- "-l ${flag#--}" "$ROOT/completions/fish/$c.fish" || fail "fish completion of $c lacks $flag"
    done
  done
}

@test "bash completion offers each command's flags after a dash" {
  for c in $(commands); do
    run bash -c "source '$ROOT/completions/bash/$c'; spec=\$(complete -p $c) || exit 1; fn=\${spec#*-F }; fn=\${fn%% *}
      COMP_WORDS=($c --); COMP_CWORD=1; COMP_LINE='$c --'; COMP_POINT=\${#COMP_LINE}; \$fn $c -- $c; printf '%s\n' \"\${COMPREPLY[@]}\""
    assert_success
    assert_output --partial -- "--help"
  done
}

@test "bash completion of cc-key offers its subcommands" {
  run bash -c "source '$ROOT/completions/bash/cc-key'; COMP_WORDS=(cc-key a); COMP_CWORD=1; _cc_key; printf '%s\n' \"\${COMPREPLY[@]}\""
  assert_success
  assert_output "age-identity"
}

@test "fish completion of every command lists --help" {
  command -v fish >/dev/null || return 0
  for c in $(commands); do
    run fish -c "source '$ROOT/completions/fish/$c.fish'; complete -C '$c --'"
    assert_success
    assert_output --partial -- "--help"
  done
}
