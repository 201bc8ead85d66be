// Channel raw segments (used by session carry): a frame with "$raw": n is
// followed by n unframed bytes, then NDJSON resumes; an unexpected or
// oversized announcement is a bad frame.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import createTestnet, { type HyperTestnet } from 'hyperdht/testnet.js';
import { NetNode, NET, identityKeyPair, type Channel } from '../../lib/net/node.ts';
import { generateIdentity } from '../../lib/identity/identity.ts';
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

async function pair(onServer: (ch: Channel) => void) {
  const server = generateIdentity();
  const srv = await a.listen(identityKeyPair(server), { allow: () => true }, onServer);
  const ch = await b.dial(server.publicKey, identityKeyPair(generateIdentity()));
  return { srv, ch };
}

test('raw bytes after a $raw frame arrive intact, then JSON frames again', async () => {
  const body = randomBytes(3 * 1024 * 1024 + 17);
  const { srv, ch } = await pair(async (s) => {
    await s.next();
    const parts = async function* () {
      for (let i = 0; i < body.length; i += 100_000) yield body.subarray(i, i + 100_000);
    };
    await s.sendRaw({ here: true }, body.length, parts());
    await s.send({ after: 1 });
  });
  const got: Buffer[] = [];
  ch.acceptRaw(body.length, (c) => got.push(Buffer.from(c)));
  await ch.send({ go: 1 });
  const head = await ch.next(10_000);
  assert.equal(head.$raw, body.length);
  const tail = await ch.next(10_000);
  assert.deepEqual(tail, { after: 1 });
  assert.ok(Buffer.concat(got).equals(body));
  ch.destroy();
  await srv.close();
});

test('a $raw frame the receiver did not ask for, or above its limit, is a bad frame', async () => {
  for (const limit of [undefined, 10]) {
    const { srv, ch } = await pair(async (s) => {
      await s.sendRaw({}, 100, [Buffer.alloc(100)]).catch(() => {});
    });
    if (limit !== undefined) ch.acceptRaw(limit, () => {});
    await assert.rejects(ch.next(10_000), (e: { code?: string }) => e.code === NET.BAD_FRAME);
    await srv.close();
  }
});
