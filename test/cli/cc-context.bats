#!/usr/bin/env bats
# cc-context end to end through the installed command: several machines
# (HOMEs), a folder store, and a store that turns hostile.
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/context

setup() {
  ctx_space alice bob carol
  mkdir -p "$SPACE/notes" "$SPACE/shared"
  echo "# project rules: be kind" > "$SPACE/CLAUDE.md"
  echo "meeting notes for bob" > "$SPACE/notes/bob-topics.md"
  echo "shared v1" > "$SPACE/shared/plan.md"
  ctx alice init "$SPACE" --store "$STORE" >/dev/null
}

grant() { ctx alice grant "$@" --dir "$SPACE" >/dev/null; }
apush() { ctx alice push "$SPACE"; }

@test "owner pushes, a peer with r on /notes pulls only /notes, read-only" {
  grant bob /notes r
  run apush
  assert_success
  [ "$(echo "$output" | json_field pushed)" = 3 ]
  run ctx bob pull alice --store "$STORE"
  assert_success
  [ "$(echo "$output" | json_field updated)" = '["/notes/bob-topics.md"]' ]
  into=$(pulled_dir bob alice)
  [ "$(cat "$into/notes/bob-topics.md")" = "meeting notes for bob" ]
  [ ! -e "$into/CLAUDE.md" ]
  [ "$(stat -c %a "$into/notes/bob-topics.md")" = 444 ]
  # The store is remembered after the first pull; nothing new is nothing updated.
  run ctx bob pull alice
  assert_success
  [ "$(echo "$output" | json_field updated)" = '[]' ]
}

@test "incremental push uploads only what changed; deletions propagate" {
  grant bob / r
  apush >/dev/null
  ctx bob pull alice --store "$STORE" >/dev/null
  before=$(store_objects | wc -l)
  echo "shared v2" > "$SPACE/shared/plan.md"
  rm "$SPACE/notes/bob-topics.md"
  run apush
  assert_success
  [ "$(echo "$output" | json_field pushed)" = 1 ]
  [ "$(echo "$output" | json_field deleted)" = 1 ]
  [ "$(store_objects | wc -l)" -eq $((before + 2)) ]
  run ctx bob pull alice
  assert_success
  into=$(pulled_dir bob alice)
  [ "$(cat "$into/shared/plan.md")" = "shared v2" ]
  [ ! -e "$into/notes/bob-topics.md" ]
  run ctx alice push "$SPACE"
  [ "$(echo "$output" | json_field unchanged)" = true ]
}

@test "the store holds no file name, path, authz entry, identity or content in clear; sizes are padded" {
  grant bob /notes r
  grant carol /shared rw
  printf 'x' > "$SPACE/shared/tiny.md"
  head -c 900 /dev/zero | tr '\0' 'y' > "$SPACE/shared/small.md"
  apush >/dev/null
  for s in CLAUDE.md bob-topics plan.md notes shared tiny small "be kind" "meeting notes" alice bob carol \
           $(pubkey_of alice | sed 's/^pk://') $(pubkey_of bob | sed 's/^pk://') $(pubkey_of carol | sed 's/^pk://') \
           $(as_machine bob cc-key whoami | json_field age_recipient); do
    run grep -rlF -- "$s" "$STORE"
    [ "$status" -eq 1 ] || fail "store holds '$s' in clear: $output"
  done
  # A 1-byte and a 900-byte file land in the same size bucket.
  sizes=$(for o in $(store_objects); do stat -c %s "$o"; done | sort -u)
  [ "$(echo "$sizes" | wc -l)" -eq 1 ] || fail "object sizes differ: $sizes"
}

@test "owner offline: a writer peer pushes from its own folder, a third peer with r reads it" {
  grant bob /shared rw
  grant carol /shared r
  apush >/dev/null
  # The owner's machine is gone.
  pulled_dir carol alice >/dev/null
  rm -rf "$BATS_TEST_TMPDIR/alice" "$SPACE"
  run ctx bob pull alice --store "$STORE"
  assert_success
  work="$BATS_TEST_TMPDIR/bob-work"
  mkdir -p "$work/shared"
  echo "bob's addition" > "$work/shared/from-bob.md"
  run ctx bob push "$work" --space alice
  assert_success
  [ "$(echo "$output" | json_field pushed)" = 1 ]
  run ctx carol pull alice --store "$STORE"
  assert_success
  into=$(pulled_dir carol alice)
  [ "$(cat "$into/shared/from-bob.md")" = "bob's addition" ]
  [ "$(cat "$into/shared/plan.md")" = "shared v1" ]
  run ctx carol log alice
  assert_success
  assert_output --partial '"path":"/shared/from-bob.md"' 
  assert_output --partial "$(pubkey_of bob)"
}

@test "r cannot write: the client refuses, and a forged write is rejected by other readers (exit 4)" {
  grant bob /shared r
  grant carol /shared r
  apush >/dev/null
  work="$BATS_TEST_TMPDIR/bob-work"
  mkdir -p "$work/shared" && echo forged > "$work/shared/plan.md"
  run --separate-stderr ctx bob push "$work" --space alice --store "$STORE"
  [ "$status" -eq 4 ]
  assert_one_error cc-context
  [[ "$stderr" == *"may not write /shared/plan.md"* ]]
  # Bob bypasses the client and writes a signed batch into the zone himself.
  as_machine bob node --import tsx "$ROOT/test/helpers/ctx-forge.ts" "$STORE" "$(pubkey_of alice)" /shared/plan.md
  run --separate-stderr ctx carol pull alice --store "$STORE"
  [ "$status" -eq 4 ]
  assert_one_error cc-context
  [[ "$stderr" == *"forged write"* ]]
  [ ! -e "$(pulled_dir carol alice)/shared/plan.md" ]
}

@test "w writes but cannot read; most specific section wins; an unlisted peer gets nothing" {
  grant bob / r
  grant bob /shared w
  apush >/dev/null
  run ctx bob pull alice --store "$STORE"
  assert_success
  [ "$(echo "$output" | json_field updated)" = '["/CLAUDE.md","/notes/bob-topics.md"]' ]
  work="$BATS_TEST_TMPDIR/bob-work"
  mkdir -p "$work/shared" && echo "drop-box" > "$work/shared/inbox.md"
  run ctx bob push "$work" --space alice
  assert_success
  run ctx bob pull alice
  [ "$(echo "$output" | json_field updated)" = '[]' ]
  run ctx alice pull "$(pubkey_of alice)" --store "$STORE" --into "$BATS_TEST_TMPDIR/alice-view"
  assert_success
  [ "$(cat "$BATS_TEST_TMPDIR/alice-view/shared/inbox.md")" = drop-box ]
  run --separate-stderr ctx carol pull alice --store "$STORE"
  [ "$status" -eq 4 ]
  assert_one_error cc-context
  [[ "$stderr" == *"no grant for $(pubkey_of carol)"* ]]
}

@test "revoke starts a new epoch: the revoked peer cannot read what is pushed after it (exit 5)" {
  grant bob /notes r
  grant carol /notes r
  apush >/dev/null
  ctx bob pull alice --store "$STORE" >/dev/null
  cp "$STORE"/grant/* "$BATS_TEST_TMPDIR/" 2>/dev/null
  old_grants="$BATS_TEST_TMPDIR/old-grants"; mkdir -p "$old_grants"; cp "$STORE"/grant/* "$old_grants/"
  run ctx alice revoke bob --dir "$SPACE"
  assert_success
  [ "$(echo "$output" | json_field zones.1.epoch)" = 2 ]
  echo "after revoke" > "$SPACE/notes/new.md"
  apush >/dev/null
  run --separate-stderr ctx bob pull alice
  [ "$status" -eq 5 ]
  assert_one_error cc-context
  [[ "$stderr" == *revoked* ]]
  # Even with his old grant served again, the new objects are sealed to an epoch he never got.
  cp "$old_grants"/* "$STORE/grant/"
  run --separate-stderr ctx bob pull alice
  [ "$status" -eq 4 ]
  [ ! -e "$(pulled_dir bob alice)/notes/new.md" ]
  run ctx carol pull alice --store "$STORE"
  [ "$status" -eq 4 ] # the old grants are served to carol too: rollback detected
  ctx alice grant carol /notes r --dir "$SPACE" >/dev/null
  run ctx carol pull alice --store "$STORE"
  assert_success
  [ "$(cat "$(pulled_dir carol alice)/notes/new.md")" = "after revoke" ]
}

@test "two writers change one path concurrently: a conflict copy, nothing lost" {
  grant bob /shared rw
  grant carol /shared r
  apush >/dev/null
  ctx bob pull alice --store "$STORE" >/dev/null
  work="$BATS_TEST_TMPDIR/bob-work"
  mkdir -p "$work/shared" && echo "bob's plan" > "$work/shared/plan.md"
  ctx bob push "$work" --space alice >/dev/null
  echo "alice's plan" > "$SPACE/shared/plan.md"
  apush >/dev/null
  run ctx carol pull alice --store "$STORE"
  assert_success
  [ "$(echo "$output" | json_field conflicts | grep -c conflict)" -eq 1 ]
  into=$(pulled_dir carol alice)
  run cat "$into"/shared/plan.md "$into"/shared/plan.md.conflict-*
  assert_output --partial "bob's plan"
  assert_output --partial "alice's plan"
}

@test "executable configuration from a peer is never applied: it lands read-only, not executable, in its own folder" {
  grant bob / rw
  apush >/dev/null
  work="$BATS_TEST_TMPDIR/bob-work"
  mkdir -p "$work/.claude"
  echo '{"hooks":{"SessionStart":[{"hooks":[{"type":"command","command":"touch /tmp/pwned"}]}]}}' > "$work/.claude/settings.json"
  echo '{"mcpServers":{"x":{"command":"sh"}}}' > "$work/.mcp.json"
  printf '#!/bin/sh\necho hi\n' > "$work/run.sh" && chmod +x "$work/run.sh"
  ctx bob push "$work" --space alice --store "$STORE" >/dev/null
  run ctx alice pull "$(pubkey_of alice)" --store "$STORE" --into "$BATS_TEST_TMPDIR/from-peers"
  assert_success
  for f in .claude/settings.json .mcp.json run.sh; do
    [ "$(stat -c %a "$BATS_TEST_TMPDIR/from-peers/$f")" = 444 ] || fail "$f is not 0444"
  done
  [ ! -e "$BATS_TEST_TMPDIR/alice/.claude/settings.json" ]
  [ ! -e "$SPACE/.mcp.json" ]
}

@test "share: init if needed, grant, push, and the one command the peer runs works as printed" {
  dir="$BATS_TEST_TMPDIR/ctx2"; mkdir -p "$dir"; echo "shared rules" > "$dir/CLAUDE.md"
  run ctx alice share "$dir" --with bob --store "$BATS_TEST_TMPDIR/store2"
  assert_success
  assert_output --partial "read and write"
  cmd=$(echo "$output" | tail -1 | sed 's/^ *//')
  [[ "$cmd" == "cc-context pull $(pubkey_of alice) --store $BATS_TEST_TMPDIR/store2" ]]
  run as_machine bob bash -c "$cmd"
  assert_success
  [ "$(cat "$(pulled_dir bob alice)/CLAUDE.md")" = "shared rules" ]
  # Again, read-only for carol, as JSON: no new space, no --store needed.
  run ctx alice share "$dir" --with carol --read-only --json
  assert_success
  [ "$(echo "$output" | json_field created)" = false ]
  [ "$(echo "$output" | json_field right)" = r ]
  run --separate-stderr ctx alice share "$BATS_TEST_TMPDIR/nope-not-a-space" --with bob
  [ "$status" -eq 2 ]; assert_one_error cc-context
}

@test "bad input: one error line, the right exit code" {
  run --separate-stderr ctx alice
  [ "$status" -eq 2 ]; assert_one_error cc-context
  run --separate-stderr ctx alice frobnicate
  [ "$status" -eq 2 ]; assert_one_error cc-context
  run --separate-stderr ctx alice grant bob /notes rwx --dir "$SPACE"
  [ "$status" -eq 2 ]; assert_one_error cc-context
  run --separate-stderr ctx alice grant nobody /notes r --dir "$SPACE"
  [ "$status" -eq 2 ]; assert_one_error cc-context
  run --separate-stderr ctx alice grant bob /../etc r --dir "$SPACE"
  [ "$status" -eq 2 ]; assert_one_error cc-context
  run --separate-stderr ctx alice init "$SPACE" --store "$STORE"
  [ "$status" -eq 1 ]; assert_one_error cc-context
  run --separate-stderr ctx alice init "$BATS_TEST_TMPDIR/other"
  [ "$status" -eq 2 ]; assert_one_error cc-context
  run --separate-stderr ctx bob pull alice
  [ "$status" -eq 2 ]; assert_one_error cc-context
  run --separate-stderr ctx bob pull alice --store "$BATS_TEST_TMPDIR/empty-store"
  [ "$status" -eq 3 ]; assert_one_error cc-context
  run --separate-stderr ctx bob push "$BATS_TEST_TMPDIR"
  [ "$status" -eq 2 ]; assert_one_error cc-context
  run --separate-stderr ctx bob revoke carol --dir "$SPACE"
  [ "$status" -ne 0 ]; assert_one_error cc-context
  run --separate-stderr ctx alice revoke carol --dir "$SPACE"
  [ "$status" -eq 3 ]; assert_one_error cc-context
  run --separate-stderr ctx bob pull alice --store rclone:bad
  [ "$status" -eq 2 ]; assert_one_error cc-context
  # A broken authz file is named with its line.
  echo "[/x]" >> "$SPACE/.cckit/authz"; echo "bob == r" >> "$SPACE/.cckit/authz"
  run --separate-stderr ctx alice grant bob /notes r --dir "$SPACE"
  [ "$status" -eq 1 ]; assert_one_error cc-context
  [[ "$stderr" == *"authz:"* ]]
}

@test "many files at once: everything arrives intact, also when the folder is walked without GNU find" {
  grant bob / r
  mkdir -p "$SPACE/many"
  for i in $(seq 1 300); do echo "file $i" > "$SPACE/many/f$i.md"; done
  head -c 70000 /dev/urandom > "$SPACE/many/two-chunks.bin"
  run apush
  assert_success
  [ "$(echo "$output" | json_field pushed)" = 304 ]
  run ctx bob pull alice --store "$STORE"
  assert_success
  [ "$(echo "$output" | json_field files)" = 304 ]
  into=$(pulled_dir bob alice)
  diff -r "$SPACE/many" "$into/many"
  [ "$(stat -c %a "$into/many/f300.md")" = 444 ]
  # node's own walk finds the same files: one change, nothing else pushed.
  echo "changed" > "$SPACE/many/f1.md"
  export CCKIT_NO_FIND=1
  run apush
  unset CCKIT_NO_FIND
  assert_success
  [ "$(echo "$output" | json_field pushed)" = 1 ]
  run ctx bob pull alice
  assert_success
  [ "$(cat "$into/many/f1.md")" = changed ]
}

@test "many files sealed and opened on several threads come back byte for byte; a tampered one is still caught (CCKIT_CONTEXT_THREADS)" {
  grant bob / r
  mkdir -p "$SPACE/many"
  for i in $(seq 1 40); do head -c $((i * 997)) /dev/urandom > "$SPACE/many/f$i.bin"; done
  head -c $((1024 * 1024 + 5)) /dev/urandom > "$SPACE/many/large.bin" # above the small-object size: streamed, not threaded
  CCKIT_CONTEXT_THREADS=3 run apush
  assert_success
  [ "$(echo "$output" | json_field pushed)" = 44 ]
  [ "$(store_objects | wc -l)" -eq 44 ]
  # Deletions and changes, threaded again.
  rm "$SPACE/many/f1.bin"
  echo changed > "$SPACE/many/f2.bin"
  CCKIT_CONTEXT_THREADS=2 run apush
  assert_success
  [ "$(echo "$output" | json_field pushed)" = 1 ]
  [ "$(echo "$output" | json_field deleted)" = 1 ]
  CCKIT_CONTEXT_THREADS=2 run ctx bob pull alice --store "$STORE"
  assert_success
  into=$(pulled_dir bob alice)
  diff -r --exclude=.cckit "$SPACE" "$into"
  # Opened on two threads, a tampered object is still caught (exit 4) and nothing is written.
  grant carol / r
  victim=$(store_objects | sed -n 7p)
  flip_byte "$victim" 200
  CCKIT_CONTEXT_THREADS=2 run --separate-stderr ctx carol pull alice --store "$STORE" --into "$BATS_TEST_TMPDIR/carol-into"
  [ "$status" -eq 4 ] || fail "status $status: $stderr"
  assert_one_error cc-context
  [ -z "$(find "$BATS_TEST_TMPDIR/carol-into" -type f 2>/dev/null)" ]
}

@test "the push index: an interrupted append is ignored, a corrupt entry is one line and exit 1" {
  apush >/dev/null
  echo "v2" >> "$SPACE/shared/plan.md"
  apush >/dev/null
  index="$SPACE/.cckit/index"
  [ -f "$index" ] && [ ! -e "$SPACE/.cckit/index.json" ]
  [ "$(stat -c %a "$index")" = 600 ]
  printf '/shared/plan.md\t1\t2\t' >> "$index" # a crash in the middle of an append
  run apush
  assert_success
  [ "$(echo "$output" | json_field unchanged)" = true ]
  echo "v3" >> "$SPACE/shared/plan.md"
  run apush
  assert_success
  [ "$(echo "$output" | json_field pushed)" = 1 ]
  ! grep -q $'\t1\t2\t/' "$index"
  # An entry damaged on disk: refused when it is used, never guessed.
  sed -i 's#^/shared/plan.md\t[0-9]*#/shared/plan.md\tx#' "$index"
  echo "v4" >> "$SPACE/shared/plan.md"
  run --separate-stderr apush
  [ "$status" -eq 1 ]
  assert_one_error cc-context
  [[ "$stderr" == *"cannot parse push index"* ]]
}
