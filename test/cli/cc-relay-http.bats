#!/usr/bin/env bats
# cc-relay serve --http: device tokens, the direct-connect API driven by
# Claude Code's own client (the Agent SDK's DirectConnectTransport) against
# the real claude CLI on the fake Messages API — all on 127.0.0.1.
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

http_url() { json_field http <"$RELAY_OUT"; }

dc_client() {
  ( cd "$ROOT" && timeout 90 node --experimental-websocket --no-warnings test/helpers/direct-connect-client.mjs "$@" )
}

@test "token add prints a URL with the token in the fragment and a cc:// URL; the QR decodes; stored hashed; rm revokes" {
  run cc-relay token add phone --allow view,approve --url http://127.0.0.1:9999 --qr-png "$BATS_TEST_TMPDIR/qr.png"
  assert_success
  url=$(echo "$output" | json_field url)
  [[ "$url" =~ ^http://127\.0\.0\.1:9999/#token=[A-Za-z0-9_-]{43}$ ]]
  tok=${url#*#token=}
  [ "$(echo "$output" | json_field cc_url)" = "cc://127.0.0.1:9999/$tok" ]
  [ "$(zbarimg --nodbus -q --raw "$BATS_TEST_TMPDIR/qr.png")" = "$url" ]
  f="$XDG_STATE_HOME/cckit/relay/tokens.json"
  [ "$(stat -c %a "$f")" = 600 ]
  ! grep -q "$tok" "$f"
  grep -q "$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)" "$f"
  run cc-relay token list
  [ "$(echo "$output" | json_field name)" = phone ]
  run --separate-stderr cc-relay token add phone --allow view
  [ "$status" -eq 1 ]
  run --separate-stderr cc-relay token add laptop --allow view,root
  [ "$status" -eq 2 ]
  assert_one_error cc-relay
  run cc-relay token rm phone
  assert_success
  run --separate-stderr cc-relay token rm phone
  [ "$status" -eq 3 ]
}

@test "direct connect: Claude Code's client creates a session, its message reaches claude, the answer comes back; a wrong token is refused" {
  printf '[{"text":"hello over cc://"}]' >"$BATS_TEST_TMPDIR/script.json"
  fake_api_start --script "$BATS_TEST_TMPDIR/script.json"
  relay_start --no-hyper --http 127.0.0.1:0
  port=$(http_url | sed 's/.*://')
  tok=$(cc-relay token add cli --allow view,send,approve,spawn | json_field cc_url | sed 's|.*/||')
  CC_URL="cc://127.0.0.1:$port/$tok" run dc_client "$PROJ" "hi from the sdk"
  assert_success
  [[ "$output" == *'"type":"result"'* ]]
  [[ "$output" == *'hello over cc://'* ]]
  S=$(echo "${lines[0]}" | json_field session_id)
  [ "$(echo "${lines[0]}" | json_field work_dir)" = "$(realpath "$PROJ")" ]
  # The host's log has it, with who sent it.
  cc-relay tail - "$S" | grep -q '"kind":"input","who":"cli"'
  fake_api_turns -1 | grep -q "hi from the sdk"
  # A wrong token: refused before any session exists.
  CC_URL="cc://127.0.0.1:$port/not-the-token" run dc_client "$PROJ" "let me in"
  [ "$status" -eq 1 ]
  [[ "$output" == *"401"* ]]
  [ "$(cc-relay list - | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).sessions.length)')" -eq 1 ]
}

@test "direct connect: a permission request reaches Claude Code's client; allowed there, the file is written" {
  printf '%s' "[{\"tool\":\"Write\",\"input\":{\"file_path\":\"$PROJ/dc.txt\",\"content\":\"via cc\\n\"}},{\"text\":\"written\"}]" >"$BATS_TEST_TMPDIR/script.json"
  fake_api_start --script "$BATS_TEST_TMPDIR/script.json"
  relay_start --no-hyper --http 127.0.0.1:0
  port=$(http_url | sed 's/.*://')
  tok=$(cc-relay token add cli --allow view,send,approve,spawn | json_field cc_url | sed 's|.*/||')
  CC_URL="cc://127.0.0.1:$port/$tok" run dc_client "$PROJ" "write it" allow
  assert_success
  [[ "$output" == *'"subtype":"can_use_tool"'* ]]
  [ "$(cat "$PROJ/dc.txt")" = "via cc" ]
}

@test "http: a view-only token cannot create sessions; a revoked token is refused" {
  fake_api_start
  relay_start --no-hyper --http 127.0.0.1:0
  base=$(http_url)
  view=$(cc-relay token add viewer --allow view | json_field url | sed 's|.*#token=||')
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $view" -d "{\"cwd\":\"$PROJ\"}" "$base/sessions")
  [ "$code" = 403 ]
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $view" "$base/sessions")
  [ "$code" = 200 ]
  cc-relay token rm viewer >/dev/null
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $view" "$base/sessions")
  [ "$code" = 401 ]
  code=$(curl -s -o /dev/null -w '%{http_code}' "$base/sessions")
  [ "$code" = 401 ]
  # The page itself holds nothing secret and sets a strict CSP.
  run curl -s -D - "$base/"
  [[ "$output" == *"content-security-policy: default-src 'none'; script-src 'sha256-"* ]]
}

@test "http: a non-loopback address without TLS warns (and --tls-cert needs its key)" {
  run --separate-stderr cc-relay serve --no-hyper --http 127.0.0.1:0 --tls-cert /nonexistent
  [ "$status" -eq 2 ]
  assert_one_error cc-relay
  # 192.0.2.1 (TEST-NET-1) is not on this machine: the warning comes first, then the bind fails.
  # Nothing is ever bound outside loopback.
  run --separate-stderr cc-relay serve --no-hyper --http 192.0.2.1:0
  [ "$status" -eq 1 ]
  [[ "${stderr_lines[0]}" == "cc-relay: warning: --http 192.0.2.1:0 is not a loopback address and has no TLS"* ]]
  [[ "$stderr" == *"cc-relay: error: cannot listen on 192.0.2.1:0"* ]]
}
