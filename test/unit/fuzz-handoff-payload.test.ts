// Property tests for the handoff payload (DESIGN.md §5): what cc-seal reads
// on stdin (cc-session's `{"s","h","p","mtime"}`) and what a record's blob
// decrypts to (`{"h","p","s"}`, or cclink v1.0's bare session id).
// (a) bad input fails only with CliError ERR_BAD_PAYLOAD (exit 1 on stdin,
// exit 4 inside a signed blob); (b) serializePayload(parse(x)) is x byte for
// byte for canonical x.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isWellFormedText, parseBlobPlaintext, parsePayloadInput, serializePayload, type HandoffRecord, type Payload } from '../../lib/handoff/record.ts';
import { hostileString, mutated, parsesOrRefuses, property } from '../helpers/fuzz.ts';

const INPUT_CODES = { ERR_BAD_PAYLOAD: 1 };
const BLOB_CODES = { ERR_BAD_PAYLOAD: 4 };
const outer: HandoffRecord = {
  blob: '',
  burn: false,
  created_at: 0,
  hostname: 'outer-host',
  pin_salt: null,
  project: '/outer',
  pubkey: '',
  recipient: null,
  signature: '',
  ttl: 0,
};

const uuid = fc.uuid().chain((u) => fc.constantFrom(u, u.toUpperCase()));
const payload: fc.Arbitrary<Payload> = fc.record({ h: hostileString(), p: hostileString(80), s: uuid }).map((p) => ({ h: p.h, p: p.p, s: p.s }));
const oddValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(-0, 1e308, '', '--resume', '../../etc', null, [], {}));
const KEYS = ['h', 'p', 's', 'mtime', '__proto__', 'constructor', 'x'];
const nearPayload = fc
  .tuple(
    payload,
    fc.option(fc.oneof(fc.double(), fc.nat()), { nil: undefined }),
    fc.array(fc.oneof(fc.record({ drop: fc.constantFrom(...KEYS) }), fc.record({ key: fc.constantFrom(...KEYS), value: oddValue })), { maxLength: 3 }),
  )
  .map(([p, mtime, edits]) => {
    const o: Record<string, unknown> = { s: p.s, h: p.h, p: p.p };
    if (mtime !== undefined) o.mtime = mtime;
    for (const e of edits) {
      if ('drop' in e) delete o[e.drop];
      else Object.defineProperty(o, e.key, { value: e.value, enumerable: true, writable: true, configurable: true });
    }
    return o;
  });

property(
  'payload input: any JSON value is a payload with a UUID session id, or ERR_BAD_PAYLOAD',
  fc.property(fc.oneof(fc.jsonValue({ maxDepth: 3 }), nearPayload), (value) => {
    const out = parsesOrRefuses(() => parsePayloadInput(value), INPUT_CODES);
    if (out.ok) {
      assert.match(out.value.s, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
      assert.deepEqual(Object.keys(out.value), ['h', 'p', 's']);
    }
  }),
);

property(
  'payload input: serializePayload(parse(x)) reproduces canonical x byte for byte; cc-session form reduces to it',
  fc.property(payload, fc.option(fc.nat(), { nil: undefined }), (p, mtime) => {
    const canonical = serializePayload(p);
    if (!isWellFormedText(p.h) || !isWellFormedText(p.p)) {
      // A lone surrogate cannot survive UTF-8: refused at seal time (issue 7, item 8).
      assert.throws(() => parsePayloadInput(JSON.parse(canonical)), (e: { code?: string }) => e.code === 'ERR_BAD_PAYLOAD');
      return;
    }
    assert.equal(serializePayload(parsePayloadInput(JSON.parse(canonical))), canonical);
    const session = JSON.stringify({ s: p.s, h: p.h, p: p.p, ...(mtime === undefined ? {} : { mtime }) });
    assert.equal(serializePayload(parsePayloadInput(JSON.parse(session))), canonical);
  }),
);

property(
  'blob plaintext: any bytes are a payload, a v1.0 bare id, or ERR_BAD_PAYLOAD (exit 4)',
  fc.property(
    fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 60 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
      fc.jsonValue({ maxDepth: 2 }).map((v) => new Uint8Array(Buffer.from(JSON.stringify(v) ?? '', 'utf8'))),
      payload.chain((p) => mutated(Buffer.from(serializePayload(p)))),
    ),
    (bytes) => {
      const out = parsesOrRefuses(() => parseBlobPlaintext(bytes, outer), BLOB_CODES);
      if (out.ok) {
        for (const k of ['h', 'p', 's'] as const) assert.equal(typeof out.value[k], 'string');
        // A bare id (cclink v1.0) is the whole plaintext, and carries no line breaks or escapes.
        if (Buffer.from(bytes).toString('utf8') === out.value.s) assert.doesNotMatch(out.value.s, /[\x00-\x1f]/);
      }
    },
  ),
);

property(
  'blob plaintext: serializePayload(parseBlobPlaintext(x)) reproduces canonical x byte for byte',
  fc.property(payload, (p) => {
    const bytes = Buffer.from(serializePayload(p), 'utf8');
    const back = parseBlobPlaintext(bytes, outer);
    assert.deepEqual(back, p);
    assert.ok(Buffer.from(serializePayload(back), 'utf8').equals(bytes));
  }),
);
