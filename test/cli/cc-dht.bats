#!/usr/bin/env bats
# cc-dht-put / cc-dht-get on a private Mainline testnet (127.0.0.1 only).
load helpers
load ../helpers/testnet

setup_file() {
  start_testnet --nodes 15
}

teardown_file() {
  stop_testnet
}

setup() {
  dht_test_setup
}

@test "--help of cc-dht-put and cc-dht-get prints usage on stdout" {
  run cc-dht-put --help
  assert_success
  assert_output --partial 'Usage:'
  assert_output --partial '--republish'
  run cc-dht-get --help
  assert_success
  assert_output --partial '--wait S'
}

@test "a record published on one machine resolves on another, byte for byte" {
  test_record >rec.json
  pk=$(my_z32)
  run cc-dht-put rec.json
  assert_success
  [ "$(echo "$output" | json_field pubkey)" = "pk:$pk" ]
  [ "$(echo "$output" | json_field name)" = "_cclink" ]
  [[ "$(echo "$output" | json_field seq)" =~ ^[0-9]{16}$ ]]
  [ "$(echo "$output" | json_field stored.mainline)" -ge 10 ]
  run as_machine laptop cc-dht-get "pk:$pk"
  assert_success
  assert_output "$(cat rec.json)"
}

@test "records are read on stdin, '-' means stdin, and the own key is the default for cc-dht-get" {
  test_record | cc-dht-put - >/dev/null
  run cc-dht-get
  assert_success
  [ "$(echo "$output" | json_field pubkey)" = "$(my_z32)" ]
}

@test "the most recent of two publishes wins" {
  test_record 600 Zmlyc3Q= | cc-dht-put >/dev/null
  test_record 600 c2Vjb25k | cc-dht-put >/dev/null
  run as_machine other cc-dht-get "$(my_z32)"
  assert_success
  [ "$(echo "$output" | json_field blob)" = "c2Vjb25k" ]
}

@test "--name publishes beside _cclink; --all lists both; --revoke --name removes only it" {
  test_record | cc-dht-put >/dev/null
  test_record 600 d29yaw== >work.json
  cc-dht-put --name _cclink.work work.json >/dev/null
  run cc-dht-get --all
  assert_success
  assert_output --partial '"name":"_cclink"'
  assert_output --partial '"name":"_cclink.work"'
  run cc-dht-get --name _cclink.work
  assert_output "$(cat work.json)"
  run cc-dht-put --revoke --name _cclink.work
  assert_success
  [ "$(echo "$output" | json_field revoked)" = true ]
  run cc-dht-get --name _cclink.work
  assert_failure 3
  run cc-dht-get
  assert_success
}

@test "--revoke removes the record (readers get exit 5, revoked); a second revoke finds nothing (exit 3)" {
  test_record | cc-dht-put >/dev/null
  run cc-dht-put --revoke
  assert_success
  # The empty packet is newer than anything seen: the reader can tell it was removed (DESIGN.md §5).
  run as_machine other cc-dht-get "$(my_z32)"
  assert_failure 5
  assert_output --partial 'was revoked or burnt after reading'
  run cc-dht-put --revoke
  assert_failure 3
  assert_output --partial 'cc-dht-put: error: no _cclink record under pk:'
}

@test "a record naming another key is refused (exit 4)" {
  other=$(as_machine other bash -c 'cc-key init --no-passphrase >/dev/null; cc-key whoami' | json_field pubkey)
  as_machine other test_record >theirs.json
  run cc-dht-put theirs.json
  assert_failure 4
  assert_output --partial "cc-dht-put: error: the record was sealed by $other, not by this key"
}

@test "nothing in clear: a payload piped past cc-seal is refused (exit 4, hint names cc-seal), --name too" {
  sid=$(node -e 'console.log(crypto.randomUUID())')
  for name in _cclink _cclink.work; do
    run --separate-stderr bash -c "echo '{\"s\":\"$sid\",\"h\":\"laptop\",\"p\":\"/home/me/secret-project\"}' | cc-dht-put --name $name"
    assert_failure 4
    assert_one_error cc-dht-put
    [[ "$stderr" == *"not a sealed handoff record"* ]] || fail "$stderr"
    [[ "$stderr" == *"hint: seal it first: cc-session | cc-seal | cc-dht-put"* ]] || fail "$stderr"
  done
  run cc-dht-get --all --wait 0
  assert_failure 3
}

@test "a record edited after sealing (jq '.ttl=999999') is refused (exit 4); nothing is published" {
  test_record >rec.json
  node -e 'const r=JSON.parse(require("fs").readFileSync("rec.json"));r.ttl=999999;process.stdout.write(JSON.stringify(r))' >edited.json
  run --separate-stderr cc-dht-put edited.json
  assert_failure 4
  assert_one_error cc-dht-put
  [[ "$stderr" == *"signature does not verify"* ]] || fail "$stderr"
  [[ "$stderr" == *"cc-seal"* ]] || fail "$stderr"
  run cc-dht-put --name _cclink.x edited.json
  assert_failure 4
  run cc-dht-get
  assert_failure 3
}

@test "fields the signature does not cover are dropped, never published" {
  test_record >rec.json
  node -e 'const r=JSON.parse(require("fs").readFileSync("rec.json"));r.note="in clear";process.stdout.write(JSON.stringify(r))' >extra.json
  run cc-dht-put extra.json
  assert_success
  run as_machine other cc-dht-get "$(my_z32)"
  assert_success
  assert_output "$(cat rec.json)"
}

@test "an oversized record is refused before publishing, saying how much fits" {
  test_record 600 x "$(date +%s)" 1011 >big.json
  run cc-dht-put big.json
  assert_failure 1
  assert_output --regexp 'record too large: the DNS packet would be [0-9]+ bytes, over the 1000-byte limit \(the record is 1011 bytes, at most 912 fit\)'
  assert_output --partial 'cc-dht-put: hint: shorten the record'
  run cc-dht-get
  assert_failure 3
}

@test "the largest record that fits is published and read back whole" {
  # 912 bytes of record make a DNS packet of exactly 1000 bytes when alone.
  test_record 600 x "$(date +%s)" 912 >big.json
  [ "$(wc -c <big.json)" -eq 912 ]
  run cc-dht-put big.json
  assert_success
  run as_machine other cc-dht-get "$(my_z32)"
  assert_success
  assert_output "$(cat big.json)"
}

@test "an expired record is refused (exit 5)" {
  test_record 60 aGVsbG8= 1000 >old.json
  run cc-dht-put old.json
  assert_failure 5
  assert_output --partial 'cc-dht-put: error: the record expired at 1970-01-01T00:17:40.000Z'
}

@test "input that is not a JSON object is refused" {
  run bash -c "echo 'not json' | cc-dht-put"
  assert_failure 1
  assert_output --partial 'input is not valid JSON'
  run bash -c "echo '[1,2]' | cc-dht-put"
  assert_failure 1
  assert_output --partial 'expected a record (a JSON object)'
}

@test "nothing published: exit 3 quickly, with a hint about --wait" {
  start=$(date +%s%N)
  run cc-dht-get pk:yryyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy
  elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
  assert_failure 3
  assert_output --partial 'cc-dht-get: error: no _cclink record found for pk:yryyyy'
  assert_output --partial 'hint: just published?'
  [ "$elapsed" -lt 3000 ]
}

@test "--wait keeps looking until a record published meanwhile appears" {
  pk=$(my_z32)
  test_record >rec.json
  as_machine other cc-dht-get --wait 20 "pk:$pk" >got.json 2>got.err 3>&- &
  getter=$!
  sleep 1.5
  cc-dht-put rec.json >/dev/null
  wait "$getter"
  [ "$(cat got.json)" = "$(cat rec.json)" ]
}

@test "--wait gives up after S seconds with exit 3" {
  start=$(date +%s)
  run cc-dht-get --wait 2 pk:yryyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy
  assert_failure 3
  [ $(( $(date +%s) - start )) -le 6 ]
}

@test "a peer NAME from peers.toml stands for its key" {
  test_record >rec.json
  cc-dht-put rec.json >/dev/null
  pk=$(my_z32)
  mkdir -p "$BATS_TEST_TMPDIR/other/.config/cckit"
  printf '[[peer]]\nname = "desk"\npubkey = "pk:%s"\naddrs = []\n' "$pk" >"$BATS_TEST_TMPDIR/other/.config/cckit/peers.toml"
  run as_machine other cc-dht-get desk
  assert_success
  assert_output "$(cat rec.json)"
  run as_machine other cc-dht-get nobody
  assert_failure 2
  assert_output --partial "no peer named 'nobody'"
}

@test "an unreachable DHT is a failure (exit 1), not 'not found'" {
  export CCKIT_BOOTSTRAP=127.0.0.1:9
  run cc-dht-get pk:yryyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy
  assert_failure 1
  assert_output --partial 'cc-dht-get: error: no mainline node answered (bootstrap 127.0.0.1:9)'
  test_record >rec.json
  run cc-dht-put rec.json
  assert_failure 1
  assert_output --partial 'no mainline node answered'
}

@test "the test guard refuses the public routers loudly" {
  unset CCKIT_BOOTSTRAP
  run cc-dht-get pk:yryyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy
  assert_failure 1
  assert_output --partial 'refusing to contact public DHT bootstrap nodes router.bittorrent.com'
  export CCKIT_BOOTSTRAP=127.0.0.1:1,dht.example.org:6881
  run cc-dht-get pk:yryyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy
  assert_failure 1
  assert_output --partial 'refusing to contact public DHT bootstrap nodes dht.example.org'
}

@test "config.toml dht.bootstrap is used when CCKIT_BOOTSTRAP is unset" {
  test_record >rec.json
  cc-dht-put rec.json >/dev/null
  pk=$(my_z32)
  mkdir -p "$HOME/.config/cckit"
  printf '[dht]\nbootstrap = ["%s"]\n' "$CCKIT_BOOTSTRAP" >"$HOME/.config/cckit/config.toml"
  unset CCKIT_BOOTSTRAP
  run cc-dht-get "pk:$pk"
  assert_success
  assert_output "$(cat rec.json)"
}

@test "the routing table is kept in the state dir between runs" {
  test_record | cc-dht-put >/dev/null
  run bash -c 'ls "$HOME"/.local/state/cckit/dht-routing-*.json'
  assert_success
  nodes=$(node -e 'const f=process.argv[1];console.log(JSON.parse(require("fs").readFileSync(f,"utf8")).nodes.length)' "${lines[0]}")
  [ "$nodes" -ge 5 ]
  [ "$(stat -c %a "${lines[0]}")" = 600 ]
  run cc-dht-get
  assert_success
}

@test "--republish re-puts every interval, then stops when the record expires" {
  # No clock assertions (a loaded machine is slow): it must stop by itself
  # (timeout is only the test's ceiling) after several re-puts.
  test_record 15 >rec.json
  run timeout 90 cc-dht-put --republish --interval 1 rec.json
  assert_success
  [ "${#lines[@]}" -ge 3 ]
  assert_output --partial 'the record expired; stopped republishing'
  [ "$(echo "${lines[1]}" | json_field stored.mainline)" -ge 10 ]
}

@test "--republish stops on SIGTERM (exit 0) and when the record is replaced" {
  test_record 600 >rec.json
  cc-dht-put --republish --interval 1 rec.json >rp.out 2>rp.err 3>&- &
  rp=$!
  # Wait for two puts (the first and one re-put) however slow the machine is.
  for _ in $(seq 300); do [ "$(wc -l <rp.out)" -ge 2 ] && break; sleep 0.2; done
  kill -TERM "$rp"
  wait "$rp"
  [ "$(wc -l <rp.out)" -ge 2 ]

  cc-dht-put --republish --interval 1 rec.json >rp2.out 2>rp2.err 3>&- &
  rp=$!
  for _ in $(seq 300); do [ -s rp2.out ] && break; sleep 0.2; done
  test_record 600 bmV3ZXI= | cc-dht-put >/dev/null
  for _ in $(seq 300); do kill -0 "$rp" 2>/dev/null || break; sleep 0.2; done
  wait "$rp"
  grep -q 'revoked or replaced by a newer one; stopped republishing' rp2.err
}

@test "--republish publishes only a sealed record, too" {
  run bash -c 'echo "{\"a\":1}" | cc-dht-put --republish'
  assert_failure 4
  assert_output --partial 'not a sealed handoff record'
}

@test "usage errors exit 2 with a hint" {
  run cc-dht-put --revoke --republish
  assert_failure 2
  assert_output --partial 'cc-dht-put: error: --revoke and --republish cannot be used together'
  run cc-dht-put --interval 5
  assert_failure 2
  assert_output --partial '--interval needs --republish'
  run cc-dht-put --transport carrier-pigeon
  assert_failure 2
  assert_output --partial "unknown transport 'carrier-pigeon'"
  run cc-dht-get --name 'bad name'
  assert_failure 2
  assert_output --partial "bad record name 'bad name'"
  run cc-dht-get --wait soon
  assert_failure 2
  run cc-dht-get not-a-key-and-no-peer extra
  assert_failure 2
  assert_output --partial "unexpected argument 'extra'"
}

@test "a passphrase-protected key publishes with --passphrase-fd" {
  rm -f "$HOME/.pubky/secret_key"
  printf 'correct horse battery staple\n' >pass.txt
  cc-key init --passphrase-fd 3 3<pass.txt >/dev/null
  pk=$(cc-key whoami --passphrase-fd 3 3<pass.txt | json_field pubkey)
  run bash -c "echo '{\"s\":\"$(node -e 'console.log(crypto.randomUUID())')\",\"h\":\"h\",\"p\":\"/p\"}' | cc-seal --passphrase-fd 3 3<pass.txt | cc-dht-put --passphrase-fd 3 3<pass.txt"
  assert_success
  run as_machine other cc-dht-get "$pk"
  assert_success
}

@test "the plumbing pipeline: cc-seal | cc-dht-put on one machine, cc-dht-get | cc-open on another" {
  command -v cc-seal >/dev/null
  pk=$(cc-key whoami | json_field pubkey)
  # The second machine holds the same key (a self handoff).
  mkdir -p "$BATS_TEST_TMPDIR/laptop/.pubky" && chmod 700 "$BATS_TEST_TMPDIR/laptop/.pubky"
  cp -p "$HOME/.pubky/secret_key" "$BATS_TEST_TMPDIR/laptop/.pubky/"
  payload='{"s":"0b6f9d2e-5a4c-4e0b-9a53-2f7f2c1b8e11","h":"desk","p":"/home/me/app"}'
  run bash -c "echo '$payload' | cc-seal --ttl 600 | cc-dht-put"
  assert_success
  run as_machine laptop bash -c "cc-dht-get --wait 10 '$pk' | cc-open"
  assert_success
  [ "$(echo "$output" | json_field from)" = "$pk" ]
  [ "$(echo "$output" | json_field payload.s)" = 0b6f9d2e-5a4c-4e0b-9a53-2f7f2c1b8e11 ]
}
