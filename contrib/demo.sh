#!/usr/bin/env bash
# The README's first command: install, start a private Mainline DHT on
# 127.0.0.1, make two simulated machines (two HOMEs), hand a Claude Code
# session off on one and pick it up on the other — first between two machines
# sharing one key, then to a colleague's own key with --share.
# Nothing here touches the public DHT or any address but loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/cc-handoff.js ] || node build.mjs
# Bold headings only on a terminal, and never with NO_COLOR.
if [ -t 1 ] && [ -z "${NO_COLOR+x}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
export PATH="$PWD/bin:$PATH" NO_COLOR=1
unset CCKIT_KEY_FILE CCKIT_PASSPHRASE CCKIT_CONFIG_DIR CCKIT_STATE_DIR CCKIT_RELAYS

work=$(mktemp -d "${TMPDIR:-/tmp}/cckit-demo.XXXXXX")
testnet_pid=""
cleanup() {
  [ -n "$testnet_pid" ] && kill "$testnet_pid" 2>/dev/null && wait "$testnet_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
# Run a command "on" a simulated machine: its own HOME, Claude dir and config.
on() {
  local m="$1"; shift
  printf '%s$ %s\n' "$m" "$*" >&2
  HOME="$work/$m" XDG_CONFIG_HOME="$work/$m/.config" XDG_STATE_HOME="$work/$m/.local/state" \
    CLAUDE_CONFIG_DIR="$work/$m/.claude" "$@"
}

say "A private Mainline DHT: 20 bittorrent-dht nodes on 127.0.0.1"
cc-testnet --nodes 20 --ttl 600 > "$work/testnet.json" &
testnet_pid=$!
for _ in $(seq 100); do [ -s "$work/testnet.json" ] && break; sleep 0.1; done
[ -s "$work/testnet.json" ] || { echo "demo: the testnet did not start" >&2; exit 1; }
CCKIT_BOOTSTRAP=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8").split("\n")[0]).bootstrap)' "$work/testnet.json")
export CCKIT_BOOTSTRAP
echo "bootstrap: $CCKIT_BOOTSTRAP"

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

say "Machine C (a colleague with a key of their own): --share encrypts to their key only"
on colleague cc-key init --no-passphrase
colleague=$(on colleague cc-key whoami | node -pe 'JSON.parse(require("fs").readFileSync(0,"utf8")).pubkey')
desktop=$(on desktop cc-key whoami | node -pe 'JSON.parse(require("fs").readFileSync(0,"utf8")).pubkey')
cp -R "$work/desktop/.claude" "$work/colleague/.claude"
(cd "$work/desktop/app" && on desktop cc-handoff --share "$colleague")
on colleague cc-pickup "$desktop" --print --json --wait 20
echo
echo "B can no longer open it (encrypted to C's key only):"
if on laptop cc-pickup "$desktop" --print --wait 5; then echo "demo: unexpected success" >&2; exit 1; fi

say "Done: the handoff crossed a real (private) DHT, signed, encrypted and verified."
