// Property tests for config.toml (DESIGN.md §2: defaults from config.toml in
// the config dir, read with smol-toml) and the settings read from it.
// (a) any text parses or fails as ERR_CONFIG (exit 1), and every setting
// lookup returns a string, undefined or ERR_CONFIG, never a TypeError;
// (b) what smol-toml writes for a config reads back to the same config, and
// re-encodes to the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { stringify } from 'smol-toml';
import { configValue, parseConfig, type ConfigTable } from '../../lib/config.ts';
import { mutated, parsesOrRefuses, parsesOrRefusesAsync, property } from '../helpers/fuzz.ts';

const CODES = { ERR_CONFIG: 1 };
/** The keys cckit reads, and some that it does not. */
const KEYS = ['dht.bootstrap', 'dht.relays', 'hyper.bootstrap', 'dht.transport', 'claude.bin', 'dht', 'x.y.z', 'toString', '__proto__.x'];

const bare = fc.constantFrom('dht', 'hyper', 'claude', 'bootstrap', 'relays', 'transport', 'bin', 'toString', 'valueOf', '__proto__', 'constructor', 'a-b', 'x_1');
const scalar = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(scalar, { maxLength: 3 }),
    fc.array(tie('t'), { maxLength: 2 }),
    tie('t'),
  ),
  t: fc.dictionary(bare, tie('v'), { maxKeys: 3 }),
})).v;
const config = fc.dictionary(bare, value, { maxKeys: 4 }) as fc.Arbitrary<ConfigTable>;

/** TOML-looking lines: tables, keys, arrays, inline tables, strings with escapes. */
const tomlish = fc
  .array(
    fc.oneof(
      fc.constantFrom('[dht]', '[[dht]]', '[hyper]', 'bootstrap = ', 'relays = ', '[', ']', '{', '}', '"', "'", '\\u0000', '\\', '=', ',', '\n', ' ', '1979-05-27T07:32:00Z', 'inf', 'nan', '0x1', '"""', "'''", '#'),
      bare,
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 20 },
  )
  .map((parts) => parts.join(''));

async function lookups(cfg: ConfigTable, extra: string): Promise<void> {
  for (const key of [...KEYS, extra]) {
    const out = parsesOrRefuses(() => configValue(cfg, key), CODES);
    if (out.ok) assert.ok(out.value === undefined || typeof out.value === 'string');
  }
}

property(
  'config.toml: any text (random, TOML-like, mutated configs) parses or fails as ERR_CONFIG; every lookup is a string, undefined or ERR_CONFIG',
  fc.asyncProperty(
    fc.oneof(fc.string({ unit: 'binary', maxLength: 120 }), tomlish, config.chain((c) => mutated(Buffer.from(stringify(c)))).map((b) => Buffer.from(b).toString('utf8'))),
    fc.array(bare, { minLength: 1, maxLength: 3 }).map((k) => k.join('.')),
    async (text, extra) => {
      const out = await parsesOrRefusesAsync(() => parseConfig(text), CODES);
      if (out.ok) await lookups(out.value, extra);
    },
  ),
);

property(
  'config.toml: a config smol-toml wrote reads back the same, and stringify(parse(x)) is x byte for byte',
  fc.asyncProperty(config, async (cfg) => {
    const text = stringify(cfg);
    const back = await parseConfig(text);
    assert.deepEqual(JSON.parse(JSON.stringify(back)), JSON.parse(JSON.stringify(cfg)));
    assert.equal(stringify(back), text);
    await lookups(back, 'dht.bootstrap');
  }),
);

const vectors = JSON.parse(readFileSync(new URL('../vectors/fuzz-config.json', import.meta.url), 'utf8'));
for (const v of vectors.lookups) {
  test(`regression: config ${v.name}`, async () => {
    const cfg = await parseConfig(v.toml);
    const out = parsesOrRefuses(() => configValue(cfg, v.key), CODES);
    assert.equal(out.ok ? (out.value ?? null) : out.error.code, v.expect);
  });
}
