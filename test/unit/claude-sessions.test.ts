// Session discovery (lib/claude/sessions.ts): bounded reads, robustness, the current session.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HEAD_LARGE,
  candidateDirs,
  findCurrent,
  findSessionFile,
  isUuid,
  listAll,
  listFolder,
  readSessionMeta,
} from '../../lib/claude/sessions.ts';
import { projectSlug } from '../../lib/claude/slug.ts';
import { CliError } from '../../lib/cli/errors.ts';

const A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const C = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';

const made: string[] = [];
function tmp(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'cckit-sessions-')));
  made.push(dir);
  return dir;
}
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A session file as claude 2.1 writes it: queue lines without cwd first, then messages with cwd. */
function session(root: string, cwd: string, id: string, opts: { mtime?: number; folder?: string; extra?: string } = {}): string {
  const folder = opts.folder ?? projectSlug(cwd);
  mkdirSync(join(root, folder), { recursive: true });
  const file = join(root, folder, `${id}.jsonl`);
  const lines = [
    { type: 'queue-operation', operation: 'enqueue', sessionId: id, content: 'hello' },
    { type: 'queue-operation', operation: 'dequeue', sessionId: id },
    { parentUuid: null, type: 'user', message: { role: 'user', content: 'hello' }, cwd, sessionId: id },
  ];
  writeFileSync(file, (opts.extra ?? '') + lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  if (opts.mtime !== undefined) utimesSync(file, opts.mtime, opts.mtime);
  return file;
}

test('isUuid accepts UUIDs only: nothing that could become a flag or a path', () => {
  assert.ok(isUuid(A));
  assert.ok(isUuid(A.toUpperCase()));
  for (const bad of ['--dangerously-skip-permissions', '-x', `${A}\n`, ` ${A}`, `../${A}`, A.slice(1), '', undefined, 42, `${A}.jsonl`]) {
    assert.equal(isUuid(bad), false, String(bad));
  }
});

test('listFolder skips non-UUID names, subfolders and dangling links', () => {
  const root = tmp();
  const file = session(root, '/p', A);
  const dir = join(root, projectSlug('/p'));
  writeFileSync(join(dir, 'agent-1234.jsonl'), '{}\n');
  writeFileSync(join(dir, 'notes.txt'), 'x');
  mkdirSync(join(dir, `${B}.jsonl`)); // a directory with a session-like name
  mkdirSync(join(dir, A)); // claude keeps per-session subfolders next to the file
  symlinkSync(join(dir, 'nowhere'), join(dir, `${C}.jsonl`));
  const found = listFolder(root, projectSlug('/p'), []);
  assert.deepEqual(found.map((s) => s.file), [file]);
  assert.equal(found[0].id, A);
});

test('one unreadable folder does not break the listing; it is reported', () => {
  const root = tmp();
  session(root, '/p/one', A, { mtime: 1000 });
  session(root, '/p/two', B, { mtime: 2000 });
  symlinkSync('loop', join(root, 'loop')); // ELOOP even for root, unlike chmod 000
  writeFileSync(join(root, 'stray-file.jsonl'), 'x');
  const problems: string[] = [];
  const all = listAll(root, problems);
  assert.deepEqual(all.map((s) => s.id), [B, A]);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /cannot read .*loop: ELOOP/);
  assert.throws(() => listFolder(root, 'loop', [], true), (e) => e instanceof CliError && e.code === 'ERR_UNREADABLE');
});

test('readSessionMeta finds cwd and sessionId after lines that have none', () => {
  const root = tmp();
  const file = session(root, '/home/me/app', A);
  assert.deepEqual(readSessionMeta(file, projectSlug('/home/me/app')), { cwd: '/home/me/app', sessionId: A });
});

test('a huge first line: only bounded slices are read, the tail still gives the cwd', () => {
  const root = tmp();
  const huge = JSON.stringify({ type: 'summary', text: 'y'.repeat(3 * HEAD_LARGE) }) + '\n';
  const file = session(root, '/p/huge', A, { extra: huge });
  assert.equal(readSessionMeta(file, projectSlug('/p/huge')).cwd, '/p/huge');
});

test('a 4 GiB sparse file with one line at its end is read in bounded slices', () => {
  const root = tmp();
  const folder = projectSlug('/p/sparse');
  mkdirSync(join(root, folder));
  const file = join(root, folder, `${A}.jsonl`);
  const fd = openSync(file, 'w');
  // Reading all of it would take seconds and exceed V8's string limit; bounded reads take microseconds.
  writeSync(fd, '\n' + JSON.stringify({ cwd: '/p/sparse', sessionId: A }) + '\n', 4 * 1024 ** 3);
  closeSync(fd);
  const t0 = Date.now();
  assert.equal(readSessionMeta(file, folder).cwd, '/p/sparse');
  assert.ok(Date.now() - t0 < 2000);
  const [s] = listFolder(root, folder, []);
  assert.equal(s.size > 4 * 1024 ** 3, true);
});

test('garbage, cut lines and relative cwds are ignored', () => {
  const root = tmp();
  const folder = projectSlug('/p/x');
  mkdirSync(join(root, folder));
  const file = join(root, folder, `${A}.jsonl`);
  writeFileSync(file, 'not json\n{"cwd":"relative/dir"}\n{"cwd":123}\n{"cwd":"/p/x","sessionId":"--x"}\n{"cwd":"/p/');
  assert.deepEqual(readSessionMeta(file, folder), { cwd: '/p/x', sessionId: undefined });
  writeFileSync(file, '');
  assert.deepEqual(readSessionMeta(file, folder), {});
  assert.deepEqual(readSessionMeta(join(root, 'missing.jsonl')), {});
});

test('of several recorded cwds, the one that names the folder is the project', () => {
  const root = tmp();
  const folder = projectSlug('/p/app');
  mkdirSync(join(root, folder));
  const file = join(root, folder, `${A}.jsonl`);
  writeFileSync(file, [{ cwd: '/p/app/sub', sessionId: A }, { cwd: '/p/app', sessionId: A }].map((l) => JSON.stringify(l)).join('\n') + '\n');
  assert.equal(readSessionMeta(file, folder).cwd, '/p/app');
  assert.equal(readSessionMeta(file).cwd, '/p/app/sub');
});

test('findSessionFile: any folder, the preferred folder first, a real file over a link', () => {
  const root = tmp();
  const real = session(root, '/p/one', A, { mtime: 1000 });
  mkdirSync(join(root, projectSlug('/p/two')));
  symlinkSync(`../${projectSlug('/p/one')}/${A}.jsonl`, join(root, projectSlug('/p/two'), `${A}.jsonl`));
  assert.equal(findSessionFile(root, A)?.file, real);
  assert.equal(findSessionFile(root, A.toUpperCase())?.file, real);
  assert.equal(findSessionFile(root, A, projectSlug('/p/two'))?.folder, projectSlug('/p/two'));
  assert.equal(findSessionFile(root, B), undefined);
  assert.equal(findSessionFile(join(root, 'nope'), A), undefined);
  // listAll shows the session once, as the real file.
  assert.deepEqual(listAll(root, []).map((s) => s.file), [real]);
});

test('findCurrent: Claude Code env, then the hook record, then the newest file', () => {
  const root = tmp();
  session(root, '/w/app', A, { mtime: 1000 });
  session(root, '/w/app', B, { mtime: 3000 });
  session(root, '/w/other', C, { mtime: 5000 });
  const base = { dir: '/w/app' };
  assert.deepEqual(pick(findCurrent(root, base)), [B, 'mtime']);
  assert.deepEqual(pick(findCurrent(root, { ...base, recordFor: () => ({ s: A }) })), [A, 'hook']);
  // A record whose session file is gone (not synced, deleted) is not trusted.
  assert.deepEqual(pick(findCurrent(root, { ...base, recordFor: () => ({ s: 'dddddddd-dddd-4ddd-8ddd-dddddddddddd' }) })), [B, 'mtime']);
  assert.deepEqual(pick(findCurrent(root, { ...base, recordFor: () => ({ s: A }), envSessionId: C })), [C, 'env']);
  assert.deepEqual(pick(findCurrent(root, { ...base, envSessionId: '-x' })), [B, 'mtime']);
  assert.equal(findCurrent(root, { dir: '/w/none' }), undefined);
});

test('findCurrent walks up to the project from a subfolder, but never to HOME or /', () => {
  const root = tmp();
  session(root, '/home/me/app', A);
  session(root, '/home/me', B);
  session(root, '/', C);
  assert.deepEqual(pick(findCurrent(root, { dir: '/home/me/app/src/lib', walkUp: true, stopAt: '/home/me' })), [A, 'mtime']);
  assert.equal(findCurrent(root, { dir: '/home/me/elsewhere', walkUp: true, stopAt: '/home/me' }), undefined);
  assert.equal(findCurrent(root, { dir: '/home/me/app/src', walkUp: false }), undefined);
  assert.deepEqual(pick(findCurrent(root, { dir: '/home/me', walkUp: true, stopAt: '/home/me' })), [B, 'mtime']);
  assert.equal(findCurrent(root, { dir: '/srv', walkUp: true, stopAt: '/home/me' }), undefined);
});

test('candidateDirs', () => {
  assert.deepEqual(candidateDirs('/a/b/c', true, '/a'), ['/a/b/c', '/a/b']);
  assert.deepEqual(candidateDirs('/a/b/c', true, '/x'), ['/a/b/c', '/a/b', '/a']);
  assert.deepEqual(candidateDirs('/ab/c', true, '/a'), ['/ab/c', '/ab']);
  assert.deepEqual(candidateDirs('/a/b', false, '/a'), ['/a/b']);
});

function pick(c: ReturnType<typeof findCurrent>): [string, string] | undefined {
  return c ? [c.session.id, c.via] : undefined;
}
