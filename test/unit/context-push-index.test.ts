// The push index log (lib/context/push-index.ts): appends what changed,
// survives a torn append, rewrites itself compacted, reads the JSON index of
// earlier versions, and the scan (lib/context/scan.ts) finds exactly the
// changed, new and deleted files against it, with GNU find and without.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readIndex, writeIndex, type IndexEntry } from '../../lib/context/push-index.ts';
import { findChanges, listFiles, listWithFind, listWithNode } from '../../lib/context/scan.ts';

const h = (c: string) => c.repeat(64);
const entry = (size: number, mtime: number, c = 'a', deleted = false): IndexEntry => ({ size, mtime, sha256: h(c), version: h(c === 'a' ? 'b' : 'c'), ...(deleted ? { deleted: true } : {}) });

function space(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cckit-push-index-'));
  mkdirSync(join(dir, '.cckit'), { mode: 0o700 });
  return dir;
}

test('readIndex: a folder with no index gets a fresh device id and no files', () => {
  const dir = space();
  const a = readIndex(dir);
  const b = readIndex(dir);
  assert.match(a.device, /^[0-9a-f]{16}$/);
  assert.notEqual(a.device, b.device);
  assert.equal(a.seq, 0);
  assert.equal(a.files.size, 0);
  rmSync(dir, { recursive: true });
});

test('writeIndex: the first write is a whole log; later ones append one group each', () => {
  const dir = space();
  const ix = readIndex(dir);
  ix.files.set('/a.md', entry(3, 1000));
  ix.files.set('/dir/b.md', entry(4, 2000));
  ix.seq = 1;
  ix.hash = h('1');
  writeIndex(dir, ix);
  const first = readFileSync(join(dir, '.cckit', 'index'), 'utf8');
  assert.equal(statSync(join(dir, '.cckit', 'index')).mode & 0o777, 0o600);

  const again = readIndex(dir);
  assert.deepEqual([again.device, again.seq, again.hash], [ix.device, 1, h('1')]);
  again.files.set('/a.md', entry(5, 3000, 'd'));
  again.files.set('/dir/b.md', { ...entry(0, 4000), deleted: true });
  again.seq = 2;
  writeIndex(dir, again);
  const second = readFileSync(join(dir, '.cckit', 'index'), 'utf8');
  assert.ok(second.startsWith(first), 'appended, not rewritten');
  assert.equal(second.slice(first.length).split('\n').length - 1, 3, 'two entry lines and a commit line');

  const third = readIndex(dir);
  assert.equal(third.seq, 2);
  assert.deepEqual(third.files.get('/a.md'), entry(5, 3000, 'd'));
  assert.equal(third.files.get('/dir/b.md')?.deleted, true);
  assert.deepEqual([...third.files.live()], ['/a.md']);
  assert.equal(third.files.sameStat('/a.md', 5, 3000), true);
  assert.equal(third.files.sameStat('/a.md', 5, 3001), false);
  assert.equal(third.files.sameStat('/dir/b.md', 0, 4000), false, 'a deletion never matches a file on disk');
  rmSync(dir, { recursive: true });
});

test('readIndex: a torn append (no commit line) is ignored, and cut off by the next append', () => {
  const dir = space();
  const ix = readIndex(dir);
  ix.files.set('/a.md', entry(3, 1000));
  ix.seq = 1;
  writeIndex(dir, ix);
  const file = join(dir, '.cckit', 'index');
  const good = readFileSync(file, 'utf8');
  appendFileSync(file, `/a.md\t9\t9\t${h('e')}\t${h('f')}\n/half`);
  const r = readIndex(dir);
  assert.deepEqual(r.files.get('/a.md'), entry(3, 1000), 'the torn group is not applied');
  r.files.set('/b.md', entry(1, 1));
  r.seq = 2;
  writeIndex(dir, r);
  const text = readFileSync(file, 'utf8');
  assert.ok(text.startsWith(good) && !text.includes('/half') && !text.includes(h('e')), 'torn lines cut off');
  const back = readIndex(dir);
  assert.deepEqual([back.seq, back.files.get('/a.md')?.size, back.files.get('/b.md')?.size], [2, 3, 1]);
  rmSync(dir, { recursive: true });
});

test('a corrupt log is a one-line error (ERR_CTX_LOCAL), not a guess: its structure when read, an entry when used', () => {
  const dir = space();
  const file = join(dir, '.cckit', 'index');
  const isCorrupt = (e: Error & { code?: string }) => e.code === 'ERR_CTX_LOCAL' && e.message.startsWith('cannot parse push index');
  const head = 'C {"device":"d","seq":1,"hash":null,"policy_seq":0}\n';
  for (const bad of ['{"v":1}\n', `cckit-index/2\nnot a line\n${head}`, 'cckit-index/2\n/a\t1\t2\t\t\nC {"seq":"x"}\n', `cckit-index/2\n"/unterminated\t1\t2\t\t\n${head}`]) {
    writeFileSync(file, bad);
    assert.throws(() => readIndex(dir), isCorrupt, JSON.stringify(bad));
  }
  for (const fields of ['1\t2\tzz\t', 'x\t2\t\t', '1\t\t\t', '1\t2\t\t\t\t', '-1\t2\t\t']) {
    writeFileSync(file, `cckit-index/2\n/a\t${fields}\n${head}`);
    const ix = readIndex(dir);
    assert.throws(() => ix.files.get('/a'), isCorrupt, fields);
    assert.throws(() => [...ix.files.lines()], isCorrupt, 'a compaction never copies a corrupt entry');
  }
  rmSync(dir, { recursive: true });
});

test('paths with tabs, newlines, quotes, backslashes and non-ASCII survive the log', () => {
  const dir = space();
  const ix = readIndex(dir);
  const odd = ['/tab\there', '/new\nline', '/"quoted', '/back\\slash', '/ünïcødé/文件.md', '/C x'];
  odd.forEach((p, i) => ix.files.set(p, entry(i, i)));
  writeIndex(dir, ix);
  const r = readIndex(dir);
  r.files.set('/ünïcødé/2.md', entry(9, 9));
  writeIndex(dir, r); // an append after non-ASCII text: offsets are bytes
  const back = readIndex(dir);
  assert.deepEqual([...back.files.live()].sort(), [...odd, '/ünïcødé/2.md'].sort());
  odd.forEach((p, i) => assert.equal(back.files.get(p)?.size, i, p));
  rmSync(dir, { recursive: true });
});

test('writeIndex: appends are folded into a compacted rewrite once they outgrow the entries', () => {
  const dir = space();
  const ix = readIndex(dir);
  ix.files.set('/a.md', entry(1, 1));
  writeIndex(dir, ix);
  const file = join(dir, '.cckit', 'index');
  const sizes: number[] = [];
  for (let i = 0; i < 1100; i++) {
    const r = readIndex(dir);
    r.files.set('/a.md', entry(1, i + 2));
    r.seq = i + 1;
    writeIndex(dir, r);
    sizes.push(statSync(file).size);
  }
  assert.ok(sizes.some((s, i) => i > 0 && s < sizes[i - 1]), 'the log was rewritten smaller at some point');
  const r = readIndex(dir);
  assert.deepEqual([r.seq, r.files.get('/a.md')?.mtime, r.files.size], [1100, 1101, 1]);
  rmSync(dir, { recursive: true });
});

test('readIndex: the JSON index of earlier versions is read, and replaced by the log on the next write', () => {
  const dir = space();
  const legacy = { v: 1, device: 'abcdef0123456789', seq: 4, hash: h('4'), policy_seq: 2, files: { '/a.md': entry(3, 1000), '/gone.md': entry(0, 5, 'a', true) } };
  writeFileSync(join(dir, '.cckit', 'index.json'), JSON.stringify(legacy));
  const ix = readIndex(dir);
  assert.deepEqual([ix.device, ix.seq, ix.hash, ix.policy_seq], ['abcdef0123456789', 4, h('4'), 2]);
  assert.deepEqual(ix.files.get('/a.md'), entry(3, 1000));
  assert.deepEqual([...ix.files.live()], ['/a.md']);
  writeIndex(dir, ix);
  assert.equal(existsSync(join(dir, '.cckit', 'index.json')), false);
  const back = readIndex(dir);
  assert.deepEqual([back.device, back.seq, back.files.size], ['abcdef0123456789', 4, 2]);
  rmSync(dir, { recursive: true });
});

test('findChanges: modified, same content with a new mtime, new and deleted files; find and node walks agree', async () => {
  const dir = space();
  for (const n of ['a', 'b', 'c', 'd']) writeFileSync(join(dir, `${n}.md`), n);
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'e.md'), 'e');
  writeFileSync(join(dir, '.cckit', 'authz'), 'never scanned');
  const ix = readIndex(dir);
  const first = findChanges(await listFiles(dir), ix);
  assert.deepEqual(first.changes.map((c) => [c.path, c.kind]), [['/a.md', 'new'], ['/b.md', 'new'], ['/c.md', 'new'], ['/d.md', 'new'], ['/sub/e.md', 'new']]);
  for (const c of first.changes) ix.files.set(c.path, { size: c.size, mtime: c.mtime, sha256: createHash('sha256').update(readFileSync(c.local!)).digest('hex'), version: h('1') });
  writeIndex(dir, ix);

  const r = readIndex(dir);
  assert.deepEqual(findChanges(await listFiles(dir), r).changes, [], 'nothing changed');
  appendFileSync(join(dir, 'a.md'), 'more'); // size changes
  writeFileSync(join(dir, 'b.md'), 'B'); // same size, new content
  utimesSync(join(dir, 'b.md'), 1, 1);
  utimesSync(join(dir, 'c.md'), 2, 2); // same content, new mtime
  unlinkSync(join(dir, 'd.md'));
  writeFileSync(join(dir, 'sub', 'f.md'), 'f');
  const { changes, touched } = findChanges(await listFiles(dir), r);
  assert.deepEqual(changes.map((c) => [c.path, c.kind]), [['/a.md', 'modified'], ['/b.md', 'modified'], ['/d.md', 'deleted'], ['/sub/f.md', 'new']]);
  assert.deepEqual([...touched.keys()], ['/c.md']);

  const viaFind = new Map<string, number[]>();
  const viaNode = new Map<string, number[]>();
  (await listWithFind(dir))!.forEach((p, size, mtime) => viaFind.set(p, [size, mtime]));
  listWithNode(dir).forEach((p, size, mtime) => viaNode.set(p, [size, mtime]));
  assert.equal(viaFind.size, 5);
  assert.deepEqual(new Map([...viaFind].sort()), new Map([...viaNode].sort()));
  rmSync(dir, { recursive: true });
});

test('listWithFind and listWithNode agree on names with spaces, newlines and non-ASCII, and on old and future mtimes', async () => {
  const dir = space();
  const names = ['a b.md', 'ünï 文件.md', 'new\nline', 'tab\there', '-dash', '.hidden'];
  names.forEach((n, i) => writeFileSync(join(dir, n), 'x'.repeat(i)));
  utimesSync(join(dir, 'a b.md'), 1, 1.5);
  utimesSync(join(dir, '-dash'), 4102444800, 4102444800.001);
  const viaFind = new Map<string, number[]>();
  const viaNode = new Map<string, number[]>();
  (await listWithFind(dir))!.forEach((p, size, mtime) => viaFind.set(p, [size, mtime]));
  listWithNode(dir).forEach((p, size, mtime) => viaNode.set(p, [size, mtime]));
  assert.equal(viaFind.size, names.length);
  assert.deepEqual(new Map([...viaFind].sort()), new Map([...viaNode].sort()));
  assert.deepEqual(viaFind.get('/a b.md'), [0, 1500]);
  rmSync(dir, { recursive: true });
});
