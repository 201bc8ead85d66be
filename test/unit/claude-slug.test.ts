// Claude Code's project folder names (lib/claude/slug.ts). The vectors were
// produced by the real CLI (claude 2.1.197): each path is a directory it ran
// in, each slug the folder it created under projects/.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalDir, javaStringHash, projectSlug, MAX_SLUG_LENGTH } from '../../lib/claude/slug.ts';

const x = (n: number) => 'x'.repeat(n);
const long =
  '/tmp/tmp.0HGaN2wETW/proj/' +
  Array.from({ length: 12 }, (_, i) => `verylongdirectoryname${String(i + 1).padStart(2, '0')}/`).join('') +
  'é😀x';

const realCli: Array<[string, string]> = [
  ['/tmp/tmp.0HGaN2wETW/proj/a.b_c/deep', '-tmp-tmp-0HGaN2wETW-proj-a-b-c-deep'],
  // Non-ASCII: one '-' per UTF-16 code unit, so the emoji (a surrogate pair) gives two.
  ['/tmp/tmp.0HGaN2wETW/proj/é😀x y', '-tmp-tmp-0HGaN2wETW-proj----x-y'],
  // Exactly 200 characters: kept whole, no hash.
  [`/tmp/exp/v/p/${x(179)}.x-x_x x`, `-tmp-exp-v-p-${x(179)}-x-x-x-x`],
  // 201 characters: cut to 200, then '-' + base36(|hash|).
  [`/tmp/exp/v/p/${x(180)}.x-x_x x`, `-tmp-exp-v-p-${x(180)}-x-x-x-`.slice(0, 200) + '-s9opuf'],
  // 316 characters with non-ASCII in the part that is cut off: the hash is over UTF-16 code units.
  [long, '-tmp-tmp-0HGaN2wETW-proj-verylongdirectoryname01-verylongdirectoryname02-verylongdirectoryname03-verylongdirectoryname04-verylongdirectoryname05-verylongdirectoryname06-verylongdirectoryname07-verylon-bswbvx'],
];

test('slugs match the folders the real claude CLI created', () => {
  for (const [path, slug] of realCli) assert.equal(projectSlug(path), slug, path);
});

test('only [A-Za-z0-9] survive; everything else is one "-" per UTF-16 code unit', () => {
  assert.equal(projectSlug('/home/me/My Project (v2)/ü'), '-home-me-My-Project--v2---');
  assert.equal(projectSlug('C:\\Users\\me'), 'C--Users-me');
  assert.equal(projectSlug('/'), '-');
});

test('the 200-character boundary', () => {
  assert.equal(MAX_SLUG_LENGTH, 200);
  const p200 = '/' + x(199);
  assert.equal(projectSlug(p200), '-' + x(199));
  const p201 = '/' + x(200);
  const s = projectSlug(p201);
  assert.equal(s.slice(0, 201), '-' + x(199) + '-');
  assert.equal(s, '-' + x(199) + '-' + Math.abs(javaStringHash(p201)).toString(36));
});

test('Java String.hashCode, 32-bit wrap-around, and |INT_MIN| as JavaScript computes it', () => {
  assert.equal(javaStringHash(''), 0);
  assert.equal(javaStringHash('hello'), 99162322);
  assert.equal(javaStringHash('Aa'), javaStringHash('BB')); // the classic collision
  assert.equal(javaStringHash('polygenelubricants'), -2147483648);
  // JavaScript's Math.abs does not overflow the way Java's does.
  assert.equal(projectSlug('/' + x(199) + 'polygenelubricants').endsWith('-'), false);
});

test('canonicalDir resolves symlinks like Claude Code, and keeps paths that do not exist', () => {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'cckit-slug-')));
  after(() => rmSync(base, { recursive: true, force: true }));
  mkdirSync(join(base, 'real'));
  symlinkSync(join(base, 'real'), join(base, 'link'));
  assert.equal(canonicalDir(join(base, 'link')), join(base, 'real'));
  assert.equal(canonicalDir(join(base, 'gone', '..', 'gone2')), join(base, 'gone2'));
});
