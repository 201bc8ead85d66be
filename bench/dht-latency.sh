#!/usr/bin/env bash
# Publish/resolve latency on a local 50-node Mainline testnet vs a bare
# bittorrent-dht get (see bench/dht-latency.mjs). Prints a summary on stderr
# and one JSON line on stdout. Needs a build (node build.mjs) for the CLI part.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cc-dht-get.cjs ] || node build.mjs
exec node --import tsx bench/dht-latency.mjs "$@"
