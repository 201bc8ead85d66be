/**
 * Finding what changed in a working folder: a walk that compares size and
 * mtime with the push index (no reading of unchanged files, so an
 * incremental push is O(changed)), then hashes only the candidates.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { hashFile } from './objects.ts';
import type { PushIndex } from './push-index.ts';

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

/** One regular file the walk found: space path (`/a/b`), size, mtime in whole ms. */
export type FileVisitor = (path: string, size: number, mtime: number) => void;

/** The regular files under a folder (not `.cckit`, not symlinks) as one walk found them. */
export class FileListing {
  constructor(
    readonly dir: string,
    private readonly paths: string[],
    private readonly sizes: number[],
    private readonly mtimes: number[],
  ) {}

  get count(): number {
    return this.paths.length;
  }

  forEach(visit: FileVisitor): void {
    for (let i = 0; i < this.paths.length; i++) visit(this.paths[i], this.sizes[i], this.mtimes[i]);
  }

  /** Where a listed space path is on disk. */
  local(path: string): string {
    return this.dir + path;
  }

  has(path: string): boolean {
    return (this.set ??= new Set(this.paths)).has(path);
  }
  private set?: Set<string>;
}

/**
 * Start listing `dir`. GNU find lists it in another process (about 30 ms for
 * 10,000 files), so the caller reads its index and the store meanwhile;
 * node's lstat builds a Stats object with four Dates per file (several times
 * slower), which was most of an incremental push. Node's own walk is the
 * fallback (no GNU find, or find failed or printed something unexpected).
 */
export function listFiles(dir: string): Promise<FileListing> {
  if (process.env.CCKIT_NO_FIND) return Promise.resolve(listWithNode(dir));
  return listWithFind(dir).then((l) => l ?? listWithNode(dir));
}

/** `find -printf` records `SIZE SECONDS.FRACTION /RELPATH\0`; undefined when find is not GNU find, fails, or prints something else. */
export function listWithFind(dir: string): Promise<FileListing | undefined> {
  // find writes to an unlinked temporary file, not a pipe: a pipe holds 64 KiB, and find
  // would stall on it whenever this thread is busy (reading the index) instead of reading.
  let fd: number;
  try {
    const tmp = join(tmpdir(), `cckit-listing-${process.pid}-${randomBytes(6).toString('hex')}`);
    fd = openSync(tmp, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
    unlinkSync(tmp);
  } catch {
    return Promise.resolve(undefined);
  }
  const finish = (ok: boolean): FileListing | undefined => {
    try {
      if (!ok) return undefined;
      const size = fstatSync(fd).size;
      const buf = Buffer.allocUnsafe(size);
      let at = 0;
      while (at < size) {
        const n = readSync(fd, buf, at, size - at, at);
        if (n === 0) return undefined;
        at += n;
      }
      return parseFindOutput(dir, buf);
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  };
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn('find', ['.', '-path', './.cckit', '-prune', '-o', '-type', 'f', '-printf', '%s %T@ /%P\\0'], {
        cwd: dir,
        env: { ...process.env, LC_ALL: 'C' },
        stdio: ['ignore', fd, 'ignore'],
      });
    } catch {
      return resolve(finish(false));
    }
    child.on('error', () => resolve(finish(false)));
    child.on('exit', (code) => resolve(finish(code === 0)));
  });
}

/**
 * Parse `SIZE SECONDS.FRACTION /RELPATH\0` records from the bytes (numbers read
 * digit by digit, only paths decoded: this runs once per file on every push).
 */
function parseFindOutput(dir: string, out: Buffer): FileListing | undefined {
  if (out.length > 0 && out[out.length - 1] !== 0) return undefined; // every record ends with a NUL
  const paths: string[] = [];
  const sizes: number[] = [];
  const mtimes: number[] = [];
  const digits = (from: number, stop: number): [number, number] => {
    let n = 0;
    let i = from;
    for (; i < out.length && out[i] !== stop; i++) {
      const c = out[i] - 48;
      if (c < 0 || c > 9 || i - from >= 15) return [-1, i];
      n = n * 10 + c;
    }
    return [i === from ? -1 : n, i];
  };
  for (let i = 0; i < out.length; ) {
    const [size, a] = digits(i, 32); // SIZE then a space
    const [sec, dot] = digits(a + 1, 46); // SECONDS then a dot
    // Whole milliseconds, as Math.floor(mtimeMs) gives them: the first three fraction digits.
    let ms = 0;
    let b = dot + 1;
    for (let k = 0; k < 3; k++, b++) {
      const c = out[b] - 48;
      if (c < 0 || c > 9) break;
      ms = ms * 10 + c;
    }
    for (let k = b - dot - 1; k < 3; k++) ms *= 10;
    while (b < out.length && out[b] >= 48 && out[b] <= 57) b++;
    const end = out.indexOf(0, b);
    if (size < 0 || sec < 0 || out[a] !== 32 || out[dot] !== 46 || out[b] !== 32 || out[b + 1] !== 47 || end < b + 3) return undefined; // not what GNU find prints
    paths.push(out.toString('utf8', b + 1, end));
    sizes.push(size);
    mtimes.push(sec * 1000 + ms);
    i = end + 1;
  }
  return new FileListing(dir, paths, sizes, mtimes);
}

/** The same listing in node (lstat per file); `meta`: skip the top-level `.cckit` (false when listing a subfolder). */
export function listWithNode(dir: string, meta = true): FileListing {
  const paths: string[] = [];
  const sizes: number[] = [];
  const mtimes: number[] = [];
  const rec = (abs: string, rel: string) => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      if (meta && rel === '' && e.name === '.cckit') continue;
      const a = join(abs, e.name);
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) rec(a, r);
      else if (e.isFile()) {
        const st = lstatSync(a);
        paths.push(r);
        sizes.push(st.size);
        mtimes.push(Math.floor(st.mtimeMs));
      }
    }
  };
  rec(dir, '');
  return new FileListing(dir, paths, sizes, mtimes);
}

/**
 * Only some paths of the folder, as a watcher named them (a file or a
 * folder each, relative `/a/b`): the regular files at or under them now.
 * A folder is listed whole (a new or renamed folder brings its files); a
 * path that is gone, or is no longer a regular file or folder, lists
 * nothing, and findChanges then reads that as a deletion.
 */
export function listPaths(dir: string, paths: Iterable<string>): FileListing {
  const found = new Map<string, { size: number; mtime: number }>();
  const visit = (rel: string) => {
    if (rel === '/.cckit' || rel.startsWith('/.cckit/') || found.has(rel)) return;
    let st;
    try {
      st = lstatSync(dir + rel);
    } catch {
      return; // gone (or unreadable): nothing there to push
    }
    if (st.isFile()) found.set(rel, { size: st.size, mtime: Math.floor(st.mtimeMs) });
    else if (st.isDirectory()) {
      let sub: FileListing;
      try {
        sub = listWithNode(dir + rel, rel === ''); // the top-level .cckit is never listed
      } catch {
        return; // removed while being listed: its own event follows
      }
      sub.forEach((p, size, mtime) => found.set(rel + p, { size, mtime }));
    }
  };
  for (const p of paths) visit(p);
  const names = [...found.keys()];
  return new FileListing(
    dir,
    names,
    names.map((n) => found.get(n)!.size),
    names.map((n) => found.get(n)!.mtime),
  );
}

/**
 * Compare a listing with the index; only size/mtime candidates are hashed.
 * `covered`: the listing holds only these paths and what is under them
 * (listPaths), so only entries there can be deletions; without it the
 * listing is the whole folder.
 */
export function findChanges(files: FileListing, index: PushIndex, covered?: string[]): { changes: Change[]; touched: Map<string, { mtime: number }> } {
  const changes: Change[] = [];
  const touched = new Map<string, { mtime: number }>(); // same content, new mtime: remember without pushing
  const pushed = index.files;
  let liveSeen = 0; // listed files with a live entry: when that is every live entry, nothing was deleted
  files.forEach((path, size, mtime) => {
    if (pushed.sameStat(path, size, mtime)) {
      liveSeen++;
      return;
    }
    const prev = pushed.get(path);
    const local = files.local(path);
    if (prev && !prev.deleted) liveSeen++;
    const kind = prev && !prev.deleted ? 'modified' : 'new';
    if (!prev || prev.deleted || prev.size !== size) {
      // Certainly changed: the content hash is taken when push reads the file anyway.
      changes.push({ path, local, size, mtime, sha256: '', kind });
      return;
    }
    const sha256 = hashFile(local);
    if (prev.sha256 === sha256) touched.set(path, { mtime });
    else changes.push({ path, local, size, mtime, sha256, kind });
  });
  const gone = (path: string) => changes.push({ path, local: null, size: 0, mtime: Date.now(), sha256: '', kind: 'deleted' });
  if (covered) {
    // A covered path that is a listed file has nothing under it: only the others need the walk over
    // the index, which looks each unlisted entry's folders up (not every entry against every path).
    const open = new Set(covered.filter((c) => !files.has(c)));
    if (open.size > 0) {
      for (const path of pushed.live()) {
        if (files.has(path)) continue;
        for (let p = path; ; p = p.slice(0, p.lastIndexOf('/'))) {
          if (open.has(p)) {
            gone(path);
            break;
          }
          if (p === '') break;
        }
      }
    }
  } else if (liveSeen !== pushed.liveCount) {
    for (const path of pushed.live()) if (!files.has(path)) gone(path);
  }
  changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { changes, touched };
}
