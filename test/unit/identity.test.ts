// DESIGN.md §4: identity encodings and the Ed25519 → X25519 conversion,
// checked against known answers (test/vectors/identity.json), RFC 8032,
// @noble/curves as an independent implementation, and `age-keygen -y`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import {
  identityFromSeed,
  generateIdentity,
  formatPubkey,
  fingerprint,
  parsePubkey,
  ageRecipient,
  ageIdentity,
  x25519Public,
  x25519Secret,
  sign,
  verify,
  signBesideDht,
  verifyBesideDht,
} from '../../lib/identity/identity.ts';
import { CliError } from '../../lib/cli/errors.ts';
import { edPublicKey } from '../../lib/identity/ed25519.ts';

const vectors = JSON.parse(readFileSync(new URL('../vectors/identity.json', import.meta.url), 'utf8'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('RFC 8032 test 1: public key of seed 9d61…', () => {
  const id = identityFromSeed(Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'));
  assert.equal(hex(id.publicKey), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
});

for (const v of vectors.keys) {
  test(`known answers for seed ${v.seed.slice(0, 8)}…: pk, fingerprint, age recipient and identity`, () => {
    const id = identityFromSeed(Buffer.from(v.seed, 'hex'));
    assert.equal(hex(id.publicKey), v.public_key);
    assert.equal(formatPubkey(id.publicKey), v.pubkey);
    assert.equal(fingerprint(id.publicKey), v.fingerprint);
    assert.equal(ageRecipient(id.publicKey), v.age_recipient);
    assert.equal(ageIdentity(id.seed), v.age_identity);
  });
}

test('age-keygen -y derives our recipient from our identity (X25519 secret and Montgomery public agree)', () => {
  for (const v of vectors.keys) {
    const out = execFileSync('age-keygen', ['-y'], { input: v.age_identity + '\n' }).toString().trim();
    assert.equal(out, v.age_recipient);
  }
});

test('Ed25519 → X25519 agrees with @noble/curves on 200 random keys (public: toMontgomery; secret: SHA-512(seed)[0..32])', () => {
  for (let i = 0; i < 200; i++) {
    const seed = new Uint8Array(randomBytes(32));
    const id = identityFromSeed(seed);
    assert.equal(hex(id.publicKey), hex(ed25519.getPublicKey(seed)));
    assert.equal(hex(x25519Public(id.publicKey)), hex(ed25519.utils.toMontgomery(id.publicKey)));
    assert.equal(hex(x25519Secret(seed)), hex(sha512(seed).slice(0, 32)));
    // The X25519 key pair is consistent: scalar·base = the converted public key.
    assert.equal(hex(x25519.getPublicKey(x25519Secret(seed))), hex(x25519Public(id.publicKey)));
  }
});

test('signatures verify with @noble/curves and fail when anything changes', () => {
  const id = identityFromSeed(new Uint8Array(randomBytes(32)));
  const msg = new TextEncoder().encode('cckit');
  const sig = sign(id, msg);
  assert.ok(ed25519.verify(sig, msg, id.publicKey));
  assert.ok(verify(id.publicKey, msg, sig));
  const bad = Uint8Array.from(sig);
  bad[10] ^= 1;
  assert.equal(verify(id.publicKey, msg, bad), false);
  assert.equal(verify(id.publicKey, new TextEncoder().encode('cckiT'), sig), false);
  assert.equal(verify(id.publicKey, msg, sig.slice(0, 63)), false);
});

test("libsodium signatures (signBesideDht) are the same bytes as OpenSSL's; verifyBesideDht agrees and never throws", () => {
  for (let i = 0; i < 20; i++) {
    const id = identityFromSeed(new Uint8Array(randomBytes(32)));
    const msg = new Uint8Array(randomBytes(i * 7));
    const sig = signBesideDht(id, msg);
    assert.equal(hex(sig), hex(sign(id, msg))); // Ed25519 is deterministic
    assert.ok(verifyBesideDht(id.publicKey, msg, sig));
    assert.ok(verify(id.publicKey, msg, sig));
    const bad = Uint8Array.from(sig);
    bad[i] ^= 1;
    assert.equal(verifyBesideDht(id.publicKey, msg, bad), false);
  }
  const id = generateIdentity();
  const msg = new TextEncoder().encode('cckit');
  const sig = signBesideDht(id, msg);
  assert.equal(verifyBesideDht(id.publicKey, new TextEncoder().encode('cckiT'), sig), false);
  assert.equal(verifyBesideDht(id.publicKey, msg, sig.slice(0, 63)), false);
  assert.equal(verifyBesideDht(id.publicKey.slice(0, 31), msg, sig), false);
  assert.equal(verifyBesideDht(new Uint8Array(32), msg, sig), false); // a small-order key
  const offset = new Uint8Array(80);
  offset.set(msg, 9);
  assert.ok(verifyBesideDht(id.publicKey, offset.subarray(9, 9 + msg.length), sig), 'a view into a larger buffer is read at its offset');
});

test('parsePubkey accepts pk:, bare z32, upper case, URLs and subdomains', () => {
  const v = vectors.keys[1];
  const z = v.pubkey.slice(3);
  for (const form of [v.pubkey, z, z.toUpperCase(), `pk://${z}`, `https://${z}.example.org/x`, `https://relay.example/${z}`, `  ${v.pubkey}\n`]) {
    assert.equal(hex(parsePubkey(form)), v.public_key, form);
  }
});

test('parsePubkey rejects wrong length, wrong alphabet and points off the curve, as usage errors', () => {
  const z = vectors.keys[1].pubkey.slice(3);
  for (const bad of ['', 'pk:', z.slice(1), z + 'y', z.replace(/./, '0'), 'pk:' + 'y'.repeat(51) + 'o']) {
    assert.throws(() => parsePubkey(bad), (e: unknown) => e instanceof CliError && e.exitCode === 2, bad);
  }
  // A 32-byte value whose y has no x on the curve must be refused even though it decodes.
  let offCurve: string | undefined;
  for (let i = 0; i < 64 && !offCurve; i++) {
    const bytes = new Uint8Array(randomBytes(32));
    if (!ed25519.utils.isValidPublicKey(bytes)) offCurve = formatPubkey(bytes);
  }
  assert.ok(offCurve);
  assert.throws(() => parsePubkey(offCurve!), CliError);
});

test('generateIdentity: the public key libsodium derives is the one OpenSSL derives from the seed', () => {
  for (let i = 0; i < 20; i++) {
    const id = generateIdentity();
    assert.deepEqual(Buffer.from(edPublicKey(id.seed)), Buffer.from(id.publicKey));
    assert.deepEqual(Buffer.from(ed25519.getPublicKey(id.seed)), Buffer.from(id.publicKey));
  }
});
