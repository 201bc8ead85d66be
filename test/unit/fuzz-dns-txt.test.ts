// Property tests for the DNS side of a PKARR packet (DESIGN.md §6): TXT
// records split into character-strings of at most 254 bytes, read back
// however another implementation split them (mid-character, empty strings)
// and with name compression; and the publisher's operations (set, remove,
// rebase, budget) on whatever DNS a packet under the key decodes to.
// (a) no reader or publisher step throws anything but CliError;
// (b) encodeDns(decode(x)) is x byte for byte, readTxt(setTxt(t)) is t.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import dns, { type Packet } from 'dns-packet';
import { identityFromSeed, toZ32 } from '../../lib/identity/identity.ts';
import {
  MAX_DNS_BYTES,
  TXT_CHUNK,
  checkBudget,
  emptyPacket,
  encodeDns,
  fullName,
  listTxt,
  readTxt,
  rebase,
  relativeName,
  removeTxt,
  setTxt,
  txtChunks,
} from '../../lib/dht/pkarr.ts';
import { mutated, parsesOrRefuses, property, splitAt } from '../helpers/fuzz.ts';

const me = identityFromSeed(new Uint8Array(32).fill(0x33));
const origin = toZ32(me.publicKey);
const FULL = fullName('_cclink', me.publicKey);
const PUBLISH_CODES = { ERR_RECORD_TOO_LARGE: 1, ERR_DNS_ENCODE: 1 };

/** Well-formed text (what a record is: JSON, so no lone surrogates), long enough to need several strings. */
const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 700 }), fc.string({ unit: 'binary-ascii', maxLength: 900 }));
const names = fc.constantFrom('_cclink', '_ccctx', '_cclink.work', '@', '_pubky');
const otherRecords = fc.array(fc.tuple(names, fc.string({ unit: 'grapheme', maxLength: 60 })), { maxLength: 3 });

function withRecords(records: [string, string][]): Packet {
  let p = emptyPacket();
  for (const [n, t] of records) p = setTxt(p, fullName(n, me.publicKey), t);
  return p;
}

property(
  'txtChunks: strings of at most 254 bytes, concatenating to the UTF-8 of the text, at least one',
  fc.property(text, (t) => {
    const chunks = txtChunks(t);
    assert.ok(chunks.length >= 1);
    assert.ok(chunks.every((c) => c.length <= TXT_CHUNK));
    assert.ok(Buffer.concat(chunks).equals(Buffer.from(t, 'utf8')));
    assert.equal(chunks.length, Math.max(1, Math.ceil(Buffer.byteLength(t) / TXT_CHUNK)));
  }),
);

property(
  'TXT round trip: readTxt(decode(encode(setTxt(t)))) is t; encodeDns(decode(x)) is x byte for byte; other records kept',
  fc.property(text, otherRecords, (t, others) => {
    const packet = setTxt(withRecords(others), FULL, t);
    const wire = encodeDns(packet);
    const decoded = dns.decode(Buffer.from(wire));
    assert.equal(readTxt(decoded, FULL), t);
    assert.ok(Buffer.from(encodeDns(decoded)).equals(Buffer.from(wire)));
    for (const [n, other] of others) {
      if (fullName(n, me.publicKey) !== FULL) assert.ok(listTxt(decoded, me.publicKey).some((r) => r.name === (n === '@' ? '@' : n) && typeof r.txt === 'string'), `${n}: ${other}`);
    }
    assert.equal(readTxt(removeTxt(decoded, FULL).packet, FULL), undefined);
  }),
);

property(
  'TXT split by another implementation: any split (mid-character, empty strings) reads back as the text',
  fc.property(text, fc.array(fc.nat(), { maxLength: 8 }), (t, cuts) => {
    const bytes = Buffer.from(t, 'utf8');
    const parts = splitAt(bytes, cuts).flatMap((p) => txtChunks(p.toString('latin1')).map((c) => Buffer.from(c.toString(), 'latin1')));
    const packet: Packet = { ...emptyPacket(), answers: [{ name: FULL, type: 'TXT', class: 'IN', ttl: 300, data: parts.length ? parts : [Buffer.alloc(0)] }] };
    assert.equal(readTxt(dns.decode(dns.encode(packet)), FULL), t);
  }),
);

/** A response with the owner name written once in the question and pointed to (0xC00C) by the answer. */
function compressed(t: string, upper: boolean): Buffer {
  const labels = (upper ? FULL.toUpperCase() : FULL).split('.');
  const name = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
  const header = Buffer.from([0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0]);
  const question = Buffer.concat([name, Buffer.from([0, 16, 0, 1])]);
  const rdata = Buffer.concat(txtChunks(t).map((c) => Buffer.concat([Buffer.from([c.length]), c])));
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(16, 2);
  rr.writeUInt16BE(1, 4);
  rr.writeUInt32BE(86400, 6);
  rr.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([header, question, rr, rdata]);
}

property(
  'TXT with name compression (and any letter case in the name) reads back as the text',
  fc.property(text, fc.boolean(), (t, upper) => {
    assert.equal(readTxt(dns.decode(compressed(t, upper)), FULL), t);
  }),
);

/** A DNS header with small counts, then random bytes: random data that still decodes now and then. */
const headed = fc
  .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 300 }))
  .map(([qd, an, body]) => new Uint8Array(Buffer.concat([Buffer.from([0, 0, 0x84, 0, 0, qd, 0, an, 0, 0, 0, 0]), body])));

/**
 * What a packet under the key may decode to: mutated real packets, or a header and noise.
 * Undecodable bytes become the empty packet (no filter: random bytes almost never decode,
 * and a filter would spin).
 */
const decodable = fc
  .oneof(
    headed,
    fc.tuple(text, otherRecords).chain(([t, o]) => mutated(encodeDns(setTxt(withRecords(o), FULL, t.slice(0, 300))))),
    fc.tuple(fc.string({ maxLength: 200 }), fc.boolean()).chain(([t, u]) => mutated(compressed(t, u))),
  )
  .map((bytes): Packet => {
    try {
      return dns.decode(Buffer.from(bytes));
    } catch {
      return emptyPacket(); // verifyPacket reports these as undecodable
    }
  });

property(
  'decoded DNS of any packet: reading and every publisher step (set, remove, rebase, budget, encode) succeed or fail with a stable code',
  fc.property(decodable, decodable, fc.string({ unit: 'grapheme', maxLength: 200 }), (p, q, t) => {
    parsesOrRefuses(() => {
      readTxt(p, FULL);
      for (const r of listTxt(p, me.publicKey)) assert.equal(typeof r.txt, 'string');
      for (const a of p.answers ?? []) relativeName(String(a.name), me.publicKey);
    }, {});
    parsesOrRefuses(() => {
      const merged = rebase(p, [q]);
      const next = setTxt(merged, FULL, t);
      checkBudget(next, FULL, t, me.publicKey);
      const wire = encodeDns(next);
      assert.ok(wire.length <= MAX_DNS_BYTES);
      assert.equal(readTxt(dns.decode(Buffer.from(wire)), FULL), t);
      encodeDns(removeTxt(p, FULL).packet);
    }, PUBLISH_CODES);
  }),
);

const found = JSON.parse(readFileSync(new URL('../vectors/fuzz-dns.json', import.meta.url), 'utf8'));
for (const c of found.publish) {
  test(`regression: publishing over ${c.name}`, () => {
    const p = dns.decode(Buffer.from(c.dns_hex, 'hex'));
    const out = parsesOrRefuses(() => encodeDns(setTxt(p, FULL, '"x"')), PUBLISH_CODES);
    assert.equal(out.ok ? 'ok' : out.error.code, c.expect);
  });
}

test('the compressed form really uses a pointer', () => {
  const b = compressed('x', false);
  assert.equal(b.readUInt16BE(12 + FULL.length + 2 + 4), 0xc00c);
  assert.equal(origin.length, 52);
});
