// Objects (lib/context/objects.ts) in both paths (streamed and in memory),
// their checks, and that they are standard age files; the folder store;
// signed sealed documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decrypter } from 'age-encryption';
import { hashFile, openObject, openObjectBytes, sealObject, sealObjectBytes } from '../../lib/context/objects.ts';
import { x25519PublicOf } from '../../lib/identity/ed25519.ts';
import { ageIdentityFromX25519, generateIdentity, x25519Public, x25519Secret } from '../../lib/identity/identity.ts';
import { openStore } from '../../lib/context/store.ts';
import { checkSigner, openDoc, sealDoc } from '../../lib/context/sealed-doc.ts';

const dir = mkdtempSync(join(tmpdir(), 'ctx-obj-'));
const secret = randomBytes(32);
const recipient = x25519PublicOf(secret);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function header(content: Buffer, path = '/a.md') {
  return { path, size: content.length, mtime: 1, sha256: sha(content), prev: null };
}

for (const size of [0, 1, 65536, 65536 * 3 + 5, 2_500_000]) {
  test(`an object of ${size} bytes: streamed and in-memory forms open either way, padded, named by its hash`, async () => {
    const content = randomBytes(size);
    const src = join(dir, `src-${size}`);
    writeFileSync(src, content);
    const streamed = join(dir, `obj-${size}`);
    const { hash, size: n } = sealObject(src, header(content), recipient, streamed);
    assert.equal(hashFile(streamed), hash);
    assert.equal(readFileSync(streamed).length, n);
    const out = join(dir, `out-${size}`);
    const h = openObject(streamed, [secret], out, 'test');
    assert.equal(h.path, '/a.md');
    assert.ok(readFileSync(out).equals(content));
    if (size <= 1 << 20) {
      const mem = sealObjectBytes(content, header(content), recipient);
      assert.equal(mem.hash, sha(mem.data));
      assert.ok(openObjectBytes(readFileSync(streamed), [secret], 't').content.equals(content));
      const written = join(dir, `mem-${size}`);
      writeFileSync(written, mem.data);
      openObject(written, [secret], join(dir, `mo-${size}`), 't');
      assert.ok(readFileSync(join(dir, `mo-${size}`)).equals(content));
    }
    // A standard age file: typage opens it.
    const d = new Decrypter();
    d.addIdentity(ageIdentityFromX25519(secret));
    const plain = await d.decrypt(readFileSync(streamed));
    assert.ok(plain.length >= 4096);
  });
}

test('small files of different sizes share a bucket', () => {
  const a = sealObjectBytes(Buffer.from('x'), header(Buffer.from('x')), recipient);
  const b = sealObjectBytes(Buffer.alloc(3000, 1), header(Buffer.alloc(3000, 1)), recipient);
  assert.equal(a.data.length, b.data.length);
});

test('tampering, a wrong key, lying headers and bad padding are refused (exit 4), leaving no output file', () => {
  const content = Buffer.from('hello');
  const good = sealObjectBytes(content, header(content), recipient).data;
  const bad = Buffer.from(good);
  bad[bad.length - 20] ^= 1;
  assert.throws(() => openObjectBytes(bad, [secret], 'o'), (e: { exitCode?: number }) => e.exitCode === 4);
  assert.throws(() => openObjectBytes(good, [randomBytes(32)], 'o'), (e: { exitCode?: number }) => e.exitCode === 4);
  const lie = sealObjectBytes(content, { ...header(content), sha256: sha(Buffer.from('other')) }, recipient).data;
  assert.throws(() => openObjectBytes(lie, [secret], 'o'), /does not match its header/);
  const p = join(dir, 'bad-obj');
  writeFileSync(p, bad);
  const out = join(dir, 'bad-out');
  assert.throws(() => openObject(p, [secret], out, 'o'), (e: { exitCode?: number }) => e.exitCode === 4);
  assert.equal(existsSync(out), false);
});

test('a file that changes while it is sealed fails, and leaves nothing', () => {
  const src = join(dir, 'moving');
  writeFileSync(src, 'one');
  const dest = join(dir, 'moving-obj');
  assert.throws(() => sealObject(src, header(Buffer.from('two')), recipient, dest), /changed while/);
  assert.equal(existsSync(dest), false);
});

test('folder store: read, write, list, stage and commit, fetch; hostile keys refused', async () => {
  const store = await openStore(join(dir, 'store'));
  assert.equal(await store.read('policy/head'), null);
  await store.write('head/abc', Buffer.from('h'));
  assert.deepEqual(await store.list('head'), ['head/abc']);
  const t = store.stageFile();
  writeFileSync(t, 'obj');
  await store.commit([{ key: 'o/ab/abcd', path: t }]);
  assert.deepEqual([...(await store.fetch(['o/ab/abcd', 'o/cd/missing'])).keys()], ['o/ab/abcd']);
  assert.deepEqual(await store.list('o'), ['o/ab/abcd']);
  await assert.rejects(store.read('../etc/passwd'), /bad store key/);
  await assert.rejects(openStore('rclone:nocolon'), /bad store/);
});

test('sealed documents: only the recipients open them; the signer is checked', () => {
  const alice = generateIdentity();
  const bob = generateIdentity();
  const doc = sealDoc('head', { seq: 1 }, alice, [x25519Public(bob.publicKey)]);
  const opened = openDoc(doc, [x25519Secret(bob.seed)], 'the head', 'head');
  checkSigner(opened, alice.publicKey, 'the head');
  assert.throws(() => checkSigner(opened, bob.publicKey, 'the head'), /bad signature/);
  assert.throws(() => openDoc(doc, [x25519Secret(alice.seed)], 'the head', 'head'), (e: { exitCode?: number }) => e.exitCode === 4);
  assert.throws(() => openDoc(doc, [x25519Secret(bob.seed)], 'the head', 'batch'), /not a batch/);
});
