#!/usr/bin/env bash
# Session carry throughput (issue 12): `cc-handoff --carry` → `cc-pickup` of a
# session of MB megabytes between two HOMEs on a HyperDHT testnet on
# 127.0.0.1, against the same session file sealed with `cc-seal --raw` and
# piped into a bare hyperdht stream on the same testnet, in the same run.
# Target: carry <= 1.3x the reference. Both include connecting; the carry
# also packs, hashes, publishes and looks up the record, unpacks and installs.
#
# Usage: bash bench/carry-throughput.sh [MB]     (default 100)
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${1:-100}
# The stub dist/cc-NAME.cjs requires the bundle in dist/main/: check both.
[ -f dist/cc-handoff.cjs ] && [ -f dist/main/cc-handoff.cjs ] && [ -f dist/main/cc-pickup.cjs ] || node build.mjs
work=$(mktemp -d)
tn_pid=
cleanup() { [ -z "$tn_pid" ] || kill -TERM "$tn_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
PATH="$PWD/bin:$PATH"
export CCKIT_NO_TTY=1 CCKIT_TEST_NO_PUBLIC=1 CCKIT_CLAUDE=true

cc-testnet --nodes 8 --hyper --ttl 600 </dev/null >"$work/testnet.json" 2>/dev/null &
tn_pid=$!
for _ in $(seq 1 150); do [ -s "$work/testnet.json" ] && break; sleep 0.1; done
field() { node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8").split("\n")[0])[process.argv[2]])' "$work/testnet.json" "$1"; }
export CCKIT_BOOTSTRAP=$(field bootstrap) CCKIT_HYPER_BOOTSTRAP=$(field hyper_bootstrap)

machine() { local h="$work/$1"; mkdir -p "$h"; chmod 700 "$h"; echo "HOME=$h XDG_CONFIG_HOME=$h/.config XDG_STATE_HOME=$h/.local/state CLAUDE_CONFIG_DIR=$h/.claude"; }
A=$(machine a); B=$(machine b)
env $A cc-key init --no-passphrase >/dev/null
mkdir -p "$work/b/.pubky" && chmod 700 "$work/b/.pubky" && cp -p "$work/a/.pubky/secret_key" "$work/b/.pubky/"
proj="$work/a/app"; mkdir -p "$proj" "$work/b/app"
sid=$(node -e 'console.log(crypto.randomUUID())')
folder="$work/a/.claude/projects/$(printf '%s' "$(cd "$proj" && pwd -P)" | sed 's/[^A-Za-z0-9]/-/g')"
mkdir -p "$folder"
# JSONL lines of incompressible text, about MB * 10^6 bytes.
head -c $((MB * 750000)) /dev/urandom | base64 -w 4000 | sed "s/.*/{\"type\":\"assistant\",\"sessionId\":\"$sid\",\"t\":\"&\"}/" > "$folder/$sid.jsonl"
bytes=$(stat -c %s "$folder/$sid.jsonl")

now() { date +%s.%N; }

# Reference: cc-seal --raw | bare hyperdht stream.
t0=$(now)
got=$(env $A cc-seal --raw < "$folder/$sid.jsonl" | node bench/bare-hyper-pipe.mjs "$CCKIT_HYPER_BOOTSTRAP")
t1=$(now)
[ "$got" -gt "$bytes" ] || { echo "carry-throughput: the reference moved $got bytes" >&2; exit 1; }

# Carry: publish + serve on A, pick up on B.
t2=$(now)
# With CCKIT_TRACE=1 every process of both sides prints its phases on one clock (ms from here).
ns=${t2#*.}; export CCKIT_TRACE_T0=${t2%.*}${ns:0:3}   # in the shell: no process inside the timed part
(cd "$proj" && env $A cc-handoff --carry --ttl 600 </dev/null >"$work/serve.out" 2>"$work/serve.err") &
serve=$!
for _ in $(seq 1 600); do grep -q 'cc-pickup pk:' "$work/serve.out" 2>/dev/null && break; sleep 0.02; done
t_ready=$(now)
env $B cc-pickup -y --wait 20 --cwd "$work/b/app" >/dev/null 2>"$work/pickup.err" || { cat "$work/serve.err" "$work/pickup.err" >&2; exit 1; }
t3=$(now)
wait "$serve"
cmp -s "$folder/$sid.jsonl" "$work/b/.claude/projects/$(printf '%s' "$(cd "$work/b/app" && pwd -P)" | sed 's/[^A-Za-z0-9]/-/g')/$sid.jsonl" || { echo "carry-throughput: the carried session differs" >&2; exit 1; }

node -e '
const [b, t0, t1, t2, t3] = process.argv.slice(1).map(Number);
const ref = t1 - t0, carry = t3 - t2;
const mbs = (t) => (b / 1e6 / t).toFixed(0);
const ready = Number(process.argv[6]) - t2;
console.log(`(publisher ready after ${ready.toFixed(2)} s: start, find the session, pack, seal, publish; pickup ${(carry - ready).toFixed(2)} s: look up, open, fetch while unpacking, install, resume)`);
console.log(`carry ${(b / 1e6).toFixed(0)} MB: ${carry.toFixed(2)} s (${mbs(carry)} MB/s) vs cc-seal --raw | bare hyperdht stream ${ref.toFixed(2)} s (${mbs(ref)} MB/s): ${(carry / ref).toFixed(2)}x (target <= 1.3x)`);
 ' "$bytes" "$t0" "$t1" "$t2" "$t3" "$t_ready"
if [ "${CCKIT_TRACE:-}" = 1 ]; then
  echo "trace (ms since the carry started; A = publisher, B = picker):"
  { sed -n 's/^\(cc-[a-z-]*\): trace: \(.*\) \([0-9-]*\)$/\3 A \1: \2/p' "$work/serve.err"
    sed -n 's/^\(cc-[a-z-]*\): trace: \(.*\) \([0-9-]*\)$/\3 B \1: \2/p' "$work/pickup.err"; } | sort -n | sed 's/^/  /'
fi
