// Bounds on what a command reads and writes (issue 7 item 8): --ttl's
// documented maximum, hostile numbers in a signed record that must not crash
// opening or listing, invalid Unicode refused at seal time, a BOM tolerated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sealRecord } from '../../lib/handoff/seal.ts';
import { MAX_TTL } from '../../lib/handoff/ttl.ts';
import { openRecord } from '../../lib/handoff/open.ts';
import { ed25519PublicFromSeed, parsePayloadInput, parseRecord, serializeRecord, signRecord } from '../../lib/handoff/record.ts';
import { listLine, describeExpiry, utcTime } from '../../lib/handoff/text.ts';
import { decodeUtf8, parseJson } from '../../lib/cli/io.ts';
import { intFlag } from '../../lib/cli/args.ts';
import { CliError } from '../../lib/cli/errors.ts';

const SID = '3c0a3f7a-1234-5678-abcd-ef1234567890';
const payload = { h: 'laptop', p: '/home/me/app', s: SID };
const seed = Buffer.alloc(32, 7);
const publicKey = ed25519PublicFromSeed(seed);
const identity = async () => ({ seed: Buffer.from(seed), publicKey });
const noPin = async (): Promise<Uint8Array> => assert.fail('no PIN');

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CliError, `not a CliError: ${err}`);
    return `${err.code}/${err.exitCode}: ${err.message}`;
  }
  return 'no error';
}

/** A record signed by its own key with whatever numbers an attacker likes. */
async function hostile(fields: { created_at?: number; ttl?: number }): Promise<unknown> {
  const r = parseRecord(JSON.parse(await sealRecord({ payload, seed, publicKey, ttl: 60, burn: false })));
  const { signature: _, ...unsigned } = { ...r, ...fields };
  return JSON.parse(serializeRecord(signRecord(unsigned, seed)));
}

test('sealing refuses a ttl beyond a year or below a second', async () => {
  for (const ttl of [MAX_TTL + 1, Number.MAX_SAFE_INTEGER, 0, -1, 1.5]) {
    await assert.rejects(sealRecord({ payload, seed, publicKey, ttl, burn: false }), (e: CliError) => e.code === 'ERR_BAD_TTL' && e.exitCode === 2);
  }
  assert.ok(await sealRecord({ payload, seed, publicKey, ttl: MAX_TTL, burn: false }));
});

test('--ttl flag: negative says positive, above the maximum says the maximum', () => {
  const max = { value: MAX_TTL, says: 'a year' };
  assert.equal(code(() => intFlag('ttl', '-1', 1, 1, max)), "ERR_USAGE/2: --ttl must be a positive number, got '-1'");
  assert.equal(code(() => intFlag('ttl', '0', 1, 1, max)), "ERR_USAGE/2: --ttl must be a positive number, got '0'");
  assert.equal(code(() => intFlag('ttl', '9007199254740991', 1, 1, max)), "ERR_USAGE/2: --ttl must be at most 31536000 (a year), got '9007199254740991'");
  assert.equal(code(() => intFlag('ttl', '1e3', 1, 1, max)), "ERR_USAGE/2: --ttl needs a whole number, got '1e3'");
  assert.equal(code(() => intFlag('wait', '-5', 30)), "ERR_USAGE/2: --wait must be a non-negative number, got '-5'");
  assert.equal(intFlag('ttl', '31536000', 1, 1, max), MAX_TTL);
});

test('a signed record with a huge ttl opens and lists without crashing', async () => {
  const rec = await hostile({ ttl: Number.MAX_SAFE_INTEGER });
  const opened = await openRecord({ record: rec, identity, pin: noPin });
  assert.equal(opened.payload.s, SID);
  assert.ok(opened.expires_at > Number.MAX_SAFE_INTEGER);
  const line = listLine(rec as Record<string, unknown>);
  assert.match(line, /expires beyond any date/);
});

test('a signed record dated at the end of numbers is "not yet valid" (exit 5), and lists', async () => {
  const rec = await hostile({ created_at: Number.MAX_SAFE_INTEGER, ttl: Number.MAX_SAFE_INTEGER });
  await assert.rejects(openRecord({ record: rec, identity, pin: noPin }), (e: CliError) => e.code === 'ERR_RECORD_NOT_YET_VALID' && e.exitCode === 5);
  assert.match(listLine(rec as Record<string, unknown>), /published beyond any date/);
  assert.match(listLine({ pubkey: 'x', created_at: 'soon', ttl: null }), /published 1970-01-01 00:00:00 UTC/);
  assert.equal(utcTime(Infinity), 'beyond any date');
  assert.match(describeExpiry(-1e300, 0), /^expired beyond any date/);
});

test('lone surrogates in a payload are refused; real astral characters are not', () => {
  assert.match(code(() => parsePayloadInput({ ...payload, h: 'x\ud800' })), /^ERR_BAD_PAYLOAD\/1: .*'h' is not valid Unicode/);
  assert.match(code(() => parsePayloadInput({ ...payload, p: '/a\udc00b' })), /'p' is not valid Unicode/);
  assert.match(code(() => parsePayloadInput({ ...payload, p: '/a\udc00\ud800b' })), /'p' is not valid Unicode/);
  assert.deepEqual(parsePayloadInput({ ...payload, p: '/home/😀' }), { ...payload, p: '/home/😀' });
});

test('JSON input: a UTF-8 BOM is tolerated, invalid UTF-8 refused', () => {
  assert.deepEqual(parseJson(Buffer.from('\ufeff{"a":1}', 'utf8'), 'x'), { a: 1 });
  assert.deepEqual(parseJson('\ufeff[1]', 'x'), [1]);
  assert.equal(code(() => decodeUtf8(Buffer.from([0x7b, 0xff, 0x7d]), 'a record')), 'ERR_BAD_UTF8/1: input is not valid UTF-8: expected a record');
  assert.equal(code(() => decodeUtf8(Buffer.from([0xed, 0xa0, 0x80]), 'a record')), 'ERR_BAD_UTF8/1: input is not valid UTF-8: expected a record');
});
