// --transport relay against the relay shipped by the npm pkarr package,
// storing into a local Mainline testnet; and against fake relays that lie.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { isolate, get, put, generateIdentity } from '../helpers/testnet-env.ts';
import { startTestnet, type Testnet } from '../../lib/dht/testnet.ts';
import { encodeDns, fullName, readTxt, setTxt, signPacket, toRelayBody } from '../../lib/dht/pkarr.ts';
import { toZ32 } from '../../lib/identity/identity.ts';
import { relayGet, relayPut } from '../../lib/dht/relay.ts';
import { relayUrls } from '../../lib/dht/bootstrap.ts';

isolate();
let tn: Testnet;
let relay: ChildProcess;
let relayUrl: string;

before(async () => {
  tn = await startTestnet({ nodes: 10 });
  process.env.CCKIT_BOOTSTRAP = tn.bootstrap;
  const script = fileURLToPath(new URL('../helpers/relay-server.mjs', import.meta.url));
  relay = spawn(process.execPath, [script, tn.bootstrap, '--ttl', '120'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(relay.stdout!, 'data')) as [Buffer];
  relayUrl = JSON.parse(line.toString().split('\n')[0]).url;
  assert.match(relayUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  process.env.CCKIT_RELAYS = relayUrl;
});

after(async () => {
  relay.stdin!.end(); // the relay stops when its stdin closes
  await once(relay, 'exit');
  await tn.stop();
});

/** A relay that answers every GET with `body` (status 200) or `status`. */
async function fakeRelay(answer: { status: number; body?: Uint8Array }): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    res.writeHead(answer.status);
    res.end(answer.body ? Buffer.from(answer.body) : undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

test('publish through the relay; resolve through the relay and straight from the DHT', async () => {
  const id = generateIdentity();
  const res = await put(id, '"via relay"', { transports: ['relay'] });
  assert.deepEqual(res.stored, { relay: 1 });
  for (const transports of [['relay'], ['mainline']] as const) {
    const got = await get(id.publicKey, { transports: [...transports] });
    assert.equal(readTxt(got.found!.dns, fullName('_cclink', id.publicKey)), '"via relay"', transports[0]);
  }
});

test('publish on the DHT; the relay finds it', async () => {
  const id = generateIdentity();
  await put(id, '"via dht"');
  const got = await get(id.publicKey, { transports: ['relay'] });
  assert.equal(got.found!.transport, 'relay');
  assert.equal(readTxt(got.found!.dns, fullName('_cclink', id.publicKey)), '"via dht"');
});

test('publishing on both counts each transport; relay merges keep other records', async () => {
  const id = generateIdentity();
  await put(id, 'other', { name: '_other', transports: ['relay'] });
  const res = await put(id, '"both"', { transports: ['mainline', 'relay'] });
  assert.equal(res.stored.relay, 1);
  assert.ok(res.stored.mainline! >= 8);
  const got = await get(id.publicKey, { transports: ['relay'] });
  assert.equal(readTxt(got.found!.dns, fullName('_other', id.publicKey)), 'other');
  assert.equal(readTxt(got.found!.dns, fullName('_cclink', id.publicKey)), '"both"');
});

test('a relay 404 is "not found", not an error', async () => {
  const r = await relayGet([relayUrl], generateIdentity().publicKey);
  assert.deepEqual(r, { packets: [], holders: new Map(), reached: 1, errors: [] });
});

test('a forged or foreign answer from a relay is ignored', async () => {
  const id = generateIdentity();
  const other = generateIdentity();
  const z = toZ32(id.publicKey);
  const foreign = signPacket(other, encodeDns(setTxt(undefined, `_cclink.${z}`, '"foreign"')), Date.now() * 1000);
  const forged = Buffer.from(toRelayBody(foreign));
  const liars = await Promise.all([fakeRelay({ status: 200, body: forged }), fakeRelay({ status: 200, body: new Uint8Array(2000) }), fakeRelay({ status: 500 })]);
  try {
    const r = await relayGet(liars.map((l) => l.url), id.publicKey);
    assert.equal(r.packets.length, 0);
    const errors = r.errors.join('\n');
    assert.match(errors, /bad signature/);
    assert.match(errors, /oversized answer/);
    assert.match(errors, /HTTP 500/);
  } finally {
    for (const l of liars) l.server.close();
  }
});

test('relayPut reports relays that refuse or cannot be reached', async () => {
  const id = generateIdentity();
  const p = signPacket(id, encodeDns(setTxt(undefined, `_cclink.${toZ32(id.publicKey)}`, '1')), Date.now() * 1000);
  const refusing = await fakeRelay({ status: 400 });
  const closed = await fakeRelay({ status: 204 });
  closed.server.close();
  await once(closed.server, 'close');
  try {
    const r = await relayPut([relayUrl, refusing.url, closed.url], p);
    assert.equal(r.stored, 1);
    assert.equal(r.errors.length, 2);
    assert.match(r.errors.join('\n'), /HTTP 400/);
    assert.match(r.errors.join('\n'), /ECONNREFUSED/);
  } finally {
    refusing.server.close();
  }
});

test('relay settings: none configured, bad URLs, and the test guard', async () => {
  const saved = process.env.CCKIT_RELAYS;
  try {
    delete process.env.CCKIT_RELAYS;
    await assert.rejects(relayUrls(), (e: Error & { code?: string }) => e.code === 'ERR_NO_RELAYS');
    process.env.CCKIT_RELAYS = 'ftp://127.0.0.1/';
    await assert.rejects(relayUrls(), (e: Error & { code?: string }) => e.code === 'ERR_BAD_RELAY');
    process.env.CCKIT_RELAYS = 'https://relay.example.org';
    await assert.rejects(relayUrls(), (e: Error & { code?: string }) => e.code === 'ERR_PUBLIC_NETWORK' && /relay\.example\.org/.test(e.message));
    process.env.CCKIT_RELAYS = 'http://127.0.0.1:1/, http://localhost:2';
    assert.deepEqual(await relayUrls(), ['http://127.0.0.1:1', 'http://localhost:2']);
  } finally {
    process.env.CCKIT_RELAYS = saved;
  }
});
