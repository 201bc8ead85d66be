// Property tests for the cclink v1.3 handoff record (DESIGN.md §5), the
// outer JSON every reader gets from the DHT or a pipe: JSON input, the
// record parser, the transport's view of a record (lib/dht/record-check.ts)
// and cc-open's whole record path on signed but hostile records.
// (a) bad input fails only with CliError and a stable code;
// (b) serializeRecord(parseRecord(x)) is x byte for byte for canonical x.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseJson } from '../../lib/cli/io.ts';
import { decodeBase64Strict, parseBlobPlaintext, parseRecord, serializeRecord, signRecord, canonicalSignable, type HandoffRecord, type UnsignedRecord } from '../../lib/handoff/record.ts';
import { checkLive, openRecord, verifyRecord } from '../../lib/handoff/open.ts';
import { openBytesAs, sealBytes, x25519Identity } from '../../lib/age/stream.ts';
import { identityFromSeed, toZ32, x25519Public, x25519Secret } from '../../lib/identity/identity.ts';
import { checkFoundUnder, checkNotExpired, checkPublisher, recordObject } from '../../lib/dht/record-check.ts';
import { hostileString, mutated, parsesOrRefuses, parsesOrRefusesAsync, property } from '../helpers/fuzz.ts';

const canonical = JSON.parse(readFileSync(new URL('../vectors/record-canonical.json', import.meta.url), 'utf8'));
const NOT_RECORD = { ERR_NOT_A_RECORD: 1 };
const seed = new Uint8Array(32).fill(0x42);
const me = identityFromSeed(seed);
const other = identityFromSeed(new Uint8Array(32).fill(0x17));
const NOW = 1_767_225_600;

// ── generators ───────────────────────────────────────────────────────────

const base64 = (max = 120) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b).toString('base64'));
const z32key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toZ32);
/** Clocks a machine may show: 1970 to 2100. */
const clock = fc.oneof(fc.constant(NOW), fc.integer({ min: 0, max: 4_102_444_800 }));
const u64 = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.constantFrom(0, 1, NOW, Number.MAX_SAFE_INTEGER));

/** Any record the parser must accept: every field within its type, strings hostile. */
const unsignedRecord: fc.Arbitrary<UnsignedRecord> = fc.record({
  blob: fc.oneof(base64(), hostileString()),
  burn: fc.boolean(),
  created_at: u64,
  hostname: fc.oneof(fc.constant(''), hostileString()),
  pin_salt: fc.option(fc.oneof(base64(40), hostileString()), { nil: null }),
  project: fc.oneof(fc.constant(''), hostileString()),
  pubkey: fc.oneof(z32key, hostileString()),
  recipient: fc.option(fc.oneof(z32key, hostileString()), { nil: null }),
  ttl: u64,
});
const record: fc.Arbitrary<HandoffRecord> = fc.tuple(unsignedRecord, fc.oneof(base64(64), hostileString())).map(([r, signature]) => ({ ...r, signature }));

/** JSON values that are nearly a record: fields dropped, retyped, added (prototype names too). */
const FIELDS = ['blob', 'burn', 'created_at', 'hostname', 'pin_salt', 'project', 'pubkey', 'recipient', 'signature', 'ttl'];
/** Optional fields and the value cclink omits them at. */
const OPTIONAL: [string, unknown][] = [['burn', false], ['hostname', ''], ['pin_salt', null], ['project', ''], ['recipient', null]];
const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, -0, 0.5, 1e21, 2 ** 53, 2 ** 64, -(2 ** 63), 1e308, '', '0', 'true', true, false, null, [], {}),
);
const nearRecord = fc
  .tuple(
    record,
    fc.array(
      fc.oneof(
        fc.record({ op: fc.constant('drop' as const), key: fc.constantFrom(...FIELDS) }),
        fc.record({ op: fc.constant('set' as const), key: fc.constantFrom(...FIELDS, '__proto__', 'constructor', 'toString', 'x'), value: oddValue }),
      ),
      { maxLength: 4 },
    ),
  )
  .map(([r, edits]) => {
    const o: Record<string, unknown> = JSON.parse(serializeRecord(r));
    for (const e of edits) {
      if (e.op === 'drop') delete o[e.key];
      else Object.defineProperty(o, e.key, { value: e.value, enumerable: true, writable: true, configurable: true });
    }
    return o;
  });

/** The parser's output obeys the record's types, whatever went in. */
function wellTyped(r: HandoffRecord): void {
  for (const k of ['blob', 'hostname', 'project', 'pubkey', 'signature'] as const) assert.equal(typeof r[k], 'string');
  for (const k of ['created_at', 'ttl'] as const) assert.ok(Number.isSafeInteger(r[k]) && r[k] >= 0);
  assert.equal(typeof r.burn, 'boolean');
  for (const k of ['pin_salt', 'recipient'] as const) assert.ok(r[k] === null || typeof r[k] === 'string');
}

// ── JSON input ───────────────────────────────────────────────────────────

property(
  'JSON input: any bytes parse or fail as ERR_BAD_JSON or ERR_BAD_UTF8',
  fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated(Buffer.from(canonical.cases[1].json))), (bytes) => {
    parsesOrRefuses(() => parseJson(Buffer.from(bytes), 'a handoff record'), { ERR_BAD_JSON: 1, ERR_BAD_UTF8: 1 });
  }),
);

// ── parseRecord ──────────────────────────────────────────────────────────

property(
  'record: any JSON value is a well-typed record or ERR_NOT_A_RECORD',
  fc.property(fc.oneof(fc.jsonValue({ maxDepth: 3 }), nearRecord), (value) => {
    const out = parsesOrRefuses(() => parseRecord(value), NOT_RECORD);
    if (out.ok) {
      wellTyped(out.value);
      // Reading what we would write gives the same record.
      assert.deepEqual(parseRecord(JSON.parse(serializeRecord(out.value))), out.value);
    }
  }),
);

property(
  'record: mutated record text fails only as ERR_BAD_JSON, ERR_BAD_UTF8 or ERR_NOT_A_RECORD',
  fc.property(
    record.chain((r) => mutated(Buffer.from(serializeRecord(r)))),
    (bytes) => {
      parsesOrRefuses(() => parseRecord(parseJson(Buffer.from(bytes), 'a handoff record')), { ERR_BAD_JSON: 1, ERR_BAD_UTF8: 1, ...NOT_RECORD });
    },
  ),
);

property(
  'record: serializeRecord(parseRecord(x)) reproduces canonical x byte for byte',
  fc.property(record, (r) => {
    const json = serializeRecord(r);
    const back = parseRecord(JSON.parse(json));
    assert.deepEqual(back, r);
    assert.equal(serializeRecord(back), json);
    assert.equal(canonicalSignable(back), canonicalSignable(r));
  }),
);

property(
  'record: any key order and explicit defaults parse to the same record and re-encode canonically',
  fc.property(record, fc.array(fc.nat(), { minLength: 10, maxLength: 10 }), fc.boolean(), (r, order, explicit) => {
    const full: Record<string, unknown> = { ...r };
    if (!explicit) for (const [k, none] of OPTIONAL) if (full[k] === none) delete full[k];
    const keys = Object.keys(full).sort((a, b) => order[FIELDS.indexOf(a)] - order[FIELDS.indexOf(b)]);
    const shuffled = JSON.stringify(Object.fromEntries(keys.map((k) => [k, full[k]])));
    assert.equal(serializeRecord(parseRecord(JSON.parse(shuffled))), serializeRecord(r));
  }),
);

// ── the transport's view (cc-dht-put's stdin, cc-dht-get's result) ───────

const CHECK_CODES = { ERR_NOT_A_RECORD: 1, ERR_NOT_MY_RECORD: 4, ERR_RECORD_KEY_MISMATCH: 4, ERR_RECORD_EXPIRED: 5 };
const anyNumber = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-1e300, -8.64e12, 8.64e12, 1e300, -0, Number.MAX_VALUE, -Number.MAX_VALUE));

property(
  'record-check: any JSON value (odd numbers too) passes or fails with a stable code',
  fc.property(
    fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      nearRecord,
      fc.record({ created_at: anyNumber, ttl: anyNumber, pubkey: fc.oneof(z32key, fc.constant(toZ32(me.publicKey)), hostileString()) }),
    ),
    (value) => {
      parsesOrRefuses(() => {
        const o = recordObject(value);
        checkPublisher(o, me.publicKey);
        checkNotExpired(o, NOW * 1000);
      }, CHECK_CODES);
      parsesOrRefuses(() => checkFoundUnder(value, me.publicKey), CHECK_CODES);
    },
  ),
);

// ── cc-open's record path on signed, hostile records ─────────────────────

const OPEN_CODES = {
  ...NOT_RECORD,
  ERR_BAD_SIGNATURE: 4,
  ERR_WRONG_SIGNER: 4,
  ERR_RECORD_EXPIRED: 5,
  ERR_RECORD_NOT_YET_VALID: 5,
  ERR_BAD_RECORD_FIELD: 4,
  ERR_NOT_AGE: 4,
  ERR_AGE_HEADER: 4,
  ERR_AGE_HEADER_MAC: 4,
  ERR_WRONG_KEY: 4,
  ERR_NOT_FOR_ME: 4,
  ERR_AGE_TRUNCATED: 4,
  ERR_AGE_PAYLOAD: 4,
  ERR_AGE_TRAILING_DATA: 4,
  ERR_BAD_PAYLOAD: 4,
};
const myX25519 = x25519Public(me.publicKey);
/** Plaintexts a hostile sealer might put in a blob: bytes, text, payload-shaped JSON. */
const payloadBytes = fc.oneof(
  fc.uint8Array({ maxLength: 120 }),
  fc.string({ unit: 'binary', maxLength: 80 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
  fc.record({ h: hostileString(), p: hostileString(), s: hostileString() }).map((p) => new Uint8Array(Buffer.from(JSON.stringify(p)))),
);
// Sealing is the slow part (a fresh X25519 key each time): seal a pool once, mutate per case.
const pool = fc.sample(payloadBytes, { numRuns: 300, seed: 7 });
const sealedToMe = pool.map((pt) => sealBytes(pt, [myX25519]));
const sealedToOther = pool.slice(0, 30).map((pt) => sealBytes(pt, [x25519Public(other.publicKey)]));
const blob = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.constantFrom(...sealedToMe),
  fc.constantFrom(...sealedToOther),
  fc.constantFrom(...sealedToMe).chain((b) => mutated(b)),
);
const PIN_ASKED = new Error('pin asked');
const myIdentity = x25519Identity(x25519Secret(seed));

property(
  'cc-open verify and expiry: any parsed record verifies, or fails with a stable code, before any secret is used',
  fc.property(
    record,
    fc.oneof(fc.constant(toZ32(me.publicKey)), z32key),
    clock,
    (r, pubkey, now) => {
      const rec = { ...r, pubkey: r.pubkey.length % 3 === 0 ? pubkey : r.pubkey };
      const out = parsesOrRefuses(() => {
        verifyRecord(rec, me.publicKey);
        return checkLive(rec, now);
      }, OPEN_CODES);
      // Random signatures never verify: a pass here would be a forgery.
      assert.equal(out.ok, false);
      parsesOrRefuses(() => checkLive(rec, now), OPEN_CODES);
    },
  ),
);

property(
  'cc-open decrypt: a hostile blob (random, mutated, sealed to us or to another key) decrypts to a payload or fails with a stable code',
  fc.property(blob, record, (b, r) => {
    const out = parsesOrRefuses(() => {
      const bytes = decodeBase64Strict(Buffer.from(b).toString('base64'), 'blob');
      return parseBlobPlaintext(openBytesAs(bytes, () => [myIdentity], 'record blob'), r);
    }, OPEN_CODES);
    if (out.ok) for (const k of ['h', 'p', 's'] as const) assert.equal(typeof out.value[k], 'string');
  }),
);

// Signing costs about a millisecond on a busy box: sign a pool of hostile records once,
// then open each under many clocks, signers and secrets.
const signedPool = fc
  .sample(
    fc.tuple(unsignedRecord, blob, fc.option(fc.oneof(base64(40), fc.constant(Buffer.alloc(32, 1).toString('base64'))), { nil: null }), fc.boolean()),
    { numRuns: 400, seed: 11 },
  )
  .map(([r, b, pinSalt, live]) => {
    const unsigned: UnsignedRecord = {
      ...r,
      blob: Buffer.from(b).toString('base64'),
      pubkey: toZ32(me.publicKey),
      pin_salt: pinSalt,
      created_at: live ? NOW - 60 : r.created_at,
      ttl: live ? 3600 : r.ttl,
    };
    return JSON.parse(serializeRecord(signRecord(unsigned, seed))) as Record<string, unknown>;
  });

property(
  'cc-open end to end: a record signed by its pubkey but hostile everywhere else opens or fails with a stable code',
  fc.asyncProperty(
    fc.constantFrom(...signedPool),
    clock,
    fc.constantFrom(undefined, me.publicKey, other.publicKey),
    async (signed, now, from) => {
      let pinAsked = false;
      const out = await parsesOrRefusesAsync(
        () =>
          openRecord({
            record: signed,
            from,
            now,
            identity: async () => ({ seed: new Uint8Array(seed), publicKey: me.publicKey }),
            pin: async () => {
              pinAsked = true;
              throw PIN_ASKED;
            },
          }),
        OPEN_CODES,
      ).catch((err) => {
        if (err instanceof Error && err.cause === PIN_ASKED) return { ok: false as const, error: undefined };
        throw err;
      });
      // A PIN is asked for only once the signature, signer, expiry and salt all check out.
      if (pinAsked) {
        assert.equal(Buffer.from(String(signed.pin_salt), 'base64').length, 32);
        assert.notEqual(from, other.publicKey);
      }
      if (out.ok) {
        assert.equal(out.value.from, `pk:${toZ32(me.publicKey)}`);
        for (const k of ['h', 'p', 's'] as const) assert.equal(typeof out.value.payload[k], 'string');
      }
    },
  ),
);

// ── regression vectors found by these properties (test/vectors/fuzz-record.json) ──

const vectors = JSON.parse(readFileSync(new URL('../vectors/fuzz-record.json', import.meta.url), 'utf8'));
for (const v of vectors.parse_record) {
  test(`regression: parseRecord ${v.name}`, () => {
    const out = parsesOrRefuses(() => parseRecord(JSON.parse(v.json)), NOT_RECORD);
    assert.equal(out.ok ? 'ok' : out.error.code, v.expect);
  });
}
for (const v of vectors.record_check) {
  test(`regression: record-check ${v.name}`, () => {
    const out = parsesOrRefuses(() => checkNotExpired(recordObject(v.record), v.now_ms), CHECK_CODES);
    assert.equal(out.ok ? 'ok' : out.error.code, v.expect);
  });
}
