// lib/dht/pkarr.ts: SignedPacket encoding, verification, recency, TXT
// build/merge/remove, the size budget; checked against test vectors and the
// npm pkarr 1.3.0 package as an oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import dns from 'dns-packet';
import { SignedPacket as PkarrPacket, generateKeyPair } from 'pkarr';
import { identityFromSeed, toZ32 } from '../../lib/identity/identity.ts';
import {
  MAX_DNS_BYTES,
  checkBudget,
  checkName,
  compareRecency,
  emptyPacket,
  encodeDns,
  fromBytes,
  fromRelayBody,
  fullName,
  isVerified,
  listTxt,
  mostRecent,
  readTxt,
  rebase,
  relativeName,
  removeTxt,
  setTxt,
  signPacket,
  signable,
  toBytes,
  toRelayBody,
  txtChunks,
  verifyPacket,
} from '../../lib/dht/pkarr.ts';

const vectors = JSON.parse(readFileSync(new URL('../vectors/pkarr-signed-packets.json', import.meta.url), 'utf8'));
const seed = Buffer.from(vectors.seed_hex, 'hex');
const id = identityFromSeed(new Uint8Array(seed));
const origin = toZ32(id.publicKey);
const other = identityFromSeed(new Uint8Array(createHash('sha256').update('another key').digest()));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('the vectors are for the key derived from their seed', () => {
  assert.equal(origin, vectors.public_key_z32);
});

test('signable is BEP44 without the outer dictionary: 3:seqi<ts>e1:v<len>:<v>', () => {
  const v = Buffer.from('abc');
  assert.equal(Buffer.from(signable(1767225600000000, v)).toString(), '3:seqi1767225600000000e1:v3:abc');
});

for (const v of vectors.valid) {
  test(`vector ${v.name}: verifies and reads back its TXT records`, () => {
    const p = fromBytes(Buffer.from(v.signed_packet_hex, 'hex'));
    assert.ok(isVerified(p), 'reason' in p ? p.reason : '');
    assert.equal(p.seq, v.timestamp);
    assert.equal(hex(p.v), v.dns_hex);
    for (const [name, txt] of Object.entries(v.txt)) assert.equal(readTxt(p.dns, fullName(name, id.publicKey)), txt);
  });

  test(`vector ${v.name}: signing its DNS packet at its timestamp gives the same bytes`, () => {
    const p = signPacket(id, Buffer.from(v.dns_hex, 'hex'), v.timestamp);
    assert.equal(hex(toBytes(p)), v.signed_packet_hex);
  });
}

test('vector txt-split-at-254: our encoder splits character-strings at 254 bytes', () => {
  const v = vectors.valid.find((x: { name: string }) => x.name === 'txt-split-at-254');
  const packet = setTxt(undefined, fullName('_cclink', id.publicKey), v.txt._cclink);
  assert.equal(hex(encodeDns(packet)), v.dns_hex);
  const decoded = dns.decode(Buffer.from(v.dns_hex, 'hex'));
  assert.deepEqual((decoded.answers![0].data as Buffer[]).map((b) => b.length), v.chunk_lengths);
});

for (const v of vectors.invalid) {
  test(`invalid vector ${v.name} is rejected: ${v.reason}`, () => {
    const p = fromBytes(Buffer.from(v.signed_packet_hex, 'hex'));
    assert.ok(!isVerified(p));
    assert.match(p.reason, new RegExp(v.reason));
  });
}

test('interop: a packet made by pkarr 1.3.0 verifies here, byte-identical to ours', () => {
  const kp = generateKeyPair(seed);
  const text = '{"pubkey":"' + origin + '","ttl":60}';
  // pkarr 1.3's JSDoc types the timestamp as `object`; it is a number of µs.
  const at = { timestamp: 1767225600000123 } as unknown as { timestamp: object };
  const theirs = PkarrPacket.fromPacket(kp, { id: 0, type: 'response', flags: 0, answers: [{ name: '_cclink', type: 'TXT', class: 'IN', ttl: 86400, data: text }] }, at);
  const p = fromRelayBody(id.publicKey, theirs.bytes());
  assert.ok(isVerified(p));
  assert.equal(readTxt(p.dns, `_cclink.${origin}`), text);
  const ours = signPacket(id, encodeDns(setTxt(undefined, `_cclink.${origin}`, text)), 1767225600000123);
  assert.equal(hex(toRelayBody(ours)), hex(theirs.bytes()));
});

test('interop: pkarr 1.3.0 verifies a packet of ours, chunked TXT included', () => {
  const long = 'x'.repeat(700);
  const ours = signPacket(id, encodeDns(setTxt(undefined, `_cclink.${origin}`, long)), 1767225600000999);
  const theirs = PkarrPacket.fromBytes(id.publicKey, toRelayBody(ours));
  assert.equal(theirs.timestamp(), ours.seq);
  const rr = theirs.resourceRecords('_cclink')[0];
  assert.equal(Buffer.concat(rr.data as Buffer[]).toString(), long);
  assert.throws(() => PkarrPacket.fromBytes(other.publicKey, toRelayBody(ours)), /Invalid signature/);
});

test('verifyPacket rejects other keys, tampering, bad timestamps and oversized packets', () => {
  const v = encodeDns(setTxt(undefined, `_cclink.${origin}`, '{}'));
  const p = signPacket(id, v, 1000);
  assert.ok(isVerified(verifyPacket(id.publicKey, { k: id.publicKey, seq: p.seq, sig: p.sig, v: p.v })));
  assert.equal((verifyPacket(id.publicKey, { k: other.publicKey, seq: p.seq, sig: p.sig, v: p.v }) as { reason: string }).reason, 'packet for another key');
  assert.equal((verifyPacket(other.publicKey, { seq: p.seq, sig: p.sig, v: p.v }) as { reason: string }).reason, 'bad signature');
  assert.equal((verifyPacket(id.publicKey, { seq: p.seq + 1, sig: p.sig, v: p.v }) as { reason: string }).reason, 'bad signature');
  assert.equal((verifyPacket(id.publicKey, { seq: -1, sig: p.sig, v: p.v }) as { reason: string }).reason, 'bad timestamp');
  assert.equal((verifyPacket(id.publicKey, { seq: 1.5, sig: p.sig, v: p.v }) as { reason: string }).reason, 'bad timestamp');
  assert.equal((verifyPacket(id.publicKey, { seq: p.seq, sig: p.sig.subarray(1), v: p.v }) as { reason: string }).reason, 'bad signature length');
  assert.match((verifyPacket(id.publicKey, { seq: p.seq, sig: p.sig, v: new Uint8Array(1001) }) as { reason: string }).reason, /oversized/);
  const garbage = new Uint8Array([1, 2, 3]);
  const g = signPacket(id, garbage, 5);
  assert.equal((verifyPacket(id.publicKey, g) as { reason: string }).reason, 'undecodable DNS packet');
});

test('signPacket refuses a DNS packet over 1000 bytes', () => {
  assert.throws(() => signPacket(id, new Uint8Array(1001), 1), /over the 1000-byte limit/);
});

test('relay body and full bytes round-trip', () => {
  const p = signPacket(id, encodeDns(setTxt(undefined, `_cclink.${origin}`, 'hi')), 42);
  const body = toRelayBody(p);
  assert.equal(body.length, 72 + p.v.length);
  const back = fromRelayBody(id.publicKey, body);
  assert.ok(isVerified(back));
  assert.equal(back.seq, 42);
  assert.ok(!isVerified(fromRelayBody(id.publicKey, body.subarray(0, 71))));
  assert.ok(!isVerified(fromRelayBody(id.publicKey, new Uint8Array(72 + 1001))));
  const full = fromBytes(toBytes(p));
  assert.ok(isVerified(full));
});

test('most recent wins: higher timestamp, then the larger packet', () => {
  const a = { seq: 10, v: new Uint8Array(5) };
  const b = { seq: 11, v: new Uint8Array(1) };
  const c = { seq: 11, v: new Uint8Array(3) };
  assert.ok(compareRecency(b, a) > 0);
  assert.ok(compareRecency(c, b) > 0);
  assert.equal(mostRecent([a, b, c]), c);
  assert.equal(mostRecent([c, b, a]), c);
  assert.equal(mostRecent([]), undefined);
  // A full tie is broken by the bytes, so every resolver agrees.
  const d = { seq: 11, v: new Uint8Array([0, 0, 1]) };
  assert.equal(mostRecent([c, d]), d);
  assert.equal(mostRecent([d, c]), d);
});

test('names: checkName, fullName and relativeName', () => {
  assert.equal(checkName('_cclink'), '_cclink');
  assert.equal(checkName('_cclink.work'), '_cclink.work');
  for (const bad of ['', 'a b', 'a..b', '.a', 'x'.repeat(64), 'é']) assert.throws(() => checkName(bad), /bad record name/);
  assert.equal(fullName('_cclink', id.publicKey), `_cclink.${origin}`);
  assert.equal(fullName('@', id.publicKey), origin);
  assert.equal(relativeName(`_cclink.${origin}`, id.publicKey), '_cclink');
  assert.equal(relativeName(`_CCLINK.${origin.toUpperCase()}.`, id.publicKey), '_cclink');
  assert.equal(relativeName(origin, id.publicKey), '@');
});

test('txtChunks splits by bytes, multi-byte characters included', () => {
  assert.deepEqual(txtChunks('').map((c) => c.length), [0]);
  assert.deepEqual(txtChunks('a'.repeat(508)).map((c) => c.length), [254, 254]);
  const s = 'é'.repeat(300); // 600 bytes
  const chunks = txtChunks(s);
  assert.deepEqual(chunks.map((c) => c.length), [254, 254, 92]);
  assert.equal(Buffer.concat(chunks).toString(), s);
});

const pubky = { name: `_pubky.${origin}`, type: 'UNKNOWN_65', class: 'IN', ttl: 3600, data: Buffer.from('0001000000', 'hex') };

test('setTxt replaces only the named TXT record and keeps every other record', () => {
  const full = `_cclink.${origin}`;
  const base = { ...emptyPacket(), answers: [pubky, { name: full, type: 'TXT', class: 'IN', ttl: 1, data: [Buffer.from('old')] }] };
  const p = setTxt(base, full, 'new');
  assert.equal(readTxt(p, full), 'new');
  assert.equal(p.answers!.filter((a) => a.type === 'TXT').length, 1);
  const round = dns.decode(Buffer.from(encodeDns(p)));
  assert.equal(hex(round.answers!.find((a) => a.name === pubky.name)!.data as Buffer), '0001000000');
  assert.equal(base.answers.length, 2, 'the input packet is not modified');
});

test('readTxt matches names case-insensitively and ignores other types', () => {
  const p = setTxt(undefined, `_CCLINK.${origin}`, 'x');
  assert.equal(readTxt(p, `_cclink.${origin}`), 'x');
  assert.equal(readTxt({ answers: [pubky] }, `_pubky.${origin}`), undefined);
});

test('removeTxt removes only the named record and says how many', () => {
  const full = `_cclink.${origin}`;
  const p = setTxt(setTxt({ ...emptyPacket(), answers: [pubky] }, full, 'x'), `_other.${origin}`, 'y');
  const r = removeTxt(p, full);
  assert.equal(r.removed, 1);
  assert.equal(readTxt(r.packet, full), undefined);
  assert.equal(readTxt(r.packet, `_other.${origin}`), 'y');
  assert.equal(r.packet.answers!.length, 2);
  assert.equal(removeTxt(r.packet, full).removed, 0);
});

test('listTxt lists TXT records with relative names', () => {
  const p = setTxt(setTxt({ ...emptyPacket(), answers: [pubky] }, `_cclink.${origin}`, 'a'), origin, 'apex');
  assert.deepEqual(listTxt(p, id.publicKey), [
    { name: '_cclink', ttl: 86400, txt: 'a' },
    { name: '@', ttl: 86400, txt: 'apex' },
  ]);
});

test('rebase replays what newer packets changed relative to the base', () => {
  const cc = `_cclink.${origin}`;
  const base = setTxt({ ...emptyPacket(), answers: [pubky] }, cc, 'A');
  // Another publisher added _work and changed _pubky, based on `base`.
  const pubky2 = { ...pubky, data: Buffer.from('0002000000', 'hex') };
  const theirs = setTxt({ ...base, answers: base.answers!.map((a) => (a.name === pubky.name ? pubky2 : a)) }, `_work.${origin}`, 'W');
  const merged = setTxt(rebase(base, [theirs]), cc, 'B');
  assert.equal(readTxt(merged, cc), 'B');
  assert.equal(readTxt(merged, `_work.${origin}`), 'W');
  assert.equal(hex(merged.answers!.find((a) => a.name === pubky.name)!.data as Buffer), '0002000000');
  // A record another publisher removed stays removed.
  const dropped = { ...base, answers: base.answers!.filter((a) => a.name !== pubky.name) };
  assert.equal(rebase(base, [dropped]).answers!.some((a) => a.name === pubky.name), false);
  // Unchanged records of an older view do not undo newer changes.
  const merged2 = rebase(base, [theirs, base]);
  assert.equal(readTxt(merged2, `_work.${origin}`), 'W');
  // No base at all: the newer packets' records are all kept.
  assert.equal(readTxt(rebase(undefined, [theirs]), `_work.${origin}`), 'W');
});

test('checkBudget: 912 bytes of record fit alone (1000-byte packet); one more is refused with what fits', () => {
  const cc = `_cclink.${origin}`;
  const fits = 'x'.repeat(912);
  checkBudget(setTxt(undefined, cc, fits), cc, fits, id.publicKey);
  assert.equal(dns.encodingLength(setTxt(undefined, cc, fits)), MAX_DNS_BYTES);
  const tooBig = 'x'.repeat(913);
  assert.throws(
    () => checkBudget(setTxt(undefined, cc, tooBig), cc, tooBig, id.publicKey),
    (err: Error & { code?: string; hint?: string }) =>
      err.code === 'ERR_RECORD_TOO_LARGE' && /would be 1001 bytes.*the record is 913 bytes, at most 912 fit/.test(err.message) && /shorten the record/.test(err.hint ?? ''),
  );
});

test('checkBudget names the other records that take room', () => {
  const cc = `_cclink.${origin}`;
  const text = 'x'.repeat(900);
  const p = setTxt({ ...emptyPacket(), answers: [pubky] }, cc, text);
  assert.throws(
    () => checkBudget(p, cc, text, id.publicKey),
    (err: Error & { hint?: string }) => /at most 8\d\d fit/.test(err.message) && /_pubky take \d+ bytes/.test(err.hint ?? ''),
  );
});

test('decoding accepts name compression (vector compressed-names)', () => {
  const v = vectors.valid.find((x: { name: string }) => x.name === 'compressed-names');
  const decoded = dns.decode(Buffer.from(v.dns_hex, 'hex'));
  assert.equal(readTxt(decoded, `_cclink.${origin}`), '{"x":1}');
  // Re-encoding (a merge) writes the names out in full and keeps the records.
  const merged = setTxt(decoded, `_cclink.${origin}`, '{"x":2}');
  const back = dns.decode(Buffer.from(encodeDns(merged)));
  assert.equal(readTxt(back, `_foo.${origin}`), 'bar');
  assert.equal(readTxt(back, `_cclink.${origin}`), '{"x":2}');
});
