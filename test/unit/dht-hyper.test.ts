// --transport hyper on a hyperdht/testnet: the same packet as a HyperDHT
// mutable record under the same key, with the same seq.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isolate, get, put, withNetwork, generateIdentity } from '../helpers/testnet-env.ts';
import { startTestnet, type Testnet } from '../../lib/dht/testnet.ts';
import { fullName, readTxt } from '../../lib/dht/pkarr.ts';
import { hyperBootstrap } from '../../lib/dht/bootstrap.ts';

isolate();
let tn: Testnet;

before(async () => {
  tn = await startTestnet({ nodes: 6, hyper: true, hyperNodes: 5 });
  process.env.CCKIT_BOOTSTRAP = tn.bootstrap;
  process.env.CCKIT_HYPER_BOOTSTRAP = tn.hyperBootstrap!;
});
after(() => tn.stop());

const cc = (pk: Uint8Array) => fullName('_cclink', pk);

test('publish on HyperDHT and resolve there; Mainline does not have it', async () => {
  const id = generateIdentity();
  const res = await put(id, '"hyper"', { transports: ['hyper'] });
  assert.ok(res.stored.hyper! >= 3, `stored on ${res.stored.hyper}`);
  assert.equal(res.stored.mainline, undefined);
  const got = await get(id.publicKey, { transports: ['hyper'] });
  assert.equal(got.found!.transport, 'hyper');
  assert.equal(got.found!.seq, res.seq);
  assert.equal(readTxt(got.found!.dns, cc(id.publicKey)), '"hyper"');
  const mainline = await get(id.publicKey);
  assert.equal(mainline.found, undefined);
});

test('publishing on both networks; across transports the newest packet wins', async () => {
  const id = generateIdentity();
  const both = await put(id, '"both"', { transports: ['mainline', 'hyper'] });
  assert.ok(both.stored.mainline! >= 5 && both.stored.hyper! >= 3, JSON.stringify(both.stored));
  const newer = await put(id, '"mainline only"', { transports: ['mainline'] });
  assert.ok(newer.seq > both.seq);
  const got = await get(id.publicKey, { transports: ['hyper', 'mainline'] });
  assert.equal(got.found!.transport, 'mainline');
  assert.equal(readTxt(got.found!.dns, cc(id.publicKey)), '"mainline only"');
  const hyperOnly = await get(id.publicKey, { transports: ['hyper'] });
  assert.equal(readTxt(hyperOnly.found!.dns, cc(id.publicKey)), '"both"');
});

test('merges on HyperDHT keep other records; revoke works there too', async () => {
  const id = generateIdentity();
  await put(id, 'x', { name: '_other', transports: ['hyper'] });
  await put(id, '"rec"', { transports: ['hyper'] });
  await put(id, undefined, { transports: ['hyper'] });
  const got = await get(id.publicKey, { transports: ['hyper'], any: true });
  assert.equal(readTxt(got.found!.dns, cc(id.publicKey)), undefined);
  assert.equal(readTxt(got.found!.dns, fullName('_other', id.publicKey)), 'x');
});

test('a signed record is re-put without the secret key (what --republish does)', async () => {
  const id = generateIdentity();
  const res = await put(id, '"again"', { transports: ['hyper'] });
  assert.ok(res.hyperSig && res.hyperSig.length === 64);
  const stored = await withNetwork(['hyper'], (net) => net.putHyper(id.publicKey, res.packet.v, res.packet.seq, res.hyperSig!, () => {}));
  assert.ok(stored >= 3);
  // A signature that does not match is refused by every node.
  const bad = new Uint8Array(res.hyperSig!);
  bad[0] ^= 1;
  const refused = await withNetwork(['hyper'], (net) => net.putHyper(id.publicKey, res.packet.v, res.packet.seq + 1, bad, () => {}));
  assert.equal(refused, 0);
  const got = await get(id.publicKey, { transports: ['hyper'] });
  assert.equal(got.found!.seq, res.seq);
});

test('HyperDHT bootstrap comes from CCKIT_HYPER_BOOTSTRAP; the public defaults are refused under the test guard', async () => {
  const boot = await hyperBootstrap();
  assert.equal(boot!.local, true);
  const saved = process.env.CCKIT_HYPER_BOOTSTRAP;
  delete process.env.CCKIT_HYPER_BOOTSTRAP;
  try {
    await assert.rejects(hyperBootstrap(), (e: Error & { code?: string }) => e.code === 'ERR_PUBLIC_NETWORK');
  } finally {
    process.env.CCKIT_HYPER_BOOTSTRAP = saved;
  }
});
