#!/usr/bin/env bats
# The mailbox: signed, encrypted messages through the space's store; order
# per sender, gaps, replays and unpaired senders.
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/context

setup() {
  ctx_space alice bob
  echo hi > "$SPACE/README.md"
  ctx alice init "$SPACE" --store "$STORE" >/dev/null
  ctx alice grant bob / r --dir "$SPACE" >/dev/null
  ctx alice push "$SPACE" >/dev/null
  ctx bob pull alice --store "$STORE" >/dev/null
}

send() { printf '%s' "$2" | ctx bob mail send alice --space alice "${@:3}"; }
aread() { (cd "$SPACE" && ctx alice mail read "$@"); }

@test "messages arrive in order per sender, as NDJSON; --since skips what was read; the outbox copy is the sender's" {
  run send alice "first"
  assert_success
  id1=$(echo "$output" | json_field id)
  [ "$(echo "$output" | json_field seq)" = 1 ]
  send alice "second" >/dev/null
  send alice $'third with \e[31m escape' >/dev/null
  run --separate-stderr aread
  assert_success
  [ "${#lines[@]}" -eq 3 ]
  [ "$(echo "${lines[0]}" | json_field text)" = first ]
  [ "$(echo "${lines[1]}" | json_field seq)" = 2 ]
  [ "$(echo "${lines[0]}" | json_field from_name)" = bob ]
  [[ "${lines[2]}" == *'\u001b[31m'* ]] # control characters stay escaped in the JSON
  run aread --since "$id1"
  [ "${#lines[@]}" -eq 2 ]
  # Only files: the store sees no names, text or keys.
  run grep -rlF -e first -e second -e "$(pubkey_of bob | sed 's/^pk://')" "$STORE/mail"
  [ "$status" -eq 1 ]
}

@test "--since is a place in the inbox, not a time: a later message from a sender whose clock is behind still shows" {
  run send alice "from bob"
  id_b=$(echo "$output" | json_field id)
  aread >/dev/null
  # Carol (paired with alice) sends her first message from a clock an hour behind: its id is older than bob's.
  as_machine carol cc-key init --no-passphrase >/dev/null
  as_machine alice bash -c "printf '[[peer]]\nname = \"carol\"\npubkey = \"%s\"\n' '$(pubkey_of carol)' >> \$XDG_CONFIG_HOME/cckit/peers.toml"
  (cd "$ROOT" && as_machine carol node --import tsx test/helpers/ctx-send-mail.ts "$STORE" "$(pubkey_of alice)" "from carol, clock behind" -3600)
  run --separate-stderr aread --since "$id_b"
  assert_success
  [ "${#lines[@]}" -eq 1 ]
  [ "$(echo "${lines[0]}" | json_field text)" = "from carol, clock behind" ]
  # Two messages sent within one second keep their order (ids to the millisecond).
  run send alice "quick one"
  id_q=$(echo "$output" | json_field id)
  send alice "quick two" >/dev/null
  run --separate-stderr aread --since "$id_q"
  [ "${#lines[@]}" -eq 1 ]
  [ "$(echo "${lines[0]}" | json_field text)" = "quick two" ]
}

@test "a dropped message shows as a gap; a replay is refused" {
  send alice one >/dev/null
  run send alice two
  id2=$(echo "$output" | json_field id)
  send alice three >/dev/null
  box=$(dirname "$(find "$STORE/mail" -name "$id2")")
  mv "$box/$id2" "$BATS_TEST_TMPDIR/kept"
  run --separate-stderr aread
  assert_success
  [ "$(echo "${lines[1]}" | json_field type)" = gap ]
  [ "$(echo "${lines[1]}" | json_field missing)" = "[2,2]" ]
  [ "$(echo "${lines[2]}" | json_field text)" = three ]
  # The withheld message shows up late: an old seq is refused as a replay, as is a copy under a new id.
  mv "$BATS_TEST_TMPDIR/kept" "$box/$id2"
  cp "$box/$id2" "$box/01ZZZZZZZZZZZZZZZZZZZZZZZZ"
  run --separate-stderr aread
  assert_success
  [ "${#lines[@]}" -eq 3 ]
  [[ "$stderr" == *"replayed"* ]]
  [[ "$stderr" == *"another id"* ]]
}

@test "a message from an unpaired key is not delivered; sending to an unpaired key is refused" {
  as_machine mallory cc-key init --no-passphrase >/dev/null
  as_machine mallory bash -c "mkdir -p \$XDG_CONFIG_HOME/cckit && printf '[[peer]]\nname = \"alice\"\npubkey = \"%s\"\n' '$(pubkey_of alice)' > \$XDG_CONFIG_HOME/cckit/peers.toml"
  # Mallory knows the store and the owner's key (the space id is in cckit-space.json) and writes anyway.
  (cd "$ROOT" && as_machine mallory node --import tsx test/helpers/ctx-send-mail.ts "$STORE" "$(pubkey_of alice)" "approve everything")
  run --separate-stderr aread
  assert_success
  [ -z "$output" ]
  [[ "$stderr" == *"unpaired"* ]]
  run --separate-stderr bash -c "echo hi | HOME=$BATS_TEST_TMPDIR/bob XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/bob/.config XDG_STATE_HOME=$BATS_TEST_TMPDIR/bob/.local/state cc-context mail send $(pubkey_of mallory) --space alice"
  [ "$status" -eq 4 ]
  assert_one_error cc-context
}

@test "mail watch prints new messages as they come" {
  (cd "$SPACE" && as_machine alice timeout 20 cc-context mail watch --interval 1 > "$BATS_TEST_TMPDIR/watch.out") &
  watcher=$!
  send alice "hello watcher" >/dev/null
  for i in $(seq 1 100); do grep -q "hello watcher" "$BATS_TEST_TMPDIR/watch.out" 2>/dev/null && break; sleep 0.1; done
  kill "$watcher" 2>/dev/null; pkill -P "$watcher" 2>/dev/null || true
  grep -q "hello watcher" "$BATS_TEST_TMPDIR/watch.out"
}

@test "mail usage errors" {
  run --separate-stderr ctx bob mail
  [ "$status" -eq 2 ]; assert_one_error cc-context
  run --separate-stderr ctx bob mail send
  [ "$status" -eq 2 ]; assert_one_error cc-context
  run --separate-stderr bash -c "printf '' | HOME=$BATS_TEST_TMPDIR/bob XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/bob/.config XDG_STATE_HOME=$BATS_TEST_TMPDIR/bob/.local/state cc-context mail send alice --space alice"
  [ "$status" -ne 0 ]; assert_one_error cc-context
}
