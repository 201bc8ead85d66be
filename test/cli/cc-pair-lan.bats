#!/usr/bin/env bats
# cc-pair --lan: two machines on a LAN of the test's own (a user + network
# namespace from `unshare -rn`, a nested one, a veth pair with TEST-NET
# addresses), with no DHT at all: CCKIT_HYPER_BOOTSTRAP is unset and
# CCKIT_TEST_NO_PUBLIC=1 turns any DHT use into a failure.
bats_require_minimum_version 1.5.0
load helpers

setup() {
  setup_home
  export CCKIT_TEST_NO_PUBLIC=1
  unset CCKIT_HYPER_BOOTSTRAP
  for m in a b; do as_machine "$m" cc-key init --no-passphrase >/dev/null; done
  if ! unshare -rn true 2>/dev/null; then
    skip "cannot create a network namespace here (unshare -rn failed): the LAN test needs one"
  fi
}

@test "--lan: code and join meet by multicast beacon and TCP in a private network namespace, no DHT" {
  run unshare -rn bash "$ROOT/test/helpers/netns-pair.sh" "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
  [ "$(cat "$BATS_TEST_TMPDIR/inv.rc")" = 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/join.rc")" = 0 ]
  [ "$(json_field via < "$BATS_TEST_TMPDIR/inv.out")" = lan ]
  [ "$(json_field pubkey < "$BATS_TEST_TMPDIR/inv.out")" = "$(pubkey_of b)" ]
  [ "$(json_field pubkey < "$BATS_TEST_TMPDIR/join.out")" = "$(pubkey_of a)" ]
}

@test "--lan: a wrong code fails on both sides (exit 4)" {
  PAIR_TTL=6 run unshare -rn bash "$ROOT/test/helpers/netns-pair.sh" "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" wrong
  [ "$(cat "$BATS_TEST_TMPDIR/join.rc")" = 4 ]
  grep -q "cc-pair: error: wrong code" "$BATS_TEST_TMPDIR/join.err"
  grep -q "attempt 1 of 3" "$BATS_TEST_TMPDIR/inv.err"
  # Nobody else tried: the code then expires (exit 5), and nothing was stored on either side.
  [ "$(cat "$BATS_TEST_TMPDIR/inv.rc")" = 5 ]
  [ ! -e "$BATS_TEST_TMPDIR/a/.config/cckit/peers.toml" ]
  [ ! -e "$BATS_TEST_TMPDIR/b/.config/cckit/peers.toml" ]
}
