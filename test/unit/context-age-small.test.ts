// lib/context/age-small.ts writes and reads standard age files: typage
// (npm age-encryption) and lib/age open what it seals, it opens what they
// seal, across the STREAM chunk edges; tampering and wrong keys are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Decrypter, Encrypter } from 'age-encryption';
import { openSmall, sealSmall, sha256hexAnyThread, useLockFreeCrypto } from '../../lib/context/age-small.ts';
import { openBytes, sealBytes } from '../../lib/age/stream.ts';
import { x25519PublicOf } from '../../lib/identity/ed25519.ts';
import { ageIdentityFromX25519, ageRecipientFromX25519 } from '../../lib/identity/identity.ts';

const secret = randomBytes(32);
const recipient = x25519PublicOf(secret);
const SIZES = [0, 1, 65535, 65536, 65537, 131072, 200000];

async function othersOpenWhatItSeals() {
  for (const n of SIZES) {
    const plain = randomBytes(n);
    const file = sealSmall(plain, recipient);
    const d = new Decrypter();
    d.addIdentity(ageIdentityFromX25519(secret));
    assert.deepEqual(Buffer.from(await d.decrypt(file)), plain, `typage, ${n} bytes`);
    assert.deepEqual(openBytes(file, [secret]), plain, `lib/age, ${n} bytes`);
    assert.deepEqual(openSmall(file, [secret], 'x'), plain, `openSmall, ${n} bytes`);
  }
}

test('typage and lib/age open what sealSmall seals, at every chunk edge', othersOpenWhatItSeals);

async function opensWhatOthersSeal() {
  for (const n of SIZES) {
    const plain = randomBytes(n);
    const e = new Encrypter();
    e.addRecipient(ageRecipientFromX25519(recipient));
    assert.deepEqual(openSmall(Buffer.from(await e.encrypt(plain)), [randomBytes(32), secret], 'x'), plain);
    assert.deepEqual(openSmall(sealBytes(plain, [recipient]), [secret], 'x'), plain);
    const scratch = Buffer.alloc(n + 64);
    assert.deepEqual(Buffer.from(openSmall(sealBytes(plain, [recipient]), [secret], 'x', scratch)), plain, 'into a scratch buffer');
  }
}

function refusesBadFiles() {
  const file = sealSmall(randomBytes(70000), recipient);
  const refuse = (f: Buffer, keys: Uint8Array[] = [secret]) => assert.throws(() => openSmall(f, keys, 'x'), (e: { exitCode?: number }) => e.exitCode === 4);
  refuse(file, [randomBytes(32)]);
  const flipped = Buffer.from(file);
  flipped[flipped.length - 100] ^= 1;
  refuse(flipped);
  const badMac = Buffer.from(file);
  badMac[badMac.indexOf('---') + 5] ^= 1;
  refuse(badMac);
  refuse(file.subarray(0, file.length - 10));
  refuse(file.subarray(0, file.length - (70000 - 65536) - 16)); // cut at the chunk edge: the first chunk is not a last one
  refuse(Buffer.concat([file, randomBytes(40)]));
  refuse(Buffer.from('not age at all'));
}

test('openSmall opens what typage and lib/age seal', opensWhatOthersSeal);
test('openSmall refuses a wrong key, a flipped byte, a bad header MAC, a truncation and appended data (exit 4)', refusesBadFiles);

// Last in this file: it switches this thread's sealing to libsodium + noble for good.
test('with the lock-free primitives (worker threads): typage and lib/age open what sealSmall seals, openSmall opens theirs and refuses the same bad files; a low-order recipient is refused', async () => {
  useLockFreeCrypto();
  await othersOpenWhatItSeals();
  assert.equal(sha256hexAnyThread(Buffer.from('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.throws(() => sealSmall(Buffer.from('x'), new Uint8Array(32)), (e: Error & { code?: string }) => e.code === 'ERR_BAD_RECIPIENT');
  await opensWhatOthersSeal();
  refusesBadFiles();
});
