#!/usr/bin/env bats
# The _ccctx freshness record on a private Mainline testnet (127.0.0.1):
# published by the owner's push beside its handoff record; a reader that
# checks it notices a store serving an older owner log.
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/testnet
load ../helpers/context

setup_file() { start_testnet --nodes 12; }
teardown_file() { stop_testnet; }

setup() {
  ctx_space alice bob carol
  use_testnet
  echo v1 > "$SPACE/a.md"
  ctx alice init "$SPACE" --store "$STORE" >/dev/null
  ctx alice grant bob / r --dir "$SPACE" >/dev/null
  ctx alice grant carol / r --dir "$SPACE" >/dev/null
}

@test "push --dht publishes _ccctx beside the handoff record; pull --dht passes on a fresh store" {
  # A handoff record first: the context record must join it in the packet, not replace it.
  as_machine alice bash -c 'echo "{\"s\":\"11111111-1111-4111-8111-111111111111\",\"h\":\"box\",\"p\":\"/p\"}" | cc-seal | cc-dht-put >/dev/null'
  run ctx alice push "$SPACE" --dht
  assert_success
  rec=$(echo "$output" | json_field freshness)
  [[ "$rec" =~ ^[0-9a-f]{32}:1:[0-9a-f]{8}$ ]]
  run as_machine bob cc-dht-get alice --all
  assert_success
  assert_output --partial "$rec"
  run as_machine bob cc-dht-get alice
  assert_success
  assert_output --partial '"blob"'
  run ctx bob pull alice --store "$STORE" --dht
  assert_success
  [ "$(cat "$(pulled_dir bob alice)/a.md")" = v1 ]
}

@test "a store behind the _ccctx record is reported (exit 4), even to a reader that never pulled before" {
  ctx alice push "$SPACE" --dht >/dev/null
  cp -a "$STORE" "$BATS_TEST_TMPDIR/store-old"
  echo v2 > "$SPACE/a.md"
  ctx alice push "$SPACE" --dht >/dev/null
  rm -rf "$STORE" && mv "$BATS_TEST_TMPDIR/store-old" "$STORE"
  run --separate-stderr ctx carol pull alice --store "$STORE" --dht
  [ "$status" -eq 4 ] || fail "exit $status: $stderr"
  assert_one_error cc-context
  [[ "$stderr" == *"behind the owner's DHT record"* ]]
  # Without the check the rolled-back store looks consistent: that is what the record is for.
  run ctx carol pull alice --store "$STORE"
  assert_success
}
