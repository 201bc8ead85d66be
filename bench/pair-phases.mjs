// Where pairing's time goes on a local 20-node HyperDHT testnet: each phase of
// one pairing timed on its own (inviter ready: listen ∥ announce, see dhtInvite; joiner lookup, dial,
// handshake, the two peers.toml writes) beside a bare listen + connect + echo,
// and beside raw hyperdht doing what pairing asks of the DHT (listen ∥ announce
// a topic, look it up, connect through the record's relay, the handshake's
// round trips as echoes): what no change above hyperdht can take away.
//
//   node --import tsx bench/pair-phases.mjs [--runs 10]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import createTestnet from 'hyperdht/testnet.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('runs', 10);
const work = mkdtempSync(join(tmpdir(), 'cckit-bench-phases-'));
Object.assign(process.env, { CCKIT_TEST_NO_PUBLIC: '1', CCKIT_CONFIG_DIR: join(work, 'x'), HOME: work });

const { NetNode, ephemeralKeyPair } = await import('../lib/net/node.ts');
const { generateIdentity, formatPubkey } = await import('../lib/identity/identity.ts');
const { generateCode } = await import('../lib/pair/code.ts');
const { inviteHandshake, joinHandshake } = await import('../lib/pair/handshake.ts');
const { savePeer } = await import('../lib/pair/peers.ts');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e6;

const tn = await createTestnet(20, { host: '127.0.0.1' });
process.env.CCKIT_HYPER_BOOTSTRAP = `127.0.0.1:${tn.bootstrap[0].port}`;
const a = await NetNode.open();
const b = await NetNode.open();
const inviter = generateIdentity();
const joiner = generateIdentity();
const phases = {};
const note = (k, v) => (phases[k] ??= []).push(v);

async function once(i) {
  const { secret } = generateCode();
  const kp = ephemeralKeyPair();
  let t = now();
  const t0 = t;
  let gotCh;
  const chP = new Promise((r) => (gotCh = r));
  // As dhtInvite does: ready once the topic record is out when it names our
  // node (the key's own announce finishes meanwhile), else after both.
  const listening = a.listen(kp, { allow: () => true }, gotCh).then((s) => (note('listen', now() - t), s));
  const { relayed } = await a.announce(secret.topic, kp);
  note('announce', now() - t);
  if (!relayed) await listening;
  note('ready', now() - t);
  t = now();
  let found;
  for await (const x of b.lookupStream(secret.topic, 8)) {
    found = x;
    break;
  }
  note('lookup (first)', now() - t);
  t = now();
  const jkp = ephemeralKeyPair();
  const [jch, ich] = await Promise.all([b.dial(found.publicKey, jkp, { relayAddresses: found.relayAddresses }), chP]);
  note('dial', now() - t);
  t = now();
  const me = (id, name) => ({ identity: id, name, addrs: [] });
  await Promise.all([joinHandshake(jch, secret, me(joiner, 'l')), inviteHandshake(ich, secret, me(inviter, 'd'))]);
  note('handshake', now() - t);
  t = now();
  process.env.CCKIT_CONFIG_DIR = join(work, `p-${i}`);
  await savePeer({ name: 'x', pubkey: formatPubkey(joiner.publicKey), addrs: [], via: 'code' });
  note('save', now() - t);
  note('total', now() - t0);
  await jch.close().catch(() => {});
  void a.unannounce(secret.topic, kp);
  await (await listening).close();
}
// The bare reference, phase by phase: listen, connect until open, one echo.
const HyperDHT = (await import('hyperdht')).default;
const bare = { bootstrap: tn.bootstrap, host: '127.0.0.1' };
const ra = new HyperDHT(bare);
const rb = new HyperDHT(bare);
await Promise.all([ra.fullyBootstrapped(), rb.fullyBootstrapped()]);
async function bareOnce() {
  const kp = HyperDHT.keyPair();
  let t = now();
  const t0 = t;
  const server = ra.createServer((s) => {
    s.on('data', (d) => s.write(d));
    s.on('error', () => {});
  });
  await server.listen(kp);
  note('bare listen', now() - t);
  t = now();
  const c = rb.connect(kp.publicKey);
  c.on('error', () => {});
  await new Promise((r) => c.once('open', r));
  note('bare connect', now() - t);
  t = now();
  c.write(Buffer.from('ping\n'));
  await new Promise((resolve) => c.once('data', resolve));
  note('bare echo', now() - t);
  note('bare total', now() - t0);
  c.destroy();
  await server.close();
}
// Pairing's DHT work in raw hyperdht, phase by phase (no CPace, no JSON, no
// signatures, no files): the inviter's listen ∥ topic announce (ready when
// the record is out, as dhtInvite), the joiner's lookup, its connect through
// the relay the record names, and three echoes for the handshake's 2.5 round trips.
const { randomBytes } = await import('node:crypto');
async function shapeOnce() {
  const kp = HyperDHT.keyPair();
  const topic = randomBytes(32);
  let t = now();
  const t0 = t;
  const server = ra.createServer((s) => {
    s.on('data', (d) => s.write(d));
    s.on('error', () => {});
  });
  const listening = server.listen(kp);
  await ra.announce(topic, kp, [ra.remoteAddress()]).finished();
  note('dht shape ready', now() - t);
  t = now();
  let found;
  const q = rb.lookup(topic);
  for await (const r of q) {
    if (r.peers.length > 0) {
      found = r.peers[0];
      break;
    }
  }
  q.destroy();
  note('dht shape lookup', now() - t);
  t = now();
  const c = rb.connect(found.publicKey, { relayAddresses: found.relayAddresses });
  c.on('error', () => {});
  await new Promise((r) => c.once('open', r));
  note('dht shape dial', now() - t);
  t = now();
  for (let i = 0; i < 3; i++) {
    c.write(Buffer.from('ping\n'));
    await new Promise((resolve) => c.once('data', resolve));
  }
  note('dht shape echo×3', now() - t);
  note('dht shape total', now() - t0);
  c.destroy();
  await listening;
  // Withdrawn in full before the pairing that follows: each run starts as it did without this one.
  await ra.unannounce(topic, kp);
  await server.close();
}
await once(-1);
await bareOnce();
await shapeOnce();
for (let i = 0; i < RUNS; i++) {
  await bareOnce();
  await shapeOnce();
  await once(i);
}
for (const [k, v] of Object.entries(phases)) console.log(`${k.padEnd(16)} ${median(v).toFixed(1)} ms`);
const ratio = (k) => (median(phases[k]) / median(phases['bare total'])).toFixed(2);
console.log(`total / bare total: ${ratio('total')}x; raw hyperdht in pairing's shape / bare total: ${ratio('dht shape total')}x`);
await Promise.all([a.close(), b.close(), ra.destroy(), rb.destroy()]);
await tn.destroy();
rmSync(work, { recursive: true, force: true });
