// PINs (DESIGN.md §5): the key derivation against an independent Argon2id
// (test/vectors/record-pin.json, @noble/hashes), the strength estimate and
// its refusal, generated PINs, and where a PIN may come from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, openSync, closeSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkPinStrength,
  derivePinKey,
  estimatePinStrength,
  generatePin,
  GENERATED_PIN_BITS,
  MIN_PIN_BITS,
  readPin,
} from '../../lib/handoff/pin.ts';
import { x25519PublicFromSecret } from '../../lib/age/stream.ts';
import { ageRecipientFromX25519 } from '../../lib/identity/identity.ts';
import { checkNewPassphrase } from '../../lib/identity/strength.ts';
import { CliError } from '../../lib/cli/errors.ts';

const vectors = JSON.parse(readFileSync(new URL('../vectors/record-pin.json', import.meta.url), 'utf8'));

for (const c of vectors.cases) {
  test(`PIN key derivation matches noble's Argon2id + HKDF: '${c.pin}'`, async () => {
    const key = await derivePinKey(Buffer.from(c.pin, 'utf8'), Buffer.from(c.salt_b64, 'base64'));
    assert.equal(Buffer.from(key).toString('hex'), c.key_hex);
    assert.equal(ageRecipientFromX25519(x25519PublicFromSecret(key)), c.age_recipient);
  });
}

test('a salt that is not 32 bytes is refused before Argon2 runs', async () => {
  await assert.rejects(derivePinKey(Buffer.from('x'), Buffer.alloc(16)), (e: CliError) => e.code === 'ERR_BAD_PIN_SALT' && e.exitCode === 4);
});

test('weak PINs (zxcvbn-ts): short digit strings, common words and phrases, repeats, keyboard walks', async () => {
  for (const pin of ['1234', '123456', '839271', '000000', '12345678901', 'password', 'P@ssw0rd!', 'Password123', 'qwertyuiop', 'abcabcabcabc', 'zzzzzzzzzzzz', 'sunshinesunshine', 'letmein2024', 'correct horse', 'ilovemydog2024', 'x']) {
    const s = await estimatePinStrength(pin);
    assert.ok(s.bits < MIN_PIN_BITS, `${pin}: ${s.bits}`);
    assert.ok(s.weakness, pin);
  }
  assert.match((await estimatePinStrength('839271')).weakness!, /only 6 digits/);
  assert.match((await estimatePinStrength('password')).weakness!, /commonly used password|heavily used password/);
});

test('strong PINs pass', async () => {
  for (const pin of ['correct horse battery staple', '7291-5534-0826-4419', 'k8q3-xw9a-7dtm-p2rn', 'Ωμέγα-λέξη-42', 'tall-otter-basil-91']) {
    const s = await estimatePinStrength(pin);
    assert.ok(s.bits >= MIN_PIN_BITS, `${pin}: ${s.bits}`);
    assert.equal(s.weakness, undefined);
  }
});

test('checkPinStrength: ERR_WEAK_PIN (exit 1) with a hint, unless --weak-pin', async () => {
  await assert.rejects(
    checkPinStrength(Buffer.from('123456'), false),
    (e: CliError) => e.code === 'ERR_WEAK_PIN' && e.exitCode === 1 && /only 6 digits/.test(e.message) && /--generate-pin/.test(e.hint!) && /--weak-pin/.test(e.hint!),
  );
  assert.ok((await checkPinStrength(Buffer.from('123456'), true)).bits < MIN_PIN_BITS);
});

test('key passphrases: at least 8 characters, then the same estimate; the hint names --no-passphrase', async () => {
  await assert.rejects(checkNewPassphrase(Buffer.from('x')), (e: CliError) => e.code === 'ERR_WEAK_PASSPHRASE' && /at least 8/.test(e.message) && /--no-passphrase/.test(e.hint!));
  await assert.rejects(checkNewPassphrase(Buffer.from('abc1234')), (e: CliError) => /7 characters/.test(e.message));
  for (const p of ['correct horse', 'ilovemydog2024', 'password1234']) {
    await assert.rejects(checkNewPassphrase(Buffer.from(p)), (e: CliError) => e.code === 'ERR_WEAK_PASSPHRASE' && /too weak/.test(e.message) && /--no-passphrase/.test(e.hint!), p);
  }
  assert.ok((await checkNewPassphrase(Buffer.from('demo passphrase 123'))).bits >= MIN_PIN_BITS);
});

test('generated PINs: 4 groups of 4 z-base-32 characters, 80 bits, all different, all strong', async () => {
  assert.equal(GENERATED_PIN_BITS, 80);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const p = generatePin();
    assert.match(p, /^[ybndrfg8ejkmcpqxot1uwisza345h769]{4}(-[ybndrfg8ejkmcpqxot1uwisza345h769]{4}){3}$/);
    assert.ok((await estimatePinStrength(p)).bits >= MIN_PIN_BITS, p);
    seen.add(p);
  }
  assert.equal(seen.size, 200);
});

test('readPin: --pin-fd first, then CCKIT_PIN, else a clear error without a terminal', async () => {
  const saved = { pin: process.env.CCKIT_PIN, tty: process.env.CCKIT_NO_TTY };
  try {
    process.env.CCKIT_NO_TTY = '1';
    delete process.env.CCKIT_PIN;
    await assert.rejects(readPin({ confirm: true }), (e: CliError) => e.code === 'ERR_NO_TTY' && /CCKIT_PIN or pass --pin-fd/.test(e.hint!));
    process.env.CCKIT_PIN = 'from-env-pin';
    assert.equal((await readPin({ confirm: true })).toString(), 'from-env-pin');
    const dir = mkdtempSync(join(tmpdir(), 'cckit-pin-'));
    writeFileSync(join(dir, 'pin'), 'from-fd-pin\n');
    const fd = openSync(join(dir, 'pin'), 'r');
    try {
      assert.equal((await readPin({ fd, confirm: false })).toString(), 'from-fd-pin');
    } finally {
      closeSync(fd);
    }
  } finally {
    if (saved.pin === undefined) delete process.env.CCKIT_PIN;
    else process.env.CCKIT_PIN = saved.pin;
    if (saved.tty === undefined) delete process.env.CCKIT_NO_TTY;
    else process.env.CCKIT_NO_TTY = saved.tty;
  }
});
