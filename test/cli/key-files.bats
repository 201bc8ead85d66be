#!/usr/bin/env bats
# Key file writes follow the file and never leave plaintext behind (issue 7
# item 5); the key's folder and mode rules of DESIGN.md §4 (item 14).
load helpers
bats_require_minimum_version 1.5.0

setup() { setup_home; }

@test "cc-key passwd on a symlinked key writes through to the target (0600), the link stays, no plaintext is left" {
  quick_key
  seed=$(cat "$HOME/.pubky/secret_key")
  mkdir -p "$HOME/vault" && chmod 700 "$HOME/vault"
  mv "$HOME/.pubky/secret_key" "$HOME/vault/key"
  ln -s ../vault/key "$HOME/.pubky/secret_key"
  run --separate-stderr env CCKIT_NEW_PASSPHRASE='tangerine-octopus-violin-42' cc-key passwd
  assert_success
  [ -L "$HOME/.pubky/secret_key" ]
  [ "$(readlink "$HOME/.pubky/secret_key")" = ../vault/key ]
  [ "$(head -c 8 "$HOME/vault/key")" = CCLINKEK ]
  [ "$(stat -c %a "$HOME/vault/key")" = 600 ]
  ! grep -rqs "$seed" "$HOME/vault" "$HOME/.pubky"
  [ "$(ls -A "$HOME/vault")" = key ]
  run env CCKIT_PASSPHRASE='tangerine-octopus-violin-42' cc-key whoami
  assert_success
}

@test "cc-key init --force on a symlinked key replaces the target, not the link" {
  quick_key
  old=$(cat "$HOME/.pubky/secret_key")
  mkdir -p "$HOME/vault" && chmod 700 "$HOME/vault"
  mv "$HOME/.pubky/secret_key" "$HOME/vault/key"
  ln -s "$HOME/vault/key" "$HOME/.pubky/secret_key"
  run cc-key init --no-passphrase --force
  assert_success
  [ -L "$HOME/.pubky/secret_key" ]
  [ "$(stat -c %a "$HOME/vault/key")" = 600 ]
  [ "$(cat "$HOME/vault/key")" != "$old" ]
  [ "$(ls -A "$HOME/vault")" = key ]
  # a dangling link: init creates the file it names
  rm "$HOME/vault/key"
  run cc-key init --no-passphrase
  assert_success
  [ -f "$HOME/vault/key" ] && [ -L "$HOME/.pubky/secret_key" ]
}

@test "a ~/.pubky looser than 0700 is tightened, with a warning" {
  quick_key
  chmod 755 "$HOME/.pubky"
  run --separate-stderr cc-key whoami
  assert_success
  assert_equal "$stderr" "cc-key: warning: $HOME/.pubky was 0755; tightened to 0700"
  [ "$(stat -c %a "$HOME/.pubky")" = 700 ]
  run --separate-stderr cc-key whoami
  assert_equal "$stderr" ""
  chmod 750 "$HOME/.pubky"
  run --separate-stderr cc-key init --no-passphrase --force
  assert_success
  [ "$(stat -c %a "$HOME/.pubky")" = 700 ]
}

@test "a 0700 key file gets a message about its mode, not 'consider the key compromised'; 0644 does" {
  quick_key
  chmod 700 "$HOME/.pubky/secret_key"
  run --separate-stderr cc-key whoami
  assert_failure 1
  assert_one_error cc-key
  assert_equal "${stderr_lines[0]}" "cc-key: error: key file $HOME/.pubky/secret_key has mode 0700; it must be 0600 (or 0400)"
  [[ "$stderr" != *compromised* ]]
  chmod 644 "$HOME/.pubky/secret_key"
  run --separate-stderr cc-key whoami
  assert_failure 1
  [[ "$stderr" == *"others may have read it"* ]]
  [[ "$stderr" == *compromised* ]]
}
