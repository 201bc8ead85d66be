#!/usr/bin/env bats
# The two install routes of README put every command on PATH with its man
# page and bash/zsh/fish completions, and work outside the checkout.
load helpers

setup() { setup_home; }

commands() { for f in "$ROOT"/bin/cc-*; do basename "$f"; done; }

@test "make install PREFIX=… installs runnable commands, man pages and completions; make uninstall removes them" {
  prefix="$BATS_TEST_TMPDIR/prefix"
  run env HOME="$CCKIT_TEST_REAL_HOME" make -C "$ROOT" install PREFIX="$prefix"
  assert_success
  for c in $(commands); do
    [ -x "$prefix/bin/$c" ] || fail "no $c in PREFIX/bin"
    [ -f "$prefix/share/man/man1/$c.1" ] || fail "no man page for $c"
    [ -f "$prefix/share/bash-completion/completions/$c" ] || fail "no bash completion for $c"
    [ -f "$prefix/share/zsh/site-functions/_$c" ] || fail "no zsh completion for $c"
    [ -f "$prefix/share/fish/vendor_completions.d/$c.fish" ] || fail "no fish completion for $c"
  done
  # Runs from anywhere, with only the installed tree and the system on PATH.
  cd "$BATS_TEST_TMPDIR"
  run env PATH="$prefix/bin:/usr/bin:/bin" cc-key init --no-passphrase
  assert_success
  run bash -c "echo '{\"s\":\"0b6f9d2e-5a4c-4e0b-9a53-2f7f2c1b8e11\",\"h\":\"x\",\"p\":\"/tmp\"}' | PATH='$prefix/bin:/usr/bin:/bin' cc-seal | PATH='$prefix/bin:/usr/bin:/bin' cc-open"
  assert_success
  assert_output --partial '"s":"0b6f9d2e-5a4c-4e0b-9a53-2f7f2c1b8e11"'
  # The native Argon2id module loads in the installed tree (a passphrase-protected key).
  run env PATH="$prefix/bin:/usr/bin:/bin" CCKIT_KEY_FILE="$BATS_TEST_TMPDIR/enc-key" CCKIT_PASSPHRASE='install test passphrase' cc-key init
  assert_success
  assert_output --partial '"encrypted":true'
  run env MANPATH="$prefix/share/man" man -w cc-seal
  assert_output "$prefix/share/man/man1/cc-seal.1"
  run make -C "$ROOT" uninstall PREFIX="$prefix"
  assert_success
  [ -z "$(ls "$prefix/bin")" ]
  [ ! -e "$prefix/lib/cckit" ]
}

@test "npm install -g . links the commands, man pages and completions under npm's prefix" {
  prefix="$BATS_TEST_TMPDIR/npm-prefix"
  run bash -c "cd '$ROOT' && HOME='$CCKIT_TEST_REAL_HOME' npm install -g . --prefix '$prefix' --no-audit --no-fund 2>&1"
  assert_success
  for c in $(commands); do
    [ -x "$prefix/bin/$c" ] || fail "no $c in npm's bin"
    [ -e "$prefix/share/man/man1/$c.1" ] || fail "no man page for $c"
    [ -e "$prefix/share/bash-completion/completions/$c" ] || fail "no bash completion for $c"
    [ -e "$prefix/share/zsh/site-functions/_$c" ] || fail "no zsh completion for $c"
    [ -e "$prefix/share/fish/vendor_completions.d/$c.fish" ] || fail "no fish completion for $c"
  done
  run env PATH="$prefix/bin:/usr/bin:/bin" cc-pickup --version
  assert_success
  run bash -c "source '$prefix/share/bash-completion/completions/cc-key'; complete -p cc-key"
  assert_output --partial "_cc_key"
}
