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

test('weak PINs: short digit strings, common words, repeats, keyboard walks', () => {
  for (const pin of ['1234', '123456', '839271', '000000', '12345678901', 'password', 'P@ssw0rd!', 'Password123', 'qwertyuiop', 'abcabcabcabc', 'zzzzzzzzzzzz', 'sunshinesunshine', 'letmein2024', 'validpin']) {
    const s = estimatePinStrength(pin);
    assert.ok(s.bits < MIN_PIN_BITS, `${pin}: ${s.bits}`);
    assert.ok(s.weakness, pin);
  }
  assert.match(estimatePinStrength('839271').weakness!, /only 6 digits/);
  assert.match(estimatePinStrength('Password123').weakness!, /common word/);
  assert.match(estimatePinStrength('qwertyuiop').weakness!, /repeats or sequences/);
});

test('strong PINs pass', () => {
  for (const pin of ['MyS3cur3P1n!', 'Tr0ub4dor&3x', 'correct horse battery staple', '7291-5534-0826-4419', 'k8q3-xw9a-7dtm-p2rn', 'Ωμέγα-λέξη-42']) {
    const s = estimatePinStrength(pin);
    assert.ok(s.bits >= MIN_PIN_BITS, `${pin}: ${s.bits}`);
    assert.equal(s.weakness, undefined);
  }
});

test('checkPinStrength: ERR_WEAK_PIN (exit 1) with a hint, unless --weak-pin', () => {
  assert.throws(
    () => checkPinStrength(Buffer.from('123456'), false),
    (e: CliError) => e.code === 'ERR_WEAK_PIN' && e.exitCode === 1 && /only 6 digits/.test(e.message) && /--generate-pin/.test(e.hint!) && /--weak-pin/.test(e.hint!),
  );
  assert.ok(checkPinStrength(Buffer.from('123456'), true).bits < MIN_PIN_BITS);
});

test('generated PINs: 4 groups of 4 z-base-32 characters, 80 bits, all different, all strong', () => {
  assert.equal(GENERATED_PIN_BITS, 80);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const p = generatePin();
    assert.match(p, /^[ybndrfg8ejkmcpqxot1uwisza345h769]{4}(-[ybndrfg8ejkmcpqxot1uwisza345h769]{4}){3}$/);
    assert.ok(estimatePinStrength(p).bits >= MIN_PIN_BITS, p);
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
