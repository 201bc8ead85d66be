import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, existsSync, symlinkSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { parseCarry, MAX_ARCHIVE } from '../../lib/handoff/carry-payload.ts';
import { parsePayloadInput, serializePayload, parseBlobPlaintext, MAX_RECORD_JSON } from '../../lib/handoff/record.ts';
import { sealRecord } from '../../lib/handoff/seal.ts';
import { isPrefixFile, rewriteFile, installUnpacked, unpackArchive } from '../../lib/handoff/carry-install.ts';
import { packSession } from '../../lib/handoff/carry-pack.ts';
import { x25519PublicFromSecret, sealBytes } from '../../lib/age/stream.ts';
import { CliError } from '../../lib/cli/errors.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'carry-'));
const X = Buffer.alloc(32, 7).toString('base64url');

test('parseCarry accepts n/x/k and refuses anything else', () => {
  assert.deepEqual(parseCarry({ n: 10, x: X }), { n: 10, x: X });
  assert.deepEqual(parseCarry({ n: 10, x: X, k: X }), { n: 10, x: X, k: X });
  for (const bad of [null, [], { n: 0, x: X }, { n: 1.5, x: X }, { n: MAX_ARCHIVE + 1, x: X }, { n: 1, x: 'abc' }, { n: 1, x: X, k: 'short' }, { n: 1, x: X, extra: 1 }]) {
    assert.throws(() => parseCarry(bad), (e: CliError) => e.code === 'ERR_BAD_CARRY' && e.exitCode === 4);
  }
});

test('a payload with c round-trips; h, p, s stay first (what cclink reads)', () => {
  const p = parsePayloadInput({ s: randomUUID(), h: 'desk', p: '/home/me/app', mtime: 1, c: { n: 5, x: X } });
  const json = serializePayload(p);
  assert.match(json, /^\{"h":"desk","p":"\/home\/me\/app","s":"[0-9a-f-]{36}","c":\{"n":5,"x":"[A-Za-z0-9_-]{43}"\}\}$/);
  const back = parseBlobPlaintext(Buffer.from(json), {} as never);
  assert.deepEqual(back, p);
  assert.throws(() => parseBlobPlaintext(Buffer.from(JSON.stringify({ ...p, c: { n: -1, x: X } })), {} as never), (e: CliError) => e.exitCode === 4);
});

test('a PIN carry record with a 60-byte project path fits the packet', async () => {
  const payload = { h: 'desktop-machine', p: '/home/someone/src/' + 'p'.repeat(42), s: randomUUID(), c: { n: 123456789, x: X, k: X } };
  const json = await sealRecord({ payload, seed: randomBytes(32), pin: Buffer.from('correct horse battery staple'), ttl: 86400, burn: true });
  assert.ok(Buffer.byteLength(json) <= MAX_RECORD_JSON, `${Buffer.byteLength(json)} bytes`);
});

test('isPrefixFile and rewriteFile (matches across block boundaries)', () => {
  const d = tmp();
  writeFileSync(join(d, 'a'), 'hello');
  writeFileSync(join(d, 'b'), 'hello world');
  assert.equal(isPrefixFile(join(d, 'a'), join(d, 'b')), true);
  assert.equal(isPrefixFile(join(d, 'b'), join(d, 'a')), false);
  writeFileSync(join(d, 'c'), 'help');
  assert.equal(isPrefixFile(join(d, 'c'), join(d, 'b')), false);
  const id = randomUUID();
  const nid = randomUUID();
  const line = `{"sessionId":"${id}","x":1}\n`;
  const big = 'x'.repeat((1 << 20) - 7) + line + line.repeat(3);
  writeFileSync(join(d, 's'), big);
  rewriteFile(join(d, 's'), join(d, 't'), `"sessionId":"${id}"`, `"sessionId":"${nid}"`);
  assert.equal(readFileSync(join(d, 't'), 'utf8'), big.split(`"sessionId":"${id}"`).join(`"sessionId":"${nid}"`));
});

async function packed(files: Record<string, string>, id: string) {
  const src = tmp();
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(src, name, '..'), { recursive: true });
    writeFileSync(join(src, name), body);
  }
  const k = randomBytes(32);
  const a = await packSession(join(src, `${id}.jsonl`), x25519PublicFromSecret(k), { dir: join(tmp(), 'carry') });
  return { a, k };
}

test('pack → unpack → install: new, unchanged, updated, kept-both', async () => {
  const id = randomUUID();
  const t1 = `{"sessionId":"${id}","n":1}\n`;
  const { a, k } = await packed({ [`${id}.jsonl`]: t1, [`${id}/subagents/agent-1.jsonl`]: t1 }, id);
  const folder = join(tmp(), 'proj');
  const stage = () => join(tmp(), 'stage');
  let s = stage();
  await unpackArchive(a.path, k, id, s);
  assert.equal(installUnpacked(s, folder, id).status, 'new');
  assert.equal(readFileSync(join(folder, id, 'subagents', 'agent-1.jsonl'), 'utf8'), t1);
  s = stage();
  await unpackArchive(a.path, k, id, s);
  assert.equal(installUnpacked(s, folder, id).status, 'unchanged');
  // The carried copy moved on: the local one is its prefix → updated.
  const t2 = t1 + `{"sessionId":"${id}","n":2}\n`;
  const b = await packed({ [`${id}.jsonl`]: t2 }, id);
  s = stage();
  await unpackArchive(b.a.path, b.k, id, s);
  assert.equal(installUnpacked(s, folder, id).status, 'updated');
  assert.equal(readFileSync(join(folder, `${id}.jsonl`), 'utf8'), t2);
  // The local copy moved on by itself → both kept, the carried one under a new id.
  writeFileSync(join(folder, `${id}.jsonl`), t2 + 'local\n');
  const c = await packed({ [`${id}.jsonl`]: t2 + 'remote\n' }, id);
  s = stage();
  await unpackArchive(c.a.path, c.k, id, s);
  const r = installUnpacked(s, folder, id);
  assert.equal(r.status, 'kept-both');
  assert.notEqual(r.id, id);
  assert.equal(readFileSync(join(folder, `${id}.jsonl`), 'utf8'), t2 + 'local\n');
  assert.match(readFileSync(r.file, 'utf8'), new RegExp(`"sessionId":"${r.id}"`));
});

test('unpack refuses a hostile archive (a symlink, a foreign file) and installs nothing', async () => {
  const id = randomUUID();
  const src = tmp();
  writeFileSync(join(src, `${id}.jsonl`), '{}\n');
  mkdirSync(join(src, id));
  symlinkSync('/etc/passwd', join(src, id, 'link'));
  const k = randomBytes(32);
  const a = await packSession(join(src, `${id}.jsonl`), x25519PublicFromSecret(k), { dir: join(tmp(), 'carry') });
  const s = join(tmp(), 'stage');
  await assert.rejects(unpackArchive(a.path, k, id, s), (e: CliError) => e.code === 'ERR_CARRY_ARCHIVE' && e.exitCode === 4);
  assert.equal(existsSync(s), false);
  // A tar that holds another file than the session's: refused.
  const other = tmp();
  writeFileSync(join(other, `${id}.jsonl`), '{}\n');
  const tar = await import('tar');
  writeFileSync(join(other, 'evil'), 'x');
  const chunks: Buffer[] = [];
  for await (const c of tar.create({ cwd: other, portable: true }, [`${id}.jsonl`, 'evil']) as unknown as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  const sealed = join(tmp(), 'evil.age');
  writeFileSync(sealed, sealBytes(Buffer.concat(chunks), [x25519PublicFromSecret(k)]));
  const s2 = join(tmp(), 'stage2');
  await assert.rejects(unpackArchive(sealed, k, id, s2), (e: CliError) => e.code === 'ERR_CARRY_ARCHIVE');
  // Sealed to another key: exit 4 too.
  await assert.rejects(unpackArchive(a.path, randomBytes(32), id, join(tmp(), 'stage3')), (e: CliError) => e.exitCode === 4);
  assert.deepEqual(readdirSync(join(s2, '..')), []);
});

test('parseCarry: u (--via-store) is a bounded one-line store spec', () => {
  assert.deepEqual(parseCarry({ n: 10, x: X, u: 'rclone:box:carry' }), { n: 10, x: X, u: 'rclone:box:carry' });
  for (const u of ['', 'a\nb', '\x1b[31m', 'x'.repeat(401), 5]) {
    assert.throws(() => parseCarry({ n: 1, x: X, u }), (e: CliError) => e.code === 'ERR_BAD_CARRY');
  }
  assert.throws(() => parseCarry({ n: 1, x: X, u: '/s', o: 'name' }), (e: CliError) => e.code === 'ERR_BAD_CARRY');
});

test('a PIN --via-store record with a 40-byte project path and a 20-byte store fits the packet', async () => {
  const payload = { h: 'desktop-machine', p: '/home/someone/src/' + 'p'.repeat(22), s: randomUUID(), c: { n: 123456789, x: X, k: X, u: '/home/me/Sync/carry' } };
  const json = await sealRecord({ payload, seed: randomBytes(32), pin: Buffer.from('correct horse battery staple'), ttl: 86400, burn: true });
  assert.ok(Buffer.byteLength(json) <= MAX_RECORD_JSON, `${Buffer.byteLength(json)} bytes`);
});

test('sweepExpired removes only our objects whose expiry (plus grace) has passed', async () => {
  const { openStore } = await import('../../lib/context/store.ts');
  const { objectName, sweepExpired, SWEEP_GRACE_S } = await import('../../lib/handoff/carry-store.ts');
  const root = tmp();
  mkdirSync(join(root, 'carry'));
  const now = 2_000_000_000;
  const old = objectName(now - SWEEP_GRACE_S - 1, X);
  const recent = objectName(now - 5, X);
  const future = objectName(now + 3600, X);
  for (const n of [old, recent, future, 'README']) writeFileSync(join(root, 'carry', n), 'x');
  assert.equal(await sweepExpired(await openStore(root), now), 1);
  assert.deepEqual(readdirSync(join(root, 'carry')).sort(), [recent, future, 'README'].sort());
});
