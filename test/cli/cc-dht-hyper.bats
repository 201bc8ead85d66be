#!/usr/bin/env bats
# --transport hyper on a HyperDHT testnet started by cc-testnet --hyper.
load helpers
load ../helpers/testnet

setup_file() {
  start_testnet --nodes 6 --hyper
}

teardown_file() {
  stop_testnet
}

setup() {
  dht_test_setup
}

@test "publish on HyperDHT, resolve there from another machine" {
  test_record >rec.json
  run cc-dht-put --transport hyper rec.json
  assert_success
  [ "$(echo "$output" | json_field stored.hyper)" -ge 3 ]
  run as_machine other cc-dht-get --transport hyper "$(my_z32)"
  assert_success
  assert_output "$(cat rec.json)"
  run as_machine other cc-dht-get "$(my_z32)"
  assert_failure 3
}

@test "--transport mainline --transport hyper publishes on both with one seq" {
  test_record >rec.json
  run cc-dht-put --transport mainline --transport hyper rec.json
  assert_success
  [ "$(echo "$output" | json_field stored.hyper)" -ge 3 ]
  [ "$(echo "$output" | json_field stored.mainline)" -ge 5 ]
  for t in mainline hyper; do
    run as_machine other cc-dht-get --transport "$t" "$(my_z32)"
    assert_success
    assert_output "$(cat rec.json)"
  done
  run cc-dht-put --revoke --transport hyper
  assert_success
  run as_machine other cc-dht-get --transport hyper "$(my_z32)"
  assert_failure 5
}

@test "without CCKIT_HYPER_BOOTSTRAP the test guard refuses the public HyperDHT" {
  unset CCKIT_HYPER_BOOTSTRAP
  run cc-dht-get --transport hyper "$(my_z32)"
  assert_failure 1
  assert_output --partial 'refusing to contact the public HyperDHT bootstrap nodes'
}
