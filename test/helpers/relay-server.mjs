#!/usr/bin/env node
// A pkarr relay for tests: the relay that ships with the npm `pkarr` package
// (1.3.0, devDependency), storing into a local Mainline testnet.
//
//   node test/helpers/relay-server.mjs BOOTSTRAP [--ttl S]
//   → prints {"url":"http://127.0.0.1:PORT","pid":PID} and serves until
//     SIGTERM/SIGINT, end of stdin (pipe), or --ttl seconds.
//
// Everything is bound to 127.0.0.1: the HTTP server and the relay's own DHT
// node (pkarr would otherwise bind both to all interfaces).
import { fstatSync } from 'node:fs';
import Server from 'pkarr/lib/relay.js';
import PkarrDHT from 'pkarr/lib/dht.js';

const [bootstrap, ...rest] = process.argv.slice(2);
const ttlAt = rest.indexOf('--ttl');
const ttl = ttlAt >= 0 ? Number(rest[ttlAt + 1]) : 120;
if (!/^127\.\d+\.\d+\.\d+:\d+$/.test(bootstrap ?? '')) {
  process.stderr.write('usage: relay-server.mjs 127.0.0.1:PORT [--ttl S]\n');
  process.exit(2);
}

// No routing-table file under $HOME: an in-memory storage keeps the relay stateless.
const storage = { loadRoutingTable() {}, saveRoutingTable() {} };
const dht = new PkarrDHT({ bootstrap: [bootstrap], storage });
// Honour BEP 43 like the testnet nodes (lib/dht/testnet.ts) and libtorrent: a
// client that says `ro: 1` is answered but not added to the routing table,
// or the relay's own lookups would wait on every command that has exited.
const rpc = dht._dht._rpc;
let readOnlyQuery = false;
rpc.socket.prependListener('query', (q) => {
  readOnlyQuery = q?.ro === 1;
});
rpc.socket.on('query', () => {
  readOnlyQuery = false;
});
const addNode = rpc._addNode.bind(rpc);
rpc._addNode = (n) => {
  if (!readOnlyQuery) addNode(n);
};
await new Promise((resolve) => {
  dht._dht.once('listening', resolve);
  dht._dht.listen(0, '127.0.0.1');
});

const relay = new Server({ dht });
// pkarr logs every request on stdout; stdout here is our one JSON line.
console.log = () => {};
await new Promise((resolve) => relay._server.listen(0, '127.0.0.1', resolve));
process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${relay._server.address().port}`, pid: process.pid }) + '\n');

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  relay._server.closeAllConnections?.();
  await relay.close();
  process.exit(0);
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
setTimeout(stop, ttl * 1000).unref();
const st = fstatSync(0);
if (st.isFIFO() || st.isSocket()) {
  process.stdin.on('data', () => {});
  process.stdin.once('end', stop);
}
