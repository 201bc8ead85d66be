// Compaction (lib/context/compact.ts): which versions a snapshot keeps, and
// how a reader applies snapshot entries (lib/context/pull.ts plan) so that
// versions it already has, newer ones and conflicts come out right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tips } from '../../lib/context/compact.ts';
import { plan, type Fetched } from '../../lib/context/pull.ts';
import type { LogItem } from '../../lib/context/verify-logs.ts';
import type { ObjectHeader } from '../../lib/context/objects.ts';
import { generateIdentity, toZ32 } from '../../lib/identity/identity.ts';

const W = toZ32(generateIdentity().publicKey);

const h = (c: string) => c.repeat(64);
function version(v: string, path: string, prev: string | null, opts: { deleted?: boolean; time?: number; ancestors?: string[] } = {}) {
  const item: LogItem = { writer: 'w', seq: 1, time: opts.time ?? 1, entry: { z: 'z', e: 1, o: v, n: 1 }, version: v, ...(opts.ancestors ? { ancestors: opts.ancestors } : {}) };
  const header: ObjectHeader = { path, size: 1, mtime: 0, sha256: h('0'), prev, ...(opts.deleted ? { deleted: true } : {}) };
  return { item, header };
}

test('tips: a chain keeps its newest version with every ancestor', () => {
  const t = tips([version(h('a'), '/p', null), version(h('b'), '/p', h('a')), version(h('c'), '/p', h('b'))]);
  assert.deepEqual(t.map((x) => [x.v.item.version, x.ancestors]), [[h('c'), [h('b'), h('a')]]]);
});

test('tips: both sides of a conflict are kept; a deletion after a live version; ancestors from an older snapshot carry on', () => {
  const t = tips([
    version(h('a'), '/p', null, { ancestors: [h('9')] }),
    version(h('d'), '/p', h('a'), { deleted: true, time: 1 }),
    version(h('b'), '/p', h('a'), { time: 2 }),
    version(h('e'), '/q', null),
    version(h('f'), '/q', h('e'), { deleted: true }),
  ]);
  assert.deepEqual(
    t.map((x) => [x.v.header.path, x.v.item.version, x.ancestors]),
    [
      ['/p', h('b'), [h('a'), h('9')]],
      ['/p', h('d'), [h('a'), h('9')]],
      ['/q', h('f'), [h('e')]],
    ],
  );
});

function fetched(v: string, path: string, prev: string | null, ancestors?: string[]): Fetched {
  return { header: { path, size: 1, mtime: 0, sha256: h('0'), prev }, version: v, writer: W, time: 1, staged: '/x', ...(ancestors ? { ancestors } : {}) };
}

test('plan: a snapshot version that descends from what a reader has replaces it, however far back', () => {
  const files = { '/p': { version: h('a'), sha256: h('0'), size: 1, writer: W, time: 1, ancestors: [] } };
  const { ops, conflicts } = plan(files, [fetched(h('c'), '/p', h('b'), [h('b'), h('a')])]);
  assert.deepEqual([...ops.keys()], ['/p']);
  assert.deepEqual(conflicts, []);
  assert.deepEqual(files['/p'].ancestors, [h('b'), h('a')]);
  // Without the snapshot's ancestry, the same version would have been a conflict.
  const files2 = { '/p': { version: h('a'), sha256: h('0'), size: 1, writer: W, time: 1, ancestors: [] } };
  assert.equal(plan(files2, [fetched(h('c'), '/p', h('b'))]).conflicts.length, 1);
});
