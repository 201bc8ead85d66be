/**
 * What a reader remembers about a peer's space between pulls
 * (`$XDG_STATE_HOME/cckit/context/<owner>/state.json`): the store, the
 * highest policy seq and per-writer chain position seen (regressions are
 * refused), and each path's current version with its known ancestors (for
 * conflict detection).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../config.ts';
import { CliError, EXIT } from '../cli/errors.ts';
import { writeFileAtomic } from '../secure-file.ts';

/** A path's current version as this reader knows it. */
export interface KnownFile {
  version: string;
  sha256: string;
  size: number;
  writer: string;
  time: number;
  deleted?: boolean;
  /** Versions this one descends from (bounded). */
  ancestors: string[];
}

/** The reader's memory of one owner's space. */
export interface ReaderState {
  v: 1;
  owner: string;
  space: string;
  store: string;
  into: string;
  policy_seq: number;
  writers: Record<string, { seq: number; hash: string; writer: string }>;
  files: Record<string, KnownFile>;
  /** The compaction snapshot last applied (revoke --reencrypt). */
  snapshot?: { seq: number; hash: string };
}

/** The folder for one owner's pulled space. */
export function ownerStateDir(ownerZ32: string): string {
  return join(stateDir(), 'context', ownerZ32);
}

/** The default folder pulled files land in. */
export function defaultInto(ownerZ32: string): string {
  return join(ownerStateDir(ownerZ32), 'files');
}

/** Read the state for an owner, or undefined before the first pull. */
export function readReaderState(ownerZ32: string): ReaderState | undefined {
  const path = join(ownerStateDir(ownerZ32), 'state.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as ReaderState;
  } catch {
    throw new CliError('ERR_CTX_LOCAL', `cannot parse ${path}`, EXIT.FAILURE, 'remove it to pull from scratch (rollback protection starts over)');
  }
}

/** Save the state atomically (the last step of a pull). */
export function writeReaderState(ownerZ32: string, s: ReaderState): void {
  writeFileAtomic(join(ownerStateDir(ownerZ32), 'state.json'), Buffer.from(JSON.stringify(s) + '\n'), { mode: 0o600, overwrite: true });
}
