#!/usr/bin/env bats
# cc-open as a user runs it: opening records in every mode, raw age files,
# and every refusal (one error line, optional hint, DESIGN §2 exit code).
load helpers
bats_require_minimum_version 1.5.0

SID=3c0a3f7a-1234-5678-abcd-ef1234567890
PAYLOAD='{"s":"3c0a3f7a-1234-5678-abcd-ef1234567890","h":"laptop","p":"/home/me/app","mtime":1717171717}'

setup() { setup_home; }

# Replace field $1 of the record in file $2 with the JSON value $3.
set_field() {
  node -e 'const fs=require("fs");const r=JSON.parse(fs.readFileSync(process.argv[2],"utf8"));r[process.argv[1]]=JSON.parse(process.argv[3]);process.stdout.write(JSON.stringify(r))' "$1" "$2" "$3"
}

# Seal with this HOME's key as if the clock said $1 (seconds from now), TTL $2.
seal_at() {
  (cd "$ROOT" && OFFSET="$1" TTL="$2" node --import tsx --input-type=module -e "
    import { loadMyIdentity } from './lib/identity/unlock.ts';
    import { sealRecord } from './lib/handoff/seal.ts';
    const id = await loadMyIdentity();
    const now = Math.floor(Date.now() / 1000) + Number(process.env.OFFSET);
    process.stdout.write(await sealRecord({ payload: { h: 'h', p: '/p', s: '$SID' }, seed: id.seed, ttl: Number(process.env.TTL), burn: false, now }) + '\n');
  ")
}

@test "--help on stdout with exit 0; --version" {
  run cc-open --help
  assert_success
  assert_output --partial "Usage:"
  assert_output --partial '"payload"'
  run cc-open --version
  assert_success
  assert_output --regexp '^cc-open [0-9]+\.[0-9]+\.[0-9]+'
}

@test "self record: verified, live, decrypted to {v,from,created_at,expires_at,burn,payload}" {
  quick_key
  echo "$PAYLOAD" | cc-seal --ttl 600 --burn > "$BATS_TEST_TMPDIR/r.json"
  pk=$(cc-key whoami | json_field pubkey)
  run --separate-stderr cc-open "$BATS_TEST_TMPDIR/r.json"
  assert_success
  [ -z "$stderr" ]
  created=$(json_field created_at < "$BATS_TEST_TMPDIR/r.json")
  assert_output "{\"v\":1,\"from\":\"$pk\",\"created_at\":$created,\"expires_at\":$((created + 600)),\"burn\":true,\"payload\":{\"h\":\"laptop\",\"p\":\"/home/me/app\",\"s\":\"$SID\"}}"
  run bash -c "cc-open < '$BATS_TEST_TMPDIR/r.json'"
  assert_success
  run bash -c "cc-open --from '$pk' - < '$BATS_TEST_TMPDIR/r.json'"
  assert_success
}

@test "another machine with the same key opens a self record; a different key cannot (exit 4)" {
  quick_key
  echo "$PAYLOAD" | cc-seal > "$BATS_TEST_TMPDIR/r.json"
  mkdir -p "$BATS_TEST_TMPDIR/twin/.pubky"; chmod 700 "$BATS_TEST_TMPDIR/twin" "$BATS_TEST_TMPDIR/twin/.pubky"
  cp -p "$HOME/.pubky/secret_key" "$BATS_TEST_TMPDIR/twin/.pubky/"
  run as_machine twin cc-open "$BATS_TEST_TMPDIR/r.json"
  assert_success
  assert_output --partial "\"s\":\"$SID\""
  as_machine eve cc-key init --no-passphrase >/dev/null
  run --separate-stderr as_machine eve cc-open "$BATS_TEST_TMPDIR/r.json"
  assert_failure 4
  assert_one_error cc-open
  assert_stderr --partial "sealed to its publisher's own key"
}

@test "shared record: the peer opens it (--from by key or NAME); the sealer and others cannot" {
  quick_key
  me=$(cc-key whoami | json_field pubkey)
  as_machine bob cc-key init --no-passphrase >/dev/null
  bob=$(pubkey_of bob)
  echo "$PAYLOAD" | cc-seal --to "$bob" > "$BATS_TEST_TMPDIR/r.json"
  run as_machine bob cc-open --from "$me" "$BATS_TEST_TMPDIR/r.json"
  assert_success
  assert_output --partial "\"from\":\"$me\""
  mkdir -p "$BATS_TEST_TMPDIR/bob/.config/cckit"
  printf '[[peer]]\nname = "alice"\npubkey = "%s"\naddrs = []\n' "$me" > "$BATS_TEST_TMPDIR/bob/.config/cckit/peers.toml"
  run as_machine bob cc-open --from alice "$BATS_TEST_TMPDIR/r.json"
  assert_success
  run --separate-stderr cc-open "$BATS_TEST_TMPDIR/r.json"
  assert_failure 4
  assert_one_error cc-open
  assert_stderr --partial "shared with ${bob}"
  as_machine carol cc-key init --no-passphrase >/dev/null
  run --separate-stderr as_machine carol cc-open "$BATS_TEST_TMPDIR/r.json"
  assert_failure 4
  assert_one_error cc-open
}

@test "--from that is not the signer is exit 4, before any key is loaded" {
  quick_key
  echo "$PAYLOAD" | cc-seal > "$BATS_TEST_TMPDIR/r.json"
  as_machine bob cc-key init --no-passphrase >/dev/null
  bob=$(pubkey_of bob)
  rm "$HOME/.pubky/secret_key"
  run --separate-stderr cc-open --from "$bob" "$BATS_TEST_TMPDIR/r.json"
  assert_failure 4
  assert_one_error cc-open
  assert_stderr --partial "not by $bob"
  run --separate-stderr cc-open --from nobody "$BATS_TEST_TMPDIR/r.json"
  assert_failure 2
  assert_one_error cc-open
}

@test "PIN record: CCKIT_PIN or --pin-fd opens it with no key at all; a wrong PIN is exit 4" {
  quick_key
  echo "$PAYLOAD" | CCKIT_PIN='tall-otter-basil-91' cc-seal --pin > "$BATS_TEST_TMPDIR/r.json"
  rm -rf "$HOME/.pubky"
  run bash -c "CCKIT_PIN='tall-otter-basil-91' cc-open '$BATS_TEST_TMPDIR/r.json'"
  assert_success
  assert_output --partial "\"s\":\"$SID\""
  run bash -c "cc-open --pin-fd 3 '$BATS_TEST_TMPDIR/r.json' 3< <(printf 'tall-otter-basil-91\n')"
  assert_success
  run --separate-stderr bash -c "CCKIT_PIN='tall-otter-basil-92' cc-open '$BATS_TEST_TMPDIR/r.json'"
  assert_failure 4
  assert_one_error cc-open
  assert_stderr --partial "wrong PIN"
  run --separate-stderr cc-open "$BATS_TEST_TMPDIR/r.json"
  assert_failure 1
  assert_one_error cc-open
  assert_stderr --partial "CCKIT_PIN"
}

@test "tampering: blob, signature, ttl, burn, created_at, recipient, swapped pubkey are all exit 4" {
  quick_key
  echo "$PAYLOAD" | cc-seal > "$BATS_TEST_TMPDIR/r.json"
  as_machine bob cc-key init --no-passphrase >/dev/null
  bob=$(pubkey_of bob)
  blob=$(json_field blob < "$BATS_TEST_TMPDIR/r.json")
  sig=$(json_field signature < "$BATS_TEST_TMPDIR/r.json")
  flip() { local s="$1" i="$2"; local c="${s:$i:1}"; [ "$c" = A ] && c=B || c=A; printf '%s' "${s:0:$i}$c${s:$((i + 1))}"; }
  for change in "blob \"$(flip "$blob" 250)\"" "signature \"$(flip "$sig" 5)\"" "ttl 999999" "burn true" \
      "created_at $(( $(json_field created_at < "$BATS_TEST_TMPDIR/r.json") - 1 ))" "recipient \"${bob#pk:}\"" "pubkey \"${bob#pk:}\"" "hostname \"evil\"" "pin_salt \"$(head -c 32 /dev/zero | base64)\""; do
    set -- $change
    set_field "$1" "$BATS_TEST_TMPDIR/r.json" "$2" > "$BATS_TEST_TMPDIR/bad.json"
    run --separate-stderr cc-open "$BATS_TEST_TMPDIR/bad.json"
    assert_failure 4
    assert_one_error cc-open
    assert_stderr --partial "signature does not verify"
  done
}

@test "a record signed by another key under its own pubkey verifies, and --from catches the swap" {
  quick_key
  me=$(cc-key whoami | json_field pubkey)
  as_machine mallory cc-key init --no-passphrase >/dev/null
  echo "$PAYLOAD" | as_machine mallory cc-seal --to "$me" > "$BATS_TEST_TMPDIR/r.json"
  run cc-open "$BATS_TEST_TMPDIR/r.json"
  assert_success
  run --separate-stderr cc-open --from "$me" "$BATS_TEST_TMPDIR/r.json"
  assert_failure 4
  assert_one_error cc-open
}

@test "expired record is exit 5; a record dated far in the future is refused too" {
  quick_key
  echo "$PAYLOAD" | cc-seal --ttl 1 > "$BATS_TEST_TMPDIR/r.json"
  sleep 2
  run --separate-stderr cc-open "$BATS_TEST_TMPDIR/r.json"
  assert_failure 5
  assert_one_error cc-open
  assert_stderr --partial "expired"
  seal_at -7200 3600 > "$BATS_TEST_TMPDIR/old.json"
  run --separate-stderr cc-open "$BATS_TEST_TMPDIR/old.json"
  assert_failure 5
  assert_stderr --partial "record expired 60 min ago"
  seal_at 3600 86400 > "$BATS_TEST_TMPDIR/future.json"
  run --separate-stderr cc-open "$BATS_TEST_TMPDIR/future.json"
  assert_failure 5
  assert_one_error cc-open
  assert_stderr --partial "in the future"
  seal_at 120 86400 > "$BATS_TEST_TMPDIR/skew.json"
  run cc-open "$BATS_TEST_TMPDIR/skew.json"
  assert_success
}

@test "bad input: empty, blank, truncated, not JSON, not a record, too large (exit 1); missing file (exit 3)" {
  quick_key
  echo "$PAYLOAD" | cc-seal > "$BATS_TEST_TMPDIR/r.json"
  rec=$(cat "$BATS_TEST_TMPDIR/r.json")
  big=$(head -c 70000 /dev/zero | tr '\0' 'x')
  for input in "" "  " "${rec:0:100}" "not json" "[1,2]" "$PAYLOAD" '{"blob":"x","pubkey":"y","signature":"z","created_at":"soon","ttl":1}' "{\"blob\":\"$big\"}"; do
    printf '%s' "$input" > "$BATS_TEST_TMPDIR/in"
    run --separate-stderr bash -c "cc-open < '$BATS_TEST_TMPDIR/in'"
    assert_failure 1
    assert_one_error cc-open
  done
  run --separate-stderr cc-open "$BATS_TEST_TMPDIR/none.json"
  assert_failure 3
  assert_one_error cc-open
}

@test "key problems: missing (exit 3), loose permissions (exit 1), encrypted with no TTY or passphrase (exit 1), wrong passphrase (exit 4)" {
  quick_key
  echo "$PAYLOAD" | cc-seal > "$BATS_TEST_TMPDIR/r.json"
  cp "$HOME/.pubky/secret_key" "$BATS_TEST_TMPDIR/key"
  rm "$HOME/.pubky/secret_key"
  run --separate-stderr cc-open "$BATS_TEST_TMPDIR/r.json"
  assert_failure 3
  assert_one_error cc-open
  install -m 640 "$BATS_TEST_TMPDIR/key" "$HOME/.pubky/secret_key"
  run --separate-stderr cc-open "$BATS_TEST_TMPDIR/r.json"
  assert_failure 1
  assert_one_error cc-open
  assert_stderr --partial "permissions 0640"
  rm "$HOME/.pubky/secret_key"
  CCKIT_PASSPHRASE='a decent passphrase 42' cc-key init --import "$BATS_TEST_TMPDIR/key" >/dev/null
  run --separate-stderr cc-open "$BATS_TEST_TMPDIR/r.json"
  assert_failure 1
  assert_one_error cc-open
  assert_stderr --partial "no terminal"
  run --separate-stderr cc-open --passphrase-fd 3 "$BATS_TEST_TMPDIR/r.json" 3< <(printf 'nope nope nope')
  assert_failure 4
  assert_one_error cc-open
  run cc-open --passphrase-fd 3 "$BATS_TEST_TMPDIR/r.json" 3< <(printf 'a decent passphrase 42')
  assert_success
}

@test "usage errors: unknown flag, --output without --raw, --from/--pin-fd with --raw, extra arguments" {
  for args in "--frob" "-o x" "--raw --from pk:x" "--raw --pin-fd 3" "a b" "--pin-fd x"; do
    run --separate-stderr cc-open $args
    assert_failure 2
    assert_one_error cc-open
  done
}

@test "raw: decrypts binary and armored files, from stdin or a file, -o written atomically 0600" {
  quick_key
  head -c 150000 /dev/urandom > "$BATS_TEST_TMPDIR/data"
  cc-seal --raw < "$BATS_TEST_TMPDIR/data" > "$BATS_TEST_TMPDIR/d.age"
  cc-seal --raw -a < "$BATS_TEST_TMPDIR/data" > "$BATS_TEST_TMPDIR/d.txt"
  cc-open --raw < "$BATS_TEST_TMPDIR/d.age" | cmp - "$BATS_TEST_TMPDIR/data"
  cc-open --raw "$BATS_TEST_TMPDIR/d.txt" | cmp - "$BATS_TEST_TMPDIR/data"
  (umask 022; cc-open --raw -o "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/d.age")
  cmp "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/data"
  [ "$(stat -c %a "$BATS_TEST_TMPDIR/out")" = 600 ]
}

@test "raw refusals: tampered, truncated, trailing data, wrong key (exit 4), not age, empty (exit 1); -o leaves nothing" {
  quick_key
  head -c 200000 /dev/urandom > "$BATS_TEST_TMPDIR/data"
  cc-seal --raw < "$BATS_TEST_TMPDIR/data" > "$BATS_TEST_TMPDIR/d.age"
  size=$(stat -c %s "$BATS_TEST_TMPDIR/d.age")
  cp "$BATS_TEST_TMPDIR/d.age" "$BATS_TEST_TMPDIR/flip.age"
  flip_byte "$BATS_TEST_TMPDIR/flip.age" 100000
  head -c $((size - 1)) "$BATS_TEST_TMPDIR/d.age" > "$BATS_TEST_TMPDIR/short.age"
  head -c $((65536 + 16 + 250)) "$BATS_TEST_TMPDIR/d.age" > "$BATS_TEST_TMPDIR/cut.age"
  head -c 100 "$BATS_TEST_TMPDIR/d.age" > "$BATS_TEST_TMPDIR/header.age"
  { cat "$BATS_TEST_TMPDIR/d.age"; echo extra; } > "$BATS_TEST_TMPDIR/trail.age"
  mkdir "$BATS_TEST_TMPDIR/out"
  for f in flip short cut header trail; do
    run --separate-stderr cc-open --raw -o "$BATS_TEST_TMPDIR/out/$f" "$BATS_TEST_TMPDIR/$f.age"
    assert_failure 4
    assert_one_error cc-open
  done
  as_machine eve cc-key init --no-passphrase >/dev/null
  run --separate-stderr as_machine eve cc-open --raw -o "$BATS_TEST_TMPDIR/out/eve" "$BATS_TEST_TMPDIR/d.age"
  assert_failure 4
  assert_one_error cc-open
  assert_stderr --partial "not encrypted to this key"
  run --separate-stderr bash -c "echo 'hello' | cc-open --raw -o '$BATS_TEST_TMPDIR/out/x'"
  assert_failure 1
  assert_one_error cc-open
  run --separate-stderr bash -c "cc-open --raw -o '$BATS_TEST_TMPDIR/out/x' < /dev/null"
  assert_failure 1
  assert_one_error cc-open
  [ -z "$(ls -A "$BATS_TEST_TMPDIR/out")" ]
}

@test "cc-open completions: bash offers flags and peer names, fish lists the flags" {
  mkdir -p "$XDG_CONFIG_HOME/cckit"
  printf '[[peer]]\nname = "alice"\npubkey = "pk:x"\naddrs = []\n' > "$XDG_CONFIG_HOME/cckit/peers.toml"
  run complete_bash cc-open --fr
  assert_output "--from"
  run complete_bash cc-open --from al
  assert_output "alice"
  if command -v fish >/dev/null; then
    run fish -c "source '$ROOT/completions/fish/cc-open.fish'; complete -C 'cc-open --ra'"
    assert_output --partial -- "--raw"
  fi
}
