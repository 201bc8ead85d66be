/**
 * Session carry end to end, for the porcelain: the publisher packs, seals
 * and serves (carry-pack, carry-serve); the picker fetches, verifies and
 * installs (carry-fetch, carry-install). Who may read and fetch:
 *   self   archive sealed to our own X25519 key; fetch with our own key
 *   share  sealed to the peer's key; only the peer's key may fetch
 *   PIN    sealed to a random key `k` carried inside the PIN-encrypted
 *          payload; fetch with a key pair derived from `k` — so exactly the
 *          people who can open the record with the PIN can fetch and read it
 */
import { randomBytes } from 'node:crypto';
import { realpathSync, rmSync, statSync } from 'node:fs';
import { CliError, EXIT } from '../cli/errors.ts';
import { claudeConfigDir } from '../config.ts';
import { identityFromSeed, parsePubkey, x25519Public, x25519Secret, type Identity } from '../identity/identity.ts';
import { x25519PublicFromSecret } from '../age/stream.ts';
import { canonicalDir, projectSlug } from '../claude/slug.ts';
import { findSessionFile, isUuid } from '../claude/sessions.ts';
import { NetNode, identityKeyPair, wipeKeyPair, type NetKeyPair } from '../net/node.ts';
import { fetchSeedFromK, type Carry } from './carry-payload.ts';
import { packSession, type PackedArchive } from './carry-pack.ts';
import { fetchArchive, GrowingFile } from './carry-fetch.ts';
import { installUnpacked, projectFolderFor, stagingPath, unpackStream, type InstallResult } from './carry-install.ts';
import { locateArchive, objectName, openCarryStore, removeArchive, sweepExpired } from './carry-store.ts';
import { rawInput } from '../age/raw.ts';
import type { Opened } from './open.ts';
import { trace } from '../cli/trace.ts';

export type CarryMode = { kind: 'self'; me: Uint8Array } | { kind: 'share'; peer: Uint8Array } | { kind: 'pin' };

export interface PreparedCarry {
  archive: PackedArchive;
  carry: Carry;
  /** The one key the server admits. */
  reader: Uint8Array;
}

/** Who a carry is for: the archive's age recipient, the one key the server admits, and (PIN) the random key `k`. */
export interface CarryKeys {
  recipient: Uint8Array;
  reader: Uint8Array;
  k?: Buffer;
}

/** The keys for `mode`, known before anything is packed (so the server can listen while packing runs). */
export function carryKeys(mode: CarryMode): CarryKeys {
  if (mode.kind === 'pin') {
    const k = randomBytes(32);
    const seed = fetchSeedFromK(k);
    const reader = identityFromSeed(seed).publicKey;
    seed.fill(0);
    return { recipient: x25519PublicFromSecret(k), reader, k };
  }
  const reader = mode.kind === 'self' ? mode.me : mode.peer;
  return { recipient: x25519Public(reader), reader };
}

/** The transcript of session `id` (filed for project `project`), as a real path. */
export function locateSession(id: string, project: string): string {
  const root = `${claudeConfigDir()}/projects`;
  const found = findSessionFile(root, id, project ? projectSlug(canonicalDir(project)) : undefined);
  if (!found) throw new CliError('ERR_NO_SESSION', `session ${id} has no file under ${root}`, EXIT.NOT_FOUND);
  return realpathSync(found.file);
}

/** Pack and seal the session whose transcript is `file` for `keys` (their `k` is left for the caller to zero). */
export async function packCarry(file: string, keys: CarryKeys, to?: { file: string }): Promise<PreparedCarry> {
  const archive = await packSession(file, keys.recipient, to);
  const carry: Carry = { n: archive.n, x: archive.x };
  if (keys.k) carry.k = keys.k.toString('base64url');
  return { archive, carry, reader: keys.reader };
}

/**
 * Pack and seal session `id` (filed for project `project`) for the reader
 * `mode` names (or the `keys` already drawn for it): into the carry folder,
 * or to exactly `to.file` (a store's staging file, --via-store).
 */
export async function prepareCarry(id: string, project: string, mode: CarryMode, to?: { file: string }, keys: CarryKeys = carryKeys(mode)): Promise<PreparedCarry> {
  try {
    return await packCarry(locateSession(id, project), keys, to);
  } finally {
    keys.k?.fill(0);
  }
}

/** Remove a served archive. */
export function discardArchive(archive: PackedArchive): void {
  rmSync(archive.path, { force: true });
}

export interface PickupCarryOptions {
  opened: Opened;
  /** --cwd: the project lives here on this machine. */
  cwd?: string;
  /** Our identity (self/share); not called for a PIN handoff. */
  identity: () => Promise<Identity>;
  onProgress?: (received: number, total: number) => void;
  /** --store: where to look for a --via-store archive instead of the store the payload names. */
  store?: string;
  /** A HyperDHT node the caller started opening (startCarryNode); closed here like our own. */
  node?: Promise<NetNode>;
  /** The publisher has started sending the archive. */
  onSending?: () => void;
}

function isDir(p: string | undefined): p is string {
  if (!p) return false;
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The local project directory a carried session is installed for (checked before any byte is fetched). */
export function carryTargetDir(opened: Opened, cwd?: string): string {
  if (cwd !== undefined) {
    if (!isDir(cwd)) throw new CliError('ERR_NO_DIR', `not a directory: ${cwd}`, EXIT.NOT_FOUND);
    return canonicalDir(cwd);
  }
  const p = opened.payload.p;
  if (isDir(p)) return canonicalDir(p);
  throw new CliError(
    'ERR_NO_PROJECT_DIR',
    `the project directory does not exist here: ${JSON.stringify(String(p).replace(/[\x00-\x1f\x7f]/g, '?'))}`,
    EXIT.NOT_FOUND,
    'check out the project first, or pass --cwd DIR to install and resume the session in your copy of it',
  );
}

/** What a pickup did: the install, where, and whether a burn removed the archive from its store. */
export type PickupResult = InstallResult & { dir: string; removedFromStore?: boolean };

/** Fetch, verify and install a carried session: from the publisher (online) or from the store the payload names (--via-store). */
export async function pickupCarry(o: PickupCarryOptions): Promise<PickupResult> {
  const c = o.opened.payload.c;
  if (!c) throw new Error('pickupCarry: the payload carries no archive');
  const id = o.opened.payload.s;
  if (!isUuid(id)) throw new CliError('ERR_BAD_SESSION_ID', 'the session id in the record is not a UUID; nothing was fetched', EXIT.AUTH);
  const dir = carryTargetDir(o.opened, o.cwd);
  // The archive's age identity, and the key pair the publisher's firewall admits (online only).
  let secret: Uint8Array;
  let keyPair: NetKeyPair | undefined;
  if (c.k) {
    secret = Buffer.from(c.k, 'base64url');
    if (!c.u) {
      const seed = fetchSeedFromK(secret);
      keyPair = identityKeyPair(identityFromSeed(seed));
      seed.fill(0);
    }
  } else {
    const me = await o.identity();
    if (!c.u) keyPair = identityKeyPair(me);
    secret = x25519Secret(me.seed);
    me.seed.fill(0);
  }
  const root = `${claudeConfigDir()}/projects`;
  try {
    if (c.u) return { ...(await pickupFromStore(o, c, secret, projectFolderFor(root, dir), root)), dir };
    const from = parsePubkey(o.opened.from);
    const node = await (o.node ?? NetNode.open());
    trace('hyperdht node ready');
    // Decrypt and unpack while the archive arrives (carry-fetch's GrowingFile).
    const staging = stagingPath(root);
    const tail = new GrowingFile();
    const unpacking = unpackStream(tail, c, secret, id, staging);
    unpacking.catch(() => {}); // awaited below
    let sealed: string;
    try {
      sealed = await fetchArchive(node, { carry: c, from, keyPair: keyPair!, onProgress: o.onProgress, tail, verified: unpacking, onSending: o.onSending });
    } catch (err) {
      tail.fail(err);
      await unpacking.catch(() => {});
      throw err;
    } finally {
      trace('fetched');
      await node.close();
      trace('hyperdht node closed');
    }
    await unpacking;
    trace('unpacked');
    const result = installUnpacked(staging, projectFolderFor(root, dir), id);
    trace('installed');
    rmSync(sealed, { force: true });
    trace('fetched copy removed');
    return { ...result, dir };
  } finally {
    if (keyPair) wipeKeyPair(keyPair);
    secret.fill(0);
  }
}

/** --via-store: read the archive from the store, checking, decrypting and unpacking it in one pass; install; burn. */
async function pickupFromStore(o: PickupCarryOptions, c: Carry, secret: Uint8Array, folder: string, root: string): Promise<InstallResult & { removedFromStore?: boolean }> {
  if (o.opened.expires_at <= Date.now() / 1000) {
    throw new CliError('ERR_EXPIRED', 'the handoff expired; its archive is no longer picked up', EXIT.EXPIRED, 'ask for a new handoff');
  }
  const name = objectName(o.opened.expires_at, c.x);
  const store = await openCarryStore(o.store ?? c.u!);
  try {
    const path = await locateArchive(store, name);
    const staging = stagingPath(root);
    const id = o.opened.payload.s;
    await unpackStream(withProgress(rawInput('cc-pickup', 'archive', path), c.n, o.onProgress), c, secret, id, staging);
    const result = installUnpacked(staging, folder, id);
    let removedFromStore = false;
    if (o.opened.burn) {
      await removeArchive(store, name);
      removedFromStore = true;
    }
    await sweepExpired(store);
    return { ...result, removedFromStore };
  } finally {
    await store.release();
  }
}

/** Report bytes read to a progress callback as they pass. */
async function* withProgress(source: AsyncIterable<Buffer>, total: number, onProgress?: (done: number, total: number) => void): AsyncGenerator<Buffer> {
  let done = 0;
  for await (const chunk of source) {
    done += chunk.length;
    onProgress?.(Math.min(done, total), total);
    yield chunk;
  }
}
