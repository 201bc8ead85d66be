// The authz file (lib/context/authz.ts) and its compilation into zones,
// epochs, policy and grants (lib/context/compile.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeSpacePath, parseAuthz, removeRules, rightAt, setRule } from '../../lib/context/authz.ts';
import { compile } from '../../lib/context/compile.ts';
import { emptyKeys, latest } from '../../lib/context/owner-keys.ts';
import { mayWrite, zoneFor } from '../../lib/context/policy.ts';
import { padmeLength } from '../../lib/context/pad.ts';
import { inPool } from '../../lib/context/pool.ts';

const AUTHZ = `# comment
[/]
* = r
bob = rw

[/private]
bob =
carol = r

[repo:/notes/deep]
alice = w
`;

test('parse: sections, rules, svn repo prefix, comments', () => {
  const s = parseAuthz(AUTHZ);
  assert.deepEqual(s.map((x) => x.path), ['/', '/private', '/notes/deep']);
  assert.deepEqual(s[1].rules.map((r) => [r.who, r.right]), [['bob', ''], ['carol', 'r']]);
});

test('parse errors name the line', () => {
  assert.throws(() => parseAuthz('[/a]\nbob = x\n', 'authz'), /authz:2: bad right/);
  assert.throws(() => parseAuthz('bob = r\n', 'authz'), /authz:1: a rule before any/);
  assert.throws(() => parseAuthz('[/a]\n[/a]\n', 'authz'), /appears twice/);
  assert.throws(() => parseAuthz('[/../x]\n', 'authz'), /bad section/);
  assert.throws(() => parseAuthz('[a]\n', 'authz'), /bad section/);
});

test('most specific section that mentions a peer wins; * and own line add up; unlisted denied', () => {
  const s = parseAuthz(AUTHZ);
  const is = (n: string) => (who: string) => who === n;
  assert.equal(rightAt(s, '/', is('bob')), 'rw');
  assert.equal(rightAt(s, '/private', is('bob')), ''); // explicit deny beats the parent's rw
  assert.equal(rightAt(s, '/private', is('carol')), 'r');
  assert.equal(rightAt(s, '/notes/deep', is('alice')), 'w'); // [/notes/deep] mentions alice: the * = r of [/] no longer counts
  assert.equal(rightAt(s, '/notes/deep', is('bob')), 'rw'); // it does not mention bob: [/] decides
  assert.equal(rightAt(parseAuthz('[/x]\nz = r\n'), '/', is('dave')), '');
});

test('normalizeSpacePath', () => {
  assert.equal(normalizeSpacePath('notes//a/'), '/notes/a');
  assert.equal(normalizeSpacePath('/'), '/');
  assert.throws(() => normalizeSpacePath('/a/../b'));
  assert.throws(() => normalizeSpacePath('/a/\x1b[31m'));
});

test('setRule and removeRules keep comments and order', () => {
  let t = setRule(AUTHZ, '/private', 'dave', 'w');
  assert.match(t, /carol = r\ndave = w\n/);
  assert.match(t, /^# comment/);
  t = setRule(t, '/private', 'dave', 'rw');
  assert.match(t, /dave = rw/);
  t = setRule(t, '/new', 'erin', 'r');
  assert.match(t, /\n\[\/new\]\nerin = r\n$/);
  const r = removeRules(t, 'bob');
  assert.equal(r.removed, 2);
  assert.doesNotMatch(r.text, /bob/);
  assert.equal(removeRules(t, 'bob', '/private').removed, 1);
});

const OWNER = 'o'.repeat(52);
const names = new Map([
  ['bob', 'b'.repeat(52)],
  ['carol', 'c'.repeat(52)],
  ['alice', 'a'.repeat(52)],
]);

test('compile: zones, readers get secrets, writers only recipients, the owner always rw', () => {
  const c = compile({ authz: AUTHZ, names, keys: emptyKeys(), owner: OWNER, space: 'f'.repeat(32), now: 1 });
  assert.deepEqual(c.policy.zones.map((z) => z.path), ['/', '/notes/deep', '/private']);
  const priv = c.policy.zones.find((z) => z.path === '/private')!;
  assert.ok(!priv.writers.includes(names.get('bob')!));
  const bob = c.grants.find((g) => g.peer === names.get('bob'))!;
  assert.equal(bob.read.length, 2); // / and /notes/deep, not /private
  const alice = c.grants.find((g) => g.peer === names.get('alice'))!;
  const deep = c.policy.zones.find((z) => z.path === '/notes/deep')!;
  assert.ok(alice.write.includes(deep.id));
  assert.ok(!alice.read.some((r) => r.id === deep.id)); // w only: writes but cannot read
  assert.ok(mayWrite(c.policy, deep, OWNER));
  assert.equal(zoneFor(c.policy.zones, '/notes/deep/x.md').path, '/notes/deep');
  assert.equal(zoneFor(c.policy.zones, '/notes/deeper').path, '/');
  assert.equal(c.policy.seq, 1);
});

test('compile: a reader removed means a new epoch; a member removed, a new meta epoch and a revocation; a writer removed is retired', () => {
  const first = compile({ authz: AUTHZ, names, keys: emptyKeys(), owner: OWNER, space: 'f'.repeat(32), now: 1 });
  const without = removeRules(AUTHZ, 'carol').text;
  const names2 = new Map([...names].filter(([n]) => n !== 'carol'));
  const second = compile({ authz: without, names: names2, keys: first.keys, owner: OWNER, space: 'f'.repeat(32), now: 2 });
  const priv = second.policy.zones.find((z) => z.path === '/private')!;
  assert.equal(priv.epoch, 2);
  assert.equal(second.policy.zones.find((z) => z.path === '/')!.epoch, 2); // carol read / through *
  assert.equal(latest(second.keys.meta).epoch, 2);
  assert.deepEqual(second.removed, [names.get('carol')]);
  assert.ok(second.grants.some((g) => g.peer === names.get('carol') && g.revoked));
  // alice loses w on /notes/deep: her older batches stay valid, new ones do not.
  const third = compile({ authz: removeRules(without, 'alice', '/notes/deep').text, names: names2, keys: second.keys, owner: OWNER, space: 'f'.repeat(32), now: 3 });
  const deep = third.policy.zones.find((z) => z.path === '/notes/deep')!;
  assert.equal(deep.retired?.[names.get('alice')!], 3);
  assert.ok(mayWrite(third.policy, deep, names.get('alice')!, 2));
  assert.ok(!mayWrite(third.policy, deep, names.get('alice')!, 3));
});

test('padme: buckets of at least 4 KiB, overhead at most 12 %', () => {
  assert.equal(padmeLength(1), 4096);
  assert.equal(padmeLength(4000), 4096);
  for (const n of [5000, 70000, 1e6, 1e8 + 7]) {
    const p = padmeLength(n);
    assert.ok(p >= n && p <= n * 1.12, `${n} → ${p}`);
  }
  assert.equal(padmeLength(70000), padmeLength(70001));
});

test('inPool: order kept, bounded, first error wins', async () => {
  let live = 0;
  let most = 0;
  const out = await inPool([5, 1, 3, 2, 4], 2, async (x) => {
    most = Math.max(most, ++live);
    await new Promise((r) => setTimeout(r, x));
    live--;
    return x * 2;
  });
  assert.deepEqual(out, [10, 2, 6, 4, 8]);
  assert.equal(most, 2);
  await assert.rejects(inPool([1, 2], 2, async (x) => { if (x === 2) throw new Error('boom'); return x; }), /boom/);
});
