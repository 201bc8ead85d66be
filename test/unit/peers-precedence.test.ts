// Project peers only introduce keys (DESIGN.md §7, issue 7 item 4): a
// cloned repo's .cckit/peers.toml never shadows a personal name, and a name
// found only there is reported with its key, fingerprint and file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolvePeer } from '../../lib/pair/peers.ts';
import { fingerprint, formatPubkey, generateIdentity } from '../../lib/identity/identity.ts';

const alice = generateIdentity().publicKey;
const attacker = generateIdentity().publicKey;
const peerToml = (name: string, key: Uint8Array) => `[[peer]]\nname = "${name}"\npubkey = "${formatPubkey(key)}"\naddrs = []\n`;

function setup(personal: string | undefined, project: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cckit-peers-'));
  const config = join(dir, 'config');
  const repo = join(dir, 'repo');
  mkdirSync(config, { recursive: true });
  mkdirSync(join(repo, '.cckit'), { recursive: true });
  if (personal !== undefined) writeFileSync(join(config, 'peers.toml'), personal);
  writeFileSync(join(repo, '.cckit', 'peers.toml'), project);
  process.env.CCKIT_CONFIG_DIR = config;
  return repo;
}

test('a personal name wins over the same name in a project file, silently', async () => {
  const repo = setup(peerToml('alice', alice), peerToml('alice', attacker));
  const notices: string[] = [];
  const key = await resolvePeer('alice', (m) => notices.push(m), repo);
  assert.deepEqual(key, alice);
  assert.deepEqual(notices, []);
});

test('a name only a project file knows resolves, and is reported with key, fingerprint and file', async () => {
  const repo = setup(undefined, peerToml('alice', attacker));
  const notices: string[] = [];
  const key = await resolvePeer('alice', (m) => notices.push(m), repo);
  assert.deepEqual(key, attacker);
  assert.equal(notices.length, 1);
  assert.match(notices[0], new RegExp(fingerprint(attacker)));
  assert.ok(notices[0].includes(formatPubkey(attacker)));
  assert.ok(notices[0].includes(join(repo, '.cckit', 'peers.toml')));
});

test('a pk: argument is a key, never looked up as a name', async () => {
  const repo = setup(undefined, peerToml(formatPubkey(alice), attacker));
  const notices: string[] = [];
  assert.deepEqual(await resolvePeer(formatPubkey(alice), (m) => notices.push(m), repo), alice);
  assert.deepEqual(notices, []);
});

test('an unknown name is a usage error naming the personal peers file', async () => {
  const repo = setup(peerToml('bob', alice), peerToml('carol', alice));
  await assert.rejects(resolvePeer('dave', undefined, repo), (err: { code: string; exitCode: number }) => err.code === 'ERR_UNKNOWN_PEER' && err.exitCode === 2);
});
