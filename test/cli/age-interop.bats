#!/usr/bin/env bats
# Interoperability with the real age (Go, the Debian `age` package): it
# decrypts what cc-seal writes (record blobs and raw files, binary and
# armored) with `cc-key age-identity`, and cc-open decrypts what
# `age -r <age_recipient>` writes.
load helpers
bats_require_minimum_version 1.5.0

SID=3c0a3f7a-1234-5678-abcd-ef1234567890
PAYLOAD='{"s":"3c0a3f7a-1234-5678-abcd-ef1234567890","h":"laptop","p":"/home/me/app","mtime":1717171717}'
SIZES="0 1 65535 65536 65537 131072 1048579"

setup() {
  setup_home
  command -v age >/dev/null || fail "the age CLI is required (Debian package age)"
  quick_key
  (umask 077; cc-key age-identity > "$BATS_TEST_TMPDIR/identity")
  RECIPIENT=$(cc-key whoami | json_field age_recipient)
}

make_data() { head -c "$1" /dev/urandom > "$BATS_TEST_TMPDIR/data.$1"; }

@test "age-keygen -y of our age identity is the age_recipient whoami shows" {
  [ "$(age-keygen -y "$BATS_TEST_TMPDIR/identity")" = "$RECIPIENT" ]
  pk=$(cc-key whoami | json_field pubkey)
  [ "$(cc-key recipient "$pk")" = "$RECIPIENT" ]
}

@test "age decrypts a self record's blob to the exact payload JSON" {
  blob=$(echo "$PAYLOAD" | cc-seal | json_field blob)
  run bash -c "printf '%s' '$blob' | base64 -d | age -d -i '$BATS_TEST_TMPDIR/identity'"
  assert_success
  assert_output '{"h":"laptop","p":"/home/me/app","s":"3c0a3f7a-1234-5678-abcd-ef1234567890"}'
}

@test "age decrypts a shared record's blob with the peer's identity, not with the sealer's" {
  as_machine bob cc-key init --no-passphrase >/dev/null
  bob=$(as_machine bob cc-key whoami | json_field pubkey)
  as_machine bob bash -c 'umask 077; cc-key age-identity' > "$BATS_TEST_TMPDIR/bob.identity"
  blob=$(echo "$PAYLOAD" | cc-seal --to "$bob" | json_field blob)
  run bash -c "printf '%s' '$blob' | base64 -d | age -d -i '$BATS_TEST_TMPDIR/bob.identity'"
  assert_success
  assert_output --partial "\"s\":\"$SID\""
  run bash -c "printf '%s' '$blob' | base64 -d | age -d -i '$BATS_TEST_TMPDIR/identity'"
  assert_failure
}

@test "age decrypts a PIN record's blob with the identity derived from PIN and pin_salt" {
  record=$(echo "$PAYLOAD" | CCKIT_PIN='tall-otter-basil-91' cc-seal --pin)
  salt=$(echo "$record" | json_field pin_salt)
  (cd "$ROOT" && SALT="$salt" node --import tsx --input-type=module -e "
    import { derivePinKey } from './lib/handoff/pin.ts';
    import { ageIdentityFromX25519 } from './lib/identity/identity.ts';
    const key = await derivePinKey(Buffer.from('tall-otter-basil-91'), Buffer.from(process.env.SALT, 'base64'));
    console.log(ageIdentityFromX25519(key));
  ") > "$BATS_TEST_TMPDIR/pin.identity"
  echo "$record" | json_field blob | base64 -d > "$BATS_TEST_TMPDIR/blob.age"
  run age -d -i "$BATS_TEST_TMPDIR/pin.identity" "$BATS_TEST_TMPDIR/blob.age"
  assert_success
  assert_output --partial "\"s\":\"$SID\""
}

@test "age decrypts cc-seal --raw output, binary and armored, at every chunk boundary" {
  for n in $SIZES; do
    make_data "$n"
    cc-seal --raw < "$BATS_TEST_TMPDIR/data.$n" > "$BATS_TEST_TMPDIR/bin.age"
    age -d -i "$BATS_TEST_TMPDIR/identity" "$BATS_TEST_TMPDIR/bin.age" | cmp - "$BATS_TEST_TMPDIR/data.$n" || fail "binary, $n bytes"
    cc-seal --raw --armor < "$BATS_TEST_TMPDIR/data.$n" > "$BATS_TEST_TMPDIR/arm.age"
    age -d -i "$BATS_TEST_TMPDIR/identity" "$BATS_TEST_TMPDIR/arm.age" | cmp - "$BATS_TEST_TMPDIR/data.$n" || fail "armored, $n bytes"
  done
}

@test "cc-open --raw decrypts age -r output, binary and -a, at every chunk boundary" {
  for n in $SIZES; do
    make_data "$n"
    age -r "$RECIPIENT" < "$BATS_TEST_TMPDIR/data.$n" > "$BATS_TEST_TMPDIR/bin.age"
    cc-open --raw < "$BATS_TEST_TMPDIR/bin.age" | cmp - "$BATS_TEST_TMPDIR/data.$n" || fail "binary, $n bytes"
    age -a -r "$RECIPIENT" < "$BATS_TEST_TMPDIR/data.$n" > "$BATS_TEST_TMPDIR/arm.age"
    cc-open --raw "$BATS_TEST_TMPDIR/arm.age" | cmp - "$BATS_TEST_TMPDIR/data.$n" || fail "armored, $n bytes"
  done
}

@test "several recipients both ways: age's own keys alongside ours" {
  age-keygen -o "$BATS_TEST_TMPDIR/other.key" 2>/dev/null
  other=$(age-keygen -y "$BATS_TEST_TMPDIR/other.key")
  make_data 70000
  cc-seal --raw --to "$other" --to "$(cc-key whoami | json_field pubkey)" < "$BATS_TEST_TMPDIR/data.70000" > "$BATS_TEST_TMPDIR/a.age"
  age -d -i "$BATS_TEST_TMPDIR/other.key" "$BATS_TEST_TMPDIR/a.age" | cmp - "$BATS_TEST_TMPDIR/data.70000"
  age -d -i "$BATS_TEST_TMPDIR/identity" "$BATS_TEST_TMPDIR/a.age" | cmp - "$BATS_TEST_TMPDIR/data.70000"
  age -r "$other" -r "$RECIPIENT" -a < "$BATS_TEST_TMPDIR/data.70000" > "$BATS_TEST_TMPDIR/b.age"
  cc-open --raw "$BATS_TEST_TMPDIR/b.age" | cmp - "$BATS_TEST_TMPDIR/data.70000"
}

@test "a passphrase-encrypted age file is not for our key: exit 4 with a hint" {
  # age -p only reads the passphrase from a terminal; build the file with typage instead.
  (cd "$ROOT" && node --input-type=module -e "
    import { Encrypter } from 'age-encryption';
    const e = new Encrypter(); e.setPassphrase('pw'); e.setScryptWorkFactor(10);
    process.stdout.write(await e.encrypt('secret'));
  ") > "$BATS_TEST_TMPDIR/p.age"
  run --separate-stderr cc-open --raw "$BATS_TEST_TMPDIR/p.age"
  assert_failure 4
  [ -z "$output" ]
  assert_stderr --partial "cc-open: error: age file is not encrypted to this key"
  assert_stderr --partial "passphrase"
}

@test "age rejects a tampered cc-seal file, and cc-open rejects one tampered the same way" {
  make_data 100000
  cc-seal --raw < "$BATS_TEST_TMPDIR/data.100000" > "$BATS_TEST_TMPDIR/t.age"
  flip_byte "$BATS_TEST_TMPDIR/t.age" 70000
  run age -d -i "$BATS_TEST_TMPDIR/identity" -o /dev/null "$BATS_TEST_TMPDIR/t.age"
  assert_failure
  run cc-open --raw -o "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/t.age"
  assert_failure 4
  [ ! -e "$BATS_TEST_TMPDIR/out" ]
}
