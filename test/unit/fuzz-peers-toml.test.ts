// Property tests for peers.toml (DESIGN.md §7: `[[peer]] name, pubkey,
// addrs, paired_at…`), read through listPeers, the entry point every
// command resolving a NAME uses. The file may be hand-edited, or a project's
// committed copy from a stranger.
// (a) any text gives a list of well-typed peers or ERR_PEERS_FILE (exit 1),
// never a TypeError; (b) peers written as TOML read back as the same peers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'smol-toml';
import { formatPubkey, identityFromSeed } from '../../lib/identity/identity.ts';
import { listPeers, type Peer } from '../../lib/pair/peers.ts';
import { mutated, parsesOrRefusesAsync, property } from '../helpers/fuzz.ts';

const CODES = { ERR_PEERS_FILE: 1 };
// Ten thousand rewrites of one small file: in memory where the system has a tmpfs.
const scratch = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const dir = mkdtempSync(join(scratch, 'cckit-fuzz-peers-'));
const empty = mkdtempSync(join(scratch, 'cckit-fuzz-project-'));
const saved = process.env.CCKIT_CONFIG_DIR;
process.env.CCKIT_CONFIG_DIR = dir;
after(() => {
  process.env.CCKIT_CONFIG_DIR = saved;
  rmSync(dir, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
});

async function read(text: string) {
  writeFileSync(join(dir, 'peers.toml'), text);
  return parsesOrRefusesAsync(() => listPeers(empty), CODES);
}

function wellTyped(p: Peer): void {
  assert.equal(typeof p.name, 'string');
  assert.ok(p.name.length > 0);
  assert.equal(typeof p.pubkey, 'string');
  assert.ok(Array.isArray(p.addrs) && p.addrs.every((a) => typeof a === 'string'));
  assert.ok(p.paired_at === undefined || typeof p.paired_at === 'number');
}

const keys = Array.from({ length: 8 }, (_, i) => formatPubkey(identityFromSeed(new Uint8Array(32).fill(i + 1)).publicKey));
/** Names a person would give (and that no version of cc-pair refuses). */
const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789');
const name = fc.tuple(alnum, fc.string({ unit: fc.oneof(alnum, fc.constantFrom('.', '_', '-')), maxLength: 20 })).map(([a, b]) => a + b);
const peer = fc.record({
  name,
  pubkey: fc.constantFrom(...keys),
  addrs: fc.array(fc.string({ unit: fc.constantFrom(...'0123456789abcdef.:[]'), minLength: 1, maxLength: 30 }), { maxLength: 4 }),
  paired_at: fc.option(fc.integer({ min: 0, max: 4_102_444_800 }), { nil: undefined }),
});
const peers = fc.uniqueArray(peer, { selector: (p) => p.name, maxLength: 4 });

const bare = fc.constantFrom('name', 'pubkey', 'addrs', 'paired_at', 'via', 'allow', 'toString', 'valueOf', '__proto__', 'peer');
const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 12 }),
    fc.constantFrom(...keys),
    fc.integer(),
    fc.boolean(),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(bare, tie('v'), { maxKeys: 3 }),
  ),
})).v;
/** Peer tables whose fields have any TOML type. */
const oddPeers = fc.array(fc.dictionary(bare, anyValue, { maxKeys: 5 }), { maxLength: 3 }).map((list) => stringify({ peer: list }));
const tomlish = fc
  .array(fc.oneof(fc.constantFrom('[[peer]]', '[peer]', 'name = ', 'pubkey = ', 'addrs = ', '"', '[', ']', '{', '}', '=', '\n', ','), bare, fc.string({ maxLength: 6 })), { maxLength: 20 })
  .map((parts) => parts.join(''));

property(
  'peers.toml: any text (random, TOML-like, odd field types, mutated files) gives well-typed peers or ERR_PEERS_FILE',
  fc.asyncProperty(
    fc.oneof(fc.string({ unit: 'binary', maxLength: 100 }), tomlish, oddPeers, peers.chain((p) => mutated(Buffer.from(stringify({ peer: p })))).map((b) => Buffer.from(b).toString('utf8'))),
    async (text) => {
      const out = await read(text);
      if (out.ok) out.value.forEach(wellTyped);
    },
  ),
);

property(
  'peers.toml: peers written as TOML read back as the same peers, in order',
  fc.asyncProperty(peers, async (list) => {
    const out = await read(stringify({ peer: list.map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined))) }));
    assert.ok(out.ok);
    assert.deepEqual(
      out.value.map((p) => ({ name: p.name, pubkey: p.pubkey, addrs: p.addrs, paired_at: p.paired_at })),
      list.map((p) => ({ name: p.name, pubkey: p.pubkey, addrs: p.addrs, paired_at: p.paired_at })),
    );
  }),
);

const vectors = JSON.parse(readFileSync(new URL('../vectors/fuzz-peers.json', import.meta.url), 'utf8'));
for (const v of vectors.files) {
  test(`regression: peers.toml ${v.name}`, async () => {
    const out = await read(v.toml);
    assert.ok(out.ok);
    assert.deepEqual(out.value.map((p) => p.name), v.names);
  });
}
