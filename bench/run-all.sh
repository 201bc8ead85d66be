#!/usr/bin/env bash
# Every benchmark, each printing its figure as a ratio to a reference
# measured in the same run (these machines are noisy; absolute times are not
# comparable between runs). `make bench` runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cc-key.cjs ] || node build.mjs
echo "== start-up: every plumbing --version, cc-key whoami, cc-seal, cc-open vs node -e 0 (target <= 1.3x)"
node bench/startup.mjs "${STARTUP_RUNS:-30}"
echo
echo "== one unlock per action: cc-pickup --print, encrypted key vs plaintext key (target <= 1.2x)"
node bench/unlock-once.mjs "${UNLOCK_RUNS:-7}"
echo
echo "== session discovery: cc-session / cc-resume --print on a large history vs node -e 0"
node bench/session-discovery.mjs
echo
echo "== raw throughput: cc-seal --raw vs age -r on ${RAW_MIB:-256} MiB (target >= 0.3x)"
bash bench/raw-throughput.sh "${RAW_MIB:-256}"
echo
echo "== DHT: publish and resolve on a 50-node local testnet vs a bare bittorrent-dht get (target <= 1.2x)"
bash bench/dht-latency.sh
echo
echo "== pairing: cc-pair code -> both peers stored on a 20-node HyperDHT testnet vs bare hyperdht connect + echo (target <= 1.5x); CPace alone (target <= 5 ms)"
node --import tsx bench/pair.mjs --runs "${PAIR_RUNS:-10}"
echo
echo "== context: cc-context push/pull of ${CTX_FILES:-10000} files / ${CTX_MB:-100} MB vs rclone copy (target <= 2x; incremental <= 5 %; RSS <= 150 MB)"
bash bench/context-sync.sh "${CTX_FILES:-10000}" "${CTX_MB:-100}"
echo
echo "== cc-relay: event latency over HyperDHT vs a bare stream (target p50 <= 1.5x), fan-out and RSS (target <= 200 MB), reconnect catch-up"
node --import tsx bench/relay.mjs --samples "${RELAY_SAMPLES:-300}" --watchers "${RELAY_WATCHERS:-100}" --sessions "${RELAY_SESSIONS:-10}" --events "${RELAY_EVENTS:-10000}"
echo
echo "== session carry: cc-handoff --carry → cc-pickup of ${CARRY_MB:-100} MB on a local HyperDHT testnet vs cc-seal --raw | bare hyperdht stream (target <= 1.3x)"
bash bench/carry-throughput.sh "${CARRY_MB:-100}"
