#!/usr/bin/env bats
# The phone page in headless Chromium (Debian `chromium`, driven by
# playwright-core) against cc-relay serve --http on 127.0.0.1 hosting the real
# claude on the fake Messages API. Screenshots are kept as test artifacts in
# test/artifacts/phone/ (look at them).
bats_require_minimum_version 1.5.0
load helpers
load ../helpers/claude
load ../helpers/relay

setup() {
  command -v chromium >/dev/null || skip "Debian chromium is not installed (test/install-deps.sh)"
  setup_home
  PROJ="$BATS_TEST_TMPDIR/proj"
  mkdir -p "$PROJ"
}

teardown() {
  relay_stop
  fake_api_stop
}

@test "phone page: load with a token, see the session needing you, approve, send, reload and resume" {
  printf '%s' "[{\"tool\":\"Bash\",\"input\":{\"command\":\"echo from-phone > $PROJ/phone.txt\",\"description\":\"write a file\"}},{\"text\":\"bash ran\"}]" >"$BATS_TEST_TMPDIR/script.json"
  fake_api_start --script "$BATS_TEST_TMPDIR/script.json"
  relay_start --no-hyper --http 127.0.0.1:0
  base=$(json_field http <"$RELAY_OUT")
  S=$(relay_spawn "$PROJ")
  cc-relay send - "$S" <<<"run the command" >/dev/null
  relay_wait "$S" 'e.kind==="permission"' >/dev/null
  shots="$ROOT/test/artifacts/phone"
  rm -rf "$shots"; mkdir -p "$shots"
  PHONE_URL=$(cc-relay token add phone --allow view,send,approve --url "$base" | json_field url) \
    SHOTS_DIR="$shots" run bash -c "cd '$ROOT' && node test/helpers/phone-page.mjs 'hello from the phone'"
  echo "$output"
  assert_success
  [[ "$output" == *"echo from-phone > $PROJ/phone.txt"* ]]
  [ "$(cat "$PROJ/phone.txt")" = from-phone ]
  cc-relay tail - "$S" | grep -q '"kind":"decision".*"behavior":"allow","who":"phone"'
  cc-relay tail - "$S" | grep -q '"kind":"input","who":"phone".*"content":"hello from the phone"'
  cc-relay tail - "$S" | grep -q '"kind":"lease","who":"phone".*"taken_from":"local"'
  [ -s "$shots/06-reload-resume.png" ]
}

@test "phone page: a revoked token gets no session data" {
  fake_api_start
  relay_start --no-hyper --http 127.0.0.1:0
  base=$(json_field http <"$RELAY_OUT")
  tok=$(cc-relay token add gone --allow view | json_field url | sed 's|.*#token=||')
  cc-relay token rm gone >/dev/null
  # The WebSocket API closes with 4401 on a bad token and sends nothing first.
  run bash -c "cd '$ROOT' && node -e '
    const { WebSocket } = require(\"ws\");
    const ws = new WebSocket(process.argv[1].replace(\"http\", \"ws\") + \"/api/ws\");
    const got = [];
    ws.on(\"open\", () => ws.send(JSON.stringify({ op: \"auth\", token: process.argv[2] })));
    ws.on(\"message\", (m) => got.push(String(m)));
    ws.on(\"close\", (code) => { console.log(code, got.length); process.exit(0); });
    setTimeout(() => process.exit(3), 10000);' '$base' '$tok'"
  assert_success
  assert_output "4401 0"
}
