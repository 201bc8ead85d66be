// Property tests for the age v1 header and STREAM payload
// (https://age-encryption.org/v1), as cc-open reads them from a record blob
// or a raw file: the header parser, the scanner that finds the header's end
// in a stream however it is split, and the STREAM opener.
// (a) bad input fails only with CliError and a stable code (exit 4);
// (b) encodeHeader(parseHeader(x)) is x byte for byte; sealing and opening
// are inverse whatever the read sizes.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  HeaderScanner,
  INTRO,
  StreamOpener,
  StreamSealer,
  encodeHeader,
  openBytesAs,
  parseHeader,
  sealBytes,
  verifyHeaderMac,
  x25519Identity,
  type Stanza,
} from '../../lib/age/stream.ts';
import { mutated, parsesOrRefuses, property, splitAt } from '../helpers/fuzz.ts';

const HEADER_CODES = { ERR_AGE_HEADER: 4 };
const OPEN_CODES = {
  ERR_NOT_AGE: 4,
  ERR_AGE_HEADER: 4,
  ERR_AGE_HEADER_MAC: 4,
  ERR_WRONG_KEY: 4,
  ERR_AGE_TRUNCATED: 4,
  ERR_AGE_PAYLOAD: 4,
  ERR_AGE_TRAILING_DATA: 4,
};
const secret = new Uint8Array(32).fill(0x51);
const identity = x25519Identity(secret);

const arg = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 20 });
const stanza: fc.Arbitrary<Stanza> = fc.record({
  args: fc.array(arg, { minLength: 1, maxLength: 4 }),
  body: fc.oneof(fc.uint8Array({ maxLength: 100 }), fc.constantFrom(48, 96).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))).map((b) => Buffer.from(b)),
});
const fileKey = fc.uint8Array({ minLength: 16, maxLength: 16 });
const header = fc.tuple(fc.array(stanza, { maxLength: 4 }), fileKey).map(([s, k]) => encodeHeader(s, k));

/** Header-shaped text: the intro, then lines of stanza-ish and base64-ish pieces. */
const headerish = fc
  .array(fc.oneof(fc.constant('-> '), fc.constant('--- '), fc.constant('---'), fc.constant('\n'), fc.constant(' '), arg, fc.base64String({ maxLength: 70 })), { maxLength: 14 })
  .map((parts) => new Uint8Array(Buffer.from(INTRO + parts.join(''), 'latin1')));

property(
  'age header: any bytes (random, header-shaped, mutated headers) parse or fail as ERR_AGE_HEADER',
  fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), headerish, header.chain((h) => mutated(h))), (bytes) => {
    const out = parsesOrRefuses(() => parseHeader(Buffer.from(bytes)), HEADER_CODES);
    if (out.ok) {
      // Whatever parses is canonical: encoding its stanzas again gives the same text up to the MAC.
      const again = encodeHeader(out.value.stanzas, new Uint8Array(16));
      assert.ok(again.subarray(0, again.lastIndexOf('---') + 3).equals(out.value.noMac));
    }
  }),
);

property(
  'age header: encodeHeader(parseHeader(x)) reproduces x byte for byte, and the MAC verifies',
  fc.property(fc.array(stanza, { maxLength: 4 }), fileKey, (stanzas, key) => {
    const bytes = encodeHeader(stanzas, key);
    const h = parseHeader(bytes);
    assert.deepEqual(
      h.stanzas.map((s) => ({ args: s.args, body: Buffer.from(s.body).toString('hex') })),
      stanzas.map((s) => ({ args: s.args, body: Buffer.from(s.body).toString('hex') })),
    );
    assert.ok(encodeHeader(h.stanzas, key).equals(bytes));
    verifyHeaderMac(h, key);
  }),
);

property(
  'header scanner: any split of the input finds the same header end as one read, or fails the same way',
  fc.property(fc.oneof(header.map((h) => Buffer.concat([h, Buffer.from('rest')])), headerish, header.chain((h) => mutated(h))), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
    const whole = parsesOrRefuses(() => new HeaderScanner().push(Buffer.from(bytes)) ?? null, HEADER_CODES);
    const split = parsesOrRefuses(() => {
      const s = new HeaderScanner();
      let found: { header: Buffer; rest: Buffer } | undefined;
      const pieces = splitAt(bytes, cuts);
      for (let i = 0; i < pieces.length; i++) {
        found = s.push(pieces[i]);
        if (found) return { header: found.header, rest: Buffer.concat([found.rest, ...pieces.slice(i + 1)]) };
      }
      return null;
    }, HEADER_CODES);
    assert.equal(whole.ok, split.ok);
    if (whole.ok && split.ok) {
      assert.equal(whole.value === null, split.value === null);
      if (whole.value && split.value) {
        assert.ok(whole.value.header.equals(split.value.header));
        assert.ok(whole.value.rest.equals(split.value.rest));
      }
    }
  }),
);

const pool = Array.from({ length: 64 }, (_, i) => sealBytes(Buffer.alloc(i * 7, i), [identity.publicKey]));

property(
  'age file in memory: random, mutated or foreign files open or fail with a stable code (exit 4)',
  fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(...pool), fc.constantFrom(...pool).chain((b) => mutated(b))), (bytes) => {
    parsesOrRefuses(() => openBytesAs(bytes, () => [identity], 'blob'), OPEN_CODES);
  }),
);

const PAYLOAD_KEY = new Uint8Array(32).fill(9);
const plaintext = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 8 },
  { arbitrary: fc.integer({ min: 65536 - 2, max: 65536 * 2 + 2 }).map((n) => new Uint8Array(n).fill(n & 0xff)), weight: 1 },
);

function seal(pt: Uint8Array, cuts: number[]): Buffer {
  const s = new StreamSealer(PAYLOAD_KEY);
  return Buffer.concat([...splitAt(pt, cuts).flatMap((p) => s.push(p)), ...s.finish()]);
}

function open(ct: Uint8Array, cuts: number[]): Buffer {
  const o = new StreamOpener(PAYLOAD_KEY);
  try {
    return Buffer.concat([...splitAt(ct, cuts).flatMap((p) => o.push(p)), ...o.finish()]);
  } catch (err) {
    o.dispose();
    throw err;
  }
}

property(
  'STREAM: sealing is independent of read sizes, and opening (any read sizes) gives the plaintext back',
  fc.property(plaintext, fc.array(fc.nat(), { maxLength: 4 }), fc.array(fc.nat(), { maxLength: 4 }), (pt, a, b) => {
    const ct = seal(pt, a);
    assert.ok(ct.equals(seal(pt, [])));
    assert.ok(open(ct, b).equals(Buffer.from(pt)));
  }),
);

property(
  'STREAM: a mutated, truncated or extended payload fails with a stable code, never yields unauthenticated bytes',
  fc.property(plaintext.chain((pt) => fc.tuple(fc.constant(pt), mutated(seal(pt, [])))), fc.array(fc.nat(), { maxLength: 4 }), ([pt, ct], cuts) => {
    const out = parsesOrRefuses(() => open(ct, cuts), OPEN_CODES);
    if (out.ok) assert.ok(out.value.equals(Buffer.from(pt)), 'a changed payload opened to other bytes');
  }),
);
