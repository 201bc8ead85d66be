/**
 * A space's identity and the local files that remember it. On the store,
 * `cckit-space.json` is `{v, space, sig}`: the owner's signature over the
 * space id, checked against the OWNER a peer names (so the owner's key is
 * not written in clear). Locally, `DIR/.cckit/space.json` says which space a
 * working folder pushes to (and `index`, push-index.ts, what this device pushed last).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { authError, CliError, EXIT, notFound } from '../cli/errors.ts';
import { sign, verify, type Identity } from '../identity/identity.ts';
import { writeFileAtomic } from '../secure-file.ts';
import type { Store } from './store.ts';

/** The local record of a space in a working folder. */
export interface SpaceConfig {
  v: 1;
  space: string;
  owner: string; // pk:…
  store: string;
  role: 'owner' | 'writer';
}

/** `DIR/.cckit` */
export function metaDir(dir: string): string {
  return join(dir, '.cckit');
}

function readJsonFile<T>(path: string, what: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CliError('ERR_CTX_LOCAL', `cannot parse ${what} ${path}`, EXIT.FAILURE, 'the file is corrupt; restore it or run cc-context init again');
  }
}

/** The space config of a working folder (exit 3 when it is not one). */
export function readSpaceConfig(dir: string): SpaceConfig {
  const c = readJsonFile<SpaceConfig>(join(metaDir(dir), 'space.json'), 'space config');
  if (!c) throw notFound('ERR_CTX_NO_SPACE', `${dir} is not a shared space`, "run 'cc-context init DIR --store STORE' (owner) or 'cc-context push DIR --space OWNER' (a peer with w)");
  if (c.v !== 1 || typeof c.space !== 'string' || typeof c.store !== 'string' || typeof c.owner !== 'string') {
    throw new CliError('ERR_CTX_LOCAL', `bad space config in ${metaDir(dir)}`, EXIT.FAILURE);
  }
  return c;
}

/** Is `dir` already a space? */
export function isSpace(dir: string): boolean {
  return existsSync(join(metaDir(dir), 'space.json'));
}

/** Write the space config. */
export function writeSpaceConfig(dir: string, c: SpaceConfig): void {
  writeFileAtomic(join(metaDir(dir), 'space.json'), Buffer.from(JSON.stringify(c, null, 1) + '\n'), { mode: 0o600, overwrite: true });
}

function spaceSignable(space: string): Buffer {
  return Buffer.from(`cckit/ctx/v1/space\n${space}`, 'utf8');
}

/** A fresh space id. */
export function newSpaceId(): string {
  return randomBytes(16).toString('hex');
}

/** Write `cckit-space.json` for a new space. */
export async function writeSpaceFile(store: Store, space: string, owner: Identity): Promise<void> {
  const sig = Buffer.from(sign(owner, spaceSignable(space))).toString('base64');
  await store.write('cckit-space.json', Buffer.from(JSON.stringify({ v: 1, space, sig }) + '\n'));
}

/** Read `cckit-space.json` and check the owner signed it; returns the space id. */
export async function readSpaceFile(store: Store, owner: Uint8Array): Promise<string> {
  const data = await store.read('cckit-space.json');
  if (!data) throw notFound('ERR_CTX_NO_STORE_SPACE', `no space at ${store.spec}`, 'check the store path, or ask the owner to run cc-context push');
  let doc: { v?: unknown; space?: unknown; sig?: unknown };
  try {
    doc = JSON.parse(data.toString('utf8'));
  } catch {
    throw authError('ERR_CTX_MALFORMED', 'cckit-space.json is malformed');
  }
  if (doc.v !== 1 || typeof doc.space !== 'string' || !/^[0-9a-f]{32}$/.test(doc.space) || typeof doc.sig !== 'string') {
    throw authError('ERR_CTX_MALFORMED', 'cckit-space.json is malformed');
  }
  const sig = Buffer.from(doc.sig, 'base64');
  if (sig.length !== 64 || !verify(owner, spaceSignable(doc.space), sig)) {
    throw authError('ERR_CTX_NOT_OWNER', 'the space at this store is not owned by that key', 'check OWNER and --store');
  }
  return doc.space;
}
