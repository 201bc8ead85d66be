// What `cc-context watch` builds on: a listing of only the paths a watcher
// named (lib/context/scan.ts listPaths) compared with the index finds the same
// changes the whole folder's listing does; the inotify watcher
// (lib/context/folder-watch.ts) names every change, in new and renamed
// folders too, and never .cckit; the push lock (lib/context/push-lock.ts)
// lets one push at a time through and takes over a dead holder's lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readIndex, writeIndex } from '../../lib/context/push-index.ts';
import { findChanges, listFiles, listPaths } from '../../lib/context/scan.ts';
import { FolderWatcher } from '../../lib/context/folder-watch.ts';
import { lockPush } from '../../lib/context/push-lock.ts';
import { isFilePath } from '../../lib/context/authz.ts';

function space(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cckit-watch-'));
  mkdirSync(join(dir, '.cckit'), { mode: 0o700 });
  return dir;
}

/** Index every file of the folder as pushed. */
async function indexAll(dir: string) {
  const ix = readIndex(dir);
  for (const c of findChanges(await listFiles(dir), ix).changes) ix.files.set(c.path, { size: c.size, mtime: c.mtime, sha256: '0'.repeat(64), version: '1'.repeat(64) });
  writeIndex(dir, ix);
  return readIndex(dir);
}

const kinds = (r: ReturnType<typeof findChanges>) => r.changes.map((c) => [c.path, c.kind]);

test('listPaths + findChanges over the named paths agree with the whole listing: edits, new folders, deletions, renamed folders', async () => {
  const dir = space();
  mkdirSync(join(dir, 'a', 'b'), { recursive: true });
  for (const f of ['a/one.md', 'a/b/two.md', 'a/b/three.md', 'top.md']) writeFileSync(join(dir, f), f);
  const ix = await indexAll(dir);

  appendFileSync(join(dir, 'top.md'), 'more');
  mkdirSync(join(dir, 'new', 'deep'), { recursive: true });
  writeFileSync(join(dir, 'new', 'deep', 'x.md'), 'x');
  renameSync(join(dir, 'a', 'b'), join(dir, 'a', 'c'));
  unlinkSync(join(dir, 'a', 'one.md'));
  const named = ['/top.md', '/new', '/a/b', '/a/c', '/a/one.md', '/gone-before-we-looked.md', '/.cckit/index'];
  const partial = findChanges(listPaths(dir, named), ix, named);
  const whole = findChanges(await listFiles(dir), ix);
  const expected = [
    ['/a/b/three.md', 'deleted'],
    ['/a/b/two.md', 'deleted'],
    ['/a/c/three.md', 'new'],
    ['/a/c/two.md', 'new'],
    ['/a/one.md', 'deleted'],
    ['/new/deep/x.md', 'new'],
    ['/top.md', 'modified'],
  ];
  assert.deepEqual(kinds(partial), expected);
  assert.deepEqual(kinds(whole), expected);
  // Only what was named: a change elsewhere waits for its own event (or the rescan).
  assert.deepEqual(kinds(findChanges(listPaths(dir, ['/top.md']), ix, ['/top.md'])), [['/top.md', 'modified']]);
  // The whole folder named ('' : inotify did not say which entry) is the whole listing.
  assert.deepEqual(kinds(findChanges(listPaths(dir, ['']), ix, [''])), expected);
  rmSync(dir, { recursive: true });
});

test('isFilePath: what every pull accepts, and nothing else', () => {
  for (const ok of ['/a.md', '/notes/-a "q" näme.md', '/x/.hidden', '/x/.cckit-incoming-1/a']) assert.ok(isFilePath(ok), ok);
  for (const bad of ['/', 'a.md', '/a\tb', '/a\nb', '/a\\b', '/a//b', '/a/../b', '/./a', '/a/', '/.cckit-incoming-x/a', '/\x1b[31m']) assert.ok(!isFilePath(bad), JSON.stringify(bad));
});

/** Wait until the watcher has named `want` (all of them), or fail after 5 s. */
async function seen(w: FolderWatcher, want: string[], got = new Set<string>()): Promise<Set<string>> {
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    for (const p of w.take()) got.add(p);
    if (want.every((p) => got.has(p))) return got;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`not named: ${want.filter((p) => !got.has(p)).join(', ')} (got ${[...got].join(', ')})`);
}

test('FolderWatcher names edits, files in a folder made a moment ago, deletions and renames; never .cckit', async () => {
  const dir = space();
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'a.md'), 'a');
  let events = 0;
  const w = new FolderWatcher(dir, () => events++);
  w.start();
  assert.equal(w.folders, 2); // the folder and sub, not .cckit
  try {
    appendFileSync(join(dir, 'sub', 'a.md'), 'more');
    await seen(w, ['/sub/a.md']);
    // Made and filled at once: the file in it is named, or the folder (listed whole) is.
    mkdirSync(join(dir, 'n1', 'n2'), { recursive: true });
    writeFileSync(join(dir, 'n1', 'n2', 'x.md'), 'x');
    const got = await seen(w, ['/n1']);
    const listed = listPaths(dir, got);
    assert.ok(listed.has('/n1/n2/x.md'));
    assert.equal(w.folders, 4);
    // Once watched, a new file deep in it is named itself.
    writeFileSync(join(dir, 'n1', 'n2', 'y.md'), 'y');
    await seen(w, ['/n1/n2/y.md']);
    renameSync(join(dir, 'n1'), join(dir, 'm1'));
    await seen(w, ['/n1', '/m1']);
    unlinkSync(join(dir, 'sub', 'a.md'));
    await seen(w, ['/sub/a.md']);
    writeFileSync(join(dir, 'm1', 'n2', 'z.md'), 'z');
    await seen(w, ['/m1/n2/z.md']);
    const before = events;
    writeFileSync(join(dir, '.cckit', 'index'), 'pushed');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(w.take().filter((p) => p.startsWith('/.cckit')), []);
    assert.equal(events, before);
  } finally {
    w.close();
    rmSync(dir, { recursive: true });
  }
});

test('lockPush: one push at a time; a dead holder is taken over; a live one is waited for, then ERR_CTX_BUSY', async () => {
  const dir = space();
  const release = await lockPush(dir);
  let second = false;
  const waiting = lockPush(dir, 5000).then((r) => ((second = true), r));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(second, false, 'waits while the first holds it');
  release();
  (await waiting)();
  writeFileSync(join(dir, '.cckit', 'push.lock'), '2147483646\n'); // no such process
  (await lockPush(dir, 0))();
  writeFileSync(join(dir, '.cckit', 'push.lock'), `${process.ppid}\n`); // alive
  await assert.rejects(lockPush(dir, 50), (err: Error & { code?: string; exitCode?: number }) => err.code === 'ERR_CTX_BUSY' && err.exitCode === 1 && /another push from .* is still running \(pid \d+\)/.test(err.message));
  rmSync(dir, { recursive: true });
});
