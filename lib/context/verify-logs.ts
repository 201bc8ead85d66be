/**
 * Reading every writer's log from a store the way a reader must trust it:
 * heads signed by their writers, no head or chain going back, no missing
 * batch (withheld, exit 3), no batch out of place (replay, exit 4), and
 * every entry from a writer the owner's policy lists for that zone.
 */
import { authError, notFound } from '../cli/errors.ts';
import { formatPubkey, parsePubkey } from '../identity/identity.ts';
import { mayWrite, type Access } from './policy.ts';
import type { Store } from './store.ts';
import { checkHead, fetchBatch, type BatchBody, type BatchEntry, type HeadBody } from './writer-log.ts';
import { checkSnapshotRef, loadSnapshot, type SnapshotBody, type SnapshotRef } from './snapshot.ts';

/** A verified batch, in chain order. */
export interface VerifiedBatch {
  head: HeadBody;
  body: BatchBody;
  hash: string;
}

/** Where a reader stands on each writer chain. */
export type ChainPositions = Record<string, { seq: number; hash: string; writer: string }>;

/** One file version to fetch, from a snapshot or a batch: who wrote it, when, and where it is. */
export interface LogItem {
  writer: string;
  seq: number;
  time: number;
  entry: BatchEntry;
  /** The logical version (the object hash its writer pushed; differs from entry.o once re-encrypted). */
  version: string;
  /** Known ancestors (from a snapshot), newest first. */
  ancestors?: string[];
}

/** The items a pull fetches, in order: the snapshot's (if a new one applies), then each batch's. */
export function logItems(batches: VerifiedBatch[], snapshot?: SnapshotBody): LogItem[] {
  const items: LogItem[] = (snapshot?.entries ?? []).map((e) => ({ writer: e.w, seq: e.s, time: e.t, entry: { z: e.z, e: e.e, o: e.o, n: e.n }, version: e.v, ancestors: e.a }));
  for (const b of batches) for (const e of b.body.entries) items.push({ writer: b.head.writer, seq: b.body.seq, time: b.body.time, entry: e, version: e.o });
  return items;
}

/**
 * Verify all heads and the batches after `known`; returns the new batches and positions.
 * When the policy names a compaction snapshot this reader has not applied (`knownSnapshot`),
 * it is loaded and checked, and chains start at its cut where the reader stood behind it
 * (the batches before the cut are gone from the store).
 */
export async function verifyLogs(
  store: Store,
  access: Access,
  known: ChainPositions,
  knownSnapshot?: SnapshotRef,
): Promise<{ batches: VerifiedBatch[]; positions: ChainPositions; snapshot?: SnapshotBody }> {
  const space = access.policy.space;
  checkSnapshotRef(access.policy, knownSnapshot);
  const ref = access.policy.snapshot;
  let snapshot: SnapshotBody | undefined;
  known = { ...known };
  if (ref && ref.seq !== knownSnapshot?.seq) {
    snapshot = await loadSnapshot(store, access, ref);
    for (const [wtag, c] of Object.entries(snapshot.cut)) {
      const k = known[wtag];
      if (k && k.seq === c.seq && k.hash !== c.hash) {
        throw authError('ERR_CTX_FORK', `writer ${formatPubkey(parsePubkey(c.writer))} has two different histories at ${c.seq}`, 'the store is serving a different history');
      }
      if (!k || k.seq < c.seq) known[wtag] = { seq: c.seq, hash: c.hash, writer: c.writer };
    }
  }
  const headKeys = await store.list('head');
  const positions: ChainPositions = { ...known };
  const batches: VerifiedBatch[] = [];
  const seen = new Set<string>();
  for (const key of headKeys) {
    const wtag = key.slice('head/'.length);
    if (!/^[0-9a-f]{32}$/.test(wtag)) continue; // not ours: a store may hold other files
    seen.add(wtag);
    const file = await store.read(key);
    if (!file) continue;
    const head = checkHead(file, wtag, space, access.metaSecrets);
    const who = formatPubkey(parsePubkey(head.writer));
    const k = known[wtag];
    if (k && head.seq < k.seq) throw authError('ERR_CTX_ROLLBACK', `the head of writer ${who} went back from ${k.seq} to ${head.seq}`, 'the store is serving old data');
    if (k && head.seq === k.seq) {
      if (head.batch !== k.hash) throw authError('ERR_CTX_FORK', `writer ${who} has two different histories at ${k.seq}`, 'the store is serving a different history');
      continue;
    }
    let prev = k ? k.hash : null;
    for (let seq = (k?.seq ?? 0) + 1; seq <= head.seq; seq++) {
      const { body, hash } = await fetchBatch(store, head, seq, prev, access.metaSecrets, seq === head.seq ? head.batch : undefined);
      for (const e of body.entries) {
        const zone = access.policy.zones.find((z) => z.id === e.z);
        if (!zone) throw authError('ERR_CTX_OUTSIDE_ZONE', `writer ${who} wrote to a zone the policy does not have (batch ${seq})`);
        if (!mayWrite(access.policy, zone, head.writer, body.policy)) {
          throw authError('ERR_CTX_NOT_WRITER', `writer ${who} may not write ${zone.path} but its batch ${seq} does (a forged write)`, 'the write was rejected; tell the owner');
        }
        if (!Number.isSafeInteger(e.e) || e.e < 1 || e.e > zone.epoch || typeof e.o !== 'string' || !/^[0-9a-f]{64}$/.test(e.o)) {
          throw authError('ERR_CTX_MALFORMED', `batch ${seq} of ${who} has a malformed entry`);
        }
      }
      batches.push({ head, body, hash });
      prev = hash;
    }
    positions[wtag] = { seq: head.seq, hash: head.batch, writer: head.writer };
  }
  for (const [wtag, k] of Object.entries(known)) {
    if (!seen.has(wtag)) throw notFound('ERR_CTX_WITHHELD', `the head of writer ${formatPubkey(parsePubkey(k.writer))} is missing from the store (withheld)`);
  }
  return { batches, positions, ...(snapshot ? { snapshot } : {}) };
}
