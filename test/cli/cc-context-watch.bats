#!/usr/bin/env bats
# cc-context watch: the folder pushed at start and again on every change
# inotify reports, through the installed command, with a peer pulling what
# it pushed; a signal stops it cleanly, a lying store stops it with exit 4.
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/context

setup() {
  ctx_space alice bob
  OUT="$BATS_TEST_TMPDIR/watch.out"
  ERR="$BATS_TEST_TMPDIR/watch.err"
  PIDFILE="$BATS_TEST_TMPDIR/watch.pid"
  mkdir -p "$SPACE/notes"
  echo one > "$SPACE/notes/one.md"
  echo two > "$SPACE/two.md"
  ctx alice init "$SPACE" --store "$STORE" >/dev/null
  ctx alice grant bob / r --dir "$SPACE" >/dev/null
}

teardown() {
  [ -s "$PIDFILE" ] && kill "$(cat "$PIDFILE")" 2>/dev/null || true
}

# Start the watch in the background (bounded: 120 s at most), and wait for its first push.
# timeout --foreground passes our SIGTERM on to the watch only: without it, timeout also signals
# its own process group, itself included, and then sometimes dies of it (exit 143, not the watch's).
start_watch() {
  as_machine alice bash -c 'echo $$ > "$0"; exec timeout --foreground 120 cc-context watch "$@"' "$PIDFILE" "$SPACE" --delay 20 "$@" >"$OUT" 2>"$ERR" &
  WATCH_JOB=$!
  wait_lines 1
}

# wait_lines N: until the watch has printed N lines (10 s at most).
wait_lines() {
  local i
  for i in $(seq 1 200); do
    [ "$(wc -l <"$OUT")" -ge "$1" ] && return 0
    sleep 0.05
  done
  echo "timed out waiting for line $1"; cat "$OUT" "$ERR"
  return 1
}

# line N: the watch's Nth line.
line() { sed -n "$1p" "$OUT"; }

# pushed_total: files pushed over all the watch's lines.
pushed_total() { node -e 'let n = 0; for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) if (l) n += JSON.parse(l).pushed; console.log(n)' "$OUT"; }

# stop_watch: SIGTERM; sets STATUS to the watch's exit code.
stop_watch() {
  local pid; pid=$(cat "$PIDFILE")
  kill -TERM "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  ! kill -0 "$pid" 2>/dev/null
  STATUS=0
  wait "$WATCH_JOB" || STATUS=$?
  [ "$STATUS" = 0 ] || { echo "watch exited $STATUS"; cat "$ERR"; }
}

@test "watch pushes the folder, then each change: an edit, a new folder, a deletion, a rename, odd names; a peer pulls it all" {
  start_watch
  [ "$(line 1 | json_field pushed)" = 2 ]
  echo "one, edited" > "$SPACE/notes/one.md"
  wait_lines 2
  [ "$(line 2 | json_field paths)" = '[{"path":"/notes/one.md","change":"modified"}]' ]
  # A folder made and filled at once: watched before it is listed, nothing missed.
  mkdir -p "$SPACE/new/deep/er"
  for i in 1 2 3; do echo "file $i" > "$SPACE/new/deep/er/f$i.md"; done
  wait_lines 3
  [ "$(line 3 | json_field pushed)" = 3 ]
  rm "$SPACE/two.md"
  wait_lines 4
  [ "$(line 4 | json_field paths)" = '[{"path":"/two.md","change":"deleted"}]' ]
  mv "$SPACE/new" "$SPACE/renamed"
  wait_lines 5
  [ "$(line 5 | json_field deleted)" = 3 ]
  [ "$(line 5 | json_field pushed)" = 3 ]
  # Odd names a space holds (spaces, quotes, UTF-8, a leading dash) go; names it cannot
  # hold (control characters: a peer's pull refuses them) are left out with a warning.
  printf 'odd\n' > "$SPACE/notes/-a \"quoted\" näme.md"
  printf 'tab\n' > "$SPACE/notes/a	tab.md"
  printf 'newline\n' > "$SPACE/notes/new
line.md"
  wait_lines 6
  [ "$(line 6 | json_field paths)" = '[{"path":"/notes/-a \"quoted\" näme.md","change":"new"}]' ]
  grep -q 'warning: 2 files left out: a shared name cannot hold control characters or a backslash, nor start in .cckit-incoming- (where pulls stage files) (/notes/a\\ttab.md, /notes/new\\nline.md)' "$ERR"
  stop_watch
  [ "$STATUS" = 0 ]
  # Nothing was left for a one-off push (it says again what it leaves out), and the peer gets exactly the folder.
  [ "$(ctx alice push "$SPACE" 2>"$BATS_TEST_TMPDIR/push.err" | json_field unchanged)" = true ]
  grep -q 'warning: 2 files left out' "$BATS_TEST_TMPDIR/push.err"
  run ctx bob pull alice --store "$STORE"
  assert_success
  into=$(pulled_dir bob alice)
  [ "$(cat "$into/notes/one.md")" = "one, edited" ]
  [ "$(cat "$into/renamed/deep/er/f2.md")" = "file 2" ]
  [ ! -e "$into/two.md" ] && [ ! -e "$into/new" ]
  [ "$(cat "$into/notes/-a \"quoted\" näme.md")" = odd ]
  [ ! -e "$into/notes/a	tab.md" ]
}

@test "watch: nothing printed for a change that changes nothing; one-off pushes meanwhile wait their turn" {
  start_watch
  touch "$SPACE/two.md" # same content, new mtime
  sleep 0.5
  [ "$(wc -l <"$OUT")" -eq 1 ]
  echo three > "$SPACE/three.md"
  wait_lines 2
  stop_watch
  # A one-off push while no watch runs moves the index on disk: the next watch starts from it.
  echo four > "$SPACE/four.md"
  ctx alice push "$SPACE" >/dev/null
  start_watch
  [ "$(line 1 | json_field unchanged)" = true ]
  # One-off pushes racing the watch for the same changes: one push at a time (.cckit/push.lock),
  # and the watch reads the index again after each of theirs.
  pids=()
  for f in five six seven; do
    echo "$f" > "$SPACE/$f.md"
    ctx alice push "$SPACE" >/dev/null &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  echo eight > "$SPACE/eight.md"
  for _ in $(seq 1 200); do grep -q '"/eight.md"' "$OUT" && break; sleep 0.05; done
  grep -q '"/eight.md"' "$OUT"
  stop_watch
  [ "$STATUS" = 0 ]
  ! grep -q . "$ERR"
  [ ! -e "$SPACE/.cckit/push.lock" ]
  run ctx alice push "$SPACE"
  [ "$(echo "$output" | json_field unchanged)" = true ]
  run ctx bob pull alice --store "$STORE"
  assert_success
  into=$(pulled_dir bob alice)
  for f in three four five six seven eight; do [ "$(cat "$into/$f.md")" = "$f" ]; done
}

@test "push: a lock left by a push that was killed is taken over; a live one is waited for" {
  echo 999999 > "$SPACE/.cckit/push.lock" # no such process
  run ctx alice push "$SPACE"
  assert_success
  [ ! -e "$SPACE/.cckit/push.lock" ]
  sleep 30 &
  holder=$!
  echo "$holder" > "$SPACE/.cckit/push.lock"
  echo more > "$SPACE/more.md"
  ctx alice push "$SPACE" >"$BATS_TEST_TMPDIR/p.out" &
  pusher=$!
  sleep 0.5
  [ ! -s "$BATS_TEST_TMPDIR/p.out" ] # still waiting
  rm "$SPACE/.cckit/push.lock"
  kill "$holder"
  wait "$pusher"
  [ "$(json_field pushed <"$BATS_TEST_TMPDIR/p.out")" = 1 ]
}

@test "watch: a storm of changes (an unpacked archive, 2,500 files in 50 folders) is pushed whole, none missed" {
  start_watch
  mkdir -p "$BATS_TEST_TMPDIR/storm"
  for d in $(seq 1 50); do
    mkdir -p "$BATS_TEST_TMPDIR/storm/d$d"
    for f in $(seq 1 50); do echo "$d/$f" > "$BATS_TEST_TMPDIR/storm/d$d/f$f.md"; done
  done
  tar -C "$BATS_TEST_TMPDIR" -cf "$BATS_TEST_TMPDIR/storm.tar" storm
  tar -C "$SPACE" -xf "$BATS_TEST_TMPDIR/storm.tar"
  for _ in $(seq 1 400); do
    [ "$(pushed_total)" -ge 2502 ] && break
    sleep 0.05
  done
  [ "$(pushed_total)" = 2502 ]
  stop_watch
  [ "$STATUS" = 0 ]
  [ "$(ctx alice push "$SPACE" | json_field unchanged)" = true ]
}

@test "watch: a store that fails for a while is tried again, and the change is pushed once it is back" {
  start_watch
  mv "$STORE/o" "$STORE/o.away" && touch "$STORE/o" # puts fail: not a directory
  echo "while the store is down" > "$SPACE/down.md"
  for _ in $(seq 1 100); do grep -q 'trying again in 1 s' "$ERR" && break; sleep 0.05; done
  grep -q 'warning: /down.md: .*trying again in 1 s' "$ERR"
  rm "$STORE/o" && mv "$STORE/o.away" "$STORE/o"
  wait_lines 2
  [ "$(line 2 | json_field paths)" = '[{"path":"/down.md","change":"new"}]' ]
  stop_watch
  [ "$STATUS" = 0 ]
  run ctx bob pull alice --store "$STORE"
  assert_success
  [ "$(cat "$(pulled_dir bob alice)/down.md")" = "while the store is down" ]
}

@test "watch: a store that rolls this device's head back stops the watch, exit 4, one line" {
  start_watch
  wtag_head=$(find "$STORE/head" -type f | head -1)
  cp "$wtag_head" "$BATS_TEST_TMPDIR/old-head"
  echo "edit" >> "$SPACE/two.md"
  wait_lines 2
  cp "$BATS_TEST_TMPDIR/old-head" "$wtag_head"
  echo "another edit" >> "$SPACE/two.md"
  pid=$(cat "$PIDFILE")
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  STATUS=0
  wait "$WATCH_JOB" || STATUS=$?
  [ "$STATUS" = 4 ]
  [ "$(grep -c error "$ERR")" = 1 ]
  grep -q "this device's log on the store is at 1, the local index at 2" "$ERR"
  ! grep -q '    at ' "$ERR"
}

@test "watch: SIGTERM twice (a process manager's way) still stops it cleanly; Ctrl-C twice stops it at once (130)" {
  start_watch
  pid=$(cat "$PIDFILE")
  kill -TERM "$pid"; kill -TERM "$pid"
  STATUS=0
  wait "$WATCH_JOB" || STATUS=$?
  [ "$STATUS" = 0 ]
  start_watch
  pid=$(cat "$PIDFILE")
  kill -INT "$pid"; kill -INT "$pid"
  STATUS=0
  wait "$WATCH_JOB" || STATUS=$?
  [ "$STATUS" = 0 ] || [ "$STATUS" = 130 ] # the first may already have stopped it
  [ ! -e "$SPACE/.cckit/push.lock" ]
}

@test "watch: bad usage is exit 2 before anything is watched" {
  run -2 ctx alice watch "$BATS_TEST_TMPDIR"
  assert_output --partial "is not a shared space"
  run -2 ctx alice watch "$SPACE" --delay fast
  assert_output --partial "--delay needs a whole number"
  run -2 ctx alice watch "$SPACE" --rescan 100000
  assert_output --partial "--rescan must be at most 86400 (a day)"
  run -2 ctx alice watch "$SPACE" extra
}
