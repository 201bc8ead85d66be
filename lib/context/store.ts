/**
 * The store abstraction (DESIGN.md §9): a dumb place for files, written once
 * except single-writer heads. A spec is a folder path or `rclone:REMOTE:PATH`.
 * Small files (heads, policy, batches) go through read/write; objects are
 * staged as local files and moved in bulk, so a push of 10,000 files is one
 * rclone run, not 10,000.
 */
import { usageError } from '../cli/errors.ts';
import { resolve } from 'node:path';

/** What every store offers. Keys are `/`-separated relative paths. */
export interface Store {
  /** The spec this store was opened from (what `pull` remembers). */
  readonly spec: string;
  /** A small file, or null when it does not exist. */
  read(key: string): Promise<Buffer | null>;
  /** Write a small file (replacing it). */
  write(key: string, data: Uint8Array): Promise<void>;
  /** All keys under a prefix folder (recursively), sorted. */
  list(prefix: string): Promise<string[]>;
  /** Remove a file if present. */
  remove(key: string): Promise<void>;
  /** Remove many files (missing ones are fine): one bulk operation, not one per file. */
  removeMany(keys: string[]): Promise<void>;
  /**
   * Put a small object held in memory under its key (its name is the hash of these bytes). It is
   * visible at the latest after `commit`; until a batch names it, nobody reads it, so a folder
   * store writes it in place (no temp and rename per object).
   */
  putObject(key: string, data: Uint8Array): Promise<void>;
  /**
   * A local folder that worker threads may write small objects into directly: key `o/aa/HASH`
   * goes to `ROOT/o/aa/HASH` (whoever writes makes a missing `o/aa` folder). Report what was
   * written with `putDone` before `commit`.
   */
  objectRoot(): string;
  /** Objects written under `objectRoot` (they go up with the next `commit`). */
  putDone(keys: string[]): void;
  /** A fresh local temporary file to write a new object to; pass it to `commit` afterwards. */
  stageFile(): string;
  /** Make staged objects visible in the store under their keys. */
  commit(staged: { key: string; path: string }[]): Promise<void>;
  /** Local paths of the given keys (missing ones absent); `release` when done with them. */
  fetch(keys: string[]): Promise<Map<string, string>>;
  /** Forget temporary files. */
  release(): Promise<void>;
}

/** Open a store from its spec: `rclone:REMOTE:PATH` or a folder path. */
export async function openStore(spec: string): Promise<Store> {
  if (spec.startsWith('rclone:')) {
    const rest = spec.slice('rclone:'.length);
    if (!/^[A-Za-z0-9_.-]+:/.test(rest)) {
      throw usageError(`bad store '${spec}'`, 'an rclone store looks like rclone:REMOTE:PATH (the remote from rclone config or RCLONE_CONFIG_* env)');
    }
    const { RcloneStore } = await import('./store-rclone.ts');
    return new RcloneStore(spec, rest);
  }
  if (spec === '' || spec.includes('\0')) throw usageError('empty store path');
  const { FolderStore } = await import('./store-folder.ts');
  return new FolderStore(spec.startsWith('/') ? spec : resolve(spec));
}

/** Check a store key is a plain relative path (defence against a hostile listing). */
export function checkKey(key: string): string {
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(key) || key.split('/').some((p) => p === '..' || p === '.')) {
    throw new Error(`bad store key '${key}'`);
  }
  return key;
}
