// DESIGN.md §5: the record's wire format, byte for byte as cclink v1.3
// writes it (test/vectors/record-canonical.json: strings derived from
// cclink's serde attributes, signatures by libsodium), parsing, payloads and
// the DNS size budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  canonicalSignable,
  checkRecordBudget,
  decodeBase64Strict,
  dnsPacketSize,
  ed25519PublicFromSeed,
  MAX_RECORD_JSON,
  parseBlobPlaintext,
  parsePayloadInput,
  parseRecord,
  serializePayload,
  serializeRecord,
  signatureValid,
  signRecord,
  type HandoffRecord,
} from '../../lib/handoff/record.ts';
import { CliError } from '../../lib/cli/errors.ts';

const canon = JSON.parse(readFileSync(new URL('../vectors/record-canonical.json', import.meta.url), 'utf8'));
const keys = JSON.parse(readFileSync(new URL('../vectors/record-keys.json', import.meta.url), 'utf8'));

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CliError, `expected a CliError, got ${err}`);
    return `${err.code}/${err.exitCode}`;
  }
  assert.fail('expected an error');
}

for (const c of canon.cases) {
  test(`canonical signable and outer JSON: ${c.name}`, () => {
    const r = c.record as HandoffRecord;
    assert.equal(canonicalSignable(r), c.canonical);
    assert.equal(serializeRecord(r), c.json);
    // Reading the outer JSON back gives the same record (defaults restored).
    assert.deepEqual(parseRecord(JSON.parse(c.json)), r);
  });

  test(`signature matches libsodium's: ${c.name}`, () => {
    const seed = Buffer.from(c.seed_hex, 'hex');
    const { signature, ...unsigned } = c.record;
    assert.equal(signRecord(unsigned, seed).signature, signature);
    assert.ok(signatureValid(c.record, ed25519PublicFromSeed(seed)));
  });
}

test('native Ed25519 public keys match libsodium', () => {
  for (const k of keys.cases) {
    assert.equal(ed25519PublicFromSeed(Buffer.from(k.seed_hex, 'hex')).toString('hex'), k.ed25519_public_hex);
  }
});

test('a changed field, or another key, breaks the signature', () => {
  const c = canon.cases[1];
  const pub = ed25519PublicFromSeed(Buffer.from(c.seed_hex, 'hex'));
  const r = c.record as HandoffRecord;
  for (const tampered of [
    { ...r, burn: false },
    { ...r, ttl: r.ttl + 1 },
    { ...r, created_at: r.created_at - 1 },
    { ...r, pin_salt: null },
    { ...r, recipient: 'x' },
    { ...r, hostname: 'h' },
    { ...r, blob: 'YWJk' },
  ]) {
    assert.equal(signatureValid(tampered, pub), false);
  }
  assert.equal(signatureValid(r, ed25519PublicFromSeed(Buffer.alloc(32, 7))), false);
  assert.equal(signatureValid({ ...r, signature: 'not base64!' }, pub), false);
  assert.equal(signatureValid({ ...r, signature: r.signature.slice(4) }, pub), false);
});

test('parseRecord: serde defaults and unknown fields', () => {
  const r = parseRecord({ blob: 'YQ==', created_at: 1, pubkey: 'p', signature: 's', ttl: 2, extra: { x: 1 } });
  assert.deepEqual(r, { blob: 'YQ==', burn: false, created_at: 1, hostname: '', pin_salt: null, project: '', pubkey: 'p', recipient: null, signature: 's', ttl: 2 });
  assert.equal(parseRecord({ ...r, pin_salt: null, recipient: null }).pin_salt, null);
});

test('parseRecord: wrong shapes are ERR_NOT_A_RECORD (exit 1)', () => {
  const ok = { blob: 'YQ==', created_at: 1, pubkey: 'p', signature: 's', ttl: 2 };
  for (const bad of [
    null,
    [],
    'record',
    42,
    { ...ok, blob: undefined },
    { ...ok, signature: 5 },
    { ...ok, created_at: -1 },
    { ...ok, created_at: 1.5 },
    { ...ok, created_at: '1' },
    { ...ok, ttl: 2 ** 60 },
    { ...ok, burn: 'yes' },
    { ...ok, hostname: null },
    { ...ok, pin_salt: 3 },
    { ...ok, recipient: {} },
  ]) {
    assert.equal(code(() => parseRecord(bad)), 'ERR_NOT_A_RECORD/1', JSON.stringify(bad));
  }
});

test('payload: compact, h p s order, as serde writes Payload', () => {
  assert.equal(serializePayload({ s: 'S', p: '/p', h: 'H' }), '{"h":"H","p":"/p","s":"S"}');
});

test('payload input: cc-session output or exactly h/p/s', () => {
  const s = '3c0a3f7a-1234-5678-abcd-ef1234567890';
  assert.deepEqual(parsePayloadInput({ s, h: 'host', p: '/x', mtime: 1717 }), { h: 'host', p: '/x', s });
  assert.deepEqual(parsePayloadInput({ h: '', p: '', s }), { h: '', p: '', s });
  for (const bad of [
    [],
    null,
    { h: 'a', p: 'b' },
    { h: 'a', p: 'b', s: '' },
    { h: 'a', p: 'b', s: '--dangerously-skip-permissions' },
    { h: 1, p: 'b', s },
    { h: 'a', p: 'b', s, mtime: 'x' },
    { blob: 'x', h: 'a', p: 'b', s },
  ]) {
    assert.equal(code(() => parsePayloadInput(bad)), 'ERR_BAD_PAYLOAD/1', JSON.stringify(bad));
  }
});

test('blob plaintext: JSON payload, or cclink v1.0 bare session id', () => {
  const r = parseRecord({ blob: '', created_at: 1, pubkey: 'p', signature: 's', ttl: 1, hostname: 'H', project: '/P' });
  assert.deepEqual(parseBlobPlaintext(Buffer.from('{"h":"a","p":"b","s":"c"}'), r), { h: 'a', p: 'b', s: 'c' });
  assert.deepEqual(parseBlobPlaintext(Buffer.from('abc-123'), r), { h: 'H', p: '/P', s: 'abc-123' });
  assert.equal(code(() => parseBlobPlaintext(Buffer.from([0xff, 0xfe]), r)), 'ERR_BAD_PAYLOAD/4');
  assert.equal(code(() => parseBlobPlaintext(Buffer.alloc(0), r)), 'ERR_BAD_PAYLOAD/4');
});

test('strict base64: canonical padded only', () => {
  assert.deepEqual(decodeBase64Strict('YWJj', 'x'), Buffer.from('abc'));
  assert.deepEqual(decodeBase64Strict('', 'x'), Buffer.alloc(0));
  for (const bad of ['YWJ', 'YW=j', 'YWI=a', 'YWJ=', 'YW J', 'YWJj\n', '-_==', 'YR==']) {
    assert.equal(code(() => decodeBase64Strict(bad, 'x')), 'ERR_BAD_RECORD_FIELD/4', bad);
  }
});

test('DNS budget: 912 bytes of JSON fill a 1000-byte packet exactly', () => {
  assert.equal(MAX_RECORD_JSON, 912);
  assert.equal(dnsPacketSize(912), 1000);
  assert.equal(dnsPacketSize(913), 1001);
  assert.equal(dnsPacketSize(254), 84 + 254 + 1);
  assert.equal(dnsPacketSize(255), 84 + 255 + 2);
});

test('budget check names the field to shorten', () => {
  const payload = { h: 'host', p: '/' + 'p'.repeat(400), s: 'x' };
  checkRecordBudget('x'.repeat(912), payload);
  try {
    checkRecordBudget('x'.repeat(1000), payload);
    assert.fail('expected ERR_RECORD_TOO_LARGE');
  } catch (err) {
    assert.ok(err instanceof CliError);
    assert.equal(err.code, 'ERR_RECORD_TOO_LARGE');
    assert.match(err.message, /1000 bytes, over the 912-byte limit/);
    assert.match(err.hint!, /project path \(401 bytes\) by about 66 bytes/);
  }
  try {
    checkRecordBudget('x'.repeat(1000), { h: 'h'.repeat(300), p: '/', s: 'x' });
    assert.fail('expected ERR_RECORD_TOO_LARGE');
  } catch (err) {
    assert.match((err as CliError).hint!, /hostname \(300 bytes\)/);
  }
});
