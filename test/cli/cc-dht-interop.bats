#!/usr/bin/env bats
# Interop with another pkarr implementation: the npm pkarr 1.3.0 package
# (test oracle) publishing and resolving on the same private testnet.
load helpers
load ../helpers/testnet

setup_file() {
  start_testnet --nodes 12
}

teardown_file() {
  stop_testnet
}

setup() {
  dht_test_setup
  ORACLE="$ROOT/test/helpers/pkarr-testnet-oracle.mjs"
}

oracle() { node "$ORACLE" "$1" "$CCKIT_BOOTSTRAP" "${@:2}"; }

@test "a packet published by pkarr 1.3.0 resolves with cc-dht-get" {
  rec=$(test_record)
  json=$(node -e 'console.log(JSON.stringify([{name:"_cclink",type:"TXT",data:process.argv[1]}]))' "$rec")
  run oracle publish "$HOME/.pubky/secret_key" "$json"
  assert_success
  run as_machine other cc-dht-get "$(my_z32)"
  assert_success
  assert_output "$rec"
}

@test "a packet published by cc-dht-put verifies and resolves with pkarr 1.3.0" {
  test_record >rec.json
  cc-dht-put rec.json >put.json
  run oracle resolve "$(my_z32)"
  assert_success
  [ "$(echo "$output" | json_field seq)" = "$(json_field seq <put.json)" ]
  [ "$(echo "$output" | json_field records.0.data)" = "$(cat rec.json)" ]
}

@test "records another application published (a Pubky _pubky HTTPS record) survive a publish and a revoke" {
  run oracle publish "$HOME/.pubky/secret_key" '[{"name":"_pubky","type":"UNKNOWN_65","hex":"0001000000"},{"name":"_foo","type":"TXT","data":"bar"}]'
  assert_success
  test_record | cc-dht-put >/dev/null
  run oracle resolve "$(my_z32)"
  assert_success
  assert_output --partial '"type":"UNKNOWN_65","data":"0001000000"'
  assert_output --partial '"data":"bar"'
  assert_output --partial '"name":"_cclink.'
  cc-dht-put --revoke >/dev/null
  run oracle resolve "$(my_z32)"
  assert_success
  assert_output --partial '"type":"UNKNOWN_65","data":"0001000000"'
  assert_output --partial '"data":"bar"'
  refute_output --partial '_cclink'
  run cc-dht-get --all
  assert_success
  assert_output --partial '"name":"_foo"'
}
