// Sealing and opening records (DESIGN.md §5): round trips in all three
// modes, known-answer records made by other implementations (blob by Go
// age, signature by libsodium: test/vectors/record-open.json), the
// Ed25519 -> X25519 conversion against libsodium and a from-scratch
// computation, and every way a record must be refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { sealRecord } from '../../lib/handoff/seal.ts';
import { openRecord, MAX_CLOCK_SKEW, type OpenRecordOptions } from '../../lib/handoff/open.ts';
import { openBytes } from '../../lib/age/stream.ts';
import { ed25519PublicFromSeed, parseRecord, serializeRecord, signRecord, MAX_RECORD_JSON } from '../../lib/handoff/record.ts';
import { ageIdentity, ageRecipient, toZ32, x25519Public, x25519Secret } from '../../lib/identity/identity.ts';
import { CliError } from '../../lib/cli/errors.ts';

const keys = JSON.parse(readFileSync(new URL('../vectors/record-keys.json', import.meta.url), 'utf8'));
const opens = JSON.parse(readFileSync(new URL('../vectors/record-open.json', import.meta.url), 'utf8'));

const NOW = 1_750_000_000;
const SID = '3c0a3f7a-1234-5678-abcd-ef1234567890';
const payload = { h: 'laptop', p: '/home/me/app', s: SID };

const seedA = Buffer.alloc(32, 1);
const seedB = Buffer.alloc(32, 2);
const pubA = ed25519PublicFromSeed(seedA);
const pubB = ed25519PublicFromSeed(seedB);

function as(seed: Uint8Array): OpenRecordOptions['identity'] {
  return async () => ({ seed: Buffer.from(seed), publicKey: ed25519PublicFromSeed(seed) });
}
const noPin = async (): Promise<Uint8Array> => assert.fail('no PIN should be asked');
const noKey: OpenRecordOptions['identity'] = async () => assert.fail('no key should be loaded');

async function rejects(p: Promise<unknown>, expected: string): Promise<CliError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CliError, `expected a CliError, got ${(err as Error).stack}`);
    assert.equal(`${err.code}/${err.exitCode}`, expected, err.message);
    return err;
  }
  assert.fail(`expected ${expected}`);
}

// ── key conversion ───────────────────────────────────────────────────────

const P = 2n ** 255n - 19n;
const modpow = (b: bigint, e: bigint): bigint => {
  let r = 1n;
  b %= P;
  for (; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
  return r;
};
const le = (b: Uint8Array) => BigInt('0x' + Buffer.from(b).reverse().toString('hex'));
const toLe = (n: bigint) => Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse();

test('Ed25519 -> X25519 public: u = (1+y)/(1-y) mod p, libsodium and cckit agree', () => {
  for (const k of keys.cases) {
    const ed = Buffer.from(k.ed25519_public_hex, 'hex');
    const y = le(ed) & ((1n << 255n) - 1n);
    const u = ((1n + y) * modpow((1n - y + P) % P, P - 2n)) % P;
    assert.equal(toLe(u).toString('hex'), k.x25519_public_hex);
    assert.equal(Buffer.from(x25519Public(ed)).toString('hex'), k.x25519_public_hex);
    assert.equal(ageRecipient(ed), k.age_recipient);
  }
});

test('Ed25519 -> X25519 secret: SHA-512(seed)[0..32], and OpenSSL X25519 maps it to the converted public key', () => {
  for (const k of keys.cases) {
    const seed = Buffer.from(k.seed_hex, 'hex');
    const sec = createHash('sha512').update(seed).digest().subarray(0, 32);
    // libsodium clamps its output; clamping does not change the X25519 key.
    const clamped = Buffer.from(sec);
    clamped[0] &= 248;
    clamped[31] = (clamped[31] & 127) | 64;
    assert.equal(clamped.toString('hex'), k.x25519_secret_hex);
    assert.equal(Buffer.from(x25519Secret(seed)).toString('hex'), sec.toString('hex'));
    const priv = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), sec]), format: 'der', type: 'pkcs8' });
    const pub = createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(12);
    assert.equal(pub.toString('hex'), k.x25519_public_hex);
    // Our (unclamped) identity string and libsodium's (clamped) one are the same key to age.
    const dir = mkdtempSync(join(tmpdir(), 'cckit-keys-'));
    writeFileSync(join(dir, 'id'), ageIdentity(seed) + '\n', { mode: 0o600 });
    assert.equal(execFileSync('age-keygen', ['-y', join(dir, 'id')]).toString().trim(), k.age_recipient);
  }
});

// ── known-answer records from other implementations ──────────────────────

for (const c of opens.cases) {
  test(`opens a record made by Go age + libsodium: ${c.name}`, async () => {
    const opened = await openRecord({
      record: JSON.parse(c.record),
      now: c.now,
      identity: c.reader_seed_hex ? as(Buffer.from(c.reader_seed_hex, 'hex')) : noKey,
      pin: c.pin ? async () => Buffer.from(c.pin) : noPin,
    });
    assert.deepEqual(opened, c.expect);
  });
}

test('known-answer PIN record: a wrong PIN is ERR_WRONG_PIN (exit 4)', async () => {
  const c = opens.cases.find((x: { pin?: string }) => x.pin);
  await rejects(openRecord({ record: JSON.parse(c.record), now: c.now, identity: noKey, pin: async () => Buffer.from('wrong-pin-wrong') }), 'ERR_WRONG_PIN/4');
});

// ── round trips ──────────────────────────────────────────────────────────

test('self mode: the sealer opens it; outer hostname/project stay empty; §5 key order', async () => {
  const json = await sealRecord({ payload, seed: seedA, ttl: 3600, burn: false, now: NOW });
  assert.match(json, /^\{"blob":"[A-Za-z0-9+/=]+","created_at":\d+,"pubkey":"[a-z0-9]{52}","signature":"[A-Za-z0-9+/=]{88}","ttl":3600\}$/);
  assert.ok(!json.includes('laptop') && !json.includes('/home/me/app') && !json.includes(SID));
  const opened = await openRecord({ record: JSON.parse(json), now: NOW + 10, identity: as(seedA), pin: noPin });
  assert.deepEqual(opened, { v: 1, from: `pk:${toZ32(pubA)}`, created_at: NOW, expires_at: NOW + 3600, burn: false, payload });
});

test('share mode: only the peer opens it; recipient is the peer z32; burn is refused together by the CLI, not here', async () => {
  const json = await sealRecord({ payload, seed: seedA, to: pubB, ttl: 60, burn: false, now: NOW });
  const r = parseRecord(JSON.parse(json));
  assert.equal(r.recipient, toZ32(pubB));
  assert.deepEqual((await openRecord({ record: r, now: NOW, identity: as(seedB), pin: noPin })).payload, payload);
  const err = await rejects(openRecord({ record: r, now: NOW, identity: as(seedA), pin: noPin }), 'ERR_NOT_FOR_ME/4');
  assert.match(err.message, new RegExp(`shared with pk:${toZ32(pubB)}`));
});

test("a self record opened by another key says whose it is", async () => {
  const json = await sealRecord({ payload, seed: seedA, ttl: 60, burn: true, now: NOW });
  const err = await rejects(openRecord({ record: JSON.parse(json), now: NOW, identity: as(seedB), pin: noPin }), 'ERR_NOT_FOR_ME/4');
  assert.match(err.message, /sealed to its publisher's own key/);
});

test('PIN mode: PIN opens it without any key; wrong PIN is exit 4; pin_salt is 32 bytes', async () => {
  const pin = Buffer.from('k8q3-xw9a-7dtm-p2rn');
  const json = await sealRecord({ payload, seed: seedA, pin, ttl: 600, burn: true, now: NOW });
  const r = parseRecord(JSON.parse(json));
  assert.equal(Buffer.from(r.pin_salt!, 'base64').length, 32);
  assert.equal(r.recipient, null);
  assert.ok(json.includes('"burn":true,'));
  const opened = await openRecord({ record: r, now: NOW, identity: noKey, pin: async () => Buffer.from(pin) });
  assert.deepEqual(opened.payload, payload);
  assert.equal(opened.burn, true);
  await rejects(openRecord({ record: r, now: NOW, identity: noKey, pin: async () => Buffer.from('k8q3-xw9a-7dtm-p2rm') }), 'ERR_WRONG_PIN/4');
});

// ── refusals ─────────────────────────────────────────────────────────────

test('tampered blob, signature, fields, or swapped pubkey: ERR_BAD_SIGNATURE (exit 4), before any secret is asked', async () => {
  const json = await sealRecord({ payload, seed: seedA, ttl: 60, burn: false, now: NOW });
  const r = JSON.parse(json);
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  for (const bad of [
    { ...r, blob: flip(r.blob, 200) },
    { ...r, signature: flip(r.signature, 10) },
    { ...r, ttl: 86400 },
    { ...r, burn: true },
    { ...r, created_at: NOW + 1 },
    { ...r, recipient: toZ32(pubB) },
    { ...r, pubkey: toZ32(pubB) },
    { ...r, pubkey: 'not-a-key' },
    { ...r, signature: 'AAAA' },
  ]) {
    await rejects(openRecord({ record: bad, now: NOW, identity: noKey, pin: noPin }), 'ERR_BAD_SIGNATURE/4');
  }
});

test('a record re-signed by someone else: its own pubkey verifies, --from catches it', async () => {
  const json = await sealRecord({ payload, seed: seedB, ttl: 60, burn: false, now: NOW });
  await rejects(openRecord({ record: JSON.parse(json), from: pubA, now: NOW, identity: noKey, pin: noPin }), 'ERR_WRONG_SIGNER/4');
  const ok = await openRecord({ record: JSON.parse(json), from: pubB, now: NOW, identity: as(seedB), pin: noPin });
  assert.equal(ok.from, `pk:${toZ32(pubB)}`);
});

test('a blob encrypted to someone else and re-signed by the signer fails to decrypt (exit 4)', async () => {
  const mine = parseRecord(JSON.parse(await sealRecord({ payload, seed: seedA, ttl: 60, burn: false, now: NOW })));
  const theirs = parseRecord(JSON.parse(await sealRecord({ payload, seed: seedB, ttl: 60, burn: false, now: NOW })));
  const forged = signRecord({ ...mine, blob: theirs.blob }, seedA);
  await rejects(openRecord({ record: JSON.parse(serializeRecord(forged)), now: NOW, identity: as(seedA), pin: noPin }), 'ERR_WRONG_KEY/4');
});

test('expiry: exit 5 at created_at + ttl (cclink: now >= expiry); far-future created_at is exit 5 too', async () => {
  const r = JSON.parse(await sealRecord({ payload, seed: seedA, ttl: 100, burn: false, now: NOW }));
  await openRecord({ record: r, now: NOW + 99, identity: as(seedA), pin: noPin });
  const err = await rejects(openRecord({ record: r, now: NOW + 100, identity: noKey, pin: noPin }), 'ERR_RECORD_EXPIRED/5');
  assert.match(err.message, /expired 0 s ago/);
  await rejects(openRecord({ record: r, now: NOW + 7200, identity: noKey, pin: noPin }), 'ERR_RECORD_EXPIRED/5');
  await openRecord({ record: r, now: NOW - MAX_CLOCK_SKEW, identity: as(seedA), pin: noPin });
  await rejects(openRecord({ record: r, now: NOW - MAX_CLOCK_SKEW - 1, identity: noKey, pin: noPin }), 'ERR_RECORD_NOT_YET_VALID/5');
});

test('malformed pin_salt (signed, so only a buggy sealer makes one) is exit 4', async () => {
  const r = parseRecord(JSON.parse(await sealRecord({ payload, seed: seedA, ttl: 60, burn: false, now: NOW })));
  const bad = signRecord({ ...r, pin_salt: Buffer.alloc(16).toString('base64') }, seedA);
  await rejects(openRecord({ record: bad, now: NOW, identity: noKey, pin: noPin }), 'ERR_BAD_RECORD_FIELD/4');
});

test('not a record at all: exit 1', async () => {
  await rejects(openRecord({ record: { s: SID, h: 'x', p: 'y' }, now: NOW, identity: noKey, pin: noPin }), 'ERR_NOT_A_RECORD/1');
});

test('record budget: a long project path is refused with what to shorten', async () => {
  const long = { ...payload, p: '/' + 'x'.repeat(400) };
  const err = await rejects(sealRecord({ payload: long, seed: seedA, ttl: 60, burn: false, now: NOW }), 'ERR_RECORD_TOO_LARGE/1');
  assert.match(err.hint!, /project path/);
  // The largest payloads that fit, in each mode, stay within the budget.
  const fits = { ...payload, p: '/' + 'x'.repeat(150) };
  for (const extra of [{}, { to: pubB }]) {
    const json = await sealRecord({ payload: fits, seed: seedA, ttl: 60, burn: true, now: NOW, ...extra });
    assert.ok(Buffer.byteLength(json) <= MAX_RECORD_JSON, `${json.length}`);
  }
});

test('random payloads round-trip', async () => {
  for (let i = 0; i < 20; i++) {
    const p = { h: randomBytes(i).toString('base64'), p: '/' + randomBytes(i * 3).toString('hex'), s: SID };
    const json = await sealRecord({ payload: p, seed: seedA, ttl: 1 + i, burn: i % 2 === 0, now: NOW });
    const opened = await openRecord({ record: JSON.parse(json), now: NOW, identity: as(seedA), pin: noPin });
    assert.deepEqual(opened.payload, p);
    assert.equal(opened.burn, i % 2 === 0);
    // The blob is a standard age file for our X25519 key.
    const blob = Buffer.from(JSON.parse(json).blob, 'base64');
    assert.equal(openBytes(blob, [x25519Secret(seedA)]).toString(), JSON.stringify({ h: p.h, p: p.p, s: p.s }));
  }
});
