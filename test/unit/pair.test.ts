// The pairing handshake and rendezvous on a private hyperdht testnet: a right
// code pairs both identities, a wrong one fails on both sides, 3 failures burn
// the invite, the TTL expires it, two inviters can share a nameplate, a man in
// the middle fails confirmation and a swapped identity fails its binding.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hkdfSync, randomBytes } from 'node:crypto';
import createTestnet, { type HyperTestnet } from 'hyperdht/testnet.js';
import { isolate } from '../helpers/testnet-env.ts';
import { NetNode, ephemeralKeyPair, type Channel } from '../../lib/net/node.ts';
import { generateIdentity, formatPubkey, sign, type Identity } from '../../lib/identity/identity.ts';
import { generateCode, generateLink, parsePairInput, parseLink, completeWord, codeTopic } from '../../lib/pair/code.ts';
import { runInviter, runJoiner } from '../../lib/pair/rendezvous.ts';
import { joinHandshake, inviteHandshake, channelIdentifier, bindingMessage, safeName, hkdfSha512, type Me } from '../../lib/pair/handshake.ts';
import { cpaceStart, cpaceFinish } from '../../lib/pair/cpace.ts';

isolate();
let tn: HyperTestnet;
let a: NetNode;
let b: NetNode;
let c: NetNode;
before(async () => {
  tn = await createTestnet(5, { host: '127.0.0.1' });
  process.env.CCKIT_HYPER_BOOTSTRAP = `127.0.0.1:${tn.bootstrap[0].port}`;
  [a, b, c] = await Promise.all([NetNode.open(), NetNode.open(), NetNode.open()]);
});
after(async () => {
  await Promise.all([a.close(), b.close(), c.close()]);
  await tn.destroy();
});

const me = (name: string, id = generateIdentity()): Me => ({ identity: id, name, addrs: [] });
const code = (c: string) => (e: { code?: string }) => e.code === c;

test('codes and links: format, prefixes, normalization, damage', () => {
  const { code: k, secret } = generateCode();
  assert.match(k, /^[1-9]\d{3}-[a-z]+-[a-z]+-[a-z]+$/);
  const [np, w1, w2, w3] = k.split('-');
  const typed = parsePairInput(`  ${np} ${w1.slice(0, 4).toUpperCase()} ${w2}-${w3.slice(0, 4)} `);
  assert.deepEqual(typed.prs, secret.prs);
  assert.deepEqual(typed.topic, codeTopic(np));
  assert.deepEqual(parsePairInput(`${w1} ${w2} ${w3}`, np).prs, secret.prs, 'words alone after `join NNNN`');
  assert.equal(completeWord('zoo'), 'zoo');
  assert.throws(() => completeWord('ab'), (e: { exitCode?: number; message: string }) => e.exitCode === 2 && /could be/.test(e.message));
  assert.throws(() => parsePairInput('0123-a-b-c'), (e: { exitCode?: number }) => e.exitCode === 2);
  assert.throws(() => parsePairInput(`${np}-${w1}-${w2}`), (e: { exitCode?: number }) => e.exitCode === 2);
  const { link, secret: ls } = generateLink();
  assert.match(link, /^cckit:\/\/pair#v1\.[ybndrfg8ejkmcpqxot1uwisza345h769]{52}$/);
  assert.deepEqual(parsePairInput(link).prs, ls.prs);
  assert.throws(() => parseLink(link.slice(0, -1)), (e: { exitCode?: number }) => e.exitCode === 2);
  assert.throws(() => parseLink('cckit://pair?v1.x'), (e: { exitCode?: number }) => e.exitCode === 2);
  assert.equal(safeName('\x1b[31mevil box'), '31mevil-box');
  assert.equal(safeName(42), 'peer');
});

test("the handshake's HKDF-SHA512 gives the bytes of node:crypto hkdfSync (RFC 5869)", () => {
  for (const len of [1, 5, 32, 64]) {
    const ikm = randomBytes(64);
    const salt = randomBytes(64);
    assert.deepEqual(Buffer.from(hkdfSha512(ikm, salt, 'cckit/pair/v1/binder', len)), Buffer.from(hkdfSync('sha512', ikm, salt, 'cckit/pair/v1/binder', len)));
  }
  assert.deepEqual(Buffer.from(hkdfSha512(new Uint8Array(0), new Uint8Array(0), '', 64)), Buffer.from(hkdfSync('sha512', new Uint8Array(0), new Uint8Array(0), '', 64)));
  assert.throws(() => hkdfSha512(new Uint8Array(1), new Uint8Array(1), 'x', 65), RangeError);
});

test('a right code pairs both identities; both sides see the same verifier words', async () => {
  const { code: k, secret } = generateCode();
  const inviter = me('desk');
  const joiner = me('laptop');
  const inv = runInviter({ node: a, secret, me: inviter, ttlMs: 60_000 });
  await new Promise((r) => setTimeout(r, 300));
  const j = await runJoiner({ node: b, secret: parsePairInput(k), me: joiner });
  const i = await inv;
  assert.equal(j.pubkey, formatPubkey(inviter.identity.publicKey));
  assert.equal(i.pubkey, formatPubkey(joiner.identity.publicKey));
  assert.equal(j.name, 'desk');
  assert.equal(i.name, 'laptop');
  assert.deepEqual(i.verifier, j.verifier);
  assert.equal(i.verifier.length, 3);
});

test('a link pairs too', async () => {
  const { link, secret } = generateLink();
  const inv = runInviter({ node: a, secret, me: me('desk'), ttlMs: 60_000 });
  const j = await runJoiner({ node: b, secret: parseLink(link), me: me('phone') });
  assert.equal((await inv).name, 'phone');
  assert.equal(j.name, 'desk');
});

test('a wrong code fails on both sides; 3 failures burn the invite', async () => {
  const { code: k, secret } = generateCode();
  const [np, w1, w2, w3] = k.split('-');
  const wrongWord = w3 === 'zoo' ? 'abandon' : 'zoo';
  const failures: number[] = [];
  const inv = runInviter({ node: a, secret, me: me('desk'), ttlMs: 60_000, onFailure: (n) => failures.push(n) });
  inv.catch(() => {});
  for (let i = 0; i < 3; i++) {
    await assert.rejects(runJoiner({ node: b, secret: parsePairInput(`${np}-${w1}-${w2}-${wrongWord}`), me: me('x'), waitMs: 3000 }), (e: { code?: string; exitCode?: number }) => e.code === 'ERR_WRONG_CODE' && e.exitCode === 4);
  }
  await assert.rejects(inv, (e: { code?: string; exitCode?: number }) => e.code === 'ERR_INVITE_BURNED' && e.exitCode === 4);
  assert.deepEqual(failures, [1, 2, 3]);
  // Burnt: even the right code finds nobody now.
  await assert.rejects(runJoiner({ node: b, secret: parsePairInput(k), me: me('y'), waitMs: 1000 }), (e: { exitCode?: number }) => e.exitCode === 3 || e.exitCode === 1);
});

test('an invite expires at its TTL (exit 5)', async () => {
  const { secret } = generateCode();
  await assert.rejects(runInviter({ node: a, secret, me: me('desk'), ttlMs: 500 }), (e: { code?: string; exitCode?: number }) => e.code === 'ERR_CODE_EXPIRED' && e.exitCode === 5);
  const { secret: nobody } = generateCode();
  await assert.rejects(runJoiner({ node: b, secret: nobody, me: me('x'), waitMs: 500 }), code('ERR_NO_INVITER'));
});

test('two inviters on one nameplate: the joiner pairs with the one whose words it has', async () => {
  const first = generateCode();
  const np = first.secret.nameplate!;
  let other;
  do other = generateCode();
  while (other.code.split('-').slice(1).join() === first.code.split('-').slice(1).join());
  const otherSecret = parsePairInput(`${np}-${other.code.split('-').slice(1).join('-')}`);
  const ours = me('ours');
  const theirs = me('theirs');
  const invA = runInviter({ node: a, secret: otherSecret, me: theirs, ttlMs: 60_000 });
  invA.catch(() => {});
  await new Promise((r) => setTimeout(r, 300));
  const invB = runInviter({ node: c, secret: first.secret, me: ours, ttlMs: 60_000 });
  await new Promise((r) => setTimeout(r, 500));
  const j = await runJoiner({ node: b, secret: parsePairInput(first.code), me: me('joiner') });
  assert.equal(j.pubkey, formatPubkey(ours.identity.publicKey));
  assert.equal((await invB).name, 'joiner');
  // The other inviter is still waiting for its own joiner.
  const j2 = await runJoiner({ node: b, secret: otherSecret, me: me('joiner2') });
  assert.equal(j2.pubkey, formatPubkey(theirs.identity.publicKey));
  await invA;
});

test('a man in the middle terminating Noise on both legs fails confirmation on both sides', async () => {
  const { secret } = generateCode();
  const invKp = ephemeralKeyPair();
  const inviterResult = new Promise<unknown>((resolve) => {
    a.listen(invKp, { allow: () => true }, (ch) => inviteHandshake(ch, secret, me('desk')).then(resolve, resolve));
  });
  const mitmKp = ephemeralKeyPair();
  await c.listen(mitmKp, { allow: () => true }, async (left: Channel) => {
    const right = await c.dial(invKp.publicKey, ephemeralKeyPair());
    const pump = async (from: Channel, to: Channel) => {
      try {
        for await (const m of from) await to.send(m);
      } catch {
        /* one leg closed */
      }
      to.destroy();
    };
    pump(left, right);
    pump(right, left);
  });
  const ch = await b.dial(mitmKp.publicKey, ephemeralKeyPair());
  await assert.rejects(joinHandshake(ch, secret, me('laptop')), code('ERR_WRONG_CODE'));
  const r = (await inviterResult) as { code?: string };
  assert.equal(r.code, 'ERR_WRONG_CODE');
});

test('a swapped identity in the final exchange fails its binding signature', async () => {
  const { secret } = generateCode();
  const victim = generateIdentity();
  const evil: Identity = generateIdentity();
  const kp = ephemeralKeyPair();
  // An inviter that knows the code but claims someone else's key.
  await a.listen(kp, { allow: () => true }, async (ch) => {
    const sid = ch.handshakeHash;
    const ci = channelIdentifier(ch.remotePublicKey, ch.publicKey);
    const first = await ch.next(5000);
    const own = cpaceStart(secret.prs, ci, sid);
    const Y = own.Y;
    const enc = new TextEncoder();
    const keys = cpaceFinish(own, new Uint8Array(Buffer.from(String(first.Y), 'base64')), 'responder', enc.encode('cckit-pair/1;join'), enc.encode('cckit-pair/1;invite'), sid);
    await ch.send({ v: 1, t: 'pake', Y: Buffer.from(Y).toString('base64'), T: Buffer.from(keys.Tb).toString('base64') });
    await ch.next(5000);
    await ch.next(5000);
    const sig = sign(evil, bindingMessage('invite', sid, keys.isk));
    await ch.send({ v: 1, t: 'id', name: 'desk', pubkey: formatPubkey(victim.publicKey), addrs: [], sig: Buffer.from(sig).toString('base64') });
  });
  const ch = await b.dial(kp.publicKey, ephemeralKeyPair());
  await assert.rejects(joinHandshake(ch, secret, me('laptop')), (e: { code?: string; exitCode?: number }) => e.code === 'ERR_PAIR_BINDING' && e.exitCode === 4);
});

test('LAN beacons: round trip; other topics, oversized, malformed or hostile datagrams are dropped', async () => {
  const { makeBeacon, readBeacon } = await import('../../lib/pair/lan.ts');
  const topic = codeTopic('4821');
  const eph = ephemeralKeyPair().publicKey;
  const b = Buffer.from(JSON.stringify(makeBeacon(topic, 4242, eph)));
  assert.deepEqual(readBeacon(b, topic), { port: 4242, eph: new Uint8Array(eph) });
  assert.equal(readBeacon(b, codeTopic('4822')), undefined);
  assert.equal(readBeacon(Buffer.alloc(600, 0x20), topic), undefined);
  assert.equal(readBeacon(Buffer.from('not json'), topic), undefined);
  const bad = (patch: object) => Buffer.from(JSON.stringify({ ...JSON.parse(b.toString()), ...patch }));
  assert.equal(readBeacon(bad({ port: 0 }), topic), undefined);
  assert.equal(readBeacon(bad({ port: '80' }), topic), undefined);
  assert.equal(readBeacon(bad({ eph: '\x1b[2J' }), topic), undefined);
  assert.equal(readBeacon(bad({ magic: 'xxxx' }), topic), undefined);
  assert.equal(readBeacon(bad({ v: 2 }), topic), undefined);
  assert.doesNotMatch(b.toString(), /abandon|4821/, 'a beacon carries no code');
});
