// Property tests for the key file (DESIGN.md §4): pkarr's 64 hex characters
// or the CCLINKEK envelope `"CCLINKEK" | 0x01 | m | t | p (u32 BE) |
// salt(32) | age file of the seed`. A key file may come from another tool,
// a backup or an attacker's "helpful" download.
// (a) bad input fails only with ERR_KEY_FORMAT (exit 1) or ERR_KDF_PARAMS
// (exit 4), and never asks Argon2 for more than the bounds; (b) encodeEnvelope(parseKeyFile(x)) and encodePlainKey(parseKeyFile(x))
// are x byte for byte for canonical x.
// Not here: opening the envelope's age body on hostile bytes. It goes through
// typage, whose identity setup costs ~4 ms per call (pure-JS X25519), so
// 10,000 cases would take the whole suite's budget alone.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ENVELOPE_MAGIC, encodeEnvelope, encodePlainKey, parseKeyFile, type KeyFileContents } from '../../lib/identity/key-file.ts';
import { ARGON2_LIMITS, type Argon2Params } from '../../lib/identity/kdf.ts';
import { mutated, parsesOrRefuses, property } from '../helpers/fuzz.ts';

const PARSE_CODES = { ERR_KEY_FORMAT: 1, ERR_KDF_PARAMS: 4 };

const params: fc.Arbitrary<Argon2Params> = fc
  .record({ p: fc.integer({ min: 1, max: ARGON2_LIMITS.pMax }), t: fc.integer({ min: 1, max: ARGON2_LIMITS.tMax }), m: fc.integer({ min: 8, max: ARGON2_LIMITS.mMax }) })
  .map((x) => ({ m: Math.max(x.m, 8 * x.p), t: x.t, p: x.p }));
const envelope = fc.record({
  kind: fc.constant('encrypted' as const),
  params,
  salt: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  ciphertext: fc.uint8Array({ minLength: 1, maxLength: 300 }),
});
const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** A header with arbitrary u32 parameters and version, as a hostile file would carry. */
const rawHeader = fc
  .tuple(fc.nat(255), fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffffffff), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 }))
  .map(([v, m, t, p, salt, rest]) => {
    const h = Buffer.alloc(21);
    ENVELOPE_MAGIC.copy(h, 0);
    h[8] = v;
    h.writeUInt32BE(m, 9);
    h.writeUInt32BE(t, 13);
    h.writeUInt32BE(p, 17);
    return new Uint8Array(Buffer.concat([h, salt, rest]));
  });
const hexish = fc.tuple(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFg \n\t\r\u00a0'), maxLength: 70 }), fc.boolean()).map(([s, nl]) => new Uint8Array(Buffer.from(s + (nl ? '\n' : ''), 'latin1')));

property(
  'key file: any bytes (random, hex-like text, odd envelope headers, mutated envelopes) parse or fail with a stable code',
  fc.property(
    fc.oneof(fc.uint8Array({ maxLength: 120 }), hexish, rawHeader, envelope.chain((e) => mutated(encodeEnvelope(e))), seed.chain((s) => mutated(encodePlainKey(s)))),
    (bytes) => {
      const out = parsesOrRefuses(() => parseKeyFile(bytes), PARSE_CODES);
      if (out.ok && out.value.kind === 'encrypted') {
        const { m, t, p } = out.value.params;
        assert.ok(p >= 1 && p <= ARGON2_LIMITS.pMax && t >= 1 && t <= ARGON2_LIMITS.tMax && m >= 8 * p && m <= ARGON2_LIMITS.mMax);
        assert.equal(out.value.salt.length, 32);
        assert.ok(out.value.ciphertext.length >= 1);
      }
      if (out.ok && out.value.kind === 'plain') assert.equal(out.value.seed.length, 32);
    },
  ),
);

property(
  'CCLINKEK envelope: encodeEnvelope(parseKeyFile(x)) reproduces x byte for byte',
  fc.property(envelope, (e) => {
    const bytes = encodeEnvelope(e);
    const back = parseKeyFile(bytes) as Extract<KeyFileContents, { kind: 'encrypted' }>;
    assert.equal(back.kind, 'encrypted');
    assert.deepEqual(back.params, e.params);
    assert.ok(Buffer.from(encodeEnvelope(back)).equals(Buffer.from(bytes)));
  }),
);

property(
  'plaintext key: encodePlainKey(parseKeyFile(x)) reproduces x byte for byte; upper case and a newline read the same',
  fc.property(seed, fc.boolean(), (s, upper) => {
    const bytes = encodePlainKey(s);
    const back = parseKeyFile(bytes);
    assert.equal(back.kind, 'plain');
    assert.ok(Buffer.from(encodePlainKey((back as { seed: Uint8Array }).seed)).equals(Buffer.from(bytes)));
    const loose = Buffer.from((upper ? Buffer.from(bytes).toString().toUpperCase() : Buffer.from(bytes).toString()) + '\n');
    assert.ok(Buffer.from((parseKeyFile(loose) as { seed: Uint8Array }).seed).equals(Buffer.from(s)));
  }),
);
