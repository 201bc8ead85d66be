// Publish and resolve latency on a local 50-node Mainline testnet, and the
// same resolve done with a bare bittorrent-dht `get` in the same run: the
// ratio is our overhead (full lookup with every answer verified, DNS decode,
// routing cache, BEP 43 flag) over the raw DHT lookup. Target: ≤ 1.2×.
//
//   node --import tsx bench/dht-latency.mjs [--nodes 50] [--runs 15]
//
// Everything runs on 127.0.0.1: the testnet is a cc-testnet child process,
// and CCKIT_TEST_NO_PUBLIC=1 makes any public address an error.
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import DHT from 'bittorrent-dht';
import { createRequire } from 'node:module';

// libsodium's verify (sodium-native, installed with hyperdht): the fastest a
// bare bittorrent-dht user could plug in; a second, harder baseline.
const sodium = createRequire(import.meta.url)('sodium-native');

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const NODES = arg('nodes', 50);
const RUNS = arg('runs', 15);

const work = mkdtempSync(join(tmpdir(), 'cckit-bench-'));
Object.assign(process.env, {
  HOME: work,
  CCKIT_STATE_DIR: join(work, 'state'),
  CCKIT_CONFIG_DIR: join(work, 'config'),
  CCKIT_KEY_FILE: join(work, 'key'),
  CCKIT_TEST_NO_PUBLIC: '1',
  CCKIT_NO_TTY: '1',
});
delete process.env.CCKIT_PASSPHRASE;

const testnet = spawn(join(root, 'bin/cc-testnet'), ['--nodes', String(NODES), '--ttl', '600'], { stdio: ['pipe', 'pipe', 'inherit'] });
const [first] = await once(testnet.stdout, 'data');
const { bootstrap } = JSON.parse(first.toString().split('\n')[0]);
process.env.CCKIT_BOOTSTRAP = bootstrap;

const { generateIdentity, verify: verifyEd25519 } = await import('../lib/identity/identity.ts');
const { Network } = await import('../lib/dht/network.ts');
const { publish } = await import('../lib/dht/publish.ts');
const { resolveLatest } = await import('../lib/dht/resolve.ts');
const { fullName } = await import('../lib/dht/pkarr.ts');

const log = () => {};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${x.toFixed(1)} ms`;
const record = (id) => JSON.stringify({ blob: 'A'.repeat(600), created_at: Math.floor(Date.now() / 1000), pubkey: '', ttl: 3600, n: id });

async function ourPublish(identity, text) {
  const t = performance.now();
  const net = await Network.open(['mainline'], log);
  const res = await publish({ identity, name: '_cclink', text, net, log });
  await net.close();
  if (!res.stored.mainline) throw new Error('publish stored nothing');
  return performance.now() - t;
}

async function ourResolve(publicKey) {
  const t = performance.now();
  const net = await Network.open(['mainline'], log);
  const r = await resolveLatest({ net, publicKey, full: fullName('_cclink', publicKey), waitMs: 0, log });
  await net.close();
  if (!r.found) throw new Error('resolve found nothing');
  return performance.now() - t;
}

/** The verification cckit itself uses (identity.verify: OpenSSL through node:crypto). */
function verifySame(sig, msg, pk) {
  return verifyEd25519(pk, msg, sig);
}

function verifySodium(sig, msg, pk) {
  return sig.length === 64 && pk.length === 32 && sodium.crypto_sign_verify_detached(sig, msg, pk);
}

/**
 * The raw lookup: a fresh bittorrent-dht node, `get`, destroy. Its queries
 * carry the BEP 43 read-only flag as ours do; otherwise every destroyed
 * node would stay in the testnet's routing tables and all later lookups
 * (ours and bare alike) would wait on the dead ones for 2 s each.
 */
async function bareGet(publicKey, verify = verifySame) {
  const t = performance.now();
  const dht = new DHT({ bootstrap: [bootstrap], verify });
  const socket = dht._rpc.socket;
  const send = socket.send;
  socket.send = function (peer, message, cb) {
    if (message.y === 'q') message.ro = 1;
    return send.call(this, peer, message, cb);
  };
  dht.listen(0, '127.0.0.1');
  await once(dht, 'listening');
  const target = createHash('sha1').update(publicKey).digest();
  const value = await new Promise((resolve, reject) => dht.get(target, (err, v) => (err ? reject(err) : resolve(v))));
  await new Promise((resolve) => dht.destroy(resolve));
  if (!value) throw new Error('bare get found nothing');
  return performance.now() - t;
}

function cli(args, input) {
  const t = performance.now();
  execFileSync(join(root, 'bin', args[0]), args.slice(1), { input, stdio: ['pipe', 'ignore', 'inherit'] });
  return performance.now() - t;
}

try {
  // Warm-up: module caches, JIT, the testnet's tables.
  const warm = generateIdentity();
  await ourPublish(warm, record(0));
  await ourResolve(warm.publicKey);
  await bareGet(warm.publicKey);

  const published = [];
  const pub = [];
  for (let i = 0; i < RUNS; i++) {
    const id = generateIdentity();
    pub.push(await ourPublish(id, record(i)));
    published.push(id);
  }

  // Interleaved, so drift in machine load hits both sides alike.
  const coldOurs = [];
  const warmOurs = [];
  const bare = [];
  const bareSodium = [];
  for (const id of published) {
    rmSync(process.env.CCKIT_STATE_DIR, { recursive: true, force: true });
    coldOurs.push(await ourResolve(id.publicKey));
    bare.push(await bareGet(id.publicKey));
    bareSodium.push(await bareGet(id.publicKey, verifySodium));
    warmOurs.push(await ourResolve(id.publicKey));
  }

  // The commands as a user runs them (process start included).
  execFileSync(join(root, 'bin/cc-key'), ['init', '--no-passphrase', '--force'], { stdio: 'ignore' });
  const pk = JSON.parse(execFileSync(join(root, 'bin/cc-key'), ['whoami']).toString()).pubkey;
  const cliPut = [];
  const cliGet = [];
  for (let i = 0; i < Math.min(RUNS, 9); i++) {
    // cc-dht-put publishes only sealed records: seal one first, outside the timing.
    const payload = JSON.stringify({ s: crypto.randomUUID(), h: 'bench', p: `/bench/${i}` });
    const sealed = execFileSync(join(root, 'bin/cc-seal'), ['--ttl', '600'], { input: payload }).toString();
    cliPut.push(cli(['cc-dht-put'], sealed));
    cliGet.push(cli(['cc-dht-get', pk]));
  }
  const nodeStart = [];
  for (let i = 0; i < 5; i++) nodeStart.push(cli(['cc-dht-get', '--version']));

  const out = {
    nodes: NODES,
    runs: RUNS,
    publish_ms: median(pub),
    resolve_cold_ms: median(coldOurs),
    resolve_warm_ms: median(warmOurs),
    bare_get_ms: median(bare),
    bare_get_sodium_ms: median(bareSodium),
    ratio_cold: median(coldOurs) / median(bare),
    ratio_warm: median(warmOurs) / median(bare),
    ratio_cold_vs_sodium: median(coldOurs) / median(bareSodium),
    ratio_warm_vs_sodium: median(warmOurs) / median(bareSodium),
    cli_put_ms: median(cliPut),
    cli_get_ms: median(cliGet),
    cli_start_ms: median(nodeStart),
  };
  process.stderr.write(
    [
      `Mainline testnet: ${NODES} nodes on 127.0.0.1, median of ${RUNS} runs`,
      `  publish (open, lookup, merge, sign, CAS put, close)   ${ms(out.publish_ms)}`,
      `  resolve, cold routing table                           ${ms(out.resolve_cold_ms)}`,
      `  resolve, warm routing table (state dir cache)         ${ms(out.resolve_warm_ms)}`,
      `  bare bittorrent-dht get, same verify (node:crypto)    ${ms(out.bare_get_ms)}`,
      `  bare bittorrent-dht get, libsodium verify             ${ms(out.bare_get_sodium_ms)}`,
      `  ours / bare (same):     cold ${out.ratio_cold.toFixed(2)}x, warm ${out.ratio_warm.toFixed(2)}x (target <= 1.2x)`,
      `  ours / bare (sodium):   cold ${out.ratio_cold_vs_sodium.toFixed(2)}x, warm ${out.ratio_warm_vs_sodium.toFixed(2)}x`,
      `  commands (process start included): cc-dht-put ${ms(out.cli_put_ms)}, cc-dht-get ${ms(out.cli_get_ms)}, --version alone ${ms(out.cli_start_ms)}`,
      '',
    ].join('\n'),
  );
  process.stdout.write(JSON.stringify(out) + '\n');
} finally {
  testnet.stdin.end();
  await once(testnet, 'exit');
  rmSync(work, { recursive: true, force: true });
}
