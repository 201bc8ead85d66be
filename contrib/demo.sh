#!/usr/bin/env bash
# The README's first command: install, start a private Mainline DHT on
# 127.0.0.1, make two simulated machines (two HOMEs), hand a Claude Code
# session off on one and pick it up on the other — first between two machines
# sharing one key, then (after pairing with a one-time code) to a colleague's
# own key by name, and share a context folder with that colleague through a
# store that only ever sees ciphertext (and keep it pushed as it changes).
# Nothing here touches the public DHT or any address but loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/cc-handoff.cjs ] || node build.mjs
# Bold headings only on a terminal, and never with NO_COLOR.
if [ -t 1 ] && [ -z "${NO_COLOR+x}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
export PATH="$PWD/bin:$PATH" NO_COLOR=1
unset CCKIT_KEY_FILE CCKIT_PASSPHRASE CCKIT_CONFIG_DIR CCKIT_STATE_DIR CCKIT_RELAYS

work=$(mktemp -d "${TMPDIR:-/tmp}/cckit-demo.XXXXXX")
testnet_pid=""
pair_pid="" relay_pid="" api_pid="" watch_pid=""
cleanup() {
  # Each server is asked to stop (SIGTERM) and waited for; none outlives the demo.
  for pid in "$watch_pid" "$relay_pid" "$api_pid" "$pair_pid" "$testnet_pid"; do
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
exec 9>&2
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
# Run a command "on" a simulated machine: its own HOME, Claude dir and config.
on() {
  printf '%s$ %s\n' "$1" "${*:2}" >&2
  quietly_on "$@"
}
# The same without showing the command (for polling loops).
quietly_on() {
  local m="$1"; shift
  HOME="$work/$m" XDG_CONFIG_HOME="$work/$m/.config" XDG_STATE_HOME="$work/$m/.local/state" \
    CLAUDE_CONFIG_DIR="$work/$m/.claude" "$@"
}
# A server on a simulated machine, in the background: exec, so that $! is the
# server itself and cleanup's SIGTERM reaches it, not a shell around it.
serve_on() {
  local m="$1"; shift
  printf '%s$ %s &\n' "$m" "$*" >&9 # the demo's own stderr: the caller redirects the server's
  ( export HOME="$work/$m" XDG_CONFIG_HOME="$work/$m/.config" XDG_STATE_HOME="$work/$m/.local/state" \
      CLAUDE_CONFIG_DIR="$work/$m/.claude"; exec "$@" ) &
}

say "A private Mainline DHT (20 bittorrent-dht nodes) and a HyperDHT testnet, on 127.0.0.1"
cc-testnet --nodes 20 --hyper --ttl 600 > "$work/testnet.json" &
testnet_pid=$!
for _ in $(seq 100); do [ -s "$work/testnet.json" ] && break; sleep 0.1; done
[ -s "$work/testnet.json" ] || { echo "demo: the testnet did not start" >&2; exit 1; }
testnet_field() { node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8").split("\n")[0])[process.argv[2]])' "$work/testnet.json" "$1"; }
CCKIT_BOOTSTRAP=$(testnet_field bootstrap)
CCKIT_HYPER_BOOTSTRAP=$(testnet_field hyper_bootstrap)
export CCKIT_BOOTSTRAP CCKIT_HYPER_BOOTSTRAP
echo "bootstrap: $CCKIT_BOOTSTRAP (HyperDHT: $CCKIT_HYPER_BOOTSTRAP)"

say "Machine A (desktop): an identity and a Claude Code session in ~/app"
mkdir -p "$work/desktop/app" "$work/laptop/app"
on desktop cc-key init --no-passphrase
project=$(cd "$work/desktop/app" && pwd -P)
slug=$(printf '%s' "$project" | sed 's/[^A-Za-z0-9]/-/g')
session=0b6f9d2e-5a4c-4e0b-9a53-2f7f2c1b8e11
mkdir -p "$work/desktop/.claude/projects/$slug"
printf '{"type":"user","sessionId":"%s","cwd":"%s","message":{"role":"user","content":"hello"}}\n' \
  "$session" "$project" > "$work/desktop/.claude/projects/$slug/$session.jsonl"
(cd "$work/desktop/app" && on desktop cc-session)

say "Machine B (laptop): the same key, and ~/.claude synced (as Syncthing or rsync would)"
mkdir -p "$work/laptop/.pubky" && chmod 700 "$work/laptop/.pubky"
cp -p "$work/desktop/.pubky/secret_key" "$work/laptop/.pubky/secret_key"
cp -R "$work/desktop/.claude" "$work/laptop/.claude"
# The laptop keeps the project at the same path here; cc-resume falls back to
# the session's recorded cwd when the payload's path does not exist.

say "A: hand off (cc-session | cc-seal | cc-dht-put)"
(cd "$work/desktop/app" && on desktop cc-handoff --ttl 3600)

say "B: pick up (cc-dht-get | cc-open | cc-resume), printing the claude command it would run"
on laptop cc-pickup --print --json --wait 20

say "Machine C (a colleague with a key of their own) pairs with A: A shows a one-time code, C types it"
on colleague cc-key init --no-passphrase
desktop=$(on desktop cc-key whoami | node -pe 'JSON.parse(require("fs").readFileSync(0,"utf8")).pubkey')
# The inviter shows the code on its terminal (stderr here); the joiner reads it
# from the terminal, CCKIT_PAIR_CODE or stdin — never from argv.
serve_on desktop cc-pair code --name carol --ttl 120 </dev/null >"$work/pair-desktop.json" 2>"$work/pair-desktop.err"
pair_pid=$!
for _ in $(seq 200); do grep -q '^Pairing code: ' "$work/pair-desktop.err" && break; kill -0 "$pair_pid" 2>/dev/null || break; sleep 0.1; done
code=$(sed -n 's/^Pairing code: //p' "$work/pair-desktop.err" | head -1)
[ -n "$code" ] || { cat "$work/pair-desktop.err" >&2; echo "demo: no pairing code" >&2; exit 1; }
echo "desktop shows: $code"
CCKIT_PAIR_CODE="$code" on colleague cc-pair join --name desk
wait "$pair_pid"
pair_pid=""
on desktop cc-pair list

say "A hands off to the paired name: --share encrypts to carol's key only"
cp -R "$work/desktop/.claude" "$work/colleague/.claude"
(cd "$work/desktop/app" && on desktop cc-handoff --share carol)
on colleague cc-pickup desk --print --json --wait 20
echo
echo "B can no longer open it (encrypted to C's key only):"
if on laptop cc-pickup "$desktop" --print --wait 5; then echo "demo: unexpected success" >&2; exit 1; fi

say "A shares a context folder with carol through a store that sees only ciphertext"
mkdir -p "$work/desktop/ctx" "$work/store"
printf '# Team notes\nUse pnpm, not npm.\n' > "$work/desktop/ctx/CLAUDE.md"
on desktop cc-context share "$work/desktop/ctx" --with carol --read-only --store "$work/store"
echo "the store holds no file name and no clear text:"
if grep -rq -e 'CLAUDE' -e 'pnpm' "$work/store"; then echo "demo: clear text in the store" >&2; exit 1; fi
echo "  (grep for 'CLAUDE' and 'pnpm' in the store: nothing)"
on colleague cc-context pull desk --store "$work/store" --into "$work/colleague/from-desk"
cat "$work/colleague/from-desk/CLAUDE.md"

say "A keeps the folder pushed as it changes (cc-context watch, inotify); C pulls the edit"
serve_on desktop cc-context watch "$work/desktop/ctx" > "$work/watch.out" 2>&1
watch_pid=$!
for _ in $(seq 1 100); do [ -s "$work/watch.out" ] && break; sleep 0.1; done
printf 'Run the tests with: pnpm test\n' >> "$work/desktop/ctx/CLAUDE.md"
for _ in $(seq 1 100); do [ "$(wc -l < "$work/watch.out")" -ge 2 ] && break; sleep 0.1; done
[ "$(wc -l < "$work/watch.out")" -ge 2 ] || { echo "demo: the watch did not push the edit" >&2; cat "$work/watch.out" >&2; exit 1; }
sed -n 2p "$work/watch.out"
kill "$watch_pid" && wait "$watch_pid"
watch_pid=""
on colleague cc-context pull desk
cat "$work/colleague/from-desk/CLAUDE.md"

say "Remote control: A hosts a session of the real Claude Code CLI (an offline, scripted model stands in for the API); C steers it over HyperDHT"
# The model's script: write a file (a tool call that needs permission), then say so.
printf '[{"tool":"Write","input":{"file_path":"%s","content":"hello from carol\\n"}},{"text":"wrote hello.txt"}]' \
  "$project/hello.txt" > "$work/script.json"
node test/helpers/fake-anthropic.mjs --timeout 240 --script "$work/script.json" > "$work/api.port" &
api_pid=$!
for _ in $(seq 100); do [ -s "$work/api.port" ] && break; sleep 0.1; done
[ -s "$work/api.port" ] || { echo "demo: the offline model did not start" >&2; exit 1; }
on desktop cc-pair allow carol view,send,approve
ANTHROPIC_BASE_URL="http://127.0.0.1:$(head -n1 "$work/api.port")" ANTHROPIC_API_KEY=demo-offline CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
  CCKIT_CLAUDE="$PWD/node_modules/.bin/claude" serve_on desktop cc-relay serve </dev/null >"$work/relay.out" 2>"$work/relay.err"
relay_pid=$!
for _ in $(seq 150); do [ -s "$work/relay.out" ] && break; kill -0 "$relay_pid" 2>/dev/null || break; sleep 0.1; done
[ -s "$work/relay.out" ] || { cat "$work/relay.err" >&2; echo "demo: cc-relay serve did not start" >&2; exit 1; }
session=$(on desktop cc-relay spawn - --cwd "$project" | node -pe 'JSON.parse(require("fs").readFileSync(0,"utf8")).session')
echo "desktop hosts session $session"
echo 'please write hello.txt' | on colleague cc-relay send desk "$session"
# Wait (bounded) for an event in the session's log, as C sees it over HyperDHT.
relay_event() {
  local js="$1" ev
  for _ in $(seq 120); do
    ev=$(quietly_on colleague cc-relay tail desk "$session" 2>/dev/null | node -e '
      const test = new Function("e", "return (" + process.argv[1] + ")");
      const hit = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((e) => { try { return test(e); } catch { return false; } });
      if (!hit) process.exit(1);
      process.stdout.write(JSON.stringify(hit));' "$js") && { echo "$ev"; return 0; }
    sleep 0.5
  done
  echo "demo: no event matching $js" >&2
  return 1
}
request=$(relay_event 'e.kind==="permission"' | node -pe 'const e=JSON.parse(require("fs").readFileSync(0,"utf8")); console.error("claude asks to use " + e.tool + " on " + e.input.file_path); e.request_id')
on colleague cc-relay decide desk "$session" "$request" allow
relay_event 'e.kind==="claude" && e.msg.type==="result"' >/dev/null
echo "desktop's file, written after carol approved from her machine:"
cat "$project/hello.txt"
on colleague cc-relay info desk "$session"

say "Done: the handoff crossed a real (private) DHT, signed, encrypted and verified; pairing, remote control and context sharing needed no server of ours."
