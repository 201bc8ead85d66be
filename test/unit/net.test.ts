// lib/net/ on a private hyperdht testnet (127.0.0.1): identity keys are the
// addresses, the firewall runs before any application byte, refresh() cuts
// live connections, and NDJSON frames are bounded and typed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import createTestnet, { type HyperTestnet } from 'hyperdht/testnet.js';
import { NetNode, NET, identityKeyPair, ephemeralKeyPair, type Channel } from '../../lib/net/node.ts';
import { generateIdentity, bytesEqual } from '../../lib/identity/identity.ts';
import { isolate } from '../helpers/testnet-env.ts';

isolate();
let tn: HyperTestnet;
let a: NetNode;
let b: NetNode;

before(async () => {
  tn = await createTestnet(5, { host: '127.0.0.1' });
  process.env.CCKIT_HYPER_BOOTSTRAP = `${tn.bootstrap[0].host}:${tn.bootstrap[0].port}`;
  a = await NetNode.open();
  b = await NetNode.open();
});
after(async () => {
  await a.close();
  await b.close();
  await tn.destroy();
});

const echo = (ch: Channel) => {
  (async () => {
    try {
      for await (const m of ch) await ch.send({ echo: m });
    } catch {
      /* peer went away */
    }
  })();
};

test('dial an identity key: the pk is the address, both ends agree on keys and handshake hash', async () => {
  const server = generateIdentity();
  const client = generateIdentity();
  let seen: Channel | undefined;
  const srv = await a.listen(identityKeyPair(server), { allow: () => true }, (ch) => {
    seen = ch;
    echo(ch);
  });
  const ch = await b.dial(server.publicKey, identityKeyPair(client));
  assert.ok(bytesEqual(ch.remotePublicKey, server.publicKey));
  await ch.send({ hi: 1, text: 'é\n' });
  assert.deepEqual(await ch.next(5000), { echo: { hi: 1, text: 'é\n' } });
  assert.ok(seen && bytesEqual(seen.remotePublicKey, client.publicKey));
  assert.ok(bytesEqual(seen!.handshakeHash, ch.handshakeHash));
  assert.equal(ch.initiator, true);
  assert.equal(seen!.initiator, false);
  await ch.close();
  await srv.close();
});

test('the firewall refuses an unlisted key before any application byte', async () => {
  const server = generateIdentity();
  const friend = generateIdentity();
  const stranger = generateIdentity();
  let admitted = 0;
  const srv = await a.listen(identityKeyPair(server), { allow: (pk) => bytesEqual(pk, friend.publicKey) }, (ch) => {
    admitted++;
    echo(ch);
  });
  await assert.rejects(b.dial(server.publicKey, identityKeyPair(stranger), { timeoutMs: 10_000 }), (e: { code?: string }) => e.code === NET.REFUSED || e.code === NET.UNREACHABLE);
  assert.equal(admitted, 0);
  const ok = await b.dial(server.publicKey, identityKeyPair(friend));
  await ok.send({ x: 1 });
  assert.deepEqual(await ok.next(5000), { echo: { x: 1 } });
  assert.equal(admitted, 1);
  await ok.close();
  await srv.close();
});

test('refresh() cuts a live connection the policy no longer admits', async () => {
  const server = generateIdentity();
  const friend = generateIdentity();
  let allowed = true;
  const srv = await a.listen(identityKeyPair(server), { allow: () => allowed }, echo);
  const ch = await b.dial(server.publicKey, identityKeyPair(friend));
  await ch.send({ n: 1 });
  assert.deepEqual(await ch.next(5000), { echo: { n: 1 } });
  allowed = false;
  assert.equal(srv.refresh(), 1);
  await assert.rejects(ch.next(10_000), (e: { code?: string }) => e.code === NET.CLOSED);
  await assert.rejects(b.dial(server.publicKey, identityKeyPair(friend), { timeoutMs: 10_000 }));
  await srv.close();
});

test('frames: oversized, non-JSON and non-object frames are errors with stable codes', async () => {
  const server = generateIdentity();
  const got: Promise<unknown>[] = [];
  const srv = await a.listen(identityKeyPair(server), { allow: () => true, maxFrame: 64 }, (ch) => {
    got.push(ch.next(10_000).catch((e) => e.code));
  });
  const raw = async (bytes: string) => {
    const ch = await b.dial(server.publicKey, ephemeralKeyPair());
    (ch as unknown as { stream: { write(b: Buffer): void } }).stream.write(Buffer.from(bytes));
    return ch;
  };
  const c1 = await raw('x'.repeat(100));
  const c2 = await raw('not json\n');
  const c3 = await raw('[1,2]\n');
  const c4 = await raw('{"a":');
  await new Promise((r) => setTimeout(r, 200));
  (c4 as unknown as { stream: { write(b: Buffer): void } }).stream.write(Buffer.from('1}\n'));
  for (let i = 0; i < 50 && got.length < 4; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await Promise.all(got), [NET.FRAME_TOO_LARGE, NET.BAD_FRAME, NET.BAD_FRAME, { a: 1 }]);
  await assert.rejects(c1.send({ big: 'y'.repeat(2 << 20) }), (e: { code?: string }) => e.code === NET.FRAME_TOO_LARGE);
  for (const c of [c1, c2, c3, c4]) c.destroy();
  await srv.close();
});

test('a clean close ends the peer iterator; a timeout leaves the channel usable', async () => {
  const server = generateIdentity();
  const ends: string[] = [];
  const srv = await a.listen(identityKeyPair(server), { allow: () => true }, (ch) => {
    (async () => {
      const m = await ch.next(5000);
      await ch.send({ echo: m });
      for await (const _ of ch) ends.push('msg');
      ends.push('end');
      await ch.close();
    })().catch(() => ends.push('error'));
  });
  const ch = await b.dial(server.publicKey, ephemeralKeyPair());
  await assert.rejects(ch.next(50), (e: { code?: string }) => e.code === NET.TIMEOUT);
  await ch.send({ ping: true });
  assert.deepEqual(await ch.next(5000), { echo: { ping: true } });
  await ch.close();
  for (let i = 0; i < 50 && ends.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(ends, ['end']);
  await srv.close();
});

test('announce and lookup a topic; dialling an unknown key fails with a stable code', async () => {
  const topic = new Uint8Array(32).fill(7);
  const eph = ephemeralKeyPair();
  const srv = await a.listen(eph, { allow: () => true }, echo);
  await a.announce(topic, eph, srv);
  const found = await b.lookup(topic);
  assert.ok(found.some((p) => bytesEqual(p.publicKey, eph.publicKey)));
  const ch = await b.dial(found[0].publicKey, ephemeralKeyPair(), { relayAddresses: found[0].relayAddresses });
  await ch.send({ t: 1 });
  assert.deepEqual(await ch.next(5000), { echo: { t: 1 } });
  await ch.close();
  await srv.close();
  await assert.rejects(b.dial(generateIdentity().publicKey, ephemeralKeyPair(), { timeoutMs: 15_000 }), (e: { code?: string }) => e.code === NET.UNREACHABLE || e.code === NET.TIMEOUT);
});
