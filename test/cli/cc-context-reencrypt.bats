#!/usr/bin/env bats
# cc-context revoke --reencrypt: the store's current content is rewritten
# under the new epoch and the logs are compacted into an owner-signed
# snapshot. The revoked peer's old keys open nothing the store holds; the
# remaining readers and writers carry on; a new peer reads everything; a
# store that rolls the compaction back, hides or swaps the snapshot is caught.
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/context

setup() {
  ctx_space alice bob carol dave erin
  mkdir -p "$SPACE/notes" "$SPACE/shared"
  echo "# rules" > "$SPACE/CLAUDE.md"
  echo "v1" > "$SPACE/notes/plan.md"
  echo "gone soon" > "$SPACE/notes/old.md"
  head -c 1500000 /dev/urandom > "$SPACE/notes/big.bin" # streamed, not in memory
  ctx alice init "$SPACE" --store "$STORE" >/dev/null
  for g in "bob / r" "carol / r" "dave /shared rw"; do ctx alice grant $g --dir "$SPACE" >/dev/null; done
  ctx alice push "$SPACE" >/dev/null
  echo "v2" > "$SPACE/notes/plan.md"; rm "$SPACE/notes/old.md"
  ctx alice push "$SPACE" >/dev/null
  ctx dave pull alice --store "$STORE" >/dev/null
  DAVE="$BATS_TEST_TMPDIR/dave-work"
  mkdir -p "$DAVE/shared" && echo "dave v1" > "$DAVE/shared/dave.md"
  ctx dave push "$DAVE" --space alice >/dev/null
  ctx bob pull alice --store "$STORE" >/dev/null
  ctx carol pull alice --store "$STORE" >/dev/null
  # Bob keeps his grant's keys (as a peer about to be revoked could).
  as_machine bob cc-key age-identity > "$BATS_TEST_TMPDIR/bob.id"
  for g in "$STORE"/grant/*; do
    age -d -i "$BATS_TEST_TMPDIR/bob.id" "$g" 2>/dev/null | node --import tsx "$ROOT/test/helpers/ctx-grant-keys.ts" > "$BATS_TEST_TMPDIR/bob-old-keys" && break
  done
  [ -s "$BATS_TEST_TMPDIR/bob-old-keys" ]
}

# How many files under the store's objects, logs and snapshots open with bob's old keys.
opened_by_old_keys() {
  local n=0 f
  for f in $(find "$STORE/o" "$STORE/log" "$STORE/snap" -type f ! -name '.*' 2>/dev/null); do
    age -d -i "$BATS_TEST_TMPDIR/bob-old-keys" "$f" >/dev/null 2>&1 && n=$((n + 1))
  done
  echo "$n"
}

@test "revoke --reencrypt: nothing in the store opens with the revoked peer's old keys; readers, writers and a new peer carry on" {
  [ "$(opened_by_old_keys)" -gt 0 ] # the control: before, his keys open the store's files
  cp -a "$STORE/grant" "$BATS_TEST_TMPDIR/old-grants"
  run ctx alice revoke bob --reencrypt --dir "$SPACE"
  assert_success
  [ "$(echo "$output" | json_field reencrypt.snapshot)" = 1 ]
  [ "$(echo "$output" | json_field reencrypt.files)" = 5 ] # four live files and one deletion
  [ "$(echo "$output" | json_field revoked)" = "[\"$(pubkey_of bob)\"]" ]
  [ "$(opened_by_old_keys)" -eq 0 ]
  [ -z "$(find "$STORE/log" -type f ! -name '.*')" ] # every batch folded into the snapshot
  # The revoked peer: exit 5 (his revocation notice); his old grant served again: exit 4.
  run --separate-stderr ctx bob pull alice
  [ "$status" -eq 5 ]; assert_one_error cc-context
  [[ "$stderr" == *revoked* ]]
  cp -a "$STORE/grant" "$BATS_TEST_TMPDIR/new-grants"; cp "$BATS_TEST_TMPDIR"/old-grants/* "$STORE/grant/"
  run --separate-stderr ctx bob pull alice
  [ "$status" -eq 4 ]; assert_one_error cc-context
  cp "$BATS_TEST_TMPDIR"/new-grants/* "$STORE/grant/"
  # A reader who pulled before pulls incrementally: nothing new, nothing lost, no conflict.
  run ctx carol pull alice
  assert_success
  [ "$(echo "$output" | json_field updated)" = '[]' ]
  [ "$(echo "$output" | json_field conflicts)" = '[]' ]
  [ "$(echo "$output" | json_field files)" = 4 ]
  into=$(pulled_dir carol alice)
  cmp "$SPACE/notes/big.bin" "$into/notes/big.bin"
  # The writers keep going: the owner and dave push changes on top of re-encrypted versions.
  echo "v3" > "$SPACE/notes/plan.md"
  ctx alice push "$SPACE" >/dev/null
  echo "dave v2" > "$DAVE/shared/dave.md"
  run ctx dave push "$DAVE"
  assert_success
  run ctx carol pull alice
  assert_success
  [ "$(echo "$output" | json_field updated)" = '["/notes/plan.md","/shared/dave.md"]' ]
  [ "$(echo "$output" | json_field conflicts)" = '[]' ]
  [ "$(cat "$into/notes/plan.md")" = v3 ] && [ "$(cat "$into/shared/dave.md")" = "dave v2" ]
  # A peer granted afterwards reads everything, from the snapshot and the batches after it.
  ctx alice grant erin / r --dir "$SPACE" >/dev/null
  run ctx erin pull alice --store "$STORE"
  assert_success
  [ "$(echo "$output" | json_field files)" = 4 ]
  [ "$(echo "$output" | json_field conflicts)" = '[]' ]
  e=$(pulled_dir erin alice)
  [ "$(cat "$e/notes/plan.md")" = v3 ] && [ "$(cat "$e/shared/dave.md")" = "dave v2" ] && [ ! -e "$e/notes/old.md" ]
  cmp "$SPACE/notes/big.bin" "$e/notes/big.bin"
  # The log still says who wrote what.
  run ctx erin log alice
  assert_success
  assert_output --partial '"path":"/shared/dave.md"'
  assert_output --partial "$(pubkey_of dave)"
}

@test "revoke --reencrypt on a path: only what the peer could read moves to the new epoch; run again it compacts again" {
  run ctx alice revoke dave /shared --reencrypt --dir "$SPACE"
  assert_success
  [ "$(echo "$output" | json_field reencrypt.reencrypted)" -ge 1 ]
  run --separate-stderr ctx dave pull alice
  [ "$status" -eq 5 ]
  # Bob was never revoked: his keys include the new epoch, and he reads on.
  run ctx bob pull alice
  assert_success
  run ctx alice revoke dave --reencrypt --dir "$SPACE" # already revoked: re-encrypts and compacts again
  assert_success
  [ "$(echo "$output" | json_field reencrypt.snapshot)" = 2 ]
  [ "$(find "$STORE/snap" -type f ! -name '.*' | wc -l)" -eq 1 ]
  run ctx carol pull alice
  assert_success
  [ "$(echo "$output" | json_field conflicts)" = '[]' ]
  [ "$(cat "$(pulled_dir carol alice)/shared/dave.md")" = "dave v1" ]
  run --separate-stderr ctx alice revoke erin --reencrypt --dir "$SPACE"
  [ "$status" -eq 3 ]; assert_one_error cc-context # never had a rule, never revoked
}

@test "a plain revoke, then --reencrypt later, leaves no object the revoked peer's old keys open" {
  ctx alice revoke bob --dir "$SPACE" >/dev/null
  [ "$(opened_by_old_keys)" -gt 0 ]
  run ctx alice revoke bob --reencrypt --dir "$SPACE"
  assert_success
  [ "$(opened_by_old_keys)" -eq 0 ]
  run ctx carol pull alice
  assert_success
}

# Pull as carol expecting exit $1 and a message containing $2; nothing local may change.
refused() {
  local into state before
  into=$(pulled_dir carol alice); state="$BATS_TEST_TMPDIR/carol/.local/state/cckit/context"
  before=$(tree_digest "$into")$(tree_digest "$state")
  run --separate-stderr ctx carol pull alice
  [ "$status" -eq "$1" ] || fail "exit $status, stderr: $stderr"
  assert_one_error cc-context
  [[ "$stderr" == *"$2"* ]] || fail "stderr: $stderr"
  [ "$(tree_digest "$into")$(tree_digest "$state")" = "$before" ] || fail "the reader's folder or state changed"
}

@test "a hostile store: a rolled-back compaction (exit 4), a withheld snapshot (exit 3), a modified one (exit 4), a withheld re-encrypted object (exit 3)" {
  old="$BATS_TEST_TMPDIR/store-before"; cp -a "$STORE" "$old"
  ctx alice revoke bob --reencrypt --dir "$SPACE" >/dev/null
  ctx carol pull alice >/dev/null
  after="$BATS_TEST_TMPDIR/store-after"; cp -a "$STORE" "$after"
  # The whole store put back as it was before the re-encryption.
  rm -rf "$STORE"; cp -a "$old" "$STORE"
  refused 4 "back in time"
  # The old logs and objects served again beside the new policy: the snapshot's cut hides them.
  rm -rf "$STORE"; cp -a "$after" "$STORE"; cp -an "$old/log" "$old/o" "$STORE/"
  run ctx carol pull alice
  assert_success
  # A fresh reader (no state) is not fooled by the replayed logs either.
  ctx alice grant erin / r --dir "$SPACE" >/dev/null
  run ctx erin pull alice --store "$STORE"
  assert_success
  [ "$(echo "$output" | json_field conflicts)" = '[]' ]
  [ ! -e "$(pulled_dir erin alice)/notes/old.md" ]
  # A new reader against a hidden, a modified, then a complete snapshot whose object is withheld.
  ctx alice grant erin / r --dir "$SPACE" >/dev/null
  rm -rf "$BATS_TEST_TMPDIR/erin/.local/state"
  snap=$(find "$STORE/snap" -type f ! -name '.*')
  mv "$snap" "$BATS_TEST_TMPDIR/snap"
  run --separate-stderr ctx erin pull alice --store "$STORE"
  [ "$status" -eq 3 ]; assert_one_error cc-context
  [[ "$stderr" == *withheld* ]]
  cp "$BATS_TEST_TMPDIR/snap" "$snap"
  flip_byte "$snap" 300
  run --separate-stderr ctx erin pull alice --store "$STORE"
  [ "$status" -eq 4 ]; assert_one_error cc-context
  [[ "$stderr" == *"not the one the policy names"* ]]
  cp "$BATS_TEST_TMPDIR/snap" "$snap"
  rm -rf "$STORE/o"; cp -a "$after/o" "$STORE/"
  rm "$(find "$STORE/o" -type f ! -name '.*' | head -1)"
  run --separate-stderr ctx erin pull alice --store "$STORE"
  [ "$status" -eq 3 ]; assert_one_error cc-context
  [[ "$stderr" == *withheld* ]]
  # Carol applied the snapshot already: a rolled-back policy that names none is refused.
  cp "$old"/policy/* "$STORE/policy/"; cp "$old"/grant/* "$STORE/grant/"
  refused 4 "back in time"
}
