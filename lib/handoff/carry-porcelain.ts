/**
 * The human side of session carry for cc-handoff and cc-pickup: the
 * plumbing stages (cc-session, cc-seal, cc-dht-put) run as in a plain
 * handoff, and this adds the pack/serve and fetch/install steps between
 * them, progress on a terminal, and saying which copy is which.
 */
import { CliError, EXIT } from '../cli/errors.ts';
import { warn } from '../cli/run.ts';
import { loadMyIdentity } from '../identity/unlock.ts';
import { identityFromSeed } from '../identity/identity.ts';
import { identityKeyPair, NetNode, wipeKeyPair, type NetKeyPair } from '../net/node.ts';
import { resolvePeer } from '../pair/peers.ts';
import { pipeline, type StartedStage } from './pipeline.ts';
import { describeExpiry } from './text.ts';
import { carryKeys, discardArchive, locateSession, packCarry, pickupCarry, prepareCarry, type CarryKeys, type CarryMode, type PickupCarryOptions } from './carry-flow.ts';
import { currentSession } from '../claude/current.ts';
import { realpathSync } from 'node:fs';
import { listenArchive, serveUntil, type ArchiveServer } from './carry-serve.ts';
import type { Opened } from './open.ts';
import { rmSync } from 'node:fs';
import { showUntrusted } from '../cli/untrusted-text.ts';
import { trace } from '../cli/trace.ts';
import { carryStoreSpec, objectName, openCarryStore, putArchive, removeArchive, sweepExpired } from './carry-store.ts';

/** "12.3 MB" */
export function megabytes(n: number): string {
  return `${(n / 1e6).toFixed(n < 1e5 ? 2 : 1)} MB`;
}

/** A progress line on stderr, only on a terminal, at most five times a second. */
export function progressLine(verb: string): ((done: number, total: number) => void) & { end(): void } {
  let last = 0;
  let shown = false;
  const tty = process.stderr.isTTY === true;
  const fn = ((done: number, total: number) => {
    if (!tty) return;
    const now = Date.now();
    if (now - last < 200 && done < total) return;
    last = now;
    shown = true;
    const pct = total ? Math.floor((done * 100) / total) : 100;
    process.stderr.write(`\r${verb} ${megabytes(done)} of ${megabytes(total)} (${pct}%)\x1b[K`);
  }) as ((done: number, total: number) => void) & { end(): void };
  fn.end = () => {
    if (shown) process.stderr.write('\n');
    shown = false;
  };
  return fn;
}

export interface HandoffCarryOptions {
  /** cc-session's answer, or the cc-session stage still running. */
  session: Session | Promise<Session>;
  /**
   * cc-session was asked for the current session (no id named): start
   * packing the session it will most likely name (lib/claude/current.ts,
   * the same choice) while it runs, and keep that archive only if it names
   * that very file.
   */
  guessSession?: boolean;
  /** The cc-seal stage as cc-handoff built it (--ttl, --to, --pin, --burn…). */
  seal: string[];
  transport: string[];
  /** The seed the porcelain unlocked once (undefined: a plaintext key, loaded here). */
  key?: Uint8Array;
  share?: string;
  pin: boolean;
  burn: boolean;
  json: boolean;
  /** --via-store: put the archive in a store and return instead of serving it. */
  viaStore?: boolean;
  /** --store STORE (else the configured or the project's cc-context store). */
  store?: string;
  /**
   * The cc-seal stage (o.seal) and `cc-dht-put` (o.transport) already
   * started by the caller, waiting for their input (pipeline.ts startStage),
   * so their start-up overlaps the packing; run as stages otherwise.
   */
  ahead?: { seal?: StartedStage; put?: StartedStage };
}

/** Run the seal and put stages: the ones started ahead, else now. */
function sealStage(o: HandoffCarryOptions, input: string): Promise<string> {
  return o.ahead?.seal ? o.ahead.seal.run(input) : pipeline([o.seal], { key: o.key, input });
}
function putStage(o: HandoffCarryOptions, input: string): Promise<string> {
  return o.ahead?.put ? o.ahead.put.run(input) : pipeline([['cc-dht-put', ...o.transport]], { key: o.key, input });
}

type Session = { s: string; h: string; p: string };

/** The transcript currentSession() names, or undefined (no guess: cc-session decides alone). */
function guessedSessionFile(): string | undefined {
  try {
    const found = currentSession();
    return found ? realpathSync(found.session.file) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Pack and seal the session cc-session names, for `keys`. With `guess`, the
 * packing of the guessed transcript starts at once, and is what is used when
 * cc-session names that file; otherwise it is discarded and the named one
 * packed. `keys.k` (PIN) is zeroed once the archive is chosen.
 */
async function packNamedSession(session: Promise<Session>, keys: CarryKeys, guess: string | undefined) {
  const early = guess ? packCarry(guess, keys) : undefined;
  early?.catch(() => {}); // used, or discarded, below
  try {
    const s = await session;
    const file = locateSession(s.s, s.p);
    if (early && file === guess) {
      trace('cc-session named the guessed session');
      return await early;
    }
    if (early) void early.then((p) => discardArchive(p.archive), () => {});
    trace(early ? 'guessed another session: packing the one named' : 'packing');
    return await packCarry(file, keys);
  } catch (err) {
    if (early) void early.then((p) => discardArchive(p.archive), () => {});
    throw err;
  } finally {
    keys.k?.fill(0);
  }
}

/** What cc-handoff --carry prints (as JSON with --json) once the record is published, served or stored. */
function publishedSummary(
  o: HandoffCarryOptions,
  session: { s: string; h: string; p: string },
  rec: { created_at: number; ttl: number },
  put: { pubkey: unknown; stored: unknown },
  carry: Record<string, unknown>,
) {
  const pubkey = `pk:${String(put.pubkey).replace(/^pk:/, '')}`;
  const mode: 'share' | 'pin' | 'self' = o.share ? 'share' : o.pin ? 'pin' : 'self';
  return {
    pubkey,
    session: session.s,
    project: session.p,
    host: session.h,
    mode,
    to: o.share ?? null,
    created_at: rec.created_at,
    expires_at: rec.created_at + rec.ttl,
    burn: o.burn,
    pickup: `cc-pickup ${pubkey}`,
    stored: put.stored,
    carry,
  };
}

/** cc-handoff --carry: pack, seal, publish, serve until picked up / expired / Ctrl-C. */
export async function handoffWithCarry(o: HandoffCarryOptions): Promise<number> {
  const sessionP = Promise.resolve(o.session);
  sessionP.catch(() => {}); // awaited below
  let keyPair: NetKeyPair;
  let mode: CarryMode;
  try {
    // A copy: the seed is zeroed below, and o.key still goes to the stages.
    const id = o.key ? identityFromSeed(Uint8Array.from(o.key)) : await loadMyIdentity();
    keyPair = identityKeyPair(id);
    mode = o.pin ? { kind: 'pin' } : o.share ? { kind: 'share', peer: await resolvePeer(o.share) } : { kind: 'self', me: id.publicKey };
    id.seed.fill(0);
  } catch (err) {
    await sessionP; // a failed cc-session is the one error to report
    throw err;
  }
  if (o.viaStore) {
    wipeKeyPair(keyPair);
    return handoffViaStore({ ...o, session: await sessionP }, mode);
  }
  // Bootstrapping HyperDHT and listening on our key (on a real network the
  // announcement takes seconds) run while the session is packed and sealed;
  // the record is published only once both are done, so whoever finds it can
  // fetch the archive at once.
  const nodeReady = NetNode.open();
  nodeReady.then(() => trace('hyperdht node bootstrapped'), () => {});
  const keys = carryKeys(mode);
  const packing = packNamedSession(sessionP, keys, o.guessSession ? guessedSessionFile() : undefined);
  packing.catch(() => {}); // awaited below
  const progress = progressLine('sent');
  const listening = nodeReady.then((node) => listenArchive(node, { archive: packing.then((p) => p.archive), keyPair, reader: keys.reader, onProgress: progress }));
  listening.catch(() => {}); // awaited below
  const closeNode = async () => {
    await listening.then((s) => s.close(), () => {});
    await nodeReady.then((n) => n.close(), () => {});
    trace('hyperdht node closed');
  };
  let prepared: Awaited<ReturnType<typeof prepareCarry>>;
  try {
    prepared = await packing;
    trace('archive packed and sealed');
  } catch (err) {
    wipeKeyPair(keyPair);
    // Not awaited: the bootstrap may still be under way (offline, up to its
    // timeout), and a command that failed exits at once (lib/cli/run.ts).
    void closeNode();
    throw err;
  }
  const ac = new AbortController();
  const stop = () => ac.abort();
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, stop);
  try {
    const session = await sessionP;
    const payload = { h: session.h, p: session.p, s: session.s, c: prepared.carry };
    const record = await sealStage(o, JSON.stringify(payload));
    const rec = JSON.parse(record);
    const expiresAt = rec.created_at + rec.ttl;
    const server: ArchiveServer = await listening;
    const end = await serveUntil(server, {
      expiresAt,
      signal: ac.signal,
      onListening: async () => {
        const put = JSON.parse(await putStage(o, record));
        const summary = publishedSummary(o, session, rec, put, { bytes: prepared.carry.n, sha256: prepared.carry.x });
        const { pubkey, mode } = summary;
        if (o.json) {
          process.stdout.write(JSON.stringify(summary) + '\n');
          return;
        }
        const who = mode === 'share' ? `only ${o.share} can fetch and open it` : mode === 'pin' ? 'anyone with the PIN can fetch and open it' : 'any machine with your key can fetch and open it';
        process.stdout.write(
          `Published session ${session.s}, carrying its files (${megabytes(prepared.carry.n)} sealed)\n` +
            `  project ${session.p} on ${session.h}\n` +
            `  ${who}; ${describeExpiry(expiresAt)}${o.burn ? '; removed after the first pickup' : ''}\n` +
            `Run on the other machine:\n  ${summary.pickup}\n` +
            `Serving the session until it is picked up (Ctrl-C stops)…\n`,
        );
      },
    });
    progress.end();
    trace(`serving ended: ${end}`);
    if (end === 'picked-up' && o.burn) {
      await pipeline([['cc-dht-put', '--revoke', ...o.transport]], { key: o.key });
    }
    if (o.json) process.stdout.write(JSON.stringify({ carry: end }) + '\n');
    else if (end === 'picked-up') process.stdout.write(`Picked up: the session was fetched and checked by the other machine${o.burn ? '; the record was removed' : ''}.\n`);
    if (end === 'expired') throw new CliError('ERR_CARRY_EXPIRED', 'the handoff expired before anyone picked the session up', EXIT.EXPIRED, 'hand it off again');
    if (end === 'stopped') {
      throw new CliError('ERR_CARRY_STOPPED', 'stopped serving before anyone picked the session up', EXIT.FAILURE, "the record stays published but can no longer be fetched: 'cc-handoff --revoke' withdraws it");
    }
    return 0;
  } finally {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(sig, stop);
    discardArchive(prepared.archive);
    wipeKeyPair(keyPair);
    await closeNode();
  }
}

/**
 * cc-handoff --carry --via-store: seal the record, put the sealed archive in
 * the store, publish the record, and return: nothing needs to stay up.
 */
async function handoffViaStore(o: HandoffCarryOptions & { session: Session }, mode: CarryMode): Promise<number> {
  const store = await openCarryStore(await carryStoreSpec(o.store, o.session.p));
  try {
    const staged = store.stageFile();
    const prepared = await prepareCarry(o.session.s, o.session.p, mode, { file: staged });
    let committed = false;
    let name = '';
    try {
      const carry = { ...prepared.carry, u: store.spec };
      const payload = { h: o.session.h, p: o.session.p, s: o.session.s, c: carry };
      const record = await sealStage(o, JSON.stringify(payload));
      const rec = JSON.parse(record);
      const expiresAt = rec.created_at + rec.ttl;
      name = objectName(expiresAt, carry.x);
      await putArchive(store, staged, name);
      committed = true;
      const put = JSON.parse(await putStage(o, record));
      await sweepExpired(store);
      const summary = publishedSummary(o, o.session, rec, put, { bytes: carry.n, sha256: carry.x, store: carry.u, object: `carry/${name}` });
      const { pubkey, mode: modeName } = summary;
      if (o.json) {
        process.stdout.write(JSON.stringify(summary) + '\n');
        return 0;
      }
      const who = modeName === 'share' ? `only ${showUntrusted(o.share!)} can open it` : modeName === 'pin' ? 'anyone with the PIN can open it' : 'any machine with your key can open it';
      process.stdout.write(
        `Published session ${showUntrusted(o.session.s)}, its files sealed in the store (${megabytes(carry.n)})\n` +
          `  project ${showUntrusted(o.session.p)} on ${showUntrusted(o.session.h)}\n` +
          `  ${who}; ${describeExpiry(expiresAt)}${o.burn ? '; the stored archive is removed by the first pickup' : ''}\n` +
          `  store ${showUntrusted(store.spec)} (object carry/${name}); you can go offline now\n` +
          `Run on the other machine:\n  ${summary.pickup}\n`,
      );
      return 0;
    } catch (err) {
      rmSync(staged, { force: true });
      if (committed) await removeArchive(store, name).catch(() => {});
      throw err;
    }
  } finally {
    await store.release();
  }
}

/** What cc-pickup says about the install (stderr: stdout is claude's). */
export function describeInstall(r: Awaited<ReturnType<typeof pickupCarry>>, original: string): string {
  switch (r.status) {
    case 'new':
      return `installed the carried session ${r.id} in ${r.file}`;
    case 'updated':
      return `updated your copy of session ${r.id} (it was an earlier state of the carried one): ${r.file}`;
    case 'unchanged':
      return `your copy of session ${r.id} is already the same as the carried one: ${r.file}`;
    case 'kept-both':
      return (
        `your copy of session ${original} has moved on since (it is not an earlier state of the carried one), so both are kept: ` +
        `yours unchanged as ${original} (${r.local}), the carried one as ${r.id} (${r.file}), which is the one resumed`
      );
  }
}

/**
 * For a carry served by its publisher (not a --via-store one), start
 * bootstrapping the HyperDHT node the fetch will dial from, so it runs while
 * cc-pickup does the rest (the confirmation, the key). Undefined otherwise.
 */
export function startCarryNode(handoff: Opened): Promise<NetNode> | undefined {
  if (!handoff.payload.c || handoff.payload.c.u) return undefined;
  trace('carry: opening hyperdht node');
  const node = NetNode.open();
  node.then(() => trace('hyperdht node bootstrapped'), () => {});
  return node;
}

/** cc-pickup, carry part: fetch, verify, install; returns what cc-resume should get on stdin. */
export async function fetchCarried(
  handoff: Opened,
  cwd: string | undefined,
  key?: Uint8Array,
  store?: string,
  more: Pick<PickupCarryOptions, 'node' | 'onSending'> = {},
): Promise<string> {
  const progress = progressLine('received');
  const r = await pickupCarry({
    ...more,
    opened: handoff,
    cwd,
    store,
    identity: async () => (key ? identityFromSeed(Uint8Array.from(key)) : loadMyIdentity()),
    onProgress: progress,
  }).finally(() => progress.end());
  const line = describeInstall(r, handoff.payload.s);
  if (r.status === 'kept-both') warn('cc-pickup', line);
  else process.stderr.write(`cc-pickup: ${line}\n`);
  if (r.removedFromStore) process.stderr.write('cc-pickup: burned: the sealed archive was removed from the store\n');
  return JSON.stringify({ ...handoff, payload: { h: handoff.payload.h, p: r.dir, s: r.id } });
}
