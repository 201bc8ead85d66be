/**
 * Finding what changed in a working folder: a walk that compares size and
 * mtime with the push index (no reading of unchanged files, so an
 * incremental push is O(changed)), then hashes only the candidates.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hashFile } from './objects.ts';
import type { PushIndex } from './space.ts';

/** A change to push. */
export interface Change {
  path: string; // space path, /a/b
  local: string | null; // file on disk, null for a deletion
  size: number;
  mtime: number;
  /** '' until push reads the file (new files and size changes are not hashed by the scan). */
  sha256: string;
  kind: 'new' | 'modified' | 'deleted';
}

/** Every regular file under `dir` (not `.cckit`, not symlinks) → size and mtime in ms. */
export function walk(dir: string): Map<string, { size: number; mtime: number; local: string }> {
  const out = new Map<string, { size: number; mtime: number; local: string }>();
  const rec = (abs: string, rel: string) => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      if (rel === '' && e.name === '.cckit') continue;
      const a = join(abs, e.name);
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) rec(a, r);
      else if (e.isFile()) {
        const st = lstatSync(a);
        out.set(r, { size: st.size, mtime: Math.floor(st.mtimeMs), local: a });
      }
    }
  };
  rec(dir, '');
  return out;
}

/** Compare the folder with the index; only size/mtime candidates are hashed. */
export function findChanges(dir: string, index: PushIndex): { changes: Change[]; touched: Map<string, { mtime: number }> } {
  const files = walk(dir);
  const changes: Change[] = [];
  const touched = new Map<string, { mtime: number }>(); // same content, new mtime: remember without pushing
  for (const [path, f] of files) {
    const prev = index.files[path];
    if (prev && !prev.deleted && prev.size === f.size && prev.mtime === f.mtime) continue;
    if (!prev || prev.deleted || prev.size !== f.size) {
      // Certainly changed: the content hash is taken when push reads the file anyway.
      changes.push({ path, local: f.local, size: f.size, mtime: f.mtime, sha256: '', kind: prev && !prev.deleted ? 'modified' : 'new' });
      continue;
    }
    const sha256 = hashFile(f.local);
    if (prev && !prev.deleted && prev.sha256 === sha256) {
      touched.set(path, { mtime: f.mtime });
      continue;
    }
    changes.push({ path, local: f.local, size: f.size, mtime: f.mtime, sha256, kind: prev && !prev.deleted ? 'modified' : 'new' });
  }
  for (const [path, e] of Object.entries(index.files)) {
    if (!e.deleted && !files.has(path)) changes.push({ path, local: null, size: 0, mtime: Date.now(), sha256: '', kind: 'deleted' });
  }
  changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { changes, touched };
}
