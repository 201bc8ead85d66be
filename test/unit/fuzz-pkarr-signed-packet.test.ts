// Property tests for the PKARR SignedPacket (DESIGN.md §6) as it comes off
// the network: full bytes `pubkey | sig | ts | dns`, the relay body
// `sig | ts | dns`, and the BEP44 fields a Mainline node answers with, whose
// types a hostile node chooses (bencode: byte strings, integers, lists,
// dicts). (a) Readers never throw: they return a packet or a reason;
// (b) toBytes(fromBytes(x)) is x byte for byte, and a verified packet's
// bytes are exactly the bytes its signature covers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createPrivateKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import dns from 'dns-packet';
import { identityFromSeed, toZ32, verify } from '../../lib/identity/identity.ts';
import {
  MAX_DNS_BYTES,
  emptyPacket,
  encodeDns,
  fromBytes,
  fromRelayBody,
  fullName,
  isVerified,
  setTxt,
  signable,
  toBytes,
  toRelayBody,
  verifyPacket,
  type SignedPacket,
  type VerifiedPacket,
} from '../../lib/dht/pkarr.ts';
import { takeAnswer, type MainlineLookup } from '../../lib/dht/mainline.ts';
import { mutated, property } from '../helpers/fuzz.ts';

const vectors = JSON.parse(readFileSync(new URL('../vectors/pkarr-signed-packets.json', import.meta.url), 'utf8'));
const validBytes: Uint8Array[] = vectors.valid.map((v: { signed_packet_hex: string }) => new Uint8Array(Buffer.from(v.signed_packet_hex, 'hex')));
const victim = identityFromSeed(new Uint8Array(Buffer.from(vectors.seed_hex, 'hex')));

// The attacker publishes under its own key (a colleague's record is resolved under the
// colleague's key), so it signs whatever it likes. One KeyObject: signing through the
// library re-imports the seed each time, which would dominate the run.
const attackerSeed = new Uint8Array(32).fill(0xa7);
const attacker = identityFromSeed(attackerSeed);
const attackerKey: KeyObject = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), attackerSeed]),
  format: 'der',
  type: 'pkcs8',
});
const signAs = (message: Uint8Array) => new Uint8Array(nodeSign(null, message, attackerKey));

/** A reader's answer: a verified packet or a reason string, never a throw. */
function answer(x: VerifiedPacket | { reason: string }): VerifiedPacket | undefined {
  if (isVerified(x)) return x;
  assert.equal(typeof x.reason, 'string');
  assert.ok(x.reason.length > 0);
  return undefined;
}

/** What holds of every packet a reader accepted, whatever the input was. */
function sound(p: VerifiedPacket, publicKey: Uint8Array): void {
  assert.ok(p.v instanceof Uint8Array && p.sig instanceof Uint8Array);
  assert.ok(p.v.length >= 1 && p.v.length <= MAX_DNS_BYTES);
  assert.ok(Number.isSafeInteger(p.seq) && p.seq >= 0);
  // The bytes we keep are the bytes that were signed.
  assert.ok(verify(publicKey, signable(p.seq, p.v), p.sig), 'accepted bytes differ from the signed ones');
}

const seq = fc.oneof(fc.maxSafeNat(), fc.constantFrom(0, 1, 1_767_225_600_000_000, Number.MAX_SAFE_INTEGER));
const txtText = fc.string({ unit: 'grapheme', maxLength: 120 });
const dnsBytes = fc
  .array(fc.tuple(fc.constantFrom('_cclink', '_ccctx', '@', '_cclink.work', 'x'), txtText), { maxLength: 3 })
  .map((records) => {
    let p = emptyPacket();
    for (const [name, text] of records) p = setTxt(p, fullName(name, attacker.publicKey), text);
    return encodeDns(p);
  })
  .filter((v) => v.length <= MAX_DNS_BYTES);

/** A packet the attacker signed properly. */
const signedPacket = fc.tuple(dnsBytes, seq).map(([v, s]): SignedPacket => ({ publicKey: attacker.publicKey, seq: s, v, sig: signAs(signable(s, v)) }));

// ── full bytes and relay bodies ─────────────────────────────────────────

property(
  'signed packet bytes: any bytes (random, or mutated vectors) verify or give a reason, never throw',
  fc.property(fc.oneof(fc.uint8Array({ maxLength: 1200 }), fc.constantFrom(...validBytes).chain((b) => mutated(b))), (bytes) => {
    const p = answer(fromBytes(bytes));
    if (p) sound(p, bytes.subarray(0, 32));
  }),
);

property(
  'relay body: any body for a key verifies or gives a reason, never throws',
  fc.property(
    fc.oneof(fc.uint8Array({ maxLength: 1200 }), signedPacket.chain((p) => mutated(toRelayBody(p)))),
    (body) => {
      const p = answer(fromRelayBody(attacker.publicKey, body));
      if (p) sound(p, attacker.publicKey);
    },
  ),
);

property(
  'signed packet: toBytes(fromBytes(x)) and toRelayBody(fromRelayBody(x)) reproduce x byte for byte; the DNS re-encodes to the same bytes',
  fc.property(signedPacket, (sp) => {
    const bytes = toBytes(sp);
    const p = answer(fromBytes(bytes));
    assert.ok(p, 'a packet signed by its key must verify');
    // (No sound() here: byte equality with what was signed says the same, without two more verifies.)
    assert.ok(Buffer.from(toBytes(p)).equals(Buffer.from(bytes)));
    const body = toRelayBody(sp);
    const q = answer(fromRelayBody(attacker.publicKey, body));
    assert.ok(q);
    assert.ok(Buffer.from(toRelayBody(q)).equals(Buffer.from(body)));
    assert.ok(Buffer.from(encodeDns(p.dns)).equals(Buffer.from(sp.v)));
    assert.equal(p.seq, sp.seq);
  }),
);

// ── BEP44 fields from a Mainline node ─────────────────────────────────────

/** Values bencode can decode to: what a hostile node can put in k, seq, sig and v. */
const bencoded: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.uint8Array({ maxLength: 80 }),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie('value'), { maxKeys: 3 }),
  ),
})).value;
const sigLike = fc.oneof(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.array(fc.nat(255), { minLength: 64, maxLength: 64 }), bencoded);
// A list of small integers reads, byte by byte, like a byte string: make some of them DNS packets.
const vLike = fc.oneof(dnsBytes, dnsBytes.map((b) => Array.from(b)), fc.array(fc.nat(255), { minLength: 1, maxLength: 40 }), bencoded);

property(
  'BEP44 answer: any field types (bencode values) give a reason or a sound packet, never throw',
  fc.property(
    fc.oneof(fc.constant(undefined), fc.constant(attacker.publicKey), bencoded),
    fc.oneof(seq, bencoded, fc.constantFrom(-1, 2 ** 64, 1.5)),
    sigLike,
    vLike,
    (k, s, sig, v) => {
      const p = answer(verifyPacket(attacker.publicKey, { k, seq: s, sig, v } as Parameters<typeof verifyPacket>[1]));
      if (p) sound(p, attacker.publicKey);
    },
  ),
);

property(
  'BEP44 answer: a value of any bencode type, signed by the key, is accepted only as the byte string it signed',
  fc.property(seq, vLike, fc.boolean(), (s, v, asList) => {
    // The attacker signs `3:seqi<s>e1:v<bencode of v>`, whatever v is.
    const sig = signAs(signable(s, v as Uint8Array));
    const p = answer(verifyPacket(attacker.publicKey, { k: attacker.publicKey, seq: s, sig: asList ? (Array.from(sig) as unknown as Uint8Array) : sig, v: v as Uint8Array }));
    if (p) sound(p, attacker.publicKey);
  }),
);

property(
  'Mainline get answers: any response dict from a node is taken or rejected, never throws, and keeps only sound packets',
  fc.property(
    fc.array(
      fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 1 },
        { arbitrary: fc.record({ k: fc.oneof(fc.constant(attacker.publicKey), bencoded), seq: fc.oneof(seq, bencoded), sig: sigLike, v: vLike }, { requiredKeys: [] }), weight: 4 },
        { arbitrary: signedPacket.map((p) => ({ k: p.publicKey, seq: p.seq, sig: p.sig, v: p.v })), weight: 1 },
      ),
      { minLength: 1, maxLength: 3 },
    ),
    (answers) => {
      const result: MainlineLookup = { packets: [], holders: new Map(), responded: 0, rejected: new Map() };
      const checked = new Map();
      answers.forEach((r, i) => takeAnswer(attacker.publicKey, r as Record<string, unknown> | undefined, `127.0.0.1:${i}`, result, checked));
      for (const p of result.packets) sound(p, attacker.publicKey);
      for (const h of result.holders.values()) assert.equal(typeof h.sig, 'string');
    },
  ),
);

// ── regression vectors found by these properties ───────────────────────────

const found = JSON.parse(readFileSync(new URL('../vectors/fuzz-pkarr.json', import.meta.url), 'utf8'));
for (const c of found.bep44) {
  test(`regression: BEP44 ${c.name}`, () => {
    // Re-sign with the attacker's key: the vector keeps the value, not a signature.
    const v = c.v_list ?? Buffer.from(c.v_hex, 'hex');
    const sig = signAs(signable(c.seq, v));
    const out = verifyPacket(attacker.publicKey, { k: attacker.publicKey, seq: c.seq, sig, v });
    assert.equal(isVerified(out) ? 'verified' : out.reason, c.expect);
  });
}

test('the victim key from the vectors still reads its own packets (sanity for the mutation seeds)', () => {
  for (const b of validBytes) assert.ok(isVerified(fromBytes(b)));
  assert.equal(toZ32(victim.publicKey), vectors.public_key_z32);
  assert.ok(dns.decode(Buffer.from(validBytes[0].subarray(104))));
});
