#!/usr/bin/env bats
# cc-context on a real rclone remote: `rclone serve webdav :memory:` on
# 127.0.0.1, the remote configured through RCLONE_CONFIG_* env.
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/context
load ../helpers/rclone

setup() {
  setup_home
  rclone_start
  ctx_machines alice bob
  SPACE="$BATS_TEST_TMPDIR/alice-space"
  mkdir -p "$SPACE/notes"
  echo "over webdav" > "$SPACE/notes/a.md"
  head -c 300000 /dev/urandom > "$SPACE/notes/blob.bin"
}

teardown() { rclone_stop; }

@test "init, grant, push and pull through an rclone remote; the remote holds only ciphertext" {
  run ctx alice init "$SPACE" --store rclone:ctx:spaces/one
  assert_success
  ctx alice grant bob /notes r --dir "$SPACE" >/dev/null
  run ctx alice push "$SPACE"
  assert_success
  [ "$(echo "$output" | json_field pushed)" = 2 ]
  run ctx bob pull alice --store rclone:ctx:spaces/one
  assert_success
  into=$(pulled_dir bob alice)
  [ "$(cat "$into/notes/a.md")" = "over webdav" ]
  cmp "$into/notes/blob.bin" "$SPACE/notes/blob.bin"
  # Incremental: one change, then the remembered store.
  echo "changed" > "$SPACE/notes/a.md"
  run ctx alice push "$SPACE"
  [ "$(echo "$output" | json_field pushed)" = 1 ]
  run ctx bob pull alice
  assert_success
  [ "$(cat "$into/notes/a.md")" = changed ]
  # What the remote holds, fetched with rclone itself.
  mkdir "$BATS_TEST_TMPDIR/copy"
  rclone copy ctx:spaces/one "$BATS_TEST_TMPDIR/copy"
  [ -f "$BATS_TEST_TMPDIR/copy/cckit-space.json" ]
  run grep -rlF -e "over webdav" -e "a.md" -e notes -e "$(pubkey_of bob | sed 's/^pk://')" "$BATS_TEST_TMPDIR/copy"
  [ "$status" -eq 1 ]
}

@test "a tampered object on the remote is refused (exit 4); a remote that is down is a clear failure" {
  ctx alice init "$SPACE" --store rclone:ctx:s2 >/dev/null
  ctx alice grant bob / r --dir "$SPACE" >/dev/null
  ctx alice push "$SPACE" >/dev/null
  obj=$(rclone lsf -R --files-only ctx:s2/o | head -1)
  rclone cat "ctx:s2/o/$obj" > "$BATS_TEST_TMPDIR/obj"
  flip_byte "$BATS_TEST_TMPDIR/obj" 100
  rclone rcat "ctx:s2/o/$obj" < "$BATS_TEST_TMPDIR/obj"
  run --separate-stderr ctx bob pull alice --store rclone:ctx:s2
  [ "$status" -eq 4 ] || fail "exit $status: $stderr" 
  assert_one_error cc-context
  rclone_stop
  # rclone's own flags from its env: no minutes of retrying a server that is gone.
  RCLONE_RETRIES=1 RCLONE_LOW_LEVEL_RETRIES=1 run --separate-stderr ctx bob pull alice --store rclone:ctx:s2
  [ "$status" -eq 1 ] || fail "exit $status: $stderr" 
  assert_one_error cc-context
  [[ "$stderr" == *"rclone"* ]]
}

@test "revoke --reencrypt through an rclone remote: the old objects and batches are deleted there, the reader pulls on" {
  as_machine carol cc-key init --no-passphrase >/dev/null
  ctx alice init "$SPACE" --store rclone:ctx:s3 >/dev/null
  ctx alice grant bob / r --dir "$SPACE" >/dev/null
  ctx alice grant "$(pubkey_of carol)" / r --dir "$SPACE" >/dev/null
  ctx alice push "$SPACE" >/dev/null
  echo "second" > "$SPACE/notes/a.md"
  ctx alice push "$SPACE" >/dev/null
  ctx carol pull "$(pubkey_of alice)" --store rclone:ctx:s3 >/dev/null
  before=$(rclone lsf -R --files-only ctx:s3/o | sort)
  run ctx alice revoke bob --reencrypt --dir "$SPACE"
  assert_success
  [ "$(echo "$output" | json_field reencrypt.deleted_batches)" = 2 ]
  after=$(rclone lsf -R --files-only ctx:s3/o | sort)
  [ "$(echo "$after" | wc -l)" -eq 2 ]
  [ -z "$(comm -12 <(echo "$before") <(echo "$after"))" ] # every object is new
  [ -z "$(rclone lsf -R --files-only ctx:s3/log)" ]
  run ctx carol pull "$(pubkey_of alice)"
  assert_success
  [ "$(cat "$(pulled_dir carol alice)/notes/a.md")" = second ]
}
