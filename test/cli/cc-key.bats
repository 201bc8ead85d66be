#!/usr/bin/env bats
# cc-key as a user runs it: create, show, convert, re-protect, and every refusal.
load helpers
bats_require_minimum_version 1.5.0

setup() { setup_home; }

@test "cc-key --help prints usage to stdout and exits 0; --version prints the version" {
  run cc-key --help
  assert_success
  assert_output --partial "Usage:"
  assert_output --partial "cc-key init"
  run cc-key --version
  assert_success
  assert_output --regexp '^cc-key [0-9]+\.[0-9]+\.[0-9]+'
}

@test "cc-key with no command, an unknown command or an unknown flag is a usage error (exit 2)" {
  run cc-key
  assert_failure 2
  assert_output --partial "cc-key: error: missing command"
  run cc-key frobnicate
  assert_failure 2
  assert_output --partial "unknown command 'frobnicate'"
  run cc-key init --frob
  assert_failure 2
  assert_line "cc-key: error: unknown flag --frob"
  assert_line "cc-key: hint: run 'cc-key --help' for usage"
  run cc-key passwd --no-passphrase --new-passphrase-fd 3
  assert_failure 2
}

@test "init --no-passphrase writes 64 hex chars, mode 0600 in a 0700 folder; whoami shows the identity" {
  run cc-key init --no-passphrase
  assert_success
  [ "$(stat -c %a "$HOME/.pubky/secret_key")" = 600 ]
  [ "$(stat -c %a "$HOME/.pubky")" = 700 ]
  grep -Eq '^[0-9a-f]{64}$' "$HOME/.pubky/secret_key"
  pk=$(cc-key whoami | json_field pubkey)
  [[ "$pk" =~ ^pk:[ybndrfg8ejkmcpqxot1uwisza345h769]{52}$ ]]
  run cc-key whoami
  assert_output --partial '"encrypted":false'
  assert_output --partial '"fingerprint":"'"${pk:3:4}-${pk:7:4}"'"'
  assert_output --partial '"age_recipient":"age1'
}

@test "init under umask 000 still creates the key file 0600" {
  (umask 000; cc-key init --no-passphrase >/dev/null)
  [ "$(stat -c %a "$HOME/.pubky/secret_key")" = 600 ]
}

@test "init refuses to replace an existing key without --force, and leaves it untouched" {
  quick_key
  before=$(cat "$HOME/.pubky/secret_key")
  run cc-key init --no-passphrase
  assert_failure 1
  assert_output --partial "a key already exists"
  assert_output --partial "hint: use --force"
  [ "$(cat "$HOME/.pubky/secret_key")" = "$before" ]
  run cc-key init --no-passphrase --force
  assert_success
  [ "$(cat "$HOME/.pubky/secret_key")" != "$before" ]
}

@test "init with a passphrase writes a CCLINKEK envelope; whoami needs the passphrase" {
  CCKIT_PASSPHRASE='correct horse battery staple' run cc-key init
  assert_success
  assert_output --partial '"encrypted":true'
  [ "$(head -c 8 "$HOME/.pubky/secret_key")" = CCLINKEK ]
  CCKIT_PASSPHRASE='correct horse battery staple' run cc-key whoami
  assert_success
  CCKIT_PASSPHRASE='wrong horse battery staple' run cc-key whoami
  assert_failure 4
  assert_output "cc-key: error: wrong passphrase for the key file"
}

@test "--passphrase-fd reads the passphrase from a file descriptor, not argv" {
  run bash -c 'cc-key init --passphrase-fd 3 3< <(printf "fd passphrase 123\n")'
  assert_success
  run bash -c 'cc-key whoami --passphrase-fd 3 3< <(printf "fd passphrase 123")'
  assert_success
  assert_output --partial '"encrypted":true'
  run cc-key whoami --passphrase-fd x
  assert_failure 2
}

@test "an encrypted key with no terminal and no passphrase source fails with a hint, never hangs" {
  CCKIT_PASSPHRASE='correct horse battery staple' cc-key init >/dev/null
  run timeout 10 cc-key whoami </dev/null
  assert_failure 1
  assert_line "cc-key: error: a passphrase is needed but there is no terminal to ask on"
  assert_line "cc-key: hint: set CCKIT_PASSPHRASE or pass --passphrase-fd N"
}

@test "a missing key file is exit 3 with a hint; a key file readable by others is refused" {
  run cc-key whoami
  assert_failure 3
  assert_output --partial "hint: create one with 'cc-key init'"
  quick_key
  chmod 644 "$HOME/.pubky/secret_key"
  run cc-key whoami
  assert_failure 1
  assert_output --partial "has permissions 0644"
  assert_output --partial "chmod 600"
  chmod 400 "$HOME/.pubky/secret_key"
  run cc-key whoami
  assert_success
}

@test "a corrupt key file gives one clear line, no stack trace" {
  mkdir -p "$HOME/.pubky" && chmod 700 "$HOME/.pubky"
  printf 'garbage' > "$HOME/.pubky/secret_key" && chmod 600 "$HOME/.pubky/secret_key"
  run cc-key whoami
  assert_failure 1
  assert_line --index 0 --partial "cc-key: error: cannot read"
  refute_output --partial "    at "
}

@test "import a pkarr/cclink hex key from a file and from stdin: same public key" {
  seed=9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60
  printf '%s\n' "$seed" > "$BATS_TEST_TMPDIR/hex"
  run cc-key init --no-passphrase --import "$BATS_TEST_TMPDIR/hex"
  assert_success
  assert_output --partial '"pubkey":"pk:47pjoycnsrfmxikm95jh13y88e8qnhzu5kungjpxyepgt7a8krpy"'
  [ "$(cat "$HOME/.pubky/secret_key")" = "$seed" ]
  run bash -c "printf %s $seed | cc-key init --no-passphrase --force --import -"
  assert_success
  assert_output --partial '"pubkey":"pk:47pjoycnsrfmxikm95jh13y88e8qnhzu5kungjpxyepgt7a8krpy"'
  run cc-key init --no-passphrase --force --import "$BATS_TEST_TMPDIR/missing"
  assert_failure 3
}

@test "import an existing CCLINKEK file: kept as it is, or stored plain with --no-passphrase" {
  node -e 'const v=require(process.argv[1]).envelope;require("fs").writeFileSync(process.argv[2],Buffer.from(v.file_base64,"base64"))' \
    "$ROOT/test/vectors/identity.json" "$BATS_TEST_TMPDIR/env"
  CCKIT_PASSPHRASE='correct horse battery staple' run cc-key init --import "$BATS_TEST_TMPDIR/env"
  assert_success
  assert_output --partial '"pubkey":"pk:47pjoycnsrfmxikm95jh13y88e8qnhzu5kungjpxyepgt7a8krpy"'
  cmp "$BATS_TEST_TMPDIR/env" "$HOME/.pubky/secret_key"
  CCKIT_PASSPHRASE='nope nope nope' run cc-key init --force --no-passphrase --import "$BATS_TEST_TMPDIR/env"
  assert_failure 4
  CCKIT_PASSPHRASE='correct horse battery staple' run cc-key init --force --no-passphrase --import "$BATS_TEST_TMPDIR/env"
  assert_success
  [ "$(cat "$HOME/.pubky/secret_key")" = 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60 ]
}

@test "recipient converts a peer's pk: to its age1 recipient; bad keys are usage errors" {
  run cc-key recipient pk:47pjoycnsrfmxikm95jh13y88e8qnhzu5kungjpxyepgt7a8krpy
  assert_success
  expected=$(node -e 'console.log(require(process.argv[1]).keys[2].age_recipient)' "$ROOT/test/vectors/identity.json")
  assert_output "$expected"
  run cc-key recipient pk:notakey
  assert_failure 2
  assert_output --partial "not a public key"
  run cc-key recipient
  assert_failure 2
}

@test "age interop: age -r <whoami recipient> | age -d -i <cc-key age-identity> round-trips" {
  quick_key
  (umask 077; cc-key age-identity > "$BATS_TEST_TMPDIR/id.txt")
  [ "$(stat -c %a "$BATS_TEST_TMPDIR/id.txt")" = 600 ]
  grep -q '^AGE-SECRET-KEY-1' "$BATS_TEST_TMPDIR/id.txt"
  r=$(cc-key whoami | json_field age_recipient)
  run bash -c "echo 'hello from age' | age -r '$r' | age -d -i '$BATS_TEST_TMPDIR/id.txt'"
  assert_success
  assert_output "hello from age"
  [ "$(age-keygen -y "$BATS_TEST_TMPDIR/id.txt")" = "$r" ]
}

@test "age-identity refuses to print a secret to a terminal unless --force" {
  quick_key
  run script -qec "cc-key age-identity" /dev/null
  assert_failure 2
  assert_output --partial "refusing to print a secret key to the terminal"
  run script -qec "cc-key age-identity --force" /dev/null
  assert_success
  assert_output --partial "AGE-SECRET-KEY-1"
}

@test "passwd adds, changes and removes the passphrase; the identity never changes" {
  quick_key
  pk=$(cc-key whoami | json_field pubkey)
  CCKIT_NEW_PASSPHRASE='first passphrase 1' run cc-key passwd
  assert_success
  assert_output --partial '"encrypted":true'
  [ "$(head -c 8 "$HOME/.pubky/secret_key")" = CCLINKEK ]
  CCKIT_PASSPHRASE='first passphrase 1' CCKIT_NEW_PASSPHRASE='second passphrase 2' run cc-key passwd
  assert_success
  CCKIT_PASSPHRASE='first passphrase 1' run cc-key whoami
  assert_failure 4
  CCKIT_PASSPHRASE='second passphrase 2' run cc-key passwd --no-passphrase
  assert_success
  assert_output --partial '"encrypted":false'
  [ "$(cc-key whoami | json_field pubkey)" = "$pk" ]
  [ "$(stat -c %a "$HOME/.pubky/secret_key")" = 600 ]
}

@test "passwd with a wrong current passphrase changes nothing" {
  CCKIT_PASSPHRASE='right passphrase 1' cc-key init >/dev/null
  cp "$HOME/.pubky/secret_key" "$BATS_TEST_TMPDIR/before"
  CCKIT_PASSPHRASE='wrong passphrase 1' CCKIT_NEW_PASSPHRASE='new passphrase 12' run cc-key passwd
  assert_failure 4
  cmp "$BATS_TEST_TMPDIR/before" "$HOME/.pubky/secret_key"
}

@test "a passphrase under 8 characters or a guessable one is refused (estimated by zxcvbn-ts); nothing is written" {
  CCKIT_PASSPHRASE='x' run --separate-stderr cc-key init
  assert_failure 1
  assert_one_error cc-key
  assert_equal "${stderr_lines[0]}" "cc-key: error: passphrase too short: 1 characters, at least 8 are needed"
  assert_equal "${stderr_lines[1]}" "cc-key: hint: use several unrelated words, or --no-passphrase to store the key unencrypted"
  for p in 'correct horse' 'ilovemydog2024'; do
    CCKIT_PASSPHRASE="$p" run --separate-stderr cc-key init
    assert_failure 1
    assert_one_error cc-key
    [[ "${stderr_lines[0]}" == "cc-key: error: passphrase too weak: about "*" bits"* ]]
  done
  [ ! -e "$HOME/.pubky/secret_key" ]
  quick_key
  CCKIT_NEW_PASSPHRASE='short' run --separate-stderr cc-key passwd
  assert_failure 1
  assert_equal "${stderr_lines[0]}" "cc-key: error: passphrase too short: 5 characters, at least 8 are needed"
  [ "$(head -c 8 "$HOME/.pubky/secret_key")" != CCLINKEK ]
}

@test "CCKIT_KEY_FILE points at another key file" {
  export CCKIT_KEY_FILE="$BATS_TEST_TMPDIR/keys/other"
  run cc-key init --no-passphrase
  assert_success
  assert_output --partial "\"key_file\":\"$CCKIT_KEY_FILE\""
  [ -f "$CCKIT_KEY_FILE" ] && [ ! -e "$HOME/.pubky/secret_key" ]
}

@test "on a terminal, init prompts twice on /dev/tty without echo; a mismatch writes nothing" {
  unset CCKIT_NO_TTY
  run bash -c "(sleep 1; printf 'tty passphrase 42\r'; sleep 0.5; printf 'tty passphrase 42\r') | script -qec 'cc-key init' /dev/null"
  assert_success
  assert_output --partial "New passphrase for the cckit key:"
  assert_output --partial "Confirm passphrase:"
  refute_output --partial "tty passphrase 42"
  CCKIT_PASSPHRASE='tty passphrase 42' run cc-key whoami
  assert_success
  rm -f "$HOME/.pubky/secret_key"
  # Three mismatches: each asks again and mentions --no-passphrase; then nothing is written.
  run bash -c "(for i in 1 2 3; do sleep 1; printf 'one passphrase 1\r'; sleep 0.5; printf 'two passphrase 2\r'; done) | script -qec 'cc-key init' /dev/null"
  assert_failure
  assert_output --partial "the two passphrases do not match; try again (2 left), or Ctrl-C and use --no-passphrase"
  assert_output --partial "the two passphrases do not match; try again (1 left)"
  assert_output --partial "cc-key: error: the two passphrases do not match"
  [ ! -e "$HOME/.pubky/secret_key" ]
}

# tmux: a real terminal a person types into; each answer is typed once its prompt shows.
tmux_wait() { # tmux_wait SESSION TEXT COUNT: until TEXT appears COUNT times on the screen (20 s at most)
  local i
  for ((i = 0; i < 200; i++)); do
    [ "$(tmux capture-pane -p -t "$1" -S -100 | grep -cF -- "$2")" -ge "${3:-1}" ] && return 0
    sleep 0.1
  done
  tmux capture-pane -p -t "$1" -S -100 >&2
  return 1
}

@test "on a terminal, an empty, short or weak passphrase asks again; the next good one is taken" {
  unset CCKIT_NO_TTY
  local s="cckit-hio-$$-$BATS_TEST_NUMBER"
  tmux new-session -d -s "$s" -x 200 -y 50 "cc-key init > '$BATS_TEST_TMPDIR/out'; echo rc=\$? >> '$BATS_TEST_TMPDIR/out'; sleep 120"
  type_after() { tmux_wait "$s" "$1" "$2" && tmux send-keys -t "$s" -l "$3" && tmux send-keys -t "$s" Enter; }
  type_after "New passphrase" 1 ""
  type_after "Confirm passphrase" 1 ""
  type_after "New passphrase" 2 "correct horse"
  type_after "Confirm passphrase" 2 "correct horse"
  type_after "New passphrase" 3 "demo passphrase 123"
  type_after "Confirm passphrase" 3 "demo passphrase 123"
  for ((i = 0; i < 300; i++)); do grep -q '^rc=' "$BATS_TEST_TMPDIR/out" 2>/dev/null && break; sleep 0.1; done
  screen=$(tmux capture-pane -p -t "$s" -S -100 -J)
  tmux kill-session -t "$s"
  [[ "$screen" == *"an empty passphrase is not accepted; try again (2 left)"* ]]
  [[ "$screen" == *"passphrase too weak: about 26 bits"*"try again (1 left), or Ctrl-C and use --no-passphrase"* ]]
  [[ "$screen" != *"demo passphrase"* ]]
  grep -q '^rc=0$' "$BATS_TEST_TMPDIR/out"
  CCKIT_PASSPHRASE='demo passphrase 123' run cc-key whoami
  assert_success
}
