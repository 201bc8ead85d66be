/**
 * Compaction snapshots (`cc-context revoke --reencrypt`): an owner-signed
 * document `snap/<seq>` that stands for every writer's log up to a cut
 * `{wtag → seq, batch hash}`. It lists the live versions (and deletions) at
 * the cut, each as an object (often re-encrypted under the zone's current
 * epoch) plus the logical version it carries, who wrote it, when, and its
 * ancestors, so readers keep detecting conflicts across the compaction.
 * Batches up to the cut and the objects only they named are deleted from the
 * store afterwards.
 *
 * The policy names the snapshot by seq and hash: readers refuse a policy
 * that goes back (exit 4), so a store cannot roll a compaction back, swap a
 * snapshot (hash, exit 4) or hide one (withheld, exit 3).
 */
import { authError, notFound } from '../cli/errors.ts';
import { parsePubkey, type Identity } from '../identity/identity.ts';
import { checkSigner, openDoc, sealDoc } from './sealed-doc.ts';
import { sha256hex } from './tags.ts';
import type { Access, PolicyBody } from './policy.ts';
import type { Store } from './store.ts';
import type { ChainPositions } from './verify-logs.ts';

/** How the policy names the current snapshot. */
export interface SnapshotRef {
  seq: number;
  hash: string;
}

/** One live version at the cut. */
export interface SnapshotEntry {
  /** zone id, epoch, object hash, object size: as in a batch entry. */
  z: string;
  e: number;
  o: string;
  n: number;
  /** The logical version (the hash of the object its writer first pushed): what `prev` and conflicts refer to. */
  v: string;
  /** Writer (z32), its batch seq and time. */
  w: string;
  s: number;
  t: number;
  /** Versions this one descends from, newest first (bounded). */
  a: string[];
}

/** The signed snapshot body. */
export interface SnapshotBody {
  v: 1;
  space: string;
  seq: number;
  /** The policy seq published with it. */
  policy: number;
  time: number;
  cut: ChainPositions;
  entries: SnapshotEntry[];
}

/** Ancestor lists are bounded like a reader's. */
export const MAX_ANCESTORS = 64;

/** The store key of snapshot `seq`. */
export function snapshotKey(seq: number): string {
  return `snap/${String(seq).padStart(10, '0')}`;
}

/** Seal a snapshot to the metadata key (and the owner); returns the file and its hash. */
export function sealSnapshot(body: SnapshotBody, owner: Identity, recipients: Uint8Array[]): { file: Buffer; hash: string } {
  const file = sealDoc('snapshot', body, owner, recipients);
  return { file, hash: sha256hex(file) };
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Fetch the snapshot the policy names and check it: hash, owner signature, space, seq, shape. */
export async function loadSnapshot(store: Store, access: Access, ref: SnapshotRef): Promise<SnapshotBody> {
  const what = `snapshot ${ref.seq}`;
  const file = await store.read(snapshotKey(ref.seq));
  if (!file) throw notFound('ERR_CTX_WITHHELD', `${what} (the compacted log) is missing from the store (withheld)`, 'the store is withholding data; try again later');
  if (sha256hex(file) !== ref.hash) throw authError('ERR_CTX_SNAPSHOT', `${what} is not the one the policy names (modified or swapped)`, 'the store tampered with it');
  const doc = openDoc(file, access.metaSecrets, what, 'snapshot');
  checkSigner(doc, parsePubkey(access.policy.owner), what);
  const s = doc.body as unknown as SnapshotBody;
  if (s.space !== access.policy.space || s.seq !== ref.seq || !s.cut || typeof s.cut !== 'object' || !Array.isArray(s.entries)) {
    throw authError('ERR_CTX_SNAPSHOT', `${what} is malformed or for another space`);
  }
  for (const [wtag, c] of Object.entries(s.cut)) {
    if (!/^[0-9a-f]{32}$/.test(wtag) || !Number.isSafeInteger(c?.seq) || c.seq < 1 || typeof c.hash !== 'string' || typeof c.writer !== 'string') {
      throw authError('ERR_CTX_SNAPSHOT', `${what} has a malformed cut`);
    }
  }
  for (const e of s.entries) {
    const zone = access.policy.zones.find((z) => z.id === e?.z);
    if (
      !zone ||
      !Number.isSafeInteger(e.e) ||
      e.e < 1 ||
      e.e > zone.epoch ||
      !HEX64.test(e.o) ||
      !HEX64.test(e.v) ||
      typeof e.w !== 'string' ||
      !Number.isSafeInteger(e.t) ||
      !Array.isArray(e.a) ||
      !e.a.every((x) => HEX64.test(x))
    ) {
      throw authError('ERR_CTX_SNAPSHOT', `${what} has a malformed entry`);
    }
  }
  return s;
}

/** Is `ref` (what a reader applied) consistent with the policy's snapshot? Throws on a rollback or a fork. */
export function checkSnapshotRef(policy: PolicyBody, known: SnapshotRef | undefined): void {
  const cur = policy.snapshot;
  if (!known) return;
  if (!cur || cur.seq < known.seq) {
    throw authError('ERR_CTX_ROLLBACK', `the store went back to before compaction ${known.seq}`, 'the store is serving old data');
  }
  if (cur.seq === known.seq && cur.hash !== known.hash) {
    throw authError('ERR_CTX_FORK', `compaction ${known.seq} has two different versions`, 'the store is serving a different history');
  }
}
