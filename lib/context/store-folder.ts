/**
 * A folder store: any directory (local disk, NFS, a Syncthing or git
 * folder). Writes go through a temporary file and a rename, so a reader
 * never sees half a file.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, rename, rm } from 'node:fs';
import { dirname, join } from 'node:path';
import { inPool } from './pool.ts';
import { randomBytes } from 'node:crypto';
import { CliError, EXIT } from '../cli/errors.ts';
import { checkKey, type Store } from './store.ts';

// Callback fs in a promise: node:fs/promises loads readline and more at start-up (~5 ms of every push).
const renameAsync = (from: string, to: string) => new Promise<void>((res, rej) => rename(from, to, (err) => (err ? rej(err) : res())));
const rmAsync = (path: string) => new Promise<void>((res, rej) => rm(path, { force: true }, (err) => (err ? rej(err) : res())));
import { writeNew } from './file-io.ts';

/** A store in a local folder. */
export class FolderStore implements Store {
  constructor(readonly root: string) {}

  get spec(): string {
    return this.root;
  }

  private path(key: string): string {
    return join(this.root, checkKey(key));
  }

  async read(key: string): Promise<Buffer | null> {
    try {
      return readFileSync(this.path(key));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw storeError(this.root, err);
    }
  }

  async write(key: string, data: Uint8Array): Promise<void> {
    const p = this.path(key);
    mkdirSync(dirname(p), { recursive: true });
    const tmp = join(dirname(p), `.tmp-${randomBytes(6).toString('hex')}`);
    try {
      writeFileSync(tmp, data);
      renameSync(tmp, p);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw storeError(this.root, err);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = (rel: string) => {
      let entries;
      try {
        entries = readdirSync(join(this.root, rel), { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw storeError(this.root, err);
      }
      for (const e of entries) {
        if (e.name.startsWith('.')) continue; // temporary files
        const k = `${rel}/${e.name}`;
        if (e.isDirectory()) walk(k);
        else if (e.isFile()) out.push(k);
      }
    };
    walk(checkKey(prefix));
    return out.sort();
  }

  async remove(key: string): Promise<void> {
    rmSync(this.path(key), { force: true });
  }

  async removeMany(keys: string[]): Promise<void> {
    try {
      await inPool(keys, 16, (k) => rmAsync(this.path(k)));
    } catch (err) {
      throw storeError(this.root, err);
    }
  }

  private staged = false;
  private made = new Set<string>();

  objectRoot(): string {
    return this.root; // the writer makes a missing o/aa folder as it needs it
  }

  putDone(): void {} // written in place: nothing to move

  async putObject(key: string, data: Uint8Array): Promise<void> {
    const p = this.path(key);
    const dir = dirname(p);
    try {
      if (!this.made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        this.made.add(dir);
      }
      await writeNew(p, data);
    } catch (err) {
      // The same name is the same bytes (a SHA-256 of them): already there is done.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw storeError(this.root, err);
    }
  }

  stageFile(): string {
    const dir = join(this.root, 'o');
    try {
      if (!this.staged) mkdirSync(dir, { recursive: true });
      this.staged = true;
    } catch (err) {
      throw storeError(this.root, err);
    }
    return join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
  }

  /** Staged files sit on the store's file system: a rename each, several at a time. */
  async commit(staged: { key: string; path: string }[]): Promise<void> {
    const dirs = new Set(staged.map((s) => dirname(this.path(s.key))));
    try {
      for (const d of dirs) mkdirSync(d, { recursive: true });
      await inPool(staged, 16, (s) => renameAsync(s.path, this.path(s.key)));
    } catch (err) {
      throw storeError(this.root, err);
    }
  }

  /** Objects are read in place: no copy. Many keys: one listing per folder rather than a stat per key. */
  async fetch(keys: string[]): Promise<Map<string, string>> {
    const m = new Map<string, string>();
    if (keys.length < 512) {
      for (const k of keys) {
        const p = this.path(k);
        if (existsSync(p)) m.set(k, p);
      }
      return m;
    }
    const listed = new Map<string, Set<string>>();
    for (const k of keys) {
      const p = this.path(k);
      const dir = dirname(p);
      let names = listed.get(dir);
      if (!names) {
        try {
          names = new Set(readdirSync(dir));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw storeError(this.root, err);
          names = new Set();
        }
        listed.set(dir, names);
      }
      if (names.has(p.slice(dir.length + 1))) m.set(k, p);
    }
    return m;
  }

  async release(): Promise<void> {}
}

function storeError(root: string, err: unknown): CliError {
  const e = err as NodeJS.ErrnoException;
  return new CliError('ERR_STORE', `store ${root}: ${e.code ?? e.message}`, EXIT.FAILURE);
}
