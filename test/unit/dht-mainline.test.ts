// Publish and resolve on a private Mainline testnet (bittorrent-dht nodes on
// 127.0.0.1): round trip, recency, merging with foreign records, CAS under
// concurrent publishers, churn, and the answers a resolver must ignore.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isolate, get, put, withNetwork, logged, generateIdentity, log } from '../helpers/testnet-env.ts';
import { startRogue } from '../helpers/testnet-rogue.ts';
import { startTestnet, type Testnet } from '../../lib/dht/testnet.ts';
import { emptyPacket, encodeDns, fullName, listTxt, readTxt, setTxt, signPacket, signable, type SignedPacket } from '../../lib/dht/pkarr.ts';
import { toZ32 } from '../../lib/identity/identity.ts';
import { Mainline } from '../../lib/dht/mainline.ts';
import { mainlineBootstrap } from '../../lib/dht/bootstrap.ts';
import { loadRoutingCache, routingCachePath } from '../../lib/dht/routing-cache.ts';
import { publish } from '../../lib/dht/publish.ts';
import { ed25519 } from '@noble/curves/ed25519.js';

const dir = isolate();
let tn: Testnet;

before(async () => {
  tn = await startTestnet({ nodes: 12 });
  process.env.CCKIT_BOOTSTRAP = tn.bootstrap;
});
after(async () => {
  await tn.stop();
});

/** Store a packet we built ourselves (a "foreign" publisher of the same key). */
async function rawPut(packet: SignedPacket): Promise<number> {
  const m = await Mainline.open(await mainlineBootstrap());
  try {
    const found = await m.lookup(packet.publicKey);
    return (await m.put(packet, found.holders)).stored;
  } finally {
    await m.close();
  }
}

const pubkyRecord = (z: string) => ({ name: `_pubky.${z}`, type: 'UNKNOWN_65', class: 'IN', ttl: 3600, data: Buffer.from('00010000', 'hex') });

test('a record published by one client resolves from another; every node takes it', async () => {
  const id = generateIdentity();
  const res = await put(id, '{"hello":1}');
  assert.equal(res.pubkey, `pk:${toZ32(id.publicKey)}`);
  assert.equal(res.name, '_cclink');
  assert.ok(res.stored.mainline! >= 10, `stored on ${res.stored.mainline}`);
  const got = await get(id.publicKey);
  assert.equal(readTxt(got.found!.dns, fullName('_cclink', id.publicKey)), '{"hello":1}');
  assert.equal(got.found!.seq, res.seq);
});

test('the most recent of two publishes wins, and seq always grows', async () => {
  const id = generateIdentity();
  const a = await put(id, '"first"');
  const b = await put(id, '"second"');
  assert.ok(b.seq > a.seq);
  const got = await get(id.publicKey);
  assert.equal(readTxt(got.found!.dns, fullName('_cclink', id.publicKey)), '"second"');
});

test('seq exceeds a packet stamped in the future (a fast clock elsewhere)', async () => {
  const id = generateIdentity();
  const future = Date.now() * 1000 + 3600e6;
  await rawPut(signPacket(id, encodeDns(setTxt(undefined, fullName('_other', id.publicKey), 'x')), future));
  const res = await put(id, '"now"');
  assert.ok(res.seq > future);
  const got = await get(id.publicKey);
  assert.equal(readTxt(got.found!.dns, fullName('_other', id.publicKey)), 'x');
});

test('publish keeps the foreign records of the packet; revoke removes only ours', async () => {
  const id = generateIdentity();
  const z = toZ32(id.publicKey);
  const foreign = { ...emptyPacket(), answers: [pubkyRecord(z)] };
  await rawPut(signPacket(id, encodeDns(setTxt(foreign, `_note.${z}`, 'keep me')), Date.now() * 1000));
  await put(id, '{"r":1}');
  let got = await get(id.publicKey);
  assert.deepEqual(listTxt(got.found!.dns, id.publicKey).map((r) => r.name).sort(), ['_cclink', '_note']);
  assert.ok(got.found!.dns.answers!.some((a) => a.name === `_pubky.${z}` && a.type === 'UNKNOWN_65'));
  const rev = await put(id, undefined);
  assert.ok(rev.seq > got.found!.seq);
  got = await get(id.publicKey, { any: true });
  assert.equal(readTxt(got.found!.dns, `_cclink.${z}`), undefined);
  assert.equal(readTxt(got.found!.dns, `_note.${z}`), 'keep me');
  assert.ok(got.found!.dns.answers!.some((a) => a.name === `_pubky.${z}`));
  await assert.rejects(put(id, undefined), (e: Error & { code?: string }) => e.code === 'ERR_NOTHING_TO_REVOKE');
});

test('CAS: a write that lands between our read and our write is merged, not lost', async () => {
  const id = generateIdentity();
  const z = toZ32(id.publicKey);
  await put(id, 'base', { name: '_base' });
  await withNetwork(['mainline'], async (net) => {
    // Another publisher writes right after our snapshot, before our put.
    const original = net.putMainline.bind(net);
    let calls = 0;
    net.putMainline = async (packet, holders) => {
      if (calls++ === 0) await put(id, 'theirs', { name: '_theirs' });
      return original(packet, holders);
    };
    const res = await publish({ identity: id, name: '_cclink', text: 'ours', net, log });
    assert.ok(calls >= 2, 'a conflict made it retry');
    assert.ok(res.stored.mainline! >= 10);
  });
  const got = await get(id.publicKey);
  const dns = got.found!.dns;
  assert.equal(readTxt(dns, `_cclink.${z}`), 'ours');
  assert.equal(readTxt(dns, `_theirs.${z}`), 'theirs');
  assert.equal(readTxt(dns, `_base.${z}`), 'base');
});

test('two publishers at once under the same key keep both records', async () => {
  for (let round = 0; round < 3; round++) {
    const id = generateIdentity();
    const z = toZ32(id.publicKey);
    await Promise.all([put(id, 'A', { name: '_a' }), put(id, 'B', { name: '_b' }), put(id, 'C', { name: '_c' })]);
    const got = await get(id.publicKey, { any: true });
    const names = listTxt(got.found!.dns, id.publicKey).map((r) => r.name).sort();
    assert.deepEqual(names, ['_a', '_b', '_c'], `round ${round}: ${names} for ${z}`);
  }
});

/** Run `fn` against a testnet of its own (for tests that kill nodes or add rogue ones). */
async function onOwnTestnet(nodes: number, fn: (net: Testnet) => Promise<void>): Promise<void> {
  const net = await startTestnet({ nodes });
  const saved = process.env.CCKIT_BOOTSTRAP;
  process.env.CCKIT_BOOTSTRAP = net.bootstrap;
  try {
    await fn(net);
  } finally {
    process.env.CCKIT_BOOTSTRAP = saved;
    await net.stop();
  }
}

test('resolve ignores forged, replayed-older, wrong-key and oversized answers', () => onOwnTestnet(8, async (tn) => {
  const id = generateIdentity();
  const z = toZ32(id.publicKey);
  const old = signPacket(id, encodeDns(setTxt(undefined, `_cclink.${z}`, '"old"')), Date.now() * 1000 - 1e6);
  await put(id, '"honest"');
  const now = Date.now() * 1000;
  // A forged packet, newer than anything, with a signature that does not verify.
  const forgedV = encodeDns(setTxt(undefined, `_cclink.${z}`, '"forged"'));
  const forged = { k: id.publicKey, seq: now + 1e9, v: forgedV, sig: new Uint8Array(64).fill(7) };
  // Another key's validly signed packet served under our key's target.
  const other = generateIdentity();
  const wrong = signPacket(other, encodeDns(setTxt(undefined, `_cclink.${z}`, '"wrong"')), now + 2e9);
  // A validly signed packet over 1000 bytes (BEP44 nodes never store one).
  const bigV = encodeDns(setTxt(undefined, `_cclink.${z}`, 'x'.repeat(1000)));
  const bigSeq = now + 3e9;
  const big = { k: id.publicKey, seq: bigSeq, v: bigV, sig: ed25519.sign(signable(bigSeq, bigV), id.seed) };
  const rogues = await Promise.all([
    startRogue(tn.bootstrap, forged),
    startRogue(tn.bootstrap, { k: old.publicKey, seq: old.seq, sig: old.sig, v: old.v }),
    startRogue(tn.bootstrap, { k: wrong.publicKey, seq: wrong.seq, sig: wrong.sig, v: wrong.v }),
    startRogue(tn.bootstrap, big),
  ]);
  try {
    logged.length = 0;
    const got = await get(id.publicKey);
    assert.equal(readTxt(got.found!.dns, `_cclink.${z}`), '"honest"');
    assert.ok(rogues.every((r) => r.served > 0), 'every rogue was asked');
    const problems = got.snap.problems.join('\n');
    assert.match(problems, /bad signature/);
    assert.match(problems, /packet for another key/);
    assert.match(problems, /oversized packet/);
    // A key nobody published: only forged answers exist, and none is accepted.
    const nobody = generateIdentity();
    const zn = toZ32(nobody.publicKey);
    rogues[0].answer({ k: nobody.publicKey, seq: now, v: encodeDns(setTxt(undefined, `_cclink.${zn}`, '"forged"')), sig: new Uint8Array(64).fill(1) });
    const none = await get(nobody.publicKey);
    assert.equal(none.found, undefined);
  } finally {
    await Promise.all(rogues.map((r) => r.stop()));
  }
}));

test('a node that answers with fields of the wrong bencode type is ignored, not fatal (fuzz-pkarr-signed-packet)', () => onOwnTestnet(6, async (tn) => {
  const id = generateIdentity();
  const z = toZ32(id.publicKey);
  await put(id, '"honest"');
  const v = encodeDns(setTxt(undefined, `_cclink.${z}`, '"typed"'));
  const seq = Date.now() * 1000 + 1e9;
  // sig as an integer threw a TypeError inside the socket handler; v as a list of byte
  // values, signed as a list, verified and was then read as bytes nobody signed.
  const rogues = await Promise.all([
    startRogue(tn.bootstrap, { k: id.publicKey, seq, sig: 5, v }),
    startRogue(tn.bootstrap, { k: id.publicKey, seq, sig: ed25519.sign(signable(seq, Array.from(v) as unknown as Uint8Array), id.seed), v: Array.from(v) }),
  ]);
  try {
    const got = await get(id.publicKey);
    assert.ok(rogues.every((r) => r.served > 0), 'every rogue was asked');
    assert.equal(readTxt(got.found!.dns, `_cclink.${z}`), '"honest"');
    assert.match(got.snap.problems.join('\n'), /malformed packet/);
  } finally {
    await Promise.all(rogues.map((r) => r.stop()));
  }
}));

test('not found is answered quickly without --wait', async () => {
  const t0 = Date.now();
  const got = await get(generateIdentity().publicKey);
  assert.equal(got.found, undefined);
  assert.ok(got.snap.reached.includes('mainline'));
  assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
});

test('waiting finds a record published meanwhile', async () => {
  const id = generateIdentity();
  const waiting = get(id.publicKey, { waitMs: 8000 });
  await new Promise((r) => setTimeout(r, 600));
  await put(id, '"late"');
  const got = await waiting;
  assert.equal(readTxt(got.found!.dns, fullName('_cclink', id.publicKey)), '"late"');
});

test('an unreachable DHT is an error, not "not found"', async () => {
  const saved = process.env.CCKIT_BOOTSTRAP;
  process.env.CCKIT_BOOTSTRAP = '127.0.0.1:9';
  try {
    await assert.rejects(get(generateIdentity().publicKey), (e: Error & { code?: string }) => e.code === 'ERR_DHT_UNREACHABLE' && /127\.0\.0\.1:9/.test(e.message));
    await assert.rejects(put(generateIdentity(), '{}'), (e: Error & { code?: string }) => e.code === 'ERR_DHT_UNREACHABLE');
  } finally {
    process.env.CCKIT_BOOTSTRAP = saved;
  }
});

test('the routing table is saved in the state dir, one file per bootstrap set', () => {
  const file = routingCachePath(tn.bootstrap);
  assert.ok(file.startsWith(process.env.CCKIT_STATE_DIR!));
  assert.ok(file.startsWith(dir));
  const cached = loadRoutingCache(tn.bootstrap);
  assert.ok(cached.nodes.length >= 10, `${cached.nodes.length} nodes`);
  assert.equal(cached.id?.length, 20);
  assert.equal(loadRoutingCache('127.0.0.1:1').nodes.length, 0);
});

test('churn: the record survives a third of the nodes going away, and a warm table survives the bootstrap node', () => onOwnTestnet(15, async (net) => {
    const id = generateIdentity();
    await put(id, '"durable"');
    // Kill 5 of 15 (never the bootstrap node, or nobody new could join).
    for (const i of [2, 5, 8, 11, 14]) await net.kill(i);
    let got = await get(id.publicKey);
    assert.equal(readTxt(got.found!.dns, fullName('_cclink', id.publicKey)), '"durable"');
    // Now the bootstrap node too: the table cached by the last run still leads there.
    await net.kill(0);
    got = await get(id.publicKey);
    assert.equal(readTxt(got.found!.dns, fullName('_cclink', id.publicKey)), '"durable"');
}));
