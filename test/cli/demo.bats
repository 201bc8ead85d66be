#!/usr/bin/env bats
# README's first command (`make demo`): a full handoff between two simulated
# machines on a private DHT testnet must keep working.
load helpers

setup() { setup_home; }

@test "make demo: hands a session from desktop to laptop, pairs with a colleague by code, hands off to the paired name only, shares a context folder and keeps it pushed (watch), steers a hosted claude over HyperDHT" {
  run timeout 300 make -s -C "$ROOT" demo
  assert_success
  assert_output --partial "Published session 0b6f9d2e-5a4c-4e0b-9a53-2f7f2c1b8e11"
  assert_output --partial '"argv":["claude","--resume","0b6f9d2e-5a4c-4e0b-9a53-2f7f2c1b8e11"]'
  assert_output --partial "not with this key"
  assert_output --regexp 'desktop shows: [1-9][0-9]{3}-[a-z]+-[a-z]+-[a-z]+'
  assert_output --partial "Paired with desk"
  assert_output --partial '"name":"carol"'
  assert_output --partial "Use pnpm, not npm."
  assert_output --partial "Run the tests with: pnpm test"
  assert_output --partial "claude asks to use Write on"
  assert_output --partial "hello from carol"
  assert_output --partial "Done: the handoff crossed a real (private) DHT"
}
