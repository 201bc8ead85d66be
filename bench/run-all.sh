#!/usr/bin/env bash
# Every benchmark, each printing its figure as a ratio to a reference
# measured in the same run (these machines are noisy; absolute times are not
# comparable between runs). `make bench` runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cc-key.js ] || node build.mjs
echo "== start-up: cc-key whoami, cc-seal, cc-open vs node -e 0 (target <= 1.5x)"
node bench/startup.mjs "${STARTUP_RUNS:-30}"
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
echo "== session carry: cc-handoff --carry → cc-pickup of ${CARRY_MB:-100} MB on a local HyperDHT testnet vs cc-seal --raw | bare hyperdht stream (target <= 1.3x)"
bash bench/carry-throughput.sh "${CARRY_MB:-100}"
