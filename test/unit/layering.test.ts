// DESIGN.md §1: lib/ is in layers, lowest first; a folder imports only the
// folders its row names and, through them, what those may import. This test
// reads every import in lib/** and fails on an edge the table does not allow,
// so the layering stays true as new flows land.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const LIB = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lib');

/** The table of DESIGN.md §1: folder → the folders its row names. */
const ROWS: Record<string, string[]> = {
  cli: [],
  identity: ['cli'],
  age: ['identity'],
  dht: ['identity'],
  claude: ['cli'],
  net: ['identity', 'dht'], // DESIGN.md says identity; net also reads dht/bootstrap.ts (CCKIT_HYPER_BOOTSTRAP)
  pair: ['net'],
  context: ['age', 'dht', 'pair'],
  handoff: ['age', 'dht', 'claude', 'pair', 'context'],
  relay: ['claude', 'pair'],
};
/** Top-level modules open to every folder (config.ts, secure-file.ts, lock-file.ts); they may use cli's errors. */
const OPEN = new Set(['config.ts', 'secure-file.ts', 'lock-file.ts', 'vendor.d.ts']);

function allowed(folder: string, seen = new Set<string>()): Set<string> {
  for (const dep of ROWS[folder] ?? []) {
    if (seen.has(dep)) continue;
    seen.add(dep);
    allowed(dep, seen);
  }
  return seen;
}

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* tsFiles(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

/** Every relative module an ES file names: static imports and exports, import(), type imports. */
export function importsOf(source: string): string[] {
  const specs: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;
  for (const m of source.matchAll(re)) specs.push(m[2]);
  return specs;
}

/** Which layer a lib/ file belongs to: its folder, or '' for the open top-level modules. */
function layerOf(file: string): string {
  const rel = relative(LIB, file);
  return rel.includes('/') ? rel.split('/')[0] : '';
}

test('DESIGN.md §1: every lib/ folder is a row of the table', () => {
  const folders = readdirSync(LIB).filter((n) => statSync(join(LIB, n)).isDirectory());
  for (const f of folders) assert.ok(f in ROWS, `lib/${f}/ is not in DESIGN.md §1's table`);
  const loose = readdirSync(LIB).filter((n) => !statSync(join(LIB, n)).isDirectory());
  for (const f of loose) assert.ok(OPEN.has(f), `lib/${f} sits outside the flow folders; only ${[...OPEN].join(', ')} may`);
});

test('DESIGN.md §1: no import runs back up the table', () => {
  const bad: string[] = [];
  for (const file of tsFiles(LIB)) {
    const from = layerOf(file);
    const ok = from === '' ? new Set(['cli']) : allowed(from);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      assert.ok(target.startsWith(LIB + '/'), `${relative(LIB, file)} imports ${spec}, outside lib/`);
      const to = layerOf(target);
      if (to === from || to === '' && OPEN.has(relative(LIB, target))) continue;
      if (!ok.has(to)) bad.push(`lib/${relative(LIB, file)} → lib/${relative(LIB, target)} (${from || 'top level'} may import ${[...ok].join(', ') || 'nothing of ours'})`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the layering check sees every kind of import', () => {
  const src = `import a from './a.ts';\nimport type { B } from "../b/b.ts";\nexport { c } from './c.ts';\nconst d = await import('../d/d.ts');\nimport './e.ts';`;
  assert.deepEqual(importsOf(src), ['./a.ts', '../b/b.ts', './c.ts', '../d/d.ts', './e.ts']);
});

test('a folder may import what its rows name, transitively, and nothing above', () => {
  assert.deepEqual([...allowed('handoff')].sort(), ['age', 'claude', 'cli', 'context', 'dht', 'identity', 'net', 'pair']);
  assert.deepEqual([...allowed('relay')].sort(), ['claude', 'cli', 'dht', 'identity', 'net', 'pair']);
  assert.ok(!allowed('identity').has('age'));
  assert.ok(!allowed('cli').has('identity'));
});
