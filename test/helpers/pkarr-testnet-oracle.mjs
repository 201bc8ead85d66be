#!/usr/bin/env node
// Interop oracle: the npm `pkarr` package (1.3.0, the old JS tree) publishing
// and resolving on a local Mainline testnet, to check that our packets are
// accepted by another pkarr implementation and the reverse.
//
//   pkarr-testnet-oracle.mjs publish BOOTSTRAP KEYFILE RECORDS_JSON
//       RECORDS_JSON: [{"name":"_pubky","type":"TXT","data":"…"} |
//                      {"name":"_pubky","type":"UNKNOWN_65","hex":"…"}]
//       KEYFILE: a plaintext (64 hex) key file; the seed never goes in argv.
//       → {"pubkey":"<z32>","seq":N}
//   pkarr-testnet-oracle.mjs resolve BOOTSTRAP Z32
//       → {"seq":N,"records":[{"name","type","data"}]}   exit 3 if none
//
// Its DHT node is bound to 127.0.0.1 and destroyed before exit.
import { readFileSync } from 'node:fs';
import { SignedPacket, generateKeyPair, z32 } from 'pkarr';
import PkarrDHT from 'pkarr/lib/dht.js';

const [cmd, bootstrap, arg1, arg2] = process.argv.slice(2);
if (!/^127\.\d+\.\d+\.\d+:\d+$/.test(bootstrap ?? '')) {
  process.stderr.write('usage: pkarr-testnet-oracle.mjs publish|resolve 127.0.0.1:PORT …\n');
  process.exit(2);
}

const storage = { loadRoutingTable() {}, saveRoutingTable() {} };
const dht = new PkarrDHT({ bootstrap: [bootstrap], storage });
// BEP 43 read-only, like cc-dht-*: a node that exits after one command must
// not stay in the testnet's routing tables (lookups would wait on it).
const socket = dht._dht._rpc.socket;
const send = socket.send;
socket.send = function (peer, message, cb) {
  if (message.y === 'q') message.ro = 1;
  return send.call(this, peer, message, cb);
};
await new Promise((resolve) => {
  dht._dht.once('listening', resolve);
  dht._dht.listen(0, '127.0.0.1');
});
setTimeout(() => {
  process.stderr.write('oracle: timed out\n');
  process.exit(1);
}, 20_000).unref();

let code = 0;
try {
  if (cmd === 'publish') {
    const seed = Buffer.from(readFileSync(arg1, 'latin1').trim(), 'hex');
    const keyPair = generateKeyPair(seed);
    const answers = JSON.parse(arg2).map((r) => ({
      name: r.name,
      type: r.type,
      class: 'IN',
      ttl: r.ttl ?? 3600,
      data: r.hex !== undefined ? Buffer.from(r.hex, 'hex') : r.data,
    }));
    const packet = SignedPacket.fromPacket(keyPair, { id: 0, type: 'response', flags: 0, answers });
    await dht.put(packet.bep44Args());
    process.stdout.write(JSON.stringify({ pubkey: z32.encode(keyPair.publicKey), seq: packet.timestamp() }) + '\n');
  } else if (cmd === 'resolve') {
    const key = z32.decode(arg1.replace(/^pk:/, ''));
    const result = await dht.get(key, { fullLookup: true });
    if (!result) {
      code = 3;
    } else {
      const packet = SignedPacket.fromBep44Args(result); // throws on a bad signature
      const records = packet.packet().answers.map((a) => ({
        name: a.name,
        type: a.type,
        data: Array.isArray(a.data) ? Buffer.concat(a.data).toString('utf8') : Buffer.isBuffer(a.data) ? a.data.toString('hex') : a.data,
      }));
      process.stdout.write(JSON.stringify({ seq: packet.timestamp(), records }) + '\n');
    }
  } else {
    process.stderr.write(`unknown command ${cmd}\n`);
    code = 2;
  }
} catch (err) {
  process.stderr.write(`oracle: ${err.message}\n`);
  code = 1;
} finally {
  await dht.destroy();
}
process.exit(code);
