#!/usr/bin/env bats
# cc-seal as a user runs it: records in self, share and PIN mode, raw age
# files, and every refusal (one error line, optional hint, DESIGN §2 exit code).
load helpers
bats_require_minimum_version 1.5.0

SID=3c0a3f7a-1234-5678-abcd-ef1234567890
PAYLOAD='{"s":"3c0a3f7a-1234-5678-abcd-ef1234567890","h":"laptop","p":"/home/me/app","mtime":1717171717}'

setup() { setup_home; }

@test "--help on stdout with exit 0; --version" {
  run cc-seal --help
  assert_success
  assert_output --partial "Usage:"
  assert_output --partial "--raw"
  run cc-seal --version
  assert_success
  assert_output --regexp '^cc-seal [0-9]+\.[0-9]+\.[0-9]+'
}

@test "self mode: one compact line, keys in cclink order, nothing readable about the session" {
  quick_key
  run --separate-stderr bash -c "echo '$PAYLOAD' | cc-seal"
  assert_success
  [ -z "$stderr" ]
  [ "${#lines[@]}" -eq 1 ]
  assert_output --regexp '^\{"blob":"[A-Za-z0-9+/=]+","created_at":[0-9]+,"pubkey":"[ybndrfg8ejkmcpqxot1uwisza345h769]{52}","signature":"[A-Za-z0-9+/]{86}==","ttl":86400\}$'
  refute_output --partial laptop
  refute_output --partial /home/me/app
  refute_output --partial "$SID"
  [ "${#output}" -le 912 ]
  pk=$(cc-key whoami | json_field pubkey)
  [ "$(echo "$output" | json_field pubkey)" = "${pk#pk:}" ]
}

@test "the payload may be exactly {h,p,s} and may come from a file argument" {
  quick_key
  echo "{\"h\":\"x\",\"p\":\"/y\",\"s\":\"$SID\"}" > "$BATS_TEST_TMPDIR/p.json"
  run cc-seal "$BATS_TEST_TMPDIR/p.json"
  assert_success
  run bash -c "cc-seal - < '$BATS_TEST_TMPDIR/p.json'"
  assert_success
}

@test "--ttl and --burn are recorded (burn only when set)" {
  quick_key
  run bash -c "echo '$PAYLOAD' | cc-seal --ttl 600 --burn"
  assert_success
  assert_output --regexp '^\{"blob":"[^"]+","burn":true,"created_at":[0-9]+,"pubkey":"[a-z0-9]{52}","signature":"[^"]+","ttl":600\}$'
}

@test "share mode: --to pk:… and --to NAME from peers.toml put the peer in recipient" {
  quick_key
  as_machine bob cc-key init --no-passphrase >/dev/null
  bob=$(pubkey_of bob)
  run bash -c "echo '$PAYLOAD' | cc-seal --to $bob"
  assert_success
  [ "$(echo "$output" | json_field recipient)" = "${bob#pk:}" ]
  mkdir -p "$XDG_CONFIG_HOME/cckit"
  printf '[[peer]]\nname = "bob"\npubkey = "%s"\naddrs = []\n' "$bob" > "$XDG_CONFIG_HOME/cckit/peers.toml"
  run bash -c "echo '$PAYLOAD' | cc-seal --to bob"
  assert_success
  assert_output --regexp '"pubkey":"[a-z0-9]{52}","recipient":"'"${bob#pk:}"'","signature"'
}

@test "share mode refusals: unknown peer, bad key, two --to, --to with --pin or --burn (usage, exit 2)" {
  quick_key
  run --separate-stderr bash -c "echo '$PAYLOAD' | cc-seal --to nobody"
  assert_failure 2
  assert_one_error cc-seal
  run --separate-stderr bash -c "echo '$PAYLOAD' | cc-seal --to pk:xxxx"
  assert_failure 2
  assert_one_error cc-seal
  k=pk:$(printf 'y%.0s' $(seq 52))
  run --separate-stderr bash -c "echo '$PAYLOAD' | cc-seal --to $k --to $k"
  assert_failure 2
  assert_one_error cc-seal
  run --separate-stderr bash -c "echo '$PAYLOAD' | CCKIT_PIN=x cc-seal --to $k --pin"
  assert_failure 2
  assert_one_error cc-seal
  run --separate-stderr bash -c "echo '$PAYLOAD' | cc-seal --to $k --burn"
  assert_failure 2
  assert_one_error cc-seal
  assert_stderr --partial "cannot be used together"
}

@test "PIN mode: CCKIT_PIN or --pin-fd; pin_salt recorded; no recipient" {
  quick_key
  run bash -c "echo '$PAYLOAD' | CCKIT_PIN='tall-otter-basil-91' cc-seal --pin"
  assert_success
  assert_output --regexp '"created_at":[0-9]+,"pin_salt":"[A-Za-z0-9+/]{43}=","pubkey"'
  refute_output --partial recipient
  run bash -c "echo '$PAYLOAD' | cc-seal --pin --pin-fd 3 3< <(printf 'tall-otter-basil-91\n')"
  assert_success
  assert_output --partial '"pin_salt":"'
}

@test "PIN mode: a weak PIN is refused (exit 1) with a hint; --weak-pin accepts it" {
  quick_key
  for pin in 123456 000000 password qwerty123 abcabcabc; do
    run --separate-stderr bash -c "echo '$PAYLOAD' | CCKIT_PIN='$pin' cc-seal --pin"
    assert_failure 1
    assert_one_error cc-seal
    assert_stderr --partial "PIN too weak"
    assert_stderr --partial "--generate-pin"
  done
  run bash -c "echo '$PAYLOAD' | CCKIT_PIN=123456 cc-seal --pin --weak-pin"
  assert_success
  assert_output --partial '"pin_salt":"'
}

@test "PIN mode: no PIN source and no terminal fails at once with a hint" {
  quick_key
  run --separate-stderr bash -c "echo '$PAYLOAD' | cc-seal --pin"
  assert_failure 1
  assert_one_error cc-seal
  assert_stderr --partial "CCKIT_PIN"
}

@test "--generate-pin: shown once on stderr without a terminal, never on stdout, and it opens the record" {
  quick_key
  run --separate-stderr bash -c "echo '$PAYLOAD' | cc-seal --generate-pin"
  assert_success
  [[ "$stderr" =~ PIN\ for\ this\ record.*:\ ([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})$ ]] || fail "no PIN on stderr: $stderr"
  pin="${BASH_REMATCH[1]}"
  refute_output --partial "$pin"
  assert_output --partial '"pin_salt":"'
  record="$output"
  run bash -c "echo '$record' | HOME=$BATS_TEST_TMPDIR/nokey CCKIT_PIN='$pin' cc-open"
  assert_success
  assert_output --partial "\"s\":\"$SID\""
  run --separate-stderr bash -c "echo '$PAYLOAD' | cc-seal --generate-pin --pin-fd 0"
  assert_failure 2
}

@test "flags that belong to the other mode, and bad values, are usage errors" {
  quick_key
  for args in "--armor" "-o x" "--raw --pin" "--raw --ttl 5" "--raw --burn" "--pin-fd 3" "--weak-pin" "--ttl 0" "--ttl abc" "--ttl -5" "--frob" "--pin-fd x --pin"; do
    run --separate-stderr bash -c "echo '$PAYLOAD' | cc-seal $args"
    assert_failure 2
    assert_one_error cc-seal
  done
}

@test "bad input: empty, blank, truncated, not JSON, not a payload, not a UUID, too large (exit 1)" {
  quick_key
  big=$(head -c 70000 /dev/zero | tr '\0' 'x')
  for input in "" "   " '{"s":"3c0a3f7a' 'hello' '[]' '{"h":"x","p":"y"}' '{"h":"x","p":"y","s":"--dangerously-skip-permissions"}' \
      '{"blob":"x","pubkey":"y","signature":"z","ttl":1,"created_at":1}' "{\"h\":\"$big\",\"p\":\"y\",\"s\":\"$SID\"}"; do
    printf '%s' "$input" > "$BATS_TEST_TMPDIR/in"
    run --separate-stderr bash -c "cc-seal < '$BATS_TEST_TMPDIR/in'"
    assert_failure 1
    assert_one_error cc-seal
  done
  run --separate-stderr cc-seal "$BATS_TEST_TMPDIR/does-not-exist"
  assert_failure 3
  assert_one_error cc-seal
}

@test "a project path that does not fit a DNS packet is refused, naming what to shorten" {
  quick_key
  long=/home/me/$(printf 'very-long-directory-name/%.0s' $(seq 20))
  run --separate-stderr bash -c "echo '{\"h\":\"laptop\",\"p\":\"$long\",\"s\":\"$SID\"}' | cc-seal"
  assert_failure 1
  assert_one_error cc-seal
  assert_stderr --partial "over the 912-byte limit"
  assert_stderr --partial "shorten the project path"
}

@test "key problems: missing (exit 3), readable by others (exit 1), encrypted without a TTY or passphrase (exit 1), wrong passphrase (exit 4)" {
  run --separate-stderr bash -c "echo '$PAYLOAD' | cc-seal"
  assert_failure 3
  assert_one_error cc-seal
  assert_stderr --partial "cc-key init"
  quick_key
  chmod 644 "$HOME/.pubky/secret_key"
  run --separate-stderr bash -c "echo '$PAYLOAD' | cc-seal"
  assert_failure 1
  assert_one_error cc-seal
  assert_stderr --partial "chmod 600"
  rm -f "$HOME/.pubky/secret_key"
  CCKIT_PASSPHRASE='a decent passphrase 42' cc-key init >/dev/null
  run --separate-stderr bash -c "echo '$PAYLOAD' | cc-seal"
  assert_failure 1
  assert_one_error cc-seal
  assert_stderr --partial "CCKIT_PASSPHRASE"
  run --separate-stderr bash -c "echo '$PAYLOAD' | cc-seal --passphrase-fd 3 3< <(printf 'wrong passphrase')"
  assert_failure 4
  assert_one_error cc-seal
  run bash -c "echo '$PAYLOAD' | cc-seal --passphrase-fd 3 3< <(printf 'a decent passphrase 42')"
  assert_success
}

@test "raw: self by default, several --to (keys, names and age1 recipients), file argument, -o" {
  quick_key
  as_machine bob cc-key init --no-passphrase >/dev/null
  bob=$(pubkey_of bob)
  head -c 200000 /dev/urandom > "$BATS_TEST_TMPDIR/data"
  cc-seal --raw < "$BATS_TEST_TMPDIR/data" > "$BATS_TEST_TMPDIR/self.age"
  head -c 22 "$BATS_TEST_TMPDIR/self.age" | grep -q '^age-encryption.org/v1$'
  cc-open --raw < "$BATS_TEST_TMPDIR/self.age" | cmp - "$BATS_TEST_TMPDIR/data"
  age-keygen -o "$BATS_TEST_TMPDIR/other.key" 2>/dev/null
  other=$(age-keygen -y "$BATS_TEST_TMPDIR/other.key")
  me=$(cc-key whoami | json_field pubkey)
  run cc-seal --raw --to "$me" --to "$bob" --to "$other" -o "$BATS_TEST_TMPDIR/many.age" "$BATS_TEST_TMPDIR/data"
  assert_success
  [ -z "$output" ]
  [ "$(grep -ac '^-> X25519 ' "$BATS_TEST_TMPDIR/many.age")" -eq 3 ]
  cc-open --raw "$BATS_TEST_TMPDIR/many.age" | cmp - "$BATS_TEST_TMPDIR/data"
  as_machine bob cc-open --raw "$BATS_TEST_TMPDIR/many.age" | cmp - "$BATS_TEST_TMPDIR/data"
  age -d -i "$BATS_TEST_TMPDIR/other.key" "$BATS_TEST_TMPDIR/many.age" | cmp - "$BATS_TEST_TMPDIR/data"
}

@test "raw --armor writes PEM; -o replaces a file only on success and leaves no temp files" {
  quick_key
  echo "hello" | cc-seal --raw -a > "$BATS_TEST_TMPDIR/a.txt"
  head -1 "$BATS_TEST_TMPDIR/a.txt" | grep -qx -- '-----BEGIN AGE ENCRYPTED FILE-----'
  tail -1 "$BATS_TEST_TMPDIR/a.txt" | grep -qx -- '-----END AGE ENCRYPTED FILE-----'
  mkdir "$BATS_TEST_TMPDIR/out"
  echo old > "$BATS_TEST_TMPDIR/out/f.age"
  run --separate-stderr cc-seal --raw -o "$BATS_TEST_TMPDIR/out/f.age" "$BATS_TEST_TMPDIR/missing-input"
  assert_failure 3
  assert_one_error cc-seal
  [ "$(cat "$BATS_TEST_TMPDIR/out/f.age")" = old ]
  run --separate-stderr bash -c "echo data | cc-seal --raw --to nobody -o '$BATS_TEST_TMPDIR/out/f.age'"
  assert_failure 2
  assert_one_error cc-seal
  [ "$(ls -A "$BATS_TEST_TMPDIR/out")" = f.age ]
  echo new | cc-seal --raw -o "$BATS_TEST_TMPDIR/out/f.age"
  [ "$(cc-open --raw "$BATS_TEST_TMPDIR/out/f.age")" = new ]
  [ "$(ls -A "$BATS_TEST_TMPDIR/out")" = f.age ]
  run --separate-stderr bash -c "echo x | cc-seal --raw -o '$BATS_TEST_TMPDIR/no/such/dir/f.age'"
  assert_failure 1
  assert_one_error cc-seal
}

@test "raw: a bad age1 recipient or peer is a usage error before anything is written" {
  quick_key
  run --separate-stderr bash -c "echo x | cc-seal --raw --to age1notarecipient"
  assert_failure 2
  assert_one_error cc-seal
}

@test "raw: an interrupted -o run leaves neither a partial file nor a temp file" {
  quick_key
  mkdir "$BATS_TEST_TMPDIR/out"
  for sig in INT TERM HUP; do
    rm -f "$BATS_TEST_TMPDIR/fifo"
    mkfifo "$BATS_TEST_TMPDIR/fifo"
    # A background job of a script starts with SIGINT ignored; node's handler takes it over regardless.
    cc-seal --raw -o "$BATS_TEST_TMPDIR/out/f.age" "$BATS_TEST_TMPDIR/fifo" &
    pid=$!
    exec 5>"$BATS_TEST_TMPDIR/fifo"
    head -c 300000 /dev/urandom >&5
    for _ in $(seq 100); do ls -A "$BATS_TEST_TMPDIR/out" | grep -q tmp && break; sleep 0.05; done
    ls -A "$BATS_TEST_TMPDIR/out" | grep -q tmp || fail "no temp file while writing"
    [ ! -e "$BATS_TEST_TMPDIR/out/f.age" ]
    kill -"$sig" "$pid"
    status=0
    wait "$pid" || status=$?
    exec 5>&-
    [ "$status" -gt 128 ] || fail "cc-seal exited $status after SIG$sig"
    [ -z "$(ls -A "$BATS_TEST_TMPDIR/out")" ] || fail "left behind after SIG$sig: $(ls -A "$BATS_TEST_TMPDIR/out")"
  done
}

@test "cc-seal completions: bash offers flags and peer names, fish lists the flags" {
  mkdir -p "$XDG_CONFIG_HOME/cckit"
  printf '[[peer]]\nname = "bob"\npubkey = "pk:x"\naddrs = []\n' > "$XDG_CONFIG_HOME/cckit/peers.toml"
  run complete_bash cc-seal --gen
  assert_output "--generate-pin"
  run complete_bash cc-seal --to b
  assert_output "bob"
  if command -v fish >/dev/null; then
    run fish -c "source '$ROOT/completions/fish/cc-seal.fish'; complete -C 'cc-seal --ra'"
    assert_output --partial -- "--raw"
  fi
}
