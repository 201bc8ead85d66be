/**
 * `cc-context status` (what is local, pushed, pending; offline) and
 * `cc-context log` (who wrote what, read and verified from the store).
 */
import { formatPubkey, parsePubkey, toZ32, type Identity } from '../identity/identity.ts';
import { openObject, hashFile } from './objects.ts';
import { loadAccess } from './policy.ts';
import { readReaderState } from './reader-state.ts';
import { findChanges, listFiles } from './scan.ts';
import { readSpaceConfig, readSpaceFile } from './space.ts';
import { readIndex } from './push-index.ts';
import { openStore } from './store.ts';
import { objectKey } from './tags.ts';
import { logItems, verifyLogs } from './verify-logs.ts';
import { checkSnapshotRef } from './snapshot.ts';
import { authError, notFound } from '../cli/errors.ts';

/** The local state of a working folder: no network. */
export async function status(dir: string) {
  const cfg = readSpaceConfig(dir);
  const listing = listFiles(dir);
  const index = readIndex(dir);
  const files = await listing;
  const { changes } = findChanges(files, index);
  const pulled = readReaderState(toZ32(parsePubkey(cfg.owner)));
  return {
    dir,
    space: cfg.space,
    owner: cfg.owner,
    role: cfg.role,
    store: cfg.store,
    pushed_seq: index.seq,
    policy_seq: index.policy_seq,
    local_files: files.count,
    pushed_files: [...index.files.live()].length,
    pending: changes.map((c) => ({ path: c.path, change: c.kind })),
    ...(pulled ? { pulled: { into: pulled.into, files: Object.values(pulled.files).filter((f) => !f.deleted).length, policy_seq: pulled.policy_seq } } : {}),
  };
}

/** One line of the log. */
export interface LogLine {
  writer: string;
  seq: number;
  time: number;
  version: string;
  path?: string;
  change?: 'write' | 'delete';
  size?: number;
}

/** Every verified batch entry of OWNER's space, oldest chain position first; paths where this key can read them. */
export async function log(opts: { owner: string; me: Identity; store?: string }): Promise<LogLine[]> {
  const owner = parsePubkey(opts.owner);
  const prev = readReaderState(toZ32(owner));
  const spec = opts.store ?? prev?.store;
  if (!spec) throw notFound('ERR_CTX_NO_STORE', `no store known for ${formatPubkey(owner)}`, 'pass --store STORE');
  const store = await openStore(spec);
  try {
    const space = await readSpaceFile(store, owner);
    const access = await loadAccess(store, space, owner, opts.me, prev?.space === space ? prev.policy_seq : 0);
    const { batches, positions, snapshot } = await verifyLogs(store, access, {});
    if (prev?.space === space) {
      // A full read must still end where the last pull stood: no rollback hides behind a from-scratch read.
      checkSnapshotRef(access.policy, prev.snapshot);
      for (const [wtag, k] of Object.entries(prev.writers)) {
        if ((positions[wtag]?.seq ?? 0) < k.seq) throw authError('ERR_CTX_ROLLBACK', `the log of writer ${formatPubkey(parsePubkey(k.writer))} went back`);
      }
    }
    const items = logItems(batches, snapshot);
    const readable = items.filter((it) => access.readKeys.has(it.entry.z)).map((it) => objectKey(it.entry.o));
    const local = await store.fetch([...new Set(readable)]);
    const lines: LogLine[] = [];
    for (const it of items) {
      const e = it.entry;
      const line: LogLine = { writer: formatPubkey(parsePubkey(it.writer)), seq: it.seq, time: it.time, version: it.version };
      const p = local.get(objectKey(e.o));
      const secret = access.readKeys.get(e.z)?.get(e.e);
      if (p && secret && hashFile(p) === e.o) {
        const h = openObject(p, [secret], null, `object ${e.o.slice(0, 12)}`);
        line.path = h.path;
        line.change = h.deleted ? 'delete' : 'write';
        line.size = h.size;
      }
      lines.push(line);
    }
    return lines.sort((a, b) => a.time - b.time || (a.writer < b.writer ? -1 : 1) || a.seq - b.seq);
  } finally {
    await store.release();
  }
}
