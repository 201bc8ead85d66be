// DESIGN.md §4: the cclink key file — plaintext hex and the CCLINKEK envelope.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, chmodSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseKeyFile, decryptSeed, encryptSeed, readKeyFile, writeKeyFile, encodePlainKey, loadIdentity, KEY_INFO } from '../../lib/identity/key-file.ts';
import { stretch } from '../../lib/identity/kdf.ts';
import { ageIdentityFromX25519 } from '../../lib/identity/identity.ts';
import { CliError, EXIT } from '../../lib/cli/errors.ts';

const vectors = JSON.parse(readFileSync(new URL('../vectors/identity.json', import.meta.url), 'utf8'));
const env = vectors.envelope;
const envelopeBytes = Buffer.from(env.file_base64, 'base64');
const pass = () => Buffer.from(env.passphrase);
const dir = () => mkdtempSync(join(tmpdir(), 'cckit-keyfile-'));
const isCli = (code: number, name?: string) => (e: unknown) => e instanceof CliError && e.exitCode === code && (!name || e.code === name);

test('known-answer envelope: header fields parse and the passphrase opens it to the seed', async () => {
  const c = parseKeyFile(envelopeBytes);
  assert.equal(c.kind, 'encrypted');
  if (c.kind !== 'encrypted') return;
  assert.deepEqual(c.params, { m: env.m, t: env.t, p: env.p });
  assert.equal(Buffer.from(c.salt).toString('hex'), env.salt);
  assert.equal(Buffer.from(await decryptSeed(c, pass())).toString('hex'), env.seed);
});

test('envelope layout is "CCLINKEK" | 0x01 | m,t,p u32 BE | salt(32) | binary age file', () => {
  assert.equal(envelopeBytes.subarray(0, 8).toString('latin1'), 'CCLINKEK');
  assert.equal(envelopeBytes[8], 1);
  assert.equal(envelopeBytes.readUInt32BE(9), 65536);
  assert.equal(envelopeBytes.readUInt32BE(13), 3);
  assert.equal(envelopeBytes.readUInt32BE(17), 1);
  assert.equal(envelopeBytes.subarray(53, 53 + 21).toString('latin1'), 'age-encryption.org/v1');
});

test('the age CLI opens the envelope body with the KEK identity HKDF(Argon2id(pass), "cclink-key-v1")', async () => {
  const c = parseKeyFile(envelopeBytes);
  if (c.kind !== 'encrypted') throw new Error('expected envelope');
  const kek = await stretch(pass(), c.salt, c.params, KEY_INFO);
  const d = dir();
  writeFileSync(join(d, 'kek.txt'), ageIdentityFromX25519(kek) + '\n', { mode: 0o600 });
  writeFileSync(join(d, 'body.age'), c.ciphertext);
  const seed = execFileSync('age', ['-d', '-i', join(d, 'kek.txt'), join(d, 'body.age')]);
  assert.equal(seed.toString('hex'), env.seed);
});

test('wrong passphrase is an authentication failure (exit 4)', async () => {
  const c = parseKeyFile(envelopeBytes);
  if (c.kind !== 'encrypted') throw new Error('expected envelope');
  await assert.rejects(decryptSeed(c, Buffer.from('Correct horse battery staple')), isCli(EXIT.AUTH, 'ERR_WRONG_PASSPHRASE'));
});

test('encrypt → decrypt round trip with fresh salt, cheap parameters', async () => {
  const seed = new Uint8Array(32).fill(7);
  const file = await encryptSeed(seed, Buffer.from('pw-pw-pw-pw'), { m: 64, t: 1, p: 1 });
  const c = parseKeyFile(file);
  if (c.kind !== 'encrypted') throw new Error('expected envelope');
  assert.deepEqual(await decryptSeed(c, Buffer.from('pw-pw-pw-pw')), seed);
});

test('truncated, unknown-version, hostile-parameter and garbage key files are refused', () => {
  assert.throws(() => parseKeyFile(envelopeBytes.subarray(0, 40)), isCli(EXIT.FAILURE, 'ERR_KEY_FORMAT'));
  const v2 = Buffer.from(envelopeBytes);
  v2[8] = 2;
  assert.throws(() => parseKeyFile(v2), isCli(EXIT.FAILURE, 'ERR_KEY_FORMAT'));
  const huge = Buffer.from(envelopeBytes);
  huge.writeUInt32BE(0xffffffff, 9); // 4 TiB of memory: refuse before allocating
  assert.throws(() => parseKeyFile(huge), isCli(EXIT.AUTH, 'ERR_KDF_PARAMS'));
  const slow = Buffer.from(envelopeBytes);
  slow.writeUInt32BE(100000, 13);
  assert.throws(() => parseKeyFile(slow), isCli(EXIT.AUTH, 'ERR_KDF_PARAMS'));
  assert.throws(() => parseKeyFile(Buffer.from('not a key')), isCli(EXIT.FAILURE, 'ERR_KEY_FORMAT'));
  assert.throws(() => parseKeyFile(Buffer.from('ab'.repeat(31))), isCli(EXIT.FAILURE, 'ERR_KEY_FORMAT'));
});

test('a tampered envelope body does not open (exit 4)', async () => {
  const bad = Buffer.from(envelopeBytes);
  bad[bad.length - 5] ^= 0x40;
  const c = parseKeyFile(bad);
  if (c.kind !== 'encrypted') throw new Error('expected envelope');
  await assert.rejects(decryptSeed(c, pass()), isCli(EXIT.AUTH));
});

test('plaintext key: 64 hex chars as pkarr writes them, with or without a newline, any case', () => {
  const seed = Buffer.from(env.seed, 'hex');
  for (const text of [env.seed, env.seed + '\n', env.seed.toUpperCase() + '\r\n']) {
    const c = parseKeyFile(Buffer.from(text));
    assert.equal(c.kind, 'plain');
    if (c.kind === 'plain') assert.deepEqual(Buffer.from(c.seed), seed);
  }
  assert.equal(Buffer.from(encodePlainKey(seed)).toString(), env.seed);
});

test('key file permissions: 0600 and 0400 accepted, anything readable by others refused', () => {
  const d = dir();
  const path = join(d, 'secret_key');
  writeFileSync(path, env.seed, { mode: 0o600 });
  assert.equal(readKeyFile(path).kind, 'plain');
  chmodSync(path, 0o400);
  assert.equal(readKeyFile(path).kind, 'plain');
  for (const mode of [0o644, 0o640, 0o604, 0o660, 0o700]) {
    chmodSync(path, mode);
    assert.throws(() => readKeyFile(path), isCli(EXIT.FAILURE, 'ERR_KEY_PERMS'), mode.toString(8));
  }
});

test('missing key file is "not found" (exit 3) with a hint to run cc-key init', () => {
  assert.throws(() => readKeyFile(join(dir(), 'nope')), (e: unknown) => e instanceof CliError && e.exitCode === 3 && /cc-key init/.test(e.hint ?? ''));
});

test('writeKeyFile: 0600 even under umask 000, folder 0700, no temp files left, refuses to overwrite', () => {
  const d = dir();
  const path = join(d, 'new', '.pubky', 'secret_key');
  const old = process.umask(0);
  try {
    writeKeyFile(path, Buffer.from(env.seed), false);
  } finally {
    process.umask(old);
  }
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(join(d, 'new', '.pubky')).mode & 0o777, 0o700);
  assert.throws(() => writeKeyFile(path, Buffer.from('ff'.repeat(32)), false), isCli(EXIT.FAILURE, 'ERR_EXISTS'));
  assert.equal(readFileSync(path, 'utf8'), env.seed, 'the existing key is untouched');
  writeKeyFile(path, Buffer.from('ff'.repeat(32)), true);
  assert.equal(readFileSync(path, 'utf8'), 'ff'.repeat(32));
  assert.deepEqual(readdirSync(join(d, 'new', '.pubky')), ['secret_key']);
});

test('loadIdentity asks for the passphrase only for an encrypted file', async () => {
  const d = dir();
  const path = join(d, 'k');
  writeFileSync(path, env.seed, { mode: 0o600 });
  let asked = 0;
  await loadIdentity(path, { passphrase: async () => (asked++, Buffer.from('x')) });
  assert.equal(asked, 0);
  writeFileSync(join(d, 'e'), envelopeBytes, { mode: 0o600 });
  const id = await loadIdentity(join(d, 'e'), { passphrase: async () => (asked++, pass()) });
  assert.equal(asked, 1);
  assert.equal(Buffer.from(id.seed).toString('hex'), env.seed);
});
