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
import { fetchArchive } from './carry-fetch.ts';
import { installUnpacked, projectFolderFor, stagingPath, unpackArchive, type InstallResult } from './carry-install.ts';
import type { Opened } from './open.ts';

export type CarryMode = { kind: 'self'; me: Uint8Array } | { kind: 'share'; peer: Uint8Array } | { kind: 'pin' };

export interface PreparedCarry {
  archive: PackedArchive;
  carry: Carry;
  /** The one key the server admits. */
  reader: Uint8Array;
}

/** Pack and seal session `id` (filed for project `project`) for the reader `mode` names. */
export async function prepareCarry(id: string, project: string, mode: CarryMode): Promise<PreparedCarry> {
  const root = `${claudeConfigDir()}/projects`;
  const found = findSessionFile(root, id, project ? projectSlug(canonicalDir(project)) : undefined);
  if (!found) throw new CliError('ERR_NO_SESSION', `session ${id} has no file under ${root}`, EXIT.NOT_FOUND);
  const file = realpathSync(found.file);
  let recipient: Uint8Array;
  let reader: Uint8Array;
  let k: Buffer | undefined;
  if (mode.kind === 'pin') {
    k = randomBytes(32);
    recipient = x25519PublicFromSecret(k);
    const seed = fetchSeedFromK(k);
    reader = identityFromSeed(seed).publicKey;
    seed.fill(0);
  } else {
    reader = mode.kind === 'self' ? mode.me : mode.peer;
    recipient = x25519Public(reader);
  }
  const archive = await packSession(file, recipient);
  const carry: Carry = { n: archive.n, x: archive.x };
  if (k) {
    carry.k = k.toString('base64url');
    k.fill(0);
  }
  return { archive, carry, reader };
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

/** Fetch, verify and install a carried session; returns what was installed where. */
export async function pickupCarry(o: PickupCarryOptions): Promise<InstallResult & { dir: string }> {
  const c = o.opened.payload.c;
  if (!c) throw new Error('pickupCarry: the payload carries no archive');
  if (!isUuid(o.opened.payload.s)) throw new CliError('ERR_BAD_SESSION_ID', 'the session id in the record is not a UUID; nothing was fetched', EXIT.AUTH);
  const dir = carryTargetDir(o.opened, o.cwd);
  const from = parsePubkey(o.opened.from);
  let keyPair: NetKeyPair;
  let secret: Uint8Array;
  if (c.k) {
    const k = Buffer.from(c.k, 'base64url');
    const seed = fetchSeedFromK(k);
    keyPair = identityKeyPair(identityFromSeed(seed));
    seed.fill(0);
    secret = k;
  } else {
    const id = await o.identity();
    keyPair = identityKeyPair(id);
    secret = x25519Secret(id.seed);
    id.seed.fill(0);
  }
  try {
    const node = await NetNode.open();
    let sealed: string;
    try {
      sealed = await fetchArchive(node, { carry: c, from, keyPair, onProgress: o.onProgress });
    } finally {
      await node.close();
    }
    const root = `${claudeConfigDir()}/projects`;
    const staging = stagingPath(root);
    await unpackArchive(sealed, secret, o.opened.payload.s, staging);
    const result = installUnpacked(staging, projectFolderFor(root, dir), o.opened.payload.s);
    rmSync(sealed, { force: true });
    return { ...result, dir };
  } finally {
    wipeKeyPair(keyPair);
    secret.fill(0);
  }
}
