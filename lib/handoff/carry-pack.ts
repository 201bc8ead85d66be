/**
 * Session carry, publisher side, step 1: the session's `<id>.jsonl` and its
 * `<id>/` folder (subagent transcripts, tool results) become one tar archive
 * (npm `tar`, streamed: sessions of hundreds of MB exist), sealed with age to
 * the record's reader as it is written, into a 0600 file in the state dir.
 * Its size and SHA-256 go into the payload (carry-payload.ts).
 */
import { closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writevSync } from 'node:fs';
import { join, basename, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError, EXIT } from '../cli/errors.ts';
import { stateDir } from '../config.ts';
import { ensurePrivateDir } from '../secure-file.ts';
import { sealRaw, type RawSink } from '../age/raw.ts';
import { hashName, newHash } from './carry-payload.ts';

/** Where sealed archives (outgoing) and partial downloads (incoming) live. */
export function carryDir(): string {
  return join(stateDir(), 'carry');
}

/** A sealed archive on disk. */
export interface PackedArchive {
  path: string;
  /** Bytes of the sealed file. */
  n: number;
  /** SHA-256 of the sealed file, base64url. */
  x: string;
}

/** Writes a sealed archive to a private temp file, hashing it; renamed to its hash on commit. */
class HashingFileSink implements RawSink {
  readonly tmp: string;
  private fd: number | undefined;
  private readonly hash = newHash();
  n = 0;
  x = '';
  path = '';

  /** In `dir` (renamed to `<x>.age` there on commit), or exactly at `file` (a store's staging file). */
  constructor(private readonly to: { dir: string } | { file: string }) {
    if ('dir' in to) ensurePrivateDir(to.dir);
    this.tmp = 'dir' in to ? join(to.dir, `.pack-${randomBytes(6).toString('hex')}.tmp`) : to.file;
    this.fd = openSync(this.tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  }

  write(parts: Buffer[]): void {
    let bufs = parts.filter((p) => p.length > 0);
    for (const b of bufs) {
      this.hash.update(b);
      this.n += b.length;
    }
    while (bufs.length) {
      let w = writevSync(this.fd!, bufs);
      while (w > 0 && bufs.length) {
        if (w >= bufs[0].length) {
          w -= bufs[0].length;
          bufs.shift();
        } else {
          bufs[0] = bufs[0].subarray(w);
          w = 0;
        }
      }
    }
    bufs = [];
  }

  async commit(): Promise<void> {
    // A served archive is a temporary file (a crash ends the serving anyway):
    // no fsync. One left in a store must survive a crash before the rename.
    if ('file' in this.to) fsyncSync(this.fd!);
    closeSync(this.fd!);
    this.fd = undefined;
    this.x = hashName(this.hash.digest());
    if ('file' in this.to) {
      this.path = this.tmp;
      return;
    }
    this.path = join(this.to.dir, `${this.x}.age`);
    renameSync(this.tmp, this.path);
  }

  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    try {
      unlinkSync(this.tmp);
    } catch {
      /* never created or already renamed */
    }
  }
}

/** The files of session `id` in its project folder: what goes into the archive. */
export function sessionEntries(sessionFile: string): { cwd: string; entries: string[] } {
  const cwd = dirname(sessionFile);
  const id = basename(sessionFile, '.jsonl');
  const entries = [`${id}.jsonl`];
  try {
    if (statSync(join(cwd, id)).isDirectory()) entries.push(id);
  } catch {
    /* a session without a folder: just the transcript */
  }
  return { cwd, entries };
}

/**
 * Pack and seal session `sessionFile` (its `<id>.jsonl`, plus `<id>/` when
 * present) to the X25519 `recipient`: into the carry folder as `<x>.age`,
 * or to exactly `{file}` (a store's staging file). Nothing is left behind on
 * failure.
 */
export async function packSession(sessionFile: string, recipient: Uint8Array, to: { dir: string } | { file: string } = { dir: carryDir() }): Promise<PackedArchive> {
  if (!existsSync(sessionFile)) throw new CliError('ERR_NO_SESSION', `session file not found: ${sessionFile}`, EXIT.NOT_FOUND);
  const { cwd, entries } = sessionEntries(sessionFile);
  const tar = await import('tar');
  // portable: no uid/gid/user names of this machine in the archive.
  // maxReadSize: tar's default reads 16 MiB blocks, which made packing ~15x slower than reading 1 MiB at a time.
  const source = tar.create({ cwd, portable: true, follow: false, noDirRecurse: false, maxReadSize: 1 << 20 }, entries) as unknown as AsyncIterable<Buffer>;
  if ('dir' in to) mkdirSync(to.dir, { recursive: true, mode: 0o700 });
  const sink = new HashingFileSink(to);
  await sealRaw(source, sink, { recipients: [{ x25519: recipient }], armor: false });
  return { path: sink.path, n: sink.n, x: sink.x };
}
