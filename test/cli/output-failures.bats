#!/usr/bin/env bats
# A failed write to stdout is a failure (DESIGN.md §2, issue 7 item 7): a full
# disk or /dev/full is exit 1 with one line, never exit 0 with a truncated
# file; a reader that goes away (EPIPE) stays quiet.
load helpers
bats_require_minimum_version 1.5.0

setup() {
  setup_home
  quick_key
}

# Run "$@" inside a private mount namespace with a 1 MiB tmpfs at $FULL_DIR:
# a full disk without filling a real one.
on_small_tmpfs() {
  unshare -rm bash -c 'mount -t tmpfs -o size=1m tmpfs "$FULL_DIR" && eval "$1"' _ "$1"
}

@test "JSON output to /dev/full: exit 1, one line naming ENOSPC (not eNOSPC)" {
  run --separate-stderr cc-key whoami
  assert_success
  run --separate-stderr bash -c 'cc-key whoami > /dev/full'
  assert_failure 1
  assert_equal "$stderr" "cc-key: error: cannot write to stdout: no space left on device (ENOSPC)"
  [[ "$stderr" != *eNOSPC* ]]

  printf '{"s":"0b6f9d2e-5a4c-4e0b-9a53-2f7f2c1b8e11","h":"laptop","p":"/tmp"}' > "$BATS_TEST_TMPDIR/payload"
  cc-seal < "$BATS_TEST_TMPDIR/payload" > "$BATS_TEST_TMPDIR/rec"
  run --separate-stderr bash -c "cc-open < '$BATS_TEST_TMPDIR/rec' > /dev/full"
  assert_failure 1
  assert_equal "$stderr" "cc-open: error: cannot write to stdout: no space left on device (ENOSPC)"
  run --separate-stderr bash -c "cc-seal < '$BATS_TEST_TMPDIR/payload' > /dev/full"
  assert_failure 1
  assert_equal "$stderr" "cc-seal: error: cannot write to stdout: no space left on device (ENOSPC)"
}

@test "--help and --version to /dev/full fail too" {
  for c in cc-key cc-seal cc-open cc-dht-get cc-dht-put cc-session cc-resume cc-testnet cc-handoff cc-pickup; do
    run --separate-stderr bash -c "$c --version > /dev/full"
    assert_failure 1
    assert_equal "$stderr" "$c: error: cannot write to stdout: no space left on device (ENOSPC)"
    run --separate-stderr bash -c "$c --help > /dev/full"
    assert_failure 1
  done
}

@test "streamed raw output to /dev/full: exit 1 with one line, both directions" {
  head -c 3000000 /dev/urandom > "$BATS_TEST_TMPDIR/big"
  run --separate-stderr bash -c "cc-seal --raw < '$BATS_TEST_TMPDIR/big' > /dev/full"
  assert_failure 1
  assert_equal "$stderr" "cc-seal: error: cannot write to stdout: no space left on device (ENOSPC)"
  cc-seal --raw < "$BATS_TEST_TMPDIR/big" > "$BATS_TEST_TMPDIR/big.age"
  run --separate-stderr bash -c "cc-open --raw < '$BATS_TEST_TMPDIR/big.age' > /dev/full"
  assert_failure 1
  assert_equal "$stderr" "cc-open: error: cannot write to stdout: no space left on device (ENOSPC)"
}

@test "cc-seal --raw on a full disk: exit 1 whether stdout is redirected or -o FILE (which leaves nothing)" {
  head -c 3000000 /dev/urandom > "$BATS_TEST_TMPDIR/big"
  export FULL_DIR="$BATS_TEST_TMPDIR/full" BIG="$BATS_TEST_TMPDIR/big"
  mkdir -p "$FULL_DIR"
  run --separate-stderr on_small_tmpfs 'cc-seal --raw < "$BIG" > "$FULL_DIR/out"; echo "rc=$?"'
  assert_output "rc=1"
  assert_equal "$stderr" "cc-seal: error: cannot write to stdout: no space left on device (ENOSPC)"
  run --separate-stderr on_small_tmpfs 'cc-seal --raw -o "$FULL_DIR/out" < "$BIG"; echo "rc=$?"; ls -A "$FULL_DIR"'
  assert_output "rc=1"
  assert_equal "$stderr" "cc-seal: error: cannot write $FULL_DIR/out: no space left on device (ENOSPC)"
}

@test "a reader that goes away (EPIPE) is quiet" {
  head -c 3000000 /dev/urandom > "$BATS_TEST_TMPDIR/big"
  run --separate-stderr bash -c "cc-seal --raw < '$BATS_TEST_TMPDIR/big' | head -c 10 > /dev/null; echo \${PIPESTATUS[0]}"
  assert_output "0"
  assert_equal "$stderr" ""
}
