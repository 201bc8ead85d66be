// Pairing speed on a local 20-node HyperDHT testnet (127.0.0.1): from the
// inviter starting (listen on an ephemeral key, announce the topic) to both
// peers stored in peers.toml, against a bare hyperdht server listen + connect
// + one echo between the same two nodes in the same run (target ≤ 1.5×);
// and the CPace exchange alone, both sides (target ≤ 5 ms). Both peers run in
// this one process (their CPU adds up); each stores into its own peers.toml.
// bench/pair-phases.mjs splits one pairing into its phases.
//
//   node --import tsx bench/pair.mjs [--runs 10]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import createTestnet from 'hyperdht/testnet.js';
import HyperDHT from 'hyperdht';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('runs', 10);
const work = mkdtempSync(join(tmpdir(), 'cckit-bench-pair-'));
Object.assign(process.env, { CCKIT_TEST_NO_PUBLIC: '1', CCKIT_CONFIG_DIR: join(work, 'inviter'), HOME: work });

const { NetNode, ephemeralKeyPair } = await import('../lib/net/node.ts');
const { generateIdentity, formatPubkey } = await import('../lib/identity/identity.ts');
const { generateCode, parsePairInput } = await import('../lib/pair/code.ts');
const { runInviter, runJoiner } = await import('../lib/pair/rendezvous.ts');
const { savePeer } = await import('../lib/pair/peers.ts');
const { cpaceStart, cpaceFinish } = await import('../lib/pair/cpace.ts');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const tn = await createTestnet(20, { host: '127.0.0.1' });
process.env.CCKIT_HYPER_BOOTSTRAP = `127.0.0.1:${tn.bootstrap[0].port}`;
const a = await NetNode.open();
const b = await NetNode.open();
// The bare baseline uses hyperdht directly, on nodes bootstrapped the same way.
const bare = { bootstrap: tn.bootstrap, host: '127.0.0.1' };
const ra = new HyperDHT(bare);
const rb = new HyperDHT(bare);
await Promise.all([ra.fullyBootstrapped(), rb.fullyBootstrapped()]);

async function bareOnce() {
  const kp = HyperDHT.keyPair();
  const t0 = process.hrtime.bigint();
  const server = ra.createServer((s) => {
    s.on('data', (d) => s.write(d));
    s.on('error', () => {});
  });
  await server.listen(kp);
  const c = rb.connect(kp.publicKey);
  c.on('error', () => {});
  c.write(Buffer.from('ping\n'));
  await new Promise((resolve) => c.once('data', resolve));
  const t = ms(t0);
  c.destroy();
  await server.close();
  return t;
}

const inviter = generateIdentity();
const joiner = generateIdentity();
async function pairOnce(i) {
  const { code, secret } = generateCode();
  const t0 = process.hrtime.bigint();
  let ready;
  const readyP = new Promise((r) => (ready = r));
  const inv = runInviter({ node: a, secret, me: { identity: inviter, name: 'desk', addrs: [] }, ttlMs: 60_000, onReady: ready });
  await readyP;
  // Each side stores its new peer (atomic write + fsync) as soon as it has it,
  // as two machines would: side by side, each in its own peers.toml.
  const store = (side, p) => savePeer({ name: p.name, pubkey: p.pubkey, addrs: [], paired_at: 1, via: 'code' }, join(work, `${side}-${i}`, 'peers.toml'));
  const join_ = runJoiner({ node: b, secret: parsePairInput(code), me: { identity: joiner, name: 'laptop', addrs: [] } });
  const [ji] = await Promise.all([join_.then(async (p) => (await store('joiner', p), p)), inv.then((p) => store('inviter', p))]);
  if (ji.pubkey !== formatPubkey(inviter.publicKey)) throw new Error('paired with the wrong key');
  return ms(t0);
}

const pairT = [];
const bareT = [];
await bareOnce(); // warm-up: routing tables, JIT
await pairOnce(-1);
for (let i = 0; i < RUNS; i++) {
  bareT.push(await bareOnce());
  pairT.push(await pairOnce(i));
}
const cpaceT = [];
const cpu0 = process.cpuUsage();
const ci = new Uint8Array(40).fill(1);
const sid = new Uint8Array(64).fill(2);
const prs = new TextEncoder().encode('4821-acid-mango-lamp');
const ad = new TextEncoder().encode('ad');
for (let i = 0; i < 200; i++) {
  const t0 = process.hrtime.bigint();
  const x = cpaceStart(prs, ci, sid);
  const y = cpaceStart(prs, ci, sid);
  const Yx = x.Y;
  cpaceFinish(x, y.Y, 'initiator', ad, ad, sid);
  cpaceFinish(y, Yx, 'responder', ad, ad, sid);
  cpaceT.push(ms(t0));
}
const cpu = process.cpuUsage(cpu0);
const cpaceCpu = (cpu.user + cpu.system) / 1000 / cpaceT.length;
const p = median(pairT);
const r = median(bareT);
// The load of a shared machine comes and goes: each pairing is also set against
// the bare run just before it, and the median of those ratios shown beside.
const paired = median(pairT.map((t, i) => t / bareT[i]));
console.log(`pair (code → both stored), 20-node testnet, median of ${RUNS}: ${p.toFixed(1)} ms vs bare hyperdht listen+connect+echo ${r.toFixed(1)} ms = ${(p / r).toFixed(2)}x (run by run: ${paired.toFixed(2)}x) (target <= 1.5x)`);
console.log(`CPace exchange alone (both sides, median of 200 after warm-up): ${median(cpaceT.slice(20)).toFixed(2)} ms wall, ${cpaceCpu.toFixed(2)} ms CPU (target <= 5 ms)`);
await Promise.all([a.close(), b.close(), ra.destroy(), rb.destroy()]);
await tn.destroy();
rmSync(work, { recursive: true, force: true });
