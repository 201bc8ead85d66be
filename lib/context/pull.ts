/**
 * `cc-context pull OWNER`: fetch what this key may read from the owner's
 * space, verify all of it (policy, grant, heads, chains, objects), then —
 * only when everything checked — move the files into a read-only folder of
 * their own and remember where each chain stood. A failure leaves the
 * folder and the state exactly as they were.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rename, rmdirSync, rmSync, lstatSync } from 'node:fs';
import { join, posix } from 'node:path';
import { authError, notFound, usageError } from '../cli/errors.ts';
import { fingerprint, formatPubkey, parsePubkey, toZ32, type Identity } from '../identity/identity.ts';
import { INCOMING_PREFIX, isFilePath } from './authz.ts';
import { hashFile, openObject, SMALL_OBJECT, type ObjectHeader } from './objects.ts';
import { runObjectJob, type OpenDone, type OpenJob } from './object-jobs.ts';
import { inPool } from './pool.ts';
import { runMany, threadsFor, type JobOutcome } from './object-threads.ts';
import { loadAccess, zoneFor, type Access } from './policy.ts';
import { defaultInto, readReaderState, writeReaderState, type KnownFile, type ReaderState } from './reader-state.ts';
import { readSpaceFile } from './space.ts';
import { openStore, type Store } from './store.ts';
import { objectKey } from './tags.ts';
import { logItems, verifyLogs, type LogItem } from './verify-logs.ts';
import { MAX_ANCESTORS } from './snapshot.ts';

/** What a pull reports. */
export interface PullResult {
  owner: string;
  space: string;
  store: string;
  into: string;
  policy_seq: number;
  updated: string[];
  deleted: string[];
  conflicts: string[];
  files: number;
}

/** The staging folder inside `into`, so renames stay on one file system. */

/** A verified file version ready to apply. */
export interface Fetched {
  header: ObjectHeader;
  version: string;
  writer: string;
  time: number;
  staged: string | null;
  /** Known ancestors (from a compaction snapshot). */
  ancestors?: string[];
  /** The staged file was created 0444 already. */
  readOnly?: boolean;
}

/** Open and check every object the items name that this key can read (into `stage`, or headers only when null). */
export async function fetchObjects(store: Store, access: Access, items: LogItem[], stage: string | null): Promise<Fetched[]> {
  const wanted = items.filter((it) => access.readKeys.has(it.entry.z));
  const local = await store.fetch([...new Set(wanted.map((w) => objectKey(w.entry.o)))]);
  // Many small objects: opened on every core first (object-threads.ts); fetchEach then checks them in order.
  const small: { n: number; job: OpenJob }[] = [];
  wanted.forEach((it, n) => {
    const job = smallOpenJob(it, n, local, access, stage);
    if (job) small.push({ n, job });
  });
  const threads = threadsFor(small.length);
  let opened: Map<number, JobOutcome<OpenDone>> | undefined;
  if (threads > 1) {
    const outcomes = await runMany<OpenDone>(
      small.map((s) => s.job),
      threads,
    );
    opened = new Map();
    small.forEach((s, k) => outcomes[k] && opened!.set(s.n, outcomes[k]!));
  }
  const open = async (job: OpenJob, n: number): Promise<OpenDone> => {
    const done = opened?.get(n);
    if (!done) return runObjectJob(job);
    if ('err' in done) throw done.err;
    return done.ok;
  };
  return fetchEach(wanted, local, open, access, stage);
}

/** The job that opens item `n` whole in memory, when its object is here, readable and small. */
function smallOpenJob(it: LogItem, n: number, local: Map<string, string>, access: Access, stage: string | null): OpenJob | undefined {
  const e = it.entry;
  const p = local.get(objectKey(e.o));
  const secret = access.readKeys.get(e.z)?.get(e.e);
  if (!p || !secret || e.n > SMALL_STORED) return undefined;
  return { kind: 'open', path: p, hash: e.o, secret, dest: stage ? join(stage, String(n)) : null, what: `object ${e.o.slice(0, 12)}` };
}

/** Largest stored object read whole (SMALL_OBJECT of plaintext plus age and padding overhead). */
const SMALL_STORED = SMALL_OBJECT + 64 * 1024;

async function fetchEach(wanted: LogItem[], local: Map<string, string>, open: (job: OpenJob, n: number) => Promise<OpenDone>, access: Access, stage: string | null): Promise<Fetched[]> {
  return inPool(wanted, 16, async (it, n): Promise<Fetched> => {
    const e = it.entry;
    const who = () => formatPubkey(parsePubkey(it.writer)); // only for messages: checking a key costs a field inversion
    const p = local.get(objectKey(e.o));
    const withheld = () => notFound('ERR_CTX_WITHHELD', `object ${e.o.slice(0, 12)} written by ${who()} is missing from the store (withheld)`, 'the store is withholding data; try again later');
    if (!p) throw withheld();
    const secret = access.readKeys.get(e.z)?.get(e.e);
    if (!secret) throw authError('ERR_CTX_EPOCH', `no key for epoch ${e.e} of a zone (object ${e.o.slice(0, 12)})`);
    const dest = stage ? join(stage, String(n)) : null;
    const what = `object ${e.o.slice(0, 12)}`;
    const mismatch = () => authError('ERR_CTX_OBJECT', `object ${e.o.slice(0, 12)} does not match its name (modified or swapped)`, 'the store tampered with it');
    let header: ObjectHeader;
    let readOnly = false;
    let staged: string | null = dest;
    if (e.n <= SMALL_STORED) {
      const job = smallOpenJob(it, n, local, access, stage)!;
      try {
        const o = await open(job, n);
        header = o.header;
        staged = o.dest;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw withheld();
        throw err;
      }
      readOnly = true;
    } else {
      if (!existsSync(p)) throw withheld();
      if (hashFile(p) !== e.o) throw mismatch();
      header = openObject(p, [secret], dest, what);
    }
    const path = header.path;
    if (typeof path !== 'string' || !isFilePath(path)) throw authError('ERR_CTX_OBJECT', `object ${e.o.slice(0, 12)} names a bad path`);
    if (zoneFor(access.policy.zones, path).id !== e.z) {
      throw authError('ERR_CTX_OUTSIDE_ZONE', `${who()} wrote ${path} outside the zone it claimed`, 'the write was rejected');
    }
    return { header, version: it.version, writer: it.writer, time: it.time, staged: header.deleted ? null : staged, readOnly, ...(it.ancestors ? { ancestors: it.ancestors } : {}) };
  });
}

/** Every version a reader already has, current or ancestor (a snapshot entry among them needs no fetch). */
export function knownVersions(files: Record<string, KnownFile>): Set<string> {
  const s = new Set<string>();
  for (const f of Object.values(files)) {
    s.add(f.version);
    for (const a of f.ancestors) s.add(a);
  }
  return s;
}

/** The name a conflicting version is kept under. */
export function conflictName(path: string, writer: string, version: string): string {
  return `${path}.conflict-${fingerprint(parsePubkey(writer)).replace('-', '')}-${version.slice(0, 8)}`;
}

/** Apply fetched versions to the known files: replace descendants, keep conflicts as copies. */
export function plan(files: Record<string, KnownFile>, fetched: Fetched[]): { ops: Map<string, Fetched | null>; conflicts: string[] } {
  const ops = new Map<string, Fetched | null>();
  const conflicts: string[] = [];
  for (const f of fetched) {
    const path = f.header.path;
    const cur = files[path];
    const known: KnownFile = {
      version: f.version,
      sha256: f.header.sha256,
      size: f.header.size,
      writer: f.writer,
      time: f.time,
      ...(f.header.deleted ? { deleted: true } : {}),
      ancestors: [],
    };
    if (cur && (cur.version === f.version || cur.ancestors.includes(f.version))) continue; // already have it or newer
    if (!cur || cur.version === f.header.prev || (cur.deleted && f.header.prev === null) || f.ancestors?.includes(cur.version)) {
      known.ancestors = f.ancestors ? f.ancestors.slice(0, MAX_ANCESTORS) : cur ? [cur.version, ...cur.ancestors].slice(0, MAX_ANCESTORS) : [];
      files[path] = known;
      ops.set(path, f.header.deleted ? null : f);
      continue;
    }
    // Neither descends from the other: keep both. A deletion that conflicts loses nothing by being dropped.
    if (f.header.deleted) continue;
    const name = conflictName(path, f.writer, f.version);
    files[name] = { ...known, ancestors: [] };
    ops.set(name, f);
    conflicts.push(name);
  }
  return { ops, conflicts };
}

function ensureDirs(into: string, rel: string, made: Set<string>): void {
  let cur = into;
  for (const part of rel.split('/').slice(1, -1)) {
    cur = join(cur, part);
    if (made.has(cur)) continue;
    made.add(cur);
    let st;
    try {
      st = lstatSync(cur);
    } catch {
      mkdirSync(cur, { mode: 0o755 });
      continue;
    }
    if (!st.isDirectory()) {
      // A file where a folder must now be (the peer turned a file into a folder): replace it.
      rmSync(cur, { force: true });
      mkdirSync(cur, { mode: 0o755 });
    }
  }
}

/** Remove the folders above `rel` (deepest first) while they are empty. */
function removeEmptyFolders(into: string, rel: string): void {
  for (let d = posix.dirname(rel); d !== '/'; d = posix.dirname(d)) {
    try {
      rmdirSync(join(into, d));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return; // not empty: nor are the ones above
    }
  }
}

/** Pull from OWNER's space. */
export async function pull(opts: { owner: string; me: Identity; store?: string; into?: string; dht?: boolean; log?: (m: string) => void }): Promise<PullResult> {
  const owner = parsePubkey(opts.owner);
  const ownerZ = toZ32(owner);
  const prev = readReaderState(ownerZ);
  const spec = opts.store ?? prev?.store;
  if (!spec) throw usageError(`no store known for ${formatPubkey(owner)}`, 'the first pull needs --store STORE (the owner prints it)');
  const into = opts.into ?? prev?.into ?? defaultInto(ownerZ);
  const store = await openStore(spec);
  let stage: string | undefined;
  try {
    const space = await readSpaceFile(store, owner);
    const sameSpace = prev && prev.space === space;
    const state: ReaderState = sameSpace
      ? prev // changed in memory only; saved as the very last step, when everything checked
      : { v: 1, owner: ownerZ, space, store: spec, into, policy_seq: 0, writers: {}, files: {} };
    if (prev && !sameSpace && !opts.store) throw authError('ERR_CTX_SWAPPED', 'the store now holds another space than the one pulled before', 'the store was swapped; pass --store to start over deliberately');
    state.store = spec;
    state.into = into;
    const access = await loadAccess(store, space, owner, opts.me, state.policy_seq);
    const { batches, positions, snapshot } = await verifyLogs(store, access, state.writers, state.snapshot);
    if (opts.dht) {
      const { checkFresh, resolveFreshness } = await import('./freshness.ts');
      const record = await resolveFreshness(formatPubkey(owner), opts.log ?? (() => {}));
      if (record !== undefined) checkFresh(record, space, ownerZ, positions);
      else opts.log?.(`no _ccctx record of ${formatPubkey(owner)} on the DHT: freshness not checked`);
    }
    mkdirSync(into, { recursive: true, mode: 0o755 });
    stage = mkdtempSync(join(into, INCOMING_PREFIX));
    // Snapshot entries this reader already has (it pulled before the compaction) need no fetch.
    const have = knownVersions(state.files);
    const items = logItems(batches, snapshot).filter((it) => !(it.ancestors && have.has(it.version)));
    const fetched = await fetchObjects(store, access, items, stage);
    const { ops, conflicts } = plan(state.files, fetched);
    // Everything verified: now, and only now, touch the folder.
    const updated: string[] = [];
    const deleted: string[] = [];
    const made = new Set<string>();
    const moves: { from: string; to: string }[] = [];
    for (const [path, f] of ops) {
      const target = join(into, path);
      ensureDirs(into, path, made);
      if (f === null) {
        rmSync(target, { force: true });
        deleted.push(path);
      } else {
        if (!f.readOnly) chmodSync(f.staged!, 0o444); // read-only, never executable: nothing from a peer runs by accident
        moves.push({ from: f.staged!, to: target });
        updated.push(path);
      }
    }
    // Distinct targets, their folders made: the renames may run side by side on the thread pool.
    await inPool(moves, 16, (m) => new Promise<void>((res, rej) => rename(m.from, m.to, (err) => (err ? rej(err) : res()))));
    // Folders the deletions emptied go too: a folder renamed on the writer's side leaves no empty copy here.
    for (const path of deleted) removeEmptyFolders(into, path);
    state.writers = positions;
    state.policy_seq = access.policy.seq;
    if (access.policy.snapshot) state.snapshot = access.policy.snapshot;
    writeReaderState(ownerZ, state);
    return {
      owner: formatPubkey(owner),
      space,
      store: spec,
      into,
      policy_seq: access.policy.seq,
      updated: updated.sort(),
      deleted: deleted.sort(),
      conflicts: conflicts.sort(),
      files: Object.values(state.files).filter((f) => !f.deleted).length,
    };
  } finally {
    if (stage) rmSync(stage, { recursive: true, force: true });
    await store.release();
  }
}

