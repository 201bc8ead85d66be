/**
 * `cc-context revoke --reencrypt` (owner side): rewrite the space's current
 * content under the zones' current epoch keys and compact the logs, so the
 * store keeps no object a revoked key can open.
 *
 *  1. Read and verify the whole history as a reader would (the previous
 *     snapshot, then every batch after its cut), opening each object's header.
 *  2. Keep the tips: per path, the versions no other version descends from
 *     (live files, deletions, both sides of a conflict).
 *  3. Re-encrypt each tip whose zone or epoch is no longer current to the new
 *     policy's zone recipient (same header, same padding, a new object name).
 *  4. Seal a snapshot `snap/<seq>` (cut = every head read in step 1) to the
 *     new metadata key. The caller then publishes the policy that names it.
 *  5. `prune` (after the policy is out): delete the batches up to the cut,
 *     the objects only they and older snapshots named, and older snapshots.
 *     Only objects this history named are deleted, never unknown ones: a
 *     writer pushing at the same moment keeps its objects.
 *
 * Versions keep their logical name (the hash of the object first pushed), so
 * writers' later `prev` and readers' conflict checks work across it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { authError, CliError, EXIT } from '../cli/errors.ts';
import { formatPubkey, parsePubkey, type Identity } from '../identity/identity.ts';
import { openObject, openObjectBytes, sealObject, sealObjectBytes, SMALL_OBJECT, type ObjectHeader } from './objects.ts';
import { inPool } from './pool.ts';
import { fetchObjects } from './pull.ts';
import { zoneFor, type Access, type PolicyBody } from './policy.ts';
import { openDoc } from './sealed-doc.ts';
import { MAX_ANCESTORS, sealSnapshot, snapshotKey, type SnapshotBody, type SnapshotEntry, type SnapshotRef } from './snapshot.ts';
import type { Store } from './store.ts';
import { objectKey } from './tags.ts';
import { logItems, verifyLogs, type ChainPositions, type LogItem } from './verify-logs.ts';

/** What a compaction did. */
export interface CompactResult {
  snapshot: number;
  files: number;
  reencrypted: number;
  deleted_objects: number;
  deleted_batches: number;
}

/** A compaction staged in the store, waiting for its policy to be published. */
export interface StagedCompaction {
  ref: SnapshotRef;
  body: SnapshotBody;
  reencrypted: number;
  /** Delete what the snapshot replaced; call only once the policy naming it is published. */
  prune(): Promise<{ objects: number; batches: number }>;
}

interface Version {
  item: LogItem;
  header: ObjectHeader;
}

/** Per path, the versions nothing else descends from; each with its ancestors (bounded). */
export function tips(versions: Version[]): { v: Version; ancestors: string[] }[] {
  const byVersion = new Map(versions.map((v) => [v.item.version, v]));
  const ancestorsOf = (v: Version): string[] => {
    if (v.item.ancestors) return v.item.ancestors.slice(0, MAX_ANCESTORS);
    const out: string[] = [];
    let cur = v;
    while (out.length < MAX_ANCESTORS && cur.header.prev) {
      out.push(cur.header.prev);
      const p = byVersion.get(cur.header.prev);
      if (!p || p.header.path !== v.header.path) break;
      if (p.item.ancestors) {
        out.push(...p.item.ancestors);
        break;
      }
      cur = p;
    }
    return [...new Set(out)].slice(0, MAX_ANCESTORS);
  };
  const withAnc = versions.map((v) => ({ v, ancestors: ancestorsOf(v) }));
  const superseded = new Set<string>();
  for (const x of withAnc) for (const a of x.ancestors) superseded.add(`${x.v.header.path}\0${a}`);
  const seen = new Set<string>();
  return withAnc
    .filter((x) => !superseded.has(`${x.v.header.path}\0${x.v.item.version}`) && !seen.has(x.v.item.version) && seen.add(x.v.item.version))
    .sort(
      (a, b) =>
        (a.v.header.path < b.v.header.path ? -1 : a.v.header.path > b.v.header.path ? 1 : 0) ||
        Number(!!a.v.header.deleted) - Number(!!b.v.header.deleted) || // a reader applies live versions before a conflicting deletion
        a.v.item.time - b.v.item.time,
    );
}

/**
 * Steps 1–4. `access` is the owner's view under the policy now published;
 * `next` the policy about to be published (its zones' recipients and epochs);
 * `atLeast` chain positions the owner knows were reached (its own pushes and
 * pulls), so a store serving old heads cannot make the compaction drop data.
 */
export async function stageCompaction(opts: {
  store: Store;
  access: Access;
  next: PolicyBody;
  owner: Identity;
  recipients: Uint8Array[];
  atLeast: ChainPositions;
  scratch: string;
  now: number;
}): Promise<StagedCompaction> {
  const { store, access, next } = opts;
  const { batches, positions, snapshot: prev } = await verifyLogs(store, access, {});
  for (const [wtag, k] of Object.entries(opts.atLeast)) {
    if ((positions[wtag]?.seq ?? 0) < k.seq) {
      throw authError('ERR_CTX_ROLLBACK', `the log of writer ${formatPubkey(parsePubkey(k.writer))} on the store is behind what this machine saw (${positions[wtag]?.seq ?? 0} < ${k.seq})`, 'the store is serving old data; nothing was changed');
    }
  }
  const items = logItems(batches, prev);
  if (items.some((it) => !access.readKeys.has(it.entry.z))) throw authError('ERR_CTX_EPOCH', "the owner's grant lacks a zone key the log uses");
  const headers = await fetchObjects(store, access, items, null);
  const chosen = tips(items.map((item, i) => ({ item, header: headers[i].header })));
  const local = await store.fetch(chosen.map((t) => objectKey(t.v.item.entry.o)));
  const scratch = mkdtempSync(join(opts.scratch, 'reencrypt-'));
  const staged: { key: string; path: string }[] = [];
  let reencrypted = 0;
  let entries: SnapshotEntry[];
  try {
    entries = await inPool(chosen, 8, async ({ v, ancestors }, i): Promise<SnapshotEntry> => {
      const old = v.item.entry;
      const zone = zoneFor(next.zones, v.header.path);
      const base = { v: v.item.version, w: v.item.writer, s: v.item.seq, t: v.item.time, a: ancestors };
      if (old.z === zone.id && old.e === zone.epoch) return { ...old, ...base };
      const src = local.get(objectKey(old.o))!;
      const secret = access.readKeys.get(old.z)!.get(old.e)!;
      const recipient = Buffer.from(zone.recipient, 'base64');
      const what = `object ${old.o.slice(0, 12)}`;
      const tmp = store.stageFile();
      staged.push({ key: '', path: tmp });
      let hash: string;
      let size: number;
      if ((await stat(src)).size <= SMALL_OBJECT + 64 * 1024) {
        const o = openObjectBytes(await readFile(src), [secret], what);
        const sealed = sealObjectBytes(o.header.deleted ? null : o.content, o.header, recipient);
        await writeFile(tmp, sealed.data, { flag: 'wx' });
        hash = sealed.hash;
        size = sealed.data.length;
      } else {
        const plain = join(scratch, String(i));
        const h = openObject(src, [secret], plain, what);
        try {
          ({ hash, size } = sealObject(h.deleted ? null : plain, h, recipient, tmp));
        } finally {
          rmSync(plain, { force: true });
        }
      }
      staged[staged.findIndex((s) => s.path === tmp)].key = objectKey(hash);
      reencrypted++;
      return { z: zone.id, e: zone.epoch, o: hash, n: size, ...base };
    });
  } catch (err) {
    for (const s of staged) rmSync(s.path, { force: true });
    throw err;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  await store.commit(staged);
  const body: SnapshotBody = { v: 1, space: next.space, seq: (access.policy.snapshot?.seq ?? 0) + 1, policy: next.seq, time: opts.now, cut: positions, entries };
  const { file, hash } = sealSnapshot(body, opts.owner, opts.recipients);
  await store.write(snapshotKey(body.seq), file);
  const keep = new Set(entries.map((e) => e.o));
  const replaced = new Set(items.map((it) => it.entry.o).filter((o) => !keep.has(o)));
  return {
    ref: { seq: body.seq, hash },
    body,
    reencrypted,
    prune: () => prune(store, access, body, batches.map((b) => b.body.wtag + '/' + b.body.seq), replaced, keep),
  };
}

/** Step 5: the batches up to the cut, older snapshots, and the objects only they named. */
async function prune(store: Store, access: Access, snap: SnapshotBody, verified: string[], objects: Set<string>, keep: Set<string>): Promise<{ objects: number; batches: number }> {
  const read = new Set(verified);
  const files: string[] = [];
  // Leftovers of an earlier compaction that stopped half-way: their objects go too (never one the snapshot keeps).
  const salvage = (file: Buffer | null, kind: string) => {
    if (!file) return;
    try {
      const body = openDoc(file, access.metaSecrets, kind, kind).body as { entries?: { o?: unknown }[] };
      for (const e of body.entries ?? []) if (typeof e.o === 'string' && /^[0-9a-f]{64}$/.test(e.o) && !keep.has(e.o)) objects.add(e.o);
    } catch {
      // not ours, or not readable: leave what it names alone
    }
  };
  for (const [wtag, c] of Object.entries(snap.cut)) {
    for (const key of await store.list(`log/${wtag}`)) {
      const seq = Number(key.slice(key.lastIndexOf('/') + 1));
      if (!Number.isSafeInteger(seq) || seq > c.seq) continue;
      if (!read.has(`${wtag}/${seq}`)) salvage(await store.read(key), 'batch');
      files.push(key);
    }
  }
  for (const key of await store.list('snap')) {
    if (key === snapshotKey(snap.seq)) continue;
    salvage(await store.read(key), 'snapshot');
    files.push(key);
  }
  // Objects first: if this stops half-way, the batches left name what remains, and the next compaction finds it.
  await store.removeMany([...objects].map(objectKey));
  await store.removeMany(files);
  return { objects: objects.size, batches: files.filter((f) => f.startsWith('log/')).length };
}

/** Refuse a compaction when the store does not hold what the owner last published. */
export function checkOwnerView(access: Access, policySeq: number): void {
  if (access.policy.seq > policySeq) {
    throw new CliError('ERR_CTX_POLICY', `the store's policy (seq ${access.policy.seq}) is ahead of this machine's keys (seq ${policySeq})`, EXIT.AUTH, 'run revoke on the machine that holds the newest .cckit/keys.json');
  }
}
