#!/usr/bin/env bats
# cc-relay hosting the REAL Claude Code CLI, driven offline by the fake
# Messages API on 127.0.0.1 (test/helpers/fake-anthropic.mjs --script), with
# the plumbing clients on the local unix socket (PEER '-').
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/claude
load ../helpers/relay

setup() {
  setup_home
  PROJ="$BATS_TEST_TMPDIR/proj"
  mkdir -p "$PROJ"
}

teardown() {
  relay_stop
  fake_api_stop
}

script() { printf '%s' "$1" >"$BATS_TEST_TMPDIR/script.json"; fake_api_start --script "$BATS_TEST_TMPDIR/script.json"; }

@test "relay + real claude: a turn with text; events gapless from 1; cost and tokens in info" {
  script '[{"text":"hello from the fake"}]'
  relay_start
  S=$(relay_spawn "$PROJ")
  run cc-relay send - "$S" <<<"hi there"
  assert_success
  [ "$(echo "$output" | json_field duplicate)" = false ]
  relay_wait "$S" 'e.kind==="claude" && e.msg.type==="result"' >/dev/null
  run cc-relay tail - "$S"
  assert_success
  [[ "$output" == *'"text":"hello from the fake"'* ]]
  # seq 1..N without gaps
  echo "$output" | node -e 'const s=require("fs").readFileSync(0,"utf8").trim().split("\n").map(l=>JSON.parse(l).seq);s.forEach((v,i)=>{if(v!==i+1)process.exit(1)})'
  run cc-relay info - "$S"
  assert_success
  [ "$(echo "$output" | json_field state)" = idle ]
  node -e 'const i=JSON.parse(process.argv[1]); if(!(i.cost_usd>0) || !(i.usage.output_tokens>0)) process.exit(1)' "$output"
  # The log is on disk, 0600, in the state dir.
  [ "$(stat -c %a "$XDG_STATE_HOME/cckit/relay/$S.ndjson")" = 600 ]
  [ "$(stat -c %a "$XDG_STATE_HOME/cckit/relay/relay.sock")" = 600 ]
}

@test "relay + real claude: a Write approved remotely writes the file; a second decision is refused" {
  script "[{\"tool\":\"Write\",\"input\":{\"file_path\":\"$PROJ/out.txt\",\"content\":\"approved\\n\"}},{\"text\":\"done\"}]"
  relay_start
  S=$(relay_spawn "$PROJ")
  cc-relay send - "$S" <<<"write the file" >/dev/null
  perm=$(relay_wait "$S" 'e.kind==="permission"')
  [ "$(echo "$perm" | json_field tool)" = Write ]
  R=$(echo "$perm" | json_field request_id)
  # Pending shows in info (a client that reconnects sees it).
  run cc-relay info - "$S"
  [ "$(echo "$output" | json_field pending.0.request_id)" = "$R" ]
  [ ! -e "$PROJ/out.txt" ]
  run cc-relay decide - "$S" "$R" allow
  assert_success
  relay_wait "$S" 'e.kind==="claude" && e.msg.type==="result"' >/dev/null
  [ "$(cat "$PROJ/out.txt")" = approved ]
  run cc-relay tail - "$S"
  [[ "$output" == *'"kind":"decision","request_id":"'"$R"'","behavior":"allow","who":"local"'* ]]
  run --separate-stderr cc-relay decide - "$S" "$R" deny
  [ "$status" -eq 1 ]
  assert_one_error cc-relay
  [[ "$stderr" == *"already decided by local"* ]]
}

@test "relay + real claude: a Write denied remotely is not written and claude hears why" {
  script "[{\"tool\":\"Write\",\"input\":{\"file_path\":\"$PROJ/no.txt\",\"content\":\"x\"}},{\"text\":\"ok, not writing\"}]"
  relay_start
  S=$(relay_spawn "$PROJ")
  cc-relay send - "$S" <<<"write it" >/dev/null
  R=$(relay_wait "$S" 'e.kind==="permission"' | json_field request_id)
  run cc-relay decide - "$S" "$R" deny --message "not on my watch"
  assert_success
  relay_wait "$S" 'e.kind==="claude" && e.msg.type==="result"' >/dev/null
  [ ! -e "$PROJ/no.txt" ]
  # The tool result claude got carries the message.
  relay_wait "$S" 'e.kind==="claude" && JSON.stringify(e.msg).includes("not on my watch") && e.msg.type==="user"' >/dev/null
}

@test "relay + real claude: interrupt mid-turn uses the control request; the same claude answers the next turn" {
  script '[{"hang":true}]'
  relay_start
  S=$(relay_spawn "$PROJ")
  cc-relay send - "$S" <<<"think long" >/dev/null
  # The turn is under way once the fake API holds claude's request open.
  for i in $(seq 1 300); do [ "$(fake_api_count)" -ge 1 ] && break; sleep 0.1; done
  [ "$(fake_api_count)" -ge 1 ]
  pid=$(pgrep -f -- "--session-id $S" | head -1)
  [ -n "$pid" ]
  run cc-relay interrupt - "$S"
  assert_success
  relay_wait "$S" 'e.kind==="claude" && e.msg.type==="result" && e.msg.is_error' >/dev/null
  cc-relay send - "$S" <<<"and now?" >/dev/null
  relay_wait "$S" 'e.kind==="claude" && e.msg.type==="result" && e.msg.result && e.msg.result.startsWith("REPLY")' >/dev/null
  # Same process: not killed, not restarted.
  [ "$(pgrep -f -- "--session-id $S" | head -1)" = "$pid" ]
  run cc-relay tail - "$S"
  [[ "$output" != *'"state":"exited"'* ]]
}

@test "relay + real claude: a send repeated with its localId (lost ack) is applied once" {
  script '[{"text":"one"},{"text":"two"}]'
  relay_start
  S=$(relay_spawn "$PROJ")
  run cc-relay send - "$S" --local-id retry-1 <<<"only once"
  assert_success
  seq1=$(echo "$output" | json_field seq)
  relay_wait "$S" 'e.kind==="claude" && e.msg.type==="result"' >/dev/null
  run cc-relay send - "$S" --local-id retry-1 <<<"only once"
  assert_success
  [ "$(echo "$output" | json_field duplicate)" = true ]
  [ "$(echo "$output" | json_field seq)" = "$seq1" ]
  sleep 0.5
  [ "$(cc-relay tail - "$S" | grep -c '"kind":"input"')" -eq 1 ]
  [ "$(cc-relay tail - "$S" | grep -c '"type":"result"')" -eq 1 ]
}

@test "relay + real claude: a server restart keeps every log; the next send resumes the same session" {
  script '[{"text":"before restart"},{"text":"after restart"}]'
  relay_start
  S=$(relay_spawn "$PROJ")
  cc-relay send - "$S" <<<"first" >/dev/null
  relay_wait "$S" 'e.kind==="claude" && e.msg.type==="result"' >/dev/null
  before=$(cc-relay tail - "$S")
  relay_stop
  # SIGTERM stopped claude and logged it; the socket is gone.
  [ ! -e "$XDG_STATE_HOME/cckit/relay/relay.sock" ]
  tail -n1 "$XDG_STATE_HOME/cckit/relay/$S.ndjson" | grep -q '"state":"exited"'
  relay_start
  run cc-relay list -
  assert_success
  [ "$(echo "$output" | json_field sessions.0.session)" = "$S" ]
  [ "$(echo "$output" | json_field sessions.0.state)" = exited ]
  run cc-relay tail - "$S"
  [[ "$output" == "$before"* ]]
  cc-relay send - "$S" <<<"second" >/dev/null
  relay_wait "$S" 'e.kind==="claude" && e.msg.type==="result" && e.msg.result==="after restart"' >/dev/null
  # claude resumed the same conversation: the second request carried the first turn.
  fake_api_turns -1 | grep -q "first"
}

@test "relay + real claude: spawn --resume adopts a session started as plain claude" {
  script '[{"text":"first in terminal"},{"text":"now via relay"}]'
  SID=44444444-4444-4444-8444-444444444444
  claude_in "$PROJ" -p "started here" --session-id "$SID" >/dev/null
  relay_start
  run cc-relay spawn - --resume "$SID"
  assert_success
  [ "$(echo "$output" | json_field session)" = "$SID" ]
  [ "$(echo "$output" | json_field cwd)" = "$(realpath "$PROJ")" ]
  cc-relay send - "$SID" <<<"continue" >/dev/null
  relay_wait "$SID" 'e.kind==="claude" && e.msg.type==="result" && e.msg.result==="now via relay"' >/dev/null
  fake_api_turns -1 | grep -q "started here"
}

@test "relay: a client killed mid-stream resumes with --since and sees every event exactly once" {
  script '[{"text":"a"},{"text":"b"},{"text":"c"}]'
  relay_start
  S=$(relay_spawn "$PROJ")
  cc-relay tail - "$S" --follow >"$BATS_TEST_TMPDIR/part1" 2>/dev/null 3>&- &
  tp=$!
  cc-relay send - "$S" <<<"one" >/dev/null
  relay_wait "$S" 'e.kind==="claude" && e.msg.type==="result"' >/dev/null
  sleep 0.3
  kill -9 "$tp"; wait "$tp" 2>/dev/null || true
  last=$(tail -n1 "$BATS_TEST_TMPDIR/part1" | json_field seq)
  [ "$last" -gt 3 ]
  cc-relay send - "$S" <<<"two" >/dev/null
  relay_wait "$S" 'e.kind==="input" && e.content==="two"' >/dev/null
  relay_wait "$S" 'e.kind==="claude" && e.msg.type==="result" && e.msg.result==="b"' >/dev/null
  cc-relay tail - "$S" --since "$last" >"$BATS_TEST_TMPDIR/part2"
  cat "$BATS_TEST_TMPDIR/part1" "$BATS_TEST_TMPDIR/part2" | node -e '
    const s=require("fs").readFileSync(0,"utf8").trim().split("\n").map(l=>JSON.parse(l).seq);
    s.forEach((v,i)=>{ if(v!==i+1){ console.error("at",i,"got",v); process.exit(1);} })'
  [ "$(cat "$BATS_TEST_TMPDIR/part1" "$BATS_TEST_TMPDIR/part2" | wc -l)" -eq "$(cc-relay tail - "$S" | wc -l)" ]
}

@test "relay: --root-dir refuses DIR-secret and a symlink that leaves DIR" {
  mkdir -p "$BATS_TEST_TMPDIR/root/ok" "$BATS_TEST_TMPDIR/root-secret" "$BATS_TEST_TMPDIR/elsewhere"
  ln -s "$BATS_TEST_TMPDIR/elsewhere" "$BATS_TEST_TMPDIR/root/escape"
  fake_api_start
  relay_start --root-dir "$BATS_TEST_TMPDIR/root"
  run --separate-stderr cc-relay spawn - --cwd "$BATS_TEST_TMPDIR/root-secret"
  [ "$status" -eq 4 ]
  assert_one_error cc-relay
  [[ "$stderr" == *"outside the server's root directory"* ]]
  run --separate-stderr cc-relay spawn - --cwd "$BATS_TEST_TMPDIR/root/escape"
  [ "$status" -eq 4 ]
  run --separate-stderr cc-relay spawn - --cwd "$BATS_TEST_TMPDIR/root/ok/../../root-secret"
  [ "$status" -eq 4 ]
  run cc-relay spawn - --cwd "$BATS_TEST_TMPDIR/root/ok"
  assert_success
  [ "$(ls "$XDG_STATE_HOME/cckit/relay/"*.json | wc -l)" -eq 1 ]
}
