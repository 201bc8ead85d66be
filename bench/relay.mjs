// cc-relay benchmarks, each a ratio against a reference measured in the same run.
//
//   node --import tsx bench/relay.mjs [--samples 300] [--watchers 100] [--sessions 10] [--events 10000] [--only latency|fanout]
//
// 1. Event latency, host stdout line → remote client over HyperDHT, p50/p99,
//    against a bare hyperdht echo between two nodes of the same testnet (the
//    issue's reference: a stamped line sent, echoed back, timed on return).
//    Target: p50 ≤ 1.5×. Also printed: a bare one-way stream of the same
//    lines, which has neither the echo's second hop nor the relay's hop from
//    claude's stdout pipe.
// 2. Fan-out: SESSIONS sessions × WATCHERS watchers on a `cc-relay serve`
//    process; one session emits EVENTS events, the others EVENTS/10. Every
//    watcher must see every seq exactly once. Reports p99 latency against one
//    watcher alone, and the server's peak RSS against the 200 MB target.
// 3. Reconnect: a client that missed EVENTS events reconnects with --since
//    and catches up; against reading the same log bytes over a bare unix
//    socket and parsing each line.
//
// Claude is bench/fake-claude.mjs (the relay's cost is measured, not a
// model's); everything runs on 127.0.0.1 and in a temp HOME.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, createReadStream } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SAMPLES = arg('samples', 300);
const WATCHERS = arg('watchers', 100);
const SESSIONS = arg('sessions', 10);
const EVENTS = arg('events', 10000);
const FAKE = join(root, 'bench/fake-claude.mjs');
const now = () => performance.timeOrigin + performance.now();
const pct = (arr, p) => {
  const s = Float64Array.from(arr).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const f = (x) => x.toFixed(2);

const work = mkdtempSync(join(tmpdir(), 'cckit-relay-bench-'));
Object.assign(process.env, {
  HOME: work,
  CCKIT_STATE_DIR: join(work, 'state'),
  CCKIT_CONFIG_DIR: join(work, 'config'),
  CCKIT_KEY_FILE: join(work, 'key'),
  CCKIT_TEST_NO_PUBLIC: '1',
  CCKIT_NO_TTY: '1',
});

const { generateIdentity, formatPubkey } = await import('../lib/identity/identity.ts');
const { NetNode, ephemeralKeyPair } = await import('../lib/net/node.ts');
const { savePeer } = await import('../lib/pair/peers.ts');
const { SessionManager } = await import('../lib/relay/manager.ts');
const { listenHyper } = await import('../lib/relay/hyper-server.ts');
const { connectHyper } = await import('../lib/relay/hyper-client.ts');
const { clientOverStream } = await import('../lib/relay/client.ts');

async function untilResult(client, session, since = 0) {
  return new Promise((resolve) => {
    const prev = client.onEvent;
    client.onEvent = (s, ev, raw) => {
      prev(s, ev, raw);
      if (s === session && ev.kind === 'claude' && ev.msg.type === 'result' && ev.seq > since) resolve(ev.seq);
    };
  });
}

// ---- 1. latency over HyperDHT --------------------------------------------
async function latency() {
  const createTestnet = createRequire(import.meta.url)('hyperdht/testnet');
  const testnet = await createTestnet(4, { host: '127.0.0.1' });
  process.env.CCKIT_HYPER_BOOTSTRAP = testnet.bootstrap.map((b) => `${b.host}:${b.port}`).join(',');
  const host = generateIdentity();
  const me = generateIdentity();
  await savePeer({ name: 'bench', pubkey: formatPubkey(me.publicKey), addrs: [], via: 'code', allow: ['view', 'send', 'approve', 'spawn'] });
  const manager = new SessionManager({ dir: join(work, 'lat'), bin: FAKE, allowBypass: false, leaseIdleMs: 60000, approvalTimeoutMs: 0, approvalDefault: 'deny' });
  const relay = await listenHyper(manager, host);
  const s = manager.spawn('bench', { cwd: work });
  const client = await connectHyper(host.publicKey, me, 'host');
  const relaySamples = [];
  client.onEvent = (_s, ev) => {
    if (ev.kind === 'claude' && typeof ev.msg.ts === 'number') relaySamples.push(now() - ev.msg.ts);
  };
  const done = untilResult(client, s.meta.id);
  await client.request('tail', { session: s.meta.id, since: 0, follow: true });
  await client.request('send', { session: s.meta.id, text: `emit ${SAMPLES} 5`, localId: 'lat' });
  await done;
  client.close();

  // The reference: the same stamped lines over a bare lib/net stream between two nodes.
  const a = await NetNode.open();
  const b = await NetNode.open();
  const kp = ephemeralKeyPair();
  const bareSamples = [];
  let gotAll;
  const all = new Promise((r) => (gotAll = r));
  await a.listen(kp, { allow: () => true }, async (ch) => {
    for (let i = 0; i < SAMPLES; i++) {
      await ch.send({ type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text: `line ${i}` }] }, ts: now() });
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  const ch = await b.dial(kp.publicKey, ephemeralKeyPair());
  (async () => {
    for await (const m of ch) {
      bareSamples.push(now() - m.ts);
      if (bareSamples.length === SAMPLES) gotAll();
    }
  })();
  await all;
  await ch.close();

  // The reference: a bare echo between the same two nodes.
  const echoKp = ephemeralKeyPair();
  const echoSamples = [];
  await a.listen(echoKp, { allow: () => true }, async (ech) => {
    for await (const m of ech) await ech.send(m);
  });
  const ech = await b.dial(echoKp.publicKey, ephemeralKeyPair());
  for (let i = 0; i < SAMPLES; i++) {
    await ech.send({ type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text: `line ${i}` }] }, ts: now() });
    const back = await ech.next(10000, 'the echo');
    echoSamples.push(now() - back.ts);
    await new Promise((r) => setTimeout(r, 5));
  }
  await ech.close();
  await a.close();
  await b.close();
  await relay.close();
  await manager.shutdown(1000);
  await testnet.destroy();
  const r50 = pct(relaySamples, 50), r99 = pct(relaySamples, 99), b50 = pct(bareSamples, 50), b99 = pct(bareSamples, 99);
  const e50 = pct(echoSamples, 50), e99 = pct(echoSamples, 99);
  console.log(`event latency over HyperDHT (${SAMPLES} events): relay p50 ${f(r50)} ms p99 ${f(r99)} ms; bare echo p50 ${f(e50)} ms p99 ${f(e99)} ms; bare one-way stream p50 ${f(b50)} ms p99 ${f(b99)} ms`);
  console.log(`  ratio to the bare echo: p50 ${f(r50 / e50)}x (target <= 1.5x), p99 ${f(r99 / e99)}x; to the one-way stream: p50 ${f(r50 / b50)}x, p99 ${f(r99 / b99)}x`);
}

// ---- 2 and 3: a cc-relay serve process on the unix socket ---------------------
function startServer() {
  const child = spawn(join(root, 'bin/cc-relay'), ['serve', '--no-hyper'], {
    env: { ...process.env, CCKIT_CLAUDE: FAKE },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve) => child.stdout.once('data', (d) => resolve({ child, ready: JSON.parse(String(d).split('\n')[0]) })));
}

function connectUnix(path) {
  const sock = createConnection(path);
  const client = clientOverStream(sock);
  return client.hello().then(() => client);
}

function rssOf(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** WATCHERS clients following `session`; resolves when each saw seq `last` exactly once and in order. */
async function watch(path, session, count, wantResultsAfter, latencies) {
  const clients = [];
  const finished = [];
  for (let w = 0; w < count; w++) {
    const c = await connectUnix(path);
    let expect = 1;
    let broken = null;
    finished.push(
      new Promise((resolve) => {
        c.onEvent = (_s, ev) => {
          if (ev.seq !== expect) broken ??= `watcher ${w}: got seq ${ev.seq}, expected ${expect}`;
          expect = ev.seq + 1;
          if (latencies && ev.kind === 'claude' && typeof ev.msg.ts === 'number') latencies.push(now() - ev.msg.ts);
          if (ev.kind === 'claude' && ev.msg.type === 'result' && ev.seq > wantResultsAfter) resolve({ broken, last: ev.seq });
        };
      }),
    );
    await c.request('tail', { session, since: 0, follow: true });
    clients.push(c);
  }
  return { clients, finished };
}

async function fanout() {
  const { child, ready } = await startServer();
  const ctl = await connectUnix(ready.socket);
  const sessions = [];
  for (let i = 0; i < SESSIONS; i++) sessions.push((await ctl.request('spawn', { cwd: work })).session);
  // Reference: one watcher alone on a session emitting EVENTS.
  const refLat = [];
  const ref = await watch(ready.socket, sessions[0], 1, 0, refLat);
  await ctl.request('send', { session: sessions[0], text: `emit ${EVENTS}`, localId: 'ref' });
  const [refDone] = await Promise.all(ref.finished);
  for (const c of ref.clients) c.close();
  const afterRef = refDone.last;

  let peak = rssOf(child.pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(child.pid))), 50);
  const lat = [];
  const groups = [];
  for (let i = 0; i < SESSIONS; i++) groups.push(await watch(ready.socket, sessions[i], WATCHERS, i === 0 ? afterRef : 0, i === 0 ? lat : null));
  const t0 = now();
  for (let i = 0; i < SESSIONS; i++) await ctl.request('send', { session: sessions[i], text: `emit ${i === 0 ? EVENTS : EVENTS / 10}`, localId: `fan-${i}` });
  const results = (await Promise.all(groups.flatMap((g) => g.finished)));
  const elapsed = now() - t0;
  clearInterval(sampler);
  peak = Math.max(peak, rssOf(child.pid));
  const broken = results.filter((r) => r.broken);
  const delivered = results.reduce((n, r) => n + r.last, 0);
  for (const g of groups) for (const c of g.clients) c.close();
  console.log(`fan-out: ${SESSIONS} sessions x ${WATCHERS} watchers, ${EVENTS} events on one (+${EVENTS / 10} on each other), ${delivered} deliveries in ${f(elapsed / 1000)} s`);
  console.log(`  lost or duplicated: ${broken.length === 0 ? 'none' : broken.map((b) => b.broken).slice(0, 3).join('; ')}`);
  console.log(`  p99 latency with ${WATCHERS} watchers ${f(pct(lat, 99))} ms vs one watcher ${f(pct(refLat, 99))} ms: ${f(pct(lat, 99) / pct(refLat, 99))}x`);
  console.log(`  server peak RSS ${f(peak)} MB: ${f(peak / 200)}x of the 200 MB target`);

  // ---- 3. reconnect after missing EVENTS events --------------------------------
  const missed = (await ctl.request('info', { session: sessions[0] })).last_seq;
  const t1 = now();
  const late = await connectUnix(ready.socket);
  let got = 0;
  const caught = new Promise((resolve) => {
    late.onEvent = (_s, ev) => {
      got++;
      if (ev.seq === missed) resolve();
    };
  });
  await late.request('tail', { session: sessions[0], since: missed - EVENTS, follow: true });
  await caught;
  const relayMs = now() - t1;
  late.close();
  // Reference: the same log lines over a bare unix socket, each parsed.
  const logFile = join(ready.state_dir, `${sessions[0]}.ndjson`);
  const barePath = join(work, 'bare.sock');
  const bare = createServer((sock) => createReadStream(logFile).pipe(sock));
  await new Promise((r) => bare.listen(barePath, r));
  const t2 = now();
  await new Promise((resolve) => {
    const s = createConnection(barePath);
    let buf = '';
    s.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const l of lines) JSON.parse(l);
    });
    s.on('end', resolve);
  });
  const bareMs = now() - t2;
  bare.close();
  console.log(`reconnect: caught up on ${got} missed events in ${f(relayMs)} ms; the whole log (${missed} lines) over a bare unix socket in ${f(bareMs)} ms: ${f(relayMs / bareMs)}x`);
  ctl.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

// --only latency | --only fanout runs one part (profiling one path).
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
try {
  if (only !== 'fanout') await latency();
  if (only !== 'latency') await fanout();
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
