/**
 * Session carry, picking side, last step: a fetched and verified sealed
 * archive is decrypted, unpacked with a strict filter (only `<id>.jsonl` and
 * regular files and folders under `<id>/`; no links, devices, absolute or
 * `..` paths) into a staging folder, and installed in the project folder
 * Claude Code uses for the local path (lib/claude/slug.ts).
 *
 * A local copy is replaced only when each of its files is a prefix of the
 * incoming one (the session simply moved on elsewhere). A local copy that has
 * moved on itself is never overwritten: it stays as it is, and the incoming
 * session is installed beside it under a new id (its `sessionId` fields
 * rewritten to match), which is what gets resumed. The caller says which is which.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { CliError, EXIT } from '../cli/errors.ts';
import { openRaw, rawInput, type RawSink } from '../age/raw.ts';
import { hashName, newHash } from './carry-payload.ts';
import { projectSlug, canonicalDir } from '../claude/slug.ts';
import { trace } from '../cli/trace.ts';

export type InstallStatus = 'new' | 'updated' | 'unchanged' | 'kept-both';

export interface InstallResult {
  status: InstallStatus;
  /** The session id to resume (a new one when both copies were kept). */
  id: string;
  /** The transcript that was installed (or already there). */
  file: string;
  /** kept-both: the local copy, left untouched. */
  local?: string;
}

function tampered(message: string): CliError {
  return new CliError('ERR_CARRY_ARCHIVE', message, EXIT.AUTH, 'the archive does not hold what a session carry holds; nothing was installed');
}

/** Every regular file under `dir`, as paths relative to it. */
function filesUnder(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) out.push(...filesUnder(p, base));
    else if (d.isFile()) out.push(relative(base, p));
  }
  return out;
}

/** Whether the file at `a` is byte for byte a prefix of (or equal to) the file at `b`. */
export function isPrefixFile(a: string, b: string): boolean {
  const sa = statSync(a).size;
  if (sa > statSync(b).size) return false;
  const fa = openSync(a, 'r');
  const fb = openSync(b, 'r');
  const ba = Buffer.alloc(1 << 20);
  const bb = Buffer.alloc(1 << 20);
  try {
    for (let off = 0; off < sa; ) {
      const n = readSync(fa, ba, 0, Math.min(ba.length, sa - off), off);
      if (n <= 0) return false;
      let m = 0;
      while (m < n) {
        const k = readSync(fb, bb, m, n - m, off + m);
        if (k <= 0) return false;
        m += k;
      }
      if (!ba.subarray(0, n).equals(bb.subarray(0, n))) return false;
      off += n;
    }
    return true;
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

/** Copy `src` to `dst` replacing every `from` with `to` (same length or not), streamed. */
export function rewriteFile(src: string, dst: string, from: string, to: string): void {
  const f = Buffer.from(from);
  const t = Buffer.from(to);
  const fi = openSync(src, 'r');
  const fo = openSync(dst, 'wx', 0o600);
  const block = Buffer.alloc(1 << 20);
  let carry = Buffer.alloc(0);
  const emit = (b: Buffer) => {
    for (let off = 0; off < b.length; ) off += writeSync(fo, b, off, b.length - off);
  };
  try {
    for (;;) {
      const n = readSync(fi, block, 0, block.length, null);
      const data = Buffer.concat([carry, block.subarray(0, n)]);
      const parts: Buffer[] = [];
      let start = 0;
      for (let i = data.indexOf(f); i !== -1; i = data.indexOf(f, start)) {
        parts.push(data.subarray(start, i), t);
        start = i + f.length;
      }
      // Keep back what could be the start of a match cut by the block boundary.
      const keep = n === 0 ? 0 : Math.min(f.length - 1, data.length - start);
      parts.push(data.subarray(start, data.length - keep));
      emit(Buffer.concat(parts));
      carry = Buffer.from(data.subarray(data.length - keep));
      if (n === 0) break;
    }
  } finally {
    closeSync(fi);
    closeSync(fo);
  }
}

/** Why a session's archive is refused: an entry a carry never holds, or null when it is allowed. */
function entryAllowed(id: string, path: string, type: string): boolean {
  const p = path.replace(/\/+$/, '');
  if (p.startsWith('/') || p.split('/').some((c) => c === '..' || c === '')) return false;
  if (p === `${id}.jsonl`) return type === 'File' || type === 'OldFile';
  if (p === id) return type === 'Directory';
  if (p.startsWith(`${id}/`)) return type === 'File' || type === 'OldFile' || type === 'Directory';
  return false;
}

/** The size and SHA-256 the signed payload promises for the sealed archive. */
export interface Expected {
  n: number;
  x: string;
}

/** The fetched bytes are not the archive the signed payload names. */
export function archiveMismatch(): CliError {
  return new CliError(
    'ERR_CARRY_HASH',
    'the fetched archive does not match the size and SHA-256 in the signed payload',
    EXIT.AUTH,
    'it was altered on the way, in the store or by the publisher; nothing was installed',
  );
}

/**
 * Decrypt and unpack the sealed archive arriving on `source` into a new
 * folder `staging`, in one pass (no decrypted copy on disk): the bytes are
 * hashed as they go to the age decryptor, whose plaintext goes straight into
 * the tar extractor. Only when the whole stream has the promised size and
 * SHA-256 and unpacked cleanly does this return; otherwise `staging` is
 * removed and nothing of it is ever installed. When decryption fails part way
 * (a tampered chunk), the rest is still hashed, so a changed archive is
 * reported as changed rather than as a broken age file.
 */
export async function unpackStream(source: AsyncIterable<Buffer>, expect: Expected, secret: Uint8Array, id: string, staging: string): Promise<void> {
  const hash = newHash();
  let seen = 0;
  const it = source[Symbol.asyncIterator]();
  let sourceDone = false;
  // Pulls from `it` without closing it when the decryptor stops early, so the rest can be hashed.
  const hashed: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({
      async next() {
        const r = await it.next();
        if (r.done) {
          sourceDone = true;
          return r;
        }
        seen += r.value.length;
        if (seen > expect.n) throw archiveMismatch();
        hash.update(r.value);
        return r;
      },
    }),
  };
  const matches = () => seen === expect.n && hashName(hash.digest()) === expect.x;
  mkdirSync(staging, { mode: 0o700 });
  try {
    const tar = await import('tar');
    const problems: string[] = [];
    const unpack = tar.x({
      cwd: staging,
      strict: true,
      preservePaths: false,
      noChmod: true,
      // Mode bits from the archive are not trusted: everything lands private.
      dmode: 0o700,
      fmode: 0o600,
      umask: 0o077,
      filter: (path: string, entry: unknown) => {
        const type = (entry as { type?: string }).type ?? 'File';
        if (entryAllowed(id, path, type)) return true;
        problems.push(`${JSON.stringify(path.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 80))} (${type})`);
        return false;
      },
    }) as unknown as NodeJS.WritableStream & NodeJS.EventEmitter;
    let failure: unknown;
    const closed = new Promise<void>((resolve, reject) => {
      unpack.on('close', resolve);
      unpack.on('error', (e: unknown) => {
        failure ??= e;
        reject(e);
      });
    });
    closed.catch(() => {});
    const sink: RawSink = {
      async write(parts) {
        if (failure) throw failure;
        let ok = true;
        for (const b of parts) if (b.length) ok = unpack.write(b);
        if (!ok) await new Promise<void>((resolve) => (unpack as NodeJS.EventEmitter).once('drain', resolve));
      },
      async commit() {
        unpack.end();
        await closed;
      },
      abort() {},
    };
    try {
      await openRaw(hashed, sink, { secrets: [secret] });
    } catch (err) {
      // Hash what is left: a changed archive is a mismatch whatever broke first.
      if (!sourceDone) {
        try {
          while (!(await hashed[Symbol.asyncIterator]().next()).done);
        } catch (e) {
          throw e instanceof CliError && e.code === 'ERR_CARRY_HASH' ? e : err;
        }
      }
      if (!matches()) throw archiveMismatch();
      throw err;
    }
    if (!matches()) throw archiveMismatch();
    trace('archive decrypted and unpacked');
    if (problems.length) throw tampered(`the archive holds an entry a session carry never holds: ${problems[0]}`);
    if (!existsSync(join(staging, `${id}.jsonl`))) throw tampered(`the archive does not hold ${id}.jsonl`);
    for (const f of filesUnder(staging)) chmodSync(join(staging, f), 0o600);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (err instanceof CliError) throw err;
    throw tampered(`the archive cannot be unpacked: ${String((err as Error).message ?? err).split('\n')[0]}`);
  }
}

/** Decrypt `sealed` (a file already checked or to be checked against `expect`) and unpack it into `staging`. */
export async function unpackArchive(sealed: string, secret: Uint8Array, id: string, staging: string, expect?: Expected): Promise<void> {
  const e = expect ?? { n: statSync(sealed).size, x: hashName((await hashFile(sealed)).digest()) };
  await unpackStream(rawInput('cc-pickup', 'archive', sealed), e, secret, id, staging);
}

async function hashFile(path: string) {
  const h = newHash();
  for await (const chunk of rawInput('cc-pickup', 'archive', path)) h.update(chunk);
  return h;
}

/** The project folder for `dir` under `${CLAUDE_CONFIG_DIR}/projects`. */
export function projectFolderFor(root: string, dir: string): string {
  return join(root, projectSlug(canonicalDir(dir)));
}

/**
 * Install the unpacked session from `staging` into `folder` (see the module
 * comment for the rules). `staging` is consumed.
 */
export function installUnpacked(staging: string, folder: string, id: string): InstallResult {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const incoming = filesUnder(staging);
  const target = join(folder, `${id}.jsonl`);
  try {
    const present = incoming.filter((f) => existsSync(join(folder, f)));
    const diverged = present.some((f) => !isPrefixFile(join(folder, f), join(staging, f)));
    if (!diverged) {
      const changed = incoming.filter((f) => !present.includes(f) || statSync(join(folder, f)).size !== statSync(join(staging, f)).size);
      for (const f of changed) {
        mkdirSync(join(folder, f, '..'), { recursive: true, mode: 0o700 });
        renameSync(join(staging, f), join(folder, f));
      }
      const status: InstallStatus = present.length === 0 ? 'new' : changed.length ? 'updated' : 'unchanged';
      return { status, id, file: target };
    }
    // Both moved on: keep the local copy untouched, install the incoming one as a new session.
    const newId = randomUUID();
    const from = `"sessionId":"${id}"`;
    const to = `"sessionId":"${newId}"`;
    for (const f of incoming) {
      const dest = join(folder, f === `${id}.jsonl` ? `${newId}.jsonl` : join(newId, relative(id, f)));
      mkdirSync(join(dest, '..'), { recursive: true, mode: 0o700 });
      rewriteFile(join(staging, f), dest, from, to);
    }
    return { status: 'kept-both', id: newId, file: join(folder, `${newId}.jsonl`), local: target };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** A staging folder name next to (so on the same file system as) the project folders. */
export function stagingPath(root: string): string {
  mkdirSync(root, { recursive: true, mode: 0o700 });
  return join(root, `.cckit-carry-${randomBytes(6).toString('hex')}`);
}

