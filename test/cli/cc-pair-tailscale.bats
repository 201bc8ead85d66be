#!/usr/bin/env bats
# cc-pair tailscale / listen --tailscale through a fake `tailscale` CLI that
# replays recorded status/whois JSON; the "tailnet addresses" are 127.0.0.x,
# so every byte stays on loopback. No DHT is involved.
bats_require_minimum_version 1.5.0
load helpers

FIX="$BATS_TEST_DIRNAME/../fixtures/tailscale"

setup() {
  setup_home
  export CCKIT_TEST_NO_PUBLIC=1 CCKIT_TAILSCALE="$ROOT/test/helpers/fake-tailscale"
  export CCKIT_TAILSCALE_PORT=$((20000 + RANDOM % 20000))
  unset CCKIT_HYPER_BOOTSTRAP
  for m in a b; do as_machine "$m" cc-key init --no-passphrase >/dev/null; done
  # desk = machine a, laptop = machine b; each has its own recorded view of the tailnet.
  mkdir -p "$BATS_TEST_TMPDIR/ts-a" "$BATS_TEST_TMPDIR/ts-b"
  cp "$FIX/desk-status.json" "$BATS_TEST_TMPDIR/ts-a/status.json"
  cp "$FIX/laptop-status.json" "$BATS_TEST_TMPDIR/ts-b/status.json"
}

teardown() { [ -n "${LPID:-}" ] && kill "$LPID" 2>/dev/null; wait 2>/dev/null; true; }

start_listener() {
  FAKE_TS_DIR="$BATS_TEST_TMPDIR/ts-a" as_machine a timeout 60 cc-pair listen --tailscale --once --ttl 30 "$@" \
    >"$BATS_TEST_TMPDIR/l.out" 2>"$BATS_TEST_TMPDIR/l.err" 3>&- &
  LPID=$!
  for i in $(seq 100); do grep -q "Listening for tailnet" "$BATS_TEST_TMPDIR/l.err" && return 0; sleep 0.1; done
  cat "$BATS_TEST_TMPDIR/l.err" >&2; return 1
}

@test "tailscale: dials only online, own-user or tagged, non-shared peers; whois on the listener; --trust-tailnet-user pairs both" {
  # Loopback connections come from 127.0.0.1: that is who the listener's whois is asked about.
  cp "$FIX/whois-laptop.json" "$BATS_TEST_TMPDIR/ts-a/whois-127.0.0.1.json"
  start_listener --trust-tailnet-user
  run --separate-stderr env FAKE_TS_DIR="$BATS_TEST_TMPDIR/ts-b" bash -c "HOME='$BATS_TEST_TMPDIR/b' XDG_CONFIG_HOME='$BATS_TEST_TMPDIR/b/.config' cc-pair tailscale --trust-tailnet-user"
  # desk paired; ci-runner (tagged, nobody listening) unreachable; the shared, offline and other-user nodes never dialled.
  assert_failure 1
  [ "$(echo "$output" | json_field 0.name)" = desk ]
  [ "$(echo "$output" | json_field 0.result)" = paired ]
  [ "$(echo "$output" | json_field 1.name)" = ci-runner ]
  [ "$(echo "$output" | json_field 1.result)" = unreachable ]
  [ "$(echo "$output" | json_field 2)" = undefined ]
  wait "$LPID"; LPID=
  [ "$(json_field name < "$BATS_TEST_TMPDIR/l.out")" = laptop ]
  [ "$(json_field via < "$BATS_TEST_TMPDIR/l.out")" = tailscale ]
  [ "$(json_field pubkey < "$BATS_TEST_TMPDIR/l.out")" = "$(pubkey_of b)" ]
  run as_machine b cc-pair list
  [ "$(echo "$output" | json_field 0.pubkey)" = "$(pubkey_of a)" ]
  [ "$(echo "$output" | json_field 0.addrs)" = '["127.0.0.2"]' ]
}

@test "listen --tailscale refuses a dialler whois says is another, untagged user; nothing is stored" {
  cp "$FIX/whois-colleague.json" "$BATS_TEST_TMPDIR/ts-a/whois-127.0.0.1.json"
  start_listener --trust-tailnet-user
  run env FAKE_TS_DIR="$BATS_TEST_TMPDIR/ts-b" bash -c "HOME='$BATS_TEST_TMPDIR/b' XDG_CONFIG_HOME='$BATS_TEST_TMPDIR/b/.config' cc-pair tailscale --trust-tailnet-user 2>/dev/null"
  assert_failure
  [ "$(echo "$output" | json_field 0.result)" != paired ]
  for i in $(seq 50); do grep -q "neither your tailnet user" "$BATS_TEST_TMPDIR/l.err" && break; sleep 0.1; done
  grep -q "colleague is neither your tailnet user nor tagged tag:cckit" "$BATS_TEST_TMPDIR/l.err"
  [ -z "$(as_machine a cc-pair list | tr -d '[]')" ]
  [ -z "$(as_machine b cc-pair list | tr -d '[]')" ]
}

@test "tailscale without --trust-tailnet-user needs a terminal; a missing tailscale CLI is exit 3" {
  run --separate-stderr env FAKE_TS_DIR="$BATS_TEST_TMPDIR/ts-b" cc-pair tailscale
  assert_failure 2
  assert_one_error cc-pair
  run --separate-stderr env CCKIT_TAILSCALE=/nonexistent/tailscale cc-pair tailscale --trust-tailnet-user
  assert_failure 3
  assert_one_error cc-pair
  run --separate-stderr cc-pair listen --tag tag:x
  assert_failure 2
}
