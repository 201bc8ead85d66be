#!/usr/bin/env bats
# contrib/: the systemd user unit and the cron line for cc-dht-put --republish.
load helpers
load ../helpers/testnet

setup_file() {
  start_testnet --nodes 6
}

teardown_file() {
  stop_testnet
}

setup() {
  setup_home
  use_testnet
}

@test "the systemd unit is valid and runs cc-dht-put --republish on the saved record" {
  unit="$ROOT/contrib/systemd/cckit-republish.service"
  grep -q '^ExecStart=/usr/bin/env cc-dht-put --republish$' "$unit"
  grep -q '^StandardInput=file:%h/.local/state/cckit/handoff.json$' "$unit"
  grep -q '^RestartPreventExitStatus=2 4 5$' "$unit"
  if command -v systemd-analyze >/dev/null; then
    cp "$unit" "$BATS_TEST_TMPDIR/"
    run systemd-analyze verify "$BATS_TEST_TMPDIR/cckit-republish.service"
    # The only complaint allowed: man:cc-dht-put(1) is not installed here.
    refute_output --regexp 'cckit-republish.service:[0-9]+:'
  fi
}

@test "the cron line, run as cron would, publishes and keeps one republisher" {
  command -v flock >/dev/null
  quick_key
  line=$(grep -E '^[0-9*]' "$ROOT/contrib/cron/cckit-republish")
  read -r minute hour dom month dow cmd <<<"$line"
  [ "$minute $hour $dom $month $dow" = "0 * * * *" ]
  mkdir -p "$HOME/.local/state/cckit"
  test_record 5 >"$HOME/.local/state/cckit/handoff.json"
  # Two starts at once: flock lets one run, the other returns at once.
  bash -c "$cmd" 3>&- &
  first=$!
  sleep 0.5
  run bash -c "$cmd"
  assert_failure 1
  wait "$first"
  log="$HOME/.local/state/cckit/republish.log"
  grep -q '"stored":{"mainline":' "$log"
  grep -q 'the record expired; stopped republishing' "$log"
}
