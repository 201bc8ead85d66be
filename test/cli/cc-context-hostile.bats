#!/usr/bin/env bats
# A hostile store: every way it can lie is detected with the right exit
# code, and a failed pull leaves the reader's folder and state untouched.
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/context

setup() {
  ctx_space alice bob
  mkdir -p "$SPACE/notes"
  echo one > "$SPACE/notes/one.md"
  ctx alice init "$SPACE" --store "$STORE" >/dev/null
  ctx alice grant bob / r --dir "$SPACE" >/dev/null
  ctx alice push "$SPACE" >/dev/null
  ctx bob pull alice --store "$STORE" >/dev/null
  INTO=$(pulled_dir bob alice)
  BOBSTATE="$BATS_TEST_TMPDIR/bob/.local/state/cckit/context"
}

# A second push by the owner: two new files (objects), a second batch.
second_push() {
  echo two > "$SPACE/notes/two.md"
  echo three > "$SPACE/notes/three.md"
  ctx alice push "$SPACE" >/dev/null
}

# Pull as bob expecting exit $1 and a message containing $2; nothing local may change.
refused() {
  local before; before=$(tree_digest "$INTO")$(tree_digest "$BOBSTATE")
  run --separate-stderr ctx bob pull alice
  [ "$status" -eq "$1" ] || fail "exit $status, stderr: $stderr"
  assert_one_error cc-context
  [[ "$stderr" == *"$2"* ]] || fail "stderr: $stderr"
  [ "$(tree_digest "$INTO")$(tree_digest "$BOBSTATE")" = "$before" ] || fail "the reader's folder or state changed"
  [ -z "$(find "$INTO" -name '.cckit-incoming-*')" ] || fail "staging left behind"
}

newest_objects() { find "$STORE/o" -type f ! -name '.*' -newer "$BATS_TEST_TMPDIR/mark" | sort; }

@test "a modified object: exit 4" {
  touch "$BATS_TEST_TMPDIR/mark"; sleep 0.01
  second_push
  o=$(newest_objects | head -1)
  flip_byte "$o" 200
  refused 4 "does not match its name"
}

@test "a swapped object (another valid object under this name): exit 4" {
  touch "$BATS_TEST_TMPDIR/mark"; sleep 0.01
  second_push
  set -- $(newest_objects)
  cp "$1" "$2"
  refused 4 "does not match its name"
}

@test "a deleted object: reported as withheld, exit 3" {
  touch "$BATS_TEST_TMPDIR/mark"; sleep 0.01
  second_push
  rm "$(newest_objects | head -1)"
  refused 3 withheld
}

@test "a rolled-back head: exit 4" {
  old="$BATS_TEST_TMPDIR/old-head"; cp -r "$STORE/head" "$old"
  second_push
  ctx bob pull alice >/dev/null
  cp "$old"/* "$STORE/head/"
  refused 4 "went back"
}

@test "a rolled-back policy: exit 4" {
  cp -r "$STORE/policy" "$BATS_TEST_TMPDIR/old-policy"; cp -r "$STORE/grant" "$BATS_TEST_TMPDIR/old-grant"
  ctx alice grant bob /notes rw --dir "$SPACE" >/dev/null
  ctx bob pull alice >/dev/null
  cp "$BATS_TEST_TMPDIR/old-policy"/* "$STORE/policy/"; cp "$BATS_TEST_TMPDIR/old-grant"/* "$STORE/grant/"
  refused 4 "back in time"
}

@test "a replayed old log batch in place of a new one: exit 4" {
  second_push
  dir=$(dirname "$(find "$STORE/log" -type f -name 0000000001)")
  cp "$dir/0000000001" "$dir/0000000002"
  refused 4 "out of place"
}

@test "a tampered batch and a withheld batch and head" {
  second_push
  b=$(find "$STORE/log" -type f -name 0000000002)
  cp "$b" "$BATS_TEST_TMPDIR/b2"
  flip_byte "$b" 300
  refused 4 ""
  rm "$b"
  refused 3 withheld
  cp "$BATS_TEST_TMPDIR/b2" "$b"
  mv "$STORE/head" "$BATS_TEST_TMPDIR/heads"
  refused 3 withheld
  mv "$BATS_TEST_TMPDIR/heads" "$STORE/head"
  run ctx bob pull alice
  assert_success
  [ "$(cat "$INTO/notes/two.md")" = two ]
}

@test "a store that swaps in another owner's space is refused" {
  ctx_machines mallory
  rm -rf "$STORE"/*
  mkdir -p "$BATS_TEST_TMPDIR/m"
  ctx mallory init "$BATS_TEST_TMPDIR/m" --store "$STORE" >/dev/null
  refused 4 "not owned by that key"
}
