#!/usr/bin/env bats
# --transport relay against the pkarr relay (npm pkarr 1.3.0) storing into a
# private testnet; both bound to 127.0.0.1.
load helpers
load ../helpers/testnet

setup_file() {
  start_testnet --nodes 10
  start_relay
}

teardown_file() {
  stop_relay
  stop_testnet
}

setup() {
  dht_test_setup
}

@test "publish through a relay, resolve through a relay on another machine" {
  test_record >rec.json
  run cc-dht-put --transport relay rec.json
  assert_success
  [ "$(echo "$output" | json_field stored.relay)" = 1 ]
  run as_machine other cc-dht-get --transport relay "$(my_z32)"
  assert_success
  assert_output "$(cat rec.json)"
}

@test "what goes through the relay lands on the DHT, and the reverse" {
  test_record 600 cmVsYXk= | cc-dht-put --transport relay >/dev/null
  run as_machine other cc-dht-get "$(my_z32)"
  assert_success
  [ "$(echo "$output" | json_field blob)" = cmVsYXk= ]
  test_record 600 ZGh0 | cc-dht-put >/dev/null
  run as_machine other cc-dht-get --transport relay "$(my_z32)"
  assert_success
  [ "$(echo "$output" | json_field blob)" = ZGh0 ]
}

@test "--transport mainline,relay publishes on both and CCKIT_TRANSPORT sets the default" {
  test_record >rec.json
  run cc-dht-put --transport mainline,relay rec.json
  assert_success
  [ "$(echo "$output" | json_field stored.relay)" = 1 ]
  [ "$(echo "$output" | json_field stored.mainline)" -ge 8 ]
  CCKIT_TRANSPORT=relay run as_machine other cc-dht-get "$(my_z32)"
  assert_success
  assert_output "$(cat rec.json)"
}

@test "relay transport: nothing found is exit 3; no relay configured is a usage error" {
  run cc-dht-get --transport relay pk:yryyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy
  assert_failure 3
  unset CCKIT_RELAYS
  run cc-dht-get --transport relay pk:yryyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy
  assert_failure 2
  assert_output --partial 'no pkarr relays configured'
  export CCKIT_RELAYS=https://relay.example.org
  run cc-dht-get --transport relay pk:yryyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy
  assert_failure 1
  assert_output --partial 'refusing to contact pkarr relays relay.example.org'
}
