// The --republish loop: it brings back a record the DHT forgot, re-puts a
// newer packet that still carries it, and stops on expiry, replacement or a
// signal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isolate, get, put, withNetwork, generateIdentity, log } from '../helpers/testnet-env.ts';
import { startTestnet, type Testnet } from '../../lib/dht/testnet.ts';
import { fullName, readTxt } from '../../lib/dht/pkarr.ts';
import { publish } from '../../lib/dht/publish.ts';
import { republish, type RepublishTick } from '../../lib/dht/republish.ts';
import type { Identity } from '../../lib/identity/identity.ts';

isolate();
let tn: Testnet;

before(async () => {
  tn = await startTestnet({ nodes: 8 });
  process.env.CCKIT_BOOTSTRAP = tn.bootstrap;
});
after(() => tn.stop());

/** Every node forgets every stored item, as nodes do after a few hours. */
function forgetAll() {
  for (const node of tn.nodes) (node._values as unknown as { clear(): void }).clear();
}

async function run(id: Identity, text: string, opts: { lifeMs: number; intervalMs: number; during?: (ticks: RepublishTick[]) => Promise<void>; abortAfterMs?: number }) {
  return withNetwork(['mainline'], async (net) => {
    const first = await publish({ identity: id, name: '_cclink', text, net, log });
    const ticks: RepublishTick[] = [];
    const stop = new AbortController();
    if (opts.abortAfterMs) setTimeout(() => stop.abort(), opts.abortAfterMs);
    const during = opts.during?.(ticks);
    const end = await republish({
      net,
      publicKey: id.publicKey,
      text,
      first,
      expiresAt: Date.now() + opts.lifeMs,
      intervalMs: opts.intervalMs,
      signal: stop.signal,
      emit: (t) => ticks.push(t),
      log,
    });
    await during;
    return { end, ticks, first };
  });
}

const waitFor = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
};

test('republishes every interval and stops at expiry', async () => {
  const id = generateIdentity();
  const { end, ticks, first } = await run(id, '"alive"', { lifeMs: 1300, intervalMs: 300 });
  assert.equal(end, 'expired');
  assert.ok(ticks.length >= 2, `${ticks.length} ticks`);
  for (const t of ticks) {
    assert.equal(t.seq, first.seq, 'the same signed packet is re-put');
    assert.ok(t.stored.mainline! >= 6);
  }
});

test('brings the record back after every node forgot it', async () => {
  const id = generateIdentity();
  const { end } = await run(id, '"phoenix"', {
    lifeMs: 2500,
    intervalMs: 400,
    during: async (ticks) => {
      await waitFor(() => ticks.length >= 1);
      forgetAll();
      assert.equal((await get(id.publicKey)).found, undefined, 'gone from the DHT');
      const n = ticks.length;
      await waitFor(() => ticks.length > n);
      const got = await get(id.publicKey);
      assert.equal(readTxt(got.found!.dns, fullName('_cclink', id.publicKey)), '"phoenix"');
    },
  });
  assert.equal(end, 'expired');
});

test('re-puts a newer packet that still carries the record (another record added meanwhile)', async () => {
  const id = generateIdentity();
  const { ticks, first } = await run(id, '"mine"', {
    lifeMs: 2000,
    intervalMs: 300,
    during: async (ticks) => {
      await waitFor(() => ticks.length >= 1);
      await put(id, 'pubky', { name: '_pubky' });
    },
  });
  const last = ticks[ticks.length - 1];
  assert.ok(last.seq > first.seq, 'the newer packet is the one kept alive');
  const got = await get(id.publicKey);
  assert.equal(readTxt(got.found!.dns, fullName('_pubky', id.publicKey)), 'pubky');
});

test('stops when the record is replaced or revoked', async () => {
  const id = generateIdentity();
  const replaced = await run(id, '"old"', {
    lifeMs: 10_000,
    intervalMs: 300,
    during: async (ticks) => {
      await waitFor(() => ticks.length >= 1);
      await put(id, '"new"');
    },
  });
  assert.equal(replaced.end, 'replaced');
  const id2 = generateIdentity();
  const revoked = await run(id2, '"x"', { lifeMs: 10_000, intervalMs: 300, during: async () => void (await put(id2, undefined)) });
  assert.equal(revoked.end, 'replaced');
  // The revoke stands: republishing did not bring the record back.
  assert.equal((await get(id2.publicKey)).found, undefined);
});

test('stops at once on a signal', async () => {
  const t0 = Date.now();
  const { end } = await run(generateIdentity(), '"bye"', { lifeMs: 60_000, intervalMs: 30_000, abortAfterMs: 200 });
  assert.equal(end, 'stopped');
  assert.ok(Date.now() - t0 < 3000);
});
