// LAN presence beacons (lib/pair/lan-presence.ts) without a network: only the
// peer a beacon is sealed to recognises it, in one direction only, and any
// other datagram (tampered, cut, random, oversized) is dropped, never thrown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generateIdentity, formatPubkey, type Identity } from '../../lib/identity/identity.ts';
import { sealBeacon, openBeacon, presenceKeys, MAX_DATAGRAM } from '../../lib/pair/lan-presence.ts';
import type { Peer } from '../../lib/pair/peers.ts';

const peer = (name: string, id: Identity): Peer => ({ name, pubkey: formatPubkey(id.publicKey), addrs: [], allow: ['view'] });
const alice = generateIdentity();
const bob = generateIdentity();
const carol = generateIdentity();

test('a paired peer recognises the beacon, with its port and timestamp', () => {
  const b = sealBeacon(alice, [peer('bob', bob), peer('carol', carol)], 4242, 1_000_000);
  const got = openBeacon(b, presenceKeys(bob, [peer('al', alice)]));
  assert.equal(got?.peer.name, 'al');
  assert.equal(got?.port, 4242);
  assert.equal(got?.ts, 1_000_000);
  assert.equal(openBeacon(b, presenceKeys(carol, [peer('al', alice)]))?.peer.name, 'al');
});

test('nobody else does: an unpaired receiver, the sender itself, a peer listed under another key', () => {
  const b = sealBeacon(alice, [peer('bob', bob)], 0);
  assert.equal(openBeacon(b, presenceKeys(carol, [peer('al', alice)])), undefined);
  // Alice hearing her own looped-back beacon does not take it for Bob's.
  assert.equal(openBeacon(b, presenceKeys(alice, [peer('bob', bob)])), undefined);
  assert.equal(openBeacon(b, presenceKeys(bob, [peer('carol', carol)])), undefined);
});

test('beacons are unlinkable bytes: a fresh nonce, no key in clear, a padded size', () => {
  const a = sealBeacon(alice, [peer('bob', bob)], 1);
  const b = sealBeacon(alice, [peer('bob', bob)], 1);
  assert.equal(a.length, b.length);
  assert.notDeepEqual(a.subarray(5), b.subarray(5));
  assert.equal(a.indexOf(Buffer.from(alice.publicKey)), -1);
  assert.equal(a.indexOf(Buffer.from(bob.publicKey)), -1);
  // 1 to 4 peers give the same size.
  const four = sealBeacon(alice, [bob, carol, generateIdentity(), generateIdentity()].map((id, i) => peer(`p${i}`, id)), 1);
  assert.equal(four.length, a.length);
});

test('tampered, cut, random and oversized datagrams are dropped', () => {
  const keys = presenceKeys(bob, [peer('al', alice)]);
  const b = sealBeacon(alice, [peer('bob', bob)], 7);
  for (let i = 0; i < b.length; i++) {
    const t = Buffer.from(b);
    t[i] ^= 0x01;
    // Flipping a bit of a padding entry leaves the real one intact; anything else must fail.
    const got = openBeacon(t, keys);
    if (got) assert.equal(got.port, 7);
  }
  for (const n of [0, 1, 5, 17, 42, b.length - 1]) assert.equal(openBeacon(b.subarray(0, n), keys), undefined);
  assert.equal(openBeacon(Buffer.concat([b, Buffer.from([0])]), keys), undefined);
  for (let i = 0; i < 200; i++) assert.equal(openBeacon(randomBytes(i * 7), keys), undefined);
  const big = Buffer.concat([b.subarray(0, 17), randomBytes(MAX_DATAGRAM)]);
  assert.equal(openBeacon(big, keys), undefined);
});

test('a header change (version, nonce) breaks every entry', () => {
  const keys = presenceKeys(bob, [peer('al', alice)]);
  const b = sealBeacon(alice, [peer('bob', bob)], 7);
  for (const i of [4, 5, 16]) {
    const t = Buffer.from(b);
    t[i] ^= 0x80;
    assert.equal(openBeacon(t, keys), undefined);
  }
});
