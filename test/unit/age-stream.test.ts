// age v1 files written and read with node:crypto (lib/age/stream.ts), the
// armor (lib/age/armor.ts) and raw mode's streaming (lib/age/raw.ts):
// checked against typage (an independent implementation) both ways, at the
// STREAM chunk boundaries, and against every kind of damaged file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decrypter, Encrypter, generateHybridIdentity, identityToRecipient } from 'age-encryption';
import {
  CHUNK_SIZE,
  encodeHeader,
  HeaderScanner,
  newFileKey,
  openBytes,
  parseHeader,
  sealBytes,
  StreamOpener,
  StreamSealer,
  wrapX25519,
  x25519PublicFromSecret,
} from '../../lib/age/stream.ts';
import { ArmorDecoder, ArmorEncoder, looksArmored } from '../../lib/age/armor.ts';
import { openRaw, parseAgeRecipient, rawOutput, sealRaw, type RawSink } from '../../lib/age/raw.ts';
import { ageIdentityFromX25519, ageRecipientFromX25519 } from '../../lib/identity/identity.ts';
import { CliError } from '../../lib/cli/errors.ts';

const secret = randomBytes(32);
const pub = x25519PublicFromSecret(secret);
const ageId = ageIdentityFromX25519(secret);
const ageRcp = ageRecipientFromX25519(pub);
const BOUNDARIES = [0, 1, 65535, 65536, 65537, 2 * 65536, 2 * 65536 + 1, 3 * 65536 - 1];

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CliError, `expected a CliError, got ${(err as Error).stack}`);
    return `${err.code}/${err.exitCode}`;
  }
  assert.fail('expected an error');
}

async function typageDecrypt(file: Uint8Array, identity = ageId): Promise<Buffer> {
  const d = new Decrypter();
  d.addIdentity(identity);
  return Buffer.from(await d.decrypt(file));
}

async function typageEncrypt(plaintext: Uint8Array): Promise<Uint8Array> {
  const e = new Encrypter();
  e.addRecipient(ageRcp);
  return e.encrypt(plaintext);
}

/** Split `data` at random points, as pipes and files deliver it. */
function* pieces(data: Buffer, maxPiece: number): Generator<Buffer> {
  let off = 0;
  while (off < data.length) {
    const n = 1 + Math.floor(Math.random() * maxPiece);
    yield data.subarray(off, off + n);
    off += n;
  }
}

class MemorySink implements RawSink {
  parts: Buffer[] = [];
  committed = false;
  aborted = false;
  write(parts: Buffer[]): void {
    for (const p of parts) this.parts.push(Buffer.from(p));
  }
  async commit(): Promise<void> {
    this.committed = true;
  }
  abort(): void {
    this.aborted = true;
  }
  get data(): Buffer {
    return Buffer.concat(this.parts);
  }
}

async function* iter(chunks: Iterable<Buffer>): AsyncGenerator<Buffer> {
  for (const c of chunks) yield c;
}

async function rawRejects(file: Buffer, expected: string, secrets: Uint8Array[] = [secret]): Promise<MemorySink> {
  const sink = new MemorySink();
  try {
    await openRaw(iter(pieces(file, 70000)), sink, { secrets });
  } catch (err) {
    assert.ok(err instanceof CliError, `expected a CliError, got ${(err as Error).stack}`);
    assert.equal(`${err.code}/${err.exitCode}`, expected, err.message);
    assert.ok(sink.aborted && !sink.committed);
    return sink;
  }
  assert.fail(`expected ${expected}`);
}

// ── whole files ──────────────────────────────────────────────────────────

test('typage decrypts what we seal, and we open what typage seals, at every chunk boundary', async () => {
  for (const n of BOUNDARIES) {
    const pt = randomBytes(n);
    const ours = sealBytes(pt, [pub]);
    // header + 16-byte nonce + plaintext + one 16-byte tag per chunk (at least one)
    assert.equal(ours.length - parseHeaderLen(ours), 16 + n + 16 * Math.max(1, Math.ceil(n / CHUNK_SIZE)), `size ${n}`);
    assert.ok((await typageDecrypt(ours)).equals(pt), `typage opens ours (${n})`);
    assert.ok(openBytes(await typageEncrypt(pt), [secret]).equals(pt), `we open typage's (${n})`);
  }
});

function parseHeaderLen(file: Buffer): number {
  return new HeaderScanner().push(file)!.header.length;
}

test('several recipients: each one opens the file; a stranger gets ERR_WRONG_KEY (exit 4)', () => {
  const other = randomBytes(32);
  const file = sealBytes(Buffer.from('hello'), [x25519PublicFromSecret(other), pub]);
  assert.equal(openBytes(file, [secret]).toString(), 'hello');
  assert.equal(openBytes(file, [other]).toString(), 'hello');
  assert.equal(code(() => openBytes(file, [randomBytes(32)])), 'ERR_WRONG_KEY/4');
});

test('damaged headers: MAC, stanza, intro, encoding', () => {
  const file = sealBytes(Buffer.from('x'.repeat(100)), [pub]);
  const text = file.toString('latin1');
  const macAt = text.indexOf('\n--- ') + 5;
  const mac = Buffer.from(file);
  mac[macAt] = mac[macAt] === 0x41 ? 0x42 : 0x41;
  assert.equal(code(() => openBytes(mac, [secret])), 'ERR_AGE_HEADER_MAC/4');
  const stanza = Buffer.from(file);
  const bodyAt = text.indexOf('\n', text.indexOf('-> X25519')) + 3;
  stanza[bodyAt] = stanza[bodyAt] === 0x41 ? 0x42 : 0x41;
  assert.equal(code(() => openBytes(stanza, [secret])), 'ERR_WRONG_KEY/4');
  assert.equal(code(() => openBytes(Buffer.from('age-encryption.org/v2\n' + text.slice(22), 'latin1'), [secret])), 'ERR_NOT_AGE/4');
  const share = text.slice(text.indexOf('-> X25519 ') + 10, text.indexOf('\n', text.indexOf('-> X25519 ')));
  assert.equal(code(() => openBytes(Buffer.from(text.replace(share, 'abc'), 'latin1'), [secret])), 'ERR_AGE_HEADER/4');
  assert.equal(code(() => openBytes(Buffer.from(text.replace(share, share + ' extra'), 'latin1'), [secret])), 'ERR_AGE_HEADER/4');
  assert.equal(code(() => parseHeader(Buffer.from('age-encryption.org/v1\n->  x\n\n--- ' + 'A'.repeat(43) + '\n'))), 'ERR_AGE_HEADER/4');
  assert.equal(code(() => parseHeader(Buffer.from('age-encryption.org/v1\nhello\n--- ' + 'A'.repeat(43) + '\n'))), 'ERR_AGE_HEADER/4');
  assert.equal(code(() => parseHeader(Buffer.from('age-encryption.org/v1\n--- ' + 'A'.repeat(42) + '\n'))), 'ERR_AGE_HEADER/4');
  const long = 'A'.repeat(65);
  assert.equal(code(() => parseHeader(Buffer.from(`age-encryption.org/v1\n-> x\n${long}\n\n--- ${'A'.repeat(43)}\n`))), 'ERR_AGE_HEADER/4');
});

test('a header that never ends is refused after 1 MiB instead of being buffered forever', () => {
  const scanner = new HeaderScanner();
  const line = Buffer.from('-> grease ' + 'x'.repeat(50) + '\n' + 'A'.repeat(10) + '\n');
  scanner.push(Buffer.from('age-encryption.org/v1\n'));
  assert.equal(
    code(() => {
      for (let i = 0; i < 20000; i++) scanner.push(line);
    }),
    'ERR_AGE_HEADER/4',
  );
});

test('header encoding: stanza bodies in 64-column lines, the last one short (possibly empty)', () => {
  const fileKey = newFileKey();
  const h = encodeHeader([{ args: ['test', 'a'], body: Buffer.alloc(48, 1) }, { args: ['test'], body: Buffer.alloc(50, 2) }], fileKey);
  const parsed = parseHeader(h);
  assert.deepEqual(parsed.stanzas.map((s) => s.body.length), [48, 50]);
  assert.match(h.toString('latin1'), /^age-encryption\.org\/v1\n-> test a\n[A-Za-z0-9+/]{64}\n\n-> test\n[A-Za-z0-9+/]{64}\n[A-Za-z0-9+/]{3}\n--- [A-Za-z0-9+/]{43}\n$/);
  assert.equal(wrapX25519(fileKey, pub).args[0], 'X25519');
});

// ── STREAM ───────────────────────────────────────────────────────────────

function streamSeal(pt: Buffer, key: Buffer, maxPiece = 100000): Buffer {
  const s = new StreamSealer(key);
  const out: Buffer[] = [];
  for (const p of pieces(pt, maxPiece)) out.push(...s.push(p));
  out.push(...s.finish());
  return Buffer.concat(out);
}

function streamOpen(ct: Buffer, key: Buffer, maxPiece = 100000): Buffer {
  const o = new StreamOpener(key);
  const out: Buffer[] = [];
  for (const p of pieces(ct, maxPiece)) out.push(...o.push(p));
  out.push(...o.finish());
  return Buffer.concat(out);
}

test('property: random sizes and random piece boundaries round-trip, and the output never depends on how input was split', () => {
  const key = randomBytes(32);
  for (let i = 0; i < 40; i++) {
    const n = i < BOUNDARIES.length ? BOUNDARIES[i] : Math.floor(Math.random() * 4 * CHUNK_SIZE);
    const pt = randomBytes(n);
    const a = streamSeal(pt, key, 1 + Math.floor(Math.random() * 200000));
    const b = streamSeal(pt, key, 1 + Math.floor(Math.random() * 3000));
    assert.ok(a.equals(b), `size ${n}`);
    assert.ok(streamOpen(a, key, 1 + Math.floor(Math.random() * 200000)).equals(pt), `size ${n}`);
  }
});

test('truncation anywhere in the payload is ERR_AGE_TRUNCATED or a chunk failure, never silent', () => {
  const key = randomBytes(32);
  const pt = randomBytes(3 * CHUNK_SIZE + 100);
  const ct = streamSeal(pt, key);
  const SEALED = CHUNK_SIZE + 16;
  for (const cut of [0, 5, 16, SEALED - 1, SEALED, SEALED + 1, 2 * SEALED, 3 * SEALED, ct.length - 1]) {
    const c = code(() => streamOpen(ct.subarray(0, cut), key));
    assert.match(c, /^ERR_AGE_(TRUNCATED|PAYLOAD)\/4$/, `cut at ${cut}: ${c}`);
  }
});

test('a full-size final chunk followed by more data is ERR_AGE_TRAILING_DATA', () => {
  const key = randomBytes(32);
  const ct = streamSeal(randomBytes(2 * CHUNK_SIZE), key);
  assert.equal(code(() => streamOpen(Buffer.concat([ct, Buffer.from('x')]), key)), 'ERR_AGE_TRAILING_DATA/4');
  assert.equal(code(() => streamOpen(Buffer.concat([ct, randomBytes(CHUNK_SIZE + 16)]), key)), 'ERR_AGE_TRAILING_DATA/4');
  const short = streamSeal(randomBytes(100), key);
  assert.match(code(() => streamOpen(Buffer.concat([short, Buffer.from('trailing')]), key)), /^ERR_AGE_(TRUNCATED|PAYLOAD)\/4$/);
});

function manualChunk(key: Buffer, counter: number, last: boolean, pt: Buffer): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(counter, 7);
  nonce[11] = last ? 1 : 0;
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
}

test("age's chunk rules: empty final chunk only for empty input, no short non-final chunk, flags and order enforced", () => {
  const key = randomBytes(32);
  const full = randomBytes(CHUNK_SIZE);
  // A full chunk then an empty last chunk: what some old encoders wrote, which age rejects.
  const emptyLast = Buffer.concat([manualChunk(key, 0, false, full), manualChunk(key, 1, true, Buffer.alloc(0))]);
  assert.equal(code(() => streamOpen(emptyLast, key)), 'ERR_AGE_PAYLOAD/4');
  // The same data with a proper full last chunk opens.
  assert.ok(streamOpen(manualChunk(key, 0, true, full), key).equals(full));
  assert.equal(streamOpen(manualChunk(key, 0, true, Buffer.alloc(0)), key).length, 0);
  // A short chunk that is not flagged last, then more.
  const shortFirst = Buffer.concat([manualChunk(key, 0, false, randomBytes(100)), manualChunk(key, 1, true, randomBytes(100))]);
  assert.match(code(() => streamOpen(shortFirst, key)), /^ERR_AGE_(TRUNCATED|PAYLOAD)\/4$/);
  // Last chunk not flagged, chunks swapped, a chunk dropped.
  assert.match(code(() => streamOpen(manualChunk(key, 0, false, randomBytes(10)), key)), /^ERR_AGE_TRUNCATED\/4$/);
  const c0 = manualChunk(key, 0, false, full);
  const c1 = manualChunk(key, 1, false, full);
  const c2 = manualChunk(key, 2, true, randomBytes(5));
  assert.equal(streamOpen(Buffer.concat([c0, c1, c2]), key).length, 2 * CHUNK_SIZE + 5);
  assert.equal(code(() => streamOpen(Buffer.concat([c1, c0, c2]), key)), 'ERR_AGE_PAYLOAD/4');
  assert.equal(code(() => streamOpen(Buffer.concat([c0, c2]), key)), 'ERR_AGE_TRUNCATED/4');
});

test('a flipped bit in any chunk fails that chunk; nothing after it is released', () => {
  const key = randomBytes(32);
  const pt = randomBytes(2 * CHUNK_SIZE + 10);
  const ct = streamSeal(pt, key);
  const bad = Buffer.from(ct);
  bad[CHUNK_SIZE + 16 + 5] ^= 1;
  const o = new StreamOpener(key);
  const released: Buffer[] = [];
  assert.throws(() => {
    for (const p of pieces(bad, 1000)) released.push(...o.push(p));
    released.push(...o.finish());
  }, (e: CliError) => e.code === 'ERR_AGE_PAYLOAD');
  assert.ok(Buffer.concat(released).equals(pt.subarray(0, CHUNK_SIZE)));
});

test('payload key is HKDF-SHA256(salt=nonce, ikm=file key, "payload")', () => {
  const fileKey = newFileKey();
  const nonce = randomBytes(16);
  const pt = randomBytes(1000);
  const key = Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32));
  const header = encodeHeader([wrapX25519(fileKey, pub)], fileKey);
  const file = Buffer.concat([header, nonce, streamSeal(pt, key)]);
  assert.ok(openBytes(file, [secret]).equals(pt));
});

// ── armor ────────────────────────────────────────────────────────────────

function armor(data: Buffer, maxPiece = 5000): Buffer {
  const e = new ArmorEncoder();
  const out: Buffer[] = [];
  for (const p of pieces(data, maxPiece)) out.push(...e.push(p));
  out.push(...e.finish());
  return Buffer.concat(out);
}

function dearmor(text: Buffer | string, maxPiece = 5000): Buffer {
  const d = new ArmorDecoder();
  const out: Buffer[] = [];
  for (const p of pieces(Buffer.from(text), maxPiece)) out.push(...d.push(p));
  out.push(...d.finish());
  return Buffer.concat(out);
}

test("armor: PEM with 64-column lines like Go age's, round trips at line boundaries", () => {
  for (const n of [1, 47, 48, 49, 96, 1000, 100000]) {
    const data = randomBytes(n);
    const text = armor(data, 1 + Math.floor(Math.random() * 200));
    const lines = text.toString('latin1').split('\n');
    assert.equal(lines[0], '-----BEGIN AGE ENCRYPTED FILE-----');
    assert.equal(lines.at(-2), '-----END AGE ENCRYPTED FILE-----');
    assert.equal(lines.at(-1), '');
    assert.ok(lines.slice(1, -3).every((l) => l.length === 64));
    assert.ok(lines.at(-3)!.length <= 64 && lines.at(-3)!.length > 0);
    assert.ok(dearmor(text, 1 + Math.floor(Math.random() * 300)).equals(data), `size ${n}`);
  }
});

test('armor decoding accepts what Go age accepts: leading blank lines, CRLF, no final newline, trailing whitespace', () => {
  const data = randomBytes(100);
  const text = armor(data).toString('latin1');
  assert.ok(dearmor('\n  \n' + text).equals(data));
  assert.ok(dearmor(text.replace(/\n/g, '\r\n')).equals(data));
  assert.ok(dearmor(text.trimEnd()).equals(data));
  assert.ok(dearmor(text + '\n\n  \t\n').equals(data));
  assert.ok(looksArmored(Buffer.from('\n\n' + text)));
  assert.ok(!looksArmored(Buffer.from('age-encryption.org/v1\n')));
});

test('armor decoding rejects: long lines, bad base64, non-canonical padding, short line not last, garbage around it', () => {
  const data = randomBytes(100);
  const text = armor(data).toString('latin1');
  const lines = text.split('\n');
  const bad = [
    text.replace('-----BEGIN AGE ENCRYPTED FILE-----', '-----BEGIN AGE FILE-----'),
    [lines[0], lines[1] + 'AAAA', ...lines.slice(2)].join('\n'),
    [lines[0], lines[1].slice(0, 60) + '!!!!', ...lines.slice(2)].join('\n'),
    [lines[0], lines[1].slice(0, 62), lines[1].slice(62), ...lines.slice(2)].join('\n'),
    text.replace(/\n-----END/, 'Q\n-----END'),
    text + 'trailing garbage\n',
    text + ' '.repeat(1100),
    'x' + text,
    ' '.repeat(1100) + '\n' + text,
    text.replace('-----END AGE ENCRYPTED FILE-----\n', ''),
    '',
  ];
  for (const b of bad) assert.equal(code(() => dearmor(b)), 'ERR_ARMOR/4', JSON.stringify(b.slice(0, 80)));
  // Non-zero padding bits: "YR==" is not canonical for 0x61.
  assert.equal(code(() => dearmor('-----BEGIN AGE ENCRYPTED FILE-----\nYR==\n-----END AGE ENCRYPTED FILE-----\n')), 'ERR_ARMOR/4');
  assert.ok(dearmor('-----BEGIN AGE ENCRYPTED FILE-----\nYQ==\n-----END AGE ENCRYPTED FILE-----\n').equals(Buffer.from('a')));
});

// ── raw mode (lib/age/raw.ts) ───────────────────────────────────────────────

test('raw mode: binary and armored round trips through the streaming API, typage agrees', async () => {
  for (const n of [0, 1, 65536, 200000]) {
    const pt = randomBytes(n);
    for (const armored of [false, true]) {
      const sealed = new MemorySink();
      await sealRaw(iter(pieces(pt, 70000)), sealed, { recipients: [{ x25519: pub }], armor: armored });
      assert.ok(sealed.committed);
      const opened = new MemorySink();
      await openRaw(iter(pieces(sealed.data, 50000)), opened, { secrets: [secret] });
      assert.ok(opened.committed && opened.data.equals(pt), `size ${n} armor ${armored}`);
      if (!armored) assert.ok((await typageDecrypt(sealed.data)).equals(pt));
    }
  }
});

test('raw mode: post-quantum recipients go through typage, which writes the header; typage decrypts', async () => {
  const pq = await generateHybridIdentity();
  const sealed = new MemorySink();
  const pt = randomBytes(70000);
  await sealRaw(iter([pt]), sealed, { recipients: [parseAgeRecipient(await identityToRecipient(pq))], armor: false });
  assert.ok((await typageDecrypt(sealed.data, pq)).equals(pt));
  assert.deepEqual(parseAgeRecipient(ageRcp), { x25519: new Uint8Array(pub) });
  assert.throws(() => parseAgeRecipient('age1nope'), (e: CliError) => e.exitCode === 2);
});

test('raw open refuses: empty input, not age, CRLF-mangled, wrong key, truncated header or payload', async () => {
  const file = sealBytes(randomBytes(1000), [pub]);
  await rawRejects(Buffer.alloc(0), 'ERR_EMPTY_INPUT/1');
  await rawRejects(Buffer.from('hello, world\n'), 'ERR_NOT_AGE/1');
  await rawRejects(Buffer.from(file.toString('latin1').replace(/\n/g, '\r\n'), 'latin1'), 'ERR_AGE_HEADER/4');
  await rawRejects(file, 'ERR_WRONG_KEY/4', [randomBytes(32)]);
  await rawRejects(file.subarray(0, 40), 'ERR_AGE_TRUNCATED/4');
  const headerLen = parseHeaderLen(file);
  await rawRejects(file.subarray(0, headerLen + 10), 'ERR_AGE_TRUNCATED/4');
  await rawRejects(file.subarray(0, file.length - 1), 'ERR_AGE_TRUNCATED/4');
  const text = armor(file).toString('latin1');
  await rawRejects(Buffer.from(text.slice(0, text.length - 40)), 'ERR_ARMOR/4');
});

test('raw output to a file: appears only on success, removed on failure, decrypted files are 0600', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cckit-raw-'));
  const target = join(dir, 'out.bin');
  const pt = randomBytes(100000);
  const file = sealBytes(pt, [pub]);
  await openRaw(iter(pieces(file, 30000)), rawOutput(target, 0o600), { secrets: [secret] });
  assert.ok(readFileSync(target).equals(pt));
  assert.equal((await import('node:fs')).statSync(target).mode & 0o777, 0o600);
  const broken = Buffer.from(file);
  broken[broken.length - 5] ^= 1;
  const failed = join(dir, 'failed.bin');
  await assert.rejects(openRaw(iter(pieces(broken, 30000)), rawOutput(failed, 0o600), { secrets: [secret] }), (e: CliError) => e.exitCode === 4);
  assert.ok(!existsSync(failed));
  assert.deepEqual(readdirSync(dir).sort(), ['out.bin']);
});

test('the header scanner finds the end however the bytes are split, one byte at a time included', () => {
  const file = sealBytes(randomBytes(300), [pub, x25519PublicFromSecret(randomBytes(32))]);
  const headerLen = new HeaderScanner().push(Buffer.from(file))!.header.length;
  for (const max of [1, 2, 3, 5, 64, 1000]) {
    const scanner = new HeaderScanner();
    let found: { header: Buffer; rest: Buffer } | undefined;
    const all = [...pieces(file, max)];
    let fed = 0;
    for (const p of all) {
      fed += p.length;
      found = scanner.push(p);
      if (found) break;
    }
    assert.ok(found, `piece size ${max}`);
    assert.equal(found.header.length, headerLen);
    assert.ok(Buffer.concat([found.header, found.rest]).equals(file.subarray(0, fed)));
  }
});
