/**
 * `cc-context push`: encrypt and upload what changed in a working folder
 * (objects first, then the signed batch, then the head), for the owner or a
 * peer whose grant lets it write. Files outside the zones this key may
 * write are refused before anything is uploaded.
 */
import { authError, CliError, EXIT } from '../cli/errors.ts';
import { fingerprint, formatPubkey, parsePubkey, toZ32, type Identity } from '../identity/identity.ts';
import { loadAccess, metaRecipient, zoneFor } from './policy.ts';
import { isFilePath } from './authz.ts';
import { findChanges, listFiles, type Change, type FileListing } from './scan.ts';
import { readSpaceConfig, readSpaceFile } from './space.ts';
import { indexIsCurrent, readIndex, writeIndex, type PushIndex } from './push-index.ts';
import { lockPush } from './push-lock.ts';
import { openStore } from './store.ts';
import { runObjectJob, type SealDone, type SealJob } from './object-jobs.ts';
import { runMany, threadsFor, type JobOutcome } from './object-threads.ts';
import { useLockFreeCrypto } from './age-small.ts';
import { rmSync } from 'node:fs';
import { hashFile, sealObject, SMALL_OBJECT } from './objects.ts';
import { inPool } from './pool.ts';
import { objectKey, writerTag } from './tags.ts';
import { appendBatch, checkHead, type BatchEntry } from './writer-log.ts';
import { readReaderState } from './reader-state.ts';
import { trace } from '../cli/trace.ts';

/** From this many small objects on, a push seals with libsodium on every thread (see below). */
const LOCK_FREE_FROM = 64;

/** Files in flight at once: enough to hide disk latency, few enough to bound memory (x 1 MiB). */
const IO_PARALLEL = 16;

/** What a push reports. */
export interface PushResult {
  space: string;
  store: string;
  seq: number;
  pushed: number;
  deleted: number;
  bytes: number;
  unchanged: boolean;
  paths: { path: string; change: string }[];
  /** With --dht (owner): the `_ccctx` value published. */
  freshness?: string;
}

/** What a push looks at, beyond the store: see push(). */
export interface PushOptions {
  minPolicySeq?: number;
  now?: number;
  dht?: boolean;
  /** The whole folder's listing, when the caller started it early (listFiles). */
  listing?: Promise<FileListing>;
  /** Only these paths changed (a watcher saw them): their listing (listPaths) instead of the whole folder's. */
  only?: { listing: FileListing; paths: string[] };
  /**
   * A long-running caller's push index, kept in memory between pushes (watch): used while it is still
   * the one on disk, replaced by the one on disk otherwise, and left here for the next push.
   */
  keep?: { index?: PushIndex };
  log?: (m: string) => void;
}

/** Push a working folder's changes. `minPolicySeq` is what this machine already saw. */
export async function push(dir: string, me: Identity, opts: PushOptions = {}): Promise<PushResult> {
  const cfg = readSpaceConfig(dir);
  // The folder is listed in another process while the index and the store are read.
  const listing = opts.only ? undefined : (opts.listing ?? listFiles(dir));
  listing?.catch(() => {});
  const owner = parsePubkey(cfg.owner);
  const unlock = await lockPush(dir);
  let store;
  try {
    store = await openStore(cfg.store);
  } catch (err) {
    unlock();
    throw err;
  }
  try {
    const space = await readSpaceFile(store, owner);
    if (space !== cfg.space) throw authError('ERR_CTX_SWAPPED', 'the store holds another space than this folder pushes to', `check the store (${cfg.store})`);
    trace('push: store open');
    const kept = opts.keep?.index;
    const index = kept && indexIsCurrent(dir, kept) ? kept : readIndex(dir);
    if (opts.keep) opts.keep.index = index;
    trace('push: index read');
    const access = await loadAccess(store, space, owner, me, Math.max(index.policy_seq, opts.minPolicySeq ?? 0));
    const meZ = toZ32(me.publicKey);
    const wtag = writerTag(space, meZ, index.device);
    // Our own head must be where we left it: ahead means another copy of this index pushed, behind means rollback.
    const headFile = await store.read(`head/${wtag}`);
    if (headFile) {
      const h = checkHead(headFile, wtag, space, access.metaSecrets);
      if (h.seq !== index.seq || h.batch !== index.hash) {
        throw authError('ERR_CTX_ROLLBACK', `this device's log on the store is at ${h.seq}, the local index at ${index.seq}`, h.seq < index.seq ? 'the store went back in time' : 'another copy of this folder pushed; do not copy .cckit/index between machines');
      }
    } else if (index.seq > 0) {
      throw new CliError('ERR_CTX_WITHHELD', `this device's log head is missing from the store (withheld)`, EXIT.NOT_FOUND);
    }
    trace('push: access checked');
    const files = opts.only?.listing ?? (await listing!);
    trace('push: folder listed');
    const found = findChanges(files, index, opts.only?.paths);
    const { touched } = found;
    // A file whose path a space cannot hold would fail every reader's pull: left out, and said so.
    const changes = found.changes.filter((c) => isFilePath(c.path));
    if (changes.length < found.changes.length) {
      const out = found.changes.filter((c) => !isFilePath(c.path)).map((c) => JSON.stringify(c.path).slice(1, -1));
      opts.log?.(`${out.length} file${out.length === 1 ? '' : 's'} left out: a shared name cannot hold control characters or a backslash, nor start in .cckit-incoming- (where pulls stage files) (${out.slice(0, 3).join(', ')}${out.length > 3 ? ', …' : ''})`);
    }
    trace('push: changes found');
    for (const [p, t] of touched) index.files.set(p, { ...index.files.get(p)!, mtime: t.mtime });
    const pulled = readReaderState(toZ32(owner));
    const denied = changes.find((c) => !access.writeZones.has(zoneFor(access.policy.zones, c.path).id));
    if (denied) {
      const z = zoneFor(access.policy.zones, denied.path);
      throw authError('ERR_CTX_NOT_WRITER', `${formatPubkey(me.publicKey)} may not write ${denied.path} (zone ${z.path})`, `ask the owner (${fingerprint(owner)}) for w on ${z.path}, or move the file out of ${dir}`);
    }
    const now = opts.now ?? Math.floor(Date.now() / 1000);
    const staged: { key: string; path: string }[] = [];
    const entries: BatchEntry[] = [];
    const versions = new Map<string, string>();
    let bytes = 0;
    // Small files: read, seal and put several at a time (latency bound); large ones streamed through a staged file.
    const changed = (c: Change) => new CliError('ERR_CTX_FILE_CHANGED', `${c.path} changed while it was being pushed`, EXIT.FAILURE, 'run cc-context push again');
    const isSmall = (c: Change) => c.local === null || c.size <= SMALL_OBJECT;
    const header = (c: Change) => {
      const prev = index.files.get(c.path)?.version ?? pulled?.files[c.path]?.version ?? null;
      return { path: c.path, size: c.size, mtime: c.mtime, sha256: c.sha256, prev, ...(c.kind === 'deleted' ? { deleted: true } : {}) };
    };
    const sealJob = (c: Change): SealJob => ({ kind: 'seal', local: c.local, header: header(c), recipient: Buffer.from(zoneFor(access.policy.zones, c.path).recipient, 'base64'), outRoot });
    const sealOne = async (c: Change): Promise<{ key: string; path: string | null; entry: BatchEntry }> => {
      const zone = zoneFor(access.policy.zones, c.path);
      const recipient = Buffer.from(zone.recipient, 'base64');
      if (c.local === null || isSmall(c)) {
        let o: SealDone;
        try {
          const done = presealed?.get(c);
          if (done && 'err' in done) throw done.err;
          // Straight into the store's folder (or the upload staging), no copy through the store API.
          o = done ? done.ok : runObjectJob(sealJob(c));
        } catch (err) {
          if (err instanceof CliError) throw err;
          if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') throw changed(c); // gone since the scan
          throw new CliError('ERR_STORE', `${c.path}: ${(err as Error).message}`, EXIT.FAILURE);
        }
        c.sha256 = o.sha256;
        const key = objectKey(o.hash);
        if (!presealed?.has(c)) put.push(key); // (a thread's objects are listed already)
        if (o.data) await store.putObject(key, o.data);
        return { key, path: null, entry: { z: zone.id, e: zone.epoch, o: o.hash, n: o.size } };
      }
      const tmp = store.stageFile();
      temps.push(tmp);
      if (c.sha256 === '') c.sha256 = hashFile(c.local);
      const { hash, size } = sealObject(c.local, header(c), recipient, tmp);
      return { key: objectKey(hash), path: tmp, entry: { z: zone.id, e: zone.epoch, o: hash, n: size } };
    };
    let sealed: { key: string; path: string | null; entry: BatchEntry }[];
    const temps: string[] = [];
    const put: string[] = [];
    const outRoot = store.objectRoot();
    // Many small files: sealed on every core first (object-threads.ts), then collected in order below.
    let presealed: Map<Change, JobOutcome<SealDone>> | undefined;
    try {
      const small = changes.filter(isSmall);
      // Many objects: libsodium's X25519 on this thread too. node:crypto's safe way to make an
      // ephemeral key costs ~0.6 ms (lib/identity/ed25519.ts); loading sodium-native ~35 ms once.
      if (small.length >= LOCK_FREE_FROM) useLockFreeCrypto();
      const threads = threadsFor(small.length);
      if (threads > 1) {
        const outcomes = await runMany<SealDone>(small.map(sealJob), threads);
        presealed = new Map();
        small.forEach((c, i) => {
          const o = outcomes[i];
          if (!o) return; // its thread stopped at an error before it
          presealed!.set(c, o);
          if ('ok' in o) put.push(objectKey(o.ok.hash)); // for the clean-up, should another one fail
        });
      }
      sealed = await inPool(changes, IO_PARALLEL, sealOne);
    } catch (err) {
      // Nothing half-made is left in the store.
      for (const t of temps) rmSync(t, { force: true });
      await store.removeMany(put).catch(() => {});
      throw err;
    }
    for (const [i, c] of changes.entries()) {
      if (sealed[i].path !== null) staged.push({ key: sealed[i].key, path: sealed[i].path! });
      entries.push(sealed[i].entry);
      versions.set(c.path, sealed[i].entry.o);
      bytes += sealed[i].entry.n;
    }
    const result: PushResult = {
      space,
      store: cfg.store,
      seq: index.seq,
      pushed: changes.filter((c) => c.kind !== 'deleted').length,
      deleted: changes.filter((c) => c.kind === 'deleted').length,
      bytes,
      unchanged: changes.length === 0,
      paths: changes.map((c) => ({ path: c.path, change: c.kind })),
    };
    if (changes.length > 0) {
      trace('push: objects sealed');
      store.putDone(put);
      await store.commit(staged); // the large objects (and, on a remote, the small ones put so far)
      const seq = index.seq + 1;
      const hash = await appendBatch(
        store,
        me,
        { v: 1, space, writer: meZ, device: index.device, wtag, seq, prev: index.hash, policy: access.policy.seq, time: now, entries },
        metaRecipient(access.policy),
      );
      index.seq = seq;
      index.hash = hash;
      for (const c of changes) {
        index.files.set(c.path, { size: c.size, mtime: c.mtime, sha256: c.sha256, version: versions.get(c.path)!, ...(c.kind === 'deleted' ? { deleted: true } : {}) });
      }
      result.seq = seq;
    }
    // Nothing pushed, no new mtimes, same policy: the index on disk is already right.
    if (changes.length > 0 || touched.size > 0 || index.policy_seq !== access.policy.seq) {
      trace('push: batch appended');
      index.policy_seq = access.policy.seq;
      writeIndex(dir, index);
      trace('push: index written');
    }
    if (opts.dht && meZ === toZ32(owner) && index.hash) {
      const { freshnessValue, publishFreshness } = await import('./freshness.ts');
      result.freshness = freshnessValue(space, index.seq, index.hash);
      await publishFreshness(me, result.freshness, opts.log ?? (() => {}));
    }
    return result;
  } finally {
    try {
      await store.release();
    } finally {
      unlock();
    }
  }
}
