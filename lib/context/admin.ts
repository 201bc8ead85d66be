/**
 * The owner's commands on a space: `init` (a folder becomes a space on a
 * store), `grant` and `revoke` (edit the authz file, compile, publish).
 * The authz file and the keys stay in `DIR/.cckit/`; the store gets only
 * the sealed policy and grants.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, EXIT, usageError } from '../cli/errors.ts';
import { formatPubkey, toZ32, type Identity } from '../identity/identity.ts';
import { writeFileAtomic } from '../secure-file.ts';
import { resolvePeer } from '../pair/peers.ts';
import { normalizeSpacePath, parseAuthz, removeRules, setRule, type Right } from './authz.ts';
import { checkNotOwner, compile, publishPolicy, resolveNames, type Compiled } from './compile.ts';
import { checkOwnerView, stageCompaction, type CompactResult } from './compact.ts';
import { emptyKeys, readOwnerKeys, writeOwnerKeys, type OwnerKeys } from './owner-keys.ts';
import { loadAccess, metaRecipient, peerRecipient } from './policy.ts';
import { readReaderState } from './reader-state.ts';
import { isSpace, metaDir, newSpaceId, readSpaceConfig, writeSpaceConfig, writeSpaceFile } from './space.ts';
import { readIndex } from './push-index.ts';
import { openStore, type Store } from './store.ts';
import { writerTag } from './tags.ts';
import type { ChainPositions } from './verify-logs.ts';

const AUTHZ_TEMPLATE = `# Who may read (r) and write (w) which path of this space (svn authz style).
# [/path] sections; NAME = r|w|rw (a peer name or pk:…); * = every peer named in this file.
# The most specific section wins; anyone unlisted gets nothing. The owner always has rw.
# Edit with 'cc-context grant' / 'cc-context revoke' (they publish the change).
`;

/** Paths of the owner's local files. */
function files(dir: string) {
  const m = metaDir(dir);
  return { authz: join(m, 'authz'), keys: join(m, 'keys.json') };
}

/** What init, grant and revoke report. */
export interface AdminResult {
  space: string;
  owner: string;
  store: string;
  dir: string;
  policy_seq: number;
  zones: { path: string; epoch: number; readers: string[]; writers: string[] }[];
  revoked?: string[];
  /** revoke --reencrypt: what the compaction did. */
  reencrypt?: CompactResult;
}

async function recompile(dir: string, me: Identity, authz: string, opts: { reencrypt?: boolean } = {}): Promise<AdminResult> {
  const cfg = readSpaceConfig(dir);
  if (cfg.role !== 'owner' || cfg.owner !== formatPubkey(me.publicKey)) {
    throw new CliError('ERR_NOT_OWNER', `only the owner (${cfg.owner}) can change who has access`, EXIT.AUTH);
  }
  const f = files(dir);
  const keys = readOwnerKeys(f.keys);
  const sections = parseAuthz(authz, '.cckit/authz');
  const names = await resolveNames(sections, resolvePeer);
  const ownerZ = toZ32(me.publicKey);
  for (const z of names.values()) checkNotOwner(z, ownerZ);
  const c = compile({ authz, names, keys, owner: ownerZ, space: cfg.space, now: Math.floor(Date.now() / 1000) });
  const store = await openStore(cfg.store);
  let compacted: CompactResult | undefined;
  try {
    // Re-encrypt before anything is published: a failure here leaves only unreferenced new objects behind.
    const staged = opts.reencrypt ? await stageReencrypt(dir, store, me, keys, c) : undefined;
    // Keys first: a crash after publishing must not lose the epoch secrets the store now refers to.
    writeOwnerKeys(f.keys, c.keys);
    await publishPolicy(store, c, me);
    if (staged) {
      const pruned = await staged.prune();
      compacted = { snapshot: staged.ref.seq, files: staged.body.entries.length, reencrypted: staged.reencrypted, deleted_objects: pruned.objects, deleted_batches: pruned.batches };
    }
  } finally {
    await store.release();
  }
  writeFileAtomic(f.authz, Buffer.from(authz), { mode: 0o600, overwrite: true });
  const byKey = new Map([...names].map(([n, z]) => [z, n]));
  const show = (z: string) => (z === ownerZ ? 'owner' : byKey.get(z) ?? `pk:${z}`);
  return {
    space: cfg.space,
    owner: cfg.owner,
    store: cfg.store,
    dir,
    policy_seq: c.policy.seq,
    zones: c.policy.zones.map((z) => ({
      path: z.path,
      epoch: z.epoch,
      readers: c.keys.readers[z.path].map(show),
      writers: z.writers.map(show),
    })),
    ...(c.removed.length ? { revoked: c.removed.map((z) => `pk:${z}`) } : {}),
    ...(compacted ? { reencrypt: compacted } : {}),
  };
}

/** revoke --reencrypt: stage the re-encrypted objects and the snapshot; the policy `c` is made to name it. */
async function stageReencrypt(dir: string, store: Store, me: Identity, before: OwnerKeys, c: Compiled) {
  const ownerZ = toZ32(me.publicKey);
  const access = await loadAccess(store, c.policy.space, me.publicKey, me);
  checkOwnerView(access, before.policy_seq);
  // What this machine saw reach the store (its own pushes, its own pulls): the store may not be behind it.
  const atLeast: ChainPositions = { ...(readReaderState(ownerZ)?.space === c.policy.space ? readReaderState(ownerZ)!.writers : {}) };
  const index = readIndex(dir);
  if (index.seq > 0) {
    const wtag = writerTag(c.policy.space, ownerZ, index.device);
    if ((atLeast[wtag]?.seq ?? 0) < index.seq) atLeast[wtag] = { seq: index.seq, hash: index.hash!, writer: ownerZ };
  }
  const staged = await stageCompaction({
    store,
    access,
    next: c.policy,
    owner: me,
    recipients: [metaRecipient(c.policy), peerRecipient(ownerZ)],
    atLeast,
    scratch: metaDir(dir),
    now: Math.floor(Date.now() / 1000),
  });
  c.policy.snapshot = staged.ref;
  c.keys.snapshot = staged.ref;
  return staged;
}

/** Make `dir` a space owned by `me` on `storeSpec`. */
export async function init(dir: string, storeSpec: string, me: Identity): Promise<AdminResult> {
  if (!existsSync(dir)) throw new CliError('ERR_NO_DIR', `no such folder: ${dir}`, EXIT.NOT_FOUND);
  if (isSpace(dir)) throw new CliError('ERR_CTX_EXISTS', `${dir} is already a shared space`, EXIT.FAILURE, "see 'cc-context status'");
  const store = await openStore(storeSpec);
  const space = newSpaceId();
  try {
    if (await store.read('cckit-space.json')) throw new CliError('ERR_CTX_STORE_USED', `the store ${storeSpec} already holds a space`, EXIT.FAILURE, 'use an empty folder or remote path for each space');
    await writeSpaceFile(store, space, me);
  } finally {
    await store.release();
  }
  const f = files(dir);
  writeOwnerKeys(f.keys, emptyKeys());
  writeSpaceConfig(dir, { v: 1, space, owner: formatPubkey(me.publicKey), store: store.spec, role: 'owner' });
  return recompile(dir, me, AUTHZ_TEMPLATE);
}

function readAuthz(dir: string): string {
  try {
    return readFileSync(files(dir).authz, 'utf8');
  } catch {
    throw new CliError('ERR_NOT_OWNER', `no authz file in ${metaDir(dir)}`, EXIT.NOT_FOUND, 'grant and revoke run in the owner\'s space folder');
  }
}

/** `grant NAME PATH r|w|rw`. */
export async function grant(dir: string, me: Identity, name: string, path: string, right: Right): Promise<AdminResult> {
  if (right === '') throw usageError('a grant needs r, w or rw', "use 'cc-context revoke' to take access away");
  if (name === '*') throw usageError("'*' is edited in the authz file itself", `edit ${files(dir).authz}, then run cc-context grant for any peer to publish`);
  await resolvePeer(name); // an unknown name fails before the file changes
  return recompile(dir, me, setRule(readAuthz(dir), normalizeSpacePath(path), name, right));
}

/**
 * `revoke NAME [PATH] [--reencrypt]`: remove NAME's lines (matched by key, so a pk: also removes its
 * peer name). With `reencrypt`, also rewrite the current content under the new epochs and compact the
 * logs; it may be run again for a peer already revoked (to finish or to re-encrypt after a plain revoke).
 */
export async function revoke(dir: string, me: Identity, name: string, path?: string, opts: { reencrypt?: boolean } = {}): Promise<AdminResult> {
  const target = toZ32(await resolvePeer(name));
  let text = readAuthz(dir);
  const names = await resolveNames(parseAuthz(text), resolvePeer);
  let removed = 0;
  for (const [who, z] of names) {
    if (z !== target) continue;
    const r = removeRules(text, who, path === undefined ? undefined : normalizeSpacePath(path));
    text = r.text;
    removed += r.removed;
  }
  if (removed === 0 && !(opts.reencrypt && readOwnerKeys(files(dir).keys).revoked.includes(target))) {
    throw new CliError('ERR_CTX_NO_RULE', `${name} has no rule${path ? ` in [${normalizeSpacePath(path)}]` : ''}`, EXIT.NOT_FOUND);
  }
  return recompile(dir, me, text, opts);
}
