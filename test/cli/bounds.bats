#!/usr/bin/env bats
# Bounds (issue 7 item 8) as a user meets them: --ttl's maximum and sign,
# cc-open FILE capped like stdin, invalid Unicode refused, a BOM tolerated.
load helpers
bats_require_minimum_version 1.5.0

PAYLOAD='{"s":"0b6f9d2e-5a4c-4e0b-9a53-2f7f2c1b8e11","h":"laptop","p":"/tmp"}'

setup() {
  setup_home
  quick_key
}

@test "--ttl: negative is 'must be a positive number', beyond a year is refused, before anything is published" {
  for c in cc-seal cc-handoff; do
    run --separate-stderr $c --ttl -1 < /dev/null
    assert_failure 2
    assert_one_error $c
    assert_equal "${stderr_lines[0]}" "$c: error: --ttl must be a positive number, got '-1'"
    run --separate-stderr $c --ttl 9007199254740991 < /dev/null
    assert_failure 2
    assert_equal "${stderr_lines[0]}" "$c: error: --ttl must be at most 31536000 (a year), got '9007199254740991'"
  done
  run --separate-stderr bash -c "printf '%s' '$PAYLOAD' | cc-seal --ttl 31536000"
  assert_success
  [[ "$output" == *'"ttl":31536000}' ]]
}

@test "cc-open FILE is capped like stdin: /dev/zero is refused, not read forever" {
  run --separate-stderr timeout 20 cc-open /dev/zero
  assert_failure 1
  assert_one_error cc-open
  assert_equal "${stderr_lines[0]}" "cc-open: error: input too large: a handoff record (JSON from 'cc-seal' or 'cc-dht-get') is limited to 65536 bytes"
  run --separate-stderr cc-open "$BATS_TEST_TMPDIR"
  assert_failure 1
  assert_equal "${stderr_lines[0]}" "cc-open: error: cannot read $BATS_TEST_TMPDIR: illegal operation on a directory (EISDIR)"
}

@test "a lone surrogate or invalid UTF-8 in a payload is refused at seal time; a BOM is tolerated" {
  printf '%s' '{"s":"0b6f9d2e-5a4c-4e0b-9a53-2f7f2c1b8e11","h":"x\ud800","p":"/tmp"}' > "$BATS_TEST_TMPDIR/lone"
  run --separate-stderr cc-seal "$BATS_TEST_TMPDIR/lone"
  assert_failure 1
  assert_one_error cc-seal
  assert_equal "${stderr_lines[0]}" "cc-seal: error: input is not a session payload: 'h' is not valid Unicode (a lone surrogate)"
  printf '{"s":"0b6f9d2e-5a4c-4e0b-9a53-2f7f2c1b8e11","h":"x\xff","p":"/tmp"}' > "$BATS_TEST_TMPDIR/bad-utf8"
  run --separate-stderr cc-seal "$BATS_TEST_TMPDIR/bad-utf8"
  assert_failure 1
  assert_one_error cc-seal
  assert_equal "${stderr_lines[0]}" "cc-seal: error: input is not valid UTF-8: expected a session payload (JSON from 'cc-session')"
  printf '\xef\xbb\xbf%s' "$PAYLOAD" | cc-seal > "$BATS_TEST_TMPDIR/rec"
  printf '\xef\xbb\xbf' | cat - "$BATS_TEST_TMPDIR/rec" > "$BATS_TEST_TMPDIR/rec-bom"
  run --separate-stderr cc-open "$BATS_TEST_TMPDIR/rec-bom"
  assert_success
  [ "$(printf '%s' "$output" | json_field payload.h)" = laptop ]
}
