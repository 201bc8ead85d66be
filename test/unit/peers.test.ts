// peers.toml: atomic 0600 writes under a lock, names, allow lists, forget and
// rename, hostile entries skipped; and a lib/net server whose firewall comes
// from peers.toml cuts a live connection when the peer is forgotten.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import createTestnet from 'hyperdht/testnet.js';
import { isolate } from '../helpers/testnet-env.ts';
import { generateIdentity, formatPubkey } from '../../lib/identity/identity.ts';
import { savePeer, readPeers, forgetPeer, renamePeer, setAllow, parseAllow, peersPath, allowFromPeers, watchPeers, resolvePeer, listPeers } from '../../lib/pair/peers.ts';
import { NetNode, NET, identityKeyPair } from '../../lib/net/node.ts';

const dir = isolate();
const pk = () => formatPubkey(generateIdentity().publicKey);
const code = (c: string) => (e: { code?: string }) => e.code === c;

test('savePeer writes 0600 atomically, defaults allow to view, suffixes a taken name', async () => {
  const k1 = pk();
  const k2 = pk();
  const a = await savePeer({ name: 'laptop', pubkey: k1, addrs: [], paired_at: 1, via: 'code' });
  assert.deepEqual(a.allow, ['view']);
  const b = await savePeer({ name: 'laptop', pubkey: k2, addrs: ['192.0.2.1:1'], paired_at: 2, via: 'link', allow: ['view', 'send'] });
  assert.equal(b.name, 'laptop-2');
  assert.equal(statSync(peersPath()).mode & 0o777, 0o600);
  const again = await savePeer({ name: 'other', pubkey: k1, addrs: ['x'], paired_at: 3, via: 'lan' });
  assert.equal(again.name, 'laptop', 'a known key keeps its name');
  const all = await readPeers();
  assert.deepEqual(all.map((p) => [p.name, p.via, p.allow]), [['laptop', 'lan', ['view']], ['laptop-2', 'link', ['view', 'send']]]);
  const keys = readFileSync(peersPath(), 'utf8').split('\n').filter((l) => /^\w+ =/.test(l)).map((l) => l.split(' ')[0]);
  assert.deepEqual([...new Set(keys)].sort(), ['addrs', 'allow', 'name', 'paired_at', 'pubkey', 'via'], 'nothing but the record fields');
});

test('parallel saves do not lose a peer (the lock)', async () => {
  const keys = Array.from({ length: 6 }, pk);
  await Promise.all(keys.map((k, i) => savePeer({ name: `p${i}`, pubkey: k, addrs: [], via: 'code' })));
  const names = (await readPeers()).map((p) => p.name);
  for (let i = 0; i < 6; i++) assert.ok(names.includes(`p${i}`));
});

test('rename, allow and forget; unknown names are exit 3, bad names and abilities exit 2', async () => {
  await renamePeer('p0', 'desk');
  await assert.rejects(renamePeer('p1', 'desk'), (e: { exitCode?: number }) => e.exitCode === 2);
  await assert.rejects(renamePeer('nope', 'x'), (e: { exitCode?: number }) => e.exitCode === 3);
  await assert.rejects(renamePeer('p1', 'bad\x1bname'), (e: { exitCode?: number; message: string }) => e.exitCode === 2 && !e.message.includes('\x1b'));
  assert.deepEqual((await setAllow('desk', parseAllow('view,send,send'))).allow, ['view', 'send']);
  assert.throws(() => parseAllow('view,root'), (e: { exitCode?: number }) => e.exitCode === 2);
  const gone = await forgetPeer('desk');
  assert.equal(gone.name, 'desk');
  await assert.rejects(forgetPeer('desk'), code('ERR_UNKNOWN_PEER'));
});

test('hostile entries are skipped; a project file introduces names without shadowing or granting', async () => {
  const good = pk();
  writeFileSync(peersPath(), `[[peer]]\nname = "ok"\npubkey = "${good}"\nallow = ["view","root"]\n[[peer]]\nname = "\\u001b[31mevil"\npubkey = "${pk()}"\n[[peer]]\nname = "nokey"\npubkey = "pk:x"\n`);
  const peers = await readPeers();
  assert.deepEqual(peers.map((p) => [p.name, p.allow]), [['ok', ['view']]]);
  const repo = `${dir}/repo`;
  mkdirSync(`${repo}/.git`, { recursive: true });
  mkdirSync(`${repo}/.cckit`, { recursive: true });
  const proj = pk();
  writeFileSync(`${repo}/.cckit/peers.toml`, `[[peer]]\nname = "ok"\npubkey = "${pk()}"\n[[peer]]\nname = "teammate"\npubkey = "${proj}"\nallow = ["spawn"]\n`);
  const all = await listPeers(`${repo}/.cckit`);
  assert.deepEqual(all.map((p) => [p.name, p.pubkey === good || p.pubkey === proj, p.allow]), [['ok', true, ['view']], ['teammate', true, []]]);
  const cwd = process.cwd();
  process.chdir(repo);
  try {
    let said = '';
    await resolvePeer('teammate', (p) => (said = p.source!));
    assert.match(said, /\.cckit\/peers\.toml$/);
  } finally {
    process.chdir(cwd);
  }
});

test('a firewall from peers.toml admits the peer, refuses others, and forget cuts a live connection', async () => {
  const tn = await createTestnet(4, { host: '127.0.0.1' });
  process.env.CCKIT_HYPER_BOOTSTRAP = `127.0.0.1:${tn.bootstrap[0].port}`;
  const a = await NetNode.open();
  const b = await NetNode.open();
  after(async () => {
    await a.close();
    await b.close();
    await tn.destroy();
  });
  const me = generateIdentity();
  const friend = generateIdentity();
  await savePeer({ name: 'friend', pubkey: formatPubkey(friend.publicKey), addrs: [], via: 'code' });
  const srv = await a.listen(identityKeyPair(me), { allow: await allowFromPeers('view') }, (ch) => {
    (async () => {
      for await (const m of ch) await ch.send({ echo: m });
    })().catch(() => {});
  });
  const stop = watchPeers(async () => srv.setAllow(await allowFromPeers('view')));
  const ch = await b.dial(me.publicKey, identityKeyPair(friend));
  await ch.send({ n: 1 });
  assert.deepEqual(await ch.next(5000), { echo: { n: 1 } });
  await forgetPeer('friend');
  await assert.rejects(ch.next(10_000), code(NET.CLOSED));
  stop();
  await srv.close();
});
