// lib/dht/testnet.ts: every socket on 127.0.0.1, a connected network, BEP 43
// read-only clients kept out of routing tables, and a clean stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isolate, get, put, generateIdentity } from '../helpers/testnet-env.ts';
import { startTestnet } from '../../lib/dht/testnet.ts';

isolate();

test('a testnet binds every node to 127.0.0.1, connects them, and stops them all', async () => {
  const tn = await startTestnet({ nodes: 10 });
  try {
    assert.match(tn.bootstrap, /^127\.0\.0\.1:\d+$/);
    assert.equal(tn.nodes.length, 10);
    for (const n of tn.nodes) assert.equal(n.address().address, '127.0.0.1');
    const known = tn.nodes.map((n) => n._rpc.nodes.toArray().length);
    assert.ok(known.every((k) => k >= 5), `routing table sizes ${known}`);
  } finally {
    await tn.stop();
  }
  assert.ok(tn.nodes.every((n) => n.destroyed));
});

test('short-lived clients (BEP 43 read-only) do not end up in the routing tables', async () => {
  const tn = await startTestnet({ nodes: 6 });
  process.env.CCKIT_BOOTSTRAP = tn.bootstrap;
  try {
    const before = tn.nodes.map((n) => n._rpc.nodes.toArray().length);
    const id = generateIdentity();
    await put(id, '"x"');
    await get(id.publicKey);
    const after = tn.nodes.map((n) => n._rpc.nodes.toArray().length);
    assert.deepEqual(after, before);
  } finally {
    await tn.stop();
  }
});

test('get answers carry closer nodes along with the value (BEP 44, as libtorrent does)', async () => {
  const tn = await startTestnet({ nodes: 4 });
  process.env.CCKIT_BOOTSTRAP = tn.bootstrap;
  try {
    const id = generateIdentity();
    await put(id, '"v"');
    const target = createHash('sha1').update(id.publicKey).digest();
    const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const asker = tn.nodes[1];
      asker._rpc.query({ host: '127.0.0.1', port: tn.nodes[0].address().port }, { q: 'get', a: { id: asker._rpc.id, target } }, (err, res) =>
        err ? reject(err) : resolve(res!.r as Record<string, unknown>),
      );
    });
    assert.ok(reply.v, 'the value');
    assert.ok(Buffer.isBuffer(reply.nodes) && (reply.nodes as Buffer).length >= 26, 'and closer nodes');
  } finally {
    await tn.stop();
  }
});

test('kill stops one node; stop is idempotent', async () => {
  const tn = await startTestnet({ nodes: 3 });
  await tn.kill(1);
  assert.ok(tn.nodes[1].destroyed);
  assert.ok(!tn.nodes[0].destroyed);
  await tn.kill(1);
  await tn.stop();
  await tn.stop();
  assert.ok(tn.nodes.every((n) => n.destroyed));
});

test('a HyperDHT testnet comes up on 127.0.0.1 beside it', async () => {
  const tn = await startTestnet({ nodes: 2, hyper: true, hyperNodes: 3 });
  try {
    assert.match(tn.hyperBootstrap!, /^127\.0\.0\.1:\d+$/);
    assert.equal(tn.hyperNodes, 3);
  } finally {
    await tn.stop();
  }
});

test('a testnet needs at least one node', async () => {
  await assert.rejects(startTestnet({ nodes: 0 }), /at least one node/);
});
