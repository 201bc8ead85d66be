/**
 * The owner's secret key material for a space (`DIR/.cckit/keys.json`,
 * 0600): per zone an X25519 keypair per epoch, the metadata key per epoch,
 * and who could read what at the last compile (to know when to start a new
 * epoch). Never leaves the owner's machine except inside grants.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic } from '../secure-file.ts';
import { CliError, EXIT } from '../cli/errors.ts';

/** One epoch's secret (raw X25519, base64). */
export interface EpochKey {
  epoch: number;
  secret: string;
}

/** The owner's key file for one space. */
export interface OwnerKeys {
  v: 1;
  policy_seq: number;
  meta: EpochKey[];
  zones: Record<string, { id: string; epochs: EpochKey[] }>;
  readers: Record<string, string[]>;
  members: string[];
  revoked: string[];
  /** zone path → writers at the last compile, and writers removed since (→ the policy seq that removed them). */
  writers?: Record<string, string[]>;
  retired?: Record<string, Record<string, number>>;
  /** The latest compaction snapshot, named by every later policy. */
  snapshot?: { seq: number; hash: string };
}

/** A fresh epoch key. */
export function newEpochKey(epoch: number): EpochKey {
  return { epoch, secret: randomBytes(32).toString('base64') };
}

/** Empty key material for a new space. */
export function emptyKeys(): OwnerKeys {
  return { v: 1, policy_seq: 0, meta: [newEpochKey(1)], zones: {}, readers: {}, members: [], revoked: [] };
}

/** Read keys.json (exit 3 when missing: not the owner's machine). */
export function readOwnerKeys(path: string): OwnerKeys {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new CliError('ERR_NOT_OWNER', `no owner keys at ${path}`, EXIT.NOT_FOUND, 'grant and revoke run on the machine where the space was created (cc-context init)');
  }
  try {
    const k = JSON.parse(text) as OwnerKeys;
    if (k.v !== 1 || !Array.isArray(k.meta) || typeof k.zones !== 'object') throw new Error('shape');
    return k;
  } catch {
    throw new CliError('ERR_KEYS_FILE', `cannot parse ${path}`, EXIT.FAILURE);
  }
}

/** Write keys.json atomically, mode 0600. */
export function writeOwnerKeys(path: string, keys: OwnerKeys): void {
  writeFileAtomic(path, Buffer.from(JSON.stringify(keys, null, 1) + '\n'), { mode: 0o600, overwrite: true });
}

/** The latest epoch key of a list. */
export function latest(keys: EpochKey[]): EpochKey {
  return keys.reduce((a, b) => (b.epoch > a.epoch ? b : a));
}
